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
        assert set(spec.options) <= set(MODEL_OPTIONS) and set(spec.seeds) <= set(SEED_KINDS)
        assert bool(spec.roles) != spec.audio_out  # a note model names the roles it writes; a sound model has none
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


def test_an_unreadable_user_model_says_why_it_cannot_be_read(tmp_path, monkeypatch):
    import json
    import shutil

    from app.core.errors import CheckpointError
    from models.registry import BUNDLED_DIR, find_checkpoint

    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path))
    mine = tmp_path / "mine"
    shutil.copytree(BUNDLED_DIR / "markov", mine)
    assert find_checkpoint("mine") == mine
    card = json.loads((mine / "config.json").read_text())
    del card["weights_sha256"]
    (mine / "config.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError) as err:
        find_checkpoint("mine")
    assert str(err.value) == (f"The model 'mine' cannot be read: the model card {mine / 'config.json'} is not valid: "
                              "it lacks 'weights_sha256' (the checksum of its weights).")
    (mine / "config.json").write_text("{")
    with pytest.raises(CheckpointError, match=r"^The model 'mine' cannot be read: the model card .* is damaged"):
        load_generator("mine")
    (mine / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"cannot be read: .*mine is not a Cadenza checkpoint \(it has no config.json\)\.$"):
        find_checkpoint("mine")
    with pytest.raises(GenerationError, match="There is no model called 'yours'"):
        find_checkpoint("yours")


def test_a_models_folder_that_cannot_be_read_is_left_out_with_one_warning(tmp_path, monkeypatch, capsys):
    """Root reads every folder, so the refusal a user's session gets (EACCES) is raised here by hand."""
    from pathlib import Path as RealPath

    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(folder))
    real_iterdir = RealPath.iterdir

    def iterdir(self):
        if self == folder:
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    monkeypatch.setattr(RealPath, "iterdir", iterdir)
    entries = list_models()
    assert entries and all(e.bundled for e in entries)  # the bundled models are still offered
    err = capsys.readouterr().err
    assert f"The models folder {folder} cannot be read (Permission denied); its models are left out." in err


def test_sound_models_are_left_out_of_note_generation(capsys, tmp_path):
    from app.cli import main
    from app.services.generation import scan_models

    sound = {s.name for s in model_specs() if s.audio_out}
    assert {"audio-vae", "audio-lstm", "style-transfer"} <= sound
    infos, _devices = scan_models()
    assert infos and not {i.arch for i in infos} & sound  # the Generate panel lists note models only
    capsys.readouterr()
    assert main(["generate", "--model", "style-transfer", "--out", str(tmp_path / "x.mid")]) == 1
    assert capsys.readouterr().err.strip() == ("error: Audio style transfer works on sound, not notes: use it in "
                                               "the Audio Lab (View > Audio Lab) or with cadenza augment.")
