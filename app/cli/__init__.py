"""The ``cadenza`` command line: one module per command family, each registering its subcommands.

Each family module names its subcommands in ``COMMANDS`` and has
``register(subparsers)``, which adds them with ``set_defaults(func=handler)``;
:data:`FAMILIES` lists the modules once and :data:`SUBCOMMANDS` is derived
from them, so the GUI starts without building a parser and one subcommand
builds only its family's (the families that read the model specs cost a
moment). User errors exit
with code 1 and one line ``error: ...`` on stderr; usage errors exit 2
(argparse). With no subcommand, or a file argument, the GUI starts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from app import __version__
from app.cli import augment, bench, evaluate, files, generate, listening, models, seeds, train
from app.core.errors import CadenzaError

FAMILIES = (files, seeds, generate, train, models, evaluate, bench, listening, augment)
SUBCOMMANDS = tuple(name for family in FAMILIES for name in family.COMMANDS)


def build_parser(families=FAMILIES) -> argparse.ArgumentParser:
    """The parser of the subcommands of ``families`` (all by default); model choices and option flags are
    read from the model specs by the families that need them."""
    parser = argparse.ArgumentParser(prog="cadenza", description="Cadenza: sketch music with neural generators.")
    parser.add_argument("--version", action="version", version=f"cadenza {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for family in families:
        family.register(sub)
    return parser


def family_of(command: str):
    """The module that registers ``command``."""
    return next(f for f in FAMILIES if command in f.COMMANDS)


def main(argv: list[str]) -> int:
    """Run the command line; returns the process exit code."""
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        return _start_gui(argv)
    # one subcommand needs only its family's parser (the others may read every model spec)
    parser = build_parser((family_of(argv[0]),) if argv[0] in SUBCOMMANDS else FAMILIES)
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

    return _end_process(run_gui(files_given))


def _end_process(code: int) -> int:
    """End the GUI's process at once once its window has closed (the close saved everything).

    The interpreter's own exit tears down every module the session loaded (torch, the audio analysis,
    music21) object by object: a second or more of a closed window's process still running, several on a
    busy machine. The window's close already wrote the settings, waited for saves and exports and cleared
    its autosave, so the process ends here, after the Qt application (which hands the clipboard over)
    and the logs and output streams are closed.
    """
    import logging

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        import shiboken6

        shiboken6.delete(app)
    logging.shutdown()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    os._exit(code)
