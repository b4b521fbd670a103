"""Generate > Add a Band: a model that accompanies writes the band as new tracks in one undoable step.

A tiny stand-in model (its spec says ``accompanies``) is put in the window's generator pool, so no
torch and no checkpoint are needed: the test is about what the app does with a band.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.core.errors import GenerationError
from app.core.score import Note, Score, TimeSignature, Track
from app.services.band import NO_MODEL, band_tracks, chords_abc, lead_of
from app.services.generation import ModelInfo
from models.common.generator import Generator, Progress
from models.common.spec import MONOPHONIC, EntryPoint, ModelSpec
from pulse import pulse_server  # noqa: F401 (the session fixture)

TIMEOUT_MS = 10000
BAND_SPEC = ModelSpec(name="tiny-band", architecture="a stand-in", description="writes a fixed band",
                      good_for="tests", options=(), seeds=frozenset({MONOPHONIC}), roles=("drums", "bass"),
                      generator=EntryPoint("test_add_band:TinyBand"), accompanies=True, chords=True)


class TinyBand(Generator):
    """Answers the band request with the lead, a kick on every beat and a bass note a bar."""

    spec = BAND_SPEC
    card: dict = {}
    checkpoint_dir = None

    def __init__(self) -> None:
        self.requests = []

    def generate(self, request):
        self.requests.append(request)
        yield Progress(1, 2, "writing the band")
        ppq, bars = request.seed.ppq, request.bars
        kicks = tuple(Note(start=b * ppq, pitch=36, duration=ppq // 4) for b in range(bars * 4))
        bass = tuple(Note(start=b * 4 * ppq, pitch=36, duration=4 * ppq) for b in range(bars + 1))  # one too many
        return [replace(request.seed, tracks=request.seed.tracks + (Track("Drums", 0, True, kicks),
                                                                     Track("Bass", 33, False, bass)))]


def _melody_score() -> Score:
    ppq = 480
    melody = tuple(Note(start=4 * ppq + i * ppq, pitch=72 + i, duration=ppq) for i in range(8))  # bars 2-3
    return Score(tracks=(Track("Melody", 73, False, melody), Track("Kit", 0, True, ())), ppq=ppq,
                 time_signatures=(TimeSignature(0, 4, 4),), title="Tune")


def _info() -> ModelInfo:
    return ModelInfo("tiny-band", "tiny-band", Path("/nowhere/tiny-band"), True, {}, BAND_SPEC)


def test_the_lead_is_the_melody_from_its_first_bar_and_the_band_lands_there():
    score = _melody_score()
    lead = lead_of(score, 0)
    assert (lead.offset, lead.bars, lead.words) == (4 * 480, 2, "'Melody', bars 2-3")
    assert [t.name for t in lead.seed.tracks] == ["Lead"] and lead.seed.tracks[0].notes[0].start == 0
    run = TinyBand().generate(band_request(lead))
    variation = _drain(run)[0]
    tracks = band_tracks(variation, lead)
    assert [t.name for t in tracks] == ["Drums", "Bass"]
    assert min(n.start for t in tracks for n in t.notes) == 4 * 480  # moved to bar 2
    assert len(tracks[1].notes) == 2  # the bass note past the lead's bars is cut
    with pytest.raises(GenerationError, match="drum track"):
        lead_of(score, 1)
    with pytest.raises(GenerationError, match="is not a chord symbol"):
        chords_abc("C H7", lead)
    assert chords_abc("C G | Am", lead).splitlines()[-1] == '"C"z2 "G"z2 | "Am"z4 |'


def band_request(lead):
    from models.common.generator import GenerationRequest

    return GenerationRequest(seed=lead.seed, bars=lead.bars, variations=1)


def _drain(run):
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return stop.value


@pytest.fixture
def band_window(qtbot, settings, tmp_path, monkeypatch):
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    window = MainWindow(settings)
    window.files.ask_save = lambda: "discard"
    qtbot.addWidget(window)
    window.show()
    window.doc.replace_all(_melody_score())
    service = window.generation
    service.models, service.scanned = [_info()], True
    yield window
    window.doc.mark_saved()
    window.close()


def test_add_a_band_adds_exactly_the_band_and_one_undo_removes_it(band_window, qtbot):
    window, generator = band_window, TinyBand()
    window.generation.pool.put("/nowhere/tiny-band", "auto", generator)
    before = window.doc.score
    band = window.generation_ui.band
    window.actions["add_band"].trigger()
    dialog = band.dialog
    assert dialog is not None and dialog.melody.text() == "'Melody', bars 2-3"
    assert dialog.model.itemText(0) == "tiny-band"
    dialog.chords.setText("C | G")
    with qtbot.waitSignal(band.service.band_ready, timeout=TIMEOUT_MS):
        dialog.add_button.click()
    after = window.doc.score
    assert [t.name for t in after.tracks] == ["Melody", "Kit", "Drums", "Bass"]
    assert after.tracks[:2] == before.tracks  # the melody and the other tracks are untouched
    assert after.tracks[2].is_drum and len(after.tracks[2].notes) == 8
    assert generator.requests[0].seed_text.splitlines()[-1] == '"C"z4 | "G"z4 |'
    assert window.doc.undo_stack.count() == 1 and window.doc.undo_stack.undoText() == "Add a Band"
    window.doc.undo_stack.undo()
    assert window.doc.score.tracks == before.tracks


def test_add_a_band_says_why_it_cannot(band_window, qtbot):
    window, messages = band_window, []
    band = window.generation_ui.band
    band.status_message.connect(messages.append)
    window.doc.set_active_track(1)  # the empty drum kit
    assert band.open_dialog() is None and "drum track" in messages[-1]
    window.generation.models = []
    assert band.open_dialog() is None and messages[-1] == NO_MODEL
    assert window.doc.undo_stack.count() == 0


class SlowBand(TinyBand):
    """Takes its time (a step every 20 ms), so the run can be cancelled in the middle."""

    def generate(self, request):
        import time

        for step in range(500):
            time.sleep(0.02)
            yield Progress(step, 500, "thinking")
        return (yield from super().generate(request))


def test_cancelling_add_a_band_adds_nothing(band_window, qtbot):
    window = band_window
    window.generation.pool.put("/nowhere/tiny-band", "auto", SlowBand())
    band = window.generation_ui.band
    messages = []
    band.status_message.connect(messages.append)
    dialog = band.open_dialog()
    with qtbot.waitSignal(band.service.progress, timeout=TIMEOUT_MS):
        dialog.add_button.click()
    assert not dialog.add_button.isEnabled() and band.service.is_running()
    dialog.reject()  # Cancel: the run stops, nothing is added
    assert messages[-1] == "Add a Band cancelled; nothing was added."
    qtbot.waitUntil(lambda: not band.service.is_running(), timeout=TIMEOUT_MS)
    assert [t.name for t in window.doc.score.tracks] == ["Melody", "Kit"]
    assert window.doc.undo_stack.count() == 0


def test_the_chords_field_is_offered_only_for_a_model_that_reads_chord_symbols(qtbot):
    from app.ui.generation.add_band import AddBandDialog

    deaf = replace(BAND_SPEC, name="deaf-band", chords=False)
    lead = lead_of(_melody_score(), 0, ())
    dialog = AddBandDialog(lead, [_info(), ModelInfo("deaf-band", "deaf-band", Path("/nowhere/deaf"), True, {}, deaf)])
    qtbot.addWidget(dialog)
    dialog.chords.setText("C | G")
    assert dialog.chords.isEnabled() and dialog.chord_text() == "C | G"
    dialog.model.setCurrentIndex(1)
    assert not dialog.chords.isEnabled() and dialog.chord_text() == ""  # never sent to a model that ignores it
    assert dialog.chords.toolTip() == ("deaf-band does not read chord symbols; it hears the harmony in the "
                                       "melody itself")
    dialog.model.setCurrentIndex(0)
    assert dialog.chords.isEnabled() and dialog.chord_text() == "C | G"
