"""SoundFont discovery: explicit path, setting, $CADENZA_SOUNDFONT, system paths, clear errors."""

from __future__ import annotations

import shutil
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


def test_bad_environment_value_is_an_error_not_a_silent_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone.sf2"))
    with pytest.raises(SoundFontError, match="gone.sf2"):
        find_soundfont()


def test_nothing_found_says_what_to_install(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(soundfonts, "system_candidates", lambda: [])
    with pytest.raises(SoundFontError) as info:
        find_soundfont()
    message = str(info.value)
    assert "fluid-soundfont-gm" in message and ENV_VAR in message
    assert message.count(".") <= 3 and "\n" not in message  # one sentence
