"""Variations without Qt: badges, inserting as a phrase with provenance, seed sources, model cards."""

import json

import pytest

from app.core.generation_settings import (NO_SOURCE, abc_seed_text, bundled_source, load_source, selection_source,
                                          source_label)
from app.core.midi import read_midi, write_midi
from app.core.model_cards import summarize_card
from app.core.project import score_from_dict, score_to_dict
from app.core.provenance import Phrase, Provenance
from app.core.score import Note, Score, Track
from app.core.variations import (badges, estimate_key, insert_as_new_tracks, insert_at, key_pitch_classes,
                                 match_tracks, phrase_notes, phrases, replace_selection, with_phrase)

BAR = 1920  # 4/4 at 480 ppq
PROV = {"model": "markov", "checkpoint_sha256": "ab" * 32, "sliders": {"temperature": 1.2}, "random_seed": 7,
        "variation": 2, "variations": 4, "bars": 2}


def variation(*notes, name="Piano", ppq=480, drums=False, key="C major"):
    return Score(tracks=(Track(name, 0, drums, tuple(notes)),), ppq=ppq, key=key, provenance=PROV)


def sketch():
    return Score(tracks=(Track("Lead", 73, False, (Note(0, 72, 480),)), Track("Bass", 32, False, (Note(0, 48, 960),)),
                         Track("Drums", 0, True, (Note(0, 36, 120),))), key="C major", title="Sketch")


# -- badges -----------------------------------------------------------------------------------------

def test_badges_count_notes_pitch_classes_in_key_share_and_empty_bars():
    score = variation(Note(0, 60, 480), Note(480, 64, 480), Note(960, 67, 480), Note(2 * BAR, 66, 480))
    found = badges(score, bars=4)
    assert found.notes == 4
    assert found.pitch_classes == (0, 4, 6, 7) and found.pitch_class_names == "C E F# G"
    assert found.in_key == pytest.approx(0.75) and found.key == "C major"
    assert (found.empty_bars, found.bars) == (2, 4)  # bars 2 and 4 are silent


def test_a_held_note_keeps_its_bars_from_counting_as_empty_and_drums_have_no_key():
    held = variation(Note(0, 60, 2 * BAR))
    assert badges(held, bars=3).empty_bars == 1
    drums = variation(Note(0, 36, 120), drums=True)
    found = badges(drums, bars=1)
    assert (found.notes, found.pitch_classes, found.in_key) == (1, (), None)


def test_without_a_key_the_best_fitting_major_scale_is_used():
    g_major = [67, 69, 71, 72, 74, 76, 78, 79]
    assert estimate_key(g_major) == "G major"
    score = variation(*[Note(i * 240, p, 240) for i, p in enumerate(g_major)], key=None)
    assert badges(score).key == "G major" and badges(score).in_key == 1.0
    assert {7, 8} <= key_pitch_classes("A minor")  # natural and raised 7th both count in minor
    assert {5, 6} <= key_pitch_classes("G dorian")  # Bach's one-flat G minor leads with F#


def test_score_key_is_the_written_key_else_the_best_fit():
    from app.core.variations import score_key

    melody = [Note(i * 240, p, 240) for i, p in enumerate([67, 69, 71, 72, 74, 76, 78, 79])]
    assert score_key(variation(*melody, key="E minor")) == "E minor"  # the signature (and mode) as written
    assert score_key(variation(*melody, key=None)) == "G major"
    assert score_key(variation(*melody, key="H lydian")) == "G major"  # not a key: the best fit
    assert score_key(variation(Note(0, 36, 480), drums=True, key=None)) is None


# -- inserting ----------------------------------------------------------------------------------------

def test_insert_at_the_playhead_merges_into_the_matching_track_and_records_the_phrase():
    score = sketch()
    var = variation(Note(0, 62, 240), Note(240, 64, 240))
    out = insert_at(score, var, BAR, active=1)
    assert out.tracks[1].notes == (Note(0, 48, 960), Note(BAR, 62, 240), Note(BAR + 240, 64, 240))
    assert out.tracks[0] == score.tracks[0] and len(out.tracks) == 3
    (record,) = phrases(out)
    assert record == Phrase("phrase-1", (1,), BAR, BAR + 480, Provenance.from_dict(PROV))
    assert record.to_dict() == {"id": "phrase-1", "tracks": [1], "start": BAR, "end": BAR + 480, "provenance": PROV}
    assert phrases(score) == []  # the original is a value, untouched
    again = insert_at(out, var, 0, active=1)
    assert [p.id for p in phrases(again)] == ["phrase-1", "phrase-2"]


def test_tracks_match_by_name_then_index_and_drums_only_join_drums():
    score = sketch()
    multi = Score(tracks=(Track("Bass", 32, False, (Note(0, 40, 10),)), Track("x", 0, False, (Note(0, 70, 10),)),
                          Track("Kit", 0, True, (Note(0, 38, 10),)), Track("Extra", 5, False, (Note(0, 80, 10),))),
                  provenance=PROV)
    assert match_tracks(score, multi, active=0) == [1, None, 2, None]
    # "x" cannot take index 1 (Bass is taken by name); index 3 does not exist
    out = insert_at(score, multi, 0)
    assert [t.name for t in out.tracks] == ["Lead", "Bass", "Drums", "x (markov 2)", "Extra (markov 2)"]
    assert phrases(out)[0].tracks == (1, 2, 3, 4)
    assert match_tracks(score, variation(Note(0, 36, 10), drums=True), active=0) == [2]


def test_a_variation_at_another_resolution_is_rescaled():
    out = insert_at(sketch(), variation(Note(96, 60, 48), ppq=96), 0, active=0)
    assert Note(480, 60, 240) in out.tracks[0].notes


def test_replacing_the_selection_cuts_the_variation_to_the_selections_length():
    score = sketch()
    lead = score.tracks[0].with_notes([Note(0, 72, 480), Note(BAR, 70, 480), Note(BAR + 480, 71, 480)])
    score = score.with_tracks([lead, *score.tracks[1:]])
    selected = [Note(BAR, 70, 480), Note(BAR + 480, 71, 480)]  # 960 ticks from bar 2
    var = variation(Note(0, 60, 480), Note(480, 62, 960), Note(960, 64, 480))
    out = replace_selection(score, 0, selected, var)
    assert out.tracks[0].notes == (Note(0, 72, 480), Note(BAR, 60, 480), Note(BAR + 480, 62, 480))
    assert phrases(out)[0].tracks == (0,) and (phrases(out)[0].start, phrases(out)[0].end) == (BAR, BAR + 960)
    with pytest.raises(ValueError):
        replace_selection(score, 0, [], var)


def test_new_tracks_keep_their_instrument_and_start_at_the_tick():
    out = insert_as_new_tracks(sketch(), variation(Note(0, 60, 480), name="Soprano"), 960)
    assert len(out.tracks) == 4 and out.tracks[3].name == "Soprano (markov 2)"
    assert out.tracks[3].notes == (Note(960, 60, 480),)
    assert phrase_notes(out, phrases(out)[0]) == {3: [Note(960, 60, 480)]}


def test_phrases_survive_project_files_and_midi(tmp_path):
    score = insert_at(sketch(), variation(Note(0, 62, 240)), 0, active=0)
    assert phrases(score_from_dict(json.loads(json.dumps(score_to_dict(score))))) == phrases(score)
    write_midi(score, tmp_path / "p.mid")
    assert phrases(read_midi(tmp_path / "p.mid")) == phrases(score)


def test_malformed_phrase_records_are_ignored_and_ids_are_not_reused():
    score = Score(provenance={"phrases": [{"id": "phrase-4", "provenance": {}}, "junk", {"id": 3}]})
    assert [p.id for p in phrases(score)] == ["phrase-4"]
    assert phrases(with_phrase(score, [0], 0, 1, Provenance()))[-1].id == "phrase-5"


# -- seed and style sources ----------------------------------------------------------------------

def test_sources_name_and_load_their_scores():
    assert load_source(NO_SOURCE) is None and source_label(NO_SOURCE) == "nothing"
    seed = bundled_source("seed:swing-ride-in-f")
    assert source_label(seed) == "swing-ride-in-f" and load_source(seed).title == "Swing Ride in F"
    notes = Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480),)),), title="Selection")
    chosen = selection_source(notes)
    assert json.loads(json.dumps(chosen)) == chosen and load_source(chosen) == notes
    assert abc_seed_text("seed:swing-ride-in-f") is None
    text = abc_seed_text("seed:swallowtail-jig")
    assert text.startswith("X:") and "K:" in text and "\nX:" not in text


def test_a_model_card_says_what_it_was_trained_on_its_size_metrics_and_use():
    card = {"description": "A chain.", "parameters": 1427311, "metrics": {"test_cross_entropy": 3.0919,
            "test_accuracy": 0.4563}, "training": {"data": ["corpus:classical", "corpus:chorales"]}}
    summary = summarize_card(card, weights_bytes=5_700_000)
    assert summary.trained_on == "classical pieces, Bach chorales"
    assert summary.size == "1.4 M parameters, 5.7 MB"
    assert summary.metrics == "cross-entropy 3.092 nats, accuracy 45.6%"
    assert "chorale harmony" in summary.good_for
    mine = summarize_card({"training": {"data": ["/home/me/reels"]}, "good_for": "my reels"})
    assert (mine.trained_on, mine.good_for, mine.metrics) == ("reels", "my reels", "no held-out figures")


def test_a_card_trained_on_licensed_music_names_its_author_and_licence():
    credit = {"source": "piano-midi.de", "attribution": "Bernd Krüger, piano-midi.de", "licence": "CC BY-SA 3.0 DE"}
    card = {"training": {"data": ["corpus:chorales", "corpus:piano-midi"], "datasets": {"credits": [credit]}}}
    assert summarize_card(card).trained_on == ("Bach chorales, expressive piano (piano-midi.de) "
                                               "(music by Bernd Krüger, piano-midi.de, CC BY-SA 3.0 DE)")
