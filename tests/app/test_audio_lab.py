"""The Audio Lab dock: a WAV source and its spectrogram, Augment's speed tune, Save as FLAC, cancel, a bad file,
and View > Audio Lab in the window.

Sources are sines written with soundfile in tmp_path. The cancel test runs a slow stand-in generator put in the
service's pool (a model that varies clips, loaded under a made-up name): the worker, the progress, the cancel and
the dropped result are the app's own.
"""

import threading
import time

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog

from app.services.audio_lab import AudioLabService
from app.ui.audio_lab.panel import CANCELLED, AudioLabPanel
from plain_window import plain_window  # noqa: F401 (fixture)

TIMEOUT_MS = 90000  # the first spectrogram compiles librosa's numba code when its cache is cold (a fresh CI venv)
RATE = 22050


def sine(seconds: float = 1.0, hz: float = 440.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def write_sine(path, seconds: float = 1.0, hz: float = 440.0):
    sf.write(str(path), sine(seconds, hz), RATE, subtype="FLOAT" if str(path).endswith(".wav") else "PCM_24")
    return path


class SlowVary:
    """A stand-in audio VAE whose vary takes 50 ms a step for 200 steps, reporting and checking cancel each step."""

    def __init__(self):
        self.started = threading.Event()
        self.ended = threading.Event()

    def vary(self, clip, sample_rate, *, noise_sd, count=4, random_seed=0, progress=None, cancelled=None):
        self.started.set()
        try:
            for step in range(200):
                if cancelled is not None and cancelled():
                    from models.common.generator import Cancelled

                    raise Cancelled("Varying")
                if progress is not None:
                    progress(step / 200)
                time.sleep(0.05)
            return [clip.copy() for _ in range(count)]
        finally:
            self.ended.set()


@pytest.fixture
def lab(qtbot, runner):
    service = AudioLabService(runner, device="cpu", find=lambda action: "slow-vary")
    panel = AudioLabPanel(service, lambda: [])
    qtbot.addWidget(panel)
    panel.resize(700, 900)
    yield panel
    panel.shutdown()


def load(panel, qtbot, path, slot="A"):
    with qtbot.waitSignal(panel.source_shown, timeout=TIMEOUT_MS):
        panel.open_file(slot, str(path))
    return panel.sources[slot].shown


def test_a_wav_source_dropped_on_the_dock_shows_its_spectrogram(lab, qtbot, tmp_path):
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(write_sine(tmp_path / "sine.wav", hz=440.0)))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(lab.source_shown, timeout=TIMEOUT_MS):
        lab.dropEvent(drop)
    shown = lab.sources["A"].shown
    assert shown.clip.sample_rate == RATE and len(shown.clip.audio) == RATE
    np.testing.assert_allclose(shown.clip.audio, sine(), atol=1e-6)
    image = lab.sources["A"].view.spectrogram()  # (n_mels, frames)
    assert image is not None and image.shape[0] == 128 and image.shape[1] >= 40
    loudest_band = int(np.argmax(image.mean(axis=1)))
    assert 300 < shown.spectrogram.freqs[loudest_band] < 600  # the sine's 440 Hz is the bright band
    assert lab.status.text() == "Source A: sine.wav, 1.0 s."


def test_augment_speed_shortens_the_clip_and_saves_as_flac(lab, qtbot, tmp_path, monkeypatch):
    a = load(lab, qtbot, write_sine(tmp_path / "a.flac"))
    lab.actions.set_action("augment")
    lab.actions.speed.setValue(1.05)
    with qtbot.waitSignal(lab.result_shown, timeout=TIMEOUT_MS) as blocker:
        lab.run_button.click()
    result = blocker.args[0]
    out = result.results[0].clip
    assert abs(len(out.audio) - len(a.clip.audio) / 1.05) <= 1
    assert out.sample_rate == RATE
    (_, views), = lab.results
    assert views[0].spectrogram().shape[0] == 128  # the result's spectrogram is shown
    beside = [v for v in views[0].parent().findChildren(type(views[0])) if v is not views[0]]
    assert [v.shown.clip for v in beside] == [a.clip]  # beside the source's
    assert lab.status.text().startswith("Augment: speed ×1.05")

    target = tmp_path / "out.flac"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    views[0].save_button.click()
    back, rate = sf.read(str(target), dtype="float32")
    assert rate == RATE and back.shape == out.audio.shape
    np.testing.assert_allclose(back, out.audio, atol=2.0 ** -22)
    assert lab.status.text() == "Saved out.flac."


def test_cancel_mid_run_leaves_no_result_and_says_so(lab, qtbot, tmp_path):
    load(lab, qtbot, write_sine(tmp_path / "a.wav", seconds=0.2))
    model = SlowVary()
    lab.service.pool.put("slow-vary", "cpu", model)
    lab.actions.set_action("vary")
    shown = []
    lab.result_shown.connect(shown.append)
    with qtbot.waitSignal(lab.service.progress, timeout=TIMEOUT_MS, check_params_cb=lambda p: isinstance(p, float)):
        lab.run_button.click()
    assert model.started.is_set() and not lab.run_button.isEnabled()
    with qtbot.waitSignal(lab.service.cancelled, timeout=TIMEOUT_MS):
        lab.cancel_button.click()
    assert model.ended.wait(5)
    qtbot.waitUntil(lambda: not lab.service.is_running(), timeout=TIMEOUT_MS)
    qtbot.wait(50)  # anything the worker still reported has arrived
    assert shown == [] and lab.results == []
    assert lab.status.text() == CANCELLED and lab.run_button.isEnabled()


def test_a_corrupt_audio_file_gives_one_sentence(lab, qtbot, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage that is not audio")
    with qtbot.waitSignal(lab.service.failed, timeout=TIMEOUT_MS) as blocker:
        lab.open_file("A", str(bad))
    message = blocker.args[0]
    assert message == f"Cannot read {bad}: it is not a sound file soundfile can read, or it is damaged."
    assert lab.status.text() == message and lab.sources["A"].shown is None
    lab.run_button.click()  # nothing to run on: said, not attempted
    assert lab.status.text().startswith("Choose source A first")


def test_view_menu_shows_the_audio_lab(plain_window, qtbot):  # noqa: F811 (fixture)
    window = plain_window
    toggle = window.audio_lab.dock.toggleViewAction()
    view_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&View")
    assert toggle in view_menu.actions() and toggle.text() == "Audio Lab"
    window.show()
    assert window.audio_lab.dock.isHidden()
    toggle.trigger()
    qtbot.waitUntil(lambda: type(window.audio_lab.dock.widget()).__name__ == "AudioLabPanel", timeout=5000)
    assert [name for name, _ in window.audio_lab.renderable()][0] == "The score"



class EchoVary:
    """A stand-in audio VAE: each variation is the clip scaled by 1 - k * noise_sd (k = 0, 1, ...)."""

    def vary(self, clip, sample_rate, *, noise_sd, count=4, random_seed=0, progress=None, cancelled=None):
        return [clip * (1 - k * noise_sd) for k in range(count)]


def test_vary_shows_each_variation_beside_the_source(lab, qtbot, tmp_path, monkeypatch):
    path = write_sine(tmp_path / "a.wav", seconds=0.5)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    with qtbot.waitSignal(lab.source_shown, timeout=TIMEOUT_MS):
        lab.sources["A"].open_button.click()  # Open audio…
    a = lab.sources["A"].shown
    lab.service.pool.put("slow-vary", "cpu", EchoVary())
    lab.actions.set_action("vary")
    lab.actions.sliders["vary.noise_sd"].set_value(0.25)
    lab.actions.sliders["vary.count"].set_value(3)
    with qtbot.waitSignal(lab.result_shown, timeout=TIMEOUT_MS) as blocker:
        lab.run_button.click()
    clips = [shown.clip for shown in blocker.args[0].results]
    assert [c.name for c in clips] == ["variation 1 of a.wav", "variation 2 of a.wav", "variation 3 of a.wav"]
    for k, clip in enumerate(clips):
        np.testing.assert_allclose(clip.audio, a.clip.audio * (1 - k * 0.25), atol=1e-6)
    (_, views), = lab.results
    assert [v.shown.clip for v in views] == clips
    assert all(len(v.parent().findChildren(type(v))) == 2 for v in views)  # each beside the source
    assert lab.status.text() == "Vary: 3 variations of a.wav, noise sd 0.25."
    lab.clear_button.click()
    assert lab.results == [] and lab.findChildren(type(views[0])) == [lab.sources["A"].view]


def test_the_rendered_score_is_a_source(qtbot, runner, settings):
    from app.core.score import Note, Score, Track
    from app.services.player import Player

    notes = tuple(Note(start=i * 240, pitch=60 + i, duration=240, velocity=90) for i in range(4))  # 1 s at 120 bpm
    score = Score(tracks=(Track("Piano", 0, False, notes),))
    player = Player(settings)
    panel = AudioLabPanel(AudioLabService(runner, player.synth, player.playback_rate), lambda: [("The score", score)])
    qtbot.addWidget(panel)
    try:
        with qtbot.waitSignal(panel.source_shown, timeout=TIMEOUT_MS):
            panel.sources["A"].render_button.click()
        clip = panel.sources["A"].shown.clip
        assert clip.name == "The score" and 20000 <= clip.sample_rate <= 24000  # brought down to about 22 kHz
        assert 1.0 <= clip.seconds <= 3.0  # the notes and their release
        second = clip.sample_rate
        assert np.sqrt(np.mean(clip.audio[:second] ** 2)) > 0.005  # it sounds while the notes play
        assert panel.sources["A"].view.spectrogram().shape[0] == 128
    finally:
        panel.shutdown()
        player.shutdown()


class RampContinue:
    """A stand-in sample LSTM: the continuation (alone, as the contract says) is a ramp of the seconds asked for."""

    def continue_clip(self, clip, sample_rate, *, seconds, temperature=1.0, random_seed=0, progress=None,
                      cancelled=None):
        return np.linspace(0.0, temperature / 10, round(seconds * sample_rate), dtype=np.float32)


def test_continue_plays_the_clip_into_its_continuation(lab, qtbot, tmp_path):
    a = load(lab, qtbot, write_sine(tmp_path / "a.wav", seconds=0.5))
    lab.service.pool.put("slow-vary", "cpu", RampContinue())
    lab.actions.set_action("continue")
    lab.actions.sliders["continue.seconds"].set_value(1.5)
    lab.actions.sliders["continue.temperature"].set_value(0.5)
    with qtbot.waitSignal(lab.result_shown, timeout=TIMEOUT_MS) as blocker:
        lab.run_button.click()
    out = blocker.args[0].results[0].clip
    assert out.name == "continued a.wav" and len(out.audio) == len(a.clip.audio) + round(1.5 * RATE)
    np.testing.assert_array_equal(out.audio[:len(a.clip.audio)], a.clip.audio)
    np.testing.assert_allclose(out.audio[-1], 0.05, atol=1e-6)
    assert lab.status.text() == "Continue: a.wav continued by 1.5 s."
