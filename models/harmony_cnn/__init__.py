"""harmony-cnn: Tham & Kim's MelodyCNN and conditional HarmonyCNNs, an accompanist for a melody.

``model.py`` the networks, ``train.py`` the training task for the shared loop, ``generate.py``
segment-by-segment writing (under a given lead, or continuing lead and band). The band rolls
(lead + drums, bass, guitar, piano, strings) come from ``models.common.band_roll``.
"""

from models.common.spec import (DRUMS, MONOPHONIC, MULTITRACK, POLYPHONIC, EntryPoint, EvalSpec, ModelSpec,
                                SizeOption, TrainSpec)

SPEC = ModelSpec(
    name="harmony-cnn",
    title="Harmony CNN",
    architecture="a set of convolutional networks over two-bar pianoroll segments",
    description="A band (drums, bass, guitar, piano, strings) written under a melody, two bars at a time",
    good_for="accompanying a melody (Add a Band); continuing a lead with its band; MelodyCNN + HarmonyCNN of Tham & Kim",
    options=("temperature",),
    seeds=frozenset({MONOPHONIC, POLYPHONIC, MULTITRACK, DRUMS}),
    roles=("lead", "drums", "bass", "guitar", "piano", "strings"),
    generator=EntryPoint("models.harmony_cnn.generate:HarmonyCNNGenerator"),
    training=TrainSpec(
        EntryPoint("models.harmony_cnn.train:train_run"), ("corpus:band",),
        sizes=(SizeOption("dense", "Dense units", low=8, high=8192,
                          help="units of each network's dense layers (model size)"),)),
    evaluation=EvalSpec("notes"),
    accompanies=True,
)
