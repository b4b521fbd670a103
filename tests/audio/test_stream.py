"""What the player plays (app.audio.stream), with the real synth and no Qt."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from app.audio.stream import FrameQueue, PlayRequest, Segment, excerpt, play_blocks, tick_at
from app.core.score import Note, Score, TempoChange

from audio_helpers import SAMPLE_RATE, make_score, note_track, rms

A4, E5 = 69, 76


def dominant_hz(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """The frequency of the strongest spectral peak of ``audio`` (mono mix, Hann window)."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / sr)[np.argmax(spectrum)])


def take_passes(blocks, count: int) -> list[np.ndarray]:
    """The audio of the first ``count`` passes (segments) of a block stream."""
    passes: dict[int, list[np.ndarray]] = {}
    for block in blocks:
        if len(passes) == count and block.segment.first_frame not in passes:
            break
        passes.setdefault(block.segment.first_frame, []).append(block.audio)
    blocks.close()
    return [np.concatenate(p) for p in passes.values()]


def test_whole_piece_is_the_synth_render_in_blocks(synth):
    score = make_score(note_track([(0, 60, 480), (480, 64, 480), (960, 67, 960)]))
    blocks = list(play_blocks(synth, lambda: score, PlayRequest(0), block_frames=1024))
    sizes = [b.frames for b in blocks]
    assert all(n == 1024 for n in sizes[:-1]) and 0 < sizes[-1] <= 1024
    assert [b.first_frame for b in blocks] == list(itertools.accumulate([0] + sizes[:-1]))
    audio = np.concatenate([b.audio for b in blocks])
    np.testing.assert_array_equal(audio, synth.render(score))
    assert len({id(b.segment) for b in blocks}) == 1


def test_start_inside_a_note_strikes_it_there(synth):
    score = make_score(note_track([(0, A4, 1920)]))
    blocks = list(play_blocks(synth, lambda: score, PlayRequest(960), block_frames=512))
    audio = np.concatenate([b.audio for b in blocks])
    assert rms(audio[:SAMPLE_RATE // 10]) > 0.01  # sounding from the first block
    assert abs(dominant_hz(audio[:SAMPLE_RATE // 2]) - 440.0) < 440 * 0.02
    assert blocks[0].ticks[0] == 960.0
    # 960 ticks are left (1 s at 120 bpm), then the release tail maps to the note's end
    assert len(audio) >= SAMPLE_RATE // 2 and blocks[-1].ticks[1] == 1920.0


def test_start_after_the_last_note_plays_nothing(synth):
    score = make_score(note_track([(0, A4, 480)]))
    assert list(play_blocks(synth, lambda: score, PlayRequest(960))) == []


def test_loop_repeats_with_the_exact_length(synth):
    score = make_score(note_track([(0, A4, 480), (480, E5, 960)]))  # the E5 crosses the loop end
    blocks = play_blocks(synth, lambda: score, PlayRequest(0, loop=(0, 960)), block_frames=1000)
    passes = take_passes(blocks, 3)
    loop_frames = SAMPLE_RATE  # 960 ticks: two beats at 120 bpm
    assert [len(p) for p in passes] == [loop_frames] * 3
    np.testing.assert_array_equal(passes[0], passes[1])
    np.testing.assert_array_equal(passes[1], passes[2])
    assert rms(passes[0][-1000:]) > 0.001  # cut while the E5 sounds: no silent tail before the wrap


def test_loop_starts_at_the_playhead_then_wraps_to_the_loop_start(synth):
    score = make_score(note_track([(0, A4, 1920)]))
    blocks = play_blocks(synth, lambda: score, PlayRequest(480, loop=(0, 960)), block_frames=1000)
    passes = take_passes(blocks, 2)
    assert [len(p) for p in passes] == [SAMPLE_RATE // 2, SAMPLE_RATE]
    later = play_blocks(synth, lambda: score, PlayRequest(1440, loop=(0, 960)), block_frames=1000)
    first = next(later)
    later.close()
    assert first.segment.start_tick == 0 and first.ticks[0] == 0.0


def test_an_edit_between_passes_is_heard_at_the_next_loop(synth):
    scores = {"now": make_score(note_track([(0, A4, 960)]))}
    blocks = play_blocks(synth, lambda: scores["now"], PlayRequest(0, loop=(0, 960)), block_frames=1024)
    first = next(blocks)
    scores["now"] = make_score(note_track([(0, E5, 960)], program=0))  # edited while pass 1 plays
    rest = take_passes(blocks, 2)
    pass1 = np.concatenate([first.audio, rest[0]])
    pass2 = rest[1]
    assert len(pass1) == len(pass2) == SAMPLE_RATE
    assert abs(dominant_hz(pass1) - 440.0) < 440 * 0.02
    assert abs(dominant_hz(pass2) - 659.26) < 659.26 * 0.02
    assert rms(pass2) > 0.002


def test_an_emptied_loop_plays_silence_of_the_same_length(synth):
    scores = iter([make_score(note_track([(0, A4, 960)])), make_score(note_track([]))])
    holder = {"score": next(scores)}

    def provider():
        score = holder["score"]
        holder["score"] = next(scores, score)
        return score

    passes = take_passes(play_blocks(synth, provider, PlayRequest(0, loop=(0, 960))), 2)
    assert [len(p) for p in passes] == [SAMPLE_RATE] * 2
    assert rms(passes[0]) > 0.01 and rms(passes[1]) == 0.0


def test_tick_mapping_follows_the_tempo_map_and_is_exact_at_segment_starts(synth):
    score = Score(tracks=(note_track([(0, A4, 1920)]),), tempos=(TempoChange(0, 120.0), TempoChange(960, 60.0)))
    blocks = play_blocks(synth, lambda: score, PlayRequest(480, loop=(480, 1440)), block_frames=700)
    segments: list[Segment] = []
    for block in blocks:
        if not segments or segments[-1] is not block.segment:
            segments.append(block.segment)
        if len(segments) == 3:
            break
    blocks.close()
    pass_frames = SAMPLE_RATE // 2 + SAMPLE_RATE  # 480 ticks at 120 bpm (0.5 s) + 480 at 60 bpm (1 s)
    assert [s.first_frame for s in segments] == [0, pass_frames, 2 * pass_frames]
    for s in segments:
        assert tick_at(segments, s.first_frame) == 480.0
        assert tick_at(segments, s.first_frame + SAMPLE_RATE // 2) == pytest.approx(960.0)
        assert tick_at(segments, s.first_frame + SAMPLE_RATE) == pytest.approx(1200.0)
    assert tick_at(segments, pass_frames - 1) == pytest.approx(1440.0, abs=0.02)
    assert tick_at([], 100) == 0.0


def test_selection_end_cuts_notes_and_plays_to_the_end_tick(synth):
    score = make_score(note_track([(0, A4, 480), (960, E5, 1920)]))
    blocks = list(play_blocks(synth, lambda: score, PlayRequest(0, end_tick=1440)))
    audio = np.concatenate([b.audio for b in blocks])
    assert len(audio) >= int(1.5 * SAMPLE_RATE)  # at least up to tick 1440 (1.5 s)
    assert blocks[-1].ticks[1] == 1440.0 and blocks[0].segment.end_tick == 1440


def test_excerpt_moves_notes_tempos_and_keeps_tracks():
    score = make_score(note_track([(0, 60, 960), (960, 62, 480), (1920, 64, 480)], program=40), bpm=90)
    part = excerpt(score, 480, 1680)
    assert part.tracks[0].notes == (Note(0, 60, 480), Note(480, 62, 480))
    assert part.tracks[0].program == 40
    assert part.tempos == (TempoChange(0, 90.0),)


def test_play_request_checks_its_ranges():
    with pytest.raises(ValueError):
        PlayRequest(-1)
    with pytest.raises(ValueError):
        PlayRequest(480, end_tick=480)
    with pytest.raises(ValueError):
        PlayRequest(0, loop=(960, 960))


def test_frame_queue_converts_and_keeps_order():
    q = FrameQueue(capacity=100, sample_format="int16")
    q.put(np.full((3, 2), 0.5, dtype=np.float32))
    q.put(np.array([[2.0, -2.0]], dtype=np.float32))
    data = np.frombuffer(q.read(1000), dtype="<i2").reshape(-1, 2)
    assert data.tolist() == [[16383, 16383]] * 3 + [[32767, -32767]]
    assert q.read(1000) == b"" and not q.drained
    q.finish()
    assert q.drained and not q.put(np.zeros((1, 2), dtype=np.float32))
    f = FrameQueue(capacity=100)
    f.put(np.arange(8, dtype=np.float32).reshape(4, 2) / 10)
    assert np.frombuffer(f.read(16), dtype="<f4").tolist() == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert f.read_frames == 2 and f.queued == 2


def test_frame_queue_blocks_when_full_until_read_or_closed():
    q = FrameQueue(capacity=4)
    assert q.put(np.zeros((4, 2), dtype=np.float32))
    assert not q.put(np.zeros((1, 2), dtype=np.float32), timeout=0.05)  # full
    result = []
    waiter = threading.Thread(target=lambda: result.append(q.put(np.zeros((1, 2), dtype=np.float32))))
    waiter.start()
    q.close()
    waiter.join(timeout=2)
    assert not waiter.is_alive() and result == [False] and q.drained


def test_frame_queue_fade_out_ends_the_stream_softly():
    q = FrameQueue(capacity=1000)
    q.put(np.ones((500, 2), dtype=np.float32))
    q.fade_out(100)
    audio = np.frombuffer(q.read(10_000), dtype="<f4").reshape(-1, 2)
    assert len(audio) == 100 and audio[0, 0] == 1.0 and audio[-1, 0] == 0.0
    assert np.all(np.diff(audio[:, 0]) <= 0) and q.drained
