"""band-gan's density matching (each role's sounding cells per bar against the real batch's) and the
selection of a run taught to accompany a lead alone."""

from __future__ import annotations

import math

import pytest
import torch

from app.core.errors import CadenzaError
from models.band_gan.data import GanData, split_segments
from models.band_gan.model import BandGan, BandGanConfig
from models.band_gan.train import (BandGanTask, binarised, density_gap, density_matching, model_config,
                                   statistics_distance)

from test_band_gan import TINY, band_piece


def segments_with_drums(cells_per_bar: list[int]) -> torch.Tensor:
    """``(B, 5, 32, 128)``: segment i sounds ``cells_per_bar[i]`` drum cells in each of its two bars."""
    out = torch.zeros(len(cells_per_bar), 5, 32, 128)
    for i, n in enumerate(cells_per_bar):
        for bar in (0, 16):
            out[i, 0, bar: bar + n, 36] = 1.0
    return out


def test_density_gap_is_the_mean_over_roles_of_the_sorted_log_counts_apart():
    real = segments_with_drums([15, 3, 0, 7])
    assert density_gap(real, real[[2, 0, 3, 1]]).item() == 0.0  # the same counts, in another order
    silent = torch.zeros_like(real)
    expected = sum(math.log1p(n) for n in (15, 3, 0, 7)) / 4 / 5  # drums' mean gap; the other roles match
    assert density_gap(real, silent).item() == pytest.approx(expected, rel=1e-6)
    # split by "no previous band": segments 0 and 1 are matched to each other's group only
    alone = torch.tensor([True, True, False, False])
    swapped = real[[2, 3, 0, 1]]  # right counts overall, wrong group
    assert density_gap(real, swapped).item() == 0.0
    groups = (abs(math.log1p(15) - math.log1p(7)) + abs(math.log1p(3) - 0.0)) / 2  # group 1: sorted 3,15 vs 0,7
    groups2 = (abs(math.log1p(7) - math.log1p(15)) + abs(0.0 - math.log1p(3))) / 2  # group 2: 0,7 vs 3,15
    assert density_gap(real, swapped, alone).item() == pytest.approx((groups * 2 + groups2 * 2) / 4 / 5, rel=1e-6)


def test_density_gap_raises_every_probability_of_a_bar_left_silent():
    real = segments_with_drums([8, 8])
    probs = torch.full((2, 5, 32, 128), 0.3, requires_grad=True)
    density_gap(real, binarised(probs)).backward()
    drums, rest = probs.grad[:, 0], probs.grad[:, 1:]
    assert bool((drums < 0).all()) and drums.unique().numel() == 1  # descent raises them all alike
    assert bool((rest == 0).all())  # roles silent in the real bars too are left alone


def test_a_run_taught_the_lead_alone_is_chosen_on_both_conditions_and_the_weight_is_read(one_torch_thread):
    data = GanData([band_piece(i, bars=8) for i in range(2)], [], [], [[0]] * 2)
    torch.manual_seed(0)
    cfg = BandGanConfig(previous_dropout=0.2, density_matching=1.0, **TINY)
    model = BandGan(cfg).eval()
    bands, conditions, chords = (torch.from_numpy(a).float() for a in split_segments(data.train))
    batch = [bands, conditions, chords]
    task = BandGanTask(data, cfg, batch_size=8)
    with torch.no_grad():
        chosen = task.loss(model, batch, torch.device("cpu"))[0]
        plain = BandGanTask(data, BandGanConfig(**TINY), batch_size=8).loss(model, batch, torch.device("cpu"))[0]
        z = torch.randn(len(bands), cfg.noise, generator=torch.Generator().manual_seed(int(bands.sum())))
        alone = conditions.clone()
        alone[:, 1:] = 0
        silenced = statistics_distance(bands, (model.generator(z, alone, chords) > 0.5).float())
    assert chosen.item() == pytest.approx((plain.item() + silenced.item()) / 2, rel=1e-5)
    model.train()
    assert task.loss(model, batch, torch.device("cpu"))[0].item() > 0  # the training step takes the density term
    assert model_config("", {"density_matching": 0.5}).density_matching == 0.5
    assert density_matching("2") == 2.0 and density_matching(None) is None
    for bad in ("-1", "eleven", "nan"):
        with pytest.raises(CadenzaError, match="--density-matching must be a weight from 0 to 10"):
            density_matching(bad)
