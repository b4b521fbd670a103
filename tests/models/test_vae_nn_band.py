"""vae-nn on a band (issue 17): the band roles, the lead found in any seed, and a tiny band model's tracks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.score import Note, Score, TimeSignature, Track
from models.common.band_corpus import ROLES, role_programs
from models.common.corpus import CorpusItem
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions
from models.common.sampling import make_generator
from models.common.spec import DRUMS, card_spec
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
from models.registry import get_spec, load_generator
from models.vae_nn.data import prepare
from models.vae_nn.decoding import decode_steps
from models.vae_nn.generate import checkpoint_spec
from models.vae_nn.model import VaeNNConfig
from models.vae_nn.roles import PRESETS, assign_tracks
from models.vae_nn.train import VaeNNTask, default_roles

BAND = PRESETS["band"]
TINY = dict(channels=[4, 4, 4], hidden=16, mlp_hidden=16, kl_warmup_steps=5)


def band_score(seed: int, bars: int = 8) -> Score:
    """A corpus:band-like piece: Lead, Drums (channel 10), Bass, Guitar, Piano, Strings, as MMA's are named."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[Note]] = {k: [] for k in ("Lead", "Drums", "Bass", "Guitar", "Piano", "Strings")}
    for bar in range(bars):
        root, t0 = int(rng.choice([0, 5, 7])), bar * 1920
        for beat in range(4):
            t = t0 + beat * 480
            parts["Lead"].append(Note(start=t, pitch=72 + root + int(rng.choice([0, 2, 4])), duration=480, velocity=90))
            parts["Drums"] += [Note(start=t, pitch=36 if beat % 2 == 0 else 38, duration=120, velocity=100),
                               Note(start=t, pitch=42, duration=120, velocity=80)]
            parts["Guitar"] += [Note(start=t, pitch=52 + root + i, duration=240, velocity=70) for i in (0, 4, 7)]
        parts["Bass"].append(Note(start=t0, pitch=36 + root, duration=1920, velocity=90))
        parts["Piano"] += [Note(start=t0, pitch=60 + root + i, duration=1920, velocity=70) for i in (0, 4, 7)]
        parts["Strings"].append(Note(start=t0, pitch=48 + root, duration=1920, velocity=60))
    programs = {"Lead": 73, "Drums": 0, "Bass": 33, "Guitar": 25, "Piano": 0, "Strings": 48}
    return Score(tracks=tuple(Track(name, programs[name], name == "Drums", tuple(notes))
                              for name, notes in parts.items()), title=f"band {seed}")


@pytest.fixture(scope="module")
def band_gen(tmp_path_factory, one_torch_thread):
    out = tmp_path_factory.mktemp("vae-band") / "tiny"
    splits = ["valid", "test"] + ["train"] * 6
    data = prepare([CorpusItem(f"b{i}", band_score(i), s) for i, s in enumerate(splits)], BAND, margin=2)
    cfg = VaeNNConfig(roles=[r.to_dict() for r in BAND], **TINY)
    task = VaeNNTask(data, cfg, batch_size=8, seed=0, specs=["synthetic"], roles_spec="band")
    run_training(train(task, TrainConfig(epochs=5, max_steps=4, batch_size=8, device="cpu", patience=0,
                                         warmup_steps=1), out))
    return load_generator(checkpoint=out, device="cpu")


def test_the_band_roles_are_the_lead_and_the_corpus_roles_with_the_corpus_program_families():
    assert [r.name for r in BAND] == ["lead", *ROLES] and default_roles(["corpus:band"]) == "band"
    assert [r.is_drum for r in BAND] == [False, True, False, False, False, False] and BAND[0].monophonic
    for role in BAND[2:]:
        assert role.programs == role_programs(role.name)  # one table: band_corpus's
    for role in PRESETS["lpd5"]:
        assert role.programs == role_programs(role.name, folded=False)
    parts = assign_tracks(band_score(1), BAND)
    assert [len(p) for p in parts] == [32, 64, 8, 96, 24, 8]


def test_a_tune_alone_leads_on_any_instrument_but_a_band_without_a_lead_keeps_its_roles():
    tune = Track("Piano", 0, False, (Note(start=0, pitch=72, duration=480, velocity=90),))
    assert [len(p) for p in assign_tracks(Score(tracks=(tune,)), BAND, by_order=True)] == [1, 0, 0, 0, 0, 0]
    assert [len(p) for p in assign_tracks(Score(tracks=(tune,)), BAND)] == [0, 0, 0, 0, 1, 0]  # training data
    bass = Track("Bass", 33, False, (Note(start=0, pitch=40, duration=480, velocity=90),))
    kit = Track("Kit", 0, True, (Note(start=0, pitch=36, duration=120, velocity=90),))
    assert [len(p) for p in assign_tracks(Score(tracks=(kit, bass, tune)), BAND, by_order=True)] == [0, 1, 1, 0, 1, 0]
    assert [len(p) for p in assign_tracks(Score(tracks=(kit, tune)), BAND, by_order=True)] == [1, 1, 0, 0, 0, 0]


def test_a_band_checkpoint_hears_drums_and_the_chorale_one_still_leaves_them_out():
    assert DRUMS in checkpoint_spec(BAND).seeds and checkpoint_spec(BAND).roles == ("lead", *ROLES)
    chorale = checkpoint_spec(PRESETS["chorales"])
    assert DRUMS not in chorale.seeds and chorale.seeds == get_spec("vae-nn").seeds


def test_a_band_model_writes_the_lead_and_five_roles_with_the_drums_on_a_drum_track(band_gen):
    seed = Score(tracks=(Track("Melody", 0, False, tuple(band_score(9, bars=2).tracks[0].notes)),))
    out = run_generation(band_gen.generate(GenerationRequest(seed=seed, bars=4, variations=2, random_seed=3,
                                                             options=GenerationOptions(temperature=3.0))))
    assert [(t.name, t.is_drum) for t in out[0].tracks] == [("Lead", False), ("Drums", True), ("Bass", False),
                                                            ("Guitar", False), ("Piano", False), ("Strings", False)]
    assert [t.program for t in out[0].tracks] == [0, 0, 33, 25, 0, 48]  # the seed's melody keeps its piano
    drums = out[0].tracks[1].notes
    assert drums and all(n.duration == 120 and 24 <= n.pitch < 84 for n in drums)  # one 16th hit per step
    assert all(n.start < 4 * 1920 for t in out[0].tracks for n in t.notes)
    groove = Score(tracks=(band_score(9, bars=2).tracks[1],))  # drums alone: heard, not refused
    assert DRUMS in band_gen.card["seeds"] and card_spec(get_spec("vae-nn"), band_gen.card).seeds == band_gen.spec.seeds
    assert run_generation(band_gen.generate(GenerationRequest(seed=groove, bars=2, variations=1)))[0].tracks


def test_noise_sd_moves_every_band_track_and_the_same_seed_repeats(band_gen):
    start = band_gen.encode_seed(band_score(5, bars=2))
    base = band_gen.walk(start, 3, 1, [0.0] * 6, [0.0] * 6, None, make_generator(0, band_gen.device)).outputs
    walks = [band_gen.walk(start, 3, 8, [sd] * 6, [0.0] * 6, None, make_generator(1, band_gen.device)).outputs
             for sd in (0.3, 0.3, 1.5)]
    assert all(torch.equal(a, b) for a, b in zip(walks[0], walks[1]))
    for k in range(6):
        near, far = ((w[k] - base[k]).norm(dim=-1).mean() for w in (walks[0], walks[2]))
        assert near < far, BAND[k].name


def test_a_role_the_seed_lacks_starts_from_a_fixed_prior_draw_when_the_card_says_so(band_gen):
    melody = Score(tracks=(band_score(4, bars=2).tracks[0],))
    silent = band_gen.encode_seed(melody)
    band_gen.absent_norm, band_gen._seeds = 7.0, type(band_gen._seeds)()
    try:
        started = band_gen.encode_seed(melody)
        assert torch.equal(started[0], silent[0])  # the lead is the seed's own
        for k in range(1, 6):
            assert abs(float(started[k].norm()) - 7.0) < 1e-4 and torch.equal(started[k], band_gen._prior_start(k, silent[k]))
        assert not torch.equal(started[1], started[2])  # one draw per role
    finally:
        band_gen.absent_norm, band_gen._seeds = None, type(band_gen._seeds)()


def test_a_role_threshold_sets_how_likely_a_note_must_be():
    logits = torch.logit(torch.tensor([[[0.3, 0.6], [0.1, 0.45]]]))  # (1, 2 steps, 2 pitches)
    assert decode_steps(logits, False).tolist() == [[[False, True], [False, False]]]
    assert decode_steps(logits, False, threshold=0.25).tolist() == [[[True, True], [False, True]]]
    line = torch.logit(torch.tensor([[[0.2, 0.1], [0.05, 0.3]]]))  # sounding 0.3, then 0.35
    assert not decode_steps(line, True, hold=0.0).any()
    assert decode_steps(line, True, hold=0.0, threshold=0.25).tolist() == [[[True, False], [False, True]]]


def test_the_bundled_band_checkpoint_writes_a_band_under_a_melody_alone():
    gen = load_generator("vae-nn-band", device="cpu")
    assert gen.spec.roles == ("lead", *ROLES) and DRUMS in gen.spec.seeds
    tune = Score(tracks=(Track("Flute", 73, False, band_score(2, bars=2).tracks[0].notes),))
    out = run_generation(gen.generate(GenerationRequest(seed=tune, bars=4, variations=1, random_seed=0)))[0]
    assert [(t.name, t.is_drum) for t in out.tracks] == [("Lead", False), ("Drums", True), ("Bass", False),
                                                         ("Guitar", False), ("Piano", False), ("Strings", False)]
    assert sum(bool(t.notes) for t in out.tracks[1:]) >= 3 and out.tracks[1].notes  # a band, with drums
