"""The Variations gallery and the Phrases view: insert as one undoable step, keep, export, rerun.

Every inserted phrase keeps its provenance; "Regenerate Exactly" brings back
the same notes and "More Like This" the same settings with a new random seed.
"""

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt

from app.core.formats import load_score
from app.core.provenance import Provenance
from app.core.score import Note, Track
from app.core.variations import phrases
from generation_window import TIMEOUT_MS, gen_window, generate, notes_of  # noqa: F401 (fixture)
from pulse import pulse_server  # noqa: F401 (the session fixture)

BAR = 1920


def shifted(score, ticks):
    return sorted(Note(n.start + ticks, n.pitch, n.duration, n.velocity) for n in score.all_notes())


def test_insert_at_the_playhead_is_one_undoable_step(gen_window, qtbot):
    doc, gallery = gen_window.doc, gen_window.generation_ui.gallery
    variation = generate(gen_window, qtbot)[1]
    gen_window.roll.set_playhead(BAR)
    qtbot.mouseClick(gallery.cards()[1].insert, Qt.MouseButton.LeftButton)
    assert sorted(doc.score.tracks[0].notes) == shifted(variation, BAR)
    (record,) = phrases(doc.score)
    assert (record.id, record.tracks, record.start) == ("phrase-1", (0,), BAR)
    assert record.provenance == Provenance.of(variation)
    assert record.provenance.checkpoint_sha256 == gen_window.generation.model("markov").card["weights_sha256"]
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Insert markov 2"
    gen_window.actions["undo"].trigger()
    assert doc.score.note_count == 0 and phrases(doc.score) == []
    gen_window.actions["redo"].trigger()
    assert sorted(doc.score.tracks[0].notes) == shifted(variation, BAR) and len(phrases(doc.score)) == 1
    assert gen_window.roll.view.note_scene.note_items(0)  # the roll shows them


def test_insert_replacing_the_selection_or_as_new_tracks(gen_window, qtbot):
    doc, roll, gallery = gen_window.doc, gen_window.roll, gen_window.generation_ui.gallery
    mine = [Note(0, 72, 480), Note(BAR, 74, 480), Note(BAR + 480, 76, 480)]
    doc.replace_all(doc.score.with_tracks([Track("Piano", 0, False, tuple(mine))]))
    generate(gen_window, qtbot)
    card = gallery.cards()[0]
    assert not gallery.insert(card, "selection")  # nothing selected: it says so, nothing changes
    roll.select_all()
    roll.view.note_scene.set_selection([i for i in roll.view.note_scene.note_items(0) if i.note.start >= BAR])
    assert roll.selected_notes() == mine[1:]
    assert gallery.insert(card, "selection")
    notes = doc.score.tracks[0].notes
    assert Note(0, 72, 480) in notes and not set(mine[1:]) & set(notes)
    assert all(n.start < BAR + 960 or n.end <= BAR for n in notes)  # cut to the selection's length
    assert all(BAR <= n.start and n.end <= BAR + 960 for n in notes if n != Note(0, 72, 480))
    doc.undo_stack.undo()
    assert list(doc.score.tracks[0].notes) == mine

    gen_window.roll.set_playhead(0)
    assert gallery.insert(card, "tracks")
    assert [t.name for t in doc.score.tracks] == ["Piano", "Piano (markov 1)"]
    assert notes_of(doc.score.with_tracks(doc.score.tracks[1:])) == notes_of(card.score)
    doc.undo_stack.undo()
    assert len(doc.score.tracks) == 1


def test_starred_variations_are_kept_and_deleted_ones_go(gen_window, qtbot):
    gallery, panel = gen_window.generation_ui.gallery, gen_window.generation_ui.panel
    generate(gen_window, qtbot)
    keep = gallery.cards()[1]
    qtbot.mouseClick(keep.star, Qt.MouseButton.LeftButton)
    assert keep.starred and keep.star.text() == "★"
    panel.controls.random_seed.setValue(8)  # a new run (after the pause)
    with qtbot.waitSignal(gen_window.generation.variations_ready, timeout=TIMEOUT_MS):
        pass
    cards = gallery.cards()
    assert len(cards) == 4 and cards[0] is keep
    assert [Provenance.of(c.score).random_seed for c in cards] == [7, 8, 8, 8]
    qtbot.mouseClick(cards[2].delete, Qt.MouseButton.LeftButton)
    assert len(gallery.cards()) == 3 and gallery.header.text() == "3 variations"


def test_one_variation_exports_as_midi_and_wav_and_drags_out_as_a_mid(gen_window, qtbot, tmp_path):
    gallery = gen_window.generation_ui.gallery
    generate(gen_window, qtbot)
    card = gallery.cards()[0]
    gallery.ask_path = lambda suggestion, ext: str(tmp_path / suggestion)
    for ext in (".mid", ".wav"):
        task = gallery.export(card, ext)
        with qtbot.waitSignal(task.signals.done, timeout=TIMEOUT_MS):
            pass
    midi = load_score(tmp_path / "Variation-markov-1.mid")
    assert notes_of(midi) == notes_of(card.score)
    assert Provenance.of(midi) == Provenance.of(card.score)  # provenance travels in the file
    wav = (tmp_path / "Variation-markov-1.wav").read_bytes()
    assert wav[:4] == b"RIFF" and len(wav) > 44100
    (url,) = card.drag.mime_data().urls()
    assert Path(url.toLocalFile()).suffix == ".mid" and notes_of(load_score(url.toLocalFile())) == notes_of(card.score)


def test_the_phrases_view_regenerates_exactly_and_more_like_this(gen_window, qtbot, monkeypatch):
    import app.services.generation as generation

    gallery, view, panel = gen_window.generation_ui.gallery, gen_window.generation_ui.phrases, gen_window.generation_ui.panel
    calls = []
    real = generation.job_from_provenance
    monkeypatch.setattr(generation, "job_from_provenance",
                        lambda prov, models, exact=False: calls.append(exact) or real(prov, models, exact))
    variation = generate(gen_window, qtbot)[1]
    original = Provenance.of(variation)
    gallery.insert(gallery.cards()[1], "playhead")
    assert view.tree.topLevelItemCount() == 1
    row, end = view.tree.topLevelItem(0), phrases(gen_window.doc.score)[0].end
    last_bar = (end - 1) // BAR + 1  # a last note may ring past the two bars asked for
    assert [row.text(c) for c in range(5)] == ["phrase-1", "markov", f"1–{last_bar}", "swing-ride-in-f", "7"]
    assert "Temperature 1, Top-k off, Top-p 1" in view.details.text() and "2 of 3" in view.details.text()

    with qtbot.waitSignal(gen_window.generation.variations_ready, timeout=TIMEOUT_MS) as exact:
        qtbot.mouseClick(view.exact_button, Qt.MouseButton.LeftButton)
    (again,) = exact.args[0]
    assert notes_of(again) == notes_of(variation) == sorted(gen_window.doc.score.tracks[0].notes)
    assert replace(Provenance.of(again), generation_seconds=original.generation_seconds) == original
    assert calls == [True]

    def only_the_random_seed_changed(scores):
        assert len(scores) == 3
        for score in scores:
            made = Provenance.of(score)
            assert made.random_seed != 7
            assert replace(made, random_seed=7, variation=2, generation_seconds=original.generation_seconds) == original

    with qtbot.waitSignal(gen_window.generation.variations_ready, timeout=TIMEOUT_MS) as more:
        qtbot.mouseClick(view.more_button, Qt.MouseButton.LeftButton)
    only_the_random_seed_changed(more.args[0])
    assert panel.controls.random_seed.value() == Provenance.of(more.args[0][0]).random_seed  # the panel shows it
    assert calls == [True, False]

    panel.models.select("note-lstm")  # the panel's own More Like This takes the phrase's settings back
    panel.controls.set_state(panel.controls.state().updated(temperature=1.7, bars=5))
    with qtbot.waitSignal(gen_window.generation.variations_ready, timeout=TIMEOUT_MS) as more:
        panel.more_like(original)
    only_the_random_seed_changed(more.args[0])
    assert panel.models.current().name == "markov" and panel.controls.state().value("temperature") == 1.0
    assert panel.controls.state().bars == 2
    assert calls == [True, False, False]  # one function built every rerun


def test_ab_compare_switches_between_the_sketch_and_the_variation(gen_window, qtbot, pulse_server):  # noqa: F811
    doc, gallery, player = gen_window.doc, gen_window.generation_ui.gallery, gen_window.player
    doc.replace_all(doc.score.with_tracks([Track("Piano", 0, False, (Note(0, 60, 4 * BAR),))]))
    generate(gen_window, qtbot)
    card = gallery.cards()[0]
    gen_window.roll.set_playhead(BAR)
    with qtbot.waitSignal(player.started, timeout=TIMEOUT_MS):
        qtbot.mouseClick(card.compare, Qt.MouseButton.LeftButton)
    assert (gallery.audition.key, gallery.audition.side, card.compare.text()) == (card, "B", "A/B: B")
    with qtbot.waitSignal(player.started, timeout=TIMEOUT_MS):
        qtbot.mouseClick(card.compare, Qt.MouseButton.LeftButton)
    assert gallery.audition.side == "A" and card.compare.text() == "A/B: A"
    assert player.position() >= BAR  # the sketch plays from where the variation would go
    with qtbot.waitSignal(player.stopped, timeout=TIMEOUT_MS):
        gallery.audition.stop()
    assert gallery.audition.key is None and card.compare.text() == "A/B"
    assert gen_window.roll.playhead() == BAR  # the playhead is back where the musician put it


def test_a_phrase_saved_in_a_project_regenerates_exactly_after_reopening(gen_window, qtbot, settings, tmp_path):
    from app.core.project import save_project
    from app.ui.main_window import MainWindow

    gallery = gen_window.generation_ui.gallery
    generate(gen_window, qtbot)
    gallery.insert(gallery.cards()[2], "playhead")
    save_project(gen_window.doc.score, tmp_path / "sketch.cadenza")
    inserted = sorted(gen_window.doc.score.tracks[0].notes)

    again = MainWindow(settings)  # not shown: its models are not listed yet
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.files.opened, timeout=TIMEOUT_MS):
        again.files.open_path(tmp_path / "sketch.cadenza", ask=False)
    view = again.generation_ui.phrases
    assert view.tree.topLevelItemCount() == 1 and not again.generation.scanned
    with qtbot.waitSignal(again.generation.variations_ready, timeout=TIMEOUT_MS) as exact:
        qtbot.mouseClick(view.exact_button, Qt.MouseButton.LeftButton)
    assert notes_of(exact.args[0][0]) == inserted
    again.doc.mark_saved()
    again.close()
