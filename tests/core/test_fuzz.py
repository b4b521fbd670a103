"""Fuzzing the readers: mutated MIDI and ABC files end in a Score or our error, in time.

Byte-level mutations (flips, truncations, insertions, duplicated and swapped
chunks) of golden files, from a fixed RNG seed so failures reproduce. Each
input goes through the real ``load_score`` (size checks, child process, time
limit) and must give a Score or a CadenzaError with one sentence.
"""

import random
import time
from pathlib import Path

import pytest

from app.core.errors import CadenzaError
from app.core.formats import load_score
from app.core.score import Score

DATA = Path(__file__).parents[1] / "data"
TIME_LIMIT = 10.0
ABC_TOKENS = [b"|", b":|", b"|:", b"[", b"]", b"(3", b"{", b"}", b"-", b"^", b"_", b"=", b"/", b"2", b"9999",
              b"\nK:", b"\nM:", b"\nL:1/0", b"\nM:0/0", b"\nX:", b"\nV:", b"z", b"'", b",", b">", b"\"Am\"", b"!"]


def mutate(data: bytes, rng: random.Random, tokens: list[bytes] | None = None) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1) if buf else 0
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            del buf[pos:]
        elif op == 2:
            buf[pos:pos] = rng.choice(tokens) if tokens else bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and buf:
            a, b = sorted((rng.randrange(len(buf)), rng.randrange(len(buf))))
            buf[pos:pos] = buf[a:b][:512]
        elif op == 4 and buf:
            a = rng.randrange(len(buf))
            del buf[a:a + rng.randint(1, 16)]
        elif op == 5 and len(buf) > 4:
            a, b = sorted(rng.sample(range(len(buf)), 2))
            buf[a], buf[b] = buf[b], buf[a]
    return bytes(buf)


def cases(kind: str, count: int):
    rng = random.Random(20261121 + (kind == "abc"))
    if kind == "mid":
        sources = [(DATA / "midi" / n).read_bytes() for n in ("multitrack.mid", "type0.mid")]
        tokens = None
    else:
        sources = [(DATA / "fuzz" / "seed.abc").read_bytes()]
        tokens = ABC_TOKENS
    return [mutate(rng.choice(sources), rng, tokens) for _ in range(count)]


@pytest.mark.parametrize("kind, count", [("mid", 160), ("abc", 120)])
def test_mutated_inputs_end_in_score_or_our_error(tmp_path, kind, count):
    outcomes = {"score": 0, "error": 0}
    for i, data in enumerate(cases(kind, count)):
        path = tmp_path / f"case{i}.{kind}"
        path.write_bytes(data)
        start = time.monotonic()
        try:
            result = load_score(path, time_limit=TIME_LIMIT)
        except CadenzaError as exc:
            message = str(exc)
            assert message and "\n" not in message and "Traceback" not in message, (i, message)
            outcomes["error"] += 1
        else:
            assert isinstance(result, Score)
            outcomes["score"] += 1
        assert time.monotonic() - start < TIME_LIMIT + 5, f"case {i} overran the time limit"
    assert sum(outcomes.values()) == count
    assert outcomes["error"] > 0  # the mutations really do break files
