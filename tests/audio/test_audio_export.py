"""WAV/FLAC export: formats, bit depths, streaming, atomic replacement, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.audio.export import render_to_file, write_audio
from app.core.errors import CadenzaError, FileWriteError, UnsupportedFormatError

from audio_helpers import SAMPLE_RATE, make_score, note_track


@pytest.fixture(scope="module")
def rendered(synth):
    score = make_score(note_track([(0, 60, 480), (480, 64, 480), (960, 67, 480)]))
    return synth.render(score), list(synth.render_blocks(score, block_frames=777))


@pytest.mark.parametrize("name, bit_depth, fmt, subtype", [
    ("a.wav", 16, "WAV", "PCM_16"),
    ("a.wav", 24, "WAV", "PCM_24"),
    ("a.flac", 16, "FLAC", "PCM_16"),
    ("a.FLAC", 24, "FLAC", "PCM_24"),
])
def test_written_file_reads_back(tmp_path, rendered, name, bit_depth, fmt, subtype):
    audio, blocks = rendered
    path = tmp_path / name
    assert write_audio(iter(blocks), path, SAMPLE_RATE, bit_depth=bit_depth) == len(audio)
    info = sf.info(str(path))
    assert (info.format, info.subtype) == (fmt, subtype)
    assert info.samplerate == SAMPLE_RATE and info.channels == 2 and info.frames == len(audio)
    back, rate = sf.read(str(path), dtype="float32")
    assert rate == SAMPLE_RATE
    np.testing.assert_allclose(back, audio, atol=2.0 / 2 ** (bit_depth - 1))
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left behind


def test_array_mono_and_empty_inputs(tmp_path):
    tone = np.sin(np.linspace(0, 200, 4410)).astype(np.float32)
    assert write_audio(tone, tmp_path / "mono.wav", 22050) == 4410
    assert sf.info(str(tmp_path / "mono.wav")).channels == 1
    assert write_audio([], tmp_path / "empty.wav", 22050) == 0
    assert sf.info(str(tmp_path / "empty.wav")).frames == 0


def test_loud_samples_are_clipped_not_wrapped(tmp_path):
    path = tmp_path / "loud.wav"
    write_audio(np.full((100, 2), 1.5, dtype=np.float32), path, 44100)
    back, _ = sf.read(str(path))
    assert back.min() > 0.99


def test_unsupported_extension(tmp_path):
    with pytest.raises(UnsupportedFormatError, match=r"\.wav or \.flac") as info:
        write_audio(np.zeros((10, 2)), tmp_path / "a.mp3", 44100)
    assert isinstance(info.value, CadenzaError)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_a_file_write_error(tmp_path):
    with pytest.raises(FileWriteError, match="missing"):
        write_audio(np.zeros((10, 2)), tmp_path / "missing" / "a.wav", 44100)


def test_failed_export_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.wav"
    write_audio(np.zeros((10, 2)), path, 44100)
    before = path.read_bytes()

    def broken():
        yield np.zeros((100, 2), dtype=np.float32)
        raise OSError(28, "No space left on device")

    with pytest.raises(FileWriteError, match=r"^The disk is full: keep\.wav was not written"):
        write_audio(broken(), path, 44100)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.wav"]


def test_render_to_file(tmp_path):
    path = tmp_path / "tune.flac"
    frames = render_to_file(make_score(note_track([(0, 69, 960)])), path, sample_rate=22050, bit_depth=24)
    info = sf.info(str(path))
    assert info.samplerate == 22050 and info.subtype == "PCM_24" and info.frames == frames
    assert 1.0 <= frames / 22050 <= 3.0


@pytest.mark.parametrize("kwargs", [{"bit_depth": 8}, {"sample_rate": 0}])
def test_bad_options_are_one_sentence_errors(tmp_path, kwargs):
    options = {"sample_rate": 44100, "bit_depth": 16, **kwargs}
    with pytest.raises(CadenzaError, match=r"^The .*\.$"):
        write_audio(np.zeros((10, 2)), tmp_path / "a.wav", **options)
    assert list(tmp_path.iterdir()) == []
