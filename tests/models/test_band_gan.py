"""band-gan on a tiny model: shapes, save -> load, determinism, accompaniment, and the mode-collapse measure."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict

import numpy as np
import pytest
import torch

from app.core.errors import CadenzaError
from app.core.provenance import Provenance
from app.core.score import Note, Score, TimeSignature, Track
from models.band_gan.collapse import collapse_report, distinct_outputs
from models.band_gan.data import GanData, chroma, segments
from models.band_gan.generate import load_networks, symbol_chords
from models.band_gan.model import BandGan, BandGanConfig
from models.band_gan.train import DEFAULT_PREVIOUS_DROPOUT, BandGanTask, binarised, model_config, previous_dropout
from models.common.band_roll import band_rolls
from models.common.checkpoint import load_checkpoint
from models.common.generator import GenerationRequest, run_generation
from models.common.card_schema import card_hashes
from models.common.options import GenerationOptions
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
from models.registry import get_spec, load_generator

TINY = dict(g_channels=[8, 8, 8, 8, 4], d_channels=[4, 4, 8, 8, 8], features=8, cond_channels=2, chord_embed=4,
            output_bias=0.0)  # half the cells on at first: the mechanics below need notes


def band_piece(seed: int, bars: int = 4) -> np.ndarray:
    """``(6, bars * 16, 128)`` rolls: a lead, four-on-the-floor drums, a root bass and a triad on the piano."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[Note]] = {k: [] for k in ("lead", "drums", "bass", "piano")}
    for bar in range(bars):
        root = int(rng.choice([0, 5, 7]))
        for beat in range(4):
            t = (bar * 4 + beat) * 480
            parts["drums"].append(Note(start=t, pitch=36 if beat % 2 == 0 else 38, duration=120, velocity=100))
            parts["lead"].append(Note(start=t, pitch=72 + root + int(rng.integers(0, 5)), duration=480, velocity=90))
        parts["bass"].append(Note(start=bar * 1920, pitch=36 + root, duration=1920, velocity=90))
        parts["piano"] += [Note(start=bar * 1920, pitch=60 + root + i, duration=1920, velocity=80) for i in (0, 4, 7)]
    return band_rolls(parts, 480)


def tiny_data() -> GanData:
    pieces = [band_piece(i) for i in range(10)]
    return GanData(pieces[:8], pieces[8:9], pieces[9:], [[0, 1]] * 8, {"synthetic": {"pieces": 10}})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, one_torch_thread):
    out = tmp_path_factory.mktemp("band-gan") / "tiny"
    task = BandGanTask(tiny_data(), BandGanConfig(**TINY), batch_size=4, seed=0, specs=["synthetic"])
    run_training(train(task, TrainConfig(epochs=2, max_steps=3, batch_size=4, lr=4e-4, device="cpu", patience=0,
                                         warmup_steps=1), out))
    return out


def melody(bars: int = 2, meter=(4, 4)) -> Score:
    notes = tuple(Note(start=i * 480, pitch=(72, 76, 79, 77)[i % 4], duration=480, velocity=90)
                  for i in range(bars * meter[0]))
    return Score(tracks=(Track("Lead", 73, False, notes),), time_signatures=(TimeSignature(0, *meter),))


def test_the_generator_turns_100_noise_dimensions_into_five_tracks_and_the_discriminator_into_one_logit():
    for conditional in ("on", "off"):
        model = BandGan(BandGanConfig(conditional=conditional, **TINY)).eval()
        cond = torch.zeros(3, 6, 32, 128) if conditional == "on" else None
        chords = torch.zeros(3, 8, 12) if conditional == "on" else None
        with torch.no_grad():
            out = model.generator(torch.randn(3, 100), cond, chords)
            logits, features = model.discriminator(out, cond, chords)
        assert out.shape == (3, 5, 32, 128) and 0 <= float(out.min()) and float(out.max()) <= 1  # probabilities
        assert logits.shape == (3,) and features.shape == (3, 8)
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in model.generator.modules()) == 6
    assert sum(isinstance(m, torch.nn.Conv2d) for m in model.discriminator.modules()) == 6
    assert model.lr_scales == {"discriminator": 1.0, "generator": 0.25}  # TTUR
    sparse = BandGan(BandGanConfig(**{**TINY, "output_bias": BandGanConfig().output_bias})).eval()
    with torch.no_grad():  # a new generator starts near the data's density (about 1% on), not at half the cells
        assert float(sparse.generator(torch.randn(3, 100), torch.zeros(3, 6, 32, 128), torch.zeros(3, 8, 12)).mean()) < 0.1


def test_segments_carry_the_lead_the_previous_bars_and_the_chords():
    bands, conditions, chords = segments(band_piece(3))
    assert bands.shape == (2, 5, 32, 128) and conditions.shape == (2, 6, 32, 128) and chords.shape == (2, 8, 12)
    assert not conditions[0, 1:].any() and (conditions[1, 1:] == bands[0]).all()  # silence before the first
    first_root = int(np.flatnonzero(bands[0, 1, 0])[0]) % 12  # the bass's pitch class in bar 1
    assert chords[0, 0, first_root] == 1.0 and chroma(bands[0]).max() == 1.0
    tones = symbol_chords('X:1\nM:4/4\nL:1/4\nK:C\n"C"z2 "G7"z2 | "Am"z4 |\n', 40)  # a step each
    assert tones.shape == (40, 12) and np.flatnonzero(tones[7]).tolist() == [0, 4, 7]
    assert np.flatnonzero(tones[8]).tolist() == [2, 5, 7, 11] and np.flatnonzero(tones[39]).tolist() == [0, 4, 9]


def test_a_saved_checkpoint_loads_to_the_same_weights_and_card(tiny):
    state, card = load_checkpoint(tiny)
    model = load_networks(tiny)
    assert card["arch"] == "band-gan" and card["config"]["noise"] == 100 and card["accompanies"] is True
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_generation_is_seeded_and_accompanies_a_lead_with_a_drum_kit(tiny):
    gen = load_generator(checkpoint=tiny, device="cpu")
    assert get_spec("band-gan").accompanies
    request = GenerationRequest(seed=melody(3), bars=8, variations=1, random_seed=4,
                                options=GenerationOptions(noise_sd=1.0, temperature=1.5))
    first, again = (run_generation(gen.generate(request)) for _ in range(2))
    assert [[t.notes for t in s.tracks] for s in first] == [[t.notes for t in s.tracks] for s in again]
    names = [(t.name, t.is_drum) for t in first[0].tracks]
    assert names == [("Lead", False), ("Drums", True), ("Bass", False), ("Guitar", False), ("Piano", False),
                     ("Strings", False)]
    assert first[0].tracks[0].notes == melody(3).tracks[0].notes
    assert all(n.start < 3 * 1920 for t in first[0].tracks for n in t.notes)  # the lead's three bars
    assert any(t.notes for t in first[0].tracks[1:])


def test_a_band_seed_is_continued_and_a_waltz_is_accompanied_in_its_own_bars(tiny):
    gen = load_generator(checkpoint=tiny, device="cpu")
    groove = Score(tracks=(Track("Drums", 0, True, tuple(Note(start=i * 480, pitch=36, duration=120, velocity=100)
                                                         for i in range(8))),))
    out = run_generation(gen.generate(GenerationRequest(seed=groove, bars=3, variations=1,
                                                        options=GenerationOptions(temperature=2.0))))[0]
    assert [t.name for t in out.tracks] == ["Drums", "Bass", "Guitar", "Piano", "Strings"]
    assert all(n.start < 3 * 1920 for t in out.tracks for n in t.notes)
    waltz = run_generation(gen.generate(GenerationRequest(seed=melody(4, (3, 4)), variations=1,
                                                          options=GenerationOptions(temperature=2.0))))[0]
    assert waltz.time_signatures[0].numerator == 3 and all(n.start < 4 * 1440 for t in waltz.tracks for n in t.notes)
    assert waltz.tracks[0].notes == melody(4, (3, 4)).tracks[0].notes and any(t.notes for t in waltz.tracks[1:])
    note = Provenance.of(waltz).seed_note
    assert note == "band-gan learned its bands in 4/4; in 3/4 it writes 2 bars at a time into the first 24 of its 32 steps."


def test_the_mode_collapse_measure_counts_distinct_outputs_and_near_copies():
    torch.manual_seed(0)
    model = BandGan(BandGanConfig(**TINY))
    first, last = model.generator.layers[0][0], model.generator.layers[-1][0]
    with torch.no_grad():
        last.bias.fill_(0.0)
        last.weight.mul_(40.0)  # probabilities far from 0.5
    near = distinct_outputs(model.generator, 20)  # the noise moves a few cells only: Tham & Kim's collapse
    assert near["distinct"] == 20 and near["differing_by_a_tenth"] == 1 and near["mean_pairwise_jaccard_distance"] < 0.05
    with torch.no_grad():
        first.weight.mul_(100.0)  # the noise decides much of the output
    varied = distinct_outputs(model.generator, 20)
    assert varied["distinct"] == varied["differing_by_a_tenth"] == 20 and varied["mean_pairwise_jaccard_distance"] > 0.3
    with torch.no_grad():
        first.weight.zero_()  # the noise no longer reaches the output: full collapse
    collapsed = distinct_outputs(model.generator, 20)
    assert collapsed == {"noise_vectors": 20, "distinct": 1, "differing_by_a_tenth": 1,
                         "mean_pairwise_jaccard_distance": 0.0, "mean_sounding_cells": collapsed["mean_sounding_cells"]}


def test_the_card_report_measures_each_held_out_condition(tiny):
    report = collapse_report(tiny, [band_piece(20), band_piece(21)], n=10)
    assert report["conditions"] == 2 and len(report["per_condition"]) == 2
    assert 1 <= report["distinct_min"] <= report["distinct_mean"] <= 10
    alone = report["under_lead_alone"]  # the same segments with the previous band silenced
    assert alone["conditions"] == 2 and 1 <= alone["distinct_min"] <= alone["distinct_mean"] <= 10
    assert alone["per_condition"] != report["per_condition"]


def test_the_discriminator_hears_binary_notes_whose_gradient_passes_straight_through():
    probs = torch.tensor([0.2, 0.7, 0.5], requires_grad=True)
    notes = binarised(probs)
    assert notes.tolist() == [0.0, 1.0, 0.0]
    (notes * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert probs.grad.tolist() == [1.0, 2.0, 3.0]


def test_previous_dropout_silences_that_share_of_the_previous_bands_and_nothing_else():
    pieces = [band_piece(i, bars=16) for i in range(8)]  # 8 segments each: 56 with a previous band
    data = GanData(pieces, [], [], [[0, 1]] * 8)
    batches = {p: BandGanTask(data, BandGanConfig(previous_dropout=p, **TINY), batch_size=8).epoch_batches(0)
               for p in (0.0, 0.5, 1.0)}
    stacked = {p: [torch.cat([b[k] for b in batches[p]]) for k in range(3)] for p in batches}
    plain, dropped = stacked[0.0], stacked[0.5]
    assert torch.equal(plain[0], dropped[0]) and torch.equal(plain[2], dropped[2])  # same bands, order, chords
    assert torch.equal(plain[1][:, 0], dropped[1][:, 0])  # the lead is always heard
    had = plain[1][:, 1:].flatten(1).any(1)
    silenced = ~dropped[1][:, 1:].flatten(1).any(1)
    kept = (dropped[1][:, 1:] == plain[1][:, 1:]).flatten(1).all(1)
    assert bool((kept | silenced).all()) and int(had.sum()) == 56
    assert 0.3 < float((had & silenced).sum()) / 56 < 0.7
    assert not stacked[1.0][1][:, 1:].any() and torch.equal(stacked[1.0][1][:, 0], plain[1][:, 0])


def test_previous_dropout_is_set_per_run_and_an_older_card_without_the_field_reads_none(tiny, tmp_path):
    assert model_config().previous_dropout == DEFAULT_PREVIOUS_DROPOUT == 0.0  # 0.5 measured worse (train.py)
    given = model_config("", {"previous_dropout": 0.5, "conditional": "off"})
    assert (given.previous_dropout, given.conditional) == (0.5, "off")
    old = tmp_path / "old"
    shutil.copytree(tiny, old)
    card = json.loads((old / "config.json").read_text())
    del card["config"]["previous_dropout"]  # a card written before the option
    card.update(card_hashes(card))
    (old / "config.json").write_text(json.dumps(card))
    assert load_networks(old).cfg.previous_dropout == 0.0
    tuned = model_config(str(old), {"previous_dropout": 0.3, "noise": 7})  # a fine-tune keeps its base's sizes
    assert (tuned.previous_dropout, tuned.noise) == (0.3, 100) and model_config(str(old)).previous_dropout == 0.0
    assert previous_dropout("0.25") == 0.25 and previous_dropout(None) is None
    for bad in ("1.5", "half", "nan"):
        with pytest.raises(CadenzaError, match="--previous-dropout must be a share from 0 to 1"):
            previous_dropout(bad)
