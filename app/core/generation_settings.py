"""Where a generation's seed and style song come from, as JSON-able *source* records.

A source is a bundled seed (``seed:NAME``), a file, or the notes of a
selection (kept whole, since the selection itself does not last). It travels
in the provenance of every inserted phrase (``app.core.provenance``), so the
phrase can be regenerated exactly. The panel's numeric controls, which come
from the options table in ``models/common/options.py``, live in
``app/services/generation_controls.py``.

Pure: no Qt, no torch (reading a file goes through ``formats.load_score``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from app.core.score import Score

# -- seed and style sources ---------------------------------------------------------------------

NO_SOURCE: dict[str, Any] = {"kind": "none"}


def bundled_source(spec: str) -> dict[str, Any]:
    """A bundled seed, ``seed:NAME``."""
    return {"kind": "seed", "spec": spec}


def file_source(path: str | Path) -> dict[str, Any]:
    return {"kind": "file", "spec": str(Path(path).resolve())}


def selection_source(score: Score) -> dict[str, Any]:
    """Notes taken from the piano roll, kept whole (the selection itself does not last)."""
    from app.core.project import score_to_dict

    return {"kind": "selection", "score": score_to_dict(score)}


def source_label(source: Mapping[str, Any]) -> str:
    """A short name for a source: the seed's name, the file's name, or 'the selection'."""
    kind = source.get("kind")
    if kind == "seed":
        return str(source.get("spec", ""))[len("seed:"):]
    if kind == "file":
        return Path(str(source.get("spec", ""))).name
    if kind == "selection":
        return "the selection"
    return "nothing"


def load_source(source: Mapping[str, Any]) -> Score | None:
    """The score a source names (None for none); CadenzaError in one sentence when it cannot be read."""
    kind = source.get("kind")
    if kind in ("seed", "file"):
        from app.core.formats import load_score

        return load_score(str(source["spec"]))
    if kind == "selection":
        from app.core.errors import CadenzaError
        from app.core.project import score_from_dict

        try:
            return score_from_dict(source["score"])
        except (KeyError, TypeError, ValueError):
            raise CadenzaError("The seed notes stored with this phrase are damaged.") from None
    return None


def source_seed_text(source: Mapping[str, Any]) -> str | None:
    """The ABC text ABC models continue, when the source is an ABC file (else None)."""
    if source.get("kind") in ("seed", "file"):
        return abc_seed_text(str(source["spec"]))
    return None


def abc_seed_text(spec: str | Path | None) -> str | None:
    """An ABC seed's own text (its first tune), which ABC models continue verbatim; None for other files.

    The file header's ``M:``, ``L:`` and ``Q:`` fields (before the first ``X:``, as
    abcm2ps collections write them) are defaults for every tune: they are put
    right after the tune's ``X:`` line, where the tune's own fields override them.
    """
    from app.core.formats import resolve

    if not spec or resolve(spec).suffix.lower() != ".abc":
        return None
    from app.core.abc.tunes import read_text

    text = read_text(resolve(spec)).replace("\r\n", "\n").replace("\r", "\n")
    pieces = re.split(r"(?m)^(?=[ \t]*X:)", text)
    header = "" if pieces[0].lstrip().startswith("X:") else pieces[0]
    tunes = [p for p in pieces if p.lstrip().startswith("X:")]
    if not tunes:
        return text
    defaults = [line.strip() for line in header.splitlines() if _HEADER_DEFAULT.match(line)]
    first, _, rest = tunes[0].partition("\n")
    return "\n".join([first, *defaults, rest]) if defaults else tunes[0]


_HEADER_DEFAULT = re.compile(r"\s*[MLQ]:")
