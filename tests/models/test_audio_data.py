"""Training audio of the audio lab: folders of recordings, corpus renders, splits, reading and writing clips."""

import numpy as np
import pytest
import soundfile as sf

from app.core.errors import DatasetError, FileFormatError, UnsupportedFormatError
from models.audio_common.data import (
    load_training_audio, load_training_clips, read_clip, split_clips, write_clip,
)


def _sine(freq, seconds, rate, amp=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "recordings"
    (root / "sub").mkdir(parents=True)
    left, right = _sine(440, 2.0, 44100), _sine(440, 2.0, 44100, amp=0.1)
    sf.write(root / "stereo.wav", np.stack([left, right], axis=1), 44100)  # mono mean: amplitude 0.3
    sf.write(root / "sub" / "low.flac", _sine(220, 1.0, 8000), 8000)
    sf.write(root / "quiet.ogg", np.zeros(16000, np.float32), 16000)  # silence: no clip
    (root / "broken.wav").write_bytes(b"RIFF not really a wave file")
    (root / "notes.txt").write_text("not audio")
    return root


def test_folder_clips_are_exact_mono_resampled_and_deterministic(folder):
    clips = load_training_clips([str(folder)], sample_rate=8000, seconds=0.5, seed=3)
    assert all(c.audio.shape == (4000,) and c.audio.dtype == np.float32 for c in clips)
    by_source = {s: sum(c.source == s for c in clips) for s in {c.source for c in clips}}
    assert by_source == {"stereo.wav": 4, "sub/low.flac": 2}  # the silent OGG and the broken WAV give none
    stereo = next(c.audio for c in clips if c.source == "stereo.wav")
    assert abs(np.abs(stereo).max() - 0.3) < 0.01  # the two channels' mean
    spectrum = np.abs(np.fft.rfft(stereo))
    assert abs(np.argmax(spectrum) * 8000 / len(stereo) - 440) <= 2
    again = load_training_audio([str(folder)], sample_rate=8000, seconds=0.5, seed=3)
    assert all(np.array_equal(a.audio, b) for a, b in zip(clips, again))
    steps = []
    assert len(load_training_audio([str(folder)], sample_rate=8000, seconds=0.5, seed=3, limit=2,
                                   progress=lambda done, total: steps.append((done, total)))) == 2
    assert steps[-1] == (4, 4) and steps == sorted(steps)  # the four audio files, the text file left out
    with pytest.raises(DatasetError, match=r"^Loading the training audio was cancelled\.$"):
        load_training_audio([str(folder)], sample_rate=8000, seconds=0.5, cancelled=lambda: True)


def test_corpus_renders_are_cached_and_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    clips = load_training_clips(["corpus:chorales"], sample_rate=4000, seconds=1.0, limit=2, seed=1)
    assert len(clips) == 2 and len({c.source for c in clips}) == 2  # a small limit still spans pieces
    assert all(c.audio.shape == (4000,) and np.abs(c.audio).max() <= 1.0 for c in clips)
    assert all(np.sqrt(np.mean(c.audio.astype(np.float64) ** 2)) > 1e-3 for c in clips)
    renders = list((tmp_path / "cache" / "audio-renders").glob("*.flac"))
    assert renders and all(sf.info(p).samplerate == 8000 for p in renders)
    again = load_training_audio(["corpus:chorales"], sample_rate=4000, seconds=1.0, limit=2, seed=1)
    assert all(np.array_equal(a.audio, b) for a, b in zip(clips, again))


def test_empty_and_unreadable_folders_say_one_sentence(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"has no WAV, FLAC or OGG files\.$"):
        load_training_audio([str(tmp_path / "empty")], sample_rate=8000, seconds=1)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.flac").write_bytes(b"fLaC garbage")
    with pytest.raises(DatasetError, match=r"^No audio file in .* could be read \(1 skipped; the first: Cannot read"):
        load_training_audio([str(tmp_path / "bad")], sample_rate=8000, seconds=1)
    with pytest.raises(DatasetError, match="does not exist"):
        load_training_audio([str(tmp_path / "nowhere")], sample_rate=8000, seconds=1)
    with pytest.raises(DatasetError, match="There is no dataset"):
        load_training_audio(["corpus:nothing"], sample_rate=8000, seconds=1)


def test_split_is_seeded_and_keeps_groups_whole():
    clips = list(range(20))
    train, held = split_clips(clips, 0.1, seed=4)
    assert len(held) == 2 and sorted(train + held) == clips
    assert split_clips(clips, 0.1, seed=4) == (train, held)
    groups = [f"piece{i // 5}" for i in range(20)]
    train, held = split_clips(clips, 0.1, seed=4, groups=groups)
    assert len(held) == 5 and {groups[i] for i in held}.isdisjoint({groups[i] for i in train})


def test_read_and_write_clip(tmp_path, folder):
    audio = _sine(300, 0.25, 8000)
    for name in ("a.wav", "a.flac"):
        assert write_clip(tmp_path / name, audio, 8000) == 2000
        back = read_clip(tmp_path / name, 8000)
        assert np.abs(back - audio).max() < 1e-4  # 16-bit
    assert sf.info(tmp_path / "a.flac").format == "FLAC"
    with pytest.raises(FileFormatError, match=r"^Cannot read .*broken\.wav: it is not a readable WAV file .*\.$"):
        read_clip(folder / "broken.wav", 8000)
    with pytest.raises(UnsupportedFormatError, match="use a WAV, FLAC or OGG file"):
        read_clip(folder / "notes.txt", 8000)
    with pytest.raises(UnsupportedFormatError, match="use a .wav or .flac file name"):
        write_clip(tmp_path / "a.mp3", audio, 8000)
