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
