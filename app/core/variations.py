"""Generated variations: their badges, and taking one into the score as a phrase with provenance.

A variation is a Score a model returned (its ``provenance`` says how it was
made). The gallery shows :func:`badges` for each: note count, pitch classes
used, the share of notes in the key, and empty bars. Inserting builds the
whole new score with one of :func:`insert_at`, :func:`replace_selection` or
:func:`insert_as_new_tracks` (the GUI pushes it as one undoable command) and
records a *phrase* (``app.core.provenance.Phrase``: id, tracks, span in ticks
and the variation's provenance) in the score's provenance, so the project
file and MIDI export keep where each phrase came from.
Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from app.core.edits import replace_notes
from app.core.keys import LETTER_PC, parse_key
from app.core.provenance import Phrase, Provenance
from app.core.score import Note, Score, Track
from app.core.timing import bar_lines

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MODE_STEPS = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10, 11),  # with the raised 7th: Bach's one-flat G minor (G dorian) leads with F#
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11), "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "minor": (0, 2, 3, 5, 7, 8, 9, 10, 11),  # natural minor with the raised 6th and 7th (melodic/harmonic)
    "locrian": (0, 1, 3, 5, 6, 8, 10),
}


# -- badges ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Badges:
    """What a variation's card shows at a glance."""

    notes: int
    pitch_classes: tuple[int, ...]  # the pitch classes used by pitched tracks, ascending
    in_key: float | None  # share of pitched notes in ``key`` (None: no pitched notes)
    key: str | None  # the key measured against (the score's, else the best-fitting major key)
    empty_bars: int
    bars: int

    @property
    def pitch_class_names(self) -> str:
        return " ".join(PITCH_NAMES[pc] for pc in self.pitch_classes)


def key_pitch_classes(key: str) -> frozenset[int]:
    """The pitch classes of ``key``'s scale; ValueError for a name that is not a key."""
    tonic, mode = parse_key(key)
    root = LETTER_PC[tonic[0]] + tonic.count("#") - tonic.count("b")
    return frozenset((root + step) % 12 for step in MODE_STEPS[mode])


def score_key(score: Score) -> str | None:
    """THE key of a score, which every part of Cadenza shows and follows (info, seed preview, badges,
    evaluation, the models): the key as written (signature and mode), else the major key whose scale
    holds the most of its pitched notes (:func:`estimate_key`), else None (no pitched notes).

    The written key wins over analysis: on the 36 bundled seeds, a Krumhansl-Kessler analysis that
    could overrule the signature agreed with the musicians' keys 31 times out of 35, the written keys
    (with their modes written out: G dorian, C# minor) 35 times.
    """
    if score.key:
        try:
            parse_key(score.key)
            return score.key
        except ValueError:
            pass
    return estimate_key([n.pitch for t in score.tracks if not t.is_drum for n in t.notes])


def estimate_key(pitches: Sequence[int]) -> str | None:
    """The major key whose scale holds the most of ``pitches`` (ties: fewest accidentals), or None."""
    if not pitches:
        return None
    best, best_count = None, -1
    for fifths in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6):
        tonic = (7 * fifths) % 12
        name = f"{PITCH_NAMES[tonic]} major"
        scale = key_pitch_classes(name)
        count = sum(1 for p in pitches if p % 12 in scale)
        if count > best_count:
            best, best_count = name, count
    return best


def bar_spans(score: Score, bars: int | None = None) -> list[tuple[int, int]]:
    """(start, end) ticks of the score's bars, or of its first ``bars`` bars (extended in the last meter)."""
    lines = [b.tick for b in bar_lines(score, max(score.end, 1))]
    if bars is not None:
        step = score.time_signatures[-1].bar_ticks(score.ppq)
        while len(lines) <= bars:
            lines.append(lines[-1] + step)
        lines = lines[: bars + 1]
    else:
        lines.append(lines[-1] + score.time_signatures[-1].bar_ticks(score.ppq))
    return list(zip(lines[:-1], lines[1:]))


def badges(score: Score, key: str | None = None, bars: int | None = None) -> Badges:
    """Note count, pitch classes used, in-key share and empty bars (of ``bars`` bars when given)."""
    pitched = [n.pitch for t in score.tracks if not t.is_drum for n in t.notes]
    key = key or score_key(score)
    try:
        scale = key_pitch_classes(key) if key else None
    except ValueError:  # not a key name Cadenza knows: measure against the best fit instead
        key = estimate_key(pitched)
        scale = key_pitch_classes(key) if key else None
    in_key = (sum(1 for p in pitched if p % 12 in scale) / len(pitched)) if pitched and scale else None
    notes = score.all_notes()
    spans = bar_spans(score, bars)
    empty = sum(1 for start, end in spans if not any(n.start < end and n.end > start for n in notes))
    return Badges(len(notes), tuple(sorted({p % 12 for p in pitched})), in_key, key, empty, len(spans))


# -- inserting ------------------------------------------------------------------------------------

def scaled_notes(notes: Iterable[Note], from_ppq: int, to_ppq: int, offset: int = 0) -> list[Note]:
    """Notes moved from one resolution to another, then ``offset`` ticks later."""
    if from_ppq == to_ppq:
        return [replace(n, start=n.start + offset) for n in notes]
    ratio = to_ppq / from_ppq
    return [Note(round(n.start * ratio) + offset, n.pitch, max(1, round(n.duration * ratio)), n.velocity)
            for n in notes]


def trimmed(notes: Iterable[Note], length: int) -> list[Note]:
    """Notes that start within ``length`` ticks, cut to end there."""
    return [replace(n, duration=min(n.duration, length - n.start)) for n in notes if n.start < length]


def match_tracks(score: Score, variation: Score, active: int) -> list[int | None]:
    """For each variation track, the score track its notes join (None: a new track).

    Same name first; a one-track variation joins the active track; otherwise
    the track at the same index; drums only ever join drums (the first drum
    track when nothing else fits).
    """
    names = {t.name.casefold(): i for i, t in enumerate(score.tracks) if t.name}
    drums = [i for i, t in enumerate(score.tracks) if t.is_drum]
    used: set[int] = set()
    out: list[int | None] = []
    for i, vt in enumerate(variation.tracks):
        candidates = [names.get(vt.name.casefold()) if vt.name else None,
                      active if len(variation.tracks) == 1 else None, i, *(drums if vt.is_drum else [])]
        chosen = next((c for c in candidates if c is not None and c < len(score.tracks) and c not in used
                       and score.tracks[c].is_drum == vt.is_drum), None)
        if chosen is not None:
            used.add(chosen)
        out.append(chosen)
    return out


def phrase_label(variation: Score) -> str:
    """'markov 2' — the model and the variation's number."""
    return Provenance.of(variation).label()


def insert_at(score: Score, variation: Score, tick: int, active: int = 0) -> Score:
    """The variation's notes from ``tick``, each track merged into its match (see :func:`match_tracks`)."""
    return _place(score, variation, tick, match_tracks(score, variation, active))


def insert_as_new_tracks(score: Score, variation: Score, tick: int) -> Score:
    """The variation's tracks added below the others, starting at ``tick``."""
    return _place(score, variation, tick, [None] * len(variation.tracks))


def replace_selection(score: Score, active: int, selected: Sequence[Note], variation: Score) -> Score:
    """The selected notes of the active track replaced by the variation, cut to the selection's length.

    The variation's part that matches the active track (same name, else the
    first of the same kind, else the first) fills the span of the selection.
    """
    if not selected:
        raise ValueError("there is no selection to replace")
    start, end = min(n.start for n in selected), max(n.end for n in selected)
    target = score.tracks[active]
    parts = [t for t in variation.tracks if t.notes]
    part = next((t for t in parts if t.name and t.name.casefold() == target.name.casefold()), None) \
        or next((t for t in parts if t.is_drum == target.is_drum), None) or (parts[0] if parts else Track())
    new = [replace(n, start=n.start + start)
           for n in trimmed(scaled_notes(part.notes, variation.ppq, score.ppq), end - start)]
    placed = replace_notes(score, active, selected, new)
    return with_phrase(placed, [active], start, end, Provenance.of(variation))


def _place(score: Score, variation: Score, tick: int, targets: list[int | None]) -> Score:
    tracks = list(score.tracks)
    landed: list[int] = []
    end = tick
    for vt, target in zip(variation.tracks, targets):
        if not vt.notes:
            continue
        notes = scaled_notes(vt.notes, variation.ppq, score.ppq, tick)
        end = max(end, max(n.end for n in notes))
        if target is None:
            name = f"{vt.name or 'Variation'} ({phrase_label(variation)})"
            tracks.append(Track(name, vt.program, vt.is_drum, tuple(notes)))
            landed.append(len(tracks) - 1)
        else:
            tracks[target] = tracks[target].with_notes(tracks[target].notes + tuple(notes))
            landed.append(target)
    return with_phrase(score.with_tracks(tracks), sorted(set(landed)), tick, end, Provenance.of(variation))


# -- phrase records -------------------------------------------------------------------------------

def phrases(score: Score) -> list[Phrase]:
    """The phrases of a score (malformed records, e.g. from a hand-edited file, are left out)."""
    return list(Provenance.of(score).phrases)


def with_phrase(score: Score, tracks: list[int], start: int, end: int, made_by: Provenance) -> Score:
    """``score`` with one more phrase (ids ``phrase-1``, ``phrase-2``... never reused)."""
    provenance = Provenance.of(score).with_phrase(tracks, start, end, made_by)
    return replace(score, provenance=provenance.to_dict())


def phrase_notes(score: Score, phrase: Phrase) -> dict[int, list[Note]]:
    """The notes now in a phrase's tracks and span, per track (the phrase may have been edited since)."""
    return {i: [n for n in score.tracks[i].notes if phrase.start <= n.start < phrase.end]
            for i in phrase.tracks if 0 <= i < len(score.tracks)}
