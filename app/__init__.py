"""Cadenza: a desktop sketchpad for composers who work with neural generators.

``__version__`` has one source, pyproject.toml's ``[project] version``: read from the file in a
checkout (so a bump shows before the next install), else from the installed package's metadata
(a wheel, or the PyInstaller bundle, which carries that metadata).
"""

from __future__ import annotations

from pathlib import Path


def _version() -> str:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        if project.get("name") == "cadenza":
            return str(project["version"])
    except (OSError, ValueError, KeyError):
        pass
    from importlib import metadata

    try:
        return metadata.version("cadenza")
    except metadata.PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
