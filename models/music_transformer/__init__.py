"""music-transformer: a decoder-only transformer that continues a score and regenerates a selection.

``vocab.py`` the tokens, ``codec.py`` scores <-> tokens, ``model.py`` the
network with its KV cache, ``constraints.py`` the decode-time masks (grammar,
key lock, pitch range, density, keep rhythm), ``train.py`` the training task
(continuation and bar-level infill), ``generate.py`` sampling.
"""

from models.common.spec import DRUMS, MONOPHONIC, MULTITRACK, POLYPHONIC, EntryPoint, EvalSpec, ModelSpec, SizeOption, TrainSpec

SPEC = ModelSpec(
    name="music-transformer",
    title="Music Transformer",
    architecture="a transformer",
    description="Transformer over multi-track bar and position tokens; continues a score or regenerates "
                "the selected bars so they fit what comes before and after",
    good_for="regenerating a few bars of any track so that they fit their surroundings",
    options=("temperature", "top_k", "top_p", "key_lock", "pitch_profile", "density", "lowest_pitch",
             "highest_pitch", "track_range", "keep_rhythm", "instruments"),
    seeds=frozenset({MONOPHONIC, POLYPHONIC, MULTITRACK, DRUMS}),
    roles=("melody", "piano", "soprano", "alto", "tenor", "bass"),
    generator=EntryPoint("models.music_transformer.generate:MusicTransformerGenerator"),
    training=TrainSpec(
        EntryPoint("models.music_transformer.train:train_run"),
        ("corpus:chorales", "corpus:classical", "corpus:folk-abc", "corpus:palestrina", "corpus:piano-midi",
         "corpus:band"),
        sizes=(SizeOption("d_model", "Model width", low=16, high=4096, help="width of every layer (model size)"),
               SizeOption("layers", "Layers", low=1, high=48, help="transformer blocks (model size)"),
               SizeOption("heads", "Attention heads", low=1, high=64, help="attention heads per block"),
               SizeOption("mlp", "Feed-forward units", low=16, high=16384, help="hidden units of each block's MLP"))),
    evaluation=EvalSpec("notes"),
    infill=True,
)
