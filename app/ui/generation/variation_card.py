"""One variation in the gallery: a mini piano roll, its badges, and what can be done with it.

Badges: note count, pitch classes used, the share of notes in the key, empty
bars. Buttons: play/stop, A/B against the sketch, insert (at the playhead,
replacing the selection, or as new tracks), export (MIDI or WAV), drag out
as a .mid file, star to keep it through the next generations, delete.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from app.core.provenance import Provenance
from app.core.score import Score
from app.core.variations import badges, phrase_label
from app.ui.drag_out import DragOutButton
from app.ui.generation.boxes import STRETCH, column, row
from app.ui.generation.mini_roll import MiniRoll
from models.common.options import BY_NAME, CHOICE, FLOAT

INSERT_MODES = (("playhead", "Insert at Playhead"), ("selection", "Replace Selection"), ("tracks", "Insert as New Tracks"))
EXPORTS = ((".mid", "Export MIDI…"), (".wav", "Export WAV…"))
STYLE = """
VariationCard { background: #202328; border: 1px solid #30333b; border-radius: 4px; }
VariationCard[starred="true"] { border: 1px solid #f2a63b; }
VariationCard[playing="true"] { border: 1px solid #ff6a55; }
QLabel#badge { background: #2d3138; border-radius: 3px; padding: 0px 4px; color: #c9ced8; }
QLabel#details { color: #868c96; }
QToolButton#export::menu-indicator { image: none; width: 0px; }
"""


def describe(provenance: Provenance) -> str:
    """'markov · Temperature 1.10 · Top-p 0.90 · seed 1234': the model, its number and choice options by their
    label in the options table (those switched off left out), and the random seed."""
    parts = [provenance.model or "generated"]
    for name, value in provenance.options.items():
        option = BY_NAME.get(name)
        if option is not None and option.kind == CHOICE and isinstance(value, str) and value != option.off_value:
            parts.append(f"{option.label} {value}")
            continue
        if option is None or not isinstance(value, (int, float)) or value == option.off_value:
            continue
        parts.append(f"{option.label} {value:.{option.decimals}f}" if option.kind == FLOAT
                     else f"{option.label} {value}")
    if provenance.random_seed is not None:
        parts.append(f"seed {provenance.random_seed}")
    return " · ".join(parts)


class VariationCard(QFrame):
    """A generated variation and its controls (it reports clicks; the gallery acts)."""

    play_clicked = Signal(object)  # the card
    compare_clicked = Signal(object)
    insert_clicked = Signal(object, str)  # the card, one of INSERT_MODES' keys
    export_clicked = Signal(object, str)  # the card, ".mid" or ".wav"
    delete_clicked = Signal(object)
    starred_changed = Signal(object, bool)

    def __init__(self, score: Score, parent: QWidget | None = None, shown: Score | None = None,
                 where: str = "") -> None:
        """``shown``: what the mini roll and badges show instead of ``score`` (a regenerated selection's bars,
        named by ``where``, e.g. 'bars 5–8')."""
        super().__init__(parent)
        self.score = score
        prov = Provenance.of(score)
        shown = shown if shown is not None else score
        self.setStyleSheet(STYLE)
        self.setProperty("starred", False)
        self.title = QLabel(f"<b>Variation {prov.variation or ''}</b>" + (f" · {where}" if where else ""), self)
        self.details = QLabel(describe(prov), self)
        self.details.setObjectName("details")
        self.details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # elided by width
        self.star = self._button("☆", "Star: keep this variation when new ones are generated", checkable=True)
        self.delete = self._button("✕", "Remove this variation from the gallery")
        self.roll = MiniRoll(self, 54)
        self.roll.set_score(shown, prov.bars, "No notes")
        self.badges = self._badges(shown, prov)
        self.play = self._button("▶", "Play this variation (again to stop)")
        self.compare = self._button("A/B", "Compare with the sketch: each click switches at the same moment")
        self.insert = self._menu_button("Insert", INSERT_MODES, self.insert_clicked,
                                        "Insert into the score as one undoable step (menu: where)")
        self.insert.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.insert.clicked.connect(lambda: self.insert_clicked.emit(self, "playhead"))
        self.export = self._menu_button("Export ▾", EXPORTS, self.export_clicked, "Export this variation as MIDI or WAV")
        self.export.setObjectName("export")
        self.export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.drag = DragOutButton(lambda _what: (self.score, f"Variation {phrase_label(score)}"), self)
        self.drag.setMenu(None)
        self.drag.setPopupMode(QToolButton.ToolButtonPopupMode.DelayedPopup)
        self.drag.setToolTip("Drag into a DAW or a folder to drop this variation as a .mid file")
        self.setToolTip(self._tooltip(prov))
        self._lay_out()
        self.play.clicked.connect(lambda: self.play_clicked.emit(self))
        self.compare.clicked.connect(lambda: self.compare_clicked.emit(self))
        self.delete.clicked.connect(lambda: self.delete_clicked.emit(self))
        self.star.toggled.connect(self._on_star_toggled)

    def _button(self, text: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setAutoRaise(text in ("☆", "✕"))
        return button

    def _menu_button(self, text: str, entries, signal, tip: str) -> QToolButton:
        button = self._button(text, tip)
        menu = QMenu(button)
        for key, label in entries:
            menu.addAction(label, lambda k=key: signal.emit(self, k))
        button.setMenu(menu)
        return button

    def _badges(self, score: Score, prov: Provenance) -> list[QLabel]:
        found = badges(score, bars=prov.bars)
        texts = [
            (f"{found.notes} notes", "Notes in this variation"),
            (f"{len(found.pitch_classes)} pcs", f"Pitch classes used: {found.pitch_class_names or 'none'}"),
            (f"{found.in_key:.0%} in key" if found.in_key is not None else "— in key",
             f"Share of notes in {found.key}" if found.key else "No pitched notes"),
            (f"{found.empty_bars}/{found.bars} empty", "Bars with no note sounding"),
        ]
        labels = []
        for text, tip in texts:
            label = QLabel(text, self)
            label.setObjectName("badge")
            label.setToolTip(tip)
            labels.append(label)
        self.found = found
        return labels

    def _tooltip(self, prov: Provenance) -> str:
        sha = (prov.checkpoint_sha256 or "")[:12]
        seed = prov.seed or "no seed"
        return f"{describe(prov)}\nSeed: {seed}\nBars: {prov.bars or '?'}\nCheckpoint sha256: {sha}…"

    def _lay_out(self) -> None:
        column(row(self.title, (self.details, 1), self.star, self.delete, spacing=6), self.roll,
               row(*self.badges, STRETCH),
               row(self.play, self.compare, self.insert, self.export, self.drag, STRETCH),
               margins=(6, 4, 6, 6), parent=self)

    # -- state ---------------------------------------------------------------------------
    @property
    def starred(self) -> bool:
        return self.star.isChecked()

    def set_playing(self, side: str | None) -> None:
        """None: silent; '': playing; 'A' or 'B': comparing, that side sounding."""
        self.play.setText("■" if side == "" else "▶")
        self.compare.setText(f"A/B: {side}" if side in ("A", "B") else "A/B")
        self.setProperty("playing", side is not None)
        self.style().unpolish(self)
        self.style().polish(self)
        if side is None:
            self.roll.set_position(None)

    def _on_star_toggled(self, on: bool) -> None:
        self.star.setText("★" if on else "☆")
        self.setProperty("starred", on)
        self.style().unpolish(self)
        self.style().polish(self)
        self.starred_changed.emit(self, on)
