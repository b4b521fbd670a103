"""Any score Cadenza can hold, written to each format, reads back (issue 14: files Cadenza can't read back).

Scores are drawn with titles and track names of arbitrary Unicode (controls,
NUL, lone surrogates, line breaks, ``%``, quotes, markup), random notes
within the limits (any pitch 0-127, lengths from one tick, overlaps of one
pitch, unisons), several tracks with drums, any resolution, meter and tempo
changes anywhere. Each is written to ``.mid``, ``.abc``, ``.musicxml``,
``.mxl`` and ``.cadenza`` and read back without error, with the same number
of notes — every format here can hold every note. What each format does
change:

* ``.mid``: exact ticks; a note overlapping a later note of its pitch in its
  track is cut at the re-strike (MIDI cannot hold both on one channel);
  names lose control characters; empty tracks are dropped.
* ``.abc``: times on a 1/48-of-a-quarter grid, read back at 480 ticks per
  quarter; notes below C0 move into its octave; one tempo per tick.
* ``.musicxml`` / ``.mxl``: each beat on a 64th-note or 32nd-note-triplet
  grid (notes shorter than one step are lengthened); meter changes at bar
  lines; velocities one per chord.
* ``.cadenza``: everything, exactly.

Example counts are small so the file runs in well under 30 s on two cores;
``CADENZA_ROUNDTRIP_SCALE=20`` multiplies them for a longer search.
"""

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from app.core.abc.read import read_abc
from app.core.formats import save_score
from app.core.midi import read_midi
from app.core.musicxml import read_musicxml
from app.core.project import load_project
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from app.core.text import plain_line

NASTY = ["Song\x00\x00", "Nocturne — é 夜想曲", "50% off", 'say "hi"', "a\nX:2\nT:b", "<&>]]>", "back\\slash",
         "\ufeffBOM", "lone \ud800 surrogate", "\x1b[31mred", "tab\there", "\u2028line", "", " ", "\x00"]
texts = st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=()), max_size=24))


@st.composite
def scores(draw):
    ppq = draw(st.sampled_from([24, 96, 100, 120, 384, 480, 960, 1000]))
    span = ppq * 4 * 6

    def note():
        return st.builds(Note, start=st.integers(0, span), pitch=st.integers(0, 127),
                         duration=st.one_of(st.integers(1, 8), st.integers(1, ppq * 3)), velocity=st.integers(1, 127))

    tracks = draw(st.lists(st.builds(Track, name=texts, program=st.integers(0, 127), is_drum=st.booleans(),
                                     notes=st.lists(note(), min_size=1, max_size=12).map(tuple)),
                           min_size=1, max_size=3))
    meters = [TimeSignature(0, *draw(st.sampled_from([(4, 4), (3, 4), (6, 8), (7, 8), (5, 16), (2, 2)])))]
    if draw(st.booleans()):
        meters.append(TimeSignature(draw(st.integers(1, span)), *draw(st.sampled_from([(3, 4), (9, 8), (1, 4)]))))
    bpm = st.one_of(st.floats(20, 300), st.floats(1, 1000))
    tempos = [TempoChange(0, draw(bpm))]
    if draw(st.booleans()):
        tempos.append(TempoChange(draw(st.integers(1, span)), draw(bpm)))
    key = draw(st.sampled_from([None, "C major", "E minor", "Bb major", "F# minor", "Db major"]))
    return Score(tuple(tracks), ppq=ppq, tempos=tuple(tempos), time_signatures=tuple(meters), key=key,
                 title=draw(texts))


def _write_and_read(tmp_path_factory, score, ext, read):
    folder = tmp_path_factory.mktemp("roundtrip")
    path = folder / f"score{ext}"
    save_score(score, path)
    return read(path)


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SCALE = int(os.environ.get("CADENZA_ROUNDTRIP_SCALE", "1"))


@settings(max_examples=40 * SCALE, **SETTINGS)
@given(scores())
def test_midi_reads_back_every_note(tmp_path_factory, score):
    back = _write_and_read(tmp_path_factory, score, ".mid", read_midi)
    assert back.note_count == score.note_count
    assert back.title == plain_line(score.title)
    assert [t.name for t in back.tracks] == [plain_line(t.name) for t in score.tracks if t.notes]
    assert [t.is_drum for t in back.tracks] == [t.is_drum for t in score.tracks if t.notes]


@settings(max_examples=12 * SCALE, **SETTINGS)
@given(scores())
def test_abc_reads_back_every_note(tmp_path_factory, score):
    back = _write_and_read(tmp_path_factory, score, ".abc", read_abc)
    assert back.note_count == score.note_count
    assert "%" in score.title or back.title == plain_line(score.title)  # % comes back escaped (\%)
    assert [t.is_drum for t in back.tracks] == [t.is_drum for t in score.tracks]


@settings(max_examples=12 * SCALE, **SETTINGS)
@given(scores(), st.sampled_from([".musicxml", ".mxl"]))
def test_musicxml_reads_back_every_note(tmp_path_factory, score, ext):
    back = _write_and_read(tmp_path_factory, score, ext, read_musicxml)
    assert back.note_count == score.note_count
    assert back.title == plain_line(score.title)
    named = [(b.name, plain_line(t.name)) for b, t in zip(back.tracks, score.tracks) if plain_line(t.name)]
    assert all(got == want for got, want in named)  # an unnamed part reads back named after its instrument
    assert [t.is_drum for t in back.tracks] == [t.is_drum for t in score.tracks]


@settings(max_examples=40 * SCALE, **SETTINGS)
@given(scores())
def test_project_reads_back_exactly(tmp_path_factory, score):
    back = _write_and_read(tmp_path_factory, score, ".cadenza", lambda p: load_project(p)[0])
    assert back.tracks == score.tracks and back.title == score.title
