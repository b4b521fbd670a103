"""The registry finds model specs cheaply, in the bundled folders and the cadenza.models entry-point group."""

import subprocess
import sys
from pathlib import Path

import pytest

from app.core.errors import GenerationError
from models.common.options import MODEL_OPTIONS
from models.common.spec import SEED_KINDS
from models.registry import get_spec, list_models, load_generator, model_specs, spec_names

ROOT = Path(__file__).parents[2]


def test_reading_the_specs_imports_no_torch_qt_or_scipy():
    code = ("import sys; from models.registry import model_specs; specs = model_specs();"
            "print(len(specs), [m for m in ('torch', 'PySide6', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    count, loaded = out.stdout.split(" ", 1)
    assert int(count) >= 4 and loaded.strip() == "[]"


def test_every_spec_is_complete_and_every_bundled_checkpoint_has_one():
    for spec in model_specs():
        assert spec.name and spec.description and spec.good_for and spec.architecture
        assert set(spec.options) <= set(MODEL_OPTIONS) and set(spec.seeds) <= set(SEED_KINDS) and spec.roles
        assert spec.generator.target.count(":") == 1
    for entry in list_models():
        if entry.bundled:
            assert get_spec(entry.arch).name == entry.arch


def test_an_unknown_model_is_one_sentence_naming_the_known_ones():
    with pytest.raises(GenerationError, match="Unknown model 'nope'; the models are .*"):
        get_spec("nope")


def test_a_plugin_spec_is_found_through_its_entry_point(toy_plugin):
    assert "toy-arpeggio" in spec_names()
    assert spec_names().index("toy-arpeggio") == len(spec_names()) - 1  # after the bundled ones
    entry = next(e for e in list_models() if e.name == "toy-arpeggio")
    assert entry.path == toy_plugin / "cadenza_toy" / "checkpoint"
    gen = load_generator("toy-arpeggio", device="cpu")
    assert gen.name == "toy-arpeggio" and gen.options == ("temperature",)


def test_without_the_plugin_it_is_gone():
    assert "toy-arpeggio" not in spec_names()
