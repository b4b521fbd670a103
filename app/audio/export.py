"""Writing rendered audio to WAV or FLAC files.

Audio arrives as the float32 (frames, 2) blocks :meth:`Synth.render_blocks`
yields (or one array) and is streamed block by block into a
``soundfile.SoundFile``, so a long piece never sits in memory twice. The file
is written next to its destination under a temporary name, synced, then moved
into place with ``os.replace`` (:func:`app.core.atomic.replacing`): a failed
export never leaves half a file, a write-protected file is refused and a full
disk is said in words.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import soundfile as sf

from app.core.atomic import disk_is_full, mode_for, replacing
from app.core.errors import AudioError, DiskFullError, FileWriteError, UnsupportedFormatError
from app.core.score import Score

FORMATS = {".wav": "WAV", ".flac": "FLAC"}
SUBTYPES = {16: "PCM_16", 24: "PCM_24"}
TAIL_ESTIMATE_S = 1.0  # a typical release tail after the last note-off, for the size a file needs


def _blocks(audio: np.ndarray | Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    """One array, or an iterable of blocks, as an iterable of blocks."""
    if isinstance(audio, np.ndarray):
        return (audio,)
    return audio


def _as_frames(block: np.ndarray, channels: int | None) -> np.ndarray:
    """``block`` as a clipped float32 (frames, channels) array; mono is (frames, 1)."""
    data = np.asarray(block, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or (channels is not None and data.shape[1] != channels):
        raise AudioError(f"Audio blocks must all have shape (frames, {channels or 'channels'}), "
                         f"not {data.shape}.")
    return np.clip(data, -1.0, 1.0)


def _format_for(path: Path, bit_depth: int, sample_rate: int = 44100) -> tuple[str, str]:
    """(soundfile format, subtype) for ``path``; raises a one-sentence error for bad options."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"Cannot write audio to {path.name}: use a .wav or .flac file name.")
    if bit_depth not in SUBTYPES:
        raise AudioError(f"The bit depth must be 16 or 24, not {bit_depth}.")
    if not 1000 <= int(sample_rate) <= 384000:
        raise AudioError(f"The sample rate {sample_rate} Hz is outside 1000-384000 Hz.")
    return fmt, SUBTYPES[bit_depth]


def write_audio(audio: np.ndarray | Iterable[np.ndarray], path: str | os.PathLike,
                sample_rate: int, bit_depth: int = 16, expected_frames: int | None = None) -> int:
    """Write ``audio`` (an array or an iterable of blocks) to a WAV or FLAC file.

    The format follows the extension (.wav or .flac), ``bit_depth`` is 16 or
    24; samples are float in [-1, 1] (louder ones are clipped) of shape
    (frames, channels) or mono (frames,). An empty input writes a valid file
    with no frames. Returns the number of frames written. A write-protected
    file is refused, a replaced one keeps its permissions, and a full disk
    is said in words with the size the file needs (from ``expected_frames``
    when the blocks are streamed).
    """
    target = Path(path)
    fmt, subtype = _format_for(target, bit_depth, sample_rate)
    channels = 2
    if isinstance(audio, np.ndarray):
        expected_frames, channels = len(audio), (audio.shape[1] if audio.ndim == 2 else 1)
    needed = _size_of(expected_frames, fmt, bit_depth, channels)
    with replacing(target, needed_bytes=needed, suffix=".part") as tmp:
        try:
            return _stream(_blocks(audio), str(tmp), int(sample_rate), fmt, subtype)
        except sf.LibsndfileError as exc:  # "System error." is all libsndfile says of a full disk
            if disk_is_full(tmp.parent):
                written = tmp.stat().st_size if tmp.exists() else 0
                raise DiskFullError(target, max(needed or 0, written)) from None
            raise FileWriteError(target, str(exc)) from None


def _size_of(frames: int | None, fmt: str, bit_depth: int, channels: int = 2) -> int | None:
    """About how many bytes ``frames`` frames take: exact for WAV, a typical 60% of that for FLAC."""
    if not frames:
        return None
    size = 44 + frames * channels * bit_depth // 8
    return size if fmt == "WAV" else int(size * 0.6)


def _stream(blocks: Iterable[np.ndarray], tmp: str, sample_rate: int, fmt: str, subtype: str) -> int:
    """Write ``blocks`` to ``tmp``; the first non-empty block's width sets the channels (else 2)."""
    iterator = iter(blocks)
    first = next((b for b in iterator if len(b)), None)
    channels = 2 if first is None else _as_frames(first, None).shape[1]
    frames = 0
    with sf.SoundFile(tmp, mode="w", samplerate=sample_rate, channels=channels,
                      format=fmt, subtype=subtype) as out:
        for block in itertools.chain([] if first is None else [first], iterator):
            data = _as_frames(block, channels)
            out.write(data)
            frames += len(data)
    return frames


def render_to_file(score: Score, path: str | os.PathLike, sample_rate: int = 44100,
                   bit_depth: int = 16, soundfont: str | os.PathLike | None = None) -> int:
    """Render ``score`` with a fresh :class:`Synth` and write it to ``path``; returns frames written."""
    from app.audio.synth import Synth

    from app.core.timing import duration_seconds

    _format_for(Path(path), bit_depth, sample_rate)  # fail before loading a SoundFont
    mode_for(Path(path))  # a write-protected file is refused before rendering, too
    frames = int((duration_seconds(score) + TAIL_ESTIMATE_S) * sample_rate)
    with Synth(soundfont=soundfont, sample_rate=sample_rate) as synth:
        return write_audio(synth.render_blocks(score), path, sample_rate, bit_depth=bit_depth,
                           expected_frames=frames)
