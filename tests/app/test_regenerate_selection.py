"""Regenerate Selection, Continue from the Playhead, and the choice options of the Generate panel.

A tiny untrained music-transformer (the infill model) is written to the user
models folder, so the runs take about a second; the assertions are about
where the notes go: a variation of some bars differs from the sketch only in
those bars of those tracks, Insert puts it there as one undo step, and undo
brings back the exact notes.
"""

from dataclasses import asdict, replace

import pytest
from PySide6.QtCore import QPoint, Qt

from app.core.provenance import Provenance
from app.core.score import KeyChange, Note, Score, TimeSignature, Track
from app.services.generation_controls import SliderState
from app.services.regions import (CONTINUE, INFILL, Region, bar_at, continue_region, place_region, preview,
                                  region_of, selection_region)
from generation_window import TIMEOUT_MS, gen_window, notes_of  # noqa: F401 (fixture)
from pulse import pulse_server  # noqa: F401 (the session fixture)

BAR = 1920
TINY = "tiny-mt"


def sketch() -> Score:
    """Two tracks of six bars: a quarter-note line on the piano, a whole note a bar on the bass."""
    piano = tuple(Note(start=b * BAR + q * 480, pitch=60 + (b + q) % 7, duration=480, velocity=80)
                  for b in range(6) for q in range(4))
    bass = tuple(Note(start=b * BAR, pitch=36 + b, duration=BAR, velocity=70) for b in range(6))
    return Score(tracks=(Track("Piano", 0, False, piano), Track("Bass", 32, False, bass)),
                 time_signatures=(TimeSignature(0, 4, 4),), title="Sketch")


def outside(score: Score, start: int, end: int, tracks) -> list:
    """Every note except those starting in [start, end) on ``tracks``."""
    return sorted((t, n) for t, track in enumerate(score.tracks) for n in track.notes
                  if not (t in tracks and start <= n.start < end))


@pytest.fixture
def mt_window(tmp_path, gen_window, qtbot):  # noqa: F811 (fixture)
    """The generation window with a tiny music-transformer installed and chosen, holding the sketch."""
    from models.common.checkpoint import save_checkpoint
    from models.music_transformer import vocab as V
    from models.music_transformer.model import MusicTransformer, MusicTransformerConfig

    import torch

    torch.manual_seed(0)
    cfg = MusicTransformerConfig(V.VOCAB_SIZE, d_model=32, layers=1, heads=2, mlp=64, max_len=512)
    save_checkpoint(tmp_path / "models" / TINY, MusicTransformer(cfg).state_dict(),
                    {"arch": "music-transformer", "name": "music-transformer", "config": asdict(cfg),
                     "vocabulary": list(V.TOKENS)})
    panel = gen_window.generation_ui.panel
    with qtbot.waitSignal(gen_window.generation.models_changed, timeout=TIMEOUT_MS):
        panel.refresh_models()
    assert panel.models.select(TINY)
    panel.controls.set_state(SliderState.of(temperature=1.0, bars=2, variations=3, random_seed=7, locked=True))
    gen_window.doc.replace_all(sketch())
    return gen_window


def select(window, track: int, start: int, end: int) -> None:
    """Select the notes of ``track`` starting in [start, end) (the track made active)."""
    window.doc.set_active_track(track)
    scene = window.roll.view.note_scene
    scene.set_selection([i for i in scene.note_items(track) if start <= i.note.start < end])


def run(window, qtbot, action: str) -> list:
    with qtbot.waitSignal(window.generation.variations_ready, timeout=TIMEOUT_MS) as blocker:
        window.actions[action].trigger()
    return blocker.args[0]


# -- the bars of a selection (pure) -------------------------------------------------------------------

def test_a_selection_maps_to_its_whole_bars_on_its_tracks_and_a_time_range_to_every_track():
    score = sketch()
    piano = score.tracks[0].notes
    chosen = [n for n in piano if 2 * BAR + 480 <= n.start < 3 * BAR + 960]  # from beat 2 of bar 3 into bar 4
    assert selection_region(score, {0: chosen}) == Region(2, 4, (0,))
    assert selection_region(score, {}, (BAR + 10, 3 * BAR)) == Region(1, 3, ())  # ends on a bar line: 2 bars
    assert selection_region(score, {}) is None
    assert bar_at(score, 10 * BAR + 5) == 10  # past the end, bars go on in the last meter
    assert continue_region(score, 2 * BAR + 100, 3, True) == Region(2, 5, (), INFILL)
    assert continue_region(score, 0, 2, False).mode == CONTINUE
    assert Region.from_dict(Region(2, 4, (0, 1)).to_dict()) == Region(2, 4, (0, 1))
    assert Region.from_dict({"first_bar": 3, "last_bar": 1, "tracks": []}) is None


def test_placing_a_region_changes_only_those_bars_of_those_tracks():
    score = sketch()
    rewritten = [Note(start=2 * BAR + 240, pitch=90, duration=240, velocity=90)]
    variation = score.with_tracks([score.tracks[0].with_notes([n for n in score.tracks[0].notes
                                                               if not 2 * BAR <= n.start < 4 * BAR] + rewritten),
                                   score.tracks[1].with_notes([])])  # the bass differs, but is not in the region
    placed = place_region(score, variation, Region(2, 4, (0,)))
    assert outside(placed, 2 * BAR, 4 * BAR, {0}) == outside(score, 2 * BAR, 4 * BAR, {0})
    assert [n for n in placed.tracks[0].notes if 2 * BAR <= n.start < 4 * BAR] == rewritten


def test_a_regions_preview_starts_in_the_key_meter_and_tempo_in_force_there():
    score = replace(sketch(), keys=(KeyChange(0, "C major"), KeyChange(2 * BAR, "E minor"), KeyChange(5 * BAR, "G major")),
                    time_signatures=(TimeSignature(0, 4, 4), TimeSignature(2 * BAR, 4, 4)))
    shown = preview(score, Region(2, 4, (0,)))
    assert [(k.tick, k.key) for k in shown.keys] == [(0, "E minor")] and shown.key == "E minor"
    assert [(t.tick, t.numerator) for t in shown.time_signatures] == [(0, 4)]


# -- Regenerate Selection -----------------------------------------------------------------------------

def test_regenerate_selection_fills_the_gallery_with_variations_of_those_bars_only(mt_window, qtbot):
    window, before = mt_window, mt_window.doc.score
    select(window, 0, 2 * BAR + 480, 3 * BAR + 960)
    assert window.actions["regenerate_selection"].isEnabled()
    assert window.actions["regenerate_selection"].shortcut().toString() == "Ctrl+R"
    scores = run(window, qtbot, "regenerate_selection")
    assert len(scores) == 3
    for score in scores:
        assert region_of(score) == Region(2, 4, (0,))
        assert Provenance.of(score).extra["infill"] == {"first_bar": 2, "last_bar": 4, "tracks": [0]}
        assert outside(score, 2 * BAR, 4 * BAR, {0}) == outside(before, 2 * BAR, 4 * BAR, {0})
    inside = [sorted(n for n in s.tracks[0].notes if 2 * BAR <= n.start < 4 * BAR) for s in scores]
    assert any(notes and notes != inside[0] for notes in inside[1:])  # new notes there, different each time
    cards = window.generation_ui.gallery.cards()
    assert [c.score for c in cards] == scores and "bars 3–4" in cards[0].title.text()
    assert all(0 <= n.start < 2 * BAR for n in cards[0].roll._score.all_notes())  # the card shows the two bars
    assert window.doc.score is before  # nothing changes until Insert


def test_insert_replaces_the_selection_in_one_undo_step_and_undo_restores_the_exact_notes(mt_window, qtbot):
    window, doc = mt_window, mt_window.doc
    before = doc.score
    select(window, 0, 2 * BAR, 4 * BAR)
    scores = run(window, qtbot, "regenerate_selection")
    card = window.generation_ui.gallery.cards()[1]
    depth = doc.undo_stack.count()
    assert window.generation_ui.gallery.insert(card)
    assert doc.undo_stack.count() == depth + 1
    after = doc.score
    assert outside(after, 2 * BAR, 4 * BAR, {0}) == outside(before, 2 * BAR, 4 * BAR, {0})
    assert [n for n in after.tracks[0].notes if 2 * BAR <= n.start < 4 * BAR] == \
        [n for n in scores[1].tracks[0].notes if 2 * BAR <= n.start < 4 * BAR]
    doc.undo_stack.undo()
    assert [t.notes for t in doc.score.tracks] == [t.notes for t in before.tracks]
    doc.undo_stack.redo()
    assert [t.notes for t in doc.score.tracks] == [t.notes for t in after.tracks]


def test_a_b_in_place_plays_the_bars_with_a_bar_around_them_and_leaves_the_playhead(mt_window, qtbot,
                                                                                   pulse_server):  # noqa: F811
    window, player = mt_window, mt_window.player
    gallery = window.generation_ui.gallery
    window.roll.set_playhead(5 * BAR)
    select(window, 0, 2 * BAR, 4 * BAR)
    run(window, qtbot, "regenerate_selection")
    card = gallery.cards()[0]
    played = []
    real_play = player.play
    player.play = lambda provider, start, end=None, loop=None: (played.append((provider(), start, end)),
                                                                real_play(provider, start, end, loop))
    with qtbot.waitSignal(player.started, timeout=TIMEOUT_MS):
        qtbot.mouseClick(card.compare, Qt.MouseButton.LeftButton)
    placed, start, end = played[-1]
    assert (start, end) == (BAR, 5 * BAR) and gallery.audition.side == "B"  # bar 2 to the end of bar 5
    assert outside(placed, 2 * BAR, 4 * BAR, {0}) == outside(window.doc.score, 2 * BAR, 4 * BAR, {0})
    assert [n for n in placed.tracks[0].notes if 2 * BAR <= n.start < 4 * BAR] == \
        [n for n in card.score.tracks[0].notes if 2 * BAR <= n.start < 4 * BAR]  # the variation, in place
    with qtbot.waitSignal(player.started, timeout=TIMEOUT_MS):
        qtbot.mouseClick(card.compare, Qt.MouseButton.LeftButton)
    original, start, end = played[-1]
    assert original is window.doc.score and BAR <= start < 5 * BAR and end == 5 * BAR  # the sketch, same bars
    assert gallery.audition.side == "A" and card.compare.text() == "A/B: A"
    with qtbot.waitSignal(player.stopped, timeout=TIMEOUT_MS):
        gallery.audition.stop()
    assert window.roll.playhead() == 5 * BAR and not window.actions["play"].isChecked()


def test_a_time_range_regenerates_every_track(mt_window, qtbot):
    window, before = mt_window, mt_window.doc.score
    window.roll.clear_selection()
    window.roll.set_loop_region((BAR, 2 * BAR))
    scores = run(window, qtbot, "regenerate_selection")
    assert region_of(scores[0]) == Region(1, 2, ())
    assert outside(scores[0], BAR, 2 * BAR, {0, 1}) == outside(before, BAR, 2 * BAR, {0, 1})


def test_regenerate_selection_is_disabled_for_a_model_that_only_continues(mt_window, qtbot):
    window = mt_window
    action, panel = window.actions["regenerate_selection"], window.generation_ui.panel
    assert panel.models.select("note-lstm")
    assert not action.isEnabled()
    assert "note-lstm" in action.toolTip() and "only continues a seed" in action.toolTip()
    assert TINY in action.toolTip() or "music-transformer" in action.toolTip()  # a model that can, by name
    assert panel.models.select(TINY)
    assert action.isEnabled()
    window.roll.clear_selection()
    window.roll.set_loop_region(None)
    messages = []
    window.generation_ui.regions.status_message.connect(messages.append)
    assert not window.generation_ui.regions.regenerate_selection()  # nothing selected: said, nothing runs
    assert "Select some notes" in messages[-1] and not window.generation.is_running()


def test_the_piano_roll_context_menu_offers_regenerate_selection(mt_window, qtbot):
    roll = mt_window.roll
    shown = []
    roll.view.context_menu_requested.connect(shown.append)
    empty = QPoint(roll.view.viewport().width() - 5, 5)  # far right and high: no note there
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.RightButton, pos=empty)
    assert len(shown) == 1 and mt_window.doc.score.note_count == sketch().note_count  # nothing erased
    texts = [a.text() for a in roll.context_menu().actions()]
    assert "&Regenerate Selection" in texts and "C&ontinue from Playhead" in texts


# -- Continue from the playhead --------------------------------------------------------------------

def test_continue_from_the_playhead_fills_the_next_bars_and_inserts_them_there(mt_window, qtbot):
    window, doc = mt_window, mt_window.doc
    before = doc.score
    window.roll.set_playhead(2 * BAR + 700)  # in bar 3: bars 3-4 are filled (Length 2)
    scores = run(window, qtbot, "continue_playhead")
    assert region_of(scores[0]) == Region(2, 4, (), INFILL)
    for score in scores:
        assert outside(score, 2 * BAR, 4 * BAR, {0, 1}) == outside(before, 2 * BAR, 4 * BAR, {0, 1})
    assert window.generation_ui.gallery.insert(window.generation_ui.gallery.cards()[0])
    assert outside(doc.score, 2 * BAR, 4 * BAR, {0, 1}) == outside(before, 2 * BAR, 4 * BAR, {0, 1})
    assert window.roll.playhead() == 2 * BAR + 700
    doc.undo_stack.undo()
    assert [t.notes for t in doc.score.tracks] == [t.notes for t in before.tracks]


def test_continue_with_a_model_that_only_continues_seeds_it_with_the_bars_before(mt_window, qtbot):
    window, doc = mt_window, mt_window.doc
    before = doc.score
    assert window.generation_ui.panel.models.select("markov")
    window.roll.set_playhead(6 * BAR)  # the end of the sketch
    scores = run(window, qtbot, "continue_playhead")
    assert region_of(scores[0]) == Region(6, 8, (), CONTINUE)
    assert window.generation_ui.gallery.insert(window.generation_ui.gallery.cards()[0])
    assert outside(doc.score, 6 * BAR, 8 * BAR, {0, 1}) == outside(before, 6 * BAR, 8 * BAR, {0, 1})
    new = [n for t in doc.score.tracks for n in t.notes if n.start >= 6 * BAR]
    assert len(new) == scores[0].note_count > 0
    doc.undo_stack.undo()
    assert notes_of(doc.score) == notes_of(before)


# -- the choice options -----------------------------------------------------------------------------

def test_choice_options_are_combo_boxes_for_models_that_take_them(mt_window, qtbot, settings):
    panel = mt_window.generation_ui.panel
    controls = panel.controls
    assert {"key_lock", "keep_rhythm", "instruments"} <= set(controls.choices)  # every choice option is a combo box
    key = controls.choices["key_lock"]
    assert key.isEnabled() and key.itemData(0) == "off" and key.findData("F# minor") >= 0
    assert {"density", "lowest_pitch", "highest_pitch"} <= set(controls.rows)
    assert controls.rows["density"].isEnabled() and controls.rows["density"].field.text() == "off"
    assert controls.rows["highest_pitch"].field.text() == "off"  # 127: no limit
    controls.rows["lowest_pitch"].set_value(60)
    assert controls.rows["lowest_pitch"].field.text() == "60 (C4)"
    controls.rows["lowest_pitch"].set_value(0)
    key.setCurrentIndex(key.findData("D major"))
    key.activated.emit(key.currentIndex())  # as a user's pick
    panel.debounce.stop()
    assert settings.generation_controls["key_lock"] == "D major"
    assert SliderState.from_dict(settings.generation_controls).value("key_lock") == "D major"
    assert panel.models.select("note-lstm")  # it takes the key lock and range, not density or keep rhythm
    keep = controls.choices["keep_rhythm"]
    assert key.isEnabled() and not keep.isEnabled() and not controls.rows["density"].isEnabled()
    assert keep.toolTip().startswith("The note-lstm model has no keep-rhythm mode")
    assert panel.models.select(TINY)
    select(mt_window, 0, 0, BAR)
    scores = run(mt_window, qtbot, "regenerate_selection")
    assert Provenance.of(scores[0]).options["key_lock"] == "D major"
    pitches = {n.pitch % 12 for s in scores for n in s.tracks[0].notes if n.start < BAR}
    assert pitches and pitches <= {2, 4, 6, 7, 9, 11, 1}  # D major's pitch classes
