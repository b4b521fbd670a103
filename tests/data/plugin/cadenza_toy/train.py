"""The toy arpeggiator's trainer: count pitch classes over the data, in one pass."""

import numpy as np

from models.common.card import save_arrays
from models.common.corpus import load_scores
from models.common.train_request import TrainRequest
from models.common.train_task import TrainProgress


def train_run(request: TrainRequest):
    counts = np.ones(12)
    for spec in request.data or ("corpus:chorales",):
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
        for item in load_scores(spec).items:
            for track in item.score.tracks:
                for note in track.notes:
                    counts[note.pitch % 12] += 1
    weights = counts / counts.sum()
    card = {"arch": "toy-arpeggio", "name": "toy-arpeggio", "config": {}, "training": {"data": list(request.data or ()),
            "command": request.command}, "metrics": {"pitch_classes": int(counts.sum() - 12)}}
    save_arrays(request.out, {"pitch_classes": weights.astype(np.float32)}, card)
    return card["metrics"]
