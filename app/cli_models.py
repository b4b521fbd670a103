"""The model subcommands of ``cadenza``: generate, train, models."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from app.core.errors import CadenzaError
from app.core.formats import AUDIO_EXTS, load_score, save_score
from app.core.generation_settings import abc_seed_text

GEN_EXTS = (".mid", ".midi", ".abc", ".musicxml", ".xml", ".wav", ".flac", ".cadenza")


def add_model_commands(sub) -> None:
    """Register generate, train and models on the subparsers ``sub``."""
    p = sub.add_parser("generate", help="generate variations with a model")
    p.add_argument("--model", required=True, help="markov, note-lstm, abc-lstm, or a user model's name")
    p.add_argument("--seed", help="seed file or seed:NAME to continue")
    p.add_argument("--bars", type=int, default=8, help="length in bars (default 8)")
    p.add_argument("--tokens", type=int, help="length in tokens instead (abc-lstm: characters of the tune body)")
    for flag, kind, text in (("--temperature", float, "sampling temperature"), ("--top-k", int, "keep the K likeliest tokens"),
                             ("--top-p", float, "nucleus sampling mass"), ("--noise-sd", float, "latent noise sd"),
                             ("--style-alpha", float, "style mix alpha (0..1)")):
        p.add_argument(flag, type=kind, help=text)
    p.add_argument("--style", help="style song (file or seed:NAME)")
    p.add_argument("--track-noise-sd", action="append", metavar="TRACK=SD",
                   help="vae-nn style mixer: latent noise sd of one track (repeatable, e.g. bass=0.2)")
    p.add_argument("--track-style-alpha", action="append", metavar="TRACK=A",
                   help="vae-nn style mixer: style alpha of one track (repeatable, e.g. soprano=0.8)")
    p.add_argument("--variations", type=int, default=1, help="how many variations (default 1)")
    p.add_argument("--random-seed", type=int, default=0, help="random seed (same seed, same output)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--checkpoint", help="checkpoint folder (default: the bundled one)")
    p.add_argument("--out", required=True, help="output " + " ".join(GEN_EXTS))
    p.add_argument("--json", action="store_true", help="print what was written, with provenance and timing")

    p = sub.add_parser("train", help="train a model on a bundled corpus or a folder")
    p.add_argument("--model", required=True, choices=("markov", "note-lstm", "abc-lstm", "vae-nn"))
    p.add_argument("--data", action="append", help="corpus:folk-abc|chorales|classical or a folder (repeatable)")
    for flag, kind, text in (("--epochs", int, "passes over the data"), ("--batch-size", int, "sequences per step"),
                             ("--lr", float, "peak learning rate"), ("--max-steps", int, "stop after N steps"),
                             ("--seed", int, "random seed of the run"), ("--hidden", int, "hidden units (model size)"),
                             ("--layers", int, "recurrent layers (model size)")):
        p.add_argument(flag, type=kind, help=text)
    p.add_argument("--fine-tune", metavar="NAME|DIR", help="start from a bundled or user checkpoint's weights")
    p.add_argument("--roles", metavar="SPEC", help="vae-nn track roles: chorales, lpd5 (LPD-5 .npz and GM program "
                   "families) or name[:LOW-HIGH][:PROGRAM],... lead first (default: chorales for corpus:chorales, else lpd5)")
    p.add_argument("--out", help="output folder (default: a new user model)")
    p.add_argument("--resume", help="continue the run saved in this folder")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--json-progress", action="store_true", help="one JSON line per progress report")

    p = sub.add_parser("models", help="list bundled and user models with their cards")
    p.add_argument("--json", action="store_true")


def cmd_generate(args: argparse.Namespace) -> int:
    from models.common.generator import GenerationRequest, run_generation
    from models.registry import load_generator

    out = Path(args.out)
    if out.suffix.lower() not in GEN_EXTS:
        raise CadenzaError(f"generate writes {' '.join(GEN_EXTS)}, not '{out.suffix or out.name}'.")
    start = time.perf_counter()
    gen = load_generator(args.model, args.checkpoint, args.device)
    request = GenerationRequest(
        seed=load_score(args.seed) if args.seed else None, seed_text=abc_seed_text(args.seed), bars=args.bars,
        tokens=args.tokens, temperature=args.temperature,
        top_k=args.top_k, top_p=args.top_p, noise_sd=args.noise_sd, style_alpha=args.style_alpha,
        style=load_score(args.style) if args.style else None, variations=args.variations,
        track_noise_sd=_track_values(args.track_noise_sd, "--track-noise-sd"),
        track_style_alpha=_track_values(args.track_style_alpha, "--track-style-alpha"),
        random_seed=args.random_seed, device=args.device)
    scores = run_generation(gen.generate(request))
    written = write_variations(scores, out)
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({"model": gen.name, "seconds": round(seconds, 3), "files": written,
                          "variations": [s.provenance for s in scores]}, indent=2))
    else:
        print("\n".join(f"wrote {w}" for w in written))
    return 0


def _track_values(pairs: list[str] | None, flag: str) -> dict[str, float] | None:
    """``["bass=0.2", ...]`` -> ``{"bass": 0.2}``; one sentence on a malformed pair."""
    if not pairs:
        return None
    values = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            values[name.strip().lower()] = float(value)
        except ValueError:
            raise CadenzaError(f"{flag} takes TRACK=VALUE, e.g. bass=0.5, not '{pair}'.") from None
    return values


def write_variations(scores, out: Path) -> list[str]:
    """One .abc file of K tunes, or OUT-01.ext ... OUT-K.ext (one file when K is 1)."""
    ext = out.suffix.lower()
    if ext == ".abc":
        from app.core.atomic import atomic_write_bytes

        tunes = [_abc_text(s, i + 1) for i, s in enumerate(scores)]
        atomic_write_bytes(out, ("\n".join(tunes)).encode(), keep_backup=False)
        return [str(out)]
    paths = [out] if len(scores) == 1 else [out.with_name(f"{out.stem}-{i + 1:02d}{out.suffix}") for i in range(len(scores))]
    for score, path in zip(scores, paths):
        if ext in AUDIO_EXTS:
            from app.audio.export import render_to_file

            render_to_file(score, path)
        else:
            save_score(score, path)
    return [str(p) for p in paths]


def _abc_text(score, number: int) -> str:
    import re

    from app.core.abc import write_abc

    text = score.provenance.get("abc") or write_abc(score)
    return re.sub(r"^X:\s*\d+", f"X:{number}", text.strip(), count=1, flags=re.M) + "\n"


def cmd_models(args: argparse.Namespace) -> int:
    from models.registry import list_models

    entries = list_models()
    if args.json:
        print(json.dumps([{"name": e.name, "arch": e.arch, "bundled": e.bundled, "path": str(e.path),
                           "sha256": e.card.get("weights_sha256"), "card": e.card} for e in entries], indent=2))
        return 0
    if not entries:
        print("No models found.", file=sys.stderr)
        return 1
    for e in entries:
        metrics = ", ".join(f"{k} {v}" for k, v in e.card.get("metrics", {}).items() if isinstance(v, (int, float)))
        print(f"{e.name:<20} {e.arch:<10} {'bundled' if e.bundled else 'user':<8} {e.card.get('weights_sha256', '')[:12]}  {metrics}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from app.cli_train import run_training

    return run_training(args)
