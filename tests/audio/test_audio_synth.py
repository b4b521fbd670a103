"""Rendering with a real FluidSynth and SoundFont: pitch, timing, tails, drums, determinism."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from app.audio.synth import MELODIC_CHANNELS, Synth, _load_fluidsynth, assign_channels
from app.core.errors import AudioError, SoundFontError
from app.core.score import DRUM_CHANNEL, Score, Track

from audio_helpers import SAMPLE_RATE, dbfs, make_score, note_track, rms

A4 = make_score(note_track([(0, 69, 960, 100)]))  # one second at 120 bpm


def dominant_hz(audio: np.ndarray) -> float:
    mono = audio.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / SAMPLE_RATE)[np.argmax(spectrum)])


def test_a4_has_its_peak_at_440_hz(synth):
    audio = synth.render(A4)
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    assert dominant_hz(audio[:SAMPLE_RATE]) == pytest.approx(440.0, rel=0.02)


def test_one_second_note_length_level_and_trimmed_tail(synth):
    audio = synth.render(A4)
    seconds = len(audio) / SAMPLE_RATE
    assert 1.0 <= seconds <= 3.0  # the note plus its release, no long silent tail
    assert rms(audio[: SAMPLE_RATE // 2]) > 0.01  # clearly sounding during the note
    assert dbfs(audio[-SAMPLE_RATE // 100:]) > -90.0  # trimmed: the end is not digital silence
    assert np.any(audio[-SAMPLE_RATE // 10:] != 0.0)


def test_empty_score_gives_no_audio(synth):
    assert synth.render(Score()).shape == (0, 2)
    assert list(synth.render_blocks(make_score(Track("empty")))) == []


def test_blocks_concatenate_to_render(synth):
    score = make_score(note_track([(7, 60, 333, 100), (500, 64, 100, 90)], program=48),
                       note_track([(13, 36, 100, 110), (250, 38, 50, 100)], is_drum=True))
    blocks = list(synth.render_blocks(score, block_frames=300))
    assert all(len(b) == 300 for b in blocks[:-1]) and 0 < len(blocks[-1]) <= 300
    assert all(b.dtype == np.float32 and b.shape[1] == 2 for b in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks), synth.render(score))


def test_renders_are_identical_whatever_came_before(synth):
    score = make_score(note_track([(0, 60, 480), (240, 67, 480)], program=48),
                       note_track([(0, 36, 120), (480, 38, 120)], is_drum=True))
    other = make_score(note_track([(0, 55, 1920, 127)], program=52))
    first = synth.render(score)
    synth.render(other)  # long strings-and-choir tails must not leak into the next render
    second, third = synth.render(score), synth.render(score)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(second, third)


def test_notes_start_at_their_sample(synth):
    # 1.0 s and 1.2345 s at 120 bpm (ppq 480): ticks 960 and 1185.12 -> use exact ticks
    for tick in (960, 1185):
        onset_s = tick / 960
        audio = synth.render(make_score(note_track([(tick, 72, 480, 120)], program=0)))
        loud = np.flatnonzero(np.abs(audio).max(axis=1) > 1e-4)
        expected = round(onset_s * SAMPLE_RATE)
        assert expected <= loud[0] <= expected + 64 + 220  # FluidSynth's 64-frame grid + attack


def test_drums_are_audible_and_not_a_piano(synth):
    notes = [(i * 240, p, 120, 110) for i, p in enumerate((36, 38, 42, 46, 36, 38))]
    drums = synth.render(make_score(note_track(notes, is_drum=True)))
    piano = synth.render(make_score(note_track(notes, program=0)))
    assert rms(drums) > 0.01
    n = min(len(drums), len(piano))
    assert rms(drums[:n] - piano[:n]) > 0.5 * min(rms(drums[:n]), rms(piano[:n]))
    # cymbals and snare wires put power above 5 kHz; piano notes 36-46 (65-117 Hz) barely do
    def high_share(x):
        power = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
        return power[np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE) > 5000].sum() / power.sum()

    assert high_share(drums) > 10 * high_share(piano)


def test_restruck_note_sounds_until_its_own_end(synth):
    organ = 19  # sustains while held, stops quickly on release
    overlapped = synth.render(make_score(note_track([(0, 60, 960), (480, 60, 960)], program=organ)))
    alone = synth.render(make_score(note_track([(480, 60, 960)], program=organ)))
    window = slice(int(1.1 * SAMPLE_RATE), int(1.4 * SAMPLE_RATE))  # after the first note's end
    assert rms(overlapped[window]) > 0.5 * rms(alone[window]) > 0


def test_channel_assignment():
    tracks = [Track(f"m{i}", i % 3, False, ()) for i in range(3)]
    from app.core.score import Note
    with_notes = [t.with_notes([Note(0, 60, 10)]) for t in tracks]
    drums = Track("d", 0, True, (Note(0, 36, 10),))
    channels, programs = assign_channels(tuple(with_notes + [drums, Track("empty")]))
    assert channels == [0, 1, 2, DRUM_CHANNEL, -1]
    assert programs[DRUM_CHANNEL] == (128, 0) and programs[1] == (0, 1)
    many = tuple(Track(f"m{i}", i % 5, False, (Note(0, 60, 10),)) for i in range(20))
    channels, programs = assign_channels(many)
    assert DRUM_CHANNEL not in channels and len(set(channels)) == 5
    assert all(channels[i] == channels[i % 5] for i in range(20))
    sixteen = tuple(Track(f"m{i}", i, False, (Note(0, 60, 10),)) for i in range(15))
    assert assign_channels(sixteen)[0] == list(MELODIC_CHANNELS[:15])


def test_seventeen_tracks_render(synth):
    tracks = [note_track([(i * 60, 48 + i, 480, 90)], program=i % 4, name=f"t{i}") for i in range(17)]
    assert rms(synth.render(make_score(*tracks))) > 0.01


def test_second_render_in_the_same_thread_is_refused_not_deadlocked(synth):
    blocks = synth.render_blocks(A4)
    next(blocks)
    with pytest.raises(AudioError):
        synth.render(A4)
    blocks.close()
    assert len(synth.render(A4)) > 0


def test_closed_synth_refuses_to_render():
    s = Synth(sample_rate=22050)
    assert s.sample_rate == 22050
    assert len(s.render(A4)) > 0
    s.close()
    s.close()  # idempotent
    with pytest.raises(AudioError):
        s.render(A4)


def test_missing_soundfont_is_a_soundfont_error(tmp_path):
    missing = tmp_path / "nowhere.sf2"
    with pytest.raises(SoundFontError, match="nowhere.sf2"):
        Synth(soundfont=missing)


def test_missing_libfluidsynth_is_one_clear_sentence(monkeypatch):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # import fluidsynth -> ImportError
    with pytest.raises(AudioError, match="install libfluidsynth"):
        _load_fluidsynth()


def test_two_threads_never_interleave(synth):
    import threading

    scores = [A4, make_score(note_track([(0, 48, 480), (480, 55, 480)], program=33))]
    expected = [synth.render(s) for s in scores]
    results: dict[int, list[np.ndarray]] = {0: [], 1: []}

    def worker(k):
        for _ in range(3):
            results[k].append(np.concatenate(list(synth.render_blocks(scores[k], block_frames=512))))

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for k in (0, 1):
        assert len(results[k]) == 3
        for audio in results[k]:
            np.testing.assert_array_equal(audio, expected[k])


def test_a_render_that_can_wait_gives_up_when_cancelled_and_gives_way_to_one_that_cannot(synth):
    import threading
    import time

    def until(condition, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.005)
        return condition()

    holding = synth.render_blocks(A4, block_frames=256)
    next(holding)  # this thread has the synth
    cancel, got = threading.Event(), []
    polite = threading.Thread(target=lambda: got.append(list(synth.render_blocks(A4, cancelled=cancel.is_set))))
    polite.start()
    polite.join(0.2)
    assert polite.is_alive() and not synth.contended  # it waits, and a render that can wait is no contender
    cancel.set()
    polite.join(5)
    assert got == [[]]  # it gave up without rendering
    blocking = threading.Thread(target=lambda: got.append(len(synth.render(A4))))
    blocking.start()
    assert until(lambda: synth.contended)  # a render that cannot wait is waiting: the holder should give way
    holding.close()
    blocking.join(10)
    assert not synth.contended and got[-1] > 0


def test_int16_fallback_matches_float_rendering(synth, monkeypatch):
    reference = synth.render(A4)
    monkeypatch.setattr(synth, "_write_float", None)  # as with a library lacking write_float
    audio = synth.render(A4)
    assert audio.dtype == np.float32
    assert dominant_hz(audio[:SAMPLE_RATE]) == pytest.approx(440.0, rel=0.02)
    n = min(len(audio), len(reference))
    assert rms(audio[:n] - reference[:n]) < 0.01 * rms(reference)


def test_loading_fluidsynth_writes_nothing_on_standard_output_even_under_ci():
    """pyfluidsynth prints where it found the library when CI is set; our stdout (--json, pipes) stays clean."""
    import os
    import subprocess

    code = ("from app.audio.synth import _load_fluidsynth; from app.core.summary import gm_instrument_name; "
            "m = _load_fluidsynth(); print(gm_instrument_name(0) if m else 'none')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CI": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Acoustic Grand Piano\n"  # pretty_midi (which imports pyfluidsynth too) is quiet
