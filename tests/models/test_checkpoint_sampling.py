"""Checkpoints (safetensors + card, sha256 checked, resume state) and sampling."""

import json

import pytest
import torch

from app.core.errors import CheckpointError, DeviceError
from models.common.checkpoint import load_checkpoint, load_resume, save_checkpoint, save_resume
from models.common.device import gpu_memory_guard, resolve_device
from models.common.sampling import filter_logits, make_generator, sample_next


def tiny_state():
    torch.manual_seed(0)
    return torch.nn.Linear(4, 3).state_dict()


def test_save_load_equal_and_card(tmp_path):
    state = tiny_state()
    card = save_checkpoint(tmp_path / "ck", state, {"arch": "test", "config": {"n": 4}})
    loaded, card2 = load_checkpoint(tmp_path / "ck")
    assert card2 == card and len(card["weights_sha256"]) == 64
    assert all(torch.equal(loaded[k], state[k]) for k in state)


def test_half_precision_checkpoint_is_smaller_and_close(tmp_path):
    state = {"w": torch.randn(256, 256)}
    save_checkpoint(tmp_path / "f", state, {"arch": "t"})
    save_checkpoint(tmp_path / "h", state, {"arch": "t"}, half=True)
    assert (tmp_path / "h" / "model.safetensors").stat().st_size < 0.6 * (tmp_path / "f" / "model.safetensors").stat().st_size
    loaded, _ = load_checkpoint(tmp_path / "h")
    assert loaded["w"].dtype == torch.float32 and torch.allclose(loaded["w"], state["w"], atol=1e-2)


@pytest.mark.parametrize("damage, phrase", [
    (lambda d: (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:-10]), "truncated or was modified"),
    (lambda d: (d / "config.json").write_text("{"), "damaged"),
    (lambda d: (d / "config.json").unlink(), "no config.json"),
    (lambda d: (d / "model.safetensors").unlink(), "no model.safetensors"),
])
def test_bad_checkpoints_are_refused(tmp_path, damage, phrase):
    save_checkpoint(tmp_path / "ck", tiny_state(), {"arch": "test"})
    damage(tmp_path / "ck")
    with pytest.raises(CheckpointError, match=phrase):
        load_checkpoint(tmp_path / "ck")


def test_tampered_bytes_same_length_are_refused(tmp_path):
    save_checkpoint(tmp_path / "ck", tiny_state(), {"arch": "test"})
    path = tmp_path / "ck" / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(tmp_path / "ck")


def test_resume_state_round_trip(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(5, 3)).sum().backward()
        opt.step()
    save_resume(tmp_path, opt, {"step": 3})
    expected_next = torch.rand(4)
    model2 = torch.nn.Linear(3, 2)
    opt2 = torch.optim.AdamW(model2.parameters(), lr=1e-2)
    torch.rand(10)  # move the RNG on; resume must put it back
    info, _ = load_resume(tmp_path, opt2)
    assert info == {"step": 3}
    assert torch.equal(torch.rand(4), expected_next)
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert all(torch.equal(s1[k]["exp_avg"], s2[k]["exp_avg"]) for k in s1)
    assert not list(tmp_path.glob("*.pt")) and json.loads((tmp_path / "resume.json").read_text())["info"]["step"] == 3


def test_a_unit_reads_whole_at_every_moment_and_an_interrupted_commit_is_finished(tmp_path):
    from models.common import file_unit

    def writer(text):
        return lambda path: path.write_text(text)

    file_unit.commit(tmp_path, {"a": writer("a1"), "b": writer("b1")}, {"step": 1})
    assert file_unit.read_manifest(tmp_path)["step"] == 1
    assert (tmp_path / "a").stat().st_mode & 0o777 == file_unit.file_mode()
    # a commit stopped after its first file moved into place: readers see the whole new set
    staged = tmp_path / file_unit.COMMIT
    staged.mkdir()
    (staged / "b").write_text("b2")
    (staged / file_unit.MANIFEST).write_text(json.dumps({"step": 2, "files": {"a": "x", "b": "y"}}))
    (tmp_path / "a").write_text("a2")  # already moved
    read = {n: file_unit.resolve(tmp_path, n).read_text() for n in ("a", "b")}
    assert read == {"a": "a2", "b": "b2"} and file_unit.read_manifest(tmp_path)["step"] == 2
    (tmp_path / ".staging-dead").mkdir()  # a kill before the commit point
    file_unit.recover(tmp_path)
    assert (tmp_path / "b").read_text() == "b2" and not staged.exists() and not (tmp_path / ".staging-dead").exists()
    assert file_unit.read_manifest(tmp_path)["step"] == 2


def test_a_checkpoint_replaced_keeps_the_resume_state_and_the_card_update_renews_the_manifest(tmp_path):
    from models.common import file_unit
    from models.common.card import update_card

    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    save_resume(tmp_path, opt, {"step": 3})
    save_checkpoint(tmp_path, tiny_state(), {"arch": "test", "training": {"steps": 3}})
    manifest = file_unit.read_manifest(tmp_path)
    assert set(manifest["files"]) == {"resume.safetensors", "resume.json", "model.safetensors", "config.json"}
    update_card(tmp_path, metrics={"x": 1})
    after = file_unit.read_manifest(tmp_path)
    assert after["files"]["config.json"] != manifest["files"]["config.json"]
    assert {k: v for k, v in after["files"].items() if k != "config.json"} == \
        {k: v for k, v in manifest["files"].items() if k != "config.json"}
    assert load_checkpoint(tmp_path)[1]["metrics"] == {"x": 1}


def test_devices():
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="No CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(DeviceError, match="Unknown device"):
        resolve_device("tpu")


def test_out_of_memory_becomes_one_sentence():
    with pytest.raises(DeviceError, match="ran out of memory; lower the batch size"):
        with gpu_memory_guard():
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


def test_top_k_top_p_and_mask():
    logits = torch.tensor([[4.0, 3.0, 2.0, 1.0, 0.0]])
    assert torch.isfinite(filter_logits(logits, top_k=2)).tolist() == [[True, True, False, False, False]]
    # probabilities ~ .64 .23 .09 .03 .01: top-p 0.8 keeps the first two
    assert torch.isfinite(filter_logits(logits, top_p=0.8)).tolist() == [[True, True, False, False, False]]
    allowed = torch.tensor([[False, False, True, True, False]])
    gen = make_generator(0, torch.device("cpu"))
    draws = {int(sample_next(logits, gen, allowed=allowed)) for _ in range(50)}
    assert draws <= {2, 3} and 2 in draws


def test_sampling_is_reproducible_and_temperature_sharpens():
    logits = torch.randn(8, 50, generator=torch.Generator().manual_seed(1))
    a = [sample_next(logits, make_generator(7, torch.device("cpu")), temperature=1.0) for _ in range(1)]
    b = [sample_next(logits, make_generator(7, torch.device("cpu")), temperature=1.0) for _ in range(1)]
    assert torch.equal(a[0], b[0])
    gen = make_generator(3, torch.device("cpu"))
    share = {t: torch.stack([sample_next(logits, gen, temperature=t) for _ in range(200)]).eq(logits.argmax(-1)).float().mean()
             for t in (0.05, 1.0, 2.0)}
    assert share[0.05] > share[1.0] > share[2.0] and share[0.05] > 0.9
