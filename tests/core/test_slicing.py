"""Slicing a track for notation: cuts at notes and bar lines, ties, rests, quantising."""

from app.core.score import Note, Score, TimeSignature, Track
from app.core.slicing import Slice, SlicedNote, bar_end, quantize, slice_notes, slice_track, snap


def as_tuples(slices):
    return [(s.start, s.duration, [tuple(n) for n in s.notes]) for s in slices]


def test_gaps_become_rests_and_slices_are_consecutive():
    slices = slice_notes([Note(240, 60, 240, 90), Note(960, 62, 480, 70)])
    assert as_tuples(slices) == [
        (0, 240, []),
        (240, 240, [(60, 90, False)]),
        (480, 480, []),
        (960, 480, [(62, 70, False)]),
    ]
    assert all(a.end == b.start for a, b in zip(slices, slices[1:]))
    assert slices[0].is_rest and not slices[1].is_rest


def test_overlapping_notes_become_tied_chords():
    # C lasts two beats, E one beat starting with it, G starts on beat two
    slices = slice_notes([Note(0, 60, 960, 90), Note(0, 64, 480, 80), Note(480, 67, 480, 70)])
    assert as_tuples(slices) == [
        (0, 480, [(60, 90, True), (64, 80, False)]),
        (480, 480, [(60, 90, False), (67, 70, False)]),
    ]


def test_a_restruck_note_is_not_tied():
    slices = slice_notes([Note(0, 60, 480, 90), Note(480, 60, 480, 90)])
    assert as_tuples(slices) == [(0, 480, [(60, 90, False)]), (480, 480, [(60, 90, False)])]


def test_bar_lines_cut_notes_into_tied_pieces():
    score = Score((Track(notes=(Note(1440, 64, 960, 100),)),))
    slices = slice_track(score, score.tracks[0])
    assert as_tuples(slices) == [
        (0, 1440, []),
        (1440, 480, [(64, 100, True)]),
        (1920, 480, [(64, 100, False)]),
        (2400, 1440, []),  # padded with a rest to the end of the bar
    ]


def test_bar_lines_follow_meter_changes():
    score = Score((Track(notes=(Note(0, 60, 1920 + 1440 + 480, 90),)),),
                  time_signatures=(TimeSignature(0, 4, 4), TimeSignature(1920, 3, 4)))
    slices = slice_track(score, score.tracks[0])
    assert [(s.start, s.duration) for s in slices] == [(0, 1920), (1920, 1440), (3360, 480), (3840, 960)]
    assert [s.notes[0].tie_to_next for s in slices[:3]] == [True, True, False]
    assert slices[3].is_rest
    assert bar_end(score, 3361) == 4800 and bar_end(score, 3360) == 3360


def test_every_track_ends_on_the_same_bar_line():
    score = Score((Track(notes=(Note(0, 60, 480),)), Track(notes=(Note(2000, 48, 100),))))
    ends = {slice_track(score, track)[-1].end for track in score.tracks}
    assert ends == {3840}


def test_extra_cuts_split_without_breaking_ties():
    slices = slice_notes([Note(0, 60, 960, 90)], cuts=[480])
    assert as_tuples(slices) == [(0, 480, [(60, 90, True)]), (480, 480, [(60, 90, False)])]


def test_quantize_snaps_to_grid_and_keeps_tiny_notes():
    assert snap(14, 10) == 10 and snap(15, 10) == 20 and snap(7, 1) == 7
    notes = quantize([Note(14, 60, 3, 90), Note(236, 62, 250, 80)], grid=10)
    assert [(n.start, n.pitch, n.duration, n.velocity) for n in notes] == [(10, 60, 10, 90), (240, 62, 250, 80)]


def test_same_pitch_overlaps_cut_the_earlier_note_and_unisons_stay_two_notes():
    notes = quantize([Note(0, 60, 960, 90), Note(480, 60, 960, 50), Note(2000, 62, 100, 40), Note(2000, 62, 300, 70),
                      Note(2200, 62, 100, 60)])
    assert [(n.start, n.pitch, n.duration, n.velocity) for n in notes] == [
        (0, 60, 480, 90), (480, 60, 960, 50), (2000, 62, 100, 40), (2000, 62, 200, 70), (2200, 62, 100, 60)]


def test_a_unison_is_one_slice_holding_the_pitch_twice():
    slices = slice_notes([Note(0, 60, 480, 90), Note(0, 60, 960, 50)])
    assert as_tuples(slices) == [(0, 480, [(60, 90, False), (60, 50, True)]), (480, 480, [(60, 50, False)])]


def test_slice_is_a_plain_tuple():
    piece = Slice(0, 480, [SlicedNote(60, 90, True)])
    start, duration, notes = piece
    assert (start, duration, notes[0]) == (0, 480, (60, 90, True))
    assert piece.end == 480


def test_empty_track_is_one_bar_of_rest():
    score = Score((Track(),))
    assert as_tuples(slice_track(score, score.tracks[0])) == [(0, 1920, [])]


def test_notes_below_c0_are_lifted_into_its_octave():
    score = Score((Track(notes=(Note(0, 3, 480), Note(0, 40, 480))),))
    assert [n.pitch for n in slice_track(score, score.tracks[0])[0].notes] == [15, 40]
