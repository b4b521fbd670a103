"""audio-vae: a convolutional VAE on raw waveform (Vranceanu et al., "Music Generation using Neural Nets").

``model.py`` the 1-D conv encoder to a latent sequence (mean, log-variance), the transposed-conv decoder and
the loss (waveform L1 + multi-resolution STFT + KL), ``train.py`` the training task (FluidSynth renders of the
corpora or a folder of recordings, 10 s clips at 3 kHz, random crops), ``generate.py`` loading and
``AudioVAEGenerator.vary`` / ``reconstruct``, ``measure.py`` the card's figures (held-out log-mel distance
and SNR beside a μ-law codec and a low-pass resample at the latent's bitrate).
"""

from models.common.spec import AUDIO, EntryPoint, ExtraOption, ModelSpec, SizeOption, TrainSpec

SPEC = ModelSpec(
    name="audio-vae",
    title="Audio VAE",
    architecture="a convolutional VAE on raw waveform",
    description="Encodes a clip to a latent sequence and decodes variations of it with latent noise",
    good_for="rough, noisy variations of a short clip's sound (it writes sound at 3 kHz, not notes)",
    options=("noise_sd",),
    seeds=frozenset({AUDIO}),
    roles=(),
    generator=EntryPoint("models.audio_vae.generate:AudioVAEGenerator"),
    training=TrainSpec(
        EntryPoint("models.audio_vae.train:train_run"), ("corpus:chorales",),
        sizes=(SizeOption("width", "Width", low=2, high=512, help="channels of the first conv stage (model size)"),
               SizeOption("latent", "Latent channels", low=1, high=256,
                          help="latent channels per frame (the code's size)")),
        extras=(ExtraOption("clips_per_source", "Clips per source",
                            "at most N ten-second clips from each --data source (default 300)", metavar="N"),
                ExtraOption("augment", "Augmentation",
                            "on: speed tune, time shift and mixed noise (models.audio_common.pipeline) on every "
                            "training batch besides random crops and gains; off (default)", metavar="on|off"))),
    audio_out=True,
    extra={"action": "vary"},
)
