"""Write docs/BENCHMARKS.md: the figures of ``cadenza bench``, each beside its alternative, with the machine.

Runs every benchmark through ``benchmarks/run_all.py`` (the code behind
``cadenza bench``), the full run and the ``--quick`` one, keeps the JSON in
``docs/bench/`` and writes the tables. A run from another machine (``cadenza
bench --json > gpu.json`` where there is a CUDA GPU) adds its column with
``--gpu gpu.json``. ``--from FILE`` writes the page from a saved full run
instead of running it again.

    .venv/bin/python tools/benchmarks_report.py [--from full.json] [--quick-from quick.json] [--gpu gpu.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs"

#: (section, what, ours, alternative, ratio, unit, goal): dotted keys into the bench JSON (None: not shown).
ROWS = [
    ("Audio", "render a 60 s four-track piece (960 notes)", "render.ours_s", "render.pretty_midi_s",
     "render.speedup_vs_pretty_midi", "s", "faster than pretty_midi.fluidsynth()"),
    ("Audio", "first block of audio ready", "render.first_block_ms", None, None, "ms", "playback starts after one block"),
    ("Generation", "note-lstm, 500 tokens, carrying (h, c) vs re-running a 100-token window", "generate.note_lstm.carry_ms",
     "generate.note_lstm.refeed_ms", "generate.note_lstm.speedup_vs_window_refeed", "ms", "10x"),
    ("Generation", "abc-lstm, per 1,000 characters (grammar masks included) vs a window re-feed",
     "generate.abc_lstm.ms_per_1000_chars", "generate.abc_lstm.refeed_ms_per_1000_chars",
     "generate.abc_lstm.speedup_vs_window_refeed", "ms", None),
    ("Generation", "abc-lstm, per 1,000 characters with music21 reading the tune back",
     "generate.abc_lstm.with_readback_ms_per_1000_chars", None, None, "ms", None),
    ("Generation", "vae-nn slider move: 16 bars regenerated, seed encoded, vs note-lstm for the same length",
     "generate.vae_nn.slider_regen_ms", "generate.vae_nn.note_lstm_ms_same_length", "generate.vae_nn.speedup_vs_note_lstm",
     "ms", "under 50 ms"),
    ("Generation", "vae-nn slider move vs abc-lstm for the same length", "generate.vae_nn.slider_regen_ms",
     "generate.vae_nn.abc_lstm_ms_same_length", "generate.vae_nn.speedup_vs_abc_lstm", "ms", "under 50 ms"),
    ("Generation", "performance-rnn, events/s: carrying (h, c) vs re-running a 256-event window",
     "generate.performance_rnn.events_per_s", "generate.performance_rnn.refeed_events_per_s",
     "generate.performance_rnn.speedup_vs_window_refeed", "events/s", None),
    ("Generation", "performance-rnn, seconds of music per second (bundled checkpoint, 16 s)",
     "generate.performance_rnn.music_seconds_per_second", None, None, "x real time", "faster than real time"),
    ("Generation", "performance-rnn Humanize, 200 notes (constrained decoding)", "humanize.performance_rnn.ms_per_note",
     None, None, "ms per note", None),
    ("Data", "load Bach chorales from Cadenza's cache vs parsing them with music21", "corpus.cache_s", "corpus.music21_s",
     "corpus.cache_speedup_vs_music21", "s", "20x"),
    ("Training", "markov fit (orders 1-8), tokens/s", "train.markov.tokens_per_s", None, None, "tokens/s", None),
    ("Training", "note-lstm, tokens/s", "train.note_lstm.tokens_per_s", None, None, "tokens/s", None),
    ("Training", "abc-lstm (shared loop) vs a bare PyTorch loop, tokens/s", "train.abc_lstm.tokens_per_s",
     "train.abc_lstm.bare_loop_tokens_per_s", "train.abc_lstm.speed_vs_bare_loop", "tokens/s", "no slower"),
    ("Training", "vae-nn, track-steps/s", "train.vae_nn.tokens_per_s", None, None, "track-steps/s", None),
    ("Editor", "start-up: process start to window shown vs a bare PySide6 window", "startup.cadenza_window_s",
     "startup.bare_pyside6_window_s", "startup.ratio_vs_bare_qt", "s", None),
    ("Editor", "piano roll scroll frame, 10,000 notes vs an empty roll", "pianoroll_scroll.scroll_frame_ms",
     "pianoroll_scroll.empty_scroll_frame_ms", "pianoroll_scroll.frame_ratio_vs_empty", "ms", "16 ms (60 fps)"),
    ("Editor", "longest event-loop stall while generating: in the worker vs on the UI thread",
     "ui.generation.worker_max_stall_ms", "ui.generation.on_ui_thread_stall_ms",
     "ui.generation.stall_ratio_ui_thread_vs_worker", "ms", "under 50 ms"),
    ("Editor", "longest event-loop stall while training (child process)", "ui.training.child_process_max_stall_ms",
     None, None, "ms", "under 50 ms"),
    ("Editor", "slider release to first audible sample: vae-nn (noise sd) vs abc-lstm (temperature)",
     "ui.slider_release.vae_nn.release_to_first_audible_ms", "ui.slider_release.abc_lstm.release_to_first_audible_ms",
     None, "ms", None),
    ("MIDI", "MIDI thru, Cadenza's own share: arrival to note applied in the live synth plus its period (median)",
     "midi_latency.thru.cadenza_own_share_ms.median", None, None, "ms", "under 20 ms"),
    ("MIDI", "key-down to first sample at the null sink, medians: thru vs the playback path's key preview",
     "midi_latency.thru.key_down_to_sound_ms.median", "midi_latency.preview_path.key_to_sound_ms.median", None, "ms",
     None),
    ("MIDI", "recording timing error: recorded start minus moment sent (mean)", "midi_latency.recording.error_ms.mean",
     None, None, "ms", "within one 10 ms block"),
]


def dig(tree: dict, dotted: str | None) -> Any:
    """The value at ``a.b.c`` of a nested dict, or None."""
    if not dotted:
        return None
    for key in dotted.split("."):
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _ratio(run: dict, ours: str, alt: str | None, ratio: str | None) -> str:
    value = dig(run, ratio)
    if value is None and alt and dig(run, alt) and dig(run, ours):
        value = dig(run, alt) / dig(run, ours)
    return "–" if value is None else f"{value:.2f}x"


def machine_line(run: dict) -> str:
    m = run.get("machine", {})
    gpu = m.get("gpu") or "no GPU"
    return (f"{m.get('cpu')}, {m.get('cores_usable')} cores, {gpu}; {m.get('platform')}; Python {m.get('python')}, "
            f"torch {m.get('torch')}, PySide6 {m.get('pyside6')}, numpy {m.get('numpy')}, music21 {m.get('music21')}")


def table(full: dict, quick: dict | None, gpu: dict | None) -> list[str]:
    head = ["what", "unit", "Cadenza", "the alternative", "ratio", "goal"]
    if quick:
        head.append("ratio, --quick")
    if gpu:
        head += ["Cadenza, CUDA", "ratio, CUDA"]
    lines, section = [], None
    for sec, what, ours, alt, ratio, unit, goal in ROWS:
        if sec != section:
            lines += ["", f"### {sec}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            section = sec
        cells = [what, unit, _num(dig(full, ours)), _num(dig(full, alt)) if alt else "–",
                 _ratio(full, ours, alt, ratio), goal or "–"]
        if quick:
            cells.append(_ratio(quick, ours, alt, ratio))
        if gpu:
            cells += [_num(dig(gpu, ours)), _ratio(gpu, ours, alt, ratio)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def page(full: dict, quick: dict | None, gpu: dict | None) -> str:
    lines = [HEADER, f"**Machine (full run):** {machine_line(full)}.", ""]
    timing = full.get("timing", {})
    lines.append(f"The full run took {timing.get('total', 0):.0f} s (medians of repeated runs, one benchmark at a time)"
                 + (f"; `cadenza bench --quick` took {quick['timing']['total']:.1f} s on the same machine."
                    if quick else "."))
    if gpu:
        lines.append(f"\n**CUDA column:** {machine_line(gpu)}.")
    else:
        lines.append("\n**No CUDA column yet:** no CUDA GPU was available where these figures were measured. "
                     "On a machine with one, `cadenza bench --json > gpu.json` and then "
                     "`tools/benchmarks_report.py --from docs/bench/full.json --gpu gpu.json` add it (training with "
                     "AMP and generation on the GPU, from the same benchmarks).")
    lines += table(full, quick, gpu)
    errors = {**full.get("errors", {}), **((quick or {}).get("errors", {}))}
    if errors:
        lines += ["", "**Benchmarks that failed:** " + "; ".join(f"{k}: {v}" for k, v in errors.items())]
    lines += ["", FOOTER]
    return "\n".join(lines) + "\n"


def _load_or_run(path: str | None, quick: bool) -> dict:
    if path:
        return json.loads(Path(path).read_text())
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run_all

    start = time.perf_counter()
    result = run_all.run_all(quick=quick, on_progress=lambda name: print(f"running {name}", file=sys.stderr, flush=True))
    print(f"{'quick' if quick else 'full'} run: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="full", help="a saved full run (cadenza bench --json) instead of running it")
    parser.add_argument("--quick-from", help="a saved --quick run instead of running it")
    parser.add_argument("--gpu", help="a full run from a machine with a CUDA GPU, for its column")
    args = parser.parse_args(argv)
    full = _load_or_run(args.full, quick=False)
    quick = _load_or_run(args.quick_from, quick=True)
    gpu = json.loads(Path(args.gpu).read_text()) if args.gpu else None
    (DOCS / "bench").mkdir(parents=True, exist_ok=True)
    (DOCS / "bench" / "full.json").write_text(json.dumps(full, indent=1) + "\n")
    (DOCS / "bench" / "quick.json").write_text(json.dumps(quick, indent=1) + "\n")
    if gpu:
        (DOCS / "bench" / "gpu.json").write_text(json.dumps(gpu, indent=1) + "\n")
    (DOCS / "BENCHMARKS.md").write_text(page(full, quick, gpu))
    return 0


HEADER = """# Benchmarks

How fast Cadenza is, each figure measured **beside the alternative a user
would pick, in the same run** (machines are noisy; ratios hold where absolute
times do not). Every figure comes from `cadenza bench` (the scripts in
`benchmarks/`, run by `benchmarks/run_all.py`); this page, and the JSON of the
runs in `docs/bench/`, are written by:

```sh
.venv/bin/python tools/benchmarks_report.py     # the full run and the --quick run, then this page
make bench                                      # the full run alone, one JSON object
make bench ARGS=--quick                         # the short run (under 45 s on two cores)
```

What each benchmark measures, and how, is in its script's docstring.
"""

FOOTER = """**Reading the table.** *Cadenza* is our figure, *the alternative* what a
user would otherwise use: `pretty_midi`'s FluidSynth rendering; a sampler
that re-runs a window of the last 100 tokens for every new one; an LSTM
model for the same 16 bars (vae-nn's slider latency); music21 parsing the
files again; a bare PySide6 window; an empty piano roll; the same generation
called on the UI thread (a tool without workers); a bare PyTorch training
loop. *ratio* is the alternative's time over ours (above 1: we are faster),
or ours over the alternative's for rates (tokens/s) and the start-up and
scrolling costs (there, lower is better and it shows what Cadenza's window
and notes add). The `--quick` column repeats the ratio from the short run:
one repeat, smaller inputs (10 chorales instead of 408, 8 variations instead
of 16), two benchmarks at once on one thread each. It shows the same
direction and order of size, not the same figure: a sampler's speed-up over
a window re-feed, for one, depends on how many threads the batched re-feed
gets. Quote the full run.

**Machines differ.** abc-lstm's step is three LSTM cells on one character,
bound by memory bandwidth rather than arithmetic: this machine's cores take
0.06 ms for one 512 x 1024 matrix-vector product, and 1.3 s per 1,000
characters, where an earlier development machine took 0.47 s. The ratios
beside each figure are what carries over.
"""


if __name__ == "__main__":
    sys.exit(main())
