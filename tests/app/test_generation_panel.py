"""The Generation panel in the window: seed and model in, variations out, in real worker threads.

Slider moves regenerate after a pause, Cancel stops a long run, closing during a
run leaves no thread, and every failure is one sentence in the panel while
the sketch stays as it was.
"""

import logging
import shutil
import time

import pytest
from PySide6.QtCore import Qt

from app import commands
from app.core.errors import DeviceError
from app.core.provenance import Provenance
from app.core.score import Note
from app.services.generation import job_from_controls
from app.services.generation_controls import SliderState
from generation_window import SEED, TIMEOUT_MS, gen_window, generate, notes_of  # noqa: F401 (fixture)
from pulse import pulse_server  # noqa: F401 (the session fixture)

BAR = 1920


def start_long_run(window, qtbot):
    """note-lstm, 64 bars x 16 variations: seconds of work; returns once it reports progress."""
    panel = window.generation_ui.panel
    assert panel.models.select("note-lstm")
    panel.controls.set_state(SliderState(bars=64, variations=16, random_seed=1, locked=True, device="cpu"))
    with qtbot.waitSignal(window.generation.progress, timeout=TIMEOUT_MS, check_params_cb=lambda p: p.total > 0):
        panel.generate()


def test_pick_a_seed_and_a_model_then_generate(gen_window, qtbot):
    panel = gen_window.generation_ui.panel
    panel.seeds.search.setText("bossa")
    assert panel.seeds.visible_seeds() == ["seed:bossa-nova-in-c"]
    item = next(panel.seeds.tree.topLevelItem(r) for r in range(panel.seeds.tree.topLevelItemCount())
                if not panel.seeds.tree.topLevelItem(r).isHidden())
    rect = panel.seeds.tree.visualItemRect(item)
    with qtbot.waitSignal(panel.seeds.preview_shown, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.seeds.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.seeds.preview.score().title == "Bossa Nova in C"
    panel.models.combo.setCurrentIndex(panel.models.combo.findData("markov"))
    assert "Trained on" in panel.models.card.text() and "Bach chorales" in panel.models.card.text()
    rows = panel.controls.rows
    assert not rows["noise_sd"].isEnabled()
    assert rows["noise_sd"].toolTip() == "The markov model has no latent noise (it is a Markov chain)."
    assert rows["temperature"].isEnabled() and rows["top_k"].isEnabled() and rows["top_p"].isEnabled()

    scores = generate(gen_window, qtbot)
    cards = gen_window.generation_ui.gallery.cards()
    assert len(scores) == 3 and [c.score for c in cards] == scores
    for number, score in enumerate(scores, 1):
        prov = Provenance.of(score)
        assert prov.model == "markov" and prov.variation == number and prov.random_seed == 7
        assert prov.seed_source == {"kind": "seed", "spec": "seed:bossa-nova-in-c"}
        assert prov.options == {"temperature": 1.0, "top_k": 0, "top_p": 1.0, "key_lock": "off", "lowest_pitch": 0,
                                "highest_pitch": 127} and prov.bars == 2  # none it lacks
        assert score.note_count > 0 and max(n.start for n in score.all_notes()) < 2 * BAR
    assert cards[0].found.notes == scores[0].note_count
    assert gen_window.doc.score.note_count == 0  # the sketch is untouched until something is inserted
    note = "markov continues the seed's pitched parts and leaves out its drum track 'Drums', which it does not play."
    assert all(Provenance.of(s).seed_note == note for s in scores)
    assert panel.status.text().endswith(note)  # said where the musician looks


def test_moving_a_slider_regenerates_a_new_variation_and_auditions_it(gen_window, qtbot, pulse_server):  # noqa: F811
    panel, gallery = gen_window.generation_ui.panel, gen_window.generation_ui.gallery
    before = generate(gen_window, qtbot)
    panel.audition_button.setChecked(True)
    slider = panel.controls.rows["temperature"].slider
    with qtbot.waitSignals([gen_window.generation.variations_ready, gen_window.player.started], timeout=TIMEOUT_MS):
        slider.setValue(slider.value() + 300)  # as a drag would: several moves, one run after the pause
        slider.setValue(slider.value() + 100)
    after = [c.score for c in gallery.cards()]
    made = Provenance.of(after[0])
    assert made.options["temperature"] == pytest.approx(panel.controls.rows["temperature"].value())
    assert made.random_seed == 7  # locked: only the temperature changed
    assert notes_of(after[0]) != notes_of(before[0])
    assert gallery.audition.key is gallery.cards()[0] and gen_window.player.is_playing()
    gallery.audition.stop()


def test_the_loaded_heap_is_frozen_so_full_collections_stay_short(gen_window, qtbot):
    """Once torch and a model are loaded, the collector stops walking them (a 115-165 ms freeze before)."""
    import gc

    generate(gen_window, qtbot)
    frozen = gc.get_freeze_count()
    assert frozen > 100_000  # torch, the registry, the model: no longer walked by full collections
    generate(gen_window, qtbot)
    assert gc.get_freeze_count() >= frozen


def test_releasing_a_slider_regenerates_at_once_without_the_debounce(gen_window, qtbot):
    panel = gen_window.generation_ui.panel
    generate(gen_window, qtbot)
    slider = panel.controls.rows["temperature"].slider
    slider.setValue(slider.value() + 150)
    assert panel.debounce.isActive()  # dragging: waits for a pause
    with qtbot.waitSignal(gen_window.generation.started, timeout=1000):
        slider.sliderReleased.emit()  # let go: the run starts in this event-loop turn
    assert not panel.debounce.isActive()
    with qtbot.waitSignal(gen_window.generation.variations_ready, timeout=TIMEOUT_MS):
        pass


def test_moving_a_slider_keeps_the_random_seed_so_only_the_slider_changes_the_music(gen_window, qtbot):
    panel = gen_window.generation_ui.panel
    panel.controls.lock.setChecked(False)
    before = Provenance.of(generate(gen_window, qtbot)[0])
    first = before.random_seed
    slider = panel.controls.rows["temperature"].slider
    slider.setValue(slider.value() + 150)
    with qtbot.waitSignal(gen_window.generation.variations_ready, timeout=TIMEOUT_MS) as moved:
        slider.sliderReleased.emit()
    prov = Provenance.of(moved.args[0][0])
    assert prov.random_seed == first and prov.options["temperature"] != before.options["temperature"]  # same draw
    assert Provenance.of(generate(gen_window, qtbot)[0]).random_seed != first  # Generate draws a new one


def test_an_unlocked_random_seed_is_new_for_every_run(gen_window, qtbot):
    panel = gen_window.generation_ui.panel
    panel.controls.lock.setChecked(False)
    first = Provenance.of(generate(gen_window, qtbot)[0]).random_seed
    second = Provenance.of(generate(gen_window, qtbot)[0]).random_seed
    assert first != second and panel.controls.random_seed.value() == second


def test_cancel_stops_a_long_generation(gen_window, qtbot):
    panel = gen_window.generation_ui.panel
    delivered = []
    gen_window.generation.variations_ready.connect(delivered.append)
    start_long_run(gen_window, qtbot)
    assert panel.cancel_button.isEnabled()
    clicked = time.perf_counter()
    with qtbot.waitSignal(gen_window.generation.cancelled, timeout=5000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not gen_window.runner.is_running("generate"), timeout=10000)
    assert time.perf_counter() - clicked < 5.0  # the full run takes far longer
    qtbot.wait(200)
    assert delivered == [] and gen_window.generation_ui.gallery.cards() == []
    assert panel.status.text() == "Generation cancelled; the variations shown are kept."
    assert not panel.cancel_button.isEnabled() and panel.progress.isHidden()


def test_closing_the_window_during_a_generation_leaves_no_thread_and_no_traceback(gen_window, qtbot, caplog):
    delivered = []
    gen_window.generation.variations_ready.connect(delivered.append)
    gen_window.generation.failed.connect(delivered.append)
    with caplog.at_level(logging.WARNING):
        start_long_run(gen_window, qtbot)
        assert gen_window.close()
        # the run was cancelled: its worker ends at its next step (close waits a second for it, then goes on)
        qtbot.waitUntil(lambda: gen_window.runner.pool.activeThreadCount() == 0, timeout=5000)
        qtbot.wait(300)
    assert delivered == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_broken_user_checkpoint_says_so_in_one_sentence_and_nothing_is_lost(gen_window, qtbot, tmp_path):
    panel = gen_window.generation_ui.panel
    kept = generate(gen_window, qtbot)
    gen_window.doc.undo_stack.push(commands.NotesCommand(gen_window.doc, 0, [], [Note(0, 60, 480)], "Draw"))
    broken = tmp_path / "models" / "my-reels"
    broken.mkdir(parents=True)
    markov = gen_window.generation.model("markov").path
    shutil.copy(markov / "config.json", broken / "config.json")
    (broken / "model.safetensors").write_bytes((markov / "model.safetensors").read_bytes()[:1000])
    with qtbot.waitSignal(gen_window.generation.models_changed, timeout=TIMEOUT_MS):
        panel.refresh_models()
    assert panel.models.combo.findText("my-reels (yours)") >= 0
    with qtbot.waitSignal(gen_window.generation.failed, timeout=TIMEOUT_MS) as failed:
        panel.models.select("my-reels")  # it loads in the background at once
    message = failed.args[0]
    assert "truncated or was modified" in message and message.count(". ") == 0 and message.endswith(".")
    assert panel.status.text() == message and panel.status.property("error")
    with qtbot.waitSignal(gen_window.generation.failed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert [c.score for c in gen_window.generation_ui.gallery.cards()] == kept
    assert [n.pitch for n in gen_window.doc.score.all_notes()] == [60]
    gen_window.actions["undo"].trigger()  # the editor keeps working
    assert gen_window.doc.score.note_count == 0


def test_no_gpu_and_out_of_gpu_memory_are_one_sentence_each(gen_window, qtbot, monkeypatch):
    import torch

    panel, service = gen_window.generation_ui.panel, gen_window.generation
    kept = generate(gen_window, qtbot)
    panel.controls.set_devices({"cpu": "CPU"})
    gpu = panel.controls.device.findData("cuda")
    assert panel.controls.device.itemText(gpu) == "GPU (none found)" and not panel.controls._item_enabled(gpu)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    lstm = service.model("note-lstm")
    with qtbot.waitSignal(service.failed, timeout=TIMEOUT_MS) as failed:
        service.generate(job_from_controls(lstm, SliderState(device="cuda"), panel.seeds.source(), {}))
    assert failed.args[0] == "No CUDA GPU is available on this machine; choose the CPU or Auto as the device."
    assert panel.status.text() == failed.args[0]

    class OutOfMemory:
        card = {}

        def generate(self, request):
            yield from ()
            raise DeviceError("The GPU ran out of memory; ask for fewer variations, or run on the CPU.")

    service.pool.put(str(service.model("markov").path), "auto", OutOfMemory())
    with qtbot.waitSignal(service.failed, timeout=TIMEOUT_MS) as failed:
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert panel.status.text() == "The GPU ran out of memory; ask for fewer variations, or run on the CPU."
    assert [c.score for c in gen_window.generation_ui.gallery.cards()] == kept


def test_the_selection_becomes_the_seed_and_a_bundled_seed_auditions_with_one_click(gen_window, qtbot,
                                                                                   pulse_server):  # noqa: F811
    from app.core.generation_settings import load_source
    from app.core.score import Track

    doc, roll, panel = gen_window.doc, gen_window.roll, gen_window.generation_ui.panel
    mine = [Note(0, 60, 480), Note(480, 64, 480), Note(960, 67, 960)]
    doc.replace_all(doc.score.with_tracks([Track("Piano", 0, False, tuple(mine + [Note(2 * BAR, 72, 480)]))]))
    assert not panel.use_selection() and "Select some notes" in panel.status.text()
    roll.view.note_scene.set_selection([i for i in roll.view.note_scene.note_items(0) if i.note.start < BAR])
    with qtbot.waitSignal(panel.seeds.preview_shown, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.seeds.selection_button, Qt.MouseButton.LeftButton)
    assert notes_of(panel.seeds.preview.score()) == mine
    source = Provenance.of(generate(gen_window, qtbot)[0]).seed_source
    assert source["kind"] == "selection" and notes_of(load_source(source)) == mine

    tree = panel.seeds.tree
    item = tree.topLevelItem(0)
    tree.scrollToItem(item)
    with qtbot.waitSignal(gen_window.player.started, timeout=TIMEOUT_MS):
        play_cell = tree.visualRect(tree.indexFromItem(item, 0)).center()
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=play_cell)
    assert gen_window.generation_ui.gallery.audition.key == ("seed", item.data(1, Qt.ItemDataRole.UserRole))
    assert panel.seeds.source() == source  # listening is not choosing
    gen_window.generation_ui.gallery.audition.stop()


def test_a_model_loads_once_in_the_background_and_stays_loaded(gen_window, qtbot):
    panel, service = gen_window.generation_ui.panel, gen_window.generation
    real, loads = service.pool.loader, []
    service.pool.loader = lambda *args: loads.append(args) or real(*args)
    # markov, chosen by the fixture, may still be loading in the background: wait for note-lstm's own signal
    with qtbot.waitSignal(service.model_loaded, timeout=TIMEOUT_MS, check_params_cb=lambda name: name == "note-lstm"):
        assert panel.models.select("note-lstm")
    panel.controls.set_state(SliderState(bars=1, variations=1, random_seed=3, locked=True))
    first, second = generate(gen_window, qtbot), generate(gen_window, qtbot)
    assert len(loads) == 1 and notes_of(first[0]) == notes_of(second[0])  # locked seed: the same music


def test_the_panel_remembers_model_seed_sliders_lock_and_audition(gen_window, qtbot, settings):
    from app.ui.main_window import MainWindow

    panel = gen_window.generation_ui.panel
    assert panel.models.select("note-lstm")
    panel.controls.rows["temperature"].field.setValue(0.7)  # a user edit: saved at once
    panel.controls.lock.setChecked(True)
    panel.controls.variations.field.setValue(5)
    panel.audition_button.setChecked(True)
    expected = panel.controls.state()
    gen_window.close()

    again = MainWindow(settings)
    qtbot.addWidget(again)
    again_panel = again.generation_ui.panel
    assert again_panel.controls.state() == expected and again_panel.audition_button.isChecked()
    assert again_panel.seeds.source() == {"kind": "seed", "spec": SEED}
    with qtbot.waitSignals([again.generation.models_changed, again_panel.seeds.preview_shown], timeout=TIMEOUT_MS):
        again.show()  # models listed and the seed read in the background, after the window shows
    assert again_panel.models.current().name == "note-lstm"
    assert again_panel.seeds.preview.score().title == "Swing Ride in F"
    again.close()


# -- the options table, the specs, and one shape of the options from the panel to the sampler ----------

def test_slider_rows_are_the_options_table(qtbot):
    from app.services.generation_controls import LENGTH, PANEL_OPTIONS, VARIATIONS
    from app.ui.generation.sliders import GenerationControls

    controls = GenerationControls()
    qtbot.addWidget(controls)
    assert list(controls.rows) == [o.name for o in PANEL_OPTIONS]
    assert {"temperature", "top_k", "top_p", "noise_sd", "style_alpha"} <= set(controls.rows)
    assert not {"track_noise_sd", "track_style_alpha", "bars", "variations"} & set(controls.rows)  # CLI-only / common
    for option in (*PANEL_OPTIONS, LENGTH, VARIATIONS):
        row = controls.rows.get(option.name) or (controls.bars if option is LENGTH else controls.variations)
        low = option.low + 10 ** -row.decimals if option.low_open else option.low
        assert (row.field.minimum(), row.field.maximum()) == (pytest.approx(low), option.high), option.name
        assert row.toolTip() == option.tooltip
        assert controls.form.labelForField(row).text() == option.label + (f" ({option.unit})" if option.unit else "")
    assert controls.rows["noise_sd"].field.maximum() == 5.0 and controls.variations.field.maximum() == 64
    assert controls.rows["top_p"].field.minimum() == pytest.approx(0.01)  # above 0: the low end is open
    assert controls.rows["top_k"].field.specialValueText() == "off"
    assert controls.random_seed.maximum() == 2**31 - 1
    assert controls.state() == SliderState()  # every row starts at the table's default


def test_stored_out_of_range_values_are_clamped_to_the_table(qtbot, settings):
    from app.ui.main_window import MainWindow

    stored = {"temperature": 99, "noise_sd": 4.5, "style_alpha": -1, "top_p": 0, "top_k": "x", "bars": 1000,
              "variations": 40, "random_seed": -5, "device": "tpu", "locked": 1}
    state = SliderState.from_dict(stored)
    assert state.options == {"temperature": 5.0, "top_k": 0, "top_p": 1.0, "noise_sd": 4.5, "style_alpha": 0.0,
                             "key_lock": "off", "density": 0, "lowest_pitch": 0, "highest_pitch": 127,
                             "keep_rhythm": "off", "instruments": "as the seed", "pitch_profile": "seed"}  # not stored: the table's defaults
    assert (state.bars, state.variations, state.random_seed, state.device, state.locked) == (256, 40, 0, "auto", True)
    assert SliderState.from_dict(state.to_dict()) == state
    settings.generation_controls = stored
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.generation_ui.panel.controls.state() == state  # the panel shows what was stored, clamped
    window.close()


def test_the_job_holds_the_options_object_the_sampler_gets(gen_window, qtbot):
    from models.common.options import GenerationOptions, OptionError

    service, panel = gen_window.generation, gen_window.generation_ui.panel
    state = SliderState.of(temperature=0.8, noise_sd=0.3, top_k=20, bars=1, variations=2, random_seed=4)
    markov = job_from_controls(service.model("markov"), state, panel.seeds.source(), {"kind": "seed", "spec": "x"})
    assert markov.options == GenerationOptions(temperature=0.8, top_k=20, top_p=1.0, key_lock="off", lowest_pitch=0,
                                               highest_pitch=127)  # no latent noise: it lacks it
    assert markov.style_source == {"kind": "none"}  # markov mixes no style
    vae = job_from_controls(service.model("vae-nn"), state, panel.seeds.source(), {})
    assert (vae.options.noise_sd, vae.options.top_k, vae.options.temperature) == (0.3, None, 0.8)

    seen = []

    class Recorder:
        card = {}

        def generate(self, request):
            seen.append(request)
            yield from ()
            return []

    qtbot.waitUntil(lambda: service.pool.loaded(markov.checkpoint, markov.device), timeout=TIMEOUT_MS)  # preloaded
    service.pool.put(markov.checkpoint, markov.device, Recorder())
    with qtbot.waitSignal(service.variations_ready, timeout=TIMEOUT_MS):
        service.generate(markov)
    assert seen[0].options is markov.options  # one shape: panel values -> the Job's options -> the request

    with pytest.raises(OptionError) as err:
        job_from_controls(service.model("markov"), SliderState.of(temperature=9.0), {}, {})
    assert err.value.sentence(err.value.option.label) == "Temperature must be between 0.05 and 5."


def test_a_plugin_model_is_offered_with_its_own_sliders_and_generates(toy_plugin, gen_window, qtbot):
    panel, gallery = gen_window.generation_ui.panel, gen_window.generation_ui.gallery
    index = panel.models.combo.findData("toy-arpeggio")
    assert index >= 0 and panel.models.combo.itemText(index) == "Toy arpeggiator"
    assert panel.models.select("toy-arpeggio")
    assert "Arpeggios over the pitch classes" in panel.models.card.text()
    assert "showing how a model package plugs into Cadenza" in panel.models.card.text()
    rows = panel.controls.rows
    assert rows["temperature"].isEnabled()
    assert not rows["noise_sd"].isEnabled() and not rows["top_k"].isEnabled()
    assert rows["noise_sd"].toolTip() == "The toy-arpeggio model has no latent noise (it is a pitch-class histogram)."
    assert not panel.controls.style_song.isEnabled()

    scores = generate(gen_window, qtbot)
    assert len(scores) == 3 and [c.score for c in gallery.cards()] == scores
    for number, score in enumerate(scores, 1):
        made = Provenance.of(score)
        assert (made.model, made.variation, made.options, made.random_seed) == ("toy-arpeggio", number,
                                                                                 {"temperature": 1.0}, 7)
        assert score.note_count == 2 * 8 and score.tracks[0].name == "Arpeggio"
