"""style-transfer: a clip restyled after a reference recording, under a fixed random network (nothing trained).

``model.py`` the random one-layer 1-D CNN over log-magnitude STFT frames and
the Gram matrix, ``spectrogram.py`` resampling and the STFT frames,
``generate.py`` the optimisation of the waveform (``StyleTransferGenerator.restyle``),
``make_checkpoint.py`` draws the bundled network from a seed, ``measure.py``
the card's figures (losses before and after, beside the two clips themselves;
seconds per second of audio).
"""

from models.common.spec import AUDIO, EntryPoint, ModelSpec

SPEC = ModelSpec(
    name="style-transfer",
    title="Audio style transfer",
    architecture="a fixed random 1-D CNN over log-magnitude spectrogram frames, with Gram-matrix style losses",
    description="Restyles a clip after a reference recording: the content's notes and timing with the "
                "style's sound",
    good_for="hearing a sketch in the timbre and texture of another recording",
    options=(),
    seeds=frozenset({AUDIO}),
    roles=(),
    generator=EntryPoint("models.style_transfer.generate:StyleTransferGenerator"),
    audio_out=True,
    # The restyle controls, for the Audio Lab: (label, low, high, default) of each keyword of
    # StyleTransferGenerator.restyle a front end offers as a slider.
    extra={"action": "restyle",
           "controls": {"content_weight": ("Content weight", 0.0, 10.0, 1.0),
                        "style_weight": ("Style weight", 0.0, 100.0, 1.0),
                        "steps": ("Steps", 10, 2000, 200)}},
)
