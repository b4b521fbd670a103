"""Mel spectrograms: the right band lights up, shapes and axes, PNG output."""

from __future__ import annotations

import numpy as np
import pytest

from app.audio.spectrum import mel_spectrogram, save_png

from audio_helpers import SAMPLE_RATE, make_score, note_track


def sine(hz: float, seconds: float = 1.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize("hz", [440.0, 1000.0])
def test_sine_energy_is_in_the_nearest_band(hz):
    tone = sine(hz)
    spec = mel_spectrogram(np.stack([tone, tone], axis=1), SAMPLE_RATE)
    band = int(np.argmax(spec.db.mean(axis=1)))
    assert band == int(np.argmin(np.abs(spec.freqs - hz)))


def test_shapes_axes_and_scale():
    spec = mel_spectrogram(sine(440.0, 2.0), SAMPLE_RATE, n_mels=64, hop_length=256)
    assert spec.db.dtype == np.float32 and spec.db.shape[0] == 64
    assert spec.db.shape[1] == len(spec.times) == 2 * SAMPLE_RATE // 256 + 1
    assert spec.db.max() == pytest.approx(0.0) and spec.db.min() >= -80.0 - 1e-3
    assert np.all(np.diff(spec.freqs) > 0) and spec.freqs[-1] < SAMPLE_RATE / 2
    assert spec.times[1] == pytest.approx(256 / SAMPLE_RATE)
    assert spec.sample_rate == SAMPLE_RATE


def test_empty_audio_gives_no_frames():
    spec = mel_spectrogram(np.zeros((0, 2), dtype=np.float32), SAMPLE_RATE)
    assert spec.db.shape == (128, 0) and len(spec.times) == 0


def test_png_of_a_rendered_piece(synth, tmp_path):
    audio = synth.render(make_score(note_track([(0, 60, 480), (480, 64, 480), (960, 67, 960)], program=48)))
    path = tmp_path / "spec.png"
    save_png(mel_spectrogram(audio, SAMPLE_RATE), path, title="C E G")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["spec.png"]
