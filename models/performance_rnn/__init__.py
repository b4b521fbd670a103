"""performance-rnn: Magenta's Performance RNN with dynamics, conditioned on a pitch-class histogram and density.

``events.py`` the 388-event vocabulary and performances <-> events,
``performance.py`` scores and MIDI files <-> performances (pedal folded,
tempo into absolute time, written back at one fixed tempo), ``conditioning.py``
the controls, ``model.py`` the LSTM, ``train.py`` the training task,
``generate.py`` stateful sampling, ``humanize.py`` constrained decoding that
plays given notes expressively, ``measure.py`` what ``cadenza eval`` reports.
"""

from models.common.spec import MONOPHONIC, POLYPHONIC, EntryPoint, EvalSpec, ModelSpec, SizeOption, TrainSpec

SPEC = ModelSpec(
    name="performance-rnn",
    title="Performance RNN",
    architecture="an LSTM over performance events",
    description="Expressive piano playing (velocities and timing to 10 ms), conditioned on a key and a note density",
    good_for="piano performances with real dynamics and rubato; humanizing quantized notes",
    options=("temperature", "pitch_profile", "density"),
    seeds=frozenset({MONOPHONIC, POLYPHONIC}),
    roles=("piano",),
    generator=EntryPoint("models.performance_rnn.generate:PerformanceRNNGenerator"),
    training=TrainSpec(
        EntryPoint("models.performance_rnn.train:train_run"), ("corpus:piano-midi",),
        sizes=(SizeOption("hidden", "Hidden units", low=4, high=8192, help="hidden units per layer (model size)"),
               SizeOption("layers", "Layers", low=1, high=16, help="recurrent layers (model size)"))),
    evaluation=EvalSpec("notes"),
    humanize=EntryPoint("models.performance_rnn.humanize:humanize"),
)
