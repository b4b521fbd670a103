"""Transport logic: what Play plays, and where the playhead goes.

Play starts from the selection when there is one (and stops at its end),
else from the playhead; with Loop on and a loop region, it loops there.
Each round of a loop asks the document for its current score, so edits made
during playback are heard at the next loop or play. The playhead of the
piano roll and the spectrogram follows the player's position, which comes
from the samples the audio device has actually played, but only while the
player plays what this controller started: an audition of a seed or a
variation shares the player and leaves the playhead and the Play button alone.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction

from app.document import Document
from app.services.player import Player


class PlaybackController(QObject):
    """Connects the Play/Loop actions, the piano roll and the player."""

    position_changed = Signal(int)
    status_message = Signal(str)

    def __init__(self, doc: Document, player: Player, roll, play_action: QAction, loop_action: QAction,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.player, self.roll = doc, player, roll
        self.play_action, self.loop_action = play_action, loop_action
        self._driving = False  # the player plays the sketch for us (not an audition)
        play_action.triggered.connect(self._on_play_triggered)
        player.started.connect(self._on_player_started)
        player.stopped.connect(self._on_player_stopped)
        player.position_changed.connect(self._on_player_position_changed)
        player.error_occurred.connect(self.status_message)
        roll.playhead_moved.connect(self._on_roll_playhead_moved)
        roll.key_pressed.connect(self._on_roll_key_pressed)
        roll.key_released.connect(self.player.release_note)

    def play(self) -> None:
        """Start from the selection, or from the playhead (looping when Loop is on)."""
        notes = self.roll.selected_notes()
        loop = self.roll.loop_region() if self.loop_action.isChecked() else None
        if notes:
            start, end = min(n.start for n in notes), max(n.end for n in notes)
        else:
            start, end = self.roll.playhead(), None
            if loop is not None and not loop[0] <= start < loop[1]:
                start = loop[0]
        if self.doc.score.note_count == 0:
            self.status_message.emit("Nothing to play yet: draw notes, type ABC, or open a file.")
            self.play_action.setChecked(False)
            return
        self.player.play(lambda: self.doc.score, start, end, loop, with_metronome=True)  # stops an audition first
        self._driving = self.player.is_playing()

    def is_playing(self) -> bool:
        """True while the sketch plays (an audition does not count)."""
        return self._driving

    def stop(self) -> None:
        self.player.stop()

    def toggle(self) -> None:
        self.stop() if self._driving else self.play()

    @Slot(bool)
    def _on_play_triggered(self, checked: bool) -> None:
        if checked and not self._driving:  # during an audition, Play plays the sketch instead
            self.play()
        elif not checked:
            self.stop()

    @Slot()
    def _on_player_started(self) -> None:
        if self._driving:
            self.play_action.setChecked(True)

    @Slot()
    def _on_player_stopped(self) -> None:
        self._driving = False
        self.play_action.setChecked(False)

    @Slot(int)
    def _on_player_position_changed(self, tick: int) -> None:
        if self._driving:
            self.roll.set_playhead(tick)
            self.position_changed.emit(tick)

    @Slot(int)
    def _on_roll_playhead_moved(self, tick: int) -> None:
        self.position_changed.emit(tick)
        if self._driving:  # a DAW jumps there and keeps playing
            self.player.stop()
            self.play()

    @Slot(int)
    def _on_roll_key_pressed(self, pitch: int) -> None:
        tracks = self.doc.score.tracks
        track = tracks[self.doc.active_track] if tracks else None
        self.player.preview_note(pitch, track.program if track else 0, track.is_drum if track else False)
