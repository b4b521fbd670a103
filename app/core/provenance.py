"""Where generated music came from: the one :class:`Provenance` type, the only reader and writer of it.

A generated variation carries its provenance in ``Score.provenance``, a
JSON-able dict that only :meth:`Provenance.to_dict` writes and only
:meth:`Provenance.from_dict` reads (``Provenance.of(score)``). The same dict
is saved in project files and as a MIDI text meta event, so a phrase can be
regenerated exactly. A document's score keeps the phrases inserted into it
(:class:`Phrase`: where each landed, with its own provenance) in the same
type. The dict's keys (format 1, unchanged since the first release)::

    {"model", "checkpoint", "checkpoint_sha256", "seed", "seed_text",
     "sliders": {option: value}, "bars", "tokens", "random_seed", "variation",
     "variations", "seed_source", "style_source", "device",
     "generation_seconds", "abc", "seed_note", "phrases": [{"id", "tracks", "start", "end",
     "provenance"}], ...any other key, kept as it was}

Reading is tolerant: a value of the wrong type (a hand-edited file) leaves
its field empty and is kept as found, so writing it back loses nothing;
:meth:`Provenance.check_regenerable` turns a damaged or missing field that a
rerun needs into one sentence. Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from app.core.errors import GenerationError

TEXT, WHOLE, NUMBER, RECORD = "text", "whole", "number", "record"
# field name -> (key in the dict, what its value must be)
KINDS: dict[str, tuple[str, str]] = {
    "model": ("model", TEXT), "checkpoint": ("checkpoint", TEXT), "checkpoint_sha256": ("checkpoint_sha256", TEXT),
    "seed": ("seed", TEXT), "seed_text": ("seed_text", TEXT), "options": ("sliders", RECORD),
    "bars": ("bars", WHOLE), "tokens": ("tokens", WHOLE), "random_seed": ("random_seed", WHOLE),
    "variation": ("variation", WHOLE), "variations": ("variations", WHOLE),
    "seed_source": ("seed_source", RECORD), "style_source": ("style_source", RECORD), "device": ("device", TEXT),
    "generation_seconds": ("generation_seconds", NUMBER), "abc": ("abc", TEXT), "seed_note": ("seed_note", TEXT),
}
PHRASES_KEY = "phrases"
REGENERATE_NEEDS = ("model", "random_seed", "variation", "variations", "bars")
DAMAGED = "The provenance of this phrase is damaged ({what}); it cannot be regenerated."


def _read(kind: str, value: Any) -> tuple[bool, Any]:
    """(valid, value as the field holds it) for one stored value."""
    if kind == TEXT:
        return isinstance(value, str), value
    if kind == WHOLE:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return isinstance(value, int) and not isinstance(value, bool), value
    if kind == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool), value
    return isinstance(value, Mapping) and all(isinstance(k, str) for k in value), (
        dict(value) if isinstance(value, Mapping) else value)


@dataclass(frozen=True, eq=True)
class Provenance:
    """How one variation was made (every field optional: ``None`` when not recorded)."""

    model: str | None = None
    checkpoint: str | None = None  # the checkpoint folder
    checkpoint_sha256: str | None = None  # of its weights
    seed: str | None = None  # the seed's title
    seed_text: str | None = None  # ABC text the model continued
    options: Mapping[str, Any] = field(default_factory=dict)  # the request's options ("sliders" in files)
    bars: int | None = None
    tokens: int | None = None  # length in tokens, when asked for instead of bars
    random_seed: int | None = None
    variation: int | None = None  # 1-based
    variations: int | None = None  # how many the run made
    seed_source: Mapping[str, Any] | None = None  # see app.core.generation_settings
    style_source: Mapping[str, Any] | None = None
    device: str | None = None
    generation_seconds: float | None = None
    abc: str | None = None  # the generated ABC text (ABC models), kept verbatim
    seed_note: str | None = None  # what the model left out of the seed, in a sentence (drums, for a pitched model)
    phrases: tuple["Phrase", ...] = ()  # in a document: the phrases inserted into it
    extra: Mapping[str, Any] = field(default_factory=dict)  # other keys, and damaged values as found

    __hash__ = None  # holds dicts

    # -- reading and writing ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Provenance":
        """Read a stored dict (see the module doc); never fails on values, TypeError if not a mapping."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise TypeError("provenance must be an object")
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        keys = {key: (name, kind) for name, (key, kind) in KINDS.items()}
        for key, value in data.items():
            if key == PHRASES_KEY and isinstance(value, list):
                values["phrases"] = tuple(p for p in map(Phrase.from_dict, value) if p is not None)
            elif key in keys and value is not None:
                name, kind = keys[key]
                ok, value = _read(kind, value)
                (values if ok else extra)[name if ok else key] = value
            elif key not in keys:
                extra[str(key)] = value
        return cls(**values, extra=extra)

    @classmethod
    def of(cls, score: Any) -> "Provenance":
        """The provenance of a Score (tolerant, see :meth:`from_dict`)."""
        return cls.from_dict(score.provenance)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able dict stored in ``Score.provenance``, project files and MIDI files."""
        out: dict[str, Any] = {}
        for name, (key, kind) in KINDS.items():
            value = getattr(self, name)
            if value is None or (name == "options" and not value):
                continue
            out[key] = _plain(value) if kind == RECORD else value
        if self.phrases:
            out[PHRASES_KEY] = [p.to_dict() for p in self.phrases]
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    # -- questions ---------------------------------------------------------------------------------
    @property
    def damaged(self) -> tuple[str, ...]:
        """The keys whose stored value was of the wrong type (kept in ``extra`` as found)."""
        known = {key for key, _kind in KINDS.values()} | {PHRASES_KEY}
        return tuple(k for k in self.extra if k in known)

    @property
    def is_generated(self) -> bool:
        """True when this says how a variation was made (not only a document's phrase list)."""
        return self.model is not None

    def check_regenerable(self) -> "Provenance":
        """``self`` when a rerun can be built from it; GenerationError in one sentence otherwise."""
        for name in REGENERATE_NEEDS + ("options", "seed_source", "style_source"):
            words = KINDS[name][0].replace("_", " ")
            if KINDS[name][0] in self.extra:
                raise GenerationError(DAMAGED.format(what=f"its {words} is not readable"))
            if name in REGENERATE_NEEDS and getattr(self, name) is None:
                raise GenerationError(DAMAGED.format(what=f"it does not record its {words}"))
        return self

    def label(self) -> str:
        """'markov 2': the model and the variation's number."""
        model = self.model or "generated"
        return f"{model} {self.variation}" if self.variation else model

    # -- new values ---------------------------------------------------------------------------------
    def with_run(self, seed_source: Mapping[str, Any], style_source: Mapping[str, Any], device: str) -> "Provenance":
        """With what the front end knows and the model does not: where the seed and style came from, the device."""
        return replace(self, seed_source=dict(seed_source), style_source=dict(style_source), device=device)

    def with_phrase(self, tracks: list[int], start: int, end: int, made_by: "Provenance") -> "Provenance":
        """With one more phrase (ids ``phrase-1``, ``phrase-2``... never reused)."""
        numbers = [int(p.id.rpartition("-")[2]) for p in self.phrases if p.id.rpartition("-")[2].isdigit()]
        phrase = Phrase(f"phrase-{max(numbers, default=0) + 1}", tuple(tracks), int(start), int(end), made_by)
        return replace(self, phrases=self.phrases + (phrase,))


@dataclass(frozen=True)
class Phrase:
    """A generated phrase in a document: its tracks, its span in ticks, and how it was made."""

    id: str
    tracks: tuple[int, ...]
    start: int
    end: int
    provenance: Provenance

    __hash__ = None

    @classmethod
    def from_dict(cls, data: Any) -> "Phrase | None":
        """A stored phrase record, or None when it is malformed (a hand-edited file)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str) \
                or not isinstance(data.get("provenance"), Mapping):
            return None
        tracks = data.get("tracks", [])
        start, end = data.get("start", 0), data.get("end", 0)
        if not isinstance(tracks, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in tracks) \
                or not all(_read(WHOLE, v)[0] for v in (start, end)):
            return None
        return cls(data["id"], tuple(tracks), int(start), int(end), Provenance.from_dict(data["provenance"]))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tracks": list(self.tracks), "start": self.start, "end": self.end,
                "provenance": self.provenance.to_dict()}


def _plain(value: Any) -> Any:
    """Mappings (e.g. per-track options) as plain dicts, for JSON."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
