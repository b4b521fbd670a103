"""Band rolls: a score's lead and its five LPD-5 roles as 128-pitch binary rolls on a 16th-note grid.

The band models read and write music as LPD-5 does: one
``(steps, 128)`` boolean roll per role, a step being a 16th note from tick 0 (the first bar line),
all 128 MIDI pitches (no per-role pitch window). :data:`TRACKS` is the order of the
rolls: the lead (the melody) first, then :data:`ROLES`, the five roles of ``corpus:band``
(``band_corpus.ROLES``: drums, bass, guitar, piano, strings).

* **Which track plays which role** (:func:`track_role`): by name first (``Lead``/``melody``/
  ``vocal``/``soprano`` -> lead; ``drum``, ``bass``, ``guitar``, ``piano``, ``string`` -> that
  role), then a drum-channel track -> drums, then the GM program family as the band corpus folds
  it (``band_corpus.program_role``). In a score without a track named as the lead, a lone pitched
  track (with or without drums) is the lead, so a melody alone, whatever its instrument, is a lead
  to accompany; a band (bass and piano, say) stays a band. Several tracks of one role are merged,
  as LPD-5 merges instrument families.
* **Notes to rolls** (:func:`band_rolls`): a pitched note holds the steps from its rounded start
  to its rounded end (at least one); when the same pitch is struck again right where a note ends,
  the note gives up its last step, so the repeated note stays two notes. Drums hold their onset
  step only (LPD-5's drum tracks hold onsets).
* **Rolls to notes** (:func:`roll_notes`): the held steps of a pitch become one note; a drum hit
  lasts one step.
* **What a generation writes** (:func:`plan_band`): a seed holding a lead and no band is
  *accompanied*: the band is written under the lead, from its first bar to the bar line after its
  last note, and the answer keeps the seed's tempo, meter and key maps (the length asked for is not
  used); any other seed (a band, a band with its lead, or none) is *continued*: ``bars`` new bars
  after the seed's last bar line, in the tempo, meter and key in force there, the lead silent there
  (a model that writes the lead writes it). Bar lines are the real ones of the seed's meter map
  (``meter_regions``), not multiples of one meter's bar from tick 0.
* **Training pieces** (:func:`load_band_pieces`): every piece of the datasets (``corpus:band`` or
  folders of multi-track MIDI, read with the same mapping) as rolls, by its fixed split, with what
  the model card says about the data (for ``corpus:band``, ``band_corpus.band_summary``).

Pure: numpy and the score model; no torch, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from app.core.errors import DatasetError
from app.core.timing import bpm_at, signature_at
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from models.common.band_corpus import LEAD_NAME, LEAD_PROGRAM, ROLE_PROGRAMS, ROLES, program_role
from models.common.meter_regions import bar_line_from

LEAD = "lead"
TRACKS = (LEAD, *ROLES)  # the order of a piece's rolls
PITCHES = 128
STEPS_PER_QUARTER = 4
_LEAD_WORDS = ("lead", "melody", "vocal", "voice", "soprano", "tune")
_ROLE_WORDS = (("drum", "drums"), ("bass", "bass"), ("guitar", "guitar"), ("piano", "piano"),
               ("string", "strings"))


def step_ticks(ppq: int) -> int:
    """Ticks per step (a 16th note)."""
    return max(1, ppq // STEPS_PER_QUARTER)


def bar_steps(score: Score) -> int:
    """Steps per bar of the meter at the start of ``score`` (16 in 4/4, 12 in 3/4)."""
    return meter_steps(score.time_signatures[0], score.ppq)


def meter_steps(sig: TimeSignature, ppq: int) -> int:
    """Steps per bar of ``sig`` (16 in 4/4, 12 in 3/4)."""
    return max(1, round(sig.bar_ticks(ppq) / step_ticks(ppq)))


def whole_bars_steps(score: Score, end_step: int) -> int:
    """Steps from tick 0 to the first bar line of ``score``'s meter map at or after step ``end_step`` (one bar
    at least)."""
    step = step_ticks(score.ppq)
    return round(bar_line_from(score, max(end_step, 1) * step) / step)


def track_role(track: Track) -> str | None:
    """The role a track plays by its name, drum channel or GM program (None: no band role)."""
    name = track.name.lower()
    if any(word in name for word in _LEAD_WORDS) and not track.is_drum:
        return LEAD
    for word, role in _ROLE_WORDS:
        if word in name and (role == "drums") == track.is_drum:
            return role
    return program_role(track.program, track.is_drum)


def band_parts(score: Score) -> dict[str, list[Note]]:
    """Each of :data:`TRACKS`' notes in ``score`` (see the module docstring for how tracks are matched)."""
    parts: dict[str, list[Note]] = {name: [] for name in TRACKS}
    roles = [track_role(t) for t in score.tracks]
    pitched = [i for i, t in enumerate(score.tracks) if t.notes and not t.is_drum]
    if LEAD not in roles and len(pitched) == 1:
        roles[pitched[0]] = LEAD
    for track, role in zip(score.tracks, roles):
        if role is not None:
            parts[role].extend(track.notes)
    return parts


def band_programs(score: Score | None) -> dict[str, int]:
    """The GM program each role's written track takes: the seed's own track of that role, else the role's."""
    programs = {LEAD: LEAD_PROGRAM, **ROLE_PROGRAMS}
    seen: set[str] = set()
    for track in score.tracks if score is not None else ():
        role = track_role(track)
        if role is not None and role not in seen and track.notes:
            programs[role] = track.program
            seen.add(role)
    return programs


def _fill(notes: Sequence[Note], step: int, steps: int, drums: bool, shift: int = 0) -> np.ndarray:
    roll = np.zeros((steps, PITCHES), dtype=bool)
    onsets = {(round(n.start / step), n.pitch) for n in notes}
    for n in notes:
        pitch = n.pitch + (0 if drums else shift)
        start = round(n.start / step)
        if not 0 <= pitch < PITCHES or start >= steps:
            continue
        if drums:
            roll[start, pitch] = True
            continue
        end = max(start + 1, round(n.end / step))
        if (end, n.pitch) in onsets and end - 1 > start:
            end -= 1  # the same pitch is struck again: keep the two notes apart
        roll[start: min(end, steps), pitch] = True
    return roll


def band_rolls(parts: Mapping[str, Sequence[Note]], ppq: int, steps: int | None = None,
               shift: int = 0) -> np.ndarray:
    """``(len(TRACKS), steps, 128)`` bool rolls of ``parts``; ``steps`` defaults to what the notes need.

    ``shift`` transposes every pitched role (not the drums) by that many semitones.
    """
    step = step_ticks(ppq)
    if steps is None:
        steps = max((max(1, round(n.end / step)) for notes in parts.values() for n in notes), default=1)
    return np.stack([_fill(parts.get(name, ()), step, steps, name == "drums", shift) for name in TRACKS])


def score_rolls(score: Score, steps: int | None = None) -> np.ndarray:
    """``band_rolls`` of a score's band parts."""
    return band_rolls(band_parts(score), score.ppq, steps)


def roll_notes(roll: np.ndarray, ppq: int, drums: bool = False, velocity: int = 90, offset: int = 0) -> list[Note]:
    """Notes of a ``(steps, 128)`` roll: held steps of a pitch become one note (drums: a hit per step).

    ``offset`` (in steps) moves every note later.
    """
    step = step_ticks(ppq)
    roll = np.asarray(roll, dtype=bool)
    if drums:
        steps, pitches = np.nonzero(roll)
        return sorted(Note(start=int(s + offset) * step, pitch=int(p), duration=step, velocity=velocity)
                      for s, p in zip(steps, pitches))
    notes = []
    for pitch in np.flatnonzero(roll.any(axis=0)):
        column = np.concatenate(([False], roll[:, pitch], [False]))
        changes = np.flatnonzero(column[1:] != column[:-1])  # starts and ends, alternating
        for start, end in zip(changes[::2], changes[1::2]):
            notes.append(Note(start=int(start + offset) * step, pitch=int(pitch), duration=int(end - start) * step,
                              velocity=velocity))
    return sorted(notes)


def band_tracks(rolls: Mapping[str, np.ndarray], ppq: int, programs: Mapping[str, int] | None = None,
                velocity: int = 80) -> tuple[Track, ...]:
    """One track per role of ``rolls`` (role -> ``(steps, 128)``), in :data:`TRACKS` order, named as the
    band corpus names them (``Lead``, ``Drums``... drums on the drum channel)."""
    programs = {LEAD: LEAD_PROGRAM, **ROLE_PROGRAMS, **(programs or {})}
    tracks = []
    for name in TRACKS:
        if name not in rolls:
            continue
        drums = name == "drums"
        title = LEAD_NAME if name == LEAD else name.capitalize()
        tracks.append(Track(title, 0 if drums else programs[name], drums,
                            tuple(roll_notes(rolls[name], ppq, drums, velocity))))
    return tuple(tracks)


def shifted(rolls: np.ndarray, shift: int) -> np.ndarray:
    """``(len(TRACKS), steps, 128)`` rolls with every pitched role moved ``shift`` semitones (drums kept);
    pitches pushed past 0 or 127 are dropped."""
    if shift == 0:
        return rolls
    out = np.zeros_like(rolls)
    for k, name in enumerate(TRACKS):
        if name == "drums":
            out[k] = rolls[k]
        elif shift > 0:
            out[k, :, shift:] = rolls[k, :, :-shift]
        else:
            out[k, :, :shift] = rolls[k, :, -shift:]
    return out


def feasible_shifts(rolls: np.ndarray, limit: int) -> list[int]:
    """The shifts within ±``limit`` that keep every pitched note of ``rolls`` inside 0-127."""
    pitched = [k for k, name in enumerate(TRACKS) if name != "drums"]
    used = np.flatnonzero(rolls[pitched].any(axis=(0, 1)))
    if not len(used):
        return [0]
    return [s for s in range(-limit, limit + 1) if 0 <= used[0] + s and used[-1] + s < PITCHES]


@dataclass
class BandPieces:
    """Training, validation and test pieces as ``(len(TRACKS), steps, 128)`` rolls, and the card's data facts."""

    train: list[np.ndarray]
    valid: list[np.ndarray]
    test: list[np.ndarray]
    datasets: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}

    def steps(self) -> dict[str, int]:
        return {s: int(sum(r.shape[1] for r in getattr(self, s))) for s in ("train", "valid", "test")}


def load_band_pieces(specs: Sequence[str], min_steps: int = 32) -> BandPieces:
    """Every piece of ``specs`` with a band part and at least ``min_steps`` steps, as rolls by split.

    DatasetError in one sentence when no training piece has a band part.
    """
    from models.common.corpus import load_scores

    pieces: BandPieces = BandPieces([], [], [])
    for spec in specs:
        report = load_scores(spec)
        used = 0
        for item in report.items:
            rolls = score_rolls(item.score)
            if rolls.shape[1] >= min_steps and rolls[1:].any():
                getattr(pieces, item.split).append(rolls)
                used += 1
        info: dict[str, Any] = {"items": len(report.items), "skipped": report.skipped, "used": used}
        if spec == "corpus:band":
            from models.common.band_corpus import band_summary

            info["summary"] = band_summary()
        pieces.datasets[spec] = info
    if not pieces.train:
        raise DatasetError(f"No training piece of {', '.join(specs)} has drums, bass, guitar, piano or strings "
                           f"{min_steps // 16} bars long; train on corpus:band or multi-track MIDI files.")
    return pieces


@dataclass(frozen=True)
class BandPlan:
    """What a band model writes for a seed: ``context`` ``(6, C, 128)`` rolls before the written steps
    (C = 0 when accompanying), ``lead`` ``(steps, 128)`` under the written steps, and the score the
    written tracks take their tempo, meter and key maps from. ``bar_steps`` is the bar of the meter the
    written steps open in (accompanying a lead whose meter changes, later bars follow ``like``'s map)."""

    accompany: bool
    context: np.ndarray
    lead: np.ndarray
    like: Score
    bar_steps: int
    programs: dict[str, int]

    @property
    def steps(self) -> int:
        return self.lead.shape[0]


def plan_band(seed: Score | None, bars: int) -> BandPlan:
    """The plan of a band generation from ``seed`` (see the module docstring: accompany or continue)."""
    programs = band_programs(seed)
    if seed is None or not seed.note_count:
        like = Score()
        per_bar = bar_steps(like)
        return BandPlan(False, np.zeros((len(TRACKS), 0, PITCHES), dtype=bool),
                        np.zeros((bars * per_bar, PITCHES), dtype=bool), like, per_bar, programs)
    parts = band_parts(seed)
    tick = max(seed.end - 1, 0)
    sig = signature_at(seed, tick)
    if parts[LEAD] and not any(parts[r] for r in ROLES):
        like = Score(ppq=seed.ppq, tempos=seed.tempos, time_signatures=seed.time_signatures, key=seed.key,
                     keys=seed.keys, title=seed.title)  # the band lies under the lead: the seed's maps, changes kept
        steps = whole_bars_steps(seed, max(round(n.end / step_ticks(seed.ppq)) for n in parts[LEAD]))
        rolls = band_rolls(parts, seed.ppq, steps)
        return BandPlan(True, rolls[:, :0], rolls[0], like, bar_steps(like), programs)
    like = Score(ppq=seed.ppq, tempos=(TempoChange(0, bpm_at(seed, tick)),),
                 time_signatures=(TimeSignature(0, sig.numerator, sig.denominator),),
                 key=seed.key_at(tick) or seed.key, title=seed.title)  # all as in force where the band goes on
    per_bar = bar_steps(like)
    context = band_rolls(parts, seed.ppq, whole_bars_steps(seed, round(seed.end / step_ticks(seed.ppq))))
    return BandPlan(False, context, np.zeros((bars * per_bar, PITCHES), dtype=bool), like, per_bar, programs)
