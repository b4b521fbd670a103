"""performance-rnn's Humanize (constrained decoding): the pitch sequence stays exactly the same, only velocity
and timing change, within the amount; amount 0 changes nothing; the same random seed gives the same result."""

import pytest
import torch

from app.core.errors import GenerationError
from app.core.score import Note, TempoChange
from models.common.checkpoint import save_checkpoint
from models.common.generator import Cancelled
from models.performance_rnn.generate import PerformanceRNNGenerator
from models.performance_rnn.humanize import (MAX_VELOCITY_CHANGE, ONSET_WINDOW_S, RELEASE_WINDOW_S, humanize)
from models.performance_rnn.model import PerformanceRNN, PerformanceRNNConfig

PPQ, BPM = 480, 100.0
TICKS_PER_S = PPQ * BPM / 60


@pytest.fixture(scope="module")
def model(tmp_path_factory, one_torch_thread):
    torch.manual_seed(1)
    config = PerformanceRNNConfig(embed=8, hidden=16, layers=1)
    folder = tmp_path_factory.mktemp("prnn-humanize")
    card = {"arch": "performance-rnn", "name": "performance-rnn", "config": config.__dict__,
            "controls": {"density_median": 8.0, "histogram_mean": [1 / 12] * 12}, "training": {"data": []}}
    save_checkpoint(folder, PerformanceRNN(config).state_dict(), card)
    return PerformanceRNNGenerator(folder, device="cpu")


def quantized_notes():
    """A quantized phrase: a melody in eighths over held chords, a repeated pitch and a unison, out of order."""
    melody = [Note(i * 240, (72, 74, 76, 77, 79, 79, 77, 76)[i % 8], 220, 90) for i in range(24)]
    chords = [Note(b * 1920, p, 1900, 70) for b in range(3) for p in (48, 55, 64)]
    unison = [Note(960, 64, 120, 100)]
    return list(reversed(melody)) + chords + unison


def test_the_pitches_stay_in_order_and_only_velocity_and_timing_move_within_the_amount(model):
    notes = quantized_notes()
    for amount in (1.0, 0.4):
        out = humanize(model, notes, ppq=PPQ, bpm=BPM, amount=amount, random_seed=11)
        assert [n.pitch for n in out] == [n.pitch for n in notes]
        for a, b in zip(notes, out):
            assert abs(b.start - a.start) <= amount * ONSET_WINDOW_S * TICKS_PER_S + 1
            assert abs(b.end - a.end) <= amount * RELEASE_WINDOW_S * TICKS_PER_S + 1
            assert b.duration >= a.duration // 2
            assert abs(b.velocity - a.velocity) <= amount * MAX_VELOCITY_CHANGE + 1
    moved = humanize(model, notes, ppq=PPQ, bpm=BPM, amount=1.0, random_seed=11)
    assert sum(a.start != b.start for a, b in zip(notes, moved)) > 3 and sum(a.end != b.end for a, b in zip(notes, moved)) > 3
    assert len({b.velocity - a.velocity for a, b in zip(notes, moved)}) > 5


def test_amount_zero_changes_nothing_and_the_amount_scales_one_performance(model):
    notes = quantized_notes()
    assert humanize(model, notes, ppq=PPQ, bpm=BPM, amount=0.0, random_seed=3) == notes
    full = humanize(model, notes, ppq=PPQ, bpm=BPM, amount=1.0, random_seed=3)
    half = humanize(model, notes, ppq=PPQ, bpm=BPM, amount=0.5, random_seed=3)
    for a, f, h in zip(notes, full, half):
        assert abs((h.start - a.start) - (f.start - a.start) / 2) <= 1
        if 1 < f.velocity < 127:  # (a velocity clipped at an end of MIDI's range scales from the clip)
            assert abs((h.velocity - a.velocity) - (f.velocity - a.velocity) / 2) <= 1


def test_the_same_seed_gives_the_same_performance_and_another_seed_another(model):
    notes = quantized_notes()
    one = humanize(model, notes, ppq=PPQ, bpm=BPM, amount=0.8, random_seed=5)
    assert humanize(model, notes, ppq=PPQ, bpm=BPM, amount=0.8, random_seed=5) == one
    assert humanize(model, notes, ppq=PPQ, bpm=BPM, amount=0.8, random_seed=6) != one


def test_a_tempo_map_is_followed_and_a_checkpoint_folder_works_as_the_model(model):
    notes = [Note(i * 480, 60 + i, 400, 80) for i in range(8)]
    tempos = (TempoChange(0, 60.0), TempoChange(1920, 240.0))
    out = humanize(str(model.checkpoint_dir), notes, ppq=PPQ, bpm=120.0, tempos=tempos, amount=1.0, random_seed=2)
    slow, fast = out[:4], out[4:]
    assert all(abs(b.start - a.start) <= ONSET_WINDOW_S * 480 + 1 for a, b in zip(notes[:4], slow))  # 1 s a beat
    assert all(abs(b.start - a.start) <= ONSET_WINDOW_S * 1920 + 1 for a, b in zip(notes[4:], fast))  # 0.25 s a beat


def test_bad_requests_get_one_sentence_and_a_cancel_stops_it(model):
    with pytest.raises(GenerationError, match="amount must be between 0 and 1"):
        humanize(model, quantized_notes(), ppq=PPQ, bpm=BPM, amount=1.5)
    assert humanize(model, [], ppq=PPQ, bpm=BPM, amount=1.0) == []
    reports = []
    with pytest.raises(Cancelled):
        humanize(model, quantized_notes(), ppq=PPQ, bpm=BPM, amount=1.0, cancelled=lambda: bool(reports),
                 progress=lambda done, total: reports.append((done, total)))
    assert reports and reports[0][1] >= 2 * len(quantized_notes())  # at least a note-on and a note-off each
