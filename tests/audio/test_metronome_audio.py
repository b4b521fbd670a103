"""The metronome in the rendered audio: clicks on the beats in live playback, never in exports."""

from __future__ import annotations

import numpy as np
import pytest

from app.audio.stream import PlayRequest, play_blocks
from app.core.metronome import Metronome, click_notes
from app.core.score import Note, Score, TempoChange, TimeSignature, Track

from audio_helpers import SAMPLE_RATE, rms

ON = Metronome(enabled=True, volume=1.0, accent=True)
WINDOW = SAMPLE_RATE // 20  # 50 ms


def sketch(bpm: float = 120.0, sigs=((0, 4, 4),), tempos=None) -> Score:
    """One short A4 on beat one of bar one; silence on every other beat of two bars."""
    track = Track("piano", 0, False, (Note(start=0, pitch=69, duration=240, velocity=90),))
    return Score(tracks=(track,), ppq=480, tempos=tempos or (TempoChange(0, bpm),),
                 time_signatures=tuple(TimeSignature(*s) for s in sigs))


def level_at(audio: np.ndarray, second: float) -> float:
    start = int(second * SAMPLE_RATE)
    return rms(audio[start:start + WINDOW])


def played(synth, score: Score, metronome: Metronome | None, request: PlayRequest) -> np.ndarray:
    blocks = play_blocks(synth, lambda: score, request, 1024, (lambda: metronome) if metronome else None)
    return np.concatenate([b.audio for b in blocks])


def test_clicks_sound_on_the_beats_where_the_score_is_silent(synth):
    score = sketch()
    request = PlayRequest(0, end_tick=2 * 1920)  # two bars of 4/4 at 120 BPM: a beat every 0.5 s
    plain, clicked = played(synth, score, None, request), played(synth, score, ON, request)
    assert len(clicked) >= len(plain) == 4 * SAMPLE_RATE  # the last click may ring past the end
    for beat in range(1, 8):  # beat one of bar one has the note; beats 2..8 are silent in the score
        at = beat * 0.5
        assert level_at(clicked, at) > 0.02 > 20 * level_at(plain, at), beat  # a click on each beat
        assert level_at(clicked, at) > 20 * level_at(clicked, at + 0.25), beat  # and none between beats
    accent, other = level_at(clicked, 2.0), level_at(clicked, 2.5)  # beat one of bar two against beat two
    assert accent > 1.3 * other


def test_clicks_follow_a_meter_change_and_a_tempo_change(synth):
    # bar 1 in 3/4 at 120 BPM (beats at 0, 0.5, 1.0 s), bar 2 in 6/8 at 60 BPM from tick 1440 (1.5 s):
    # dotted quarters of 1.5 s each, at 1.5 and 3.0 s
    score = sketch(sigs=((0, 3, 4), (1440, 6, 8)), tempos=(TempoChange(0, 120.0), TempoChange(1440, 60.0)))
    assert [t for t, _, _ in click_notes(score, 0, 2880, ON)] == [0, 480, 960, 1440, 2160]
    clicked = played(synth, score, ON, PlayRequest(0, end_tick=2880))
    for second in (0.5, 1.0, 1.5, 3.0):
        assert level_at(clicked, second) > 1e-3, second
    click = level_at(clicked, 3.0)
    for second in (2.0, 2.5):  # where a 120 BPM quarter or an eighth of the 6/8 would fall: only a dying tail
        assert level_at(clicked, second) < click / 30, second
    assert level_at(clicked, 1.5) > 1.3 * click  # beat one of the 6/8 bar is accented


def test_a_loop_clicks_on_every_pass_and_off_means_off(synth):
    score = sketch()
    blocks = play_blocks(synth, lambda: score, PlayRequest(0, loop=(0, 960)), 1024, lambda: ON)
    audio = []
    for block in blocks:
        audio.append(block.audio)
        if sum(len(a) for a in audio) >= 3 * SAMPLE_RATE:
            break
    blocks.close()
    audio = np.concatenate(audio)
    for second in (0.5, 1.5, 2.5):  # beat two of each one-second pass
        assert level_at(audio, second) > 1e-3, second
    silent = played(synth, score, Metronome(enabled=False), PlayRequest(0, end_tick=1920))
    assert level_at(silent, 1.0) < 1e-4


def test_a_render_with_clicks_leaves_no_trace_in_the_next_render(synth):
    score = sketch()
    before = synth.render(score)
    list(synth.render_blocks(score, clicks=click_notes(score, 0, 1920, ON)))
    assert np.array_equal(synth.render(score), before)


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mid"])
def test_exports_are_byte_identical_with_the_metronome_on_and_off(tmp_path, qapp_settings, suffix):
    from app.services.files import export_file

    score = sketch()
    outputs = []
    for enabled in (False, True):
        qapp_settings.metronome_enabled = enabled
        qapp_settings.metronome_volume = 100
        path = tmp_path / f"{enabled}{suffix}"
        export_file(score, path, sample_rate=SAMPLE_RATE)
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 50


@pytest.fixture
def qapp_settings(tmp_path):
    """The app's settings in a temporary INI file (no Qt application needed for QSettings)."""
    from PySide6.QtCore import QSettings

    from app.settings import Settings

    return Settings(QSettings(str(tmp_path / "cadenza.ini"), QSettings.Format.IniFormat))
