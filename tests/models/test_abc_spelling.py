"""abc-lstm's tunes are spelled as their key spells them (``^F`` in G minor, never ``_G``; ``E``, not ``_F``)."""

import random
import re

import pytest

from app.core.abc.read import read_abc_text
from app.core.keys import key_tonic, spell
from models.abc_lstm.spelling import respell_tune

HEAD = "X:1\nT:t\nM:4/4\nL:1/8\nK:{key}\n"


def pitches(text):
    return [(n.start, n.pitch, n.duration) for n in read_abc_text(text).tracks[0].notes]


@pytest.mark.parametrize("key, body, spelled", [
    ("Gdor", "G2 _G2 G2 _F2 | G2 ^F2 =F2 A2 |]", "G2 ^F2 F2 E2 | G2 ^F2 =F2 A2 |]"),  # the leading tone is F#
    ("Dm", "A2 _F2 _B2 ^A2 | d2 _d2 =d4 |]", "A2 E2 B2 B2 | d2 ^c2 d4 |]"),  # C#, the key's Bb, E; no = left
    ("G", "G2 _G2 ^E2 _A2 | g8 |]", "G2 F2 =F2 ^G2 | g8 |]"),  # F#, F natural and G# as G major writes them
])
def test_enharmonic_oddities_are_respelled_and_every_pitch_kept(key, body, spelled):
    text = HEAD.format(key=key) + body + "\n"
    out = respell_tune(text)
    assert out.splitlines()[-1] == spelled
    assert pitches(out) == pitches(text)


def test_random_tunes_keep_their_pitches_in_every_key():
    rng = random.Random(7)
    keys = ["C", "G", "D", "A", "E", "F", "Bb", "Eb", "Am", "Em", "Dm", "Gm", "Cm", "Ador", "Gdor", "Dmix"]
    for _ in range(60):
        notes = []
        for bar in range(4):
            notes.append(" ".join(rng.choice(["", "^", "_", "=", "^^", "__"]) + rng.choice("CDEFGABcdefgab")
                                  + rng.choice(["", "2", "/"]) for _ in range(4)))
        text = HEAD.format(key=rng.choice(keys)) + " | ".join(notes) + " |]\n"
        assert pitches(respell_tune(text)) == pitches(text), text


def test_spell_writes_the_leading_tone_a_step_below_the_tonic():
    assert spell(66, -1, key_tonic("G dorian"))[:2] == ("F", 1)  # F#, not Gb
    assert spell(61, -1, key_tonic("D minor"))[:2] == ("C", 1)  # C#, not Db
    assert spell(66, -1)[:2] == ("G", -1)  # without a tonic: flat keys lower from above, as before
    assert spell(61, -1, key_tonic("F major"))[:2] == ("D", -1)  # not F major's leading tone: Db


def test_the_abc_writer_spells_the_leading_tone_of_a_minor_key_too():
    from app.core.abc.write import write_abc
    from app.core.score import Note, Score, Track

    score = Score((Track(notes=(Note(0, 67, 480), Note(480, 66, 480), Note(960, 67, 960))),), key="G dorian")
    assert write_abc(score).splitlines()[-1] == "G2 ^F2 G4 |]"


def test_generated_tunes_have_no_enharmonic_oddities():
    from app.core.formats import load_score
    from models.common.generator import GenerationRequest, run_generation
    from app.core.provenance import Provenance
    from models.registry import load_generator

    generator = load_generator("abc-lstm", device="cpu")
    seed = load_score("seed:bach-ach-gott-vom-himmel-sieh-darein")
    pieces = run_generation(generator.generate(GenerationRequest(seed=seed, bars=8, variations=4, random_seed=2)))
    for piece in pieces:
        text = Provenance.of(piece).abc
        assert "K:Gdor" in text and not re.search(r"_[GFC]|\^[EB]", text), text
        assert [t.name for t in piece.tracks] == ["Melody"]  # named, not blank
