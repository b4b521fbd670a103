"""Mel spectrograms of rendered audio, as arrays and as PNG images.

:func:`mel_spectrogram` turns the float32 blocks the synth renders into a
:class:`Spectrogram` (dB relative to the loudest bin, with the time of each
frame and the centre frequency of each mel band), which the GUI paints and
:func:`save_png` draws with matplotlib's object API (no pyplot, no GUI
backend) and writes atomically.

librosa compiles parts of itself with numba, which caches the machine code
next to librosa's files; run by another user than the one who installed it
(or with a read-only home) it has nowhere to write and librosa fails on
import. :func:`prepare_caches` points numba (and matplotlib's config folder)
at this user's cache folder, before they are imported, when their own
folders cannot be written.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.atomic import atomic_write_bytes
from app.core.paths import cache_dir

N_FFT = 2048
HZ_TICKS = (0, 500, 1000, 2000, 4000, 8000, 16000)


@dataclass(frozen=True)
class Spectrogram:
    """A mel spectrogram: ``db`` (n_mels, frames) float32, 0 dB at the loudest bin.

    ``times`` holds the time in seconds of each frame (its centre), ``freqs``
    the centre frequency in Hz of each mel band, lowest first.
    """

    db: np.ndarray  # (n_mels, frames) float32
    times: np.ndarray  # (frames,) seconds
    freqs: np.ndarray  # (n_mels,) Hz
    sample_rate: int

    @property
    def duration(self) -> float:
        """Seconds covered by the frames (0 for no frames)."""
        return float(self.times[-1]) if len(self.times) else 0.0


def prepare_caches() -> None:
    """Give numba and matplotlib cache folders this user can write, unless their own can be written.

    numba's cache goes to the user's cache folder (``cache_dir("numba")``)
    only when librosa's own folder is not writable: there the installer's
    compiled functions are already waiting, and compiling them again costs
    seconds (half a minute on a busy machine), once per user.
    """
    try:
        if not os.environ.get("NUMBA_CACHE_DIR") and not _writable(_librosa_cache()):
            os.environ["NUMBA_CACHE_DIR"] = str(cache_dir("numba"))
            numba = sys.modules.get("numba")
            if numba is not None:  # imported already (by another library): its config read the variable too early
                numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
        if not os.environ.get("MPLCONFIGDIR") and not _writable(_matplotlib_config()):
            os.environ["MPLCONFIGDIR"] = str(cache_dir("matplotlib"))
    except OSError:  # not even a temporary folder: numba's own error is then shown in words
        pass


def _librosa():
    """librosa, imported once numba has a cache folder it can write."""
    if "librosa" not in sys.modules:
        prepare_caches()
    import librosa

    return librosa


def _librosa_cache() -> Path | None:
    """Where numba caches librosa's functions by default (its package folder's ``__pycache__``)."""
    spec = importlib.util.find_spec("librosa")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "core" / "__pycache__"


def _matplotlib_config() -> Path:
    """matplotlib's default config folder (it warns on stderr and makes a temp one when it cannot write it)."""
    home = Path.home()
    if sys.platform.startswith(("linux", "freebsd")):
        return Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib"
    return home / ".matplotlib"


def _writable(folder: Path | None) -> bool:
    """True when ``folder`` (or the nearest folder above it that exists) can be written."""
    if folder is None:
        return True
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return os.access(folder, os.W_OK)


def to_mono(audio: np.ndarray) -> np.ndarray:
    """(frames, channels) or (frames,) audio as a float32 mono signal (frames,)."""
    data = np.asarray(audio, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1)
    elif data.ndim != 1:
        raise ValueError(f"audio must have shape (frames,) or (frames, channels), not {data.shape}")
    return np.ascontiguousarray(data)


def _top(sample_rate: float, fmax: float | None) -> float:
    """The highest band edge: ``fmax``, at most Nyquist (Nyquist when None)."""
    return sample_rate / 2 if fmax is None else min(float(fmax), sample_rate / 2)


def mel_band_centres(sample_rate: float, n_mels: int, fmax: float | None = None) -> np.ndarray:
    """Centre frequency in Hz of each of librosa's ``n_mels`` bands from 0 Hz to ``fmax`` (default Nyquist)."""
    librosa = _librosa()
    edges = librosa.mel_frequencies(n_mels=n_mels + 2, fmin=0.0, fmax=_top(sample_rate, fmax))
    return edges[1:-1]


def mel_spectrogram(audio: np.ndarray, sample_rate: float, n_mels: int = 128,
                    hop_length: int = 512, fmax: float | None = None) -> Spectrogram:
    """The mel spectrogram of ``audio`` ((frames, 2) or mono), in dB relative to its maximum,
    with bands from 0 Hz to ``fmax`` (default: Nyquist)."""
    librosa = _librosa()
    mono = to_mono(audio)  # (samples,)
    freqs = mel_band_centres(sample_rate, n_mels, fmax)
    if len(mono) == 0:
        empty = np.zeros((n_mels, 0), dtype=np.float32)
        return Spectrogram(empty, np.zeros(0), freqs, int(sample_rate))
    if len(mono) < N_FFT:
        mono = np.pad(mono, (0, N_FFT - len(mono)))
    power = librosa.feature.melspectrogram(y=mono, sr=sample_rate, n_fft=N_FFT, hop_length=hop_length,
                                           n_mels=n_mels, fmin=0.0,
                                           fmax=_top(sample_rate, fmax))  # (n_mels, frames)
    db = librosa.power_to_db(power, ref=np.max).astype(np.float32)
    times = librosa.frames_to_time(np.arange(db.shape[1]), sr=sample_rate, hop_length=hop_length)
    return Spectrogram(db, times, freqs, int(sample_rate))


def _hz_axis(ax, spec: Spectrogram) -> None:
    """A mel-spaced frequency axis labelled in Hz."""
    librosa = _librosa()

    def forward(hz):
        return librosa.hz_to_mel(np.maximum(np.asarray(hz, dtype=float), 0.0))

    def inverse(mel):
        return librosa.mel_to_hz(np.asarray(mel, dtype=float))

    ax.set_yscale("function", functions=(forward, inverse))
    top = spec.sample_rate / 2
    ticks = [t for t in HZ_TICKS if t <= top]
    ax.set_yticks(ticks, [f"{t // 1000}k" if t >= 1000 else str(t) for t in ticks])
    ax.set_ylim(0, top)
    ax.set_ylabel("Frequency (Hz)")


def render_png(spec: Spectrogram, title: str = "", width: float = 10.0, height: float = 4.0,
               dpi: int = 100) -> bytes:
    """The spectrogram drawn as PNG bytes: time in seconds across, frequency in Hz up, 'magma' colours."""
    prepare_caches()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if spec.db.shape[1]:
        mesh = ax.pcolormesh(spec.times, spec.freqs, spec.db, shading="nearest", cmap="magma",
                             vmin=max(float(spec.db.min()), -80.0), vmax=0.0, rasterized=True)
        fig.colorbar(mesh, ax=ax, format="%+.0f dB")
    _hz_axis(ax, spec)
    ax.set_xlim(0, max(spec.duration, 1e-3))
    ax.set_xlabel("Time (s)")
    if title:
        ax.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def save_png(spec: Spectrogram, path: str | os.PathLike, title: str = "") -> None:
    """Draw ``spec`` (see :func:`render_png`) and write it to ``path`` atomically."""
    atomic_write_bytes(path, render_png(spec, title), keep_backup=False)
