"""Listening to seeds and variations on the window's player, and A/B against the sketch.

An audition plays one score (a seed, a variation) from its start. A/B
compare switches between the variation (B) and the sketch (A) at the same
musical moment: the sketch is heard from where the variation would go (the
start of the selection, else the playhead), and each switch picks up at the
player's current position. An audition never moves the window's playhead or
transport (the playback controller follows only the plays it starts): the
card's mini roll shows where the audition is, and "insert at the playhead"
still means the place the musician chose. A variation of a regenerated
selection is heard *in place* (:meth:`Audition.play_in_place`,
:meth:`Audition.compare_in_place`): the score with the variation put in,
from a bar before the selection to a bar after it, against the sketch over
the same bars.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from app.core.score import Score
from app.document import Document
from app.services.player import Player


class Audition(QObject):
    """Who is playing (a key such as a card's id), and on which side of an A/B compare."""

    playing_changed = Signal(object, str)  # key or None, side: "" (plain audition), "A" or "B"
    position_changed = Signal(object, int)  # key, tick within the auditioned score

    def __init__(self, player: Player, doc: Document, roll, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.player, self.doc, self.roll = player, doc, roll
        self.key: object | None = None
        self.side = ""
        self._score: Score | None = None
        self._origin = 0  # sketch tick matching the variation's tick 0
        self._end: int | None = None  # where an in-place audition stops
        self._in_place = False  # both sides play in the sketch's time: positions are shifted by the origin
        self._switching = False
        player.stopped.connect(self._on_player_stopped)
        player.position_changed.connect(self._on_player_position_changed)

    def play(self, key: object, score: Score) -> None:
        """Audition ``score`` from its start; the same key again stops it."""
        if self.key == key and self.side == "":
            self.stop()
            return
        self._start(key, "", score, lambda: score, 0)

    def compare(self, key: object, score: Score) -> None:
        """A/B: start with the variation (B); each further call switches side at the same moment."""
        if self.key != key or self.side == "":
            selected = self.roll.selected_notes()
            origin = min(n.start for n in selected) if selected else self.roll.playhead()
            self._start(key, "B", score, lambda: score, 0, origin)
            return
        position = self.player.position()
        if self.side == "B":
            self._start(key, "A", score, lambda: self.doc.score, self._origin + position, self._origin)
        else:
            self._start(key, "B", score, lambda: score, max(0, position - self._origin), self._origin)

    def play_in_place(self, key: object, placed: Score, start: int, end: int, origin: int) -> None:
        """Play ``placed`` (the sketch with a variation put in) over ticks ``start``..``end``; the card's roll
        starts at ``origin``. The same key again stops it."""
        if self.key == key and self.side == "":
            self.stop()
            return
        self._start(key, "", placed, lambda: placed, start, origin, end, True)

    def compare_in_place(self, key: object, placed: Score, start: int, end: int, origin: int) -> None:
        """A/B in place: the variation put in (B) or the sketch (A) over the same bars; each further call
        switches side at the same moment."""
        if self.key != key or self.side == "" or not self._in_place:
            self._start(key, "B", placed, lambda: placed, start, origin, end, True)
            return
        position = min(max(self.player.position(), start), end - 1)
        if self.side == "B":
            self._start(key, "A", placed, lambda: self.doc.score, position, origin, end, True)
        else:
            self._start(key, "B", placed, lambda: placed, position, origin, end, True)

    def stop(self) -> None:
        if self.key is not None:
            self.player.stop()

    def _start(self, key: object, side: str, score: Score, provider: Callable[[], Score], start: int,
               origin: int = 0, end: int | None = None, in_place: bool = False) -> None:
        self.key, self.side, self._score, self._origin = key, side, score, origin
        self._end, self._in_place = end, in_place
        self._switching = True
        try:
            self.player.play(provider, start, end)
        finally:
            self._switching = False
        if self.player.is_playing():
            self.playing_changed.emit(key, side)
        else:  # it stopped at once (no audio device: the player said why)
            self.key, self.side, self._score = None, "", None
            self.playing_changed.emit(None, "")

    @Slot()
    def _on_player_stopped(self) -> None:
        if self._switching or self.key is None:
            return
        self.key, self.side, self._score = None, "", None
        self.playing_changed.emit(None, "")

    @Slot(int)
    def _on_player_position_changed(self, tick: int) -> None:
        if self.key is not None:
            shifted = self.side == "A" or self._in_place
            self.position_changed.emit(self.key, tick - self._origin if shifted else tick)
