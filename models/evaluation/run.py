"""``evaluate``: a model's pieces from held-out seeds against the held-out split, beside two baselines.

A Python generator, like generation and training: it yields
:class:`~models.common.generator.Progress` (one step per generated piece) and
returns the report, so the GUI can run it in a worker and the CLI prints it.

The report holds the fields of ``summary.summarize`` for the model, and under
``baselines`` the same fields for

* the baseline (keyed by the baseline model's name, see
  ``models.common.spec.EvalSpec``): fitted in the same run on the same
  training split, generating from the same seeds with the same random seeds;
* ``train_vs_heldout``: excerpts of the training split itself against the
  held-out split, the ceiling a model can reach. Its ``longest_copied_run``
  is that of the held-out pieces against the training split: how much unseen
  music shares with the training set by chance.

``reference`` describes the held-out pieces (feature means, track metrics,
in-key share) for comparison. On ``corpus:band``, ``band`` holds MuseGAN's
metrics per role for every model that accompanies (``models.evaluation.band``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Generator as PyGenerator, Sequence

from app.core.errors import GenerationError
from app.core.provenance import Provenance
from app.core.score import Score
from models.common.generator import GenerationRequest, Generator, Progress
from models.common.spec import EvalSpec, ModelSpec
from models.evaluation.band import BAND_DATA, band_report
from models.evaluation.data import EvalData, Seed, load_abc_data, load_note_data
from models.evaluation.summary import abc_tune_valid, copy_runs, describe, score_valid, summarize
from models.metrics import SCALAR_FEATURES, piece_features
from models.metrics.expression import controls_summary, expression_report

EvalRun = PyGenerator[Progress, None, dict]


@dataclass(frozen=True)
class EvalOptions:
    """What to evaluate and how much: ``samples`` pieces of ``bars`` bars after ``seed_bars`` seed bars."""

    model: str | None = None
    checkpoint: str | None = None
    samples: int = 32
    bars: int = 8
    seed_bars: int = 2
    random_seed: int = 0
    device: str = "auto"
    data: tuple[str, ...] = ()  # measure on these datasets' held-out splits instead of the card's training data

    def check(self) -> None:
        if not 2 <= self.samples <= 1000:
            raise GenerationError("An evaluation needs between 2 and 1,000 samples.")
        if not 1 <= self.bars <= 64 or not 1 <= self.seed_bars <= 16:
            raise GenerationError("Evaluate 1 to 64 bars after 1 to 16 seed bars.")


def _generate(gen: Generator, seeds: Sequence[Seed], options: EvalOptions, done: int, total: int,
              label: str) -> PyGenerator[Progress, None, list[Score]]:
    """One piece per seed, with random seeds ``random_seed + i``."""
    pieces = []
    for i, seed in enumerate(seeds):
        request = GenerationRequest(seed=seed.score, seed_text=seed.text, bars=options.bars, variations=1,
                                    random_seed=options.random_seed + i, device=options.device)
        run = gen.generate(request)
        while True:
            try:
                next(run)
            except StopIteration as stop:
                pieces += list(stop.value)
                break
        yield Progress(done + i + 1, total, f"{label}: piece {i + 1} of {len(seeds)}")
    return pieces


def _validity(pieces: Sequence[Score], bars: int, abc: bool, texts: Sequence[str] | None = None) -> list[bool]:
    """Each piece's validity: ABC tunes by their text (``texts``, else the generated text in the provenance)."""
    if abc:
        texts = texts if texts is not None else [Provenance.of(p).abc or "" for p in pieces]
        return [abc_tune_valid(t) for t in texts]
    return [score_valid(p, bars) for p in pieces]


def evaluate(options: EvalOptions) -> EvalRun:
    """Generate, fit the baseline, measure; yields Progress, returns the report."""
    from models.registry import baseline_spec, get_spec, load_generator

    options.check()
    started = time.perf_counter()
    n = options.samples
    total = 2 * n + 4
    yield Progress(0, total, "loading the model")
    gen = load_generator(options.model, options.checkpoint, options.device)
    specs = list(options.data or gen.card.get("training", {}).get("data") or [])
    if not specs:
        raise GenerationError("The model card names no training data (training.data), so there is no held-out split.")
    spec, base = get_spec(gen.card["arch"]), baseline_spec()
    how = spec.evaluation or EvalSpec()
    abc = how.data == "abc"
    label = base.name if base is not None else "baseline"
    yield Progress(1, total, f"loading the held-out and training splits of {', '.join(specs)}")
    data = (load_abc_data(specs, n, options.bars, options.random_seed, how.text_form.load()) if abc
            else load_note_data(specs, n, options.bars, options.seed_bars, options.random_seed))
    pieces = yield from _generate(gen, data.seeds, options, 1, total, "generating")
    yield Progress(n + 2, total, f"fitting the {label} baseline on the training split")
    fitted = _baseline(spec, base).load()(data.baseline_train, data.baseline_valid, gen, specs)
    baseline_pieces = yield from _generate(fitted, data.seeds, options, n + 2, total, f"{label} baseline")
    yield Progress(2 * n + 3, total, "measuring")
    sets = {"model": pieces, label: baseline_pieces, "training split": data.train_pieces, "held-out": data.reference}
    features = {label: [piece_features(p) for p in found] for label, found in sets.items()}  # each piece once
    reference = features["held-out"]
    name = options.model or gen.card.get("name", gen.name)
    report = {
        **summarize(name, pieces, _validity(pieces, options.bars, abc), reference, options.bars,
                    copy_runs(pieces, data.copy_index), features["model"]),
        "checkpoint": str(gen.checkpoint_dir) if gen.checkpoint_dir else None,
        "data": specs, "options": asdict(options),
        "baselines": _baselines(data, label, baseline_pieces, features, options.bars, abc),
        "reference": {"split": "test", "pieces": len(data.reference), "splits": data.counts,
                      "metrics": describe(data.reference, options.bars, reference)},
        # each scalar feature per piece, for the plots of the distributions
        "distributions": {label: _scalars(found) for label, found in features.items()},
        # how the pieces are played: velocity and IOI-deviation overlaps against the held-out pieces
        "expression": expression_report({k: v for k, v in sets.items() if k != "held-out"}, data.reference),
    }
    controls = controls_summary([Provenance.of(p).extra.get("controls") for p in pieces])
    if controls is not None:  # a model conditioned on controls: what its pieces asked for against what they played
        report["controls"] = controls
    if list(specs) == [BAND_DATA]:  # band pieces: MuseGAN's metrics per role, every model that accompanies too
        # (a model trained on more than the band is measured so with --data corpus:band)
        generated = {name: (gen, pieces), (label if label != name else f"{label} baseline"): (fitted, baseline_pieces)}
        report["band"] = yield from band_report(
            options, data, generated, lambda g, what: _generate(g, data.seeds, options, 0, 0, what))
    report["seconds"] = round(time.perf_counter() - started, 1)
    yield Progress(total, total, "done")
    return report


def _scalars(features: Sequence[dict]) -> dict[str, list[float]]:
    """Each scalar feature's value per piece, from the pieces' features."""
    return {name: [round(float(f[name][0]), 4) for f in features] for name in SCALAR_FEATURES}


def _baseline(spec: ModelSpec, base: ModelSpec | None):
    """The entry point fitting the baseline of ``spec``: its own, else the baseline model's."""
    own = spec.evaluation.baseline if spec.evaluation else None
    fallback = base.evaluation.baseline if base is not None and base.evaluation else None
    if own is None and fallback is None:
        raise GenerationError(f"The {spec.name} model names no baseline to be evaluated against.")
    return own or fallback


def _baselines(data: EvalData, label: str, baseline_pieces: list[Score], features: dict[str, list], bars: int,
               abc: bool) -> dict[str, Any]:
    reference = features["held-out"]
    baseline = summarize(label, baseline_pieces, _validity(baseline_pieces, bars, abc), reference, bars,
                         copy_runs(baseline_pieces, data.copy_index), features[label])
    train_valid = _validity(data.train_pieces, bars, abc, data.train_texts)
    train = summarize("training split", data.train_pieces, train_valid, reference, bars,
                      copy_runs(data.reference, data.copy_index), features["training split"])
    return {label: baseline, "train_vs_heldout": train}
