"""Characters <-> ids for abc-lstm, with the end-of-tune mark always present."""

from __future__ import annotations

END = "\x03"  # ends every tune in the training text


class CharVocab:
    """Characters <-> ids; :data:`END` is always in the vocabulary."""

    def __init__(self, chars: list[str] | tuple[str, ...]):
        if len(set(chars)) != len(chars) or any(len(c) != 1 for c in chars):
            raise ValueError("a vocabulary is a list of distinct single characters")
        self.chars = tuple(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def build(cls, texts) -> "CharVocab":
        """The sorted characters of ``texts`` plus :data:`END`."""
        found = {END}
        for text in texts:
            found.update(text)
        return cls(sorted(found))

    @property
    def end_id(self) -> int:
        """The id of :data:`END`."""
        return self.index[END]

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """Ids of the characters of ``text``; KeyError names a character outside the vocabulary."""
        try:
            return [self.index[c] for c in text]
        except KeyError as exc:
            raise KeyError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids."""
        return "".join(self.chars[int(i)] for i in ids)

    def to_list(self) -> list[str]:
        """JSON-safe form for the model card."""
        return list(self.chars)

    @classmethod
    def from_list(cls, chars: list[str]) -> "CharVocab":
        """The vocabulary :meth:`to_list` wrote."""
        return cls(list(chars))
