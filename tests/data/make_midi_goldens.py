"""Regenerate the golden MIDI files under tests/data/midi (written with mido directly).

    .venv/bin/python tests/data/make_midi_goldens.py
"""

from pathlib import Path

import mido

HERE = Path(__file__).parent / "midi"


def multitrack() -> mido.MidiFile:
    """Type 1: tempo and meter changes, key, piano + bass + drums, varied velocities,
    an overlapping same-pitch pair, a running-status note-off (note_on vel 0)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack([
        mido.MetaMessage("track_name", name="Golden", time=0),
        mido.MetaMessage("set_tempo", tempo=500000, time=0),
        mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
        mido.MetaMessage("key_signature", key="D", time=0),
        mido.MetaMessage("time_signature", numerator=3, denominator=4, time=1920),
        mido.MetaMessage("set_tempo", tempo=400000, time=0),
        mido.MetaMessage("end_of_track", time=0),
    ])
    piano = mido.MidiTrack([
        mido.MetaMessage("track_name", name="Piano", time=0),
        mido.Message("program_change", channel=0, program=0, time=0),
        mido.Message("note_on", channel=0, note=62, velocity=100, time=0),
        mido.Message("note_on", channel=0, note=66, velocity=80, time=0),
        mido.Message("note_off", channel=0, note=62, velocity=0, time=480),
        mido.Message("note_on", channel=0, note=66, velocity=0, time=0),
        # overlapping same pitch: 69 at 960, re-struck at 1200, offs at 1440 and 1680
        mido.Message("note_on", channel=0, note=69, velocity=90, time=480),
        mido.Message("note_on", channel=0, note=69, velocity=70, time=240),
        mido.Message("note_off", channel=0, note=69, velocity=0, time=240),
        mido.Message("note_off", channel=0, note=69, velocity=0, time=240),
        mido.Message("note_on", channel=0, note=74, velocity=127, time=240),
        mido.Message("note_off", channel=0, note=74, velocity=0, time=1440),
        mido.MetaMessage("end_of_track", time=0),
    ])
    bass = mido.MidiTrack([
        mido.MetaMessage("track_name", name="Bass", time=0),
        mido.Message("program_change", channel=1, program=33, time=0),
        mido.Message("note_on", channel=1, note=38, velocity=96, time=0),
        mido.Message("note_off", channel=1, note=38, velocity=64, time=1920),
        mido.Message("note_on", channel=1, note=45, velocity=96, time=0),
        mido.Message("note_off", channel=1, note=45, velocity=64, time=1440),
        mido.MetaMessage("end_of_track", time=0),
    ])
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name="Drums", time=0)])
    for i in range(8):
        drums.append(mido.Message("note_on", channel=9, note=36 if i % 2 == 0 else 38, velocity=100 - i, time=0 if i == 0 else 240))
        drums.append(mido.Message("note_off", channel=9, note=36 if i % 2 == 0 else 38, velocity=0, time=240))
    drums.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.extend([conductor, piano, bass, drums])
    return mid


def type0() -> mido.MidiFile:
    """Type 0: two channels with different programs in one track."""
    mid = mido.MidiFile(type=0, ticks_per_beat=96)
    mid.tracks.append(mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=600000, time=0),
        mido.Message("program_change", channel=0, program=40, time=0),
        mido.Message("program_change", channel=2, program=42, time=0),
        mido.Message("note_on", channel=0, note=76, velocity=64, time=0),
        mido.Message("note_on", channel=2, note=48, velocity=50, time=0),
        mido.Message("note_off", channel=0, note=76, velocity=0, time=96),
        mido.Message("note_on", channel=0, note=79, velocity=64, time=0),
        mido.Message("note_off", channel=2, note=48, velocity=0, time=96),
        mido.Message("note_off", channel=0, note=79, velocity=0, time=0),
        mido.MetaMessage("end_of_track", time=0),
    ]))
    return mid


if __name__ == "__main__":
    HERE.mkdir(parents=True, exist_ok=True)
    multitrack().save(HERE / "multitrack.mid")
    type0().save(HERE / "type0.mid")
    print("wrote", HERE)
