"""A trained model's card, and "compare with the base model".

The comparison generates from the new model and its base (the checkpoint it
was fine-tuned from, else the bundled model of the same kind) with the same
random seed, length and temperature, on the TaskRunner, and shows both as
small note pictures that play through the editor's Player.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from app.core.score import Score
from app.services.training import compare_job
from app.services.training_estimate import format_duration
from app.tasks import TaskKind
from app.ui.panels.track_colours import track_colour
from models.common.options import option
from models.registry import model_specs

COMPARE_KIND = TaskKind.TRAINING_COMPARE
TEMPERATURE = option("temperature")  # the one options table's range and default


def card_summary(name: str, card: dict[str, Any]) -> str:
    """The card's main facts as a few lines of rich text."""
    training, metrics = card.get("training", {}), card.get("metrics", {})
    lines = [f"<b>{name}</b> — {card.get('arch')} model, {card.get('parameters', 0):,} parameters"]
    lines.append("Data: " + ", ".join(str(d) for d in training.get("data", [])))
    steps = f"{training['steps']} steps, " if training.get("steps") is not None else ""
    lines.append(f"Training: {steps}{format_duration(training.get('seconds') or 0)} on {training.get('device', '?')}")
    base = training.get("fine_tuned_from")
    if base:
        lines.append(f"Fine-tuned from {base.get('name')} (sha256 {str(base.get('weights_sha256'))[:12]}…)")
    shown = ", ".join(f"{k.replace('_', ' ')} {v:.4g}" if isinstance(v, float) else f"{k.replace('_', ' ')} {v}"
                      for k, v in sorted(metrics.items()) if v is not None)
    lines.append("Metrics: " + (shown or "none measured (no held-out pieces in this data)"))
    if training.get("held_out"):  # a small folder: how it was split, or why nothing could be measured
        lines.append(str(training["held_out"]))
    lines.append(f"Weights sha256 {str(card.get('weights_sha256', ''))[:16]}…")
    return "<br>".join(lines)


class ScorePreview(QWidget):
    """Notes as small bars, one colour per track (a light painter, not the piano roll)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.score: Score | None = None
        self.setMinimumSize(260, 90)

    def set_score(self, score: Score | None) -> None:
        self.score = score
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1d2024"))
        notes = [(i, n) for i, t in enumerate(self.score.tracks) for n in t.notes] if self.score else []
        if not notes:
            painter.setPen(QColor("#a9b0ba"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no notes yet")
            return
        low, high = min(n.pitch for _, n in notes) - 1, max(n.pitch for _, n in notes) + 1
        end = max(1, self.score.end)
        w, h = self.width(), self.height()
        row = h / (high - low + 1)
        for track, note in notes:
            x, width = note.start / end * w, max(1.5, note.duration / end * w)
            painter.fillRect(QRectF(x, (high - note.pitch) * row, width, max(1.5, row)), track_colour(track))


class CompareView(QWidget):
    """Generate from the new model and its base with the same seed and settings; show and play both."""

    compared = Signal(list)  # [new model's score, base model's score]

    def __init__(self, runner, player=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.player = runner, player
        self.folders: list[Path] = []
        self.scores: list[Score] = []
        self.seed = QSpinBox(maximum=2**31 - 1)
        self.bars = QSpinBox(minimum=1, maximum=64, value=8)
        self.temperature = QDoubleSpinBox(minimum=TEMPERATURE.low, maximum=TEMPERATURE.high, singleStep=0.05,
                                          value=TEMPERATURE.default)
        self.temperature.setToolTip(TEMPERATURE.tooltip)
        self.generate = QPushButton("Compare with the base model")
        self.generate.clicked.connect(self.start)
        self.status = QLabel(wordWrap=True)
        controls = QHBoxLayout()
        for text, widget in (("Random seed", self.seed), ("Bars", self.bars), ("Temperature", self.temperature)):
            controls.addWidget(QLabel(text))
            controls.addWidget(widget)
        controls.addWidget(self.generate)
        grid = QGridLayout()
        self.titles, self.previews, self.plays = [], [], []
        for column in range(2):
            title, preview, play = QLabel(), ScorePreview(), QPushButton("Play")
            play.setEnabled(False)
            play.clicked.connect(lambda _=False, c=column: self._on_play_clicked(c))
            grid.addWidget(title, 0, column)
            grid.addWidget(preview, 1, column)
            grid.addWidget(play, 2, column)
            self.titles.append(title)
            self.previews.append(preview)
            self.plays.append(play)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(grid)
        layout.addWidget(self.status)

    def set_models(self, new: Path, base: Path | None, arch: str = "") -> None:
        """The two checkpoints to compare (without a base, the button says why it is off); ``arch`` is the
        new model's, whose spec says whether it takes a temperature."""
        self.folders = [new] + ([base] if base else [])
        spec = next((s for s in model_specs() if s.name == arch), None)
        self.temperature.setEnabled(spec is None or spec.takes(TEMPERATURE.name))
        self.temperature.setToolTip(TEMPERATURE.tooltip if self.temperature.isEnabled() else
                                    f"The {arch} model has no temperature.")
        self.generate.setEnabled(base is not None)
        self.generate.setToolTip("" if base else "There is no base model of this kind to compare with.")
        for title, folder, label in zip(self.titles, (new, base), ("new", "base")):
            title.setText(f"{label}: {folder.name}" if folder else "")
        self.scores = []
        for preview, play in zip(self.previews, self.plays):
            preview.set_score(None)
            play.setEnabled(False)

    def start(self) -> None:
        if len(self.folders) != 2:
            return
        self.generate.setEnabled(False)
        self.status.setText("Generating from both models with the same seed and settings…")
        self.runner.start(COMPARE_KIND, compare_job, self.folders, self.bars.value(), self.temperature.value(),
                          self.seed.value(), on_result=self._on_task_result, on_error=self._on_task_error)

    def _on_task_result(self, scores: list[Score]) -> None:
        self.scores = list(scores)
        self.generate.setEnabled(True)
        for preview, play, score in zip(self.previews, self.plays, self.scores):
            preview.set_score(score)
            play.setEnabled(self.player is not None)
            play.setToolTip("" if self.player is not None else "Open this dialog from the editor to listen.")
        temperature = f", temperature {self.temperature.value():g}" if self.temperature.isEnabled() else ""
        self.status.setText(f"Random seed {self.seed.value()}, {self.bars.value()} bars{temperature} for both.")
        self.compared.emit(self.scores)

    def _on_task_error(self, message: str) -> None:
        self.generate.setEnabled(True)
        self.status.setText(message)

    def _on_play_clicked(self, column: int) -> None:
        if self.player is not None and column < len(self.scores):
            score = self.scores[column]
            provider: Callable[[], Score] = lambda: score
            self.player.play(provider, 0)
