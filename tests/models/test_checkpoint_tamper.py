"""Tampered checkpoints are refused whole: every variant with one sentence, before anything big is built.

The variants are made programmatically from a tiny note-lstm checkpoint (the bundled vocabulary, 8 units)
and from the bundled note-lstm itself: truncated and byte-flipped weights, card fields deleted, vocabulary
entries swapped, huge sizes (plain, and "forged" with the card's config hash recomputed so the shape check
itself must refuse them), dtypes relabelled in the safetensors header (with the weights' checksum
recomputed), and wrong JSON types for every field. A child process loads every one through the registry
(as ``cadenza generate`` does) and reports each outcome and its peak memory.
"""

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from models.common.card_schema import card_hashes
from models.common.checkpoint import save_checkpoint
from models.common.file_unit import sha256_file
from models.note_lstm.model import NoteLSTM, NoteLSTMConfig
from models.registry import BUNDLED_DIR

ROOT = Path(__file__).parents[2]
TINY = dict(embed=8, hidden=8, layers=2, dropout=0.0, dense=8, cell="lstm")
WRONG_TYPES = ["text", 3.5, [], {}, None, True, -7]
LIMIT_BYTES = 1 << 30  # the whole child, torch included, stays under 1 GB
VALID = {"name": str, "description": str, "parameters": int, "metrics": dict, "training": dict}  # optional fields


def _card(folder: Path) -> dict:
    return json.loads((folder / "config.json").read_text())


def _write_card(folder: Path, card: dict) -> None:
    (folder / "config.json").write_text(json.dumps(card))


def _forge(card: dict) -> dict:
    """The card with its hashes recomputed (a careful forger's edit: only the deeper checks can refuse it)."""
    card = dict(card)
    for key in ("vocabulary_sha256", "config_sha256"):
        card.pop(key, None)
    try:
        card.update(card_hashes(card))
    except (TypeError, ValueError):
        pass
    return card


def _header(weights: bytes) -> tuple[dict, bytes]:
    (size,) = struct.unpack("<Q", weights[:8])
    return json.loads(weights[8: 8 + size]), weights[8 + size:]


def _with_header(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    vocabulary = json.loads((BUNDLED_DIR / "note-lstm" / "config.json").read_text())["vocabulary"]
    torch.manual_seed(0)
    config = NoteLSTMConfig(vocab_size=len(vocabulary), **TINY)
    folder = tmp_path_factory.mktemp("tamper") / "tiny"
    card = {"arch": "note-lstm", "name": "tiny", "config": vars(config), "vocabulary": vocabulary,
            "training": {"data": ["synthetic"], "command": "pytest"}, "metrics": {}}
    save_checkpoint(folder, NoteLSTM(config).state_dict(), card)
    return folder


def make_variants(tiny: Path, root: Path) -> dict[str, Path]:
    """name -> checkpoint folder, each tampered one way."""
    variants: dict[str, Path] = {}
    weights = (tiny / "model.safetensors").read_bytes()
    card = _card(tiny)

    def variant(name: str, card_doc=None, weights_bytes: bytes | None = None, link_weights: Path | None = None,
                raw_card: bytes | None = None) -> None:
        folder = root / f"{len(variants):03d}"
        folder.mkdir()
        if link_weights is not None:
            (folder / "model.safetensors").symlink_to(link_weights)
        elif weights_bytes is not None:
            (folder / "model.safetensors").write_bytes(weights_bytes)
        if raw_card is not None:
            (folder / "config.json").write_bytes(raw_card)
        elif card_doc is not None:
            _write_card(folder, card_doc)
        variants[name] = folder

    def sign(doc: dict, data: bytes) -> dict:
        path = root / "sign.tmp"
        path.write_bytes(data)
        return dict(doc, weights_sha256=sha256_file(path))

    # truncated and flipped weights
    for cut in (0, 7, 8, 100, len(weights) // 2, len(weights) - 1):
        variant(f"weights truncated to {cut} bytes", card, weights[:cut])
    (size,) = struct.unpack("<Q", weights[:8])
    for at in (0, 3, 9, 8 + size // 2, 8 + size + 1, len(weights) // 2, len(weights) - 1):
        flipped = bytearray(weights)
        flipped[at] ^= 0xFF
        variant(f"byte {at} of the weights flipped", card, bytes(flipped))
    variant("weights missing", card)
    variant("card missing", weights_bytes=weights)
    # header tampering, checksum recomputed (only the header checks can refuse these)
    header, data = _header(weights)
    name = "embed.weight"
    for dtype in ("I32", "U32", "F16", "BF16", "I64", "F64", "BOOL", "U8"):
        changed = json.loads(json.dumps(header))
        changed[name]["dtype"] = dtype
        raw = _with_header(changed, data)
        variant(f"{name} relabelled {dtype}", sign(card, raw), raw)
    changed = json.loads(json.dumps(header))
    changed[name]["shape"] = list(reversed(changed[name]["shape"]))
    raw = _with_header(changed, data)
    variant(f"{name} shape transposed in the header", sign(card, raw), raw)
    changed = json.loads(json.dumps(header))
    changed["extra.weight"] = changed.pop("dense.bias")
    raw = _with_header(changed, data)
    variant("a tensor renamed in the header", sign(card, raw), raw)
    huge = struct.pack("<Q", 1 << 60) + weights[8:]
    variant("header length 2^60", sign(card, huge), huge)
    # card fields deleted
    for key in ("arch", "format_version", "weights_sha256", "weights_dtype", "config", "vocabulary",
                "vocabulary_sha256", "config_sha256"):
        variant(f"card without {key}", {k: v for k, v in card.items() if k != key}, weights)
    for key in card["config"]:
        doc = dict(card, config={k: v for k, v in card["config"].items() if k != key})
        variant(f"config without {key}", doc, weights)
        if key not in ("dropout", "cell", "pitch_sharing"):  # their defaults give the same model (dropout is off when generating)
            variant(f"config without {key} (forged)", _forge(doc), weights)
    # vocabulary entries swapped
    vocab = card["vocabulary"]
    for i, j in ((0, 1), (10, 20), (22, 23), (100, 7000), (len(vocab) - 2, len(vocab) - 1)):
        swapped = list(vocab)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        variant(f"vocabulary entries {i} and {j} swapped", dict(card, vocabulary=swapped), weights)
    variant("vocabulary entry duplicated (forged)", _forge(dict(card, vocabulary=[vocab[0]] + vocab[1:-1] + [vocab[0]])), weights)
    variant("vocabulary one short (forged)", _forge(dict(card, vocabulary=vocab[:-1])), weights)
    # huge and impossible sizes, plain and forged
    for key, value in (("hidden", 6000), ("hidden", 10**6), ("hidden", 10**12), ("layers", 16), ("layers", 1000),
                       ("layers", 10**6), ("embed", 10**7), ("dense", 10**8), ("vocab_size", 10**9),
                       ("hidden", 0), ("hidden", -5), ("layers", 0), ("cell", "gru"), ("cell", "transformer")):
        doc = dict(card, config=dict(card["config"], **{key: value}))
        variant(f"config {key} {value}", doc, weights)
        variant(f"config {key} {value} (forged)", _forge(doc), weights)
    # the bundled model itself, weights untouched, card edited
    bundled = _card(BUNDLED_DIR / "note-lstm")
    for doc, label in ((dict(bundled, config=dict(bundled["config"], hidden=6000)), "bundled hidden 6000"),
                       (_forge(dict(bundled, config=dict(bundled["config"], hidden=6000))), "bundled hidden 6000 (forged)"),
                       (_forge(dict(bundled, config=dict(bundled["config"], layers=16))), "bundled layers 16 (forged)"),
                       (dict(bundled, weights_dtype="float16"), "bundled card says float16")):
        variant(label, doc, link_weights=BUNDLED_DIR / "note-lstm" / "model.safetensors")
    # wrong JSON types, every field
    for key in ("arch", "format_version", "weights_sha256", "weights_dtype", "config", "vocabulary", "name",
                "description", "parameters", "metrics", "training", "vocabulary_sha256", "config_sha256"):
        for value in WRONG_TYPES:
            valid = VALID.get(key, type(card.get(key)))
            if isinstance(value, valid) and not isinstance(value, bool) and not (key == "parameters" and value < 0):
                continue
            variant(f"card {key} = {json.dumps(value)}", dict(card, **{key: value}), weights)
    for key in card["config"]:
        for value in ("text", [], {}, None, True, 1e308, float("nan")):
            if isinstance(value, str) and isinstance(card["config"][key], str):
                continue  # a wrong choice ("transformer") is among the sizes above
            doc = dict(card, config=dict(card["config"], **{key: value}))
            variant(f"config {key} = {value!r}", doc, weights)
            variant(f"config {key} = {value!r} (forged)", _forge(doc), weights)
    for key, value in (("training", {"data": "corpus:x"}), ("training", {"history": 3}), ("metrics", {"a": [1]}),
                       ("metrics", {"x": {"y": True}}), ("format_version", 99), ("format_version", 0),
                       ("arch", "../../etc"), ("arch", ""), ("weights_sha256", "0" * 64),
                       ("weights_sha256", card["weights_sha256"].upper()), ("weights_dtype", "int8"),
                       ("vocabulary", [])):
        if key == "metrics":
            continue  # free-form values are fine (lists and groups of numbers)
        variant(f"card {key} = {json.dumps(value)[:40]}", dict(card, **{key: value}), weights)
    variant("card is a list", [card], weights)
    variant("card is not JSON", raw_card=b"{\"arch\": ", weights_bytes=weights)
    variant("card is not UTF-8", raw_card=b"\xff\xfe{}", weights_bytes=weights)
    variant("card nested 100000 deep", raw_card=b"[" * 100000 + b"]" * 100000, weights_bytes=weights)
    variant("card config nested 20 deep", dict(card, config=dict(card["config"], x=json.loads("[" * 20 + "]" * 20))),
            weights)
    return variants


CHILD = """
import json, resource, sys
sys.path.insert(0, {root!r})
from app.core.errors import CadenzaError
from models.registry import load_generator
results = {{}}
for name, folder in json.load(open(sys.argv[1])).items():
    try:
        load_generator(checkpoint=folder, device="cpu")
        results[name] = ["loaded", ""]
    except CadenzaError as exc:
        results[name] = [type(exc).__name__, str(exc)]
    except BaseException as exc:
        results[name] = ["BUG " + type(exc).__name__, str(exc)]
# this process's own peak (VmHWM belongs to the new address space; ru_maxrss would also count the pytest
# process this one was forked from, which Linux carries across exec)
peak = next((int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")),
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(json.dumps({{"results": results, "maxrss_kb": peak}}))
"""


def test_every_tampered_variant_is_refused_in_one_sentence_under_1_gb(tiny, tmp_path):
    variants = make_variants(tiny, tmp_path)
    cases = {**{name: str(folder) for name, folder in variants.items()}, "pristine tiny": str(tiny),
             "pristine bundled": str(BUNDLED_DIR / "note-lstm")}
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), str(tmp_path / "cases.json")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    results = report["results"]
    assert results.pop("pristine tiny")[0] == "loaded" and results.pop("pristine bundled")[0] == "loaded"
    accepted = {n: r for n, r in results.items() if r[0] == "loaded"}
    bugs = {n: r for n, r in results.items() if r[0].startswith("BUG")}
    assert not accepted and not bugs, (accepted, bugs)
    for name, (kind, message) in results.items():
        assert "\n" not in message and message.endswith(".") and message.count(". ") == 0, (name, message)
        assert "unexpected" not in message and "Error" not in message and "Traceback" not in message, (name, message)
        assert len(message) < 400, (name, message)
    assert report["maxrss_kb"] * 1024 < LIMIT_BYTES, report["maxrss_kb"]
    assert len(results) >= 150
    print(f"\ntamper suite: {len(results)} variants, {len(results) - len(accepted)} refused, "
          f"peak {report['maxrss_kb'] / 1024:.0f} MB")
    for name in ("config hidden 6000 (forged)", "bundled hidden 6000 (forged)", "embed.weight relabelled I32",
                 "card without weights_sha256", "vocabulary entries 10 and 20 swapped"):
        print(f"  {name}: {results[name][1]}")


def test_the_cli_says_one_line_for_a_tampered_checkpoint(tiny, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes((tiny / "model.safetensors").read_bytes())
    card = _card(tiny)
    card["vocabulary"][3], card["vocabulary"][4] = card["vocabulary"][4], card["vocabulary"][3]
    _write_card(folder, card)
    proc = subprocess.run([sys.executable, "-m", "app", "generate", "--model", "note-lstm", "--checkpoint", str(folder), "--bars", "1",
                           "--out", str(tmp_path / "x.mid")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("error: The model card ") and "reordered" in proc.stderr
    assert not (tmp_path / "x.mid").exists()


def test_a_card_without_the_new_hashes_is_accepted_only_as_format_1(tiny, tmp_path):
    from app.core.errors import CheckpointError
    from models.common.checkpoint import load_checkpoint

    for version, loads in ((1, True), (2, False)):
        folder = tmp_path / f"v{version}"
        folder.mkdir()
        (folder / "model.safetensors").write_bytes((tiny / "model.safetensors").read_bytes())
        card = {k: v for k, v in _card(tiny).items() if not k.endswith("_sha256") or k == "weights_sha256"}
        _write_card(folder, dict(card, format_version=version))
        if loads:
            load_checkpoint(folder)
        else:
            with pytest.raises(CheckpointError, match="lacks 'vocabulary_sha256'"):
                load_checkpoint(folder)
    # format 1 still gets every other check: a forged size is refused by the shapes
    _write_card(tmp_path / "v1", dict(card, format_version=1, config=dict(card["config"], hidden=6000)))
    with pytest.raises(CheckpointError, match=r"config\.hidden is 6000"):
        load_checkpoint(tmp_path / "v1")
