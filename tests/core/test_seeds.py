"""The bundled seeds: index, files (parsed with music21 / mido), lookup and errors."""

import ast
import functools
import io
import json
import math
import sys
from pathlib import Path

import pytest

from app.core import seeds as seeds_mod
from app.core.errors import CadenzaError, SeedNotFoundError
from app.core.keys import key_fifths, parse_key
from app.core.seeds import SEEDS_DIR, Seed, get_seed, is_seed_spec, list_seeds, read_index, resolve

ROOT = Path(__file__).resolve().parents[2]
MINIMUM = {"folk": 8, "chorale": 6, "classical": 5, "groove": 5}
EXTENSION = {"folk": ".abc", "chorale": ".musicxml", "classical": ".musicxml", "groove": ".mid"}
SEEDS = list_seeds()
NOT_GROOVES = [s for s in SEEDS if s.style != "groove"]
GROOVES = [s for s in SEEDS if s.style == "groove"]


def ids(seeds):
    return [s.name for s in seeds]


@functools.lru_cache(maxsize=None)
def parsed(path: Path):
    """A music21 score of ``path`` (parsed once per test session)."""
    import warnings

    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.parse(str(path))


def music21_bars(score) -> int:
    """Measures of the first part, not counting an incomplete first measure (a pickup)."""
    from music21 import meter, stream

    part = score.parts[0] if score.parts else score
    measures = list(part.getElementsByClass(stream.Measure))
    ts = score.recurse().getElementsByClass(meter.TimeSignature).first()
    pickup = measures[0].duration.quarterLength < ts.barDuration.quarterLength
    return len(measures) - pickup


# ---------------------------------------------------------------- the index

def test_enough_seeds_of_every_style():
    assert len(SEEDS) >= 24
    for style, minimum in MINIMUM.items():
        assert len(list_seeds(style)) >= minimum, style
    assert {s.style for s in SEEDS} == set(MINIMUM)


def test_index_entries_are_complete_and_consistent():
    names = [s.name for s in SEEDS]
    assert len(names) == len(set(names))
    for s in SEEDS:
        assert s.path.is_file() and s.path.parent == SEEDS_DIR
        assert s.path.suffix == EXTENSION[s.style], s.name
        assert 2 <= s.bars <= 8, s.name
        assert s.title and s.source and s.description.endswith((".", "!")), s.name
        assert s.licence == ("CC0" if s.style == "groove" else "public domain"), s.name
        if s.style != "groove":
            assert s.source.startswith("music21 corpus: "), s.name
            assert s.key is not None
        if s.key is not None:
            parse_key(s.key)  # a key name the rest of Cadenza understands


def test_every_file_in_the_folder_is_indexed():
    on_disk = {p.name for p in SEEDS_DIR.iterdir() if p.name != "index.json"}
    assert on_disk == {s.file for s in SEEDS}


def test_list_is_sorted_by_style_then_name_and_filters():
    assert SEEDS == sorted(SEEDS, key=lambda s: (s.style, s.name))
    assert all(s.style == "folk" for s in list_seeds("folk"))
    assert list_seeds("no-such-style") == []


# ---------------------------------------------------------------- the files

@pytest.mark.parametrize("seed", NOT_GROOVES, ids=ids(NOT_GROOVES))
def test_score_seed_parses_with_its_bars_meter_and_key(seed: Seed):
    from music21 import key, meter

    score = parsed(seed.path)
    assert len(score.recurse().notes) > 0
    assert music21_bars(score) == seed.bars
    assert 2 <= music21_bars(score) <= 8
    assert score.recurse().getElementsByClass(meter.TimeSignature).first().ratioString == seed.meter
    assert score.recurse().getElementsByClass(key.KeySignature).first().sharps == key_fifths(seed.key)


@pytest.mark.parametrize("seed", list_seeds("chorale"), ids=ids(list_seeds("chorale")))
def test_chorales_have_four_voices_and_a_counted_pickup(seed: Seed):
    from music21 import stream

    score = parsed(seed.path)
    assert [p.partName for p in score.parts] == ["Soprano", "Alto", "Tenor", "Bass"]
    first = score.parts[0].getElementsByClass(stream.Measure).first()
    if first.number == 0:  # a pickup measure 0 is kept but is not one of the bars
        assert len(score.parts[0].getElementsByClass(stream.Measure)) == seed.bars + 1
    assert not any(n.lyrics for n in score.recurse().notes)


@pytest.mark.parametrize("seed", list_seeds("folk"), ids=ids(list_seeds("folk")))
def test_folk_seed_is_one_cut_abc_tune(seed: Seed):
    text = seed.path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "X:1" and text.count("\nX:") == 0
    fields = [line[:2] for line in lines if line[:2] in ("T:", "M:", "L:", "K:")]
    assert fields[0] == "T:" and "M:" in fields and fields[-1] == "K:"
    assert text.rstrip().endswith("|]") and text.count("|]") == 1


@pytest.mark.parametrize("seed", GROOVES, ids=ids(GROOVES))
def test_groove_is_a_4_4_midi_loop_with_drums_on_channel_10(seed: Seed):
    import mido

    mid = mido.MidiFile(seed.path)
    assert mid.type == 1 and mid.ticks_per_beat == 480
    metas = [m for track in mid.tracks for m in track if m.is_meta]
    ts = [m for m in metas if m.type == "time_signature"]
    assert [(t.numerator, t.denominator) for t in ts] == [(4, 4)] and seed.meter == "4/4"
    assert any(m.type == "set_tempo" for m in metas)
    assert all(any(m.type == "track_name" and m.name for m in track) for track in mid.tracks)
    bar = mid.ticks_per_beat * 4
    ticks = max(sum(m.time for m in track) for track in mid.tracks)
    assert ticks % bar == 0 and math.ceil(ticks / bar) == seed.bars
    assert 2 <= seed.bars <= 8
    drum_hits = [m for track in mid.tracks for m in track
                 if m.type == "note_on" and m.channel == 9 and m.velocity > 0]
    assert len(drum_hits) >= 8
    assert {m.note for m in drum_hits} <= set(range(35, 82))  # General MIDI percussion
    programs = {m.program for track in mid.tracks for m in track if m.type == "program_change"}
    if seed.key is not None:
        assert programs & {32, 33}  # a bass line


def test_grooves_match_their_generator():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_grooves
    finally:
        sys.path.remove(str(ROOT / "tools"))
    index = {e["name"]: e for e in json.loads((SEEDS_DIR / "index.json").read_text(encoding="utf-8"))}
    made = {}
    for make in make_grooves.GROOVES:
        groove = make()
        buf = io.BytesIO()
        make_grooves.build_midi(groove).save(file=buf)
        made[groove.name] = buf.getvalue()
        assert make_grooves.index_entry(groove) == index[groove.name]
    assert made == {s.name: s.path.read_bytes() for s in GROOVES}


def test_folk_cuts_match_the_corpus():
    from music21 import corpus

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_seeds
    finally:
        sys.path.remove(str(ROOT / "tools"))
    for spec in make_seeds.FOLK:
        tune = make_seeds._tune_text(Path(corpus.getWork(spec.path)).read_text(encoding="utf-8"), spec.x)
        ours = get_seed(spec.name).path.read_text(encoding="utf-8")
        body = ours.split("\nK:")[1].split("\n", 1)[1].splitlines()
        for line in body[:-1]:  # every line but the cut one is the corpus text, verbatim
            assert line in tune.splitlines(), (spec.name, line)


# ---------------------------------------------------------------- lookup

def test_resolve_seed_specs_and_plain_paths():
    for s in SEEDS:
        assert resolve(f"seed:{s.name}") == s.path == get_seed(s.name).path
        assert get_seed(f"seed:{s.name}") is get_seed(s.name)
        assert s.spec == f"seed:{s.name}" and is_seed_spec(s.spec)
    assert resolve("songs/tune.mid") == Path("songs/tune.mid")
    assert resolve(Path("a.abc")) == Path("a.abc")
    assert not is_seed_spec("tune.mid") and not is_seed_spec(Path("seed:x"))


def test_unknown_seed_suggests_the_close_name():
    name = SEEDS[0].name
    typo = name[:-1]
    for call in (lambda: get_seed(typo), lambda: resolve(f"seed:{typo}")):
        with pytest.raises(SeedNotFoundError) as info:
            call()
        message = str(info.value)
        assert f"seed:{name}" in message and typo in message and "\n" not in message
    assert issubclass(SeedNotFoundError, CadenzaError)


def test_unknown_seed_without_close_names_points_to_the_list():
    with pytest.raises(SeedNotFoundError, match="cadenza seeds"):
        resolve("seed:qqqqqqqqqqqq")


# ---------------------------------------------------------------- a broken index

def write_index(tmp_path, entries, files=("a.mid",)):
    for f in files:
        (tmp_path / f).write_bytes(b"x")
    index = tmp_path / "index.json"
    index.write_text(entries if isinstance(entries, str) else json.dumps(entries))
    return index


def entry(**changes):
    base = {"name": "a", "title": "A", "file": "a.mid", "style": "groove", "bars": 2, "meter": "4/4",
            "key": None, "source": "written for a test", "licence": "CC0", "description": "A test."}
    return {**base, **changes}


def test_good_small_index_reads(tmp_path):
    index = write_index(tmp_path, [entry(name="b"), entry()])
    assert [s.name for s in read_index(index)] == ["a", "b"]


@pytest.mark.parametrize("entries, phrase", [
    ("{not json", "cannot be read"),
    (json.dumps({"a": 1}), "not a list"),
    ([entry(), entry()], "repeats a name"),
    ([entry(file="gone.mid")], "missing"),
    ([entry(file="../a.mid")], "plain file name"),
    ([{k: v for k, v in entry().items() if k != "bars"}], "lacks bars"),
    ([entry(bars="2")], "not an integer"),
    ([entry(style="jazz")], "style 'jazz'"),
    ([entry(name="Not Kebab")], "kebab-case"),
    ([entry(meter="four")], "meter"),
])
def test_broken_index_is_one_sentence(tmp_path, entries, phrase):
    index = write_index(tmp_path, entries)
    with pytest.raises(CadenzaError) as info:
        read_index(index)
    message = str(info.value)
    assert phrase in message and str(index) in message and "\n" not in message


def test_missing_index(tmp_path):
    with pytest.raises(CadenzaError, match="missing"):
        read_index(tmp_path / "index.json")


def test_module_is_pure_stdlib():
    tree = ast.parse(Path(seeds_mod.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] in sys.stdlib_module_names for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            assert node.module.split(".")[0] in sys.stdlib_module_names or node.module.startswith("app.core.")


@pytest.mark.parametrize("seed", [s for s in SEEDS if s.key], ids=ids([s for s in SEEDS if s.key]))
def test_the_key_cadenza_finds_is_the_key_the_seed_list_shows(seed: Seed):
    """One key everywhere: the seed list, `cadenza info` and the seed preview (both use score_key)."""
    from app.core.formats import load_score
    from app.core.summary import score_info
    from app.core.variations import score_key

    score = load_score(seed.path)
    assert score_key(score) == score_info(score)["key"] == seed.key
