"""Track roles: which of a score's tracks each of vae-nn's per-track models reads and writes.

A role has a pitch window (its pianoroll's rows), a GM program for output, and
how to recognise its tracks in a score: by name (a case-insensitive
substring, e.g. "soprano") or by GM program family (LPD-5's grouping: piano
0-7, guitar 24-31, bass 32-39, strings 40-55, drums = the drum channel).
All of a score's tracks that match a role are merged into it, as LPD-5 merges
instrument families. The first role is the lead (MelodyNN's track).

Presets: ``chorales`` (soprano lead; alto, tenor, bass) and ``lpd5`` (piano
lead; drums, guitar, bass, strings). A custom mapping is a comma-separated
list ``name[:LOW-HIGH][:PROGRAM]``, lead first, matched by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

from app.core.errors import GenerationError
from app.core.score import Note, Score

PITCH_MULTIPLE = 4  # the encoder halves the pitch axis twice


@dataclass(frozen=True)
class Role:
    """One track of the model: its pitch window ``[low, low + pitches)`` and how to find it."""

    name: str
    low: int
    pitches: int
    program: int = 0
    is_drum: bool = False
    monophonic: bool = False
    names: tuple[str, ...] = ()  # name substrings that select a track
    programs: tuple[int, ...] = ()  # GM programs that select a track (when no name matched)

    def __post_init__(self) -> None:
        if self.pitches % PITCH_MULTIPLE or self.pitches <= 0:
            raise ValueError(f"a role's pitch window must be a positive multiple of {PITCH_MULTIPLE}")
        if not 0 <= self.low <= 128 - self.pitches:
            raise ValueError("a role's pitch window must lie within MIDI pitches 0-127")

    @property
    def high(self) -> int:
        """One past the highest pitch."""
        return self.low + self.pitches

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Role":
        data = dict(data)
        data["names"] = tuple(data.get("names", ()))
        data["programs"] = tuple(data.get("programs", ()))
        return cls(**data)


def _voice(name: str, low: int) -> Role:
    return Role(name, low, 36, program=52, monophonic=True, names=(name,))


PRESETS: dict[str, tuple[Role, ...]] = {
    "chorales": (_voice("soprano", 52), _voice("alto", 46), _voice("tenor", 41), _voice("bass", 29)),
    "lpd5": (
        Role("piano", 24, 84, 0, names=("piano",), programs=tuple(range(0, 8))),
        Role("drums", 24, 60, 0, is_drum=True, names=("drum",)),
        Role("guitar", 36, 60, 25, names=("guitar",), programs=tuple(range(24, 32))),
        Role("bass", 24, 48, 33, names=("bass",), programs=tuple(range(32, 40))),
        Role("strings", 36, 60, 48, names=("string",), programs=tuple(range(40, 56))),
    ),
}


def parse_roles(spec: str) -> tuple[Role, ...]:
    """A preset name, or ``name[:LOW-HIGH][:PROGRAM],...`` (lead first); one sentence on a bad spec."""
    spec = spec.strip()
    if spec in PRESETS:
        return PRESETS[spec]
    roles = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        fields = part.split(":")
        name, low, high, program = fields[0].strip().lower(), 36, 84, 0
        try:
            if len(fields) > 1 and fields[1]:
                low, high = (int(v) for v in fields[1].split("-"))
            if len(fields) > 2 and fields[2]:
                program = int(fields[2])
            width = -(-(high - low + 1) // PITCH_MULTIPLE) * PITCH_MULTIPLE
            roles.append(Role(name, low, width, program, names=(name,)))
        except ValueError:
            raise GenerationError(f"'{part}' is not a track role: write name[:LOW-HIGH][:PROGRAM], "
                                  "e.g. melody:60-95:73 (pitches 0-127).") from None
    if not roles:
        raise GenerationError(f"'{spec}' names no track roles; use {', '.join(PRESETS)} or name[:LOW-HIGH][:PROGRAM],...")
    if len({r.name for r in roles}) != len(roles):
        raise GenerationError("Each track role needs its own name.")
    return tuple(roles)


def _role_of(track_name: str, program: int, is_drum: bool, roles: Sequence[Role]) -> int | None:
    lowered = track_name.lower()
    for i, role in enumerate(roles):
        if any(n in lowered for n in role.names) and role.is_drum == is_drum:
            return i
    for i, role in enumerate(roles):
        if role.is_drum and is_drum:  # any drum-channel track plays the drum role
            return i
        if not is_drum and not role.is_drum and program in role.programs:
            return i
    return None


def assign_tracks(score: Score, roles: Sequence[Role], by_order: bool = False) -> list[list[Note]]:
    """Each role's notes: the union of the score's tracks that match it.

    With ``by_order`` (a seed), a score none of whose tracks match takes its
    tracks in order instead (one track: the lead), so any fragment can seed.
    """
    notes: list[list[Note]] = [[] for _ in roles]
    matched = False
    for track in score.tracks:
        index = _role_of(track.name, track.program, track.is_drum, roles)
        if index is not None:
            notes[index].extend(track.notes)
            matched = True
    if not matched and by_order:
        for index, track in enumerate(t for t in score.tracks if t.notes):
            if index < len(roles):
                notes[index].extend(track.notes)
    return notes


def seed_programs(score: Score | None, roles: Sequence[Role]) -> list[int]:
    """The GM program of each role's output track: the seed's matching track's, else the role's own."""
    programs = [r.program for r in roles]
    seen: set[int] = set()
    for track in (score.tracks if score is not None else ()):
        index = _role_of(track.name, track.program, track.is_drum, roles)
        if index is not None and index not in seen:
            programs[index] = track.program
            seen.add(index)
    return programs

