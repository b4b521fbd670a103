"""abc-lstm generation speed and corpus cache speed, each beside the alternative, same run.

- abc-lstm: the time to write 1,000 characters of tunes on the CPU with the
  bundled checkpoint (grammar masks included), carrying (h, c) — and the same
  with music21 reading the tune back into a Score — against
  re-running a 100-character window for every character (what a
  window-based sampler does); both with the same model and sampler.
- corpus: loading the Bach chorales from Cadenza's cache against parsing the
  same files with music21 (``converter.parse`` + conversion to a Score), on a
  sample of files (all 408 with the full run).

Medians of 3 runs (``--quick``: 1, fewer files). Prints one JSON object;
``run(quick)`` returns the same dict for ``cadenza bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `models` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from models.common.generator import GenerationRequest, run_generation  # noqa: E402
from models.common.sampling import make_generator, sample_next  # noqa: E402
from models.registry import load_generator  # noqa: E402

CHARS = 1000
WINDOW = 100


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def abc_generation(repeats: int) -> dict:
    gen = load_generator("abc-lstm", device="cpu")
    request = gen.check_request(GenerationRequest(bars=40, variations=1, random_seed=1))  # options resolved
    counted = {}

    def sampling():  # characters only: model steps, grammar masks, sampler
        texts = run_generation(gen._sample(gen.constraints(request), request))
        counted["chars"] = len(texts[0])

    def end_to_end():  # plus reading the tune back into a Score (music21)
        run_generation(gen.generate(request))

    seconds = _median(sampling, repeats)
    ms_per_1000 = seconds * 1000 / counted["chars"] * CHARS
    with_readback = _median(end_to_end, repeats) * 1000 / counted["chars"] * CHARS

    def refeed():  # 200 characters re-running a window each step (scaled to 1,000)
        ids = torch.full((1, 1), gen.vocab.end_id, dtype=torch.long)
        g = make_generator(1, torch.device("cpu"))
        with torch.no_grad():
            for _ in range(200):
                logits, _ = gen.model(ids[:, -WINDOW:])
                nxt = sample_next(logits[:, -1], g)
                ids = torch.cat([ids, nxt[:, None]], dim=1)

    refeed_ms = _median(refeed, repeats) * 1000 * CHARS / 200
    return {"ms_per_1000_chars": round(ms_per_1000, 1), "with_readback_ms_per_1000_chars": round(with_readback, 1),
            "refeed_ms_per_1000_chars": round(refeed_ms, 1),
            "speedup_vs_window_refeed": round(refeed_ms / ms_per_1000, 2), "device": "cpu"}


def corpus_cache(repeats: int, files: int) -> dict:
    import music21

    from app.core.music21_bridge import stream_to_score
    from models.common.corpus import dataset_files, load_scores

    _, paths = dataset_files("corpus:chorales")
    paths = paths[:files]
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CADENZA_CACHE_DIR"] = cache
        try:
            folder = Path(cache) / "data"
            folder.mkdir()
            for p in paths:
                (folder / p.name).write_bytes(p.read_bytes())
            load_scores(str(folder), workers=1)  # fill the cache
            cached = _median(lambda: load_scores(str(folder), workers=1), repeats)
        finally:
            os.environ.pop("CADENZA_CACHE_DIR", None)
    parsed = _median(lambda: [stream_to_score(music21.converter.parse(str(p))) for p in paths], repeats)
    return {"files": len(paths), "cache_s": round(cached, 3), "music21_s": round(parsed, 3),
            "cache_speedup_vs_music21": round(parsed / cached, 1)}


def run(quick: bool = False) -> dict:
    repeats = 1 if quick else 3
    return {"generate": {"abc_lstm": abc_generation(repeats)},
            "corpus": corpus_cache(repeats, 10 if quick else 408)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick)))


if __name__ == "__main__":
    main()
