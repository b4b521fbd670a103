"""``corpus:band``: an offline stand-in for LPD-5, rendered by MMA (Musical MIDI Accompaniment).

LPD-5 (drums, bass, guitar, piano, strings) cannot be downloaded here, so the band corpus is made
from the project's own music: each source piece becomes a chord chart (a chord per beat) plus its
melody, and the chart is played through several of MMA's grooves at a tempo and key of its own.

* **Chord charts.** The music21 folk collections carry almost no chord symbols (66 of 12,762 tunes),
  so the chords are analysed from the notes: the Bach chorales (four voices) get a chord per beat,
  named by matching each beat's sounding pitch classes (weighted by duration, the bass's counting
  as the root) against major, minor, dominant-seventh, minor-seventh and diminished chords on
  all twelve roots; a melody alone (the folk tunes of Ryan's Mammoth) gets a chord per half bar
  (a bar in 3/4) among the key's diatonic triads and the dominant seventh. 4/4, 2/2 and 3/4 pieces
  are used (2/4 bars are paired into 4/4); 8 to 16 bars from the first whole bar.
* **Grooves.** :data:`GROOVES`, a fixed list of 30 of MMA's standard-library grooves for 4 beats
  (folk, pop, ballad, rock, swing, bossa, country, latin...) and 11 waltzes for 3 beats, most in
  their ``Sus`` form (which adds a sustained string or pad track). Chart ``c`` takes
  :data:`RENDERS_PER_CHART` grooves in turn from its meter's list, so every groove is used evenly;
  the tempo (within the groove's range) and the transposition (-5..+6 semitones, MMA's
  ``Transpose``; the melody is moved with it) come from a hash of the chart and the groove.
* **Tracks.** MMA's output tracks (``Drum``, ``Bass``, ``Walk``, ``Chord``, ``Arpeggio``,
  ``Plectrum``, ``Chord-Sus``...) are folded into the five LPD-5 roles by GM program family, as
  the ``lpd5`` track roles (``--roles lpd5``) read a score: the drum channel -> drums,
  0-7 -> piano, 24-31 -> guitar, 32-39 -> bass, 40-55 -> strings; families outside those four
  join the role that plays what they play (chromatic percussion and organ -> piano; brass, reed,
  pipe, synth lead and pad -> strings); anything else is dropped. Each role is one track named as
  the role (``Drums``, ``Bass``, ``Guitar``, ``Piano``, ``Strings``, drums on channel 10) and the
  melody is the first track, ``Lead`` (flute, program 73: a name and family no LPD-5 role claims,
  so the ``lpd5`` preset reads the band and a ``lead,...`` role list reads the melody too).
* **Cache.** Pieces are MIDI files in ``<user cache>/corpus/band``, named by the sha256 of what
  made them (the MMA text, the melody, MMA's version and :data:`BUILD_VERSION`), so a second build
  renders nothing; MMA's random humanising is seeded (``RndSeed``) and the output is rewritten by
  Cadenza's own MIDI writer, so the same input gives the same bytes. A file name carries a short
  salt chosen so that its held-out split (``corpus.split_of``) is its source piece's: the same
  melody never sits in both the training and the test pieces. ``index-<hash>.json`` lists a
  build's pieces with their grooves, tempos, bars and notes per role (:func:`band_summary`).

Pure Python and a subprocess (``mma``); no torch, no Qt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

from app.core.errors import CadenzaError, DatasetError
from app.core.midi import read_midi, write_midi
from app.core.paths import corpus_cache_dir
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from models.common.chord_charts import _ROOTS, Chart, _pc, chart_from_score
from models.common.chord_charts import chord_tones  # noqa: F401 (re-exported: part of the corpus's API)

BUILD_VERSION = 1  # bump whenever a change here changes what a piece holds
DEFAULT_PIECES = 480
RENDERS_PER_CHART = 3
MMA_TIME_LIMIT_S = 60.0
CHORALE_SOURCE, FOLK_SOURCE = "corpus:chorales", "corpus:folk-abc"

# (MMA groove, style, slowest and fastest tempo in quarter notes per minute); 4 beats, then 3.
GROOVES_4: tuple[tuple[str, str, int, int], ...] = (
    ("Folk", "folk", 88, 120), ("FolkSus", "folk", 88, 120), ("FolkRockSus", "folk", 96, 132),
    ("FolkBalladSus", "ballad", 64, 88), ("PopBalladSus", "pop", 64, 92), ("PopBallad1", "pop", 64, 92),
    ("BalladSus", "ballad", 60, 84), ("Ballad1Sus", "ballad", 60, 84), ("8BeatSus", "pop", 92, 128),
    ("BasicRockSus", "rock", 100, 140), ("SoftRockSus", "rock", 84, 116), ("50sRockSus", "rock", 132, 168),
    ("Rock128Sus", "rock", 60, 84), ("JazzRockSus", "rock", 100, 132), ("TwistSus", "rock", 140, 168),
    ("BossaNovaSus", "bossa", 112, 140), ("BossaNova1Sus", "bossa", 112, 140), ("BeguineSus", "latin", 100, 128),
    ("CalypsoSus", "latin", 100, 132), ("Ska", "latin", 120, 150), ("SwingSus", "swing", 112, 160),
    ("EasySwingSus", "swing", 100, 136), ("CountrySwingSus", "country", 120, 160),
    ("Bluegrass", "country", 140, 180), ("CountryBlues", "country", 100, 132),
    ("SlowCountrySus", "country", 72, 96), ("PolkaSus", "folk", 112, 140), ("LullabySus", "ballad", 60, 80),
    ("Spiritual", "ballad", 72, 100), ("RockBallad", "rock", 64, 88),
)
GROOVES_3: tuple[tuple[str, str, int, int], ...] = (
    ("Waltz", "waltz", 88, 132), ("WaltzSus", "waltz", 88, 132), ("Waltz1Sus", "waltz", 88, 132),
    ("CountryWaltzSus", "waltz", 88, 132), ("JazzWaltzSus", "waltz", 100, 150),
    ("FrenchWaltzSus", "waltz", 100, 150), ("VieneseWaltzSus", "waltz", 150, 190),
    ("RockWaltzSus", "waltz", 84, 120), ("LatinWaltzSus", "waltz", 96, 132),
    ("BroadwayWaltzSus", "waltz", 96, 140), ("ArpeggioWaltz", "waltz", 88, 132),
)
GROOVES: dict[int, tuple[tuple[str, str, int, int], ...]] = {4: GROOVES_4, 3: GROOVES_3}

ROLES = ("drums", "bass", "guitar", "piano", "strings")  # LPD-5's five, as the lpd5 track roles name them
ROLE_PROGRAMS = {"piano": 0, "guitar": 25, "bass": 33, "strings": 48, "drums": 0}
LEAD_NAME, LEAD_PROGRAM = "Lead", 73
_FAMILY_ROLE = (  # (first GM program, last, role): the LPD-5 families first, then the ones folded in
    (0, 7, "piano"), (24, 31, "guitar"), (32, 39, "bass"), (40, 55, "strings"),
    (8, 23, "piano"), (56, 95, "strings"),
)
LPD5_FAMILIES = 4  # the first rows of _FAMILY_ROLE are LPD-5's own families; the rest are folded in here


def role_programs(role: str, folded: bool = True) -> tuple[int, ...]:
    """The GM programs that play ``role`` (the one table: models' band track roles read it too); with
    ``folded=False`` only LPD-5's own family (piano 0-7, guitar 24-31, bass 32-39, strings 40-55)."""
    rows = _FAMILY_ROLE if folded else _FAMILY_ROLE[:LPD5_FAMILIES]
    return tuple(p for low, high, r in rows if r == role for p in range(low, high + 1))


def program_role(program: int, is_drum: bool) -> str | None:
    """The LPD-5 role a GM program (or the drum channel) plays in the band corpus, or None (dropped)."""
    if is_drum:
        return "drums"
    return next((role for low, high, role in _FAMILY_ROLE if low <= program <= high), None)


# ---------------------------------------------------------------- MMA itself

_mma_version: str | None = None


def mma_command() -> str:
    """The ``mma`` executable; DatasetError with one sentence when it is not installed."""
    found = shutil.which("mma")
    if not found:
        raise DatasetError("corpus:band is rendered by MMA (Musical MIDI Accompaniment), which is not "
                           "installed: run tools/system_deps.sh or 'sudo apt-get install mma'.")
    return found


def mma_version() -> str:
    """MMA's version (part of every piece's hash: a new groove library renders new pieces)."""
    global _mma_version
    if _mma_version is None:
        done = subprocess.run([mma_command(), "-v"], capture_output=True, text=True, timeout=MMA_TIME_LIMIT_S)
        lines = [ln.strip() for ln in done.stdout.splitlines() if ln.strip()]
        _mma_version = lines[-1] if lines else "unknown"
    return _mma_version


# ---------------------------------------------------------------- rendering


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def mma_text(chart: Chart, groove: str, bpm: int, transpose: int, seed: int = 1) -> str:
    """The MMA file that plays ``chart`` in ``groove`` (accompaniment only; the melody is added after)."""
    head = [f"// {chart.title}"[:120], f"RndSeed {seed}", f"Tempo {bpm}", f"Groove {groove}",
            f"Transpose {transpose}"]
    return "\n".join(head + chart.mma_lines()) + "\n"


def _transposed_key(key: str | None, semitones: int) -> str | None:
    if not key:
        return None
    try:
        tonic, mode = _pc(key.split()[0])[0], key.split()[1] if len(key.split()) > 1 else "major"
    except (ValueError, IndexError):
        return None
    return f"{_ROOTS[(tonic + semitones) % 12]} {mode}"


def render_chart(chart: Chart, groove: str, bpm: int = 100, transpose: int = 0,
                 workdir: str | Path | None = None) -> Score:
    """``chart`` played by MMA in ``groove``: the Lead (the melody) and one track per LPD-5 role that
    the groove plays (Drums on channel 10, Bass, Guitar, Piano, Strings), at MMA's resolution."""
    command = mma_command()
    text = mma_text(chart, groove, bpm, transpose)
    with tempfile.TemporaryDirectory(prefix="cadenza-mma-", dir=workdir) as tmp:
        source, out = Path(tmp) / "chart.mma", Path(tmp) / "chart.mid"
        source.write_text(text, encoding="utf-8")
        env = dict(os.environ, PYTHONHASHSEED="0")
        try:
            done = subprocess.run([command, "-f", str(out), str(source)], capture_output=True, text=True,
                                  cwd=tmp, env=env, timeout=MMA_TIME_LIMIT_S)
        except subprocess.TimeoutExpired:
            raise DatasetError(f"MMA took over {MMA_TIME_LIMIT_S:.0f} s on {chart.title!r}.") from None
        if done.returncode != 0 or not out.exists():
            problem = next((ln for ln in (done.stdout + done.stderr).splitlines() if "Error" in ln), "no MIDI file")
            raise DatasetError(f"MMA could not play {chart.title!r} in {groove}: {problem.strip()}")
        band = read_midi(out)
    ppq = band.ppq
    merged: dict[str, list[Note]] = {role: [] for role in ROLES}
    programs: dict[str, Counter] = {role: Counter() for role in ROLES}
    for track in band.tracks:
        role = program_role(track.program, track.is_drum)
        if role is not None and track.notes:
            merged[role].extend(track.notes)
            programs[role][track.program] += len(track.notes)
    lead = [Note(start=round(start * ppq), pitch=min(127, max(0, pitch + transpose)),
                 duration=max(1, round(length * ppq)), velocity=max(1, min(127, velocity)))
            for start, pitch, length, velocity in chart.melody]
    tracks = [Track(LEAD_NAME, LEAD_PROGRAM, False, tuple(lead))]
    for role in ROLES:
        if not merged[role]:
            continue
        program = _family_program(role, programs[role].most_common(1)[0][0])
        tracks.append(Track(role.capitalize(), program, role == "drums", tuple(merged[role])))
    return Score(tracks=tuple(tracks), ppq=ppq, tempos=(TempoChange(0, float(bpm)),),
                 time_signatures=(TimeSignature(0, chart.beats, 4),),
                 key=_transposed_key(chart.key, transpose), title=f"{chart.title} ({groove})")


def _family_program(role: str, program: int) -> int:
    """The role's most played program when it lies in the role's own LPD-5 family, else the role's default
    (an organ comping as piano is written as a piano, so the program family names the role too)."""
    family = next(((low, high) for low, high, r in _FAMILY_ROLE[:LPD5_FAMILIES] if r == role), None)
    return program if family and family[0] <= program <= family[1] else ROLE_PROGRAMS[role]


def role_notes(score: Score) -> dict[str, int]:
    """Notes per role (``lead`` and the five) of a band piece."""
    counts = {"lead": 0, **{role: 0 for role in ROLES}}
    for track in score.tracks:
        name = track.name.lower()
        if name in counts:
            counts[name] += len(track.notes)
    return counts


# ---------------------------------------------------------------- the corpus


def band_dir() -> Path:
    """Where the band pieces live: ``<user cache>/corpus/band``."""
    return corpus_cache_dir() / "band"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "piece"


def _file_name(source_key: str, chart: Chart, groove: str, digest: str) -> str:
    from models.common.corpus import split_of

    want = split_of(source_key)
    stem = f"{_slug(chart.title)}-{groove.lower()}-{digest[:12]}"
    for salt in range(1000):
        name = f"{stem}{'-' + str(salt) if salt else ''}.mid"
        if split_of(name) == want:
            return name
    return f"{stem}.mid"


def _plan(chart: Chart, index: int, renders: int) -> list[tuple[str, str, int, int]]:
    """``(groove, style, bpm, transpose)`` for each of the chart's renders."""
    grooves = GROOVES[chart.beats]
    out = []
    for r in range(renders):
        groove, style, low, high = grooves[(index * renders + r) % len(grooves)]
        h = int(_digest(chart.source, chart.title, groove)[:12], 16)
        bpm = low + (h % ((high - low) // 4 + 1)) * 4
        transpose = (h >> 16) % 12 - 5
        if chart.melody:
            top = max(p for _, p, _, _ in chart.melody) + transpose
            bottom = min(p for _, p, _, _ in chart.melody) + transpose
            transpose -= 12 * (top > 96) - 12 * (bottom < 48)
        out.append((groove, style, bpm, transpose))
    return out


def _sources() -> list[tuple[str, Path, Path]]:
    """``(dataset, root, file)`` of the source pieces, chorales and folk tunes interleaved."""
    from models.common.corpus import dataset_files

    lists = []
    for spec in (CHORALE_SOURCE, FOLK_SOURCE):
        root, files = dataset_files(spec)
        lists.append([(spec, root, f) for f in files if f.suffix.lower() != ".abc" or "ryansMammoth" in f.parts])
    out = []
    for i in range(max(len(x) for x in lists)):
        out.extend(x[i] for x in lists if i < len(x))
    return out


def _charts(cancelled: Callable[[], bool] | None = None):
    """The source charts in a fixed order (parsed through the corpus cache), skipping unusable pieces."""
    from models.common.corpus import _load_one
    from app.core.project import score_from_dict

    cache = corpus_cache_dir()
    for spec, root, path in _sources():
        if cancelled is not None and cancelled():
            raise DatasetError("Building corpus:band was cancelled.")
        _, entry = _load_one(path, cache)
        if entry.get("tunes"):  # an ABC collection: its first tune, as the corpus has always been built
            _, first, _ = entry["tunes"][0]
            entry = {"score": first} if first is not None else {}
        if "score" not in entry:
            continue
        key = f"{spec}/{path.relative_to(root)}"
        chart = chart_from_score(score_from_dict(entry["score"]), title=path.stem, source=key)
        if chart is not None:
            yield key, chart


def _index_path(pieces: int, renders: int) -> Path:
    tag = _digest(BUILD_VERSION, mma_version(), pieces, renders, GROOVES)[:16]
    return band_dir() / f"index-{tag}.json"


def build_band_corpus(pieces: int = DEFAULT_PIECES, renders: int = RENDERS_PER_CHART,
                      progress: Callable[[int, int], None] | None = None,
                      cancelled: Callable[[], bool] | None = None) -> list[Path]:
    """Build (or reuse) ``pieces`` band pieces and return their MIDI files, in a fixed order.

    Deterministic: the same MMA and sources give the same files, byte for byte; pieces already in
    the cache are not rendered again. DatasetError with one sentence when MMA is missing.
    """
    mma_command()
    index_path = _index_path(pieces, renders)
    folder = band_dir()
    try:
        index = json.loads(index_path.read_text())
        paths = [folder / p["file"] for p in index["pieces"]]
        if all(p.exists() for p in paths):
            return paths
    except (OSError, ValueError, KeyError, TypeError):
        pass
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    for number, (key, chart) in enumerate(_charts(cancelled)):
        for groove, style, bpm, transpose in _plan(chart, number, renders):
            if len(entries) >= pieces:
                break
            if cancelled is not None and cancelled():
                raise DatasetError("Building corpus:band was cancelled.")
            digest = _digest(BUILD_VERSION, mma_version(), mma_text(chart, groove, bpm, transpose), chart.melody)
            path = folder / _file_name(key, chart, groove, digest)
            try:
                score = read_midi(path) if path.exists() else None
            except CadenzaError:
                score = None
            if score is None:
                try:
                    score = render_chart(chart, groove, bpm, transpose)
                except DatasetError:
                    continue  # one chart MMA cannot play is skipped, not the corpus
                write_midi(score, path)
            entries.append({"file": path.name, "source": key, "groove": groove, "style": style, "bpm": bpm,
                            "transpose": transpose, "bars": chart.bars, "beats": chart.beats,
                            "notes": role_notes(score)})
            if progress is not None:
                progress(len(entries), pieces)
        if len(entries) >= pieces:
            break
    if not entries:
        raise DatasetError("No piece of corpus:band could be rendered by MMA.")
    index = {"version": BUILD_VERSION, "mma": mma_version(), "pieces": entries}
    tmp = index_path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index, indent=1))
    os.replace(tmp, index_path)
    return [folder / e["file"] for e in entries]


def band_files(pieces: int = DEFAULT_PIECES) -> tuple[Path, list[Path]]:
    """``(root, files)`` of ``corpus:band`` (building it on first use), as ``dataset_files`` returns."""
    return band_dir(), build_band_corpus(pieces)


def band_summary(pieces: int = DEFAULT_PIECES, renders: int = RENDERS_PER_CHART) -> dict:
    """What a built band corpus holds, for model cards: pieces, bars, notes per role, grooves (with how
    many pieces each plays), styles, source pieces and MMA's version. Builds the corpus if needed."""
    build_band_corpus(pieces, renders)
    index = json.loads(_index_path(pieces, renders).read_text())
    entries = index["pieces"]
    notes = Counter()
    for e in entries:
        notes.update(e["notes"])
    return {"dataset": "corpus:band", "pieces": len(entries), "bars": sum(e["bars"] for e in entries),
            "notes_per_role": {"lead": notes["lead"], **{r: notes[r] for r in ROLES}},
            "grooves": dict(sorted(Counter(e["groove"] for e in entries).items())),
            "styles": dict(sorted(Counter(e["style"] for e in entries).items())),
            "sources": len({e["source"] for e in entries}), "mma": index["mma"]}
