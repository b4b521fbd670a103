"""music-transformer speed: KV-cache decoding against recomputing the prefix, and regenerating a selection.

1. **KV cache**: a randomly initialised network of the bundled checkpoint's
   size (its card's config; the default config when there is none) writes
   ``TOKENS`` tokens after a prompt, so that the sequence reaches 1,024
   tokens, two ways with the same sampler and random seed: ours reads the
   prompt once and then runs one token per step against the cached keys and
   values; the alternative re-runs the whole sequence for every new token
   (what a model without a cache does).
2. **Regenerate a selection**: 4 bars on the 4 voices of a Bach chorale
   seed (extended to 12 bars), 4 variations, with the bundled checkpoint
   (when one is installed), beside note-lstm writing the same 4 bars as a
   continuation of the bars before them (note-lstm cannot infill) with the
   same number of variations.

Each timing is the median of 3 runs (``--quick``: 1). Prints one JSON object;
``run(quick)`` returns the same dict for ``cadenza bench``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `models` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from benchmarks.timing import median_seconds  # noqa: E402

from app.core.formats import load_score  # noqa: E402
from app.core.score import Note  # noqa: E402
from models.common.generator import GenerationRequest, Infill, run_generation  # noqa: E402
from models.common.sampling import make_generator, sample_next  # noqa: E402
from models.music_transformer import vocab as V  # noqa: E402
from models.music_transformer.model import MusicTransformer, MusicTransformerConfig, count_parameters  # noqa: E402

TOTAL = 1024
TOKENS = 128
SEED = "seed:bach-ach-gott-vom-himmel-sieh-darein"


def _bundled_config() -> MusicTransformerConfig:
    from models.registry import find_checkpoint
    from models.common.card import read_card

    try:
        config = dict(read_card(find_checkpoint("music-transformer"))["config"])
    except Exception:  # no bundled checkpoint yet: the default size
        config = {"vocab_size": V.VOCAB_SIZE}
    config["max_len"] = max(TOTAL, config.get("max_len", 0))
    return MusicTransformerConfig(**config)


@torch.inference_mode()
def cached(model: MusicTransformer, prompt: torch.Tensor, n: int) -> list[int]:
    random = make_generator(1, torch.device("cpu"))
    cache = model.new_cache(1, prompt.shape[1] + n)
    logits = model(prompt, cache=cache, last_only=True)[:, -1]
    out = []
    for _ in range(n):
        token = sample_next(logits, random)
        out.append(int(token))
        logits = model(token[:, None], cache=cache)[:, -1]
    return out


@torch.inference_mode()
def recomputed(model: MusicTransformer, prompt: torch.Tensor, n: int) -> list[int]:
    random = make_generator(1, torch.device("cpu"))
    ids = prompt
    out = []
    for _ in range(n):
        token = sample_next(model(ids, last_only=True)[:, -1], random)
        out.append(int(token))
        ids = torch.cat([ids, token[:, None]], 1)
    return out


def bench_cache(quick: bool) -> dict:
    torch.manual_seed(0)
    model = MusicTransformer(_bundled_config()).eval()
    prompt = torch.randint(0, V.VOCAB_SIZE, (1, TOTAL - TOKENS))
    repeats = 1 if quick else 3
    ours = median_seconds(lambda: cached(model, prompt, TOKENS), repeats)
    theirs = median_seconds(lambda: recomputed(model, prompt, TOKENS), repeats)
    same = cached(model, prompt, 16) == recomputed(model, prompt, 16)
    return {"speedup_vs_recompute": round(theirs / ours, 1), "cached_ms_per_token": round(ours * 1000 / TOKENS, 2),
            "recompute_ms_per_token": round(theirs * 1000 / TOKENS, 2), "sequence_tokens": TOTAL,
            "tokens_timed": TOKENS, "same_tokens": same, "parameters": count_parameters(model),
            "threads": torch.get_num_threads()}


def long_chorale():
    """The chorale seed repeated to 12 bars (so a 4-bar selection has 4 bars on either side)."""
    seed = load_score(SEED)
    length = seed.end
    tracks = tuple(t.with_notes(Note(n.start + k * length, n.pitch, n.duration, n.velocity)
                                for k in range(3) for n in t.notes) for t in seed.tracks)
    return replace(seed, tracks=tracks)


def bench_selection(quick: bool) -> dict:
    from models.registry import load_generator

    score = long_chorale()
    repeats = 1 if quick else 3
    out: dict = {"bars": 4, "tracks": len(score.tracks), "variations": 4}
    try:
        mt = load_generator("music-transformer", device="cpu")
    except Exception as exc:  # no bundled checkpoint installed
        out["music_transformer_error"] = str(exc)
    else:
        request = GenerationRequest(seed=score, variations=4, random_seed=1, infill=Infill(4, 8))
        out["music_transformer_s"] = round(median_seconds(lambda: run_generation(mt.generate(request)), repeats), 3)
    lstm = load_generator("note-lstm", device="cpu")
    before = replace(score, tracks=tuple(t.with_notes(n for n in t.notes if n.start < score.end // 3)
                                         for t in score.tracks))
    request = GenerationRequest(seed=before, bars=4, variations=4, random_seed=1)
    out["note_lstm_s"] = round(median_seconds(lambda: run_generation(lstm.generate(request)), repeats), 3)
    if "music_transformer_s" in out:
        out["ratio_to_note_lstm"] = round(out["music_transformer_s"] / out["note_lstm_s"], 2)
    return out


def run(quick: bool = False) -> dict:
    return {"generate": {"music_transformer": {"kv_cache": bench_cache(quick),
                                               "regenerate_selection": bench_selection(quick)}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each timing instead of the median of 3")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
