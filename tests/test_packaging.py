"""packaging/: the desktop entry and AppStream metainfo validate, the MIME type maps .cadenza, the icons exist
at their sizes, and the version is pyproject's everywhere (issue 22). Fast: no bundle is built here."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app import __version__
from app.services.files import OPEN_EXTS

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.cadenza.Cadenza"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
MIME_XML = PACKAGING / "cadenza-project.xml"
PROJECT_TYPE = "application/x-cadenza-project"
MIME_OF_EXT = {".mid": "audio/midi", ".midi": "audio/midi", ".abc": "text/vnd.abc",
               ".musicxml": "application/vnd.recordare.musicxml+xml",
               ".xml": "application/vnd.recordare.musicxml+xml", ".mxl": "application/vnd.recordare.musicxml",
               ".cadenza": PROJECT_TYPE}
sys.path.insert(0, str(PACKAGING))
from render_icons import SIZES, SVG, png_path  # noqa: E402


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install the Debian package {package} (make setup does).")
    return path


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_validates():
    result = subprocess.run([tool("desktop-file-validate", "desktop-file-utils"), str(DESKTOP)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_desktop_entry_opens_every_format_cadenza_opens():
    entry = desktop_entry()
    assert entry["Exec"] == "cadenza %F" and entry["Icon"] == "cadenza"
    assert entry["Categories"].rstrip(";").split(";") == ["Audio", "AudioVideo", "Music", "Midi"]
    assert set(OPEN_EXTS) == set(MIME_OF_EXT)
    assert set(MIME_OF_EXT.values()) <= set(entry["MimeType"].rstrip(";").split(";"))


def test_metainfo_validates_offline():
    result = subprocess.run([tool("appstreamcli", "appstream"), "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID and root.findtext("launchable") == DESKTOP.name
    assert root.find("content_rating").get("type") == "oars-1.1"
    assert root.findtext("project_license") == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]


def test_metainfo_screenshots_are_files_in_docs_at_the_homepage():
    root = ET.parse(METAINFO).getroot()
    home = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
    assert root.findtext("url[@type='homepage']") == home
    raw = home.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"
    images = root.findall("screenshots/screenshot/image")
    assert images and root.find("screenshots/screenshot").get("type") == "default"
    for image in images:
        assert image.text.startswith(raw + "docs/")
        png = (ROOT / image.text.removeprefix(raw)).read_bytes()[:24]
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (int(image.get("width")), int(image.get("height")))


def test_mime_type_maps_cadenza_projects(tmp_path):
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime_type = ET.parse(MIME_XML).getroot().find("m:mime-type", ns)
    assert mime_type.get("type") == PROJECT_TYPE
    assert [g.get("pattern") for g in mime_type.findall("m:glob", ns)] == ["*.cadenza"]
    (tmp_path / "packages").mkdir()
    shutil.copy(MIME_XML, tmp_path / "packages")
    subprocess.run([tool("update-mime-database", "shared-mime-info"), str(tmp_path)], check=True,
                   capture_output=True)
    globs = (tmp_path / "globs2").read_text().splitlines()
    assert any(line.split(":")[1:3] == [PROJECT_TYPE, "*.cadenza"] for line in globs), globs


@pytest.mark.parametrize("size", SIZES)
def test_icon_png_has_its_size(size):
    header = png_path(size).read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (size, size)


def test_icon_svg_is_drawn_for_cadenza():
    root = ET.parse(SVG).getroot()
    assert root.get("viewBox") == "0 0 256 256"
    assert not root.findall(".//{http://www.w3.org/2000/svg}image")  # drawn, no embedded artwork


def test_the_version_is_pyprojects_everywhere():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert __version__ == version
    releases = ET.parse(METAINFO).getroot().find("releases")
    assert releases.find("release").get("version") == version  # the newest release comes first
    cli = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == 0 and cli.stdout.strip() == f"cadenza {version}", cli.stdout + cli.stderr
