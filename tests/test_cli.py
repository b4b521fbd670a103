"""The ``cadenza`` CLI: outputs, exit codes and one-line error messages."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.cli import main
from app.core.formats import load_score

ROOT = Path(__file__).parents[1]
GOLDEN = ROOT / "tests" / "data" / "midi" / "multitrack.mid"


def run_cli(*args):
    """The real process: exit code, stdout, stderr."""
    proc = subprocess.run([sys.executable, "-m", "app", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_info_text_and_json(capsys):
    assert main(["info", str(GOLDEN)]) == 0
    text = capsys.readouterr().out
    assert "Golden" in text and "Electric Bass (finger)" in text and "D major" in text
    assert main(["info", str(GOLDEN), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["notes"] == 15 and info["tempo_bpm"] == 120.0 and info["time_signature"] == "4/4"
    assert info["bars"] == 3 and info["key"] == "D major"
    assert [t["notes"] for t in info["tracks"]] == [5, 2, 8]
    # the last drum hit ends at 3600: 1920 ticks at 120 bpm (2 s) + 1680 at 150 bpm (1.4 s)
    assert info["duration_seconds"] == pytest.approx(3.4)


@pytest.mark.parametrize("ext", [".cadenza", ".musicxml", ".mid"])
def test_convert_keeps_the_notes(tmp_path, capsys, ext):
    out = tmp_path / f"out{ext}"
    assert main(["convert", str(GOLDEN), "--out", str(out)]) == 0
    src, back = load_score(GOLDEN), load_score(out)
    key = lambda s: sorted((n.start, n.pitch, n.duration) for n in s.all_notes())
    if ext == ".musicxml":  # notation merges the re-struck pair into tied notation; pitches and onsets stay
        assert {(n.start, n.pitch) for n in back.all_notes()} == {(n.start, n.pitch) for n in src.all_notes()}
    else:
        assert key(back) == key(src)


def test_convert_to_abc_and_back(tmp_path):
    out = tmp_path / "g.abc"
    assert main(["convert", str(GOLDEN), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("X:1") and "K:D" in text
    back = load_score(out)
    assert len(back.tracks) == 3


def test_render_writes_audio(tmp_path):
    out = tmp_path / "g.flac"
    assert main(["render", str(GOLDEN), "--out", str(out), "--sample-rate", "22050", "--bit-depth", "24"]) == 0
    info = sf.info(str(out))
    assert info.samplerate == 22050 and info.channels == 2 and info.subtype == "PCM_24"
    audio, _ = sf.read(str(out))
    assert 3.4 <= len(audio) / 22050 < 6.0
    assert np.sqrt(np.mean(audio**2)) > 0.005


def test_spectrogram_png(tmp_path):
    out = tmp_path / "s.png"
    assert main(["spectrogram", str(GOLDEN), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_seeds_listing_and_seed_inputs(capsys, tmp_path):
    assert main(["seeds", "--json"]) == 0
    seeds = json.loads(capsys.readouterr().out)
    assert len(seeds) >= 24
    for seed in seeds[:: max(1, len(seeds) // 6)]:
        assert main(["info", seed["spec"], "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["notes"] > 0
    assert main(["convert", seeds[0]["spec"], "--out", str(tmp_path / "s.mid")]) == 0


@pytest.mark.parametrize("args, code, phrase", [
    (["info", "does-not-exist.mid"], 1, "no such file"),
    (["info", "seed:no-such-seed"], 1, "seed"),
    (["render", str(GOLDEN), "--out", "x.mp3"], 1, ".wav or .flac"),
    (["convert", str(GOLDEN), "--out", "x.docx"], 1, "cannot write"),
    (["render", str(GOLDEN), "--out", "x.wav", "--soundfont", "/nope.sf2"], 1, "/nope.sf2"),
    (["render", str(GOLDEN)], 2, "--out"),
    (["frobnicate", "--x"], 2, "unknown command or file"),
    (["--frobnicate"], 2, "unrecognized arguments"),
])
def test_errors_are_one_line_with_exit_codes(args, code, phrase):
    rc, out, err = run_cli(*args)
    assert rc == code, err
    assert phrase.lower() in err.lower()
    assert "Traceback" not in err
    if code == 1:
        assert err.startswith("error: ") and err.strip().count("\n") == 0


def test_corrupt_file_via_cli(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x00\xff\x00\x90")
    rc, _, err = run_cli("info", bad)
    assert rc == 1 and err.startswith(f"error: Cannot read {bad}:") and "Traceback" not in err


def test_help_for_every_subcommand():
    for sub in ("render", "convert", "info", "spectrogram", "seeds"):
        rc, out, _ = run_cli(sub, "--help")
        assert rc == 0 and out.startswith("usage: cadenza " + sub)
