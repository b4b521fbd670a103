"""The character Markov baseline that cadenza eval fits beside abc-lstm writes valid tunes through the
same sampler (forced header and seed read in one go, then one character a step)."""

from models.abc_lstm.baseline import fit_char_baseline
from models.abc_lstm.grammar import check_tune
from models.common.generator import GenerationRequest, run_generation
from models.registry import load_generator

TUNES = ["X:1\nT:A\nM:4/4\nL:1/8\nK:G\nGABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA|]\n",
         "X:2\nT:B\nM:6/8\nL:1/8\nK:D\nFAA dAA|BAF ABd|fed cBA|BAF E3|]\n"] * 5


def test_the_character_baseline_continues_a_seed_with_valid_tunes():
    baseline = fit_char_baseline(TUNES, TUNES[:2], load_generator("abc-lstm", device="cpu"), ["corpus:folk-abc"])
    scores = run_generation(baseline.generate(GenerationRequest(
        seed_text="X:1\nT:Seed\nM:4/4\nL:1/8\nK:G\nGABc dedB|", bars=4, variations=3, random_seed=2)))
    texts = [s.provenance["abc"] for s in scores]
    assert len(texts) == 3 and all(check_tune(t) == (True, "ok") for t in texts), texts
    assert all("K:G\nGABc dedB|" in t for t in texts)
