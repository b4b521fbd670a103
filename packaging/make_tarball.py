"""Pack the PyInstaller bundle into dist/cadenza-VERSION-linux-x86_64.tar.gz (``make package`` runs this).

    python packaging/make_tarball.py [BUNDLE [OUT_DIR]]     # defaults: dist/Cadenza, dist

The tarball holds one folder: ``Cadenza/`` (the bundle), ``share/`` (desktop entry, metainfo, MIME type and
icons, in the layout of ~/.local/share), ``install.sh`` and ``uninstall.sh``.
"""

from __future__ import annotations

import platform
import sys
import tarfile
import tomllib
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
APP_ID = "io.github.cadenza.Cadenza"


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def share_files() -> dict[str, Path]:
    """Where each desktop-integration file goes under share/ -> the file in packaging/."""
    files = {f"applications/{APP_ID}.desktop": PACKAGING / f"{APP_ID}.desktop",
             f"metainfo/{APP_ID}.metainfo.xml": PACKAGING / f"{APP_ID}.metainfo.xml",
             "mime/packages/cadenza-project.xml": PACKAGING / "cadenza-project.xml",
             "icons/hicolor/scalable/apps/cadenza.svg": PACKAGING / "icons" / "cadenza.svg"}
    for png in sorted((PACKAGING / "icons").glob("*x*/cadenza.png")):
        files[f"icons/hicolor/{png.parent.name}/apps/cadenza.png"] = png
    return files


def tarball_name(ver: str) -> str:
    return f"cadenza-{ver}-linux-{platform.machine() or 'x86_64'}"


def build_tarball(bundle: Path, out_dir: Path, ver: str | None = None) -> Path:
    """Write the tarball of ``bundle`` into ``out_dir``; returns its path."""
    if not (bundle / "cadenza").is_file():
        raise SystemExit(f"error: {bundle} holds no cadenza executable; run make package first.")
    top = tarball_name(ver or version())
    out = out_dir / f"{top}.tar.gz"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{top}/Cadenza")
        for script in ("install.sh", "uninstall.sh"):
            tar.add(PACKAGING / script, arcname=f"{top}/{script}")
        for dest, source in share_files().items():
            tar.add(source, arcname=f"{top}/share/{dest}")
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    bundle = Path(args[0]) if args else ROOT / "dist" / "Cadenza"
    print(build_tarball(bundle, Path(args[1]) if len(args) > 1 else ROOT / "dist"))
