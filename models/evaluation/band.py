"""The band section of ``cadenza eval ... --data corpus:band``: MuseGAN's metrics per role, model by model.

When the held-out pieces are band pieces, the evaluation adds under
``band`` the metrics of ``models.metrics.band`` (empty bars, used pitch
classes, qualified notes, drum pattern per role; tonal distance between
roles) for

* the evaluated model and the baseline fitted in the same run (their pieces
  from the held-out seeds),
* every other installed model whose spec says it ``accompanies`` (a band
  model), from the same seeds with the same random seeds, so one run
  compares them all,
* the training split and the held-out pieces themselves (the data's own
  values, the figures a model should come near),

and each model's time to write :data:`TIMED_BARS` bars from the first seed
(one variation, on the evaluation's device), with the number of tracks it
wrote. A model that accompanies is also measured *accompanying*: given the
lead alone of each held-out piece's bars (Add a Band's request), its band
is measured with the true lead, so the lead's tonal distances say how well
the band fits a melody it did not write. MuseGAN's published LPD-5 figures are not quoted: the paper's table
could not be read here, and a figure from memory would be worse than none.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Generator as PyGenerator, Sequence

from app.core.errors import CadenzaError, GenerationError
from app.core.score import Score, Track
from models.common.band_corpus import LEAD_NAME, LEAD_PROGRAM
from models.common.band_roll import LEAD, track_role
from models.common.generator import GenerationRequest, Generator, Progress
from models.common.spec import card_spec
from models.metrics.band import BAND_ROLES, band_metrics, band_summary

BAND_DATA = "corpus:band"
TIMED_BARS = 8

def _published(eb, upc, qn, dp, td=None) -> dict[str, Any]:
    """A row of MuseGAN's Tables 1 and 2 (percentages as shares): EB for bass, drums, guitar, piano, strings;
    UPC and QN for bass, guitar, piano, strings; DP for drums; TD for B-G, B-S, B-P, G-S, G-P, S-P."""
    pitched = ("bass", "guitar", "piano", "strings")
    def share(percent: float) -> float:
        return round(percent / 100, 4)

    roles: dict[str, dict[str, float | None]] = {"drums": {"empty_bars": share(eb[1]), "used_pitch_classes": None,
                                                          "qualified_notes": None, "drum_pattern": share(dp)}}
    for role, e, u, q in zip(pitched, (eb[0], *eb[2:]), upc, qn):
        roles[role] = {"empty_bars": share(e), "used_pitch_classes": u, "qualified_notes": share(q),
                       "drum_pattern": None}
    pairs = ("bass / guitar", "bass / strings", "bass / piano", "guitar / strings", "guitar / piano",
             "piano / strings")
    return {"roles": roles, "tonal_distance": dict(zip(pairs, td)) if td else {}}


#: MuseGAN's own figures for LPD-5 at 24 steps per beat: Dong, Hsiao, Yang and Yang, "MuseGAN: Multi-track
#: Sequential Generative Adversarial Networks for Symbolic Music Generation and Accompaniment", AAAI 2018,
#: Table 1 (intra-track) and Table 2 (inter-track), read from the paper's PDF in github.com/salu133445/musegan
#: (docs/pdf/musegan-aaai2018-paper.pdf). The hybrid model's Table 2 row is not legible there, so it is left out.
MUSEGAN_LPD5 = {
    "MuseGAN: LPD-5 data": _published((8.06, 8.06, 19.4, 24.8, 10.1), (1.71, 3.08, 3.28, 3.38),
                                      (90.0, 81.9, 88.4, 89.6), 88.6, (1.57, 1.58, 1.51, 1.10, 1.02, 1.04)),
    "MuseGAN: jamming": _published((6.59, 2.33, 18.3, 22.6, 6.10), (1.53, 3.69, 4.13, 4.09), (71.5, 56.6, 62.2, 63.1),
                                   93.2, (1.56, 1.60, 1.54, 1.05, 0.99, 1.05)),
    "MuseGAN: hybrid": _published((2.14, 29.7, 11.7, 17.8, 6.04), (2.35, 4.76, 5.45, 5.24), (44.6, 43.2, 45.5, 52.0),
                                  71.3),
}
FIGURES = (("empty_bars", "EB"), ("used_pitch_classes", "UPC"), ("qualified_notes", "QN"), ("drum_pattern", "DP"))


def other_band_models(evaluated: str | None) -> list[tuple[str, str]]:
    """(name, checkpoint folder) of the installed checkpoints, other than ``evaluated``, whose model accompanies."""
    from models.registry import get_spec, list_models

    found = []
    for entry in list_models():
        try:
            accompanies = card_spec(get_spec(entry.arch), entry.card).accompanies
        except CadenzaError:
            continue
        if accompanies and entry.name != evaluated:
            found.append((entry.name, str(entry.path)))
    return found


def _drain(run) -> list[Score]:
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return list(stop.value or [])


def accompanied(gen: Generator, pieces: Sequence[Score], options) -> PyGenerator[Progress, None, list[Score]]:
    """Each piece's lead accompanied by ``gen`` (the lead alone as the seed, as Add a Band sends it): the band
    it wrote with the true lead (none where the model refused, saying it heard no band: counted as silence).
    Pieces without a lead are skipped."""
    out = []
    for i, piece in enumerate(pieces):
        lead = [t for t in piece.tracks if track_role(t) == LEAD and t.notes]
        if not lead:
            continue
        seed = replace(piece, tracks=(Track(LEAD_NAME, LEAD_PROGRAM, False, lead[0].notes),), provenance={})
        request = GenerationRequest(seed=seed, bars=options.bars, variations=1, random_seed=options.random_seed + i,
                                    device=options.device, accompany=True)
        try:
            answer = _drain(gen.generate(request))
        except GenerationError:  # a model that hears no band under this lead says so: its band is silence
            answer = []
        band = tuple(t for t in answer[0].tracks if track_role(t) != LEAD) if answer else ()
        out.append(replace(seed, tracks=seed.tracks + band))
        yield Progress(i + 1, len(pieces), f"band: {gen.name} accompanying piece {i + 1} of {len(pieces)}")
    return out


def _timed(gen: Generator, seed: Score | None, random_seed: int, device: str) -> tuple[float, int]:
    """Seconds to write TIMED_BARS bars from ``seed``, and how many tracks with notes came back."""
    started = time.perf_counter()
    pieces = _drain(gen.generate(GenerationRequest(seed=seed, bars=TIMED_BARS, variations=1, random_seed=random_seed,
                                                   device=device)))
    tracks = sum(1 for t in pieces[0].tracks if t.notes) if pieces else 0
    return round(time.perf_counter() - started, 3), tracks


def band_report(options, data, generated: dict[str, tuple[Generator, list[Score]]], generate_pieces
                ) -> PyGenerator[Progress, None, dict[str, Any]]:
    """The band section (see the module docstring). ``generated`` maps a label to its generator and pieces;
    ``generate_pieces(gen, label)`` is the evaluation's own generator function over the held-out seeds."""
    from models.registry import load_generator

    generated = dict(generated)
    for name, checkpoint in other_band_models(options.model):
        yield Progress(0, 0, f"band: loading {name}")
        gen = load_generator(None, checkpoint, options.device)
        generated[name] = (gen, (yield from generate_pieces(gen, name)))
    seed = data.seeds[0].score if data.seeds else None
    sets: dict[str, Any] = {}
    for label, (gen, pieces) in generated.items():
        yield Progress(0, 0, f"band: timing {label}")
        seconds, tracks = _timed(gen, seed, options.random_seed, options.device)
        sets[label] = {**measure(pieces, options.bars), "seconds": seconds, "tracks_written": tracks}
        if card_spec(gen.spec, gen.card).accompanies:
            sets[f"{label} accompanying"] = measure((yield from accompanied(gen, data.reference, options)),
                                                    options.bars)
    sets["training split"] = measure(data.train_pieces, options.bars)
    sets["held-out"] = measure(data.reference, options.bars)
    sets.update(MUSEGAN_LPD5)
    return {"bars": options.bars, "timed_bars": TIMED_BARS, "sets": sets}


def measure(pieces: Sequence[Score], bars: int) -> dict[str, Any]:
    """:func:`models.metrics.band.band_summary` of ``pieces`` measured over ``bars`` bars."""
    return band_summary([band_metrics(p, bars) for p in pieces])


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def band_table(band: dict[str, Any]) -> list[str]:
    """The band section as text: a row per set and figure, a column per role; then TD pairs and times."""
    sets = band["sets"]
    roles = [r for r in BAND_ROLES if any(r in s["roles"] for s in sets.values())]
    width = max([len(label) for label in sets] + [10]) + 6
    lines = ["", f"Band (MuseGAN's metrics per role over {band['bars']} bars; EB empty bars, UPC pitch classes a bar, "
                 "QN notes a 32nd or longer, DP drum onsets on the 16th grid):",
             " " * width + "".join(f"{r:>9}" for r in roles)]
    for label, figures in sets.items():
        for key, short in FIGURES:
            cells = [figures["roles"].get(r, {}).get(key) for r in roles]
            if any(c is not None for c in cells):
                lines.append(f"{label[:width - 6]:<{width - 5}}{short:<5}" + "".join(f"{_cell(c):>9}" for c in cells))
    pairs = sorted({p for s in sets.values() for p in s["tonal_distance"]})
    if pairs:
        lines += ["", "Tonal distance between roles (lower: closer harmony):",
                  " " * width + "".join(f"{p.replace(' / ', '/'):>15}" for p in pairs)]
        lines += [f"{label[:width]:<{width}}" + "".join(f"{_cell(s['tonal_distance'].get(p)):>15}" for p in pairs)
                  for label, s in sets.items()]
    timed = [(label, s) for label, s in sets.items() if "seconds" in s]
    lines += ["", f"Time to write {band['timed_bars']} bars (one variation) on this machine:"]
    lines += [f"  {label}: {s['seconds']:.2f} s, {s['tracks_written']} track{'s' * (s['tracks_written'] != 1)}"
              for label, s in timed]
    return lines
