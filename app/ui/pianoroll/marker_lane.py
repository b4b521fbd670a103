"""The ruler's marker lane: the score's tempo, meter and key changes as small labelled flags.

A flag is a stem at its change's tick and a label ("♩=96", "3/4", "G maj")
to its right; labels that would overlap the one before are pushed right (the
stem stays on the tick), so the three opening changes at tick 0 read side by
side. Plain data and painting here; the ruler does the mouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFontMetrics, QPainter

from app.core.score import Score
from app.core.timing import bar_lines, bpm_at, signature_at

KIND_ORDER = ("meter", "key", "tempo")  # left to right at one tick
NOUNS = {"tempo": "Tempo", "meter": "Meter", "key": "Key"}
COLOURS = {"tempo": QColor("#e0a050"), "meter": QColor("#6ea2ff"), "key": QColor("#7cc58a")}
LABEL_TEXT = QColor("#16171b")
DEFAULT_KEY = "C major"  # offered for a first key on a score that has none
GAP_PX = 2.0


@dataclass(frozen=True)
class Marker:
    """One change: ``kind`` "tempo", "meter" or "key"; ``value`` bpm, ``(numerator, denominator)`` or a key name."""

    kind: str
    tick: int
    value: object

    @property
    def label(self) -> str:
        if self.kind == "tempo":
            return f"♩={round(float(self.value), 1):g}"
        if self.kind == "meter":
            return f"{self.value[0]}/{self.value[1]}"
        tonic, mode = str(self.value).split(" ", 1)
        return f"{tonic} {mode[:3]}"

    def text(self) -> str:
        """The value in words: "96 BPM", "3/4", "G major"."""
        if self.kind == "tempo":
            return f"{round(float(self.value), 1):g} BPM"
        return self.label if self.kind == "meter" else str(self.value)


def score_markers(score: Score) -> list[Marker]:
    """Every change of the three maps, by tick (meter, key, tempo at one tick); no key marker without a key."""
    found = [Marker("tempo", t.tick, t.bpm) for t in score.tempos]
    found += [Marker("meter", s.tick, (s.numerator, s.denominator)) for s in score.time_signatures]
    found += [Marker("key", k.tick, k.key) for k in score.keys]
    return sorted(found, key=lambda m: (m.tick, KIND_ORDER.index(m.kind)))


def values_at(score: Score, tick: int) -> dict:
    """Each kind's value in force at ``tick``: what a new change there starts from."""
    sig = signature_at(score, tick)
    return {"tempo": bpm_at(score, tick), "meter": (sig.numerator, sig.denominator),
            "key": score.key_at(tick) or DEFAULT_KEY}


def in_force(score: Score, kind: str, tick: int) -> Marker:
    """The ``kind`` change in force at ``tick`` (the opening one before any other)."""
    chosen = [m for m in score_markers(score) if m.kind == kind and m.tick <= tick]
    return chosen[-1] if chosen else Marker(kind, 0, values_at(score, 0)[kind])


def where_text(score: Score, tick: int) -> str:
    """ "bar 3, beat 2" for ``tick`` (beats of the meter in force)."""
    bar = [b for b in bar_lines(score, tick + 1) if b.tick <= tick][-1]
    beat = (tick - bar.tick) // max(1, score.ppq * 4 // bar.signature.denominator) + 1
    return f"bar {bar.number}, beat {beat}" if beat > 1 else f"bar {bar.number}"


def tooltip(score: Score, marker: Marker) -> str:
    opening = " (the opening one)" if marker.tick == 0 else ""
    how = "double-click to edit" + ("" if marker.tick == 0 else ", drag to move, right-click to remove")
    return f"{NOUNS[marker.kind]} {marker.text()} from {where_text(score, marker.tick)}{opening}: {how}"


@dataclass(frozen=True)
class Flag:
    """A marker where it is drawn: ``x`` its stem, ``rect`` its label."""

    marker: Marker
    x: float
    rect: QRectF


def lay_out(markers: list[Marker], tick_to_x: Callable[[float], float], fm: QFontMetrics,
            top: float, height: float, right: float) -> list[Flag]:
    """Flags for ``markers`` (by tick), labels pushed right past the one before; none starting beyond ``right``."""
    flags: list[Flag] = []
    end = -1e9
    for marker in markers:
        x = tick_to_x(marker.tick)
        left = max(x, end + GAP_PX)
        if left > right:
            break
        width = fm.horizontalAdvance(marker.label) + 8
        flags.append(Flag(marker, x, QRectF(left, top + 1, width, height - 2)))
        end = left + width
    return flags


def flag_at(flags: list[Flag], x: float, y: float) -> Flag | None:
    """The flag whose label (or stem, within 3 px) is under ``(x, y)``."""
    for flag in reversed(flags):
        if flag.rect.contains(QPointF(x, y)):
            return flag
    for flag in reversed(flags):
        if abs(flag.x - x) <= 3 and flag.rect.top() <= y <= flag.rect.bottom():
            return flag
    return None


def paint(painter: QPainter, flags: list[Flag], lane_bottom: float, fm: QFontMetrics,
          moving: Flag | None = None) -> None:
    """Stems and labels; ``moving`` (a dragged marker's flag at its new place) drawn hollow on top."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for flag in flags + ([moving] if moving else []):
        colour = COLOURS[flag.marker.kind]
        painter.setPen(colour)
        painter.drawLine(QPointF(flag.x, flag.rect.top()), QPointF(flag.x, lane_bottom))
        if flag is moving:
            painter.setBrush(QColor(0, 0, 0, 0))
            painter.drawRoundedRect(flag.rect, 3, 3)
        else:
            painter.fillRect(flag.rect, colour)
            painter.setPen(LABEL_TEXT)
        painter.drawText(QPointF(flag.rect.left() + 4, flag.rect.top() + (flag.rect.height() + fm.ascent()
                                                                              - fm.descent()) / 2),
                         flag.marker.label)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
