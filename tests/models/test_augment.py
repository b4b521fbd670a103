"""Augmentation: transposition stays in range; tempo scaling keeps the length in seconds."""

import numpy as np
import pytest

from app.core.score import Note, Score, Track
from app.core.timing import duration_seconds
from models.common.augment import feasible_shifts, random_transposition, scale_tempo, transpose


def score(low, high):
    return Score(tracks=(Track("p", 0, False, (Note(0, low, 240), Note(240, high, 480))),
                         Track("d", 0, True, (Note(0, 36, 60),))))


def test_feasible_shifts_respect_range():
    assert feasible_shifts(score(23, 60), 6) == list(range(-2, 7))
    assert feasible_shifts(score(60, 105), 6) == list(range(-6, 4))


def test_random_transposition_seeded_and_drums_untouched():
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    shifts_a = [random_transposition(score(50, 70), rng_a)[1] for _ in range(20)]
    shifts_b = [random_transposition(score(50, 70), rng_b)[1] for _ in range(20)]
    assert shifts_a == shifts_b and len(set(shifts_a)) > 3
    moved = transpose(score(50, 70), 3)
    assert [n.pitch for n in moved.tracks[0].notes] == [53, 73] and moved.tracks[1].notes[0].pitch == 36


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_scale_tempo_keeps_seconds(factor):
    s = score(60, 64)
    scaled = scale_tempo(s, factor)
    assert scaled.tracks[0].notes[1].duration == round(480 * factor)
    assert duration_seconds(scaled) == pytest.approx(duration_seconds(s))
