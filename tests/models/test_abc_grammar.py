"""Grammar-aware ABC decoding: random walks give valid tunes, seeds, errors, force_finish, copies.

Every tune is checked with music21 through ``check_tune`` (about 350 parses).
"""

import random
from fractions import Fraction as F

import pytest

from app.core.abc.header import bar_units, default_unit, format_meter, format_unit
from models.abc_lstm.grammar import ALPHABET, AbcBodyGrammar, check_tune, clean_seed_body, is_valid_key, validate_key
from models.abc_lstm.grammar_header import key_sharps

METERS = [(2, 4), (3, 4), (4, 4), (6, 8), (9, 8), (12, 8), (2, 2)]
KEYS = ["D", "G", "Em", "Ador", "Gmix", "Bb", "F#m", "C", "Edor", "Bm"]
STYLES = ("uniform", "long", "bars")
LONG_WEIGHTS = {"8": 8, "6": 6, "4": 5, "3": 4, "2": 3, "/": 0.3}
BAR_WEIGHTS = {"|": 8, ":": 4, "]": 8, "\n": 6, " ": 3}


def choose(rng, allowed, style):
    """One allowed character: uniformly, or biased to long lengths or to bar lines."""
    chars = sorted(allowed)
    if style == "uniform":
        return rng.choice(chars)
    weights = LONG_WEIGHTS if style == "long" else BAR_WEIGHTS
    return rng.choices(chars, [weights.get(c, 1) for c in chars])[0]


def assert_allowed_is_exact(grammar):
    """allowed() holds exactly the characters feed() accepts."""
    for ch in ALPHABET:
        probe = grammar.copy()
        try:
            probe.feed(ch)
            accepted = True
        except ValueError:
            accepted = False
        assert accepted == (ch in grammar.allowed()), (grammar.text, ch)


def walk(grammar, rng, style="uniform", audit_every=0, max_steps=None):
    """Feed allowed characters until done (or ``max_steps``); never sees an empty set."""
    steps = 0
    while not grammar.done and (max_steps is None or steps < max_steps):
        allowed = grammar.allowed()
        assert allowed, f"dead end after {grammar.text!r}"
        assert allowed <= ALPHABET
        if audit_every and steps % audit_every == 0:
            assert_allowed_is_exact(grammar)
        grammar.feed(choose(rng, allowed, style))
        steps += 1
    return grammar.text


def tune(meter, body, key="D", title="Walk"):
    return f"X:1\nT:{title}\nM:{format_meter(meter)}\nL:{format_unit(default_unit(meter))}\nK:{key}\n{body}\n"


def assert_valid(meter, body, key="D"):
    ok, reason = check_tune(tune(meter, body, key))
    assert ok, f"{reason}\n{body}"


# -- (a) random walks ----------------------------------------------------------------

@pytest.mark.parametrize("meter", METERS, ids=lambda m: f"{m[0]}-{m[1]}")
def test_random_walks_always_give_valid_tunes(meter):
    rng = random.Random(1000 * meter[0] + meter[1])
    unit = default_unit(meter)
    bar = bar_units(meter, unit)
    for i in range(40):
        bars = rng.randint(4, 16)
        pickup = rng.choice([F(0), F(0), F(1, 2), F(1), F(2), bar - 1])
        min_bars = bars if i % 4 else rng.randint(2, bars)
        grammar = AbcBodyGrammar(meter, unit, bars, pickup=pickup, min_bars=min_bars)
        body = walk(grammar, rng, STYLES[i % 3], audit_every=9 if i < 4 else 0)
        assert grammar.done and grammar.allowed() == frozenset()
        assert min_bars <= grammar.bars_written <= bars
        assert body.endswith("|]")
        assert_valid(meter, body, KEYS[i % len(KEYS)])


def test_walk_writes_the_requested_number_of_bars():
    from music21 import converter, stream

    rng = random.Random(7)
    for meter in METERS:
        unit = default_unit(meter)
        grammar = AbcBodyGrammar(meter, unit, 6, pickup=F(1))
        body = walk(grammar, rng, "bars")
        part = converter.parse(tune(meter, body), format="abc").parts[0]
        measures = list(part.getElementsByClass(stream.Measure))
        assert len(measures) == 7, body  # pickup + 6 full bars
        assert measures[0].duration.quarterLength == F(unit * 4)


# -- (b) seeds -----------------------------------------------------------------------

def test_seed_with_pickup_continues_correctly():
    seed = "A|d2f a2f|d2f a2f|"
    grammar = AbcBodyGrammar.from_seed(seed, (6, 8), F(1, 8), bars=8)
    assert grammar.pickup == 1 and grammar.bars_written == 2 and grammar.text == seed
    rng = random.Random(3)
    for i in range(6):
        body = walk(grammar.copy(), rng, STYLES[i % 3])
        assert body.startswith(seed) and body.count("|") >= 9
        assert_valid((6, 8), body)


def test_seed_is_cleaned_of_unsupported_syntax():
    seed = '"D"A|!trill!d2f {g}a2f|~d2f "A7"a2f|\nd2'
    assert clean_seed_body(seed) == "A|d2f a2f|d2f a2f|\nd2"
    grammar = AbcBodyGrammar.from_seed(seed, (6, 8), F(1, 8), bars=4)
    assert grammar.text == "A|d2f a2f|d2f a2f|\nd2" and grammar.bar_position == 2
    assert_valid((6, 8), grammar.text + grammar.completion())


@pytest.mark.parametrize("raw, clean", [
    ("A>B c<d e>>f|", "A3/2B/ c/d3/2 e>>f|"),       # broken rhythm (e7/4 is not in the subset)
    ("(AB) (3cde (c2d)|", "AB (3cde c2d|"),           # slurs go, triplets stay
    ("F-G A2-A B- | B|", "FG A2-A B-|B|"),            # ties only to the same pitch
    ("ABc \\\n| def|\n| gab||", "ABc | def|\ngab|"),   # continuation, doubled bar lines
    ("T.A ~B !fermata!c|: d3/ e/ :: f|]", "A B c|: d3/2 e/ :| f|"),
])
def test_seed_clean_up_rewrites_what_it_safely_can(raw, clean):
    assert clean_seed_body(raw) == clean


@pytest.mark.parametrize("seed, pickup", [
    ("d2f a2f|d2f a2f|", 0), ("|:A|d2f a2f|", 1), ("|:d2f a2f|", 0), ("FA|d2f a2f|", 2),
    ("d2f a", 0), ("(3ABc d|", 3),
])
def test_seed_pickup_is_worked_out_from_the_first_bar(seed, pickup):
    grammar = AbcBodyGrammar.from_seed(seed, (6, 8), F(1, 8), bars=8)
    assert grammar.pickup == pickup
    assert_valid((6, 8), grammar.text + grammar.completion())


@pytest.mark.parametrize("seed, position", [("A|d2f (5abcde|", 7), ("A|d2f [ad]2f|", 6),
                                            ("A|d2f a2f|d2f a2|", 16), ("A|d/4d2f a2f|", 4)])
def test_seed_outside_the_subset_raises_with_a_position(seed, position):
    with pytest.raises(ValueError, match=f"position {position} "):
        AbcBodyGrammar.from_seed(seed, (6, 8), F(1, 8), bars=8)


def test_seed_whose_first_bar_is_too_long_raises():
    with pytest.raises(ValueError, match="more than a bar"):
        AbcBodyGrammar.from_seed("d2f a2f g|", (6, 8), F(1, 8), bars=8)


# -- (c) disallowed characters ----------------------------------------------------------

@pytest.mark.parametrize("prefix, bad", [
    ("", "x"), ("", " "), ("", "\n"), ("", "]"), ("", "-"), ("", "2"),
    ("d2f", "|"), ("A", "8"), ("^", "^"), ("^", "z"), ("a'", ","), ("a", ","), ("A", "'"),
    ("a''", "'"), ("z", ","), ("A ", " "), ("A", "\n"), ("d2f a2f", "]"), ("A-", "z"),
    ("A-", "B"), ("A-", "("), ("A-", " "), ("(3", "A2"[1]), ("(3A", "2"), ("(3AB", " "),
    ("(", "2"), ("A4z/", "("), ("d2f a2f|", "|"), ("d2f a2f:", "]"), ("A/", "/"),
    ("A4z/A3", " "), ("A3/", "3"), ("|", "A"), ("|:", ":"), ("z", "-"), ("A", "x"),
])
def test_disallowed_characters_raise_and_leave_the_state_alone(prefix, bad):
    grammar = AbcBodyGrammar((6, 8), F(1, 8), 4)
    grammar.feed_text(prefix)
    before = (grammar.text, grammar.allowed())
    assert bad not in grammar.allowed()
    with pytest.raises(ValueError, match="not allowed"):
        grammar.feed(bad)
    assert (grammar.text, grammar.allowed()) == before


def test_pending_lengths_allow_only_continuations_that_fit():
    grammar = AbcBodyGrammar((6, 8), F(1, 8), 4)
    grammar.feed_text("A3z/A")  # 3.5 units written, the A has 2.5 left
    assert {"/", "2", "3"} <= grammar.allowed() and not {"4", "6", "8"} & grammar.allowed()
    grammar.feed("3")  # "3" alone is too long: only "3/2" can follow
    assert grammar.allowed() == {"/"}
    grammar.feed("/")
    assert grammar.allowed() == {"2"}
    grammar.feed("2")
    assert grammar.bar_position == 5 and "|" not in grammar.allowed()
    grammar.feed_text("z")
    assert "|" in grammar.allowed() and "(" not in grammar.allowed()


def test_a_tie_is_followed_by_the_same_pitch_across_a_bar_line():
    grammar = AbcBodyGrammar((6, 8), F(1, 8), 4)
    grammar.feed_text("d2f ^a'3-|")
    assert grammar.allowed() == {"^", "\n"}
    grammar.feed_text("\n^a'")
    assert "'" not in grammar.allowed() and {"-", "4", " "} <= grammar.allowed()
    grammar.feed_text("4-")  # a chain of ties
    assert grammar.allowed() == {"^"}


def test_after_the_last_bar_only_the_final_bar_line_is_allowed():
    grammar = AbcBodyGrammar((3, 4), F(1, 8), 3)
    grammar.feed_text("A6|B6|c6|")
    assert grammar.allowed() == {"]"}
    grammar.feed("]")
    assert grammar.done and grammar.allowed() == frozenset()
    with pytest.raises(ValueError):
        grammar.feed("\n")


def test_too_few_bars_or_bad_lengths_are_refused():
    with pytest.raises(ValueError, match="too few bars"):
        AbcBodyGrammar((6, 8), F(1, 8), 2)
    with pytest.raises(ValueError, match="pickup"):
        AbcBodyGrammar((6, 8), F(1, 8), 4, pickup=F(6))
    with pytest.raises(ValueError, match="multiple of 1/2"):
        AbcBodyGrammar((3, 8), F(1, 2), 4)


# -- (d) force_finish ---------------------------------------------------------------------

def test_force_finish_completes_any_intermediate_state():
    rng = random.Random(11)
    for i in range(42):
        meter = METERS[i % len(METERS)]
        grammar = AbcBodyGrammar(meter, default_unit(meter), rng.randint(3, 12),
                                 pickup=rng.choice([F(0), F(1, 2), F(1)]))
        walk(grammar, rng, STYLES[i % 3], max_steps=rng.randint(0, 160))
        expected = grammar.completion()
        assert grammar.force_finish() == expected
        assert grammar.done
        assert_valid(meter, grammar.text, KEYS[i % len(KEYS)])


def test_completion_works_from_every_prefix_of_walks():
    rng = random.Random(12)
    for i in range(14):
        meter = METERS[i % len(METERS)]
        grammar = AbcBodyGrammar(meter, default_unit(meter), 4, pickup=F(i % 3, 2))
        body = walk(grammar, rng, STYLES[i % 3])
        probe = AbcBodyGrammar(meter, default_unit(meter), 4, pickup=F(i % 3, 2))
        for ch in body:
            finished = probe.copy()
            finished.force_finish()
            assert finished.done and finished.text.startswith(probe.text)
            probe.feed(ch)


def test_completion_is_short_and_does_not_change_the_state():
    grammar = AbcBodyGrammar((6, 8), F(1, 8), 3)
    grammar.feed_text("d2f a")
    assert grammar.completion() == "3|z6|z6|]"
    assert grammar.text == "d2f a"
    grammar.feed_text("3-")
    assert grammar.completion() == "|a6|z6|]"
    grammar.feed_text("|a")
    assert grammar.completion() == "6|z6|]"


# -- (e) copies ---------------------------------------------------------------------------

def test_copy_gives_independent_state():
    grammar = AbcBodyGrammar((6, 8), F(1, 8), 4)
    grammar.feed_text("d2")
    clone = grammar.copy()
    clone.feed_text("f a2f|")
    assert grammar.text == "d2" and grammar.bars_written == 0
    assert clone.text == "d2f a2f|" and clone.bars_written == 1
    grammar.feed_text("e")
    assert grammar.text == "d2e" and clone.text == "d2f a2f|"
    assert grammar.allowed() != clone.allowed()


# -- headers and the checker ------------------------------------------------------------

@pytest.mark.parametrize("key", ["D", "Em", "Ador", "Gmix", "Bb", "F#m", "C#", "Ebmaj",
                                 "Dmin", "ELyd", "Bphr", "Cb", "A aeolian"])
def test_valid_keys_are_read_by_music21_as_intended(key):
    from music21 import converter

    assert is_valid_key(key) and validate_key(f" {key} ") == key
    score = converter.parse(tune((6, 8), "d2f a2f|d2f a2f|d6|]", key), format="abc")
    signature = score.parts[0].recurse().getElementsByClass("KeySignature").first()
    assert signature.sharps == key_sharps(key)


@pytest.mark.parametrize("key", ["", "H", "Hp", "Dloc", "Fb", "G#", "Dxyz", "d", "C clef=bass"])
def test_unsupported_keys_are_refused(key):
    assert not is_valid_key(key)
    with pytest.raises(ValueError):
        validate_key(key)


@pytest.mark.parametrize("text, reason", [
    ("X:1\nM:6/8\nL:1/8\nK:D\nd2f a2f|d2f a2f|d6|]\n", "missing header field(s): T:"),
    ("X:1\nT:t\nM:6/8\nL:1/8\nK:D\nd2f a2f|d2f a2f|d6|\n", "final bar line"),
    ("X:1\nT:t\nM:6/8\nL:1/8\nK:D\nd2f a2f|d2f a2|d2f a2f|d6|]\n", "bar 2"),
    ("X:1\nT:t\nM:6/8\nL:1/8\nK:D\nd2f a2f:|d2f a2f|]\n", "no bars"),
    ("X:1\nT:t\nM:6/8\nL:1/8\nK:Q\nd2f a2f|d2f a2f|d6|]\n", "bad header"),
    ("X:1\nT:t\nM:6/8\nL:1/8\nK:D\n", "no body"),
])
def test_check_tune_explains_failures(text, reason):
    ok, why = check_tune(text)
    assert not ok and reason in why


def test_check_tune_accepts_a_tune_with_a_pickup_and_repeats():
    body = "|:A|d2f a2f|d2f a2f:|\n|:d2f a2f|d2f a3-|a2f d3|]"
    assert check_tune(tune((6, 8), body)) == (True, "ok")
