"""Training corpora: the music21 corpus as named datasets, and the user's folders.

Named datasets (the first four ship offline inside the music21 package):

* ``corpus:folk-abc``   — Ryan's Mammoth, O'Neill's 1850, Essen and Aird's Airs ABC collections;
* ``corpus:chorales``   — the Bach chorales (MusicXML);
* ``corpus:classical``  — the piano and string-quartet scores (Beethoven, Mozart,
  Haydn, Schumann, Chopin, Joplin, ...);
* ``corpus:palestrina`` — Palestrina's masses, 1,318 Humdrum ``.krn`` movements of
  3 to 8 voices, one track per voice named as the source names it (Cantus, Altus,
  Tenor 1, Tenor 2, Bassus, ...);
* ``corpus:piano-midi`` — the 337 expressive piano MIDI files of piano-midi.de
  (dynamics and rubato), read in place from ``../shared/data/piano-midi-de``
  beside the project (or the folder ``CADENZA_PIANO_MIDI_DIR`` names) and never
  copied into it. They are © Bernd Krüger under CC BY-SA 3.0 DE: a model trained
  on them must carry :func:`dataset_credit`'s attribution and licence in its card.

* ``corpus:band``       — five-track band pieces (drums, bass, guitar, piano, strings, and the melody as
  the lead) rendered offline by MMA from chord charts of the chorales and folk tunes, an LPD-5
  stand-in built into the user cache on first use (``band_corpus.py``).

Any folder is a dataset too (MIDI, ABC and MusicXML, searched recursively).
Files are parsed in parallel child processes, each under a time limit, so a
hostile file cannot hang training; bad files are skipped and counted. Parsed
scores are cached by the sha256 of the file's bytes, so the second load reads
JSON instead of running music21.

The held-out split is fixed: an item whose key (its path relative to the
dataset root, plus the tune number for ABC) hashes (sha1) to 0 or 1 modulo 20
is ``test`` (10%), to 2 is ``valid`` (5%), else ``train``. A small folder's
hash split often holds out nothing, so trainers pass their pieces through
:func:`measurable_splits`: with 3 pieces or more, validation and test each get
at least one (the pieces with the lowest hashes, so the choice never depends
on the listing order); with fewer, all of them train and one sentence says
that nothing can be measured.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from app.core.errors import CadenzaError, DatasetError, ParseTimeoutError
from app.core.formats import READ_KINDS, read_file_kind
from app.core.limits import call_with_time_limit, check_size
from app.core.paths import corpus_cache_dir
from app.core.project import score_from_dict, score_to_dict
from app.core.score import Score

ABC_TUNES_VERSION = 1  # an ABC file's entry: every tune of it (bump with CACHE_VERSION's reasons)
CACHE_VERSION = 3  # bump whenever a reader changes what it returns (3: ABC repeats, parts, macros)
FILE_TIME_LIMIT_S = 180.0  # a large quartet movement takes ~20 s on an idle core
FOLK_DIRS = ("ryansMammoth", "oneills1850", "essenFolksong", "airdsAirs")
CLASSICAL_DIRS = ("beethoven", "mozart", "haydn", "schumann_robert", "schumann_clara", "chopin",
                  "joplin", "handel", "cpebach", "schubert", "beach", "weber")
SCORE_EXTS = tuple(READ_KINDS) + (".krn",)
PIANO_MIDI_ENV = "CADENZA_PIANO_MIDI_DIR"
PIANO_MIDI_CREDIT = {"source": "piano-midi.de", "attribution": "Bernd Krüger, piano-midi.de",
                     "licence": "CC BY-SA 3.0 DE", "url": "http://www.piano-midi.de/"}
NAMED_DATASETS = ("corpus:folk-abc", "corpus:chorales", "corpus:classical", "corpus:band", "corpus:palestrina",
                  "corpus:piano-midi")


def music21_corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def dataset_files(spec: str) -> tuple[Path, list[Path]]:
    """``(root, files)`` of a named dataset (``corpus:NAME``) or a folder."""
    if spec.startswith("corpus:"):
        name = spec.split(":", 1)[1]
        root = music21_corpus_root()
        if name == "folk-abc":
            files = [p for d in FOLK_DIRS for p in sorted((root / d).rglob("*.abc"))]
        elif name == "chorales":
            files = sorted(p for p in (root / "bach").glob("bwv*.mxl"))
        elif name == "classical":
            files = _classical_files(root)
        elif name == "palestrina":
            files = sorted((root / "palestrina").glob("*.krn"))
        elif name == "piano-midi":
            return _piano_midi_files()
        elif name == "band":
            from models.common.band_corpus import band_files

            return band_files()
        else:
            raise DatasetError(f"There is no dataset '{spec}'; the named ones are "
                               f"{', '.join(NAMED_DATASETS[:-1])} and {NAMED_DATASETS[-1]}.")
        return root, files
    root = Path(spec).expanduser()
    if not root.is_dir():
        raise DatasetError(f"The dataset folder {root} does not exist.")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SCORE_EXTS)
    if not files:
        raise DatasetError(f"The folder {root} has no MIDI, ABC or MusicXML files.")
    return root, files


def piano_midi_dir() -> Path:
    """Where the piano-midi.de collection is read from: ``$CADENZA_PIANO_MIDI_DIR``, else
    ``../shared/data/piano-midi-de`` beside the project's root."""
    named = os.environ.get(PIANO_MIDI_ENV, "").strip()
    return Path(named).expanduser() if named else Path(__file__).parents[2].parent / "shared" / "data" / "piano-midi-de"


def _piano_midi_files() -> tuple[Path, list[Path]]:
    """``(root, files)`` of piano-midi.de: the ``midis`` folder (or the named folder itself when it has none)."""
    folder = piano_midi_dir()
    root = folder / "midis" if (folder / "midis").is_dir() else folder
    if not root.is_dir():
        raise DatasetError(f"The piano-midi.de collection (corpus:piano-midi) was not found at {folder}; "
                           f"put it there or set {PIANO_MIDI_ENV} to the folder that holds its MIDI files.")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".mid", ".midi"))
    if not files:
        raise DatasetError(f"The piano-midi.de folder {root} has no MIDI files; "
                           f"set {PIANO_MIDI_ENV} to the folder that holds them.")
    return root, files


def dataset_credit(spec: str) -> dict | None:
    """The attribution a model trained on ``spec`` must carry in its card (source, attribution, licence,
    url), or None when the dataset asks for none. A folder inside the piano-midi.de collection counts."""
    if spec == "corpus:piano-midi":
        return dict(PIANO_MIDI_CREDIT)
    if spec.startswith("corpus:"):
        return None
    try:
        Path(spec).expanduser().resolve().relative_to(piano_midi_dir().expanduser().resolve())
    except (ValueError, OSError):
        return None
    return dict(PIANO_MIDI_CREDIT)


def dataset_credits(specs: Sequence[str]) -> list[dict]:
    """The credits of several datasets (as merged for one model), each once, in the order given."""
    out: list[dict] = []
    for spec in specs:
        credit = dataset_credit(spec)
        if credit is not None and credit not in out:
            out.append(credit)
    return out


def _classical_files(root: Path) -> list[Path]:
    files = []
    for d in CLASSICAL_DIRS:
        found = sorted(p for p in (root / d).rglob("*") if p.suffix.lower() in SCORE_EXTS)
        stems = {p.with_suffix("") for p in found if p.suffix != ".krn"}
        files += [p for p in found if p.suffix != ".krn" or p.with_suffix("") not in stems]
    return files


def split_of(key: str) -> str:
    """The fixed split of an item: ``train``, ``valid`` or ``test`` (held out)."""
    bucket = int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 20
    return "test" if bucket < 2 else "valid" if bucket == 2 else "train"


MIN_PIECES_TO_MEASURE = 3  # one to train on, one to validate on, one to test on
HELD_OUT = ("valid", "test")


def measurable_splits(keys: Sequence[str], splits: Sequence[str]) -> tuple[list[str], str]:
    """The splits of these pieces (``keys``, their hash ``splits``) with validation and test never empty when
    there are at least 3; and a sentence for the musician when pieces were moved or nothing can be measured
    (empty when the hash split already measures)."""
    out, n = list(splits), len(splits)
    if n < MIN_PIECES_TO_MEASURE:
        sentence = (f"With only {n} piece{'s' * (n != 1)} there is none to spare for measuring, so the model "
                    f"learns from {'both' if n == 2 else 'it'} and reports no validation or test figures; "
                    f"add at least {MIN_PIECES_TO_MEASURE - n} more to measure it.") if n else ""
        return ["train"] * n, sentence
    order = sorted(range(n), key=lambda i: hashlib.sha1(keys[i].encode("utf-8")).hexdigest())
    moved = False
    for needed in (*HELD_OUT, "train"):
        if needed not in out:
            counts = Counter(out)
            donor = "train" if counts["train"] > 1 else max(counts, key=lambda s: (counts[s], s))
            out[next(i for i in order if out[i] == donor)] = needed
            moved = True
    if not moved:
        return out, ""
    counts = Counter(out)
    return out, (f"Your {n} pieces are few, so {counts['valid']} of them {'is' if counts['valid'] == 1 else 'are'} "
                 f"set aside for validation and {counts['test']} for the test, to measure what the model learns.")


@dataclass(frozen=True)
class CorpusItem:
    key: str
    score: Score
    split: str


@dataclass
class LoadReport:
    """What a load did: items, how many were parsed, cached, skipped, and why."""

    items: list[CorpusItem] = field(default_factory=list)
    parsed: int = 0
    cached: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def split(self, name: str) -> list[Score]:
        return [i.score for i in self.items if i.split == name]


def _parse_file(path: str) -> dict:
    """Parse one file to the cacheable JSON form (runs in a bounded child)."""
    p = Path(path)
    if p.suffix.lower() == ".krn":
        import music21

        from app.core.music21_bridge import stream_to_score

        parsed = music21.converter.parse(path)
        _name_voices(parsed)
        score = stream_to_score(parsed)
    elif p.suffix.lower() == ".abc":
        from app.core.abc.read import read_abc_tunes

        return {"tunes": [[n, score_to_dict(s), None] if isinstance(s, Score) else [n, None, s]
                          for n, s in read_abc_tunes(path)]}
    else:
        score = read_file_kind(READ_KINDS[p.suffix.lower()], path, None)
    return score_to_dict(score)


def _name_voices(parsed) -> None:
    """Name each Humdrum part as its spine's opening comment does (``!Tenor 2``): music21 names a part only by
    its instrument, so a mass's two tenors would both be "Tenor"."""
    for part in getattr(parsed, "parts", ()):
        first = next(iter(part.recurse().getElementsByClass("SpineComment")), None)
        comment = str(getattr(first, "comment", "") or "").strip()
        if comment and len(comment) <= 40 and first.getOffsetInHierarchy(part) == 0:
            part.partName = comment


def _load_one(path: Path, cache: Path) -> tuple[str, dict]:
    """``("cached"|"parsed", entry)`` where entry holds a score or an error sentence."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    abc = path.suffix.lower() == ".abc"  # an ABC file's entry holds every tune of it
    entry_path = cache / (f"{digest}-tunes-v{ABC_TUNES_VERSION}.json" if abc else f"{digest}-v{CACHE_VERSION}.json")
    try:
        return "cached", json.loads(entry_path.read_text())
    except (OSError, ValueError):
        pass
    try:
        check_size(path)
        parsed = call_with_time_limit(_parse_file, (str(path),), path, FILE_TIME_LIMIT_S)
        entry = parsed if abc else {"score": parsed}
    except ParseTimeoutError as exc:  # depends on the machine's load: report, but never cache
        return "parsed", {"error": str(exc)}
    except CadenzaError as exc:
        entry = {"error": str(exc)}
    cache.mkdir(parents=True, exist_ok=True)
    # a temp name of this thread's own: two files with the same content (one cache entry) load at once
    tmp = entry_path.with_name(f"{entry_path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(entry))
    os.replace(tmp, entry_path)
    return "parsed", entry


def load_scores(spec: str, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None,
                limit: int | None = None) -> LoadReport:
    """Parse (or read from the cache) every file of a dataset into scores."""
    root, files = dataset_files(spec)
    files = files[:limit] if limit else files
    cache = corpus_cache_dir()
    _warm_imports()
    report, start = LoadReport(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers or max(1, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(_load_one, p, cache) for p in files]
        for done, (path, fut) in enumerate(zip(files, futures), 1):
            if cancelled is not None and cancelled():
                for f in futures:
                    f.cancel()
                raise DatasetError("Loading the dataset was cancelled.")
            how, entry = fut.result()
            _account(report, root, path, how, entry)
            if progress is not None:
                progress(done, len(files))
    report.seconds = time.perf_counter() - start
    if not report.items:
        raise DatasetError(f"No file of {spec} could be read ({report.skipped} skipped).")
    return report


def _account(report: LoadReport, root: Path, path: Path, how: str, entry: dict) -> None:
    report.cached += how == "cached"
    report.parsed += how == "parsed"
    if "error" in entry:
        report.skipped += 1
        report.errors.append(entry["error"])
        return
    key = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    if "tunes" not in entry:
        report.items.append(CorpusItem(key, score_from_dict(entry["score"]), split_of(key)))
        return
    for number, score, error in entry["tunes"]:  # every tune of an ABC file is its own item, keyed as abc_tunes
        if error is not None:
            report.skipped += 1
            report.errors.append(error)
        else:
            tune_key = f"{key}#{number}"
            report.items.append(CorpusItem(tune_key, score_from_dict(score), split_of(tune_key)))


def _warm_imports() -> None:
    """Import the parsers before forking workers, so children never import concurrently."""
    import music21  # noqa: F401

    from app.core import midi, music21_bridge, musicxml, project  # noqa: F401
    from app.core.abc import read  # noqa: F401


@dataclass(frozen=True)
class AbcTune:
    key: str
    text: str
    split: str


_X_LINE = re.compile(r"^X:\s*(\d+)", re.M)


def abc_tunes(spec: str = "corpus:folk-abc") -> list[AbcTune]:
    """Every tune's own ABC text (header and body), for character-level models."""
    root, files = dataset_files(spec)
    tunes = []
    for path in files:
        if path.suffix.lower() != ".abc":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        starts = [m.start() for m in _X_LINE.finditer(text)]
        for i, s in enumerate(starts):
            chunk = text[s: starts[i + 1] if i + 1 < len(starts) else len(text)].strip()
            number = _X_LINE.match(chunk).group(1)
            key = f"{path.relative_to(root)}#{number}"
            tunes.append(AbcTune(key, chunk, split_of(key)))
    return tunes
