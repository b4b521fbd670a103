"""The tarball's install.sh places Cadenza under a prefix (command, desktop entry, icons, metainfo, MIME type)
and uninstall.sh takes all of it away again; tried on a stand-in bundle, so no PyInstaller build is needed."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))
from make_tarball import APP_ID, build_tarball, share_files, tarball_name  # noqa: E402


def stand_in_bundle(folder: Path) -> Path:
    bundle = folder / "Cadenza"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "cadenza"
    exe.write_text("#!/bin/sh\necho cadenza stand-in \"$@\"\n")
    exe.chmod(0o755)
    return bundle


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def test_install_then_uninstall_leaves_nothing(tmp_path):
    tarball = build_tarball(stand_in_bundle(tmp_path / "dist"), tmp_path / "out", "9.8.7")
    assert tarball.name == f"{tarball_name('9.8.7')}.tar.gz"
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    top = tmp_path / "unpacked" / tarball_name("9.8.7")
    prefix = tmp_path / "home with space" / ".local"
    env = {**os.environ, "PREFIX": str(prefix), "HOME": str(tmp_path / "home with space")}

    done = subprocess.run([str(top / "install.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Cadenza is installed" in done.stdout
    for dest in share_files():
        assert (prefix / "share" / dest).is_file(), dest
    ran = subprocess.run([str(prefix / "bin" / "cadenza"), "--version"], capture_output=True, text=True)
    assert ran.stdout.strip() == "cadenza stand-in --version"
    desktop = (prefix / "share" / "applications" / f"{APP_ID}.desktop").read_text()
    assert f'Exec="{prefix}/lib/cadenza/cadenza" %F' in desktop.splitlines()
    assert (prefix / "share" / "mime" / "globs2").is_file()  # update-mime-database ran on the prefix

    again = subprocess.run([str(top / "install.sh")], env=env, capture_output=True, text=True)  # over itself
    assert again.returncode == 0, again.stderr

    gone = subprocess.run([str(prefix / "lib" / "cadenza" / "uninstall.sh")], env=env, capture_output=True,
                          text=True)
    assert gone.returncode == 0, gone.stderr
    assert not (prefix / "lib" / "cadenza").exists() and not (prefix / "bin" / "cadenza").exists()
    left = {p.relative_to(prefix).as_posix() for p in files_under(prefix)}
    assert not {p for p in left if "cadenza" in p.lower()}, left  # the MIME caches are rebuilt, without ours
