"""The training form: model, dataset, start point, hyperparameters, sizes, device, name.

Everything model-specific comes from the model specs (``models.registry``):
the models offered (those that can train: title and what each is good for),
their default data, their size fields (a field a model lacks is greyed out
with the reason, a choice such as the recurrent cell is hidden), their own
options, whether they take hyperparameters and whether they can be
fine-tuned. Defaults come from the bundled model's card where there is one.
:meth:`TrainingForm.args` turns the form into the ``cadenza train``
arguments of a run.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit,
                               QPushButton, QSpinBox, QWidget)

from app.core.errors import CadenzaError
from app.services.training import TrainArgs, bundled_card, checkpoints_of
from models.common.spec import ModelSpec, SizeOption
from models.registry import model_specs

CORPORA = {"corpus:chorales": "Bach chorales", "corpus:classical": "Classical piano and quartets",
           "corpus:folk-abc": "Folk tunes in ABC", "corpus:palestrina": "Palestrina masses (vocal polyphony)",
           "corpus:piano-midi": "Expressive piano performances (piano-midi.de)",
           "corpus:band": "Band: drums, bass, guitar, piano, strings and a melody (made with MMA)"}
FALLBACK = {"epochs": 20, "batch_size": 64, "lr": 2e-3}  # TrainConfig's defaults
HYPERPARAMETER_FIELDS = ("epochs", "batch_size", "lr", "max_steps", "seed")
CHECKPOINT_EVERY = 200  # steps: the training loop's default
CHECKPOINT_UNITS = (("steps", ""), ("minutes", "m"))
CHECKPOINT_HELP = ("How often the run's state is saved: quitting, a crash or a power cut loses at most this much, "
                   "and Resume continues from there.")
FOLDER = "folder"
MODEL_DEFAULT = "model's default"  # an int size field at its lowest: the model's own default
DEVICES = (("auto", "Automatic (the GPU when there is one)"), ("cpu", "CPU"), ("cuda", "GPU (CUDA)"),
           ("mps", "Apple GPU (MPS)"))


def trainable_specs() -> list[ModelSpec]:
    """The models that can train, in the registry's order."""
    return [s for s in model_specs() if s.can_train]


def spec_named(name: str) -> ModelSpec | None:
    """The spec of model ``name`` (None when it is not installed any more)."""
    return next((s for s in model_specs() if s.name == name), None)


def training_installed(spec: ModelSpec) -> bool:
    """Whether the model's training code is importable in this build."""
    module = spec.training.entry.target.partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def one_pass_sentence(spec: ModelSpec) -> str:
    """Why a model takes no hyperparameters: 'The X model trains in one pass...'."""
    return f"The {spec.name} model {spec.training.one_pass_words or 'trains in one pass'}."


def no_fine_tuning_sentence(spec: ModelSpec) -> str:
    words = spec.training.one_pass_words if spec.training is not None else ""
    return f"The {spec.name} model has no fine-tuning" + (f": it {words}." if words else ".")


class TrainingForm(QWidget):
    """What to train; ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs = {s.name: s for s in trainable_specs()}
        self.kind = QComboBox()
        for spec in self.specs.values():
            self.kind.addItem(f"{spec.display_name}: {spec.good_for}", spec.name)
        self.data = QComboBox()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("A folder of MIDI, ABC or MusicXML files (searched with its subfolders)")
        self.browse = QPushButton("Browse…")
        self.start_from = QComboBox()
        self.epochs, self.batch_size, self.max_steps, self.seed = (QSpinBox() for _ in range(4))
        self.lr = QDoubleSpinBox(decimals=5, singleStep=1e-4)
        for box, low, high in ((self.epochs, 1, 10_000), (self.batch_size, 1, 4096), (self.max_steps, 0, 10_000_000),
                               (self.seed, 0, 2**31 - 1)):
            box.setRange(low, high)
        self.lr.setRange(1e-5, 1.0)
        self.max_steps.setSpecialValueText("no cap")
        self.checkpoint_every = QSpinBox(minimum=1, maximum=10_000_000, value=CHECKPOINT_EVERY)
        self.checkpoint_unit = QComboBox()
        for text, suffix in CHECKPOINT_UNITS:
            self.checkpoint_unit.addItem(text, suffix)
        self.size_fields: dict[str, QSpinBox | QComboBox] = {}  # every size field of every model, by name
        self.size_labels: dict[str, str] = {}
        self.extra_fields: dict[str, QLineEdit] = {}  # every model's own options, by name
        self.extra_labels: dict[str, str] = {}
        self._make_model_fields()
        self.device = QComboBox()
        for value, text in DEVICES:
            self.device.addItem(text, value)
        self.name = QLineEdit()
        self._build()
        self._set_kind_enabled()
        self.set_devices(None)
        self._on_kind_changed()
        self.kind.currentIndexChanged.connect(self._on_kind_changed)  # first: the others react to its result
        for combo in (self.kind, self.data, self.start_from, self.device, self.checkpoint_unit):
            combo.currentIndexChanged.connect(self.changed)
        for box in (self.epochs, self.batch_size, self.max_steps, self.seed, self.lr, self.checkpoint_every):
            box.valueChanged.connect(self.changed)
        for field in self.size_fields.values():
            (field.valueChanged if isinstance(field, QSpinBox) else field.currentIndexChanged).connect(self.changed)
        for edit in (self.folder, *self.extra_fields.values()):
            edit.textChanged.connect(self.changed)
        self.data.currentIndexChanged.connect(self._on_data_changed)
        self.start_from.currentIndexChanged.connect(self._on_start_from_changed)
        self.browse.clicked.connect(self._on_browse_clicked)

    def _make_model_fields(self) -> None:
        """One field per size option and per own option of any model (shared names share the field)."""
        for spec in self.specs.values():
            for size in spec.training.sizes:
                if size.name not in self.size_fields:
                    self.size_fields[size.name] = QComboBox() if size.kind == "choice" else QSpinBox()
                    self.size_labels[size.name] = size.label
            for extra in spec.training.extras:
                if extra.name not in self.extra_fields:
                    self.extra_fields[extra.name] = QLineEdit(placeholderText=MODEL_DEFAULT)
                    self.extra_labels[extra.name] = extra.label

    def _build(self) -> None:
        """What and where on the left, the hyperparameters and sizes on the right."""
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(self.browse)
        checkpoint_row = QHBoxLayout()
        checkpoint_row.addWidget(self.checkpoint_every, 1)
        checkpoint_row.addWidget(self.checkpoint_unit)
        self.what, self.how = QFormLayout(), QFormLayout()
        extras = tuple((self.extra_labels[n], f) for n, f in self.extra_fields.items())
        sizes = tuple((self.size_labels[n], f) for n, f in self.size_fields.items())
        for form, rows in ((self.what, (("Model", self.kind), ("Dataset", self.data), ("", folder_row), *extras,
                                        ("Start from", self.start_from), ("Device", self.device),
                                        ("Save as", self.name))),
                           (self.how, (("Epochs", self.epochs), ("Batch size", self.batch_size),
                                       ("Learning rate", self.lr), ("Stop after steps", self.max_steps),
                                       ("Random seed", self.seed), ("Checkpoint every", checkpoint_row),
                                       *sizes))):
            for label, field in rows:
                form.addRow(label, field)
        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addLayout(self.what, 3)
        columns.addSpacing(12)
        columns.addLayout(self.how, 2)

    def _set_kind_enabled(self) -> None:
        model: QStandardItemModel = self.kind.model()
        for row in range(self.kind.count()):
            spec = self.specs[self.kind.itemData(row)]
            if not training_installed(spec):
                model.item(row).setEnabled(False)
                model.item(row).setToolTip(f"The {spec.name} model's training is not installed in this build.")

    # -- reactions ------------------------------------------------------------------
    def model_kind(self) -> str:
        return self.kind.currentData()

    def spec(self) -> ModelSpec:
        """The spec of the model chosen."""
        return self.specs[self.model_kind()]

    def _defaults(self) -> dict[str, Any]:
        """The bundled model's settings and sizes (TrainConfig's defaults where it has none)."""
        card = bundled_card(self.model_kind()) or {}
        trained = card.get("training", {}).get("config", {})
        return dict(FALLBACK, **{k: v for k, v in trained.items() if k in FALLBACK}, **card.get("config", {}))

    def _on_kind_changed(self) -> None:
        spec, defaults = self.spec(), self._defaults()
        for name in FALLBACK:
            getattr(self, name).setValue(defaults[name])
        self.max_steps.setValue(0)
        self.seed.setValue(0)
        self.checkpoint_every.setValue(CHECKPOINT_EVERY)
        self.checkpoint_unit.setCurrentIndex(0)
        for name, field in self.size_fields.items():
            self._reset_size(field, spec.training.size(name), defaults.get(name))
        for name, edit in self.extra_fields.items():
            edit.clear()
            own = next((e for e in spec.training.extras if e.name == name), None)
            edit.setToolTip(own.help if own else "")
            self.what.setRowVisible(edit, own is not None)
        self._fill_data(list(spec.training.default_data))
        self._fill_start_from(spec)
        self.name.setText(f"{spec.name}-{time.strftime('%Y%m%d-%H%M')}")
        self._update_enabled()

    def _reset_size(self, field: QSpinBox | QComboBox, size: SizeOption | None, default: Any) -> None:
        """A size field set up for the model's own option (its range or choices, the bundled value)."""
        field.blockSignals(True)
        if isinstance(field, QComboBox):
            field.clear()
            for choice in size.choices if size else ():
                field.addItem(choice, choice)
            field.setCurrentIndex(max(0, field.findData(default)))
            self.how.setRowVisible(field, size is not None)  # a choice the model lacks has no meaning here
        elif size is not None:
            field.setSpecialValueText(MODEL_DEFAULT)
            field.setRange(size.low - 1, size.high)  # the lowest value reads "model's default"
            field.setValue(int(default) if isinstance(default, int) else size.low - 1)
        field.setToolTip(size.help if size else "")
        field.blockSignals(False)

    def _fill_data(self, default: list[str]) -> None:
        self.data.blockSignals(True)
        self.data.clear()
        own = len(default) > 1 or (default and default[0] not in CORPORA)
        if own:
            self.data.addItem("The model's own data: " + " + ".join(CORPORA.get(s, s) for s in default), default)
        for spec, text in CORPORA.items():
            self.data.addItem(f"{text} (bundled)", [spec])
        self.data.addItem("A folder of my files…", FOLDER)
        self.data.setCurrentIndex(0 if own else max(0, self.data.findData(default[:1])))
        self.data.blockSignals(False)
        self._on_data_changed()

    def _fill_start_from(self, spec: ModelSpec) -> None:
        self.start_from.blockSignals(True)
        self.start_from.clear()
        self.start_from.addItem("Scratch (new weights)", "")
        if spec.can_fine_tune:
            for name, path, bundled in checkpoints_of(spec.name):
                self.start_from.addItem(f"Fine-tune {name} ({'bundled' if bundled else 'yours'})", str(path))
        self.start_from.blockSignals(False)

    def _on_data_changed(self) -> None:
        on = self.data.currentData() == FOLDER
        self.folder.setEnabled(on)
        self.browse.setEnabled(on)

    def _on_start_from_changed(self) -> None:
        self._update_enabled()

    def _update_enabled(self) -> None:
        spec = self.spec()
        stepped, tuning = spec.training.hyperparameters, bool(self.start_from.currentData())
        self.start_from.setEnabled(spec.can_fine_tune)
        self.start_from.setToolTip("Fine-tuning starts from a checkpoint's weights, sizes and vocabulary"
                                   if spec.can_fine_tune else no_fine_tuning_sentence(spec))
        for name in HYPERPARAMETER_FIELDS:
            box = getattr(self, name)
            box.setEnabled(stepped)
            box.setToolTip("" if stepped else one_pass_sentence(spec))
        for box in (self.checkpoint_every, self.checkpoint_unit):
            box.setEnabled(stepped)
            box.setToolTip(CHECKPOINT_HELP if stepped else one_pass_sentence(spec))
        for name, field in self.size_fields.items():
            own = spec.training.size(name) is not None
            field.setEnabled(own and stepped and not tuning)
            if not own:
                field.setToolTip(f"The {spec.name} model has no such size.")
            elif tuning:
                field.setToolTip("A fine-tuned model keeps its base's sizes.")
            elif not stepped:
                field.setToolTip(one_pass_sentence(spec))

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

    def size_values(self) -> dict[str, Any]:
        """The chosen model's sizes as given (a number at "model's default" is left out)."""
        values = {}
        for size in self.spec().training.sizes:
            field = self.size_fields[size.name]
            if isinstance(field, QComboBox):
                values[size.name] = field.currentData()
            elif field.value() != field.minimum():
                values[size.name] = field.value()
        return values

    def sizes_are_default(self) -> bool:
        """Whether the sizes are the bundled model's (its card's time estimate then applies)."""
        if self.start_from.currentData():
            return True
        config = (bundled_card(self.model_kind()) or {}).get("config", {})
        first = {s.name: s.choices[0] for s in self.spec().training.sizes if s.choices}  # a card from before a choice
        return all(config.get(name, first.get(name)) == value for name, value in self.size_values().items())

    def checkpoint_interval(self) -> str | None:
        """``--checkpoint-every``: "500" (steps) or "10m" (minutes); None at the default (200 steps)."""
        value, suffix = self.checkpoint_every.value(), self.checkpoint_unit.currentData()
        return None if (value, suffix) == (CHECKPOINT_EVERY, "") else f"{value}{suffix}"

    def args(self, models_dir: Path) -> TrainArgs:
        """The run's arguments; CadenzaError with one sentence when the form is not complete."""
        spec, specs, name = self.spec(), self.data_specs(), self.name.text().strip()
        if not specs[0]:
            raise CadenzaError("Choose the folder of MIDI, ABC or MusicXML files to learn from.")
        if not name or Path(name).name != name or name.startswith("."):
            raise CadenzaError("Give the new model a name (a plain file name, without slashes).")
        if (models_dir / name).exists():
            raise CadenzaError(f"There is already a model called '{name}'; choose another name.")
        args = TrainArgs(spec.name, specs, str(models_dir / name), device=self.device.currentData())
        args.extras = {e.name: self.extra_fields[e.name].text().strip() for e in spec.training.extras
                       if self.extra_fields[e.name].text().strip()}
        if not spec.training.hyperparameters:
            return args
        args.epochs, args.batch_size, args.lr = self.epochs.value(), self.batch_size.value(), self.lr.value()
        args.max_steps, args.seed = self.max_steps.value() or None, self.seed.value()
        args.checkpoint_every = self.checkpoint_interval()
        args.fine_tune = (self.start_from.currentData() or "") if spec.can_fine_tune else ""
        if not args.fine_tune:
            args.sizes = self.size_values()
        return args
