"""``cadenza render | convert | info | spectrogram``: score files in, files or facts out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.errors import CadenzaError
from app.core.formats import AUDIO_EXTS, load_score, save_score

INPUT_HELP = "input file (.mid .abc .musicxml .xml .mxl .cadenza) or seed:NAME"
COMMANDS = ("render", "convert", "info", "spectrogram")  # what register() adds


def add_input(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help=INPUT_HELP)
    p.add_argument("--tune", type=int, metavar="X", help="for ABC files with several tunes: the tune's X: number")


def add_synth(p: argparse.ArgumentParser) -> None:
    p.add_argument("--soundfont", metavar="SF2", help="SoundFont to render with (default: CADENZA_SOUNDFONT, then system paths)")
    p.add_argument("--sample-rate", type=int, default=44100, choices=(22050, 32000, 44100, 48000, 88200, 96000), metavar="N",
                   help="sample rate in Hz (default 44100)")


def register(sub) -> None:
    """Add render, convert, info and spectrogram to the subparsers ``sub``."""
    p = sub.add_parser("render", help="render a score to WAV or FLAC with FluidSynth")
    add_input(p)
    p.add_argument("--out", required=True, help="output .wav or .flac")
    add_synth(p)
    p.add_argument("--bit-depth", type=int, default=16, choices=(16, 24), help="sample format (default 16)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("convert", help="convert between score formats (by extension)")
    add_input(p)
    p.add_argument("--out", required=True, help="output .mid .abc .musicxml .xml .mxl .cadenza (or .wav .flac)")
    p.add_argument("--midi-type", type=int, default=1, choices=(0, 1), help="MIDI file type for .mid output (default 1)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("info", help="summarise a score: tracks, notes, duration, bars, tempo, meter, key")
    add_input(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("spectrogram", help="render a score and save its mel spectrogram as PNG")
    add_input(p)
    p.add_argument("--out", required=True, help="output .png")
    add_synth(p)
    p.set_defaults(func=cmd_spectrogram)


def render_to(score, out: Path, soundfont: str | None, sample_rate: int, bit_depth: int = 16) -> None:
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
    render_to(score, out, args.soundfont, args.sample_rate, args.bit_depth)
    print(f"wrote {out}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    out = Path(args.out)
    score = load_score(args.input, tune=args.tune)
    if out.suffix.lower() in AUDIO_EXTS:
        render_to(score, out, None, 44100)
    elif out.suffix.lower() in (".mid", ".midi") and args.midi_type == 0:
        from app.core.midi import write_midi

        write_midi(score, out, midi_type=0)
    else:
        for sentence in save_score(score, out):
            print(f"note: {sentence}.", file=sys.stderr)
    print(f"wrote {out}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from app.core.summary import format_info, json_safe, score_info

    info = score_info(load_score(args.input, tune=args.tune))
    info["file"] = args.input
    # strict JSON: NaN or infinity (e.g. in a damaged provenance) is written as null
    print(json.dumps(json_safe(info), indent=2, allow_nan=False, default=str) if args.json else format_info(info))
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
