"""The ``cadenza`` command line: one module per command family, each registering its subcommands.

Each family module has ``register(subparsers)``, which adds its subcommands
with ``set_defaults(func=handler)``; :data:`FAMILIES` lists the modules once,
and the subcommand names come from the parser they build. User errors exit
with code 1 and one line ``error: ...`` on stderr; usage errors exit 2
(argparse). With no subcommand, or a file argument, the GUI starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app import __version__
from app.cli import bench, evaluate, files, generate, models, seeds, train
from app.core.errors import CadenzaError

FAMILIES = (files, seeds, generate, train, models, evaluate, bench)


def _build() -> tuple[argparse.ArgumentParser, tuple[str, ...]]:
    parser = argparse.ArgumentParser(prog="cadenza", description="Cadenza: sketch music with neural generators.")
    parser.add_argument("--version", action="version", version=f"cadenza {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for family in FAMILIES:
        family.register(sub)
    return parser, tuple(sub.choices)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand (model choices and option flags read from the model specs)."""
    return _build()[0]


def subcommands() -> tuple[str, ...]:
    """The names of the subcommands, in the order of :data:`FAMILIES`."""
    return _build()[1]


def main(argv: list[str]) -> int:
    """Run the command line; returns the process exit code."""
    parser, names = _build()
    if not argv or (argv[0] not in names and not argv[0].startswith("-")):
        return _start_gui(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        return _start_gui([])
    args.argv = list(argv)
    try:
        return args.func(args)
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
    files_given = [a for a in argv if not a.startswith("-")]
    if files_given and not Path(files_given[0]).exists() and not files_given[0].startswith("seed:"):
        print(f"error: unknown command or file '{files_given[0]}' (see cadenza --help).", file=sys.stderr)
        return 2
    import importlib.util

    if importlib.util.find_spec("app.ui") is None:  # a build without the editor
        print("The Cadenza editor window is not built yet. The command-line tools work: "
              "cadenza render, convert, info, spectrogram, seeds (see cadenza --help).", file=sys.stderr)
        return 0
    from app.ui.main_window import run_gui

    return run_gui(files_given)
