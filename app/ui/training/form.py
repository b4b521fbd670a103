"""The training form: model kind, dataset, start point, hyperparameters, device, name.

Defaults come from the bundled model of the chosen kind (its card's training
config and sizes). :meth:`TrainingForm.args` turns the form into the
``cadenza train`` arguments of a run.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit,
                               QPushButton, QSpinBox, QWidget)

from app.core.errors import CadenzaError
from app.services.training import TrainArgs, bundled_card, checkpoints_of

KINDS = {
    "note-lstm": "Note LSTM: piano lines and chords, with their rhythm",
    "abc-lstm": "ABC LSTM: folk tunes written as ABC (learns from .abc files)",
    "vae-nn": "VAE-NN: several voices at once (e.g. a four-part chorale)",
    "markov": "Markov chain: a quick baseline, trained in one pass",
}
CORPORA = {"corpus:chorales": "Bach chorales", "corpus:classical": "Classical piano and quartets",
           "corpus:folk-abc": "Folk tunes in ABC"}
FALLBACK_DATA = {"note-lstm": ["corpus:classical", "corpus:chorales"], "abc-lstm": ["corpus:folk-abc"],
                 "vae-nn": ["corpus:chorales"], "markov": ["corpus:classical", "corpus:chorales"]}
SIZE_OPTIONS = {"note-lstm": ("hidden", "layers"), "abc-lstm": ("hidden", "layers"), "vae-nn": ("hidden",),
                "markov": ()}
FALLBACK = {"epochs": 20, "batch_size": 64, "lr": 2e-3, "hidden": 256, "layers": 3}  # TrainConfig's defaults
FOLDER = "folder"
DEVICES = (("auto", "Automatic (the GPU when there is one)"), ("cpu", "CPU"), ("cuda", "GPU (CUDA)"),
           ("mps", "Apple GPU (MPS)"))
NO_FINE_TUNE = "The markov model has no fine-tuning: it counts its data afresh in one pass."
NO_HYPER = "The markov model trains in one pass and takes no hyperparameters."


def kind_available(kind: str) -> bool:
    """Whether the model's training code is installed (vae-nn arrives separately)."""
    return importlib.util.find_spec(f"models.{kind.replace('-', '_')}.train") is not None


class TrainingForm(QWidget):
    """What to train; ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for kind, text in KINDS.items():
            self.kind.addItem(text, kind)
        self.data = QComboBox()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("A folder of MIDI, ABC or MusicXML files (searched with its subfolders)")
        self.browse = QPushButton("Browse…")
        self.start_from = QComboBox()
        self.epochs, self.batch_size, self.max_steps, self.seed = (QSpinBox() for _ in range(4))
        self.hidden, self.layers = QSpinBox(), QSpinBox()
        self.lr = QDoubleSpinBox(decimals=5, singleStep=1e-4)
        for box, low, high in ((self.epochs, 1, 10_000), (self.batch_size, 1, 4096), (self.max_steps, 0, 10_000_000),
                               (self.seed, 0, 2**31 - 1), (self.hidden, 4, 8192), (self.layers, 1, 16)):
            box.setRange(low, high)
        self.lr.setRange(1e-5, 1.0)
        self.max_steps.setSpecialValueText("no cap")
        self.device = QComboBox()
        for value, text in DEVICES:
            self.device.addItem(text, value)
        self.name = QLineEdit()
        self._build()
        self._set_kind_enabled()
        self.set_devices(None)
        self._on_kind_changed()
        self.kind.currentIndexChanged.connect(self._on_kind_changed)  # first: the others react to its result
        for combo in (self.kind, self.data, self.start_from, self.device):
            combo.currentIndexChanged.connect(self.changed)
        for box in (self.epochs, self.batch_size, self.max_steps, self.seed, self.hidden, self.layers, self.lr):
            box.valueChanged.connect(self.changed)
        self.folder.textChanged.connect(self.changed)
        self.data.currentIndexChanged.connect(self._on_data_changed)
        self.start_from.currentIndexChanged.connect(self._on_start_from_changed)
        self.browse.clicked.connect(self._on_browse_clicked)

    def _build(self) -> None:
        """What and where on the left, the hyperparameters on the right."""
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(self.browse)
        what, how = QFormLayout(), QFormLayout()
        for form, rows in ((what, (("Model", self.kind), ("Dataset", self.data), ("", folder_row),
                                   ("Start from", self.start_from), ("Device", self.device), ("Save as", self.name))),
                           (how, (("Epochs", self.epochs), ("Batch size", self.batch_size), ("Learning rate", self.lr),
                                  ("Stop after steps", self.max_steps), ("Random seed", self.seed),
                                  ("Hidden units", self.hidden), ("Layers", self.layers)))):
            for label, field in rows:
                form.addRow(label, field)
        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addLayout(what, 3)
        columns.addSpacing(12)
        columns.addLayout(how, 2)

    def _set_kind_enabled(self) -> None:
        model: QStandardItemModel = self.kind.model()
        for row in range(self.kind.count()):
            kind = self.kind.itemData(row)
            if not kind_available(kind):
                model.item(row).setEnabled(False)
                model.item(row).setToolTip(f"The {kind} model's training is not installed in this build.")

    # -- reactions ------------------------------------------------------------------
    def model_kind(self) -> str:
        return self.kind.currentData()

    def _on_kind_changed(self) -> None:
        kind = self.model_kind()
        card = bundled_card(kind) or {}
        training, config = card.get("training", {}), card.get("config", {})
        defaults = dict(FALLBACK, **{k: v for k, v in training.get("config", {}).items() if k in FALLBACK},
                        **{k: v for k, v in config.items() if k in ("hidden", "layers")})
        for name in ("epochs", "batch_size", "lr", "hidden", "layers"):
            getattr(self, name).setValue(defaults[name])
        self.max_steps.setValue(0)
        self.seed.setValue(0)
        self._fill_data(list(training.get("data") or FALLBACK_DATA[kind]))
        self._fill_start_from(kind)
        self.name.setText(f"{kind}-{time.strftime('%Y%m%d-%H%M')}")
        self._update_enabled()

    def _fill_data(self, default: list[str]) -> None:
        self.data.blockSignals(True)
        self.data.clear()
        if len(default) > 1:
            self.data.addItem("Like the bundled model: " + " + ".join(CORPORA.get(s, s) for s in default), default)
        for spec, text in CORPORA.items():
            self.data.addItem(f"{text} (bundled)", [spec])
        self.data.addItem("A folder of my files…", FOLDER)
        self.data.setCurrentIndex(0 if len(default) > 1 else max(0, self.data.findData(default[:1])))
        self.data.blockSignals(False)
        self._on_data_changed()

    def _fill_start_from(self, kind: str) -> None:
        self.start_from.blockSignals(True)
        self.start_from.clear()
        self.start_from.addItem("Scratch (new weights)", "")
        if kind != "markov":
            for name, path, bundled in checkpoints_of(kind):
                self.start_from.addItem(f"Fine-tune {name} ({'bundled' if bundled else 'yours'})", str(path))
        self.start_from.blockSignals(False)

    def _on_data_changed(self) -> None:
        on = self.data.currentData() == FOLDER
        self.folder.setEnabled(on)
        self.browse.setEnabled(on)

    def _on_start_from_changed(self) -> None:
        self._update_enabled()

    def _update_enabled(self) -> None:
        kind = self.model_kind()
        markov, tuning = kind == "markov", bool(self.start_from.currentData())
        self.start_from.setEnabled(not markov)
        self.start_from.setToolTip(NO_FINE_TUNE if markov else "Fine-tuning starts from a checkpoint's weights, "
                                   "sizes and vocabulary")
        for box in (self.epochs, self.batch_size, self.lr, self.max_steps, self.seed):
            box.setEnabled(not markov)
            box.setToolTip(NO_HYPER if markov else "")
        for name in ("hidden", "layers"):
            box = getattr(self, name)
            own = name in SIZE_OPTIONS[kind]
            box.setEnabled(own and not tuning)
            box.setToolTip(NO_HYPER if markov else f"The {kind} model has no such size." if not own else
                           "A fine-tuned model keeps its base's sizes." if tuning else "")

    def _on_browse_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of MIDI, ABC or MusicXML files", self.folder.text())
        if path:
            self.folder.setText(path)

    # -- devices -------------------------------------------------------------------
    def set_devices(self, available: list[str] | None) -> None:
        """Enable the devices found (``None``: still looking); the others say why they are off."""
        model: QStandardItemModel = self.device.model()
        for row, (value, _) in enumerate(DEVICES):
            item = model.item(row)
            on = value in ("auto", "cpu") or (available is not None and value in available)
            item.setEnabled(on)
            item.setToolTip("" if on else "Looking for a GPU…" if available is None else
                            "There is no CUDA GPU on this machine." if value == "cuda" else
                            "Apple's MPS device is not available on this machine.")
        if not model.item(self.device.currentIndex()).isEnabled():
            self.device.setCurrentIndex(0)
        self.available = available

    def device_kind(self) -> str:
        """The device the run will use (``auto`` resolved as the training does: CUDA, MPS, then CPU)."""
        chosen = self.device.currentData()
        return (self.available or ["cpu"])[0] if chosen == "auto" else chosen

    # -- the run ---------------------------------------------------------------------
    def data_specs(self) -> list[str]:
        chosen = self.data.currentData()
        return [self.folder.text().strip()] if chosen == FOLDER else list(chosen)

    def sizes_are_default(self) -> bool:
        card = bundled_card(self.model_kind()) or {}
        return all(getattr(self, n).value() == card.get("config", {}).get(n, FALLBACK[n])
                   for n in SIZE_OPTIONS[self.model_kind()]) or bool(self.start_from.currentData())

    def args(self, models_dir: Path) -> TrainArgs:
        """The run's arguments; CadenzaError with one sentence when the form is not complete."""
        kind, specs, name = self.model_kind(), self.data_specs(), self.name.text().strip()
        if not specs[0]:
            raise CadenzaError("Choose the folder of MIDI, ABC or MusicXML files to learn from.")
        if not name or Path(name).name != name or name.startswith("."):
            raise CadenzaError("Give the new model a name (a plain file name, without slashes).")
        if (models_dir / name).exists():
            raise CadenzaError(f"There is already a model called '{name}'; choose another name.")
        args = TrainArgs(kind, specs, str(models_dir / name), device=self.device.currentData())
        if kind == "markov":
            return args
        args.epochs, args.batch_size, args.lr = self.epochs.value(), self.batch_size.value(), self.lr.value()
        args.max_steps, args.seed = self.max_steps.value() or None, self.seed.value()
        args.fine_tune = self.start_from.currentData() or ""
        if not args.fine_tune:
            for size in SIZE_OPTIONS[kind]:
                setattr(args, size, getattr(self, size).value())
        return args
