"""ABC header rules: one key-signature rule and one default-length rule, used everywhere."""

from fractions import Fraction as F

import pytest

from app.core.abc import header
from app.core.abc.header import (
    default_unit, format_meter, format_unit, key_from_abc, key_signature, key_to_abc, parse_meter, parse_unit,
    read_meter, read_unit,
)
from app.core.keys import key_alterations, key_fifths


@pytest.mark.parametrize("value, fifths", [
    ("C", 0), ("G", 1), ("D", 2), ("Bb", -2), ("Eb", -3), ("Cb", -7), ("C#", 7),
    ("Am", 0), ("Em", 1), ("F#m", 3), ("Bbm", -5), ("E minor", 1),
    ("Ador", 1), ("D dorian", 0), ("Edor", 2), ("Gmix", 0), ("Amix", 2), ("Flyd", 0),
    ("Bphr", 1), ("Bloc", 0), ("Ebmaj", -3), ("A aeolian", 0), ("Gion", 1),
])
def test_key_signature_known_answers(value, fifths):
    assert key_signature(value) == fifths
    assert key_signature(f"  {value} ") == fifths


def test_key_signature_accidentals():
    assert key_alterations(key_signature("Ador")) == {"C": 0, "D": 0, "E": 0, "F": 1, "G": 0, "A": 0, "B": 0}
    assert key_alterations(key_signature("Bb")) == {"C": 0, "D": 0, "E": -1, "F": 0, "G": 0, "A": 0, "B": -1}
    sharps = key_alterations(key_signature("F#m"))
    assert sorted(letter for letter, alter in sharps.items() if alter == 1) == ["C", "F", "G"]


@pytest.mark.parametrize("value", ["none", "HP", "Hp", "", "G#", "Fb", "E#m"])
def test_key_signature_refuses_what_names_no_key_or_needs_more_than_seven(value):
    with pytest.raises(ValueError):
        key_signature(value)


def test_key_names_round_trip_and_agree_with_keys():
    assert key_from_abc("Ador") == "A dorian" and key_from_abc("Bbmaj") == "Bb major"
    assert key_from_abc("Em") == "E minor" and key_from_abc("D Mixolydian") == "D mixolydian"
    assert key_from_abc("K") is None and key_from_abc("none") is None
    for value in ("D", "Em", "Ador", "Gmix", "Bb", "F#m", "Ebmaj", "Bphr", "Clyd"):
        name = key_from_abc(value)
        assert key_fifths(name) == key_signature(value) == key_signature(key_to_abc(name))


@pytest.mark.parametrize("meter, unit", [
    ((2, 4), F(1, 16)), ((3, 8), F(1, 16)), ((5, 8), F(1, 16)), ((3, 4), F(1, 8)), ((4, 4), F(1, 8)),
    ((6, 8), F(1, 8)), ((2, 2), F(1, 8)), ((12, 8), F(1, 8)), (None, F(1, 8)),
])
def test_default_unit_known_answers(meter, unit):
    assert default_unit(meter) == unit


def test_meters_and_units():
    assert parse_meter("6/8") == (6, 8) and parse_meter(" 2/4 ") == (2, 4)
    assert parse_meter("C") == (4, 4) and parse_meter("C|") == (2, 2)
    assert default_unit(parse_meter("C")) == F(1, 8) and default_unit(parse_meter("2/4")) == F(1, 16)
    for bad in ("none", "2+3/8", "0/4", "6/0", ""):  # the forms Cadenza writes, strictly
        with pytest.raises(ValueError):
            parse_meter(bad)
    for bad in ("none", "0/4", "6/0", "", "fast", "0", "6594", "4/128"):
        assert read_meter(bad) is None
    assert parse_unit("1/8") == F(1, 8) and read_unit(None) is None and read_unit("1/0") is None
    assert format_meter((6, 8)) == "6/8" and format_unit(F(1, 16)) == "1/16"


def test_the_abc_reader_and_writer_use_the_default_rule():
    from app.core.abc.read import read_abc_text
    from app.core.abc.write import write_abc

    assert read_abc_text("X:1\nM:2/4\nK:C\nCD|\n").tracks[0].notes[0].duration == 120  # L:1/16 at ppq 480
    assert read_abc_text("X:1\nM:6/8\nK:C\nCDE|\n").tracks[0].notes[0].duration == 240  # L:1/8
    score = read_abc_text("X:1\nM:2/4\nL:1/4\nK:C\nCD|\n")
    assert "\nL:1/16\n" in write_abc(score)


def test_abc_lstm_uses_the_same_rules():
    """The model's codec, grammar and constraint take the rules from app.core.abc.header."""
    from models.abc_lstm import codec, constraint, grammar, grammar_header
    from models.metrics.checks import abc_note_events

    for module in (codec, constraint):
        assert module.default_unit is header.default_unit
        assert module.parse_meter is header.parse_meter
    assert grammar_header.key_signature is header.key_signature
    assert grammar.bar_units is header.bar_units
    for value in ("D", "Em", "Ador", "Gmix", "Bb", "F#m", "C#", "Cb", "Ebmaj", "ELyd", "Bphr"):
        assert grammar_header.key_sharps(value) == key_signature(value)
    assert codec.normalize_tune("X:1\nT:t\nM:2/4\nK:Em\nEF|\n").split("\n")[3] == "L:1/16"
    # the copying check's reader: the default L: of 2/4, and A dorian's F sharp
    assert abc_note_events("X:1\nM:2/4\nK:Ador\nF|\n") == abc_note_events("X:1\nM:2/4\nL:1/16\nK:G\nF|\n")
