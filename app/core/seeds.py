"""The bundled seed fragments: short pieces a sketch can start from.

``resources/seeds`` holds two- to eight-bar fragments — folk tunes (ABC),
Bach chorales and classical openings (MusicXML) from the public-domain
music21 corpus, and grooves (MIDI) written for Cadenza — described by
``resources/seeds/index.json``. ``tools/make_seeds.py`` and
``tools/make_grooves.py`` regenerate them.

Anywhere Cadenza takes a file it also takes ``seed:NAME``; :func:`resolve`
turns that into the seed's path. The index is read and validated once; a
broken index, or an unknown name, raises a :class:`CadenzaError` with one
sentence. Pure: standard library only.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, fields
from pathlib import Path

from app.core.errors import CadenzaError, SeedNotFoundError

SEEDS_DIR = Path(__file__).resolve().parents[2] / "resources" / "seeds"
INDEX_NAME = "index.json"
SEED_PREFIX = "seed:"
STYLES = ("folk", "chorale", "classical", "groove")

_NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_METER_RE = re.compile(r"[1-9][0-9]?/(?:1|2|4|8|16|32)")


@dataclass(frozen=True)
class Seed:
    """One bundled fragment, as described by its index entry."""

    name: str          # kebab-case, unique: ``seed:NAME``
    title: str
    file: str          # file name inside SEEDS_DIR
    style: str         # one of STYLES
    bars: int          # whole bars, not counting a pickup
    meter: str         # e.g. "6/8"
    key: str | None    # e.g. "D major", "A dorian"; None for drums only
    source: str        # where the music comes from
    licence: str       # "public domain" or "CC0"
    description: str   # one sentence for a musician

    @property
    def path(self) -> Path:
        """The absolute path of the seed's file."""
        return SEEDS_DIR / self.file

    @property
    def spec(self) -> str:
        """``seed:NAME``, the string that opens this seed anywhere a file is accepted."""
        return SEED_PREFIX + self.name


_FIELD_TYPES = {"name": str, "title": str, "file": str, "style": str, "bars": int, "meter": str,
                "key": (str, type(None)), "source": str, "licence": str, "description": str}
assert set(_FIELD_TYPES) == {f.name for f in fields(Seed)}


def _entry_problem(entry: object, folder: Path) -> str | None:
    """What is wrong with one index entry, as the end of a sentence, or None."""
    if not isinstance(entry, dict):
        return "is not an object"
    missing = [k for k in _FIELD_TYPES if k not in entry]
    if missing:
        return f"lacks {', '.join(missing)}"
    for key, kind in _FIELD_TYPES.items():
        value = entry[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"has a {key} that is not {'an integer' if kind is int else 'text'}"
    if not _NAME_RE.fullmatch(entry["name"]):
        return "has a name that is not kebab-case"
    if entry["style"] not in STYLES:
        return f"has style '{entry['style']}', not one of {', '.join(STYLES)}"
    if not 1 <= entry["bars"] <= 64:
        return f"has {entry['bars']} bars"
    if not _METER_RE.fullmatch(entry["meter"]):
        return f"has meter '{entry['meter']}', not like 6/8"
    file = entry["file"]
    if not file or Path(file).name != file or file in (".", ".."):
        return f"names '{file}', which is not a plain file name"
    if not (folder / file).is_file():
        return f"names {file}, which is missing"
    return None


def read_index(index: Path) -> tuple[Seed, ...]:
    """Read and validate a seed index; the seeds' files are looked up next to it.

    Raises CadenzaError (one sentence) when the index is missing, is not JSON,
    is not a list of complete entries, repeats a name, or names a missing file.
    """
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CadenzaError(f"The seed index {index} is missing; reinstall Cadenza or run tools/make_seeds.py.") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise CadenzaError(f"The seed index {index} cannot be read ({err}).") from None
    if not isinstance(data, list):
        raise CadenzaError(f"The seed index {index} is broken: it is not a list of seeds.")
    seeds, seen = [], set()
    for i, entry in enumerate(data, 1):
        problem = _entry_problem(entry, index.parent)
        if problem is None and entry["name"] in seen:
            problem = "repeats a name already used"
        if problem:
            label = f" ({entry['name']})" if isinstance(entry, dict) and isinstance(entry.get("name"), str) else ""
            raise CadenzaError(f"The seed index {index} is broken: entry {i}{label} {problem}.")
        seen.add(entry["name"])
        seeds.append(Seed(**{k: entry[k] for k in _FIELD_TYPES}))
    return tuple(sorted(seeds, key=lambda s: (s.style, s.name)))


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[Seed, ...]:
    """The bundled seeds, read once."""
    return read_index(SEEDS_DIR / INDEX_NAME)


def list_seeds(style: str | None = None) -> list[Seed]:
    """The bundled seeds, sorted by style then name; only ``style``'s if given."""
    return [s for s in _bundled() if style is None or s.style == style]


def is_seed_spec(spec: object) -> bool:
    """True when ``spec`` is a ``seed:NAME`` string."""
    return isinstance(spec, str) and spec.startswith(SEED_PREFIX)


def get_seed(name: str) -> Seed:
    """The bundled seed called ``name`` (a leading ``seed:`` is allowed).

    Raises SeedNotFoundError, suggesting close names, when there is none.
    """
    name = name[len(SEED_PREFIX):] if is_seed_spec(name) else name
    seeds = {s.name: s for s in _bundled()}
    if name in seeds:
        return seeds[name]
    close = difflib.get_close_matches(name.lower(), list(seeds), n=3, cutoff=0.5)
    if close:
        options = ", ".join(SEED_PREFIX + c for c in close)
        raise SeedNotFoundError(f"There is no bundled seed named '{name}'; did you mean {options}?")
    raise SeedNotFoundError(f"There is no bundled seed named '{name}'; 'cadenza seeds' lists them all.")


def resolve(spec: str | Path) -> Path:
    """``seed:NAME`` -> that seed's file; any other string -> ``Path(spec)`` unchanged."""
    if is_seed_spec(spec):
        return get_seed(spec[len(SEED_PREFIX):]).path
    return Path(spec)
