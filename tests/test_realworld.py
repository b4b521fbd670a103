"""The real-world regression set (tests/data/realworld), in-process: no file may end in an unexpected
failure, and no conversion may write what does not read back or lose notes beyond its format's limits.

A fast subset of ``tools/realworld_tally.py`` (which runs every file through the CLI, generation
included): every file is read and summarised as ``info --json`` would; MIDI files are converted to
MIDI and ABC, a sample of the others to MIDI, ABC and MusicXML, and each output is read back.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from app.core.errors import CadenzaError
from app.core.formats import load_score, save_score
from app.core.summary import json_safe, score_info

ROOT = Path(__file__).parents[1]
DATA = ROOT / "tests" / "data" / "realworld"
SAMPLE = ("abc_nottingham_reels.abc", "abc_session_jig_endings.abc", "abc_chords_in_body.abc",
          "musicxml_two_staves_piano.musicxml", "musicxml_grace_tuplet_tie_lyric.musicxml", "project_ok.cadenza")


def _tally():
    spec = importlib.util.spec_from_file_location("realworld_tally", ROOT / "tools" / "realworld_tally.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


TALLY = _tally()
FILES = sorted(p for p in DATA.iterdir() if p.suffix.lower() in TALLY.FORMATS)


def test_the_set_has_every_kind_of_file():
    kinds = {TALLY.FORMATS[p.suffix.lower()] for p in FILES}
    assert kinds == {"MIDI", "ABC", "MusicXML", "project"} and 30 <= len(FILES) <= 80
    assert sum(p.name.startswith("fuzz_") for p in FILES) >= 8


@pytest.fixture(scope="module")
def readings():
    """Every file read once: the score, or the refusal's sentence."""
    import app.core.abc.read  # noqa: F401  (imported once here, every bounded reader's fork shares music21)
    import app.core.musicxml  # noqa: F401

    out = {}
    for path in FILES:
        try:
            out[path.name] = load_score(path)
        except CadenzaError as exc:
            out[path.name] = str(exc)
    return out


def test_every_file_reads_or_is_refused_in_one_sentence(readings):
    for name, result in readings.items():
        if isinstance(result, str):
            assert result.count("\n") == 0 and result.endswith("."), (name, result)
            assert not TALLY.PYTHON_WORDS.search(result), (name, result)
        elif not name.startswith("fuzz_"):
            assert result.note_count > 0 or name == "musicxml_repeats_endings_multirest.musicxml", name
    refused = sorted(n for n, r in readings.items() if isinstance(r, str))
    assert all(n.startswith(("fuzz_", "project_wrong")) for n in refused), refused


def test_info_json_is_strict_json_for_every_readable_file(readings):
    for name, score in readings.items():
        if not isinstance(score, str):
            json.loads(json.dumps(json_safe(score_info(score)), allow_nan=False))


def _round_trip(score, tmp_path, ext):
    out = tmp_path / f"out{ext}"
    save_score(score, out)
    back = load_score(out)
    return TALLY.match_rate(TALLY.note_keys(score), TALLY.note_keys(back))


def test_conversions_read_back_with_their_notes(readings, tmp_path):
    checked = 0
    for name, score in readings.items():
        if isinstance(score, str) or score.note_count == 0:
            continue
        targets = (".mid", ".abc") if name.endswith(".mid") else (".mid", ".abc", ".musicxml") if name in SAMPLE else ()
        for ext in targets:
            rate = _round_trip(score, tmp_path, ext)
            assert rate >= TALLY.KEEP[ext], (name, ext, rate)
            checked += 1
    assert checked >= 40
