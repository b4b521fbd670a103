"""The Generate panel's Per track section: shown for the models with per-track options, a row per track,
its values in the request and the variations' provenance, kept by track name across seeds."""

import json

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.core.generation_settings import bundled_source
from app.core.provenance import Provenance
from app.core.score import Score, Track
from app.services.generation import ModelInfo, job_from_controls
from app.services.generation_controls import SliderState
from app.services.track_options import TrackValues
from app.ui.generation.provenance_view import options_text
from app.ui.generation.track_options import TrackOptions
from generation_window import TIMEOUT_MS, gen_window  # noqa: F401 (fixture)
from models.registry import find_checkpoint, get_spec
from pulse import pulse_server  # noqa: F401 (the session fixture)


def keys(section) -> list[str]:
    return [r.key for r in section.rows]


def spy_jobs(service, monkeypatch) -> list:
    jobs, start = [], service.generate
    monkeypatch.setattr(service, "generate", lambda job: (jobs.append(job), start(job)))
    return jobs


def test_a_bass_range_set_in_the_section_is_the_requests_and_the_variations_and_kept_by_track_name(gen_window, qtbot, monkeypatch):
    panel, section = gen_window.generation_ui.panel, gen_window.generation_ui.panel.track_options
    assert section.isHidden()  # markov takes no per-track option
    assert panel.models.select("music-transformer")
    assert not section.isHidden() and [o.name for o in section.options] == ["track_range"]
    assert keys(section) == ["drums", "upright bass", "electric piano"]  # the seed's tracks
    instruments = panel.controls.choices["instruments"]
    instruments.setCurrentIndex(instruments.findData("piano and bass"))
    instruments.activated.emit(instruments.currentIndex())  # as the user's pick
    assert keys(section) == ["piano", "bass"]  # the tracks the choice writes
    instruments.setCurrentIndex(instruments.findData("as the seed"))
    instruments.activated.emit(instruments.currentIndex())
    assert keys(section) == ["drums", "upright bass", "electric piano"]
    panel.controls.set_state(SliderState.of(bars=1, variations=1, random_seed=7, locked=True, device="cpu"))
    jobs = spy_jobs(gen_window.generation, monkeypatch)
    bass = section.editors[("track_range", "upright bass")]
    assert (bass.low.text(), bass.high.text()) == ("no limit", "no limit")
    with qtbot.waitSignal(gen_window.generation.variations_ready, timeout=TIMEOUT_MS) as ready:
        bass.low.setValue(40)  # as the user's edits: the panel regenerates after the pause
        bass.high.setValue(55)
    assert (bass.low.text(), bass.high.text()) == ("E2", "G3")
    assert len(jobs) == 1 and dict(jobs[0].options.track_range) == {"upright bass": (40, 55)}
    made = Provenance.of(ready.args[0][0])
    assert made.model == "music-transformer" and made.options["track_range"] == {"upright bass": (40, 55)}
    assert "Pitch range per track upright bass E2–G3" in options_text(made.options)  # as the Phrases view says it
    written = [n.pitch for t in ready.args[0][0].tracks if t.name == "Upright Bass" for n in t.notes]
    assert written and all(40 <= p <= 55 for p in written)

    with qtbot.assertNotEmitted(section.changed):
        section.show_options({"track_range": {"electric piano": [60, 127]}})  # a run's values, from code
    piano = section.editors[("track_range", "electric piano")]
    assert (piano.low.text(), piano.high.text(), bass.low.text()) == ("C4", "no limit", "no limit")
    assert not panel.debounce.isActive()

    section.set_values(TrackValues().updated("track_range", "drums", (36, 50))
                       .updated("track_range", "upright bass", (40, 55)))
    with qtbot.waitSignal(panel.seeds.preview_shown, timeout=TIMEOUT_MS):
        panel.seeds.choose(bundled_source("seed:bossa-nova-in-c"))
    assert keys(section) == ["drums", "bass", "piano"]  # rebuilt for the new seed's tracks
    assert section.given() == {"track_range": {"drums": (36, 50)}}  # Drums remains; Upright Bass is gone
    assert section.editors[("track_range", "drums")].low.text() == "C2"
    with qtbot.waitSignal(panel.seeds.preview_shown, timeout=TIMEOUT_MS):
        panel.seeds.choose(bundled_source("seed:swing-ride-in-f"))
    assert section.given() == {"track_range": {"drums": (36, 50), "upright bass": (40, 55)}}

    section.set_values(TrackValues().updated("track_range", "upright bass", (60, 40)))  # e.g. a damaged phrase's
    panel.generate()
    assert len(jobs) == 1 and panel.status.property("error")  # refused: no run
    assert panel.status.text() == ("Pitch range per track of track 'upright bass' must be LOW-HIGH, two MIDI "
                                   "pitches from 0 to 127 or note names such as C4 (60), the lower first.")


def test_vae_nn_shows_its_two_columns_for_its_own_tracks_and_holds_values_in_range(qtbot):
    vae = find_checkpoint("vae-nn")
    info = ModelInfo("vae-nn", "vae-nn", vae, True, json.loads((vae / "config.json").read_text()), get_spec("vae-nn"))
    section = TrackOptions()
    qtbot.addWidget(section)
    assert section.isHidden()  # no model yet
    section.set_model(info)
    section.set_seed(Score(tracks=(Track(""), Track("Piano"))))  # vae-nn writes its own tracks, whatever the seed's
    assert not section.isHidden() and [o.name for o in section.options] == ["track_noise_sd", "track_style_alpha"]
    assert keys(section) == ["soprano", "alto", "tenor", "bass"]
    tenor = section.editors[("track_noise_sd", "tenor")]
    assert tenor.text() == "global" and tenor.maximum() == 5.0
    with qtbot.waitSignal(section.changed):
        tenor.setValue(0.2)
    section.editors[("track_style_alpha", "bass")].setValue(7.0)  # beyond the range: held at its end
    job = job_from_controls(info, SliderState(), {}, {}, section.given())
    assert dict(job.options.track_noise_sd) == {"tenor": 0.2} and dict(job.options.track_style_alpha) == {"bass": 1.0}

    section.set_model(ModelInfo("mt", "music-transformer", vae, True, {}, get_spec("music-transformer")))
    assert keys(section) == ["1", "piano"]  # the seed's tracks; an unnamed one by its number
    first = section.editors[("track_range", "1")]
    first.high.setValue(50)
    first.low.setValue(60)  # past the highest: the highest comes along
    assert first.value() == (60, 60)
    first.low.lineEdit().selectAll()
    QTest.keyClicks(first.low, "Hx")  # not a note: the keys are refused as typed
    QTest.keyClick(first.low, Qt.Key.Key_Return)
    assert first.value() == (60, 60) and first.low.text() == "C4"
    assert section.given() == {"track_range": {"1": (60, 60)}}
    assert section.given(Score(tracks=(Track("Lead"),))) == {}  # a selection of the sketch: its tracks' values only
