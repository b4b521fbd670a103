"""The ABC codec of the character LSTM: corpus clean-up, transposition, vocabulary."""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.abc_lstm.codec import (
    END, CharVocab, format_length, normalize_key, normalize_reason, normalize_tune, tonic_choices, transpose_tune,
)
from models.common.corpus import abc_tunes

SHIFTS = list(range(-5, 7))
HEADER = ("X:", "T:", "M:", "L:", "K:")


@lru_cache(maxsize=1)
def _sample() -> tuple[list[str], list[str]]:
    """200 corpus tunes drawn with a fixed seed: (original texts, normalized or None)."""
    tunes = random.Random(20240611).sample(abc_tunes("corpus:folk-abc"), 200)
    texts = [t.text for t in tunes]
    return texts, [normalize_tune(t) for t in texts]


def _kept() -> list[str]:
    return [n for n in _sample()[1] if n is not None]


def tune_pitches(text: str) -> list[int]:
    """MIDI pitches of the notes music21 reads from an ABC tune, in order (chords: all)."""
    from music21 import converter

    return [p.midi for element in converter.parse(text, format="abc").flatten().notes for p in element.pitches]


def _tune(key: str, body: str, meter: str = "4/4", unit: str = "1/8") -> str:
    return f"X:1\nT:Test\nM:{meter}\nL:{unit}\nK:{key}\n{body}\n"


def _assert_transposes(text: str, shifts=SHIFTS, readers=("",)) -> int:
    """Check music21's pitches of every transposition; return how many shifts worked."""
    done = 0
    for shift in shifts:
        moved = transpose_tune(text, shift)
        if moved is None:
            continue
        done += 1
        for prefix in readers:  # "" reads ABC 1.x (no carried accidentals); 2.1 carries them
            if prefix and re.search(r"\^\^|__", text + moved):
                continue  # music21 carries ^^ and __ through the bar as ^ and _
            want = [p + shift for p in tune_pitches(prefix + text)]
            assert tune_pitches(prefix + moved) == want, (shift, prefix, text, moved)
    return done


# -- normalize_tune ------------------------------------------------------------------------

def test_normalize_keeps_most_corpus_tunes_in_training_form():
    kept = _kept()
    assert len(kept) >= 0.6 * 200
    for tune in kept:
        lines = tune.rstrip("\n").split("\n")
        assert lines[0] == "X:1"
        assert all(line.startswith(h) for line, h in zip(lines[1:5], HEADER[1:]))
        assert len(lines) > 5 and all(line.strip() for line in lines)
        assert not any(re.match(r"[A-Za-z]:", line) for line in lines[5:])
        assert '"' not in tune and "!" not in tune
        assert re.fullmatch(r"[A-Ga-gz^_=,'/0-9 (\-|:\[\]]+", "".join(lines[5:]))
        assert normalize_tune(tune) == tune  # idempotent


def test_normalized_tunes_keep_their_notes():
    """music21 reads the same pitches from most kept tunes as from the originals
    (grace notes and chord symbols aside); it misreads a few originals."""
    from music21 import harmony

    def pitches(text):
        notes = __import__("music21").converter.parse(text, format="abc").flatten().notes
        return [p.midi for n in notes if not isinstance(n, harmony.ChordSymbol)
                and not n.duration.isGrace for p in n.pitches]

    pairs = [(o, n) for o, n in zip(*_sample()) if n is not None][:25]
    same = sum(pitches(o) == tune_pitches(n) for o, n in pairs)
    assert same >= 0.85 * len(pairs)


def test_normalize_cleans_a_messy_tune():
    text = (
        "X: 12\nT: Sch\\\"one \"Polka\"!\nT: Second title\nR: polka\nC: trad.\n"
        "M: 2/4\nQ: 1/4=120\nI: abc-charset utf-8\n%%MIDI program 1\nK: G Major\n"
        '"G"~d>B {c}B2 | !trill!A//B//c/2d/ (3efg | .e<c c2-c2 | [1 a2 z2 :|\\\n'
        "% a comment line\n"
        '[2 +fermata+g4 |] % end\nw: some lyrics\nW: more words\n\n'
        "Free text after a blank line that is not music [CEG]\n")
    assert normalize_tune(text) == (
        "X:1\nT:Schone Polka\nM:2/4\nL:1/16\nK:G\n"
        "d3/2B/ B2 | A/4B/4c/d/ (3efg | e/c3/2 c2-c2 | [1 a2 z2 :|\n"
        "[2 g4 |]\n")


def test_normalize_fills_defaults_and_canonical_spellings():
    tune = normalize_tune("X:3\nT:\nK:\nA/2 B// c, C' x2 e>>f g<a A-B B-B |]")
    assert tune == "X:1\nT:Untitled\nM:4/4\nL:1/8\nK:C\nA/ B/4 C c z2 e7/4f/4 g/a3/2 AB B-B |]\n"
    assert normalize_tune("X:1\nT:t\nM:C|\nK:Edorian\nE2|]").split("\n")[2:5] == \
        ["M:2/2", "L:1/8", "K:Edor"]
    assert normalize_tune("X:1\nT:t\nM:3/8\nK:F#m\nA|]").split("\n")[3:5] == ["L:1/16", "K:F#m"]


@pytest.mark.parametrize("why, text", [
    ("voices", "X:1\nT:t\nM:4/4\nV:1\nK:C\nABcd|]"),
    ("inline key change", "X:1\nT:t\nK:C\nABcd|[K:G]ABcd|]"),
    ("inline meter change", "X:1\nT:t\nK:C\nABcd|[M:3/4]ABc|]"),
    ("body key change", "X:1\nT:t\nK:C\nABcd|\nK:G\nABcd|]"),
    ("key none", "X:1\nT:t\nK:none\nABcd|]"),
    ("percussion", "X:1\nT:t\nK:perc\nABcd|]"),
    ("bagpipes", "X:1\nT:t\nK:HP\nABcd|]"),
    ("locrian", "X:1\nT:t\nK:Bloc\nABcd|]"),
    ("empty body", "X:1\nT:t\nM:4/4\nK:C\n"),
    ("rests only", "X:1\nT:t\nK:C\nz4|z4|]"),
    ("chord", "X:1\nT:t\nK:C\nABcd|[CEG]4|]"),
    ("free meter", "X:1\nT:t\nM:none\nK:C\nABcd|]"),
    ("voice overlay", "X:1\nT:t\nK:C\nABcd & cdef|]"),
    ("multi-bar rest", "X:1\nT:t\nK:C\nABcd|Z4|]"),
    ("no X line", "T:t\nK:C\nABcd|]"),
])
def test_normalize_refuses_unusable_tunes(why, text):
    tune, reason = normalize_reason(text)
    assert tune is None and reason != "ok", why


def test_format_length():
    from fractions import Fraction as F
    assert [format_length(F(v)) for v in ("1", "2", "1/2", "3/2", "1/4", "3/4", "8")] == \
        ["", "2", "/", "3/2", "/4", "3/4", "8"]


# -- transpose_tune ------------------------------------------------------------------------

def test_transpose_corpus_tunes_by_every_shift():
    tunes = _kept()[:30]
    done = 0
    for i, tune in enumerate(tunes):
        shifts = [SHIFTS[(3 * i + j) % 12] for j in range(4)]
        done += _assert_transposes(tune, shifts)
    assert done >= 0.9 * 4 * len(tunes)


def test_transpose_by_zero_returns_the_tune():
    for tune in _kept():
        assert transpose_tune(tune, 0) == tune


@pytest.mark.parametrize("key, body", [
    ("D", "=c c ^G G _B B C c | c G B _B B ^c' c' | =F F f ^^F __B B,, c'2 |]"),
    ("Ador", "A,B,CD EFG^G | ^g =f f ^F F, G2- | G2 ^f'=F ^c_e e2 |]"),
    ("F", "_B =B B b | =B B _b b | ^A,, _E E e _e e2 |]"),
    ("Bb", "B, B =B, B, _B B ^c c | c2-c2 =e2-e2 | E4 z4 |]"),
    ("Gmix", "(3^FGA G2 =f f ^f2 | g/^f/=f/e/ d3/2c/ B,4 |]"),
    ("C#m", "cd e^f ^^f g^a b | =b ^b c'2 C,4 |]"),
    ("Ebm", "_E =E F _G =G _A A B | _c' c' =c' c4 |]"),
])
def test_transpose_tricky_accidentals(key, body):
    tune = _tune(key, body)
    assert normalize_tune(tune) is not None
    assert _assert_transposes(tune, readers=("", "%abc-2.1\n")) == len(SHIFTS)


def test_transpose_respells_explicitly():
    tune = _tune("D", "=c c ^G G _B B C c|c G B C c4|]")
    assert transpose_tune(tune, 2).split("\n")[4:6] == \
        ["K:E", "=d d ^A A =c c D d|d A c D d4|]"]
    assert transpose_tune(_tune("F", "_B =B B|B|]"), -1).split("\n")[4:6] == \
        ["K:E", "=A ^A A|A|]"]
    assert transpose_tune(_tune("Ador", "A ^G =F f|]"), 5).split("\n")[4:6] == \
        ["K:Ddor", "d ^c _B b|]"]


def test_transpose_falls_back_to_the_other_key_spelling():
    """B double flat down a semitone in D flat would need a triple flat: C sharp spells it."""
    assert tonic_choices("D", "major", -1)[0] == ("Db", 0)
    assert [t for t, _ in tonic_choices("D", "major", -1)] == ["Db", "C#"]
    assert transpose_tune(_tune("D", "__B B d|]"), -1).split("\n")[4:6] == ["K:C#", "_A A c|]"]
    assert transpose_tune(_tune("D", "_B B d|]"), -1).split("\n")[4:6] == ["K:Db", "__B B d|]"]


def test_transpose_writes_only_keys_music21_reads():
    """F lydian down a semitone is E lydian, never Fb lydian (music21 reads a tonic Fb as F)."""
    assert [t for t, _ in tonic_choices("F", "lydian", -1)] == ["E"]
    assert transpose_tune(_tune("Flyd", "C ^^D |]"), -1) is None  # E lydian would need a triple sharp


@pytest.mark.parametrize("tonic, mode, shift, want", [
    ("C", "major", 6, "F#"), ("C", "major", -6, "Gb"), ("D", "major", 6, "Ab"),
    ("D", "mixolydian", 6, "Ab"), ("E", "minor", 1, "F"), ("A", "dorian", -5, "E"),
    ("G", "minor", 4, "B"), ("C#", "major", 0, "C#"), ("F", "major", 12, "F"),
    ("B", "major", 1, "C"), ("Eb", "minor", 2, "F"),
])
def test_preferred_tonic(tonic, mode, shift, want):
    new, steps = tonic_choices(tonic, mode, shift)[0]
    assert new == want
    assert abs(steps - shift * 7 / 12) <= 1


def test_transpose_refuses_notes_out_of_range():
    assert transpose_tune(_tune("C", "A,,,,2 c2|]"), -1) is None
    assert transpose_tune(_tune("C", "A,,,,2 c'''2|]"), 1) is None
    assert transpose_tune(_tune("C", "A,,,,2 c'''2|]"), 0) is not None
    assert transpose_tune(_tune("C", "B,,,,2 c''2|]"), -1) is not None


_NOTE = st.tuples(st.sampled_from(["", "", "", "^", "_", "=", "^^", "__"]),
                  st.sampled_from("CDEFGABcdefgab"), st.sampled_from(["", "", ",", "'"]),
                  st.sampled_from(["", "2", "/"]))
_KEYS = ["C", "G", "D", "A", "E", "B", "F#", "Db", "Ab", "Eb", "Bb", "F", "Am", "Em", "Bm",
         "C#m", "Gm", "Dm", "Ador", "Edor", "Gdor", "Dmix", "Amix", "Gmix", "Flyd", "Ephr"]


def _note_text(note) -> str:
    acc, letter, mark, length = note
    mark = "," if mark and letter.isupper() else "'" if mark else ""
    return acc + letter + mark + length


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(_KEYS), shift=st.sampled_from(SHIFTS),
       bars=st.lists(st.lists(_NOTE, min_size=1, max_size=6), min_size=1, max_size=4))
def test_transpose_random_bars(key, shift, bars):
    tune = _tune(key, " | ".join(" ".join(map(_note_text, bar)) for bar in bars) + " |]")
    assert normalize_tune(tune) is not None
    _assert_transposes(tune, [shift], readers=("", "%abc-2.1\n"))


def test_normalize_key():
    assert [normalize_key(k) for k in ("G", "G major", "e minor", "Amix", "D Dorian", "Bbm", "")] \
        == ["G", "G", "Em", "Amix", "Ddor", "Bbm", "C"]


# -- CharVocab -----------------------------------------------------------------------------

def test_char_vocab_round_trip():
    texts = [t + END for t in _kept()[:50]]
    vocab = CharVocab.build(texts)
    assert END in vocab.chars and vocab.chars == tuple(sorted(vocab.chars))
    for text in texts:
        ids = vocab.encode(text)
        assert ids[-1] == vocab.end_id and vocab.decode(ids) == text
    again = CharVocab.from_list(json.loads(json.dumps(vocab.to_list())))
    assert again.chars == vocab.chars and len(again) == len(vocab)
    assert CharVocab.build(["ab"]).to_list() == [END, "a", "b"]
    with pytest.raises(KeyError):
        CharVocab.build(["ab"]).encode("abc")
    with pytest.raises(ValueError):
        CharVocab(["a", "a"])
