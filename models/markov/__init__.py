"""markov: a variable-order Markov model over note tokens (no torch); the baseline every neural model must beat."""

from models.common.spec import MONOPHONIC, POLYPHONIC, EntryPoint, EvalSpec, ModelSpec, TrainSpec

SPEC = ModelSpec(
    name="markov",
    title="Markov chain",
    architecture="a Markov chain",
    description="Variable-order Markov model over note and chord tokens with durations",
    good_for="a quick baseline, trained in one pass; instant variations on any CPU",
    options=("temperature", "top_k", "top_p", "key_lock", "lowest_pitch", "highest_pitch"),
    seeds=frozenset({MONOPHONIC, POLYPHONIC}),
    roles=("piano",),
    generator=EntryPoint("models.markov.generate:MarkovGenerator"),
    training=TrainSpec(EntryPoint("models.markov.train:train_run"), ("corpus:classical", "corpus:chorales"),
                       resume=False, fine_tune=False, hyperparameters=False,
                       one_pass_words="trains in one pass and takes no hyperparameters"),
    evaluation=EvalSpec("notes", EntryPoint("models.markov.baseline:fit_note_baseline"), is_baseline=True),
)
