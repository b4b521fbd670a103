"""The ``cadenza`` command line: argparse subcommands over the core and audio.

User errors exit with code 1 and one line ``error: ...`` on stderr; usage
errors exit 2 (argparse). With no subcommand, or a file argument, the GUI
starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app import __version__
from app.core.errors import CadenzaError

SUBCOMMANDS = ("render", "convert", "info", "spectrogram", "seeds", "generate", "train", "models", "eval", "bench")
INPUT_HELP = "input file (.mid .abc .musicxml .xml .mxl .cadenza) or seed:NAME"


def _add_input(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help=INPUT_HELP)
    p.add_argument("--tune", type=int, metavar="X", help="for ABC files with several tunes: the tune's X: number")


def _add_synth(p: argparse.ArgumentParser) -> None:
    p.add_argument("--soundfont", metavar="SF2", help="SoundFont to render with (default: CADENZA_SOUNDFONT, then system paths)")
    p.add_argument("--sample-rate", type=int, default=44100, choices=(22050, 32000, 44100, 48000, 88200, 96000), metavar="N",
                   help="sample rate in Hz (default 44100)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cadenza", description="Cadenza: sketch music with neural generators.")
    parser.add_argument("--version", action="version", version=f"cadenza {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("render", help="render a score to WAV or FLAC with FluidSynth")
    _add_input(p)
    p.add_argument("--out", required=True, help="output .wav or .flac")
    _add_synth(p)
    p.add_argument("--bit-depth", type=int, default=16, choices=(16, 24), help="sample format (default 16)")

    p = sub.add_parser("convert", help="convert between score formats (by extension)")
    _add_input(p)
    p.add_argument("--out", required=True, help="output .mid .abc .musicxml .xml .mxl .cadenza (or .wav .flac)")
    p.add_argument("--midi-type", type=int, default=1, choices=(0, 1), help="MIDI file type for .mid output (default 1)")

    p = sub.add_parser("info", help="summarise a score: tracks, notes, duration, bars, tempo, meter, key")
    _add_input(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("spectrogram", help="render a score and save its mel spectrogram as PNG")
    _add_input(p)
    p.add_argument("--out", required=True, help="output .png")
    _add_synth(p)

    p = sub.add_parser("seeds", help="list the bundled seed fragments")
    p.add_argument("--style", help="only seeds of this style (folk, chorale, classical, groove)")
    p.add_argument("--json", action="store_true", help="print JSON")

    from app.cli_bench import add_bench_command
    from app.cli_eval import add_eval_command
    from app.cli_models import add_model_commands

    add_model_commands(sub)
    add_eval_command(sub)
    add_bench_command(sub)
    return parser


def main(argv: list[str]) -> int:
    """Run the command line; returns the process exit code."""
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        return _start_gui(argv)
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _start_gui([])
    from app import cli_bench, cli_commands, cli_eval, cli_models

    args.argv = list(argv)
    module = {"eval": cli_eval, "bench": cli_bench}.get(
        args.command, cli_models if args.command in ("generate", "train", "models") else cli_commands)
    try:
        return getattr(module, f"cmd_{args.command}")(args)
    except CadenzaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: still one line, unless debugging
        if os.environ.get("CADENZA_DEBUG"):
            raise
        print(f"error: unexpected failure ({type(exc).__name__}: {exc}); set CADENZA_DEBUG=1 for details.", file=sys.stderr)
        return 1


def _start_gui(argv: list[str]) -> int:
    files = [a for a in argv if not a.startswith("-")]
    if files and not Path(files[0]).exists() and not files[0].startswith("seed:"):
        print(f"error: unknown command or file '{files[0]}' (see cadenza --help).", file=sys.stderr)
        return 2
    import importlib.util

    if importlib.util.find_spec("app.ui") is None:  # the editor comes with the editor issue
        print("The Cadenza editor window is not built yet. The command-line tools work: "
              "cadenza render, convert, info, spectrogram, seeds (see cadenza --help).", file=sys.stderr)
        return 0
    from app.ui.main_window import run_gui

    return run_gui(files)
