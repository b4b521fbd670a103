"""The markov baseline of an evaluation, trained in memory on the same training split.

* Note models: :class:`models.common.ngram.MarkovModel` over the note/chord
  tokens of the training pieces (vocabulary from the training split, order up
  to 8 chosen on the validation pieces), served by the markov generator.
* ABC models: the same Markov model over the characters of the training
  tunes (the abc-lstm vocabulary, order up to 5 chosen on validation tunes),
  decoded under the same ABC grammar as abc-lstm, so its tunes are as
  well-formed as the model's and only the choice of notes differs.

Nothing is written to disk.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from models.common.ngram import MarkovConfig, MarkovModel
from models.common.note_tokens import Vocabulary
from models.markov.generate import MarkovGenerator

NOTE_MAX_ORDER = 8
CHAR_MAX_ORDER = 5
CHAR_VALID_TUNES = 50  # validation tunes used to choose the character model's order


class InMemoryMarkov(MarkovGenerator):
    """The markov generator around a model fitted here (no checkpoint folder)."""

    def __init__(self, model: MarkovModel, vocab: Vocabulary, card: dict[str, Any]) -> None:
        self.model, self.vocab, self.card, self.checkpoint_dir = model, vocab, card, None


def fit_note_markov(train: Sequence[Sequence[str]], valid: Sequence[Sequence[str]],
                    data: Sequence[str]) -> InMemoryMarkov:
    """A note-token markov generator fitted on ``train`` token lists, its order chosen on ``valid``."""
    vocab = Vocabulary.build(train)
    ids = [vocab.encode(seq) for seq in train]
    model = MarkovModel(MarkovConfig(len(vocab), NOTE_MAX_ORDER)).fit(ids)
    model.choose_order([vocab.encode(seq) for seq in valid] or ids[:20])
    card = {"arch": "markov", "name": "markov", "config": {"vocab_size": len(vocab), "max_order": NOTE_MAX_ORDER},
            "training": {"data": list(data), "chosen_order": model.order, "in_memory": True}}
    return InMemoryMarkov(model, vocab, card)


class _CharMarkovSteps:
    """A character Markov model behind the recurrent ``step(last, state)`` that abc-lstm's sampler calls."""

    def __init__(self, model: MarkovModel) -> None:
        self.model = model

    def step(self, last, state: list[list[int]] | None):
        """``last`` (B,) ids -> logits (B, V) of the next character, and the contexts so far."""
        import torch

        contexts = state if state is not None else [[] for _ in range(len(last))]
        rows = []
        for context, token in zip(contexts, last.tolist()):
            context.append(int(token))
            rows.append(np.log(self.model.distribution(context[-self.model.order:])))
        return torch.tensor(np.stack(rows), dtype=torch.float32), contexts


def fit_char_markov(train: Sequence[str], valid: Sequence[str], vocab_chars: Sequence[str], data: Sequence[str]):
    """A character markov generator for ABC tunes, decoded under abc-lstm's grammar."""
    import torch

    from models.abc_lstm.codec import END, CharVocab
    from models.abc_lstm.generate import AbcLSTMGenerator

    vocab = CharVocab(list(vocab_chars))
    space = vocab.index[" "]

    def ids(text: str) -> list[int]:
        return [vocab.index.get(c, space) for c in text + END]

    model = MarkovModel(MarkovConfig(len(vocab), CHAR_MAX_ORDER)).fit(ids(t) for t in train)
    model.choose_order([ids(t) for t in valid[:CHAR_VALID_TUNES]] or [ids(t) for t in train[:20]])

    class CharMarkovAbc(AbcLSTMGenerator):
        name = "markov"

        def __init__(self) -> None:
            self.device = torch.device("cpu")
            self.card = {"arch": "markov", "name": "markov",
                         "training": {"data": list(data), "chosen_order": model.order, "unit": "character",
                                      "in_memory": True}}
            self.checkpoint_dir = None
            self.vocab = vocab
            self.model = _CharMarkovSteps(model)
            self._fallback_id = vocab.index.get(" ", vocab.end_id)

    return CharMarkovAbc()
