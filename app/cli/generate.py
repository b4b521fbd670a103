"""``cadenza generate``: variations from a model, with the options of the one options table.

The flags come from ``models.common.options.OPTIONS`` (range, default, help)
and the models that take each option from their specs, so a new model or
option needs nothing here. The request's options are resolved against the
spec of the checkpoint's architecture; an ``OptionError`` is worded with the
flags the user typed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from app.core.errors import CadenzaError, DiskFullError
from app.core.formats import AUDIO_EXTS, load_score, save_score
from app.core.provenance import Provenance
from models.common.options import (CHOICE, DEVICES, FLOAT, INT, OPTIONS, PER_TRACK, SONG, TRACK_RANGE, OptionError,
                                   OptionSpec, option)
from models.registry import model_specs, spec_names

GEN_EXTS = (".mid", ".midi", ".abc", ".musicxml", ".xml", ".wav", ".flac", ".cadenza")
COMMON = ("bars", "tokens", "variations", "random_seed")  # every model takes these
METAVARS = {FLOAT: "X", INT: "N", SONG: "SONG", PER_TRACK: "TRACK=VALUE", TRACK_RANGE: "TRACK=LOW-HIGH",
            CHOICE: "VALUE"}
EXAMPLES = {PER_TRACK: "bass=0.5", TRACK_RANGE: "1=C4-C5"}
COMMANDS = ("generate",)  # what register() adds


def register(sub) -> None:
    """Add generate to the subparsers ``sub``."""
    p = sub.add_parser("generate", help="generate variations with a model")
    p.add_argument("--model", required=True,
                   help=f"the model: {', '.join(spec_names())}, or a user model's name (see cadenza models)")
    p.add_argument("--seed", help="seed file or seed:NAME to continue")
    for name in COMMON:
        add_common_flag(p, option(name))
    specs = model_specs()
    for spec in (o for o in OPTIONS if o.per_model):
        takers = [s.name for s in specs if s.takes(spec.name)]
        add_option_flag(p, spec, takers)
    p.add_argument("--regenerate", metavar="BARS",
                   help="regenerate bars of the seed instead of continuing it, e.g. 5-8 (1-based, inclusive); "
                        "the variations are the whole seed with those bars rewritten (models that infill)")
    p.add_argument("--tracks", metavar="N,N",
                   help="with --regenerate: only these tracks (1-based, e.g. 1,3; default: every track)")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument("--checkpoint", help="checkpoint folder (default: the bundled one)")
    p.add_argument("--out", required=True, help="output " + " ".join(GEN_EXTS))
    p.add_argument("--json", action="store_true", help="print what was written, with provenance and timing")
    p.set_defaults(func=cmd_generate)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def add_common_flag(p: argparse.ArgumentParser, spec: OptionSpec) -> None:
    """A flag every model takes; its default is the table's command-line default where it has one."""
    default = spec.cli_default if spec.cli_default is not None else spec.default
    unit = f" in {spec.unit}" if spec.unit and spec.unit not in spec.tooltip else ""
    shown = f"; default {_number(default)}" if default is not None else ""
    p.add_argument(spec.flag, type=int, default=default, metavar=METAVARS[spec.kind],
                   help=f"{spec.tooltip}{unit} ({spec.range_words()}{shown})")


def add_option_flag(p: argparse.ArgumentParser, spec: OptionSpec, takers: list[str]) -> None:
    """A per-model option's flag, whose help says which models take it."""
    models = f"models: {', '.join(takers)}" if takers else "no installed model takes it"
    if spec.kind == SONG:
        p.add_argument(spec.flag, metavar="SONG", help=f"{spec.tooltip}: a file or seed:NAME ({models})")
    elif spec.kind in (PER_TRACK, TRACK_RANGE):
        p.add_argument(spec.flag, action="extend", nargs="+", metavar=METAVARS[spec.kind],
                       help=f"{spec.tooltip}; one or more, repeatable ({spec.range_words()}; {models})")
    elif spec.kind == CHOICE:
        shown = ", ".join(spec.choices[:4]) + (", or a key such as 'D dorian'" if spec.name == "key_lock" else "")
        p.add_argument(spec.flag, metavar=METAVARS[CHOICE],
                       help=f"{spec.tooltip} ({shown}; default {spec.default}; {models})")
    else:
        default = f"; default {_number(spec.default)}" if spec.default is not None else ""
        p.add_argument(spec.flag, type=int if spec.kind == INT else float, metavar=METAVARS[spec.kind],
                       help=f"{spec.tooltip} ({spec.range_words()}{default}; {models})")


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """The per-model options on the command line (a style song as ``True``: it is a score, not a value)."""
    given: dict[str, Any] = {}
    for spec in (o for o in OPTIONS if o.per_model):
        value = getattr(args, spec.name, None)
        if value is None:
            continue
        if spec.kind in (PER_TRACK, TRACK_RANGE):
            value = track_values(value, spec)
        elif spec.kind == SONG:
            value = True
        given[spec.name] = value
    return given


def track_values(pairs: list[str], spec: OptionSpec) -> dict[str, Any]:
    """``["bass=0.2", ...]`` -> ``{"bass": 0.2}`` (a range stays text: ``{"1": "C4-C5"}``, read by the options
    table); one sentence on a malformed pair."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        try:
            if not equals or not name.strip():
                raise ValueError(pair)
            values[name.strip().lower()] = float(value) if spec.kind == PER_TRACK else value
        except ValueError:
            raise CadenzaError(f"{spec.flag} takes {METAVARS[spec.kind]}, e.g. {EXAMPLES[spec.kind]}, "
                               f"not '{pair}'.") from None
    return values


def _checkpoint(args: argparse.Namespace) -> Path:
    """The checkpoint folder ``--checkpoint`` or ``--model`` names; a model without one says how to train one."""
    from models.registry import find_checkpoint

    if args.checkpoint:
        return Path(args.checkpoint)
    try:
        return find_checkpoint(args.model)
    except CadenzaError:
        if args.model in spec_names():
            raise CadenzaError(f"The {args.model} model has no checkpoint yet; train one with "
                               f"cadenza train --model {args.model} --data FOLDER.") from None
        raise


def cmd_generate(args: argparse.Namespace) -> int:
    from app.core.generation_settings import abc_seed_text
    from models.common.card import read_card
    from models.common.generator import GenerationRequest, run_generation
    from models.common.options import resolve_options
    from models.registry import get_spec, load_generator

    out = Path(args.out)
    if out.suffix.lower() not in GEN_EXTS:
        raise CadenzaError(f"generate writes {' '.join(GEN_EXTS)}, not '{out.suffix or out.name}'.")
    start = time.perf_counter()
    folder = _checkpoint(args)
    spec = get_spec(read_card(folder)["arch"])
    if spec.audio_out:
        raise CadenzaError(f"{spec.display_name} works on sound, not notes: use it in the Audio Lab "
                           "(View > Audio Lab) or with cadenza augment.")
    try:
        options = resolve_options(spec.name, spec.options, given_options(args))  # before the model loads
        gen = load_generator(args.model, folder, args.device)
        request = GenerationRequest(
            seed=load_score(args.seed) if args.seed else None, seed_text=abc_seed_text(args.seed),
            style=load_score(args.style) if args.style else None, options=options, bars=args.bars,
            tokens=args.tokens, variations=args.variations, random_seed=args.random_seed, device=args.device,
            infill=infill_span(args.regenerate, args.tracks))
        scores = run_generation(gen.generate(request))
    except OptionError as exc:
        raise CadenzaError(exc.cli_sentence()) from None
    written = write_variations(scores, out)
    seconds = time.perf_counter() - start
    note = Provenance.of(scores[0]).seed_note if scores else None
    if note:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps({"model": gen.name, "seconds": round(seconds, 3), "files": written,
                          "variations": [s.provenance for s in scores]}, indent=2))
    else:
        print("\n".join(f"wrote {w}" for w in written))
    return 0


def infill_span(bars: str | None, tracks: str | None):
    """``--regenerate 5-8 --tracks 1,3`` as an Infill (0-based, end exclusive); one sentence if malformed."""
    from models.common.generator import Infill

    if not bars:
        if tracks:
            raise CadenzaError("--tracks goes with --regenerate: say which bars to regenerate, e.g. --regenerate 5-8.")
        return None
    try:
        first, _, last = bars.partition("-")
        lo, hi = int(first), int(last or first)
        chosen = tuple(sorted({int(t) - 1 for t in tracks.split(",")})) if tracks else ()
    except ValueError:
        raise CadenzaError(f"--regenerate takes bars like 5-8 and --tracks numbers like 1,3, not "
                           f"'{bars}'{f' and {tracks!r}' if tracks else ''}.") from None
    if lo < 1 or hi < lo or any(t < 0 for t in chosen):
        raise CadenzaError(f"--regenerate {bars}: bars count from 1 and the last comes after the first.")
    return Infill(lo - 1, hi, chosen)


def write_variations(scores, out: Path) -> list[str]:
    """One .abc file of K tunes, or OUT-01.ext ... OUT-K.ext (one file when K is 1): all of them or none.

    The files are written into a hidden folder next to ``out`` and moved into
    place only when every one is complete, so a full disk (or a kill) on the
    fourth leaves no first three behind.
    """
    from app.core.atomic import atomic_write_bytes, mode_for, replace_all, staging_folder

    ext = out.suffix.lower()
    if ext == ".abc":
        tunes = [_abc_text(s, i + 1) for i, s in enumerate(scores)]
        atomic_write_bytes(out, ("\n".join(tunes)).encode(), keep_backup=False)
        return [str(out)]
    paths = [out] if len(scores) == 1 else [out.with_name(f"{out.stem}-{i + 1:02d}{out.suffix}") for i in range(len(scores))]
    for path in paths:
        mode_for(path)  # a write-protected take is refused before anything is rendered
    with staging_folder(out.parent if str(out.parent) else Path("."), out.name) as stage:
        staged = [stage / p.name for p in paths]
        for done, (score, path) in enumerate(zip(scores, staged)):
            try:
                if ext in AUDIO_EXTS:
                    from app.audio.export import render_to_file

                    render_to_file(score, path)
                else:
                    save_score(score, path)
            except DiskFullError as exc:
                if len(paths) == 1:
                    raise
                written = sum(p.stat().st_size for p in staged[:done])
                needed = written + (len(paths) - done) * (exc.needed_bytes or 0)
                raise DiskFullError(paths[0], needed or None, last=paths[-1].name) from None
        replace_all(list(zip(staged, paths)))
    return [str(p) for p in paths]


def _abc_text(score, number: int) -> str:
    from app.core.abc.write import write_abc

    text = Provenance.of(score).abc or write_abc(score)
    return re.sub(r"^X:\s*\d+", f"X:{number}", text.strip(), count=1, flags=re.M) + "\n"
