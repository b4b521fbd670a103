"""The toy arpeggiator's generator: one pitch-class histogram, sampled with a temperature."""

from dataclasses import replace
from pathlib import Path

import numpy as np

from app.core.score import Note, Score, Track
from cadenza_toy import SPEC
from models.common.card import load_arrays
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, with_provenance

STEP = 240  # an eighth note at 480 ticks per quarter


class ToyGenerator(Generator):
    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "cpu") -> None:
        arrays, self.card = load_arrays(checkpoint_dir)
        self.checkpoint_dir = Path(checkpoint_dir)
        self.weights = np.asarray(arrays["pitch_classes"], dtype=np.float64)  # (12,)

    def generate(self, request: GenerationRequest) -> GenerationRun:
        request = self.check_request(request)
        logits = np.log(self.weights + 1e-9) / request.options.temperature
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        root = 60
        if request.seed is not None and request.seed.tracks and request.seed.tracks[0].notes:
            root = request.seed.tracks[0].notes[-1].pitch
        steps = request.bars * 8
        scores = []
        for v in range(request.variations):
            rng = np.random.default_rng([request.random_seed, v])
            classes = rng.choice(12, size=steps, p=probs)
            pitches = [root - root % 12 + int(c) + (12 if (i // 4) % 2 else 0) for i, c in enumerate(classes)]
            notes = [Note(start=i * STEP, pitch=p, duration=STEP, velocity=80) for i, p in enumerate(pitches)]
            score = Score(tracks=[Track(name="Arpeggio", program=46, notes=notes)], title=f"toy arpeggio {v + 1}")
            scores.append(with_provenance(score, self.provenance(request, v)))
            yield Progress(v + 1, request.variations, f"variation {v + 1}")
        return [replace(s) for s in scores]
