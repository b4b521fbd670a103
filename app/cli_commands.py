"""What each ``cadenza`` subcommand does (the parser lives in ``cli.py``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.errors import CadenzaError
from app.core.formats import AUDIO_EXTS, load_score, save_score


def _render_to(score, out: Path, soundfont: str | None, sample_rate: int, bit_depth: int = 16) -> None:
    from app.audio.export import write_audio
    from app.audio.synth import Synth

    synth = Synth(soundfont=soundfont, sample_rate=sample_rate)
    try:
        write_audio(synth.render_blocks(score), out, sample_rate, bit_depth=bit_depth)
    finally:
        synth.close()


def cmd_render(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in AUDIO_EXTS:
        raise CadenzaError(f"render writes .wav or .flac, not '{out.suffix or out.name}'.")
    score = load_score(args.input, tune=args.tune)
    _render_to(score, out, args.soundfont, args.sample_rate, args.bit_depth)
    print(f"wrote {out}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    out = Path(args.out)
    score = load_score(args.input, tune=args.tune)
    if out.suffix.lower() in AUDIO_EXTS:
        _render_to(score, out, None, 44100)
    elif out.suffix.lower() in (".mid", ".midi") and args.midi_type == 0:
        from app.core.midi import write_midi

        write_midi(score, out, midi_type=0)
    else:
        save_score(score, out)
    print(f"wrote {out}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from app.core.summary import format_info, score_info

    info = score_info(load_score(args.input, tune=args.tune))
    info["file"] = args.input
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0


def cmd_spectrogram(args: argparse.Namespace) -> int:
    from app.audio.spectrum import mel_spectrogram, save_png
    from app.audio.synth import Synth

    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise CadenzaError(f"spectrogram writes a .png image, not '{out.suffix or out.name}'.")
    score = load_score(args.input, tune=args.tune)
    synth = Synth(soundfont=args.soundfont, sample_rate=args.sample_rate)
    try:
        audio = synth.render(score)
    finally:
        synth.close()
    if len(audio) == 0:
        raise CadenzaError(f"{args.input} has no notes, so there is no sound to draw.")
    spec = mel_spectrogram(audio, args.sample_rate)
    save_png(spec, out, title=score.title or Path(str(args.input)).name)
    print(f"wrote {out}")
    return 0


def cmd_seeds(args: argparse.Namespace) -> int:
    from app.core.seeds import list_seeds

    seeds = list_seeds(args.style)
    if args.json:
        print(json.dumps([_seed_dict(s) for s in seeds], indent=2))
        return 0
    if not seeds:
        print(f"No seeds of style '{args.style}'.", file=sys.stderr)
        return 1
    for s in seeds:
        print(f"seed:{s.name:<34} {s.style:<10} {s.bars} bars  {s.meter:<5} {s.key or '':<12} {s.title}")
    return 0


def _seed_dict(seed) -> dict:
    from dataclasses import asdict

    data = asdict(seed)
    data["spec"] = f"seed:{seed.name}"
    data["path"] = str(seed.path)
    return data
