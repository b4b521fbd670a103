"""The models' bar lengths follow the meter map: a seed of one bar of 4/4 in C major, then 3/4 in G major."""

from __future__ import annotations

import numpy as np

from app.core.score import KeyChange, Note, Score, TimeSignature, Track
from models.abc_lstm.seed import melody_tune
from models.common.band_roll import LEAD, plan_band, step_ticks
from models.common.meter_regions import MeterRegion, meter_regions
from models.vae_nn.pianoroll import last_segment, notes_to_rolls, roll_to_notes, score_grid

PPQ = 480
WALTZ_AT = 4 * PPQ  # the 3/4 bars begin after one bar of 4/4
SIGS = (TimeSignature(0, 4, 4), TimeSignature(WALTZ_AT, 3, 4))
KEYS = (KeyChange(0, "C major"), KeyChange(WALTZ_AT, "G major"))


def changing(*tracks: Track) -> Score:
    return Score(tracks=tracks, ppq=PPQ, time_signatures=SIGS, keys=KEYS, title="Change")


def tune() -> Track:
    """Four quarters of 4/4, then a 3/4 bar of G A B and one D in the next 3/4 bar (ending in it)."""
    notes = [Note(i * PPQ, 60 + 2 * i, PPQ) for i in range(4)]
    notes += [Note(WALTZ_AT + i * PPQ, p, PPQ) for i, p in enumerate((67, 69, 71))]
    notes.append(Note(WALTZ_AT + 3 * PPQ, 74, PPQ))
    return Track("Lead", 73, False, tuple(notes))


def test_the_regions_of_a_meter_map_end_at_its_real_bar_lines():
    assert meter_regions(changing(tune()), changing(tune()).end) == [
        MeterRegion(0, WALTZ_AT, SIGS[0]), MeterRegion(WALTZ_AT, WALTZ_AT + 2 * 3 * PPQ, SIGS[1])]


def test_a_lead_alone_is_cut_at_its_real_bar_lines_and_the_band_keeps_the_seeds_maps():
    seed = changing(tune())
    plan = plan_band(seed, bars=4)
    assert plan.accompany
    assert plan.steps * step_ticks(PPQ) == WALTZ_AT + 2 * 3 * PPQ  # one 4/4 bar and two 3/4 bars, not two 4/4 bars
    assert plan.lead[16 + 12 + 0, 74] and not plan.lead[16 + 12 + 4:, :].any()
    assert plan.like.time_signatures == SIGS and plan.like.keys == KEYS


def test_a_band_is_continued_after_its_last_real_bar_line_in_the_meter_and_key_there():
    bass = Track("Bass", 33, False, tuple(Note(n.start, n.pitch - 24, n.duration) for n in tune().notes))
    plan = plan_band(changing(tune(), bass), bars=2)
    assert not plan.accompany and plan.context.shape[1] == 16 + 2 * 12  # not 36: a 3/4 bar counted from tick 0
    assert plan.steps == 2 * 12 and plan.like.time_signatures == (TimeSignature(0, 3, 4),)
    assert plan.like.key == "G major"
    assert plan.context[0, 16 + 12, 74] and plan.context[2, 16, 67 - 24]


def test_vae_nn_reads_the_3_4_bars_where_the_seed_ends_on_their_real_bar_lines():
    seed = changing(tune())
    grid = score_grid(seed)
    assert (grid.bar_steps, grid.used, grid.origin) == (12, 24, WALTZ_AT)
    window = last_segment([seed.tracks[0].notes], [(48, 36)], grid, seed.end)[0]
    assert [np.flatnonzero(window[s]).tolist() for s in (0, 4, 8, 12)] == [[67 - 48], [69 - 48], [71 - 48], [74 - 48]]
    assert not window[16:].any()  # the second 3/4 bar's rest, then the padding
    roll = notes_to_rolls([seed.tracks[0].notes], [(48, 36)], grid)[0]
    assert roll_to_notes(roll, 48, grid)[0] == Note(WALTZ_AT, 67, PPQ, 90)  # back at its own tick


def test_abc_lstm_continues_the_seed_in_the_meter_and_key_in_force_at_its_end():
    fields, body = melody_tune(changing(tune()))
    assert (fields["M"], fields["K"]) == ("3/4", "G")
    assert body.replace(" ", "").startswith("G2A2B2|d2")  # the 3/4 bars only, spelled in G


def test_band_gan_accompanies_each_meter_in_its_own_bars_and_keeps_the_seeds_maps(one_torch_thread):
    from app.core.provenance import Provenance
    from models.common.generator import GenerationRequest, run_generation
    from models.common.options import GenerationOptions
    from models.registry import load_generator

    seed = changing(tune())
    out = run_generation(load_generator("band-gan", None, "cpu").generate(GenerationRequest(
        seed=seed, variations=1, random_seed=3, device="cpu", options=GenerationOptions(temperature=2.0))))[0]
    assert out.time_signatures == SIGS and out.keys == KEYS
    assert out.tracks[0].notes == seed.tracks[0].notes and any(t.notes for t in out.tracks[1:])
    assert all(n.start < WALTZ_AT + 2 * 3 * PPQ for t in out.tracks for n in t.notes)
    assert Provenance.of(out).seed_note == ("band-gan learned its bands in 4/4; in 3/4 it writes 2 bars at a time "
                                            "into the first 24 of its 32 steps.")


def test_the_seed_line_and_the_listening_clips_follow_the_maps():
    from app.services.listening_test import nominal_frames
    from app.ui.generation.seed_picker import maps_text

    assert maps_text(changing(tune())) == "4/4 → 3/4, C major → G major"
    assert maps_text(Score(tracks=(tune(),), key="D major")) == "4/4, D major"
    assert nominal_frames(changing(tune()), 2, 120.0, 1000) == 3500  # 4 + 3 quarters at half a second


def test_harmony_cnn_writes_each_meter_from_its_first_bar_line_with_a_bass_note_in_every_bar(one_torch_thread):
    from app.core.provenance import Provenance
    from app.core.timing import bar_lines
    from models.common.generator import GenerationRequest, run_generation
    from models.harmony_cnn.generate import meter_runs
    from models.registry import load_generator

    waltz = tuple(Note(WALTZ_AT + (6 + i) * PPQ, p, PPQ) for i, p in enumerate((72, 71, 69, 67, 69, 71)))
    seed = changing(Track("Lead", 73, False, tune().notes + waltz))  # one bar of 4/4, then four of 3/4
    lines = [b.tick for b in bar_lines(seed)] + [seed.end]
    assert lines == [0, WALTZ_AT, *(WALTZ_AT + k * 3 * PPQ for k in range(1, 5))]
    runs = meter_runs(plan_band(seed, bars=4))  # in steps: the 4/4 bar, then two segments of two 3/4 bars
    assert [(r.start, r.end, r.used) for r in runs] == [(0, 16, 32), (16, 64, 24)]
    outs = run_generation(load_generator("harmony-cnn", None, "cpu").generate(
        GenerationRequest(seed=seed, variations=3, random_seed=0, device="cpu")))
    step = step_ticks(PPQ)
    for out in outs:
        assert out.time_signatures == SIGS and out.keys == KEYS
        bass = next(t for t in out.tracks if t.name == "Bass").notes
        assert all(any(n.start < end and n.end > start for n in bass) for start, end in zip(lines, lines[1:]))
        run_of = [next(r for r in reversed(runs) if r.start * step <= n.start) for n in bass]
        assert all((n.start - r.start * step) % PPQ == 0 for n, r in zip(bass, run_of))  # on its run's beats
        assert max(n.end for n in bass) <= seed.end
    assert Provenance.of(outs[0]).seed_note == ("harmony-cnn learned its bands in 4/4; in 3/4 it writes 2 bars at a "
                                                "time into the first 24 of its 32 steps.")
