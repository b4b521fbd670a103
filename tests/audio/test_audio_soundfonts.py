"""SoundFont discovery: explicit path, setting, $CADENZA_SOUNDFONT (a stale one warned about), system paths, clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.audio import soundfonts
from app.audio.soundfonts import ENV_VAR, find_soundfont, is_soundfont
from app.core.errors import SoundFontError

SYSTEM_SF2 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


@pytest.fixture
def fake_sf2(tmp_path):
    """A tiny file with a RIFF sfbk header (enough for discovery, not for FluidSynth)."""
    path = tmp_path / "tiny.sf2"
    path.write_bytes(b"RIFF" + (4).to_bytes(4, "little") + b"sfbk")
    return path


def test_system_soundfont_is_found(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    found = find_soundfont()
    assert is_soundfont(found)
    assert found == SYSTEM_SF2


def test_explicit_then_setting_then_environment(monkeypatch, fake_sf2, tmp_path):
    other = tmp_path / "other.sf2"
    shutil.copy(fake_sf2, other)
    monkeypatch.setenv(ENV_VAR, str(other))
    assert find_soundfont() == other
    assert find_soundfont(setting=str(fake_sf2)) == fake_sf2
    assert find_soundfont(explicit=other, setting=str(fake_sf2)) == other


def test_missing_explicit_path_is_named(tmp_path):
    missing = tmp_path / "missing.sf2"
    with pytest.raises(SoundFontError, match="missing.sf2") as info:
        find_soundfont(missing)
    assert "does not exist" in str(info.value)


def test_file_that_is_not_a_soundfont(tmp_path):
    bogus = tmp_path / "notes.sf2"
    bogus.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    with pytest.raises(SoundFontError, match="not a SoundFont"):
        find_soundfont(bogus)


def test_a_stale_environment_value_is_warned_about_once_and_the_system_soundfont_used(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone.sf2"))
    assert find_soundfont() == SYSTEM_SF2
    assert find_soundfont() == SYSTEM_SF2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"warning: The SoundFont {tmp_path / 'gone.sf2'} (from {ENV_VAR}) does not exist; "
                   f"using {SYSTEM_SF2} instead."]


def test_a_stale_environment_value_without_a_system_soundfont_is_the_error(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone.sf2"))
    monkeypatch.setattr(soundfonts, "system_candidates", lambda: [])
    with pytest.raises(SoundFontError, match="gone.sf2"):
        find_soundfont()


def test_a_stale_environment_value_does_not_block_rendering(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, ENV_VAR: "/nonexistent/FluidR3_GM.sf2", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-m", "app", "render", "seed:fishers-hornpipe", "--out",
                           str(tmp_path / "a.wav")], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"warning: The SoundFont /nonexistent/FluidR3_GM.sf2 (from {ENV_VAR}) "
                                        f"does not exist; using {SYSTEM_SF2} instead."]
    assert (tmp_path / "a.wav").stat().st_size > 100_000


def test_a_setting_that_names_no_soundfont_is_still_the_error(tmp_path):
    with pytest.raises(SoundFontError, match="from the settings"):
        find_soundfont(setting=tmp_path / "gone.sf2")


def test_nothing_found_says_what_to_install(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(soundfonts, "system_candidates", lambda: [])
    with pytest.raises(SoundFontError) as info:
        find_soundfont()
    message = str(info.value)
    assert "fluid-soundfont-gm" in message and ENV_VAR in message
    assert message.count(".") <= 3 and "\n" not in message  # one sentence
