"""No file outside a model's folder names the model: the CLI, the UI, the evaluation and the tools read its SPEC.

Adding a model is one folder. The names looked for are the bundled models' own (from the registry) and their
package paths; the general word "Markov" in prose is not the model's name, a quoted "markov" or
``models.markov`` is. Allowed to name models: their own folder, the tests (which test a given model), the
benchmarks (which set a model beside the alternative a user would pick), docs, seeds and checkpoints, and
the three tools that write docs/ (their text is the reports' prose: which model the README's screenshot shows,
what each model's evaluation and benchmark figures mean).
"""

import re
import subprocess
from pathlib import Path

from models.registry import model_specs

ROOT = Path(__file__).parents[1]
ALLOWED = ("tests/", "benchmarks/", "docs/", "resources/", "README.md", "tools/evaluation_report.py",
           "tools/benchmarks_report.py", "tools/screenshot.py")


def _bundled():
    """(spec name, package folder) of every bundled model."""
    return [(s.name, s.generator.target.split(".")[1]) for s in model_specs() if s.generator.target.startswith("models.")]


def _patterns(name: str, folder: str) -> re.Pattern:
    words = [rf"models[./]{folder}\b", rf"[\"']{re.escape(name)}[\"']"]
    if "-" in name:  # a coined name, never a word of prose
        words.append(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    return re.compile("|".join(words))


def test_no_model_is_named_outside_its_folder():
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name, folder in _bundled():
        pattern = _patterns(name, folder)
        for rel in files:
            if rel.startswith(ALLOWED) or rel.startswith(f"models/{folder}/") or not rel.endswith((".py", ".toml",
                                                                                                  ".cfg", ".sh")):
                continue
            path = ROOT / rel
            if not path.is_file():
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{rel}:{number}: {line.strip()[:100]}")
    assert offenders == [], "model names outside their folders:\n" + "\n".join(offenders)


def test_every_bundled_folder_has_a_spec():
    folders = {p.parent.name for p in (ROOT / "models").glob("*/__init__.py")}
    shared = {"common", "evaluation", "metrics", "audio_common"}
    assert {folder for _, folder in _bundled()} == folders - shared
