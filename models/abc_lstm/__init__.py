"""abc-lstm: character-level ABC LSTM (folk-rnn style) with grammar-aware decoding."""

from models.common.spec import ABC_TEXT, MONOPHONIC, MULTITRACK, POLYPHONIC, EntryPoint, EvalSpec, ModelSpec, SizeOption, TrainSpec

SPEC = ModelSpec(
    name="abc-lstm",
    title="ABC LSTM",
    architecture="a character-level LSTM",
    description="Recurrent network over the characters of ABC tunes, decoded under ABC's grammar",
    good_for="folk tunes written as ABC (learns from .abc files)",
    options=("temperature", "top_k", "top_p"),
    seeds=frozenset({ABC_TEXT, MONOPHONIC, POLYPHONIC, MULTITRACK}),  # a score seed gives its melody (seed.py)
    roles=("melody",),
    generator=EntryPoint("models.abc_lstm.generate:AbcLSTMGenerator"),
    training=TrainSpec(
        EntryPoint("models.abc_lstm.train:train_run"), ("corpus:folk-abc",),
        sizes=(SizeOption("hidden", "Hidden units", low=4, high=8192, help="hidden units per layer (model size)"),
               SizeOption("layers", "Layers", low=1, high=16, help="recurrent layers (model size)"),
               SizeOption("cell", "Cell", kind="choice", choices=("lstm", "gru"),
                          help="recurrent cell: lstm, or gru (the GRU variant)"))),
    evaluation=EvalSpec("abc", EntryPoint("models.abc_lstm.baseline:fit_char_baseline"),
                        text_form=EntryPoint("models.abc_lstm.codec:normalize_tune")),
)
