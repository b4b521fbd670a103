"""Generated tunes spelled as their key spells them: ``^F`` in G minor, not ``_G``; ``E``, not ``_F``.

The model writes characters, and it has learnt that ``_G`` and ``^F`` sound the
same: a tune in D minor may come out with ``_F`` for E, or a G-minor leading
tone as ``_G``. :func:`respell_tune` keeps every pitch and writes it the way
``app.core.keys.spell`` (the ABC and MusicXML writers' rule) spells it in the
tune's key, with the accidentals the bar then needs.
"""

from __future__ import annotations

from app.core.abc.header import key_from_abc
from app.core.keys import LETTERS, key_fifths, key_tonic, spell

from models.abc_lstm.codec import (_ALTER_ACC, Rejected, _items_text, _midi, _move_items, _Mover, _Note, _tokenize,
                                   normalize_key)


class _Speller(_Mover):
    """Carries bar accidentals as written and as respelled (see ``codec._Mover``), moving no pitch."""

    def __init__(self, fifths: int, tonic: int | None) -> None:
        super().__init__(fifths, fifths, 0, 0)
        self.fifths, self.tonic = fifths, tonic

    def move(self, note: _Note) -> _Note:
        if note.step is None:
            return note
        midi = _midi(note.step, self._alter(self.old_bar, self.old_key, note.step, note.acc))
        letter, alter, octave = spell(midi, self.fifths, self.tonic)
        step = 7 * octave + LETTERS.index(letter)
        if alter != self._alter(self.new_bar, self.new_key, step, ""):  # an accidental only where one is needed
            self.new_bar[step] = alter
            return note._replace(acc=_ALTER_ACC[alter], step=step)
        return note._replace(acc="", step=step)


def respell_tune(text: str) -> str:
    """``text`` (a generated tune, normalized ABC) with each note spelled as its key spells it; the text
    as it is when it has no key or a body the codec cannot read."""
    lines = text.rstrip("\n").split("\n")
    k_index = next((i for i, line in enumerate(lines) if line.startswith("K:")), None)
    if k_index is None:
        return text
    try:
        key = key_from_abc(normalize_key(lines[k_index][2:]))
        speller = _Speller(key_fifths(key), key_tonic(key))
        body = [_tokenize(line) for line in lines[k_index + 1:]]
    except (Rejected, ValueError):
        return text
    return "\n".join(lines[:k_index + 1] + [_items_text(_move_items(items, speller)) for items in body]) + "\n"
