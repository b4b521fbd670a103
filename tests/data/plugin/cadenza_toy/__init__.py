"""toy-arpeggio: a third-party model package for Cadenza, as small as a real one can be.

Installed with pip, it is found through the ``cadenza.models`` entry-point group
(see ``../cadenza_toy-0.1.dist-info/entry_points.txt``, which pip writes from
the package's ``pyproject.toml``: ``[project.entry-points."cadenza.models"]
toy-arpeggio = "cadenza_toy:SPEC"``). The model is a pitch-class histogram:
it arpeggiates up and down the seed's last bar, choosing pitch classes by
their learnt weight, sharpened or flattened by the temperature.
"""

from pathlib import Path

from models.common.spec import MONOPHONIC, POLYPHONIC, EntryPoint, ModelSpec, TrainSpec

SPEC = ModelSpec(
    name="toy-arpeggio",
    title="Toy arpeggiator",
    architecture="a pitch-class histogram",
    description="Arpeggios over the pitch classes a histogram favours",
    good_for="showing how a model package plugs into Cadenza",
    options=("temperature",),
    seeds=frozenset({MONOPHONIC, POLYPHONIC}),
    roles=("arpeggio",),
    generator=EntryPoint("cadenza_toy.generate:ToyGenerator"),
    training=TrainSpec(EntryPoint("cadenza_toy.train:train_run"), ("corpus:chorales",), resume=False,
                       fine_tune=False, hyperparameters=False, one_pass_words="counts pitch classes in one pass"),
    checkpoint_dir=str(Path(__file__).parent / "checkpoint"),
)
