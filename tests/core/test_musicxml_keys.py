"""MusicXML key signatures written without <fifths> (key-step/key-alter pairs) are read (issue 14)."""

from pathlib import Path

from app.core.musicxml import read_musicxml

DATA = Path(__file__).parents[1] / "data" / "musicxml"


def test_a_non_traditional_key_signature_is_read():
    score = read_musicxml(DATA / "nontraditional_key.musicxml")
    assert [n.pitch for n in score.tracks[0].notes] == [62, 63, 66, 67, 70, 69]  # the notes' own alters
    assert score.key is None  # B flat, E flat and F sharp name no key


def test_a_key_spelled_step_by_step_that_is_traditional_has_its_name(tmp_path):
    text = (DATA / "nontraditional_key.musicxml").read_text()
    first_key = text[text.index("<key>"): text.index("</key>") + len("</key>")]
    path = tmp_path / "two_sharps.musicxml"
    path.write_text(text.replace(first_key, "", 1))  # the F sharp, C sharp signature comes first
    assert read_musicxml(path).key == "D major"
