"""What a model is, as data: the ``SPEC`` every model folder exports from its ``__init__.py``.

A :class:`ModelSpec` names the model and says what it is for, which options
of the options table it takes, which seeds it accepts, which track roles it
writes, what it can do (train, resume, fine-tune, infill, accompany a lead), how it trains
(default data, size fields) and where its generator, trainer and evaluation
live. Entry points are ``"module:attribute"`` strings imported only when
used, so reading a spec never imports torch.

The registry (``models.registry``) finds specs in the bundled model folders
and in the ``cadenza.models`` entry-point group; the CLI, the Generate panel,
the Training dialog and ``cadenza eval`` read them, so no file outside a
model's folder names the model.

Pure: no torch, no Qt.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from typing import Any

from models.common.options import MODEL_OPTIONS

# What a model accepts as a seed.
MONOPHONIC, POLYPHONIC, MULTITRACK, DRUMS, ABC_TEXT, AUDIO = (
    "monophonic line", "polyphony", "several tracks", "drums", "ABC text", "audio")
SEED_KINDS = (MONOPHONIC, POLYPHONIC, MULTITRACK, DRUMS, ABC_TEXT, AUDIO)


@dataclass(frozen=True)
class EntryPoint:
    """A lazily imported ``module:attribute``."""

    target: str

    def load(self) -> Any:
        module, _, attribute = self.target.partition(":")
        value = importlib.import_module(module)
        for part in attribute.split(".") if attribute else ():
            value = getattr(value, part)
        return value


@dataclass(frozen=True)
class SizeOption:
    """A size field of the model's config that ``cadenza train`` and the Training dialog offer."""

    name: str  # the config field, e.g. "hidden"
    label: str  # "Hidden units"
    kind: str = "int"  # "int" or "choice"
    low: int = 1
    high: int = 8192
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class ExtraOption:
    """A training option of one model only (a string), e.g. which score track feeds which model track."""

    name: str
    label: str
    help: str
    metavar: str = "SPEC"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class TrainSpec:
    """How a model trains: ``entry`` takes a :class:`models.common.train_request.TrainRequest` and
    returns a generator of ``TrainProgress`` whose return value is the final metrics."""

    entry: EntryPoint
    default_data: tuple[str, ...]
    sizes: tuple[SizeOption, ...] = ()
    extras: tuple[ExtraOption, ...] = ()
    resume: bool = True
    fine_tune: bool = True
    hyperparameters: bool = True  # epochs, batch size, lr, steps, seed (False: one pass, e.g. counting)
    one_pass_words: str = ""  # why a one-pass model takes no hyperparameters, in the user's words

    def size(self, name: str) -> SizeOption | None:
        return next((s for s in self.sizes if s.name == name), None)


@dataclass(frozen=True)
class EvalSpec:
    """How ``cadenza eval`` measures the model: its data kind and the baseline fitted beside it.

    ``baseline`` is called as ``baseline(train, valid, evaluated_generator, data_specs)`` and returns a
    Generator fitted in memory on the same training split; ``None`` means the baseline model's own
    (the spec with ``is_baseline``: the project-wide bar a neural model must clear, whose name labels
    every baseline). ABC models name ``text_form``: the function that puts a tune in the normal form the
    model trains on.
    """

    data: str = "notes"  # "notes" (scores) or "abc" (tune texts)
    baseline: EntryPoint | None = None
    is_baseline: bool = False
    text_form: EntryPoint | None = None


@dataclass(frozen=True)
class ModelSpec:
    """Everything the program needs to know about one model, without loading it."""

    name: str
    architecture: str  # in words, "an LSTM over note and chord tokens"
    description: str  # one line
    good_for: str
    options: tuple[str, ...]  # names from models.common.options
    seeds: frozenset[str]
    roles: tuple[str, ...]  # the track roles it writes ("melody", "soprano", "drums", ...)
    generator: EntryPoint  # class(checkpoint_dir, device=...) -> models.common.generator.Generator
    training: TrainSpec | None = None
    evaluation: EvalSpec | None = None
    infill: bool = False
    accompanies: bool = False  # writes a band (drums, bass, comping, strings) around a lead: Add a Band offers it
    chords: bool = False  # follows chord symbols given with a band request (seed_text): Add a Band's Chords field
    audio_out: bool = False  # writes sound, not notes (the Audio Lab's models): the note generators' lists leave it out
    humanize: EntryPoint | None = None  # plays given notes expressively (Edit > Humanize): a function called as
    # f(loaded generator, notes, *, ppq, bpm, amount, random_seed, cancelled=None) -> notes (same pitches, same order)
    title: str = ""  # a short display name, "Note LSTM"; the name when empty
    checkpoint_dir: str = ""  # a plugin's own bundled checkpoint folder (bundled models: resources/checkpoints)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [o for o in self.options if o not in MODEL_OPTIONS]
        if unknown:
            raise ValueError(f"model {self.name!r} lists unknown options {unknown}")
        unknown_seeds = set(self.seeds) - set(SEED_KINDS)
        if unknown_seeds:
            raise ValueError(f"model {self.name!r} accepts unknown seed kinds {sorted(unknown_seeds)}")

    @property
    def display_name(self) -> str:
        return self.title or self.name

    @property
    def can_train(self) -> bool:
        return self.training is not None

    @property
    def can_resume(self) -> bool:
        return self.training is not None and self.training.resume

    @property
    def can_fine_tune(self) -> bool:
        return self.training is not None and self.training.fine_tune

    def takes(self, option: str) -> bool:
        return option in self.options


def card_spec(spec: ModelSpec, card: dict[str, Any]) -> ModelSpec:
    """``spec`` as one checkpoint plays it: its card (``config.json``) may say what this checkpoint accepts
    and can do where its model's checkpoints differ, with ``seeds`` (seed kinds) and ``accompanies`` (a model
    trained on the band corpus may hear drums and write a band where the same model trained on chorales does
    neither). The model list, the greying of models a seed does not fit, Add a Band and ``cadenza eval`` read
    it, without loading weights."""
    changes: dict[str, Any] = {}
    seeds = card.get("seeds")
    if isinstance(seeds, list) and seeds and set(seeds) <= set(SEED_KINDS):
        changes["seeds"] = frozenset(seeds)
    if isinstance(card.get("accompanies"), bool):
        changes["accompanies"] = card["accompanies"]
    return replace(spec, **changes) if changes else spec
