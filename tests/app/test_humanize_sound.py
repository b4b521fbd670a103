"""A humanized performance's velocities and exact ticks reach what is heard and what is exported.

Real bytes: the exported MIDI file is read back message by message with mido; real sound: the blocks
playback streams and the exported WAV file are rendered by FluidSynth with the real SoundFont.
"""

import mido
import numpy as np
import pytest
import soundfile

from app.audio.stream import PlayRequest, play_blocks
from app.audio.synth import Synth
from app.core.score import Note, Score, TempoChange, Track
from app.services.files import export_file

RATE = 22050
# a played line: off the 1/16 grid (120 ticks), every velocity its own
PLAYED = (Note(0, 60, 233, 23), Note(247, 62, 200, 57), Note(489, 64, 251, 101), Note(731, 65, 470, 127))


def played_score() -> Score:
    return Score(tracks=(Track("Piano", 0, False, PLAYED),), ppq=480, tempos=(TempoChange(0, 100.0),))


def test_an_exported_midi_file_carries_each_notes_velocity_and_exact_ticks(tmp_path):
    path = export_file(played_score(), tmp_path / "played.mid").path
    mid = mido.MidiFile(str(path))
    assert mid.ticks_per_beat == 480
    ons, tick = [], 0
    for msg in mid.tracks[1]:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            ons.append((tick, msg.note, msg.velocity))
    assert ons == [(n.start, n.pitch, n.velocity) for n in PLAYED]


@pytest.fixture(scope="module")
def synth():
    s = Synth(sample_rate=RATE)
    yield s
    s.close()


def loudness_of_two_notes(audio: np.ndarray) -> tuple[float, float]:
    """RMS of the first 0.4 s after each note-on (at 0 s and 1 s)."""
    window = int(0.4 * RATE)
    return tuple(float(np.sqrt(np.mean(np.square(audio[s:s + window], dtype=np.float64)))) for s in (0, RATE))


def soft_then_loud() -> Score:
    """The same C4 twice, one second apart (120 BPM): velocity 30, then 110."""
    notes = (Note(0, 60, 480, 30), Note(960, 60, 480, 110))
    return Score(tracks=(Track("Piano", 0, False, notes),), ppq=480, tempos=(TempoChange(0, 120.0),))


def test_playback_and_the_wav_export_play_a_louder_velocity_louder(synth, tmp_path):
    score = soft_then_loud()
    played = np.concatenate([b.audio for b in play_blocks(synth, lambda: score, PlayRequest(0))])
    soft, loud = loudness_of_two_notes(played)
    assert soft > 1e-4 and loud > 2 * soft  # the velocity is heard, not a fixed one
    path = export_file(score, tmp_path / "two.wav", sample_rate=RATE).path
    written, rate = soundfile.read(str(path), dtype="float32")
    assert rate == RATE
    soft_w, loud_w = loudness_of_two_notes(written)
    assert loud_w > 2 * soft_w and soft_w > 1e-4
