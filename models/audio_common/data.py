"""Training audio for the audio lab: FluidSynth renders of the corpora, or a folder of the user's recordings.

A spec ``corpus:NAME`` (any dataset ``cadenza train`` knows) renders its pieces with FluidSynth and the
GM SoundFont found as for ``cadenza render``; each render is cached (16-bit FLAC) under the user's cache
folder by the hash of the score, the SoundFont and the render rate, so a second load is a file read. Any
other spec is a folder of WAV/FLAC/OGG files, read as mono and resampled (soxr). Every source is cut into
clips of exactly ``seconds`` (silent windows are left out), and the clips of the sources are interleaved so
that a small ``limit`` still draws on several pieces. Everything is deterministic for a ``seed``.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from app.core.errors import CadenzaError, DatasetError, FileFormatError, UnsupportedFormatError

AUDIO_EXTS = (".wav", ".flac", ".ogg")
WRITE_EXTS = (".wav", ".flac")
RENDER_VERSION = 1  # bump when a render's audio changes for the same score (gain, mixdown)
MIN_RENDER_RATE, MAX_RENDER_RATE = 8000, 48000  # FluidSynth's usable range; other rates are resampled
SILENCE_RMS = 1e-3  # -60 dBFS: a window this quiet is not a training clip


@dataclass(frozen=True)
class TrainingClip:
    """One clip and where it came from (a corpus piece's key or a file's path under its folder)."""

    audio: np.ndarray
    source: str


def load_training_audio(data_specs: list[str], *, sample_rate: int, seconds: float,
                        limit: int | None = None, seed: int = 0,
                        progress: Callable[[int, int], None] | None = None,
                        cancelled: Callable[[], bool] | None = None) -> list[np.ndarray]:
    """float32 mono clips in [-1, 1] of exactly ``seconds`` each, from ``data_specs`` (see the module).

    ``progress(done, total)`` is called after each piece or file; ``cancelled()`` returning True stops the
    load with a :class:`DatasetError`.
    """
    return [c.audio for c in load_training_clips(data_specs, sample_rate=sample_rate, seconds=seconds,
                                                 limit=limit, seed=seed, progress=progress, cancelled=cancelled)]


def load_training_clips(data_specs: Sequence[str], *, sample_rate: int, seconds: float,
                        limit: int | None = None, seed: int = 0,
                        progress: Callable[[int, int], None] | None = None,
                        cancelled: Callable[[], bool] | None = None) -> list[TrainingClip]:
    """:func:`load_training_audio` with each clip's source, for a split that keeps pieces whole."""
    if isinstance(data_specs, str):
        data_specs = [data_specs]
    if not data_specs:
        raise DatasetError("No training audio was named; give corpus:NAME or a folder of WAV, FLAC or OGG files.")
    if not 1000 <= int(sample_rate) <= 192000:
        raise DatasetError(f"The sample rate {sample_rate} Hz is outside 1000-192000 Hz.")
    length = int(round(float(seconds) * sample_rate))
    if length < 1:
        raise DatasetError(f"A clip of {seconds} seconds has no samples at {sample_rate} Hz.")
    if limit is not None and limit < 1:
        raise DatasetError(f"The number of clips must be at least 1, not {limit}.")
    job = _Job(int(sample_rate), length, limit, seed, progress, cancelled)
    per_spec = [_corpus_clips(spec, job) if spec.startswith("corpus:") else _folder_clips(spec, job)
                for spec in data_specs]
    clips = _interleave(per_spec, np.random.default_rng([seed, len(per_spec)]))
    if not clips:
        raise DatasetError(f"{' and '.join(data_specs)} gave no clip of {seconds} s with sound in it.")
    return clips[:limit] if limit else clips


@dataclass(frozen=True)
class _Job:
    """What one load asks for: the rate and clip length in samples, the limit, the seed, and its callbacks."""

    rate: int
    length: int
    limit: int | None
    seed: int
    progress: Callable[[int, int], None] | None
    cancelled: Callable[[], bool] | None

    def step(self, done: int, total: int) -> None:
        if self.cancelled is not None and self.cancelled():
            raise DatasetError("Loading the training audio was cancelled.")
        if self.progress is not None and done:
            self.progress(done, total)

    def enough(self, found: int) -> bool:
        return bool(self.limit) and found >= self.limit


def split_clips(clips: Sequence, held_out_fraction: float = 0.1, seed: int = 0,
                groups: Sequence[str] | None = None) -> tuple[list, list]:
    """``(train, held_out)``: a seeded ``held_out_fraction`` of ``clips`` (at least one when there are two).

    With ``groups`` (one source name per clip, e.g. ``TrainingClip.source``) whole groups are held out, so
    no piece has clips on both sides. Each side keeps the clips' own order.
    """
    if not 0.0 <= held_out_fraction < 1.0:
        raise DatasetError(f"The held-out fraction must be in [0, 1), not {held_out_fraction}.")
    n = len(clips)
    want = 0 if n < 2 or held_out_fraction == 0 else min(n - 1, max(1, int(round(held_out_fraction * n))))
    rng = np.random.default_rng(seed)
    if groups is None:
        held = set(rng.permutation(n)[:want].tolist())
    else:
        if len(groups) != n:
            raise DatasetError(f"{len(groups)} group names were given for {n} clips.")
        names = sorted(set(groups))
        held, chosen = set(), set()
        for g in rng.permutation(len(names)):
            if len(held) >= want or len(chosen) == len(names) - 1:
                break
            chosen.add(names[g])
            held |= {i for i, name in enumerate(groups) if name == names[g]}
    train = [c for i, c in enumerate(clips) if i not in held]
    return train, [c for i, c in enumerate(clips) if i in held]


def read_clip(path: str | Path, sample_rate: int) -> np.ndarray:
    """The audio file ``path`` as float32 mono in [-1, 1] at ``sample_rate``; one sentence when it cannot be."""
    mono, rate = read_audio_file(path)
    return np.clip(resample(mono, rate, sample_rate), -1.0, 1.0).astype(np.float32)


def read_audio_file(path: str | Path) -> tuple[np.ndarray, int]:
    """``(mono, sample_rate)``: the audio file ``path`` as float32 mono at its own rate (channels averaged)."""
    import soundfile as sf

    path = Path(path)
    if path.suffix.lower() not in AUDIO_EXTS:
        raise UnsupportedFormatError(f"Cannot read {path.name} as audio: use a WAV, FLAC or OGG file.")
    if not path.is_file():
        raise FileFormatError(path, "no such file")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError, EOFError) as exc:
        problem = str(exc).split(":")[-1].strip() or "it is damaged"
        raise FileFormatError(path, f"it is not a readable {path.suffix[1:].upper()} file ({problem})") from None
    if len(data) == 0:
        raise FileFormatError(path, "it holds no audio")
    mono = np.nan_to_num(data.mean(axis=1), nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(mono, -1.0, 1.0).astype(np.float32), int(rate)


def write_clip(path: str | Path, audio: np.ndarray, sample_rate: int) -> int:
    """Write mono (or (frames, channels)) ``audio`` to a WAV or FLAC file by its suffix; returns frames."""
    from app.audio.export import write_audio

    if Path(path).suffix.lower() not in WRITE_EXTS:
        raise UnsupportedFormatError(f"Cannot write audio to {Path(path).name}: use a .wav or .flac file name.")
    return write_audio(np.asarray(audio, dtype=np.float32), path, int(sample_rate))


def resample(x: np.ndarray, from_rate: float, to_rate: float) -> np.ndarray:
    """``x`` resampled from ``from_rate`` to ``to_rate`` with soxr (high quality); float32."""
    x = np.asarray(x, dtype=np.float32)
    if from_rate == to_rate or len(x) == 0:
        return x.copy()
    import soxr

    return soxr.resample(x, float(from_rate), float(to_rate), quality="HQ").astype(np.float32)


def _folder_clips(spec: str, job: _Job) -> list[list[TrainingClip]]:
    """Clips per file of a folder; with a limit, only as many files as it takes to reach it."""
    root = Path(spec).expanduser()
    if not root.is_dir():
        raise DatasetError(f"The audio folder {root} does not exist.")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTS)
    if not files:
        raise DatasetError(f"The folder {root} has no WAV, FLAC or OGG files.")
    per_source, problems = [], []
    for done, path in enumerate(files):
        job.step(done, len(files))
        try:
            audio = read_clip(path, job.rate)
        except CadenzaError as exc:
            problems.append(str(exc))
            continue
        per_source.append(_cut(audio, job.length, str(path.relative_to(root)), job.seed))
        if job.enough(sum(map(len, per_source))):
            break
    job.step(len(files), len(files))
    if not per_source:
        raise DatasetError(f"No audio file in {root} could be read ({len(problems)} skipped; "
                           f"the first: {problems[0].rstrip('.')}).")
    return per_source


def _corpus_clips(spec: str, job: _Job) -> list[list[TrainingClip]]:
    """Clips per piece of a corpus, rendered; with a limit, as many pieces as the limit (doubled until enough)."""
    from app.audio.soundfonts import find_soundfont
    from models.common.corpus import dataset_files, load_scores

    total = len(dataset_files(spec)[1])
    render_rate = min(max(job.rate, MIN_RENDER_RATE), MAX_RENDER_RATE)
    renderer = _Renderer(find_soundfont(), render_rate)
    try:
        files = min(total, job.limit) if job.limit else total
        done: dict[str, list[TrainingClip]] = {}
        while True:
            items = load_scores(spec, limit=files, cancelled=job.cancelled).items
            for item in items:
                if item.key not in done:
                    job.step(len(done), len(items))
                    audio = resample(renderer.render(item.score), render_rate, job.rate)
                    done[item.key] = _cut(np.clip(audio, -1.0, 1.0), job.length, item.key, job.seed)
            job.step(len(done), len(items))
            if not job.limit or job.enough(sum(map(len, done.values()))) or files >= total:
                return list(done.values())
            files = min(total, files * 2)
    finally:
        renderer.close()


class _Renderer:
    """Mono renders of scores at one rate, from the cache or a FluidSynth started on the first miss."""

    def __init__(self, soundfont: Path, rate: int) -> None:
        from app.core.paths import cache_dir

        self._soundfont, self._rate, self._synth = soundfont, rate, None
        self._cache = cache_dir("audio-renders")
        self._font_id = f"{soundfont.name}:{soundfont.stat().st_size}"

    def render(self, score) -> np.ndarray:
        import soundfile as sf

        from app.core.project import score_to_dict

        text = json.dumps([RENDER_VERSION, self._font_id, self._rate, score_to_dict(score)], sort_keys=True)
        path = self._cache / f"{hashlib.sha256(text.encode()).hexdigest()}.flac"
        try:
            return sf.read(str(path), dtype="float32")[0]
        except (OSError, RuntimeError, sf.LibsndfileError):
            pass
        if self._synth is None:
            from app.audio.synth import Synth

            self._synth = Synth(soundfont=self._soundfont, sample_rate=self._rate)
        mono = np.clip(self._synth.render(score).mean(axis=1), -1.0, 1.0).astype(np.float32)
        tmp = path.with_name(f"{path.stem}.tmp.flac")
        try:
            sf.write(str(tmp), mono, self._rate, subtype="PCM_16")
            tmp.replace(path)
            return sf.read(str(path), dtype="float32")[0]  # as a later load reads it: 16-bit
        except (OSError, RuntimeError, sf.LibsndfileError):  # a cache is a convenience, never a failure
            tmp.unlink(missing_ok=True)
        return mono

    def close(self) -> None:
        if self._synth is not None:
            self._synth.close()


def _cut(audio: np.ndarray, length: int, key: str, seed: int) -> list[TrainingClip]:
    """As many windows of ``length`` samples as fit, from a seeded start; silent ones left out, in a seeded order.

    A source shorter than a window is one clip padded with silence at its end.
    """
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    if len(audio) < length:
        audio = np.pad(audio, (0, length - len(audio)))
    start = int(rng.integers(0, (len(audio) - length) % length + 1))  # as many windows as fit, at a seeded start
    windows = [audio[s:s + length] for s in range(start, len(audio) - length + 1, length)]
    keep = [w for w in windows if float(np.sqrt(np.mean(np.square(w, dtype=np.float64)))) >= SILENCE_RMS]
    return [TrainingClip(np.ascontiguousarray(keep[i], dtype=np.float32), key) for i in rng.permutation(len(keep))]


def _interleave(groups: list[list[list[TrainingClip]]], rng: np.random.Generator) -> list[TrainingClip]:
    """The sources' clips round-robin (sources in a seeded order): the first clips come from many sources."""
    sources = [clips for spec in groups for clips in spec if clips]
    order = rng.permutation(len(sources))
    out, depth = [], max((len(c) for c in sources), default=0)
    for level in range(depth):
        out.extend(sources[i][level] for i in order if level < len(sources[i]))
    return out
