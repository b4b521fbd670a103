"""Track roles: which of a score's tracks each of vae-nn's per-track models reads and writes.

A role has a pitch window (its pianoroll's rows), a GM program for output, and
how to recognise its tracks in a score: by name (a case-insensitive
substring, e.g. "soprano") or by GM program family (LPD-5's grouping: piano
0-7, guitar 24-31, bass 32-39, strings 40-55, drums = the drum channel).
All of a score's tracks that match a role are merged into it, as LPD-5 merges
instrument families. The first role is the lead (MelodyNN's track).

Presets: ``chorales`` (soprano lead; alto, tenor, bass), ``lpd5`` (piano
lead; drums, guitar, bass, strings) and ``band`` (corpus:band's tracks: the
melody as the lead; drums, bass, guitar, piano, strings, with the corpus's own
program families, organs joining the piano and winds the strings). A seed
with no lead track and a single pitched track gives that track to the band's
lead, so a tune played on a piano still leads the band. A custom mapping is a comma-separated
list ``name[:LOW-HIGH][:PROGRAM]``, lead first, matched by name.

The program families come from one table, ``models.common.band_corpus``'s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

from app.core.errors import GenerationError
from app.core.score import Note, Score
from models.common.band_corpus import ROLE_PROGRAMS, role_programs

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
    lead_fallback: bool = False  # a seed without this role's track but one pitched track gives it that one

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


def _family(name: str, low: int, pitches: int, folded: bool, match: str = "") -> Role:
    return Role(name, low, pitches, ROLE_PROGRAMS[name], names=(match or name,),
                programs=role_programs(name, folded))


DRUMS = Role("drums", 24, 60, 0, is_drum=True, names=("drum",))

PRESETS: dict[str, tuple[Role, ...]] = {
    "chorales": (_voice("soprano", 52), _voice("alto", 46), _voice("tenor", 41), _voice("bass", 29)),
    "lpd5": (_family("piano", 24, 84, False), DRUMS, _family("guitar", 36, 60, False), _family("bass", 24, 48, False),
             _family("strings", 36, 60, False, "string")),
    # windows from corpus:band's pitches (0.5th-99.5th percentiles: lead 57-87, bass 26-53, guitar 35-83,
    # piano 42-87, strings 37-77, drums 35-82)
    "band": (Role("lead", 48, 48, 73, monophonic=True, names=("lead", "melody", "tune", "vocal", "voice", "solo"),
                  lead_fallback=True),
             DRUMS, _family("bass", 24, 36, True), _family("guitar", 36, 56, True), _family("piano", 36, 56, True),
             _family("strings", 32, 56, True, "string")),
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
    tracks in order instead (one track: the lead), so any fragment can seed;
    and a lead with ``lead_fallback`` that no track matched takes the seed's
    pitched track when it has only one (a tune alone, on any instrument).
    """
    found = [_role_of(t.name, t.program, t.is_drum, roles) for t in score.tracks]
    pitched = [i for i, t in enumerate(score.tracks) if t.notes and not t.is_drum]
    if by_order and roles and roles[0].lead_fallback and 0 not in found and len(pitched) == 1:
        found[pitched[0]] = 0  # a tune alone leads, whatever it is played on
    notes: list[list[Note]] = [[] for _ in roles]
    for track, index in zip(score.tracks, found):
        if index is not None:
            notes[index].extend(track.notes)
    if by_order and all(i is None for i in found):
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

