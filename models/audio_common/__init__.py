"""Audio data and augmentation shared by the Audio Lab's models.

No Qt, no torch: numpy, scipy, soundfile and soxr only.

- :mod:`models.audio_common.data` — training audio. ``load_training_audio(["corpus:chorales"],
  sample_rate=3000, seconds=10, limit=64, seed=0)`` renders corpus pieces through FluidSynth (cached by
  content hash under the user's cache folder) or reads a folder of WAV/FLAC/OGG files, and returns float32
  mono clips in [-1, 1] of exactly ``seconds``. ``load_training_clips`` adds each clip's source, so
  ``split_clips(clips, 0.1, seed, groups=sources)`` can hold whole pieces out. ``read_clip`` and
  ``write_clip`` read one user file (mono, resampled) and write WAV or FLAC by suffix.
- :mod:`models.audio_common.augment` — the write-up's four augmentations as pure numpy functions:
  ``mix_noise`` (Gaussian or another clip at an SNR), ``cut_mix`` (two clips spliced at zero crossings,
  returning the fraction of the second), ``time_shift`` (circular or padded) and ``speed_tune``
  (resampling: duration and pitch change together).
- :mod:`models.audio_common.pipeline` — the training-time random augmentation of batches, with a
  probability and a range per augmentation.

Bad input is one sentence (a :class:`app.core.errors.CadenzaError`); ``cadenza augment`` is the command line.
"""
