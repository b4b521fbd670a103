"""vae-nn's mechanics on a tiny model: pianorolls, the walk, noise, style, checkpoints, LPD-5."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.errors import DatasetError, GenerationError
from app.core.score import Note, Score, TimeSignature, Track
from models.common.card import read_card
from models.common.checkpoint import load_checkpoint
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions
from models.common.sampling import make_generator
from models.registry import load_generator
from models.vae_nn.lpd5 import read_lpd5, write_lpd5
from models.vae_nn.pianoroll import STEPS, grid_for, notes_to_rolls, roll_to_notes
from models.vae_nn.roles import PRESETS, assign_tracks, parse_roles

from vae_helpers import chorale, train_tiny


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("vae") / "tiny"
    train_tiny(out)
    return out


@pytest.fixture(scope="module")
def gen(tiny):
    return load_generator(checkpoint=tiny, device="cpu")


def notes(score):
    return [sorted((n.start, n.pitch, n.duration) for n in t.notes) for t in score.tracks]


# -- pianorolls -------------------------------------------------------------------

@pytest.mark.parametrize("meter, bars_per_segment, used", [((4, 4), 2, 32), ((3, 4), 2, 24), ((2, 4), 4, 32),
                                                           ((12, 8), 1, 24), ((9, 4), 1, 18)])
def test_a_segment_is_whole_bars_of_the_meter(meter, bars_per_segment, used):
    grid = grid_for(TimeSignature(0, *meter), 480)
    assert (grid.bars, grid.used) == (bars_per_segment, used)


@pytest.mark.parametrize("meter", [(4, 4), (3, 4)])
def test_pianoroll_round_trip_keeps_notes_on_the_grid(meter):
    grid = grid_for(TimeSignature(0, *meter), 480)
    written = [Note(0, 60, 480), Note(480, 62, 240), Note(720, 64, 120), Note(840, 67, 1080), Note(2400, 72, 360)]
    roll = notes_to_rolls([written], [(48, 36)], grid)[0]
    assert roll.shape[1] == 36 and roll.shape[0] % STEPS == 0
    if grid.used < STEPS:  # padding steps stay empty
        assert not roll.reshape(-1, STEPS, 36)[:, grid.used:].any()
    back = roll_to_notes(roll, 48, grid, velocity=100)
    assert [(n.start, n.pitch, n.duration) for n in back] == [(n.start, n.pitch, n.duration) for n in written]


def test_drum_steps_stay_separate_hits():
    grid = grid_for(TimeSignature(0, 4, 4), 480)
    roll = notes_to_rolls([[Note(0, 36, 120), Note(120, 36, 120)]], [(24, 60)], grid)[0]
    assert [(n.start, n.pitch) for n in roll_to_notes(roll, 24, grid, drums=True)] == [(0, 36), (120, 36)]


def test_roles_match_tracks_by_name_then_program_family():
    score = Score(tracks=(Track("Soprano 1", 0, False, (Note(0, 70, 480),)), Track("Bass", 0, False, (Note(0, 40, 480),)),
                          Track("Organ", 19, False, (Note(0, 50, 480),))))
    parts = assign_tracks(score, PRESETS["chorales"])
    assert [len(p) for p in parts] == [1, 0, 0, 1]
    pop = Score(tracks=(Track("Lead", 0, False, (Note(0, 60, 480),)), Track("Kit", 0, True, (Note(0, 36, 120),)),
                        Track("Finger bass", 33, False, (Note(0, 40, 480),))))
    assert [len(p) for p in assign_tracks(pop, PRESETS["lpd5"])] == [1, 1, 0, 1, 0]
    assert [r.name for r in parse_roles("melody:60-95:73,bass:28-60")] == ["melody", "bass"]
    with pytest.raises(GenerationError, match="is not a track role"):
        parse_roles("melody:high-low")


# -- generation -------------------------------------------------------------------

def test_noise_sd_zero_gives_the_same_music_for_any_random_seed(gen):
    seed = chorale(100, bars=4)
    outs = [run_generation(gen.generate(GenerationRequest(seed=seed, bars=8, random_seed=r, options=GenerationOptions(noise_sd=0.0))))[0]
            for r in (0, 1, 99)]
    assert notes(outs[0]) == notes(outs[1]) == notes(outs[2])
    assert [t.name for t in outs[0].tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert [t.program for t in outs[0].tracks] == [52, 52, 52, 52]  # the seed's programs


def test_the_same_random_seed_repeats_and_another_differs(gen):
    seed = chorale(101, bars=4)
    walk = [gen.walk(gen.encode_seed(seed), 6, 4, [0.8] * 4, [0.0] * 4, None, make_generator(r, gen.device))
            for r in (5, 5, 6)]
    assert torch.equal(walk[0].outputs[0], walk[1].outputs[0])
    assert not torch.equal(walk[0].outputs[0], walk[2].outputs[0])


def test_more_noise_moves_the_latents_further_from_the_noiseless_walk(gen):
    start = gen.encode_seed(chorale(102, bars=4))
    base = gen.walk(start, 8, 1, [0.0] * 4, [0.0] * 4, None, make_generator(0, gen.device)).outputs
    distances = []
    for sd in (0.2, 0.6, 1.2):
        out = gen.walk(start, 8, 32, [sd] * 4, [0.0] * 4, None, make_generator(1, gen.device)).outputs
        distances.append(float(sum((o - b).norm(dim=-1).mean() for o, b in zip(out, base))))
    assert distances[0] < distances[1] < distances[2]


def test_alpha_one_takes_every_input_latent_from_the_style_set(gen):
    style = chorale(103, bars=8, tonic=6)
    pools = gen.encode_style(style)
    walk = gen.walk(gen.encode_seed(chorale(104, bars=4)), 5, 3, [0.5] * 4, [1.0] * 4, pools, make_generator(2, gen.device))
    for pool, inputs in zip(pools, walk.inputs):
        flat = inputs.reshape(-1, inputs.shape[-1])  # (B * segments, latent)
        nearest = torch.cdist(flat, pool).min(dim=1).values
        assert float(nearest.max()) < 1e-5


def test_style_alpha_zero_ignores_the_style_song(gen):
    seed, style = chorale(105, bars=4), chorale(106, tonic=6)
    plain = run_generation(gen.generate(GenerationRequest(seed=seed, bars=4, options=GenerationOptions(noise_sd=0.0))))[0]
    styled = run_generation(gen.generate(GenerationRequest(seed=seed, bars=4, style=style, options=GenerationOptions(noise_sd=0.0, style_alpha=0.0))))[0]
    assert notes(plain) == notes(styled)


def test_the_style_mixer_sets_noise_per_track(gen):
    seed = chorale(107, bars=4)
    start = gen.encode_seed(seed)
    noise = gen.per_role(0.0, {"bass": 1.0})
    assert noise == [0.0, 0.0, 0.0, 1.0]
    a, b = (gen.walk(start, 4, 2, noise, [0.0] * 4, None, make_generator(r, gen.device)).outputs for r in (0, 1))
    assert torch.equal(a[0], b[0]) and not torch.equal(a[3], b[3])  # only the bass varies
    with pytest.raises(GenerationError, match="no track 'piano'"):
        run_generation(gen.generate(GenerationRequest(seed=seed, bars=2, options=GenerationOptions(track_noise_sd={"piano": 1.0}))))


def test_requests_out_of_range_are_refused_in_one_sentence(gen):
    with pytest.raises(GenerationError, match="noise sd must be between 0 and 5"):
        run_generation(gen.generate(GenerationRequest(bars=2, options=GenerationOptions(noise_sd=-1.0))))
    with pytest.raises(GenerationError, match="has no Top-k option"):
        run_generation(gen.generate(GenerationRequest(bars=2, options=GenerationOptions(top_k=5))))


def test_lengths_follow_the_meter(gen):
    waltz = chorale(108, bars=4, meter=(3, 4))
    out = run_generation(gen.generate(GenerationRequest(seed=waltz, bars=5, options=GenerationOptions(noise_sd=0.5))))[0]
    assert out.time_signatures[0].numerator == 3
    assert max(n.end for t in out.tracks for n in t.notes) <= 5 * 3 * 480


# -- checkpoints ------------------------------------------------------------------

def test_save_then_load_gives_the_same_weights_and_music(tiny, gen):
    state, card = load_checkpoint(tiny)
    again = load_generator(checkpoint=tiny, device="cpu")
    for name, tensor in again.model.state_dict().items():
        assert torch.equal(tensor, state[name]), name
    request = GenerationRequest(seed=chorale(109, bars=4), bars=4, random_seed=4, variations=2, options=GenerationOptions(noise_sd=0.7))
    assert [notes(s) for s in run_generation(gen.generate(request))] == [notes(s) for s in run_generation(again.generate(request))]
    assert card["arch"] == "vae-nn" and [r["name"] for r in card["roles"]] == ["soprano", "alto", "tenor", "bass"]


def test_a_truncated_checkpoint_is_refused_in_one_sentence(tiny, tmp_path):
    import shutil

    from app.core.errors import CheckpointError

    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated or was modified"):
        load_generator(checkpoint=broken, device="cpu")


# -- LPD-5 ------------------------------------------------------------------------

def lpd5_rolls(seed: int, bars: int = 4, resolution: int = 24):
    steps = bars * 4 * resolution
    rolls = [np.zeros((steps, 128), dtype=bool) for _ in range(5)]
    for beat in range(bars * 4):
        at = beat * resolution
        rolls[0][at, 36 if beat % 2 == 0 else 38] = True  # drums: onsets only
        rolls[1][at: at + resolution, 60 + (beat * 5 + seed) % 12] = True  # piano: a new pitch every beat
        rolls[3][at: at + resolution, 36 + (beat * 3 + seed) % 5] = True  # bass
    rolls[2][: steps // 2, [52, 56, 59]] = True  # a held guitar chord
    rolls[4][:, 64] = True  # strings pad
    return rolls


def test_lpd5_files_read_as_five_named_tracks(tmp_path):
    path = tmp_path / "song.npz"
    write_lpd5(path, lpd5_rolls(0), ["Drums", "Piano", "Guitar", "Bass", "Strings"], [0, 0, 24, 32, 48],
               [True, False, False, False, False])
    score = read_lpd5(path)
    assert [(t.name, t.program, t.is_drum) for t in score.tracks] == [
        ("Drums", 0, True), ("Piano", 0, False), ("Guitar", 24, False), ("Bass", 32, False), ("Strings", 48, False)]
    assert len(score.tracks[0].notes) == 16 and {n.pitch for n in score.tracks[0].notes} == {36, 38}
    assert [(n.start, n.duration) for n in score.tracks[1].notes] == [(b * 480, 480) for b in range(16)]
    assert score.tracks[4].notes == (Note(0, 64, 4 * 4 * 480, 90),)
    assert [len(p) for p in assign_tracks(score, PRESETS["lpd5"])] == [16, 16, 3, 16, 1]
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="is not an LPD-5 pianoroll file"):
        read_lpd5(tmp_path / "bad.npz")


def test_vae_nn_trains_on_an_lpd5_folder_and_generates_five_tracks(tmp_path):
    from models.common.train_loop import run_training
    from models.common.train_task import TrainConfig
    from models.vae_nn.train import train_vae_nn

    folder = tmp_path / "lpd5"
    folder.mkdir()
    for i in range(24):
        write_lpd5(folder / f"song{i}.npz", lpd5_rolls(i), ["Drums", "Piano", "Guitar", "Bass", "Strings"],
                   [0, 0, 24, 32, 48], [True, False, False, False, False])
    cfg = TrainConfig(epochs=2, batch_size=8, device="cpu", warmup_steps=2, patience=0)
    out = tmp_path / "model"
    metrics = run_training(train_vae_nn([str(folder)], out, cfg, model_overrides=dict(channels=[4, 8, 8], hidden=32, mlp_hidden=32)))
    assert metrics["steps"] > 0
    card = read_card(out)
    assert card["training"]["roles"] == "lpd5" and card["training"]["datasets"][str(folder)]["lpd5_files"] == 24
    assert card["training"]["pieces"]["test"] > 0  # held-out measures written into the card
    assert 0.0 <= card["metrics"]["recon_step_accuracy"] <= 1.0 and set(card["metrics"]["kl_per_segment"]) == {
        "piano", "drums", "guitar", "bass", "strings"}
    gen = load_generator(checkpoint=out, device="cpu")
    score = run_generation(gen.generate(GenerationRequest(bars=4, options=GenerationOptions(noise_sd=0.5))))[0]
    assert [(t.name, t.program, t.is_drum) for t in score.tracks] == [
        ("Piano", 0, False), ("Drums", 0, True), ("Guitar", 25, False), ("Bass", 33, False), ("Strings", 48, False)]


def test_a_monophonic_line_is_decoded_whole_so_near_ties_do_not_fragment_a_held_note():
    from models.vae_nn.decoding import decode_steps

    p = torch.full((1, 32, 12), 1e-4)
    for step in range(32):  # pitch 3 held, pitch 4 just ahead on every third step
        p[0, step, 3], p[0, step, 4] = (0.45, 0.46) if step % 3 == 0 else (0.46, 0.44)
    p[0, 24:, :] = 1e-4  # then silence
    logits = torch.log(p / (1 - p))
    stepwise = decode_steps(logits, monophonic=True, hold=0.0)[0]
    whole = decode_steps(logits, monophonic=True)[0]
    assert stepwise[0:24:3, 4].all() and not stepwise[1:24:3, 4].any()  # the step rule flickers
    assert whole[:24, 3].all() and not whole[:, 4].any() and not whole[24:].any()  # one held note, then a rest
    # with no penalty the path is the step-by-step rule: sound when the chance passes 0.5, likeliest pitch
    sounding = p[0].sum(-1) > 0.5
    assert torch.equal(stepwise.any(-1), sounding) and torch.equal(stepwise.float().argmax(-1)[sounding],
                                                                    p[0].argmax(-1)[sounding])


def test_the_key_prior_turns_near_ties_toward_the_key_and_leaves_a_clear_choice_alone():
    from models.vae_nn.decoding import decode_steps, key_bias

    c_major = frozenset({0, 2, 4, 5, 7, 9, 11})
    p = torch.full((1, 32, 12), 1e-4)  # a window from C: rows are pitch classes 0-11
    p[0, :16, 6], p[0, :16, 7] = 0.50, 0.40  # F# barely ahead of G
    p[0, 16:, 1], p[0, 16:, 2] = 0.9999, 0.0001  # C# far ahead of D (more than the prior's 8 nats)
    logits = torch.log(p / (1 - p))
    bias = key_bias([(c_major, 1.0)], 0, 12, 8.0)
    assert bias.tolist() == [0.0 if pc in c_major else -8.0 for pc in range(12)]
    plain = decode_steps(logits, monophonic=True)[0]
    kept = decode_steps(logits, monophonic=True, bias=bias)[0]
    assert plain[:16, 6].all() and kept[:16, 7].all() and not kept[:16, 6].any()  # G, not F#
    assert kept[16:, 1].all()  # the decoder's clear choice stands
    assert torch.equal(kept.any(-1), plain.any(-1))  # the prior picks pitches; it does not add or remove notes
    poly = decode_steps(torch.full((1, 32, 12), 1.0), monophonic=False, bias=bias)[0]  # p = 0.73 everywhere
    assert poly[:, sorted(c_major)].all() and not poly[:, [1, 3, 6, 8, 10]].any()
    # a style song's key shares the weight: outside both keys pays in full, outside one pays its share
    g_major = frozenset({7, 9, 11, 0, 2, 4, 6})
    mixed = key_bias([(c_major, 0.75), (g_major, 0.25)], 0, 12, 8.0)
    assert mixed[5] == -2.0 and mixed[6] == -6.0 and mixed[1] == -8.0 and mixed[0] == 0.0
    assert key_bias([(None, 1.0)], 0, 12, 8.0) is None and key_bias([(c_major, 1.0)], 0, 12, 0.0) is None


def test_predicted_latents_keep_the_length_of_the_seeds(gen):
    start = gen.encode_seed(chorale(108, bars=4))
    walk = gen.walk(start, 6, 2, [0.0] * 4, [0.0] * 4, None, make_generator(0, gen.device))
    for seed_latent, outputs in zip(start, walk.outputs):  # (1, latent), (B, segments, latent)
        assert torch.allclose(outputs.norm(dim=-1), seed_latent.norm().expand(2, 6), rtol=1e-4)
