"""Re-record the golden generation of some bundled models (tests/data/golden_generation.json).

The golden test pins each bundled checkpoint's music for a fixed request, so a refactor that changes
what a model writes is caught. Re-record a model only when its music changes on purpose (a new
checkpoint, a sampling change) and say why in the commit:

    .venv/bin/python tools/record_golden_generation.py MODEL [MODEL ...]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "models"))

GOLDEN = ROOT / "tests" / "data" / "golden_generation.json"


def main(models: list[str]) -> int:
    import torch

    from test_golden_generation import _notes  # the test's own way of writing the notes down

    from app.core.formats import load_score
    from app.core.generation_settings import abc_seed_text
    from models.common.generator import GenerationRequest, run_generation
    from models.common.options import GenerationOptions
    from models.registry import load_generator

    torch.set_num_threads(1)
    golden = json.loads(GOLDEN.read_text())
    for model in models:
        case = golden[model]
        gen = load_generator(model, None, "cpu")
        request = GenerationRequest(seed=load_score(case["seed"]), seed_text=abc_seed_text(case["seed"]),
                                    bars=case["bars"], variations=case["variations"], random_seed=case["random_seed"],
                                    device="cpu", options=GenerationOptions(**case["options"]))
        notes = _notes(run_generation(gen.generate(request)))
        case["notes"], case["sha256"] = notes, hashlib.sha256(json.dumps(notes).encode()).hexdigest()
        print(model, case["sha256"])
    GOLDEN.write_text(json.dumps(golden))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
