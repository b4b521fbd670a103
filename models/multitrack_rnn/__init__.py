"""multitrack-rnn: Tham & Kim's multi-instrument RNN over the band's 640-dimensional steps.

``model.py`` the network, ``counts.py`` the per-role note-count sampling (the write-up's fix),
``train.py`` the training task for the shared loop, ``generate.py`` sampling with carried state.
The band rolls (lead + drums, bass, guitar, piano, strings) come from ``models.common.band_roll``.
"""

from models.common.spec import (DRUMS, MONOPHONIC, MULTITRACK, POLYPHONIC, EntryPoint, EvalSpec, ModelSpec,
                                SizeOption, TrainSpec)

SPEC = ModelSpec(
    name="multitrack-rnn",
    title="Multitrack RNN",
    architecture="a recurrent network over five-track pianoroll steps",
    description="Drums, bass, guitar, piano and strings at once, a 16th step at a time, under a melody or after a band",
    good_for="a band under a melody (Add a Band), or a groove continued; the multi-instrument RNN of Tham & Kim",
    options=("temperature", "top_k", "top_p"),
    seeds=frozenset({MONOPHONIC, POLYPHONIC, MULTITRACK, DRUMS}),
    roles=("drums", "bass", "guitar", "piano", "strings"),
    generator=EntryPoint("models.multitrack_rnn.generate:MultitrackRNNGenerator"),
    training=TrainSpec(
        EntryPoint("models.multitrack_rnn.train:train_run"), ("corpus:band",),
        sizes=(SizeOption("hidden", "Hidden units", low=4, high=8192, help="hidden units per layer (model size)"),
               SizeOption("layers", "Layers", low=1, high=16, help="recurrent layers (model size)"),
               SizeOption("cell", "Cell", kind="choice", choices=("lstm", "gru"),
                          help="recurrent cell: gru (the write-up's) or lstm"))),
    evaluation=EvalSpec("notes"),
    accompanies=True,
)
