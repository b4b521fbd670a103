"""``cadenza listening-test``: a blind human-or-machine test for a scripted panel of listeners.

* ``make --models A,B --clips 10 --bars 8 --out DIR``: the clips
  ``DIR/clip-01.wav`` ... and the hidden answer key ``DIR/answers.json``
  (:func:`app.services.listening_test.make_test`);
* ``sheet DIR --listener N``: a blank answer sheet (CSV) with the clips in
  listener N's own order (every listener hears the same clips);
* ``score DIR ANSWERS.csv``: accuracy overall and per model with 95% Wilson
  intervals, the binomial test against guessing, the confusion table, and the
  write-up's 50% of 350 responses beside them (``--json`` for the numbers).
"""

from __future__ import annotations

import argparse
import json
import sys

from app.core.errors import CadenzaError

COMMANDS = ("listening-test",)


def register(sub) -> None:
    """Add listening-test (make, sheet, score) to the subparsers ``sub``."""
    p = sub.add_parser("listening-test", help="make and score a blind human-or-machine listening test")
    p.set_defaults(func=lambda args: p.print_help() or 2)  # each action sets its own handler
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    make = actions.add_parser("make", help="write shuffled human and generated clips and a hidden answer key")
    make.add_argument("--models", required=True, help="comma-separated model names (bundled or your own)")
    make.add_argument("--clips", type=int, default=10, help="number of clips, half of them generated (default 10)")
    make.add_argument("--bars", type=int, default=8, help="bars per clip (default 8)")
    make.add_argument("--seconds", type=float, help="cut every clip to this many seconds (default: the shortest)")
    make.add_argument("--human", action="append", default=[], metavar="DATA",
                      help="a corpus (corpus:NAME) or folder for the human clips, repeatable "
                           "(default: the held-out split of each model's training data)")
    make.add_argument("--seed-bars", type=int, default=2, help="held-out bars a generated clip continues (default 2)")
    make.add_argument("--tempo", type=float, default=100.0, help="the one tempo of every clip (default 100 bpm)")
    make.add_argument("--program", type=int, default=0, help="the one General MIDI program (default 0, piano)")
    make.add_argument("--random-seed", type=int, default=0, help="random seed of the draw and shuffle (default 0)")
    make.add_argument("--soundfont", help="SoundFont file (default: the usual search)")
    make.add_argument("--device", default="auto")
    make.add_argument("--out", required=True, help="an empty or new folder for the clips")
    make.set_defaults(func=cmd_make)
    sheet = actions.add_parser("sheet", help="print a blank answer sheet (CSV) in one listener's order")
    sheet.add_argument("folder")
    sheet.add_argument("--listener", type=int, default=1, help="the listener's number (default 1)")
    sheet.set_defaults(func=cmd_sheet)
    score = actions.add_parser("score", help="print the statistics of an answer sheet")
    score.add_argument("folder")
    score.add_argument("answers", help="CSV with the columns clip, answer (human/machine)[, confidence][, listener]")
    score.add_argument("--json", action="store_true", help="print the statistics as JSON")
    score.set_defaults(func=cmd_score)


def cmd_make(args: argparse.Namespace) -> int:
    from app.services.listening_test import TestOptions, make_test, models_of

    if not 1 <= args.bars <= 64 or not 1 <= args.seed_bars <= 16:
        raise CadenzaError("Clips have 1 to 64 bars after 1 to 16 seed bars.")
    if not 20 <= args.tempo <= 300 or not 0 <= args.program <= 127:
        raise CadenzaError("The tempo is 20-300 bpm and the program 0-127.")
    options = TestOptions(models=tuple(models_of(args.models)), clips=args.clips, bars=args.bars,
                          seconds=args.seconds, seed_bars=args.seed_bars, human_data=tuple(args.human),
                          random_seed=args.random_seed,
                          program=args.program, tempo=args.tempo, device=args.device, soundfont=args.soundfont)
    run = make_test(args.out, options)
    try:
        while True:
            try:
                progress = next(run)
            except StopIteration as stop:
                key = stop.value
                break
            print(f"\r{progress.message[:60]:<60}", end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        run.close()
        raise CadenzaError("Making the listening test was interrupted.") from None
    print("", file=sys.stderr)
    print(f"Wrote {len(key.clips)} clips of {key.settings['clip_seconds']:.1f} s to {args.out} "
          "(answers.json and sources/ are the answer key: keep them from the listeners).")
    return 0


def cmd_sheet(args: argparse.Namespace) -> int:
    from app.core.listening.sheet import AnswerKey, listener_order

    key = AnswerKey.read(args.folder)
    print("listener,clip,answer,confidence")
    for name in listener_order(key, args.listener):
        print(f"{args.listener},{name},,")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from app.core.listening.stats import format_summary
    from app.services.listening_test import score_test

    summary = score_test(args.folder, args.answers)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0
