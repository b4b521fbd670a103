"""Cadenza in an unfriendly environment: a read-only home, another user's install, unwritable folders.

The subprocess tests mount folders read-only in a private mount namespace
(``unshare -m``; root only, as in the test container), so they hold for root
too, for whom file modes mean nothing; elsewhere they are skipped. Installed
by another user, librosa's folder is read-only for the one running Cadenza:
mounting it read-only is that situation.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app.core import notices, paths
from app.core.errors import CadenzaError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "resources" / "seeds"
CONFINE = """set -e
IFS=:
for folder in $CADENZA_TEST_READ_ONLY; do
  mount --bind "$folder" "$folder"
  mount -o remount,ro,bind "$folder"
done
unset IFS
exec "$@"
"""


def _can_confine() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


def _confinement(test):
    """Tests that need a private mount namespace; they fail (never skip) where there is none."""
    def run(*args, **kwargs):
        assert _can_confine(), "these tests need unshare -m and mount (root, util-linux)"
        return test(*args, **kwargs)
    return functools.wraps(test)(run)


confinement = _confinement


def run_confined(args: list[str], read_only: list[Path], env: dict[str, str], cwd: Path,
                 timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``[python, -m, app, *args]`` with ``read_only`` folders mounted read-only for it alone."""
    env = {**env, "CADENZA_TEST_READ_ONLY": ":".join(str(p) for p in read_only), "PYTHONPATH": str(ROOT)}
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", CONFINE, "sh",
                           sys.executable, "-m", "app", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a user whose home is ``home``, with none of the test run's overrides."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CADENZA_", "XDG_", "NUMBA_", "MPLCONFIGDIR"))}
    env["HOME"] = str(home)
    return env


def librosa_folder() -> Path:
    import importlib.util

    return Path(list(importlib.util.find_spec("librosa").submodule_search_locations)[0])


@confinement
def test_training_with_a_read_only_home_uses_a_temporary_cache_and_says_so(tmp_path):
    home, data, scratch = tmp_path / "home", tmp_path / "tunes", tmp_path / "tmp"
    for folder in (home, data, scratch):
        folder.mkdir()
    for name in ("afton-water.abc", "fishers-hornpipe.abc", "swallowtail-jig.abc"):
        shutil.copy(SEEDS / name, data)
    env = {**clean_env(home), "TMPDIR": str(scratch)}
    done = run_confined(["train", "--model", "markov", "--data", str(data), "--out", str(tmp_path / "run")],
                        [home], env, tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith(("warning", "error"))]
    assert warnings == [f"warning: The cache folder {home}/.cache/Cadenza cannot be written (read-only file "
                        f"system); using a temporary one, {scratch}/cadenza-cache-{os.getuid()}, for now."]
    assert (tmp_path / "run").is_dir() and list((scratch / f"cadenza-cache-{os.getuid()}" / "corpus").iterdir())


@confinement
def test_the_spectrogram_works_for_another_user_than_the_installer(tmp_path):
    # librosa's folder is not ours to write (numba caches its compiled code there) and neither is the home.
    # The temporary cache is the system's, shared by runs: the first one compiles (seconds to a minute).
    home = tmp_path / "home"
    home.mkdir()
    done = run_confined(["spectrogram", "seed:fishers-hornpipe", "--out", str(tmp_path / "a.png")],
                        [home, librosa_folder()], clean_env(home), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
    fallback = Path(tempfile.gettempdir()) / f"cadenza-cache-{os.getuid()}"
    assert done.stderr.splitlines() == [f"warning: The cache folder {home}/.cache/Cadenza cannot be written "
                                        f"(read-only file system); using a temporary one, {fallback}, for now."]
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((fallback / "numba").iterdir())  # numba's cache went there


@pytest.fixture
def fresh_notices(monkeypatch, tmp_path):
    """Warnings said in this test only; the temporary cache under ``tmp_path``."""
    monkeypatch.setattr(notices, "_said", [])
    monkeypatch.setattr(paths, "_fallback_root", None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()


def test_an_unwritable_cache_folder_falls_back_once_with_one_warning(tmp_path, monkeypatch, capsys, fresh_notices):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(blocker))
    first, again = paths.corpus_cache_dir(), paths.corpus_cache_dir()
    assert first == again and first.is_dir() and first.is_relative_to(tmp_path / "tmp")
    (first / "entry.json").write_text("{}")
    err = capsys.readouterr().err.splitlines()
    assert err == [f"warning: The cache folder {blocker} cannot be written (not a directory); "
                   f"using a temporary one, {first.parent}, for now."]
    heard = []
    notices.add_listener(heard.append)
    try:
        assert paths.cache_dir("numba").parent == first.parent
    finally:
        notices.remove_listener(heard.append)
    assert heard == []  # said once


def test_a_writable_cache_folder_is_used_silently(tmp_path, monkeypatch, capsys, fresh_notices):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    assert paths.corpus_cache_dir() == tmp_path / "cache" / "corpus"
    assert (tmp_path / "cache" / "corpus").is_dir() and capsys.readouterr().err == ""


def test_an_unwritable_models_folder_is_named_in_one_sentence(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(blocker / "models"))
    with pytest.raises(CadenzaError) as info:
        paths.writable_models_dir()
    assert str(info.value) == (f"The models folder {blocker / 'models'} cannot be written (not a directory); train "
                               "into another folder with --out, or set CADENZA_MODELS_DIR to one you can write.")
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    assert paths.writable_models_dir() == tmp_path / "models" and (tmp_path / "models").is_dir()


def test_numba_gets_a_cache_folder_it_can_write_only_when_librosa_s_is_read_only(tmp_path, monkeypatch):
    # the end-to-end case is test_the_spectrogram_works_for_another_user_than_the_installer; this is the decision
    from app.audio import spectrum

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    if "numba" in sys.modules:  # restored after the test
        monkeypatch.setattr(sys.modules["numba"].config, "CACHE_DIR", sys.modules["numba"].config.CACHE_DIR)
    installed = tmp_path / "site" / "librosa" / "core" / "__pycache__"
    installed.mkdir(parents=True)
    monkeypatch.setattr(spectrum, "_librosa_cache", lambda: installed)
    spectrum.prepare_caches()
    assert "NUMBA_CACHE_DIR" not in os.environ  # the installer's compiled functions are used
    writable = spectrum._writable
    monkeypatch.setattr(spectrum, "_writable", lambda folder: folder != installed and writable(folder))
    spectrum.prepare_caches()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "cache" / "numba")
    if "numba" in sys.modules:
        assert sys.modules["numba"].config.CACHE_DIR == str(tmp_path / "cache" / "numba")
