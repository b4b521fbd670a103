"""The baseline of every note model's evaluation: this model, fitted in memory on the evaluation's split.

``cadenza eval`` fits it on the note/chord tokens of the training pieces
(vocabulary from the training split, order up to 8 chosen on the validation
pieces) and serves it through this model's own generator, so every neural
note model is measured beside a Markov chain that saw exactly its data.
Nothing is written to disk.
"""

from __future__ import annotations

from typing import Any, Sequence

from models.common.ngram import MarkovConfig, MarkovModel
from models.common.note_tokens import Vocabulary
from models.markov import SPEC
from models.markov.generate import MarkovGenerator

NOTE_MAX_ORDER = 8


class InMemoryMarkov(MarkovGenerator):
    """The generator around a model fitted here (no checkpoint folder)."""

    def __init__(self, model: MarkovModel, vocab: Vocabulary, card: dict[str, Any]) -> None:
        self.model, self.vocab, self.card, self.checkpoint_dir = model, vocab, card, None


def fit_note_baseline(train: Sequence[Sequence[str]], valid: Sequence[Sequence[str]], evaluated: Any,
                      data: Sequence[str]) -> InMemoryMarkov:
    """A note-token generator fitted on ``train`` token lists, its order chosen on ``valid``
    (``evaluated``, the model under evaluation, is not needed: note tokens are shared)."""
    vocab = Vocabulary.build(train)
    ids = [vocab.encode(seq) for seq in train]
    model = MarkovModel(MarkovConfig(len(vocab), NOTE_MAX_ORDER)).fit(ids)
    model.choose_order([vocab.encode(seq) for seq in valid] or ids[:20])
    card = {"arch": SPEC.name, "name": SPEC.name, "config": {"vocab_size": len(vocab), "max_order": NOTE_MAX_ORDER},
            "training": {"data": list(data), "chosen_order": model.order, "in_memory": True}}
    return InMemoryMarkov(model, vocab, card)
