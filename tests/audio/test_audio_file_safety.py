"""Audio files on a bad day: a full disk said in words with the size, read-only files refused, modes kept."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from app.audio.export import render_to_file, write_audio
from app.core.errors import DiskFullError, ReadOnlyFileError
from disk_helpers import tiny_disk

from audio_helpers import make_score, note_track

# eight bars of quarter notes at 120 bpm: 16 s, about 2.8 MB of 16-bit stereo WAV
LONG = make_score(note_track([(i * 480, 60 + i % 12, 480) for i in range(32)]))


def test_a_full_disk_names_the_file_and_about_the_size_it_needs(tmp_path):
    reference = tmp_path / "reference.wav"
    render_to_file(LONG, reference)
    size_mb = reference.stat().st_size / 1e6
    with tiny_disk(tmp_path / "disk", "256k") as disk:
        with pytest.raises(DiskFullError) as info:
            render_to_file(LONG, disk / "x.wav")
        message = str(info.value)
        assert message.startswith("The disk is full: x.wav was not written (it needs about ")
        assert message.endswith(" MB).") and "System error" not in message
        needed = float(message.split("about ")[1].split(" MB")[0])
        assert 0.8 * size_mb <= needed <= 1.3 * size_mb
        assert list(disk.iterdir()) == []  # no half file, no temp file


def test_a_full_disk_with_blocks_of_unknown_length_still_says_so(tmp_path):
    def blocks():
        for _ in range(100):
            yield np.full((44100, 2), 0.1, dtype=np.float32)

    with tiny_disk(tmp_path / "disk", "64k") as disk:
        with pytest.raises(DiskFullError, match=r"^The disk is full: y\.wav was not written"):
            write_audio(blocks(), disk / "y.wav", 44100)
        assert list(disk.iterdir()) == []


def test_a_write_protected_file_is_refused_before_rendering(tmp_path, monkeypatch):
    path = tmp_path / "take.wav"
    write_audio(np.zeros((10, 2)), path, 44100)
    path.chmod(0o444)
    before = path.read_bytes()
    import app.audio.synth

    monkeypatch.setattr(app.audio.synth, "Synth", None)  # rendering would fail loudly: it must not start
    with pytest.raises(ReadOnlyFileError, match=r"^take\.wav is read-only; save it under another name\.$"):
        render_to_file(LONG, path)
    with pytest.raises(ReadOnlyFileError):
        write_audio(np.zeros((10, 2)), path, 44100)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600)])
def test_new_audio_files_get_the_umask_mode_and_replaced_ones_keep_theirs(tmp_path, mask, expected):
    old = os.umask(mask)
    try:
        path = tmp_path / "a.flac"
        write_audio(np.zeros((10, 2)), path, 44100)
        assert stat.S_IMODE(path.stat().st_mode) == expected
        path.chmod(0o640)
        write_audio(np.zeros((20, 2)), path, 44100)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old)
