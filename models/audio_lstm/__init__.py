"""audio-lstm: the write-up's sample-level LSTM (the next sample from the previous ones), and its μ-law variant.

``mulaw.py`` 8-bit μ-law companding, ``model.py`` the LSTM and its two heads (regression, the write-up's; a
256-class μ-law softmax, SampleRNN's and WaveNet's), ``clips.py`` level and windows of training audio,
``train.py`` the training task, ``generate.py`` stateful continuation of a clip, ``measure.py`` held-out
per-sample loss beside a linear predictor (LPC) and generation speed.
"""

from models.common.spec import AUDIO, EntryPoint, ExtraOption, ModelSpec, SizeOption, TrainSpec

SPEC = ModelSpec(
    name="audio-lstm",
    title="Audio LSTM",
    architecture="a sample-level LSTM over raw audio",
    description="Continues a short audio clip sample by sample (3 kHz), one LSTM step per sample",
    good_for="continuing the sound of a short clip by a few seconds (Audio Lab: Continue)",
    options=("temperature",),
    seeds=frozenset({AUDIO}),
    roles=(),
    generator=EntryPoint("models.audio_lstm.generate:AudioLSTMGenerator"),
    training=TrainSpec(
        EntryPoint("models.audio_lstm.train:train_run"), ("corpus:chorales",),
        sizes=(SizeOption("hidden", "Hidden units", low=4, high=4096, help="hidden units per layer (model size)"),
               SizeOption("layers", "Layers", low=1, high=8, help="recurrent layers (model size)"),
               SizeOption("head", "Output", kind="choice", choices=("mulaw", "regression"),
                          help="mulaw: a 256-class softmax over 8-bit μ-law samples; regression: the "
                               "write-up's single linear unit (mean squared error)"),
               SizeOption("frame", "Frame", low=1, high=1024,
                          help="samples each LSTM step reads (the newest and those just before it; 1: one sample "
                               "a step, the write-up's input; default 32)"),
               SizeOption("sample_rate", "Sample rate", low=1000, high=48000,
                          help="audio rate the model works at, in Hz (default 3000, the write-up's)")),
        extras=(ExtraOption("clips", "Clips", "at most N 4-second training clips in all (default 2000)",
                            metavar="N"),)),
    audio_out=True,
    extra={"action": "continue"},  # the Audio Lab's Continue (AudioLSTMGenerator.continue_clip)
)
