"""Small band pieces and request helpers for the band models' tests (multitrack-rnn, harmony-cnn)."""

from __future__ import annotations

import torch

from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from models.common.checkpoint import save_checkpoint
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions

Q = 480  # ticks per quarter; a step (a 16th) is 120
BAND_NAMES = ["Drums", "Bass", "Guitar", "Piano", "Strings"]


def band(i: int, bars: int = 4) -> Score:
    """Lead, drums (kick on the downbeat, hat on the eighths), bass roots and piano triads on beat 2, 4/4."""
    lead, drums, bass, piano = [], [], [], []
    for b in range(bars):
        root = (48, 53, 55, 48)[(b + i) % 4]
        bass.append(Note(b * 4 * Q, root - 12, 2 * Q))
        piano += [Note(b * 4 * Q + Q, root + d, Q) for d in (12, 16, 19)]
        lead += [Note(b * 4 * Q + k * Q, root + 24 + (0, 2, 4, 7)[k], Q) for k in range(4)]
        drums += [Note(b * 4 * Q + k * Q // 2, 42, 60) for k in range(8)] + [Note(b * 4 * Q, 36, 60)]
    tracks = (Track("Lead", 73, False, tuple(lead)), Track("Drums", 0, True, tuple(drums)),
              Track("Bass", 33, False, tuple(bass)), Track("Piano", 0, False, tuple(piano)))
    return Score(tracks=tracks, tempos=(TempoChange(0, 100.0),), time_signatures=(TimeSignature(0, 4, 4),),
                 title=f"band {i}")


def melody(bars: int = 2, name: str = "Flute", program: int = 73) -> Score:
    """A melody alone, in quarters (any instrument: a lone melody is the lead)."""
    notes = tuple(Note(k * Q, 67 + (k % 3), Q) for k in range(4 * bars))
    return Score(tracks=(Track(name, program, False, notes),), time_signatures=(TimeSignature(0, 4, 4),),
                 title="tune")


def save_fresh(task, out) -> torch.nn.Module:
    """Save ``task``'s freshly built model (seeded) with its card, as the training loop writes a checkpoint."""
    torch.manual_seed(0)
    model = task.build_model()
    save_checkpoint(out, model.state_dict(), task.card())
    return model


def generate(gen, seed, bars=2, variations=1, random_seed=0, **options):
    return run_generation(gen.generate(GenerationRequest(seed=seed, bars=bars, variations=variations,
                                                         random_seed=random_seed,
                                                         options=GenerationOptions(**options))))


def notes(score):
    return {t.name: sorted((n.start, n.pitch, n.duration) for n in t.notes) for t in score.tracks}


def check_bundled_card(name: str) -> dict:
    """The bundled checkpoint's card: the exact training command on corpus:band with its corpus summary,
    test metrics, an evaluation beside markov, and a weights file under 25 MB; returns the card."""
    from models.common.card import read_card
    from models.registry import BUNDLED_DIR

    card = read_card(BUNDLED_DIR / name)
    training = card["training"]
    assert card["arch"] == name and training["command"].startswith(f"cadenza train --model {name} --data corpus:band")
    assert training["data"] == ["corpus:band"] and "seed" in training
    summary = training["datasets"]["corpus:band"]["summary"]
    assert summary["pieces"] > 0 and summary["bars"] > 0 and summary["grooves"]
    assert set(summary["notes_per_role"]) == {"lead", *(n.lower() for n in BAND_NAMES)}
    assert "test_cross_entropy" in card["metrics"]
    assert {"overlap_mean", "markov_overlap_mean"} <= set(card["evaluation"])
    assert (BUNDLED_DIR / name / "model.safetensors").stat().st_size < 25 * 2**20
    return card
