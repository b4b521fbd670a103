"""Held-out figures of an audio-vae checkpoint for its card: how well it reconstructs, beside plain codecs.

The clips are the run's test split (whole pieces never trained on nor validated on), rebuilt from the
card (data, clips per source, seed). Each is put through

* **audio-vae**: the reconstruction (posterior mean decoded);
* **mu-law 8-bit at the latent's bitrate**: resampled (soxr, which low-passes) to bitrate / 8 Hz,
  mu-law (mu 255) quantised to 8 bits, decoded and resampled back;
* **low-pass resample at the latent's bitrate**: 16-bit PCM at bitrate / 16 Hz, resampled back;
* **mu-law 8-bit at the model's rate** (3 kHz: 24 kbit/s, twice the default latent's 12 kbit/s): a reference;
* **silence**: all zeros, the floor (SNR 0 dB).

The latent's bitrate is counted honestly as latent frames per second x channels x 16 bits (the means
stored as 16-bit floats; nothing entropy-coded, so an upper bound on what the code needs, and the
codecs get the same budget).

Figures: SNR (dB) over all clips together (signal energy / error energy), the median SNR per clip, and
the log-mel distance: the mean absolute difference in dB of mel power spectrograms (48 mel bands up to
1.5 kHz, 256-sample FFT, hop 64, floored at -80 dB), over all bands and over the bands centred below
750 Hz (all that mu-law at the latent's bitrate keeps, so its lost top octave does not decide it; the PCM
resample at 750 Hz keeps only what lies below 375 Hz). Higher SNR and
lower distance are better.

    python -m models.audio_vae.measure resources/checkpoints/audio-vae [--write]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from models.common.card import read_card, update_card

from models.audio_vae.generate import AudioVAEGenerator, resample
from models.audio_vae.train import CLIP_SECONDS, DEFAULT_CLIPS, load_splits

BITS_PER_LATENT_VALUE = 16
MU = 255
MEL = {"n_fft": 256, "hop_length": 64, "n_mels": 48}
FLOOR_DB = -80.0
LOW_BAND_HZ = 750  # the Nyquist frequency of mu-law at the default latent's bitrate (1,500 Hz)


def latent_bitrate(card: dict[str, Any]) -> float:
    """Bits per second of the latent code: frames/s x channels x 16 bits."""
    latent = card["latent"]
    return float(latent["frames_per_second"]) * int(latent["channels"]) * BITS_PER_LATENT_VALUE


def mu_law_codec(x: np.ndarray, rate: int, codec_rate: float) -> np.ndarray:
    """``x`` at ``rate`` through 8-bit mu-law at ``codec_rate`` Hz and back."""
    low = np.clip(resample(x, rate, codec_rate), -1.0, 1.0)
    coded = np.round((np.sign(low) * np.log1p(MU * np.abs(low)) / np.log1p(MU) + 1.0) / 2.0 * 255.0)
    y = coded / 255.0 * 2.0 - 1.0
    decoded = np.sign(y) * ((1.0 + MU) ** np.abs(y) - 1.0) / MU
    return _fit(resample(decoded.astype(np.float32), codec_rate, rate), len(x))


def pcm_resample(x: np.ndarray, rate: int, codec_rate: float, bits: int = 16) -> np.ndarray:
    """``x`` low-passed by resampling to ``codec_rate`` Hz, quantised to ``bits`` bits, and resampled back."""
    scale = 2 ** (bits - 1) - 1
    low = np.round(np.clip(resample(x, rate, codec_rate), -1.0, 1.0) * scale) / scale
    return _fit(resample(low.astype(np.float32), codec_rate, rate), len(x))


def _fit(x: np.ndarray, length: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)[:length]
    return np.pad(x, (0, length - len(x)))


def log_mel_db(x: np.ndarray, rate: int) -> np.ndarray:
    import librosa

    mel = librosa.feature.melspectrogram(y=np.asarray(x, dtype=np.float32), sr=rate, fmax=rate / 2, **MEL)
    return np.maximum(10.0 * np.log10(np.maximum(mel, 1e-12)), FLOOR_DB)


def figures(clips: Sequence[np.ndarray], outputs: Sequence[np.ndarray], rate: int) -> dict[str, float]:
    signal = sum(float(np.sum(c.astype(np.float64) ** 2)) for c in clips)
    error = sum(float(np.sum((c.astype(np.float64) - o) ** 2)) for c, o in zip(clips, outputs))
    per_clip = [10 * np.log10(np.sum(c.astype(np.float64) ** 2) / max(np.sum((c.astype(np.float64) - o) ** 2), 1e-20))
                for c, o in zip(clips, outputs)]
    import librosa

    low = librosa.mel_frequencies(MEL["n_mels"] + 2, fmax=rate / 2)[1:-1] < LOW_BAND_HZ  # bands centred below
    gaps = [np.abs(log_mel_db(c, rate) - log_mel_db(o, rate)) for c, o in zip(clips, outputs)]
    return {"snr_db": round(10 * np.log10(signal / max(error, 1e-20)), 2),
            "median_clip_snr_db": round(float(np.median(per_clip)), 2),
            "log_mel_distance_db": round(float(np.mean([g.mean() for g in gaps])), 2),
            f"log_mel_distance_below_{LOW_BAND_HZ}_hz_db": round(float(np.mean([g[low].mean() for g in gaps])), 2)}


def measure(folder: str | Path, limit: int | None = None) -> dict[str, Any]:
    gen = AudioVAEGenerator(folder, device="cpu")
    card, rate = gen.card, gen.sample_rate
    training = card.get("training", {})
    splits = load_splits(training.get("data") or ["corpus:chorales"], int(training.get("clips_per_source",
                         DEFAULT_CLIPS)), int(training.get("seed", 0)), rate, float(training.get("clip_seconds",
                                                                                                 CLIP_SECONDS)))
    clips = (splits.test or splits.valid)[:limit]
    bitrate = latent_bitrate(card)
    started = time.perf_counter()
    recon = [gen.reconstruct(c, rate) for c in clips]
    seconds = time.perf_counter() - started
    codecs: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        f"mu-law 8-bit at {bitrate / 8:,.0f} Hz (the latent's bitrate)": lambda c: mu_law_codec(c, rate, bitrate / 8),
        f"16-bit PCM resampled to {bitrate / 16:,.0f} Hz (the latent's bitrate)":
            lambda c: pcm_resample(c, rate, bitrate / 16),
        f"mu-law 8-bit at {rate:,} Hz ({rate * 8:,} bit/s)": lambda c: mu_law_codec(c, rate, rate),
        "silence": np.zeros_like,
    }
    results = {"audio-vae": figures(clips, recon, rate)}
    for name, codec in codecs.items():
        results[name] = figures(clips, [codec(c) for c in clips], rate)
    varied = gen.vary(clips[0], rate, noise_sd=0.5, count=2, random_seed=0)
    return {
        "split": "test" if splits.test else "valid", "clips": len(clips), "clip_seconds": len(clips[0]) / rate,
        "latent_bitrate_bits_per_s": round(bitrate, 1),
        "bitrate_assumption": f"{card['latent']['frames_per_second']:g} latent frames/s x {card['latent']['channels']} "
                              f"channels x {BITS_PER_LATENT_VALUE} bits (the means as 16-bit floats, "
                              "not entropy-coded)",
        "reconstruction": results,
        "noise_sd_0.5_variation_of_first_clip": figures([clips[0]] * 2, varied, rate),
        "reconstruction_seconds_per_audio_second": round(seconds / (len(clips) * len(clips[0]) / rate), 4),
    }


def main(argv: list[str]) -> int:
    folder = Path(next((a for a in argv if not a.startswith("--")), "resources/checkpoints/audio-vae"))
    result = measure(folder)
    if "--write" in argv:
        metrics = dict(read_card(folder).get("metrics", {}), held_out=result,
                       held_out_command=f"python -m models.audio_vae.measure {folder} --write")
        update_card(folder, metrics=metrics)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
