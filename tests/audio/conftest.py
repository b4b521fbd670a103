"""Shared fixtures for the audio tests: one real FluidSynth for the whole session."""

from __future__ import annotations

import pytest

from app.audio.synth import Synth

from audio_helpers import SAMPLE_RATE


@pytest.fixture(scope="session")
def synth():
    """One Synth (real SoundFont) shared by the whole session, as the app shares one."""
    s = Synth(sample_rate=SAMPLE_RATE)
    yield s
    s.close()
