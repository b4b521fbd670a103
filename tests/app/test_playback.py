"""Playback for real: the app's Player into a PulseAudio null sink, recorded with parec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.score import Note, Score, TempoChange, Track
from app.services.player import NO_DEVICE, Player

from pulse import RATE, pulse_server  # noqa: F401 (the session fixture)

A4, E5 = 69, 76
WINDOW = RATE // 100  # 10 ms analysis windows
ROOT = Path(__file__).parents[2]


def piano(notes, bpm: float = 120.0) -> Score:
    return Score(tracks=(Track("piano", 0, False, tuple(Note(*n) for n in notes)),), tempos=(TempoChange(0, bpm),))


def window_rms(audio: np.ndarray) -> np.ndarray:
    mono = audio.mean(axis=1)
    n = len(mono) // WINDOW
    return np.sqrt(np.mean(np.square(mono[:n * WINDOW].reshape(n, WINDOW), dtype=np.float64), axis=1))


def sounding_span(audio: np.ndarray, threshold: float) -> tuple[float, float]:
    """(first, last) second where the 10 ms RMS is above ``threshold``."""
    loud = np.flatnonzero(window_rms(audio) > threshold)
    assert len(loud), "the audio is silent"
    return loud[0] * WINDOW / RATE, (loud[-1] + 1) * WINDOW / RATE


def band_level(audio: np.ndarray, hz: float) -> float:
    """Spectral magnitude within 2% of ``hz`` (mono mix, Hann window)."""
    mono = audio.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    freqs = np.fft.rfftfreq(len(mono), 1 / RATE)
    return float(spectrum[np.abs(freqs - hz) < hz * 0.02].max())


def dominant_hz(audio: np.ndarray) -> float:
    mono = audio.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / RATE)[np.argmax(spectrum)])


@pytest.fixture
def player(qapp, settings, pulse_server):  # noqa: F811
    settings.sample_rate = RATE
    p = Player(settings)
    assert p.device_name() == "Cadenza test sink", "Qt's audio did not reach the test daemon"
    yield p
    p.shutdown()
    assert not p._threads


def test_plays_the_score_for_its_duration_and_the_playhead_ends_at_its_end(qtbot, player, pulse_server):  # noqa: F811
    from app.audio.synth import Synth

    score = piano([(0, A4, 480), (480, A4, 480), (960, A4, 480), (1440, A4, 960)])  # 2.5 s at 120 bpm
    with Synth(sample_rate=RATE) as synth:
        offline = synth.render(score)
    threshold = 0.01 * window_rms(offline).max()
    expected = np.subtract(*sounding_span(offline, threshold)[::-1])
    positions: list[int] = []
    player.position_changed.connect(positions.append)
    with pulse_server.capture() as capture:
        with qtbot.waitSignal(player.started, timeout=20000):
            player.play(lambda: score, 0)
        assert player.is_playing()
        with qtbot.waitSignal(player.stopped, timeout=20000):
            pass
    assert not player.is_playing()
    first, last = sounding_span(capture.audio, threshold)
    assert abs((last - first) - expected) < 0.15, (first, last, expected)
    assert expected > 2.5
    assert abs(dominant_hz(capture.audio[int(first * RATE):int((first + 2.0) * RATE)]) - 440.0) < 440 * 0.02
    assert player.position() == score.end == positions[-1]
    assert len(positions) > 20 and positions == sorted(positions)  # the playhead moved forward at ~30 Hz


def test_loop_wraps_and_an_edit_is_heard_at_the_next_pass(qtbot, player, pulse_server):  # noqa: F811
    scores = {"now": piano([(0, A4, 960)])}  # loop [0, 960): one second
    positions: list[int] = []
    player.position_changed.connect(positions.append)

    def wrapped(times: int) -> bool:
        return sum(1 for a, b in zip(positions, positions[1:]) if b < a) >= times

    with pulse_server.capture() as capture:
        with qtbot.waitSignal(player.started, timeout=20000):
            player.play(lambda: scores["now"], 0, loop=(0, 960))
        scores["now"] = piano([(0, E5, 960)])  # heard from the next pass on
        qtbot.waitUntil(lambda: wrapped(2), timeout=10000)
        began = time.monotonic()
        with qtbot.waitSignal(player.stopped, timeout=1000):
            player.stop()
        assert time.monotonic() - began < 0.6
        qtbot.wait(400)
    assert not player.is_playing() and not player._threads
    assert all(0 <= p <= 960 for p in positions)
    first = sounding_span(capture.audio, 0.002)[0]
    audio = capture.audio[int(first * RATE):]
    assert len(audio) >= 2 * RATE
    pass1, pass2 = audio[:int(0.8 * RATE)], audio[int(1.1 * RATE):int(1.9 * RATE)]
    assert abs(dominant_hz(pass1) - 440.0) < 440 * 0.02
    assert band_level(pass1, 440.0) > 10 * band_level(pass1, 659.26)  # the A4 of the first pass
    assert band_level(pass2, 659.26) > 10 * band_level(pass2, 440.0)  # the E5 of the edit, at the next pass
    assert np.abs(capture.audio[-RATE // 5:]).max() < 1e-4  # silent after stop()


def test_stop_during_playback_is_quick_and_leaves_the_playhead_where_it_was(qtbot, player):
    score = piano([(i * 480, 60 + i % 12, 480) for i in range(40)])  # 10 s
    with qtbot.waitSignal(player.started, timeout=20000):
        player.play(lambda: score, 960)
    qtbot.waitUntil(lambda: player.position() > 1200, timeout=5000)
    began = time.monotonic()
    with qtbot.waitSignal(player.stopped, timeout=1000):
        player.stop()
    assert time.monotonic() - began < 0.6
    assert 1200 < player.position() < 1200 + 960  # well before the end, where the sound was
    assert not player.is_playing() and not player._threads


def test_key_preview_sounds_and_is_released(qtbot, player, pulse_server):  # noqa: F811
    with pulse_server.capture() as capture:
        player.preview_note(A4)
        assert not player.is_playing()  # a key preview is not playback
        qtbot.waitUntil(lambda: player._run is not None and player._run.sink is not None, timeout=20000)
        qtbot.wait(300)
        player.release_note(A4)
        qtbot.waitUntil(lambda: player._run is None, timeout=3000)
    first, last = sounding_span(capture.audio, 0.002)
    assert 0.1 < last - first < 0.9  # released before its full second
    assert abs(dominant_hz(capture.audio[int(first * RATE):int(last * RATE)]) - 440.0) < 440 * 0.02


NO_DEVICE_SCRIPT = textwrap.dedent("""
    import json
    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
    from app.core.score import Note, Score, Track
    from app.services.player import Player
    from app.settings import Settings

    app = QCoreApplication([])
    player = Player(Settings(QSettings(r"{ini}", QSettings.Format.IniFormat)))
    seen = {{"errors": [], "stopped": 0, "started": 0}}
    player.error_occurred.connect(seen["errors"].append)
    player.stopped.connect(lambda: seen.__setitem__("stopped", seen["stopped"] + 1))
    player.started.connect(lambda: seen.__setitem__("started", seen["started"] + 1))
    score = Score(tracks=(Track("p", 0, False, (Note(0, 69, 480),)),))
    player.play(lambda: score, 0)
    loop = QEventLoop()
    QTimer.singleShot(300, loop.quit)
    loop.exec()
    seen.update(playing=player.is_playing(), devices=player.available_devices(), name=player.device_name())
    player.shutdown()
    print(json.dumps(seen))
""")


def test_without_an_audio_device_play_says_so_in_one_sentence(tmp_path):
    """A process that reaches no sound server (as on a machine without audio) sees no device."""
    env = dict(os.environ, PULSE_SERVER=f"unix:{tmp_path / 'no-server'}", QT_QPA_PLATFORM="offscreen")
    env.pop("QT_AUDIO_BACKEND", None)
    script = NO_DEVICE_SCRIPT.format(ini=tmp_path / "cadenza.ini")
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"errors": [NO_DEVICE], "stopped": 1, "started": 0, "playing": False, "devices": [], "name": ""}
    assert NO_DEVICE.count(".") == 1
