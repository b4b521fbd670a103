"""note-lstm: Skuldur's Classical-Piano-Composer LSTM over note/chord tokens with rhythm.

``model.py`` the network, ``codec.py`` scores <-> ids and training windows,
``train.py`` the training task for the shared loop, ``generate.py`` sampling
with carried (h, c) state.
"""

from models.common.spec import MONOPHONIC, POLYPHONIC, EntryPoint, EvalSpec, ModelSpec, SizeOption, TrainSpec

SPEC = ModelSpec(
    name="note-lstm",
    title="Note LSTM",
    architecture="an LSTM",
    description="Recurrent network over note and chord tokens, with their rhythm",
    good_for="piano lines and chords that continue a seed",
    options=("temperature", "top_k", "top_p", "key_lock", "lowest_pitch", "highest_pitch"),
    seeds=frozenset({MONOPHONIC, POLYPHONIC}),
    roles=("piano",),
    generator=EntryPoint("models.note_lstm.generate:NoteLSTMGenerator"),
    training=TrainSpec(
        EntryPoint("models.note_lstm.train:train_run"), ("corpus:classical", "corpus:chorales"),
        sizes=(SizeOption("hidden", "Hidden units", low=4, high=8192, help="hidden units per layer (model size)"),
               SizeOption("layers", "Layers", low=1, high=16, help="recurrent layers (model size)"),
               SizeOption("cell", "Cell", kind="choice", choices=("lstm", "gru"),
                          help="recurrent cell: lstm, or gru (the GRU variant)"),
               SizeOption("pitch_sharing", "Pitch sharing", kind="choice", choices=("off", "on"),
                          help="on: note and chord embeddings built from their pitches and pitch classes, "
                               "so chords share what they hold"))),
    evaluation=EvalSpec("notes"),
)
