"""Finding a General MIDI SoundFont (.sf2) to render with.

Search order: the path given explicitly, the app setting, the
``CADENZA_SOUNDFONT`` environment variable, then the usual system folders of
Linux distributions and Homebrew. When nothing is found the error says what
to install; an environment variable naming no SoundFont is warned about and
passed over when the system has one.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.errors import SoundFontError
from app.core.notices import warn_once

ENV_VAR = "CADENZA_SOUNDFONT"

# Preferred files first, then any .sf2 in the usual folders.
SYSTEM_FILES = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
)
SYSTEM_DIRS = (
    "/usr/share/soundfonts",
    "/usr/share/sounds/sf2",
    "/usr/local/share/soundfonts",
    "/opt/homebrew/share/soundfonts",
    "~/.local/share/soundfonts",
)

NOT_FOUND = ("No General MIDI SoundFont found: install fluid-soundfont-gm (Debian/Ubuntu) "
             f"or set {ENV_VAR} to a .sf2 file.")


def is_soundfont(path: Path) -> bool:
    """True when ``path`` is a readable file starting with a RIFF ``sfbk`` header."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return len(head) == 12 and head[:4] == b"RIFF" and head[8:12] == b"sfbk"


def _checked(value: str | os.PathLike, origin: str) -> Path:
    """The path ``value`` came from ``origin``; raise SoundFontError unless it is a SoundFont."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise SoundFontError(f"The SoundFont {path} ({origin}) does not exist.")
    if not is_soundfont(path):
        raise SoundFontError(f"The file {path} ({origin}) is not a SoundFont (.sf2).")
    return path


def system_candidates() -> list[Path]:
    """SoundFonts in the usual system folders, preferred files first (may be empty)."""
    found: list[Path] = []
    for name in SYSTEM_FILES:
        path = Path(name)
        if path.is_file() and path not in found:
            found.append(path)
    for folder in SYSTEM_DIRS:
        base = Path(folder).expanduser()
        if not base.is_dir():
            continue
        try:
            files = sorted(p for p in base.iterdir() if p.suffix.lower() == ".sf2")
        except OSError:
            continue
        found.extend(p for p in files if p not in found)
    return found


def find_soundfont(explicit: str | os.PathLike | None = None,
                   setting: str | os.PathLike | None = None) -> Path:
    """The SoundFont to use: ``explicit``, then ``setting``, then $CADENZA_SOUNDFONT, then system paths.

    A path that is given (by argument or setting) but is missing or not a
    SoundFont raises :class:`SoundFontError` naming it, rather than silently
    falling back to another sound. A stale ``$CADENZA_SOUNDFONT`` (set once,
    long forgotten) does not block rendering: a warning names it, once, and
    a system SoundFont is used; without one it is the error.
    """
    if explicit:
        return _checked(explicit, "given explicitly")
    if setting:
        return _checked(setting, "from the settings")
    env = os.environ.get(ENV_VAR)
    if env:
        try:
            return _checked(env, f"from {ENV_VAR}")
        except SoundFontError as exc:  # a stale variable: fall back to the system's, and say so once
            found = _system_soundfont()
            if found is None:
                raise
            warn_once(f"{str(exc)[:-1]}; using {found} instead.")
            return found
    found = _system_soundfont()
    if found is None:
        raise SoundFontError(NOT_FOUND)
    return found


def _system_soundfont() -> Path | None:
    """The first SoundFont in the usual system folders, or None."""
    return next((path for path in system_candidates() if is_soundfont(path)), None)
