"""note-lstm speed: carried (h, c) state against Skuldur's window re-feed, and training throughput.

A randomly initialised network of the bundled size (3 LSTM layers of 256,
embedding 128, dense 256; vocabulary of about 630 note/chord/duration/wait
tokens) generates 500 tokens after a 100-token seed on the CPU, in the same
run, two ways with the same sampler, masks and random seed:

- ours: read the seed once, then one recurrent step per token, carrying (h, c);
- Skuldur's ``predict.py``: for every token, run the last 100 tokens from a
  zero state (only the last position through the dense layers, as Keras'
  ``return_sequences=False`` does).

Training throughput is measured with the shared training loop on synthetic
windows of 128 tokens, batch 64 (the first step, which warms up, is not
counted). Each timing is the median of 3 runs (``--quick``: 1). Prints one
JSON object; ``run(quick)`` returns the same dict for ``cadenza bench``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `models` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.timing import median_seconds  # noqa: E402

from models.common.note_tokens import LENGTHS, Vocabulary  # noqa: E402
from models.common.sampling import make_generator  # noqa: E402
from models.common.train_loop import train  # noqa: E402
from models.common.train_task import TrainConfig  # noqa: E402
from models.note_lstm.codec import NoteCodec, PieceSet  # noqa: E402
from models.note_lstm.generate import KindRules, carried_state_generate, window_refeed_generate  # noqa: E402
from models.note_lstm.model import NoteLSTM, NoteLSTMConfig, count_parameters  # noqa: E402
from models.note_lstm.train import NoteData, NoteLSTMTask  # noqa: E402

TOKENS = 500
WINDOW = 100
SEQ_LEN, BATCH = 128, 64


def bench_vocabulary() -> Vocabulary:
    """Fixed tokens plus 480 triads and tetrads (a real corpus gives several hundred to a few thousand)."""
    chords = [f"c{r}.{r + a}.{r + a + b}" for r in range(36, 84) for a in (3, 4, 5) for b in (3, 4, 5)]
    chords += [f"c{r}.{r + 4}.{r + 7}.{r + 12}" for r in range(36, 84)]
    return Vocabulary.build([chords, chords])


def random_tokens(vocab: Vocabulary, n_onsets: int, rng: np.random.Generator) -> list[str]:
    """A grammatical token stream (P D W ...) of random pitches/chords and lengths."""
    pitches = [t for t in vocab.tokens if t[0] in "pc" and (t[0] == "c" or 36 <= int(t[1:]) <= 84)]
    out = []
    for _ in range(n_onsets):
        out += [pitches[rng.integers(len(pitches))], f"d{rng.choice(LENGTHS)}", f"w{rng.choice(LENGTHS[:6])}"]
    return out


def bench_generate(quick: bool) -> dict:
    """Carried state vs window re-feed: 500 tokens each, same seed, same sampler."""
    torch.manual_seed(0)
    vocab = bench_vocabulary()
    codec = NoteCodec(vocab)
    model = NoteLSTM(NoteLSTMConfig(vocab_size=len(vocab))).eval()
    rules = KindRules(vocab, torch.device("cpu"))
    seed = codec.encode_tokens(random_tokens(vocab, 34, np.random.default_rng(0)))[:WINDOW]
    cpu = torch.device("cpu")
    repeats = 1 if quick else 3
    carry = median_seconds(lambda: carried_state_generate(model, seed, TOKENS, make_generator(1, cpu), rules), repeats)
    refeed = median_seconds(lambda: window_refeed_generate(model, seed, TOKENS, WINDOW, make_generator(1, cpu), rules),
                             repeats)
    return {"speedup_vs_window_refeed": round(refeed / carry, 1), "carry_ms": round(carry * 1000, 1),
            "refeed_ms": round(refeed * 1000, 1), "tokens": TOKENS, "window": WINDOW,
            "carry_ms_per_token": round(carry * 1000 / TOKENS, 3), "vocab_size": len(vocab),
            "parameters": count_parameters(model), "device": "cpu", "threads": torch.get_num_threads()}


def bench_train(quick: bool) -> dict:
    """Tokens per second of the shared loop training the bundled-size network on the CPU."""
    vocab = bench_vocabulary()
    codec = NoteCodec(vocab)
    rng = np.random.default_rng(1)
    pieces = [random_tokens(vocab, 3 * SEQ_LEN // 3 * 3, rng) for _ in range(BATCH * 4)]
    data = NoteData(codec, PieceSet(codec, pieces, [[0]] * len(pieces)),
                    [codec.encode_tokens(pieces[0][: SEQ_LEN + 1])], [])
    task = NoteLSTMTask(data, NoteLSTMConfig(vocab_size=len(vocab)), SEQ_LEN, BATCH, augment=False)
    steps = 3 if quick else 8
    cfg = TrainConfig(epochs=10, batch_size=BATCH, max_steps=steps, device="cpu", checkpoint_every=0, patience=0)
    stamps: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as out:
        for progress in train(task, cfg, out):
            stamps.append((progress.step, time.perf_counter()))
    (s0, t0), (s1, t1) = stamps[1], stamps[-1]  # from the end of step 1 to the end of the last
    return {"tokens_per_s": round((s1 - s0) * BATCH * SEQ_LEN / (t1 - t0), 1), "device": "cpu",
            "batch": BATCH, "seq_len": SEQ_LEN, "steps_timed": s1 - s0, "threads": torch.get_num_threads()}


def run(quick: bool = False) -> dict:
    """Both benchmarks as one dict (printed as JSON by ``main``)."""
    return {"generate": {"note_lstm": bench_generate(quick)}, "train": {"note_lstm": bench_train(quick)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each timing instead of the median of 3")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
