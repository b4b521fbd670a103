"""Regenerate the folk, chorale and classical seeds from the music21 corpus.

Everything here comes from the corpus that ships with music21, so the seeds
can be rebuilt offline and byte for byte:

- folk tunes: the header of an ABC tune (X:1, T:, C:, O:, R:, M:, L:, Q:, Z:,
  K:) plus its first lines of music, copied verbatim; only the bar line that
  ends the excerpt becomes a final ``|]``;
- chorales and classical openings: ``score.measures(first, last)`` (so a
  pickup measure 0 is kept), lyrics removed, repeat signs replaced by a
  final bar line, written as MusicXML with the encoding date and random
  instrument ids normalised.

Every file is parsed back with music21 and its bar count checked (a pickup
measure 0 does not count). The index entries of these three styles are then
written into resources/seeds/index.json (the grooves' entries are kept: see
tools/make_grooves.py).

Usage: python tools/make_seeds.py
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_grooves import SEEDS_DIR, update_index  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.core.abc.header import key_from_abc, key_to_abc  # noqa: E402
from app.core.keys import key_fifths, parse_key  # noqa: E402

CORPUS = "music21 corpus"
HEADER_FIELDS = ("C", "O", "R", "M", "L", "Q", "Z")  # kept, in this order, between T: and K:


@dataclass(frozen=True)
class Folk:
    """An ABC folk tune: the first ``lines`` lines of music of tune ``x`` in ``path``."""

    name: str
    title: str
    path: str
    x: int | None
    lines: int
    bars: int
    key: str
    book: str
    description: str


@dataclass(frozen=True)
class Excerpt:
    """Measures ``first``..``last`` of a corpus score, written as MusicXML."""

    name: str
    style: str
    title: str
    composer: str
    path: str
    first: int
    last: int
    bars: int
    key: str
    work: str
    description: str
    drop_parts: tuple[str, ...] = ()
    part_name: str | None = None  # rename every part (e.g. "Piano" for two staves)


RYAN = "Ryan's Mammoth Collection, 1883"
AIRD = "Aird's Selection of Scotch, English, Irish and Foreign Airs, 1782-1803"
ONEILL = "O'Neill's Music of Ireland, 1903"
ESSEN = "Essen Folksong Collection, German songs; encoded by the Essen project, distributed with music21 by permission"

FOLK = (
    Folk("fishers-hornpipe", "Fisher's Hornpipe", "ryansMammoth/FishersHornpipe.abc", None, 3, 8, "F major",
         RYAN, "The first strain of a classic dotted-feel hornpipe in F, busy sixteenths over broken chords."),
    Folk("masons-apron", "The Mason's Apron", "ryansMammoth/MasonsApronReel.abc", None, 3, 8, "A major",
         RYAN, "The A part of a driving reel in A built on a repeated low A figure, a favourite for variations."),
    Folk("jolly-tinkers-reel", "The Jolly Tinker's Reel", "ryansMammoth/JollyTinkersReel.abc", None, 1, 4,
         "A dorian", RYAN, "Four bars of an A dorian reel: a rolling eAAg figure answered by a G major turn."),
    Folk("swallowtail-jig", "The Swallowtail Jig", "ryansMammoth/SwallowTailJig.abc", None, 3, 8, "E minor",
         RYAN, "The A part of a brisk E minor jig in 6/8 with the typical GEE BEE bounce."),
    Folk("haste-to-the-wedding", "Haste to the Wedding", "ryansMammoth/HasteToTheWeddingJig.abc", None, 3, 8,
         "D major", RYAN, "The first strain of a cheerful D major double jig, a standard at sessions and ceilidhs."),
    Folk("drop-of-whiskey-slip-jig", "A Drop of Whiskey", "ryansMammoth/DropOfWhiskeySlipjig.abc", None, 1, 4,
         "G major", RYAN, "Four bars of a 9/8 slip jig in G with its lilting three-in-a-bar swing."),
    Folk("afton-water", "Afton Water", "airdsAirs/book5.abc", 880, 2, 8, "G major",
         AIRD, "A slow Scottish air in 3/4 with a simple, singable line, ideal for harmonising or reharmonising."),
    Folk("carolans-devotion", "Carolan's Devotion", "airdsAirs/book6.abc", 1122, 2, 8, "G minor",
         AIRD, "A stately G minor Irish air in 3/4 named for the harper Carolan, full of dotted snaps."),
    Folk("morfa-rhuddlan", "Morfa Rhuddlan", "airdsAirs/book5.abc", 843, 1, 4, "A minor",
         AIRD, "The opening of a Welsh lament in A minor, 3/4, with a raised leading tone on the half cadence."),
    Folk("german-waltz", "German Waltz", "airdsAirs/book4.abc", 653, 1, 8, "C major",
         AIRD, "An eighteenth-century waltz strain in 3/8 in C, simple arpeggios and scale runs."),
    Folk("enchanted-valley", "The Enchanted Valley", "oneills1850/0001-0050.abc", 1, 1, 4, "G minor",
         ONEILL, "The first phrase of a very slow Irish air in G minor that climbs the scale through a raised sixth and seventh."),
    Folk("der-mond-ist-aufgegangen", "Der Mond ist aufgegangen", "essenFolksong/boehme10.abc", 199, 3, 6,
         "G major", ESSEN, "The first half of the best-known German evening song (J. A. P. Schulz, 1790), calm and hymn-like."),
    Folk("dort-unten-im-thale", "Dort unten im Thale", "essenFolksong/boehme10.abc", 357, 2, 8, "G major",
         ESSEN, "A German folk love song in G major, 3/4: a tender falling line answered by an upward leap."),
    Folk("zu-mantua-in-banden", "Zu Mantua in Banden", "essenFolksong/boehme10.abc", 69, 4, 8, "E minor",
         ESSEN, "The opening of the Andreas Hofer song (1844), a sombre E minor march-like melody in 4/4."),
    Folk("es-waren-zwei-koenigskinder", "Es waren zwei Königskinder", "essenFolksong/erk10.abc", 154, 4, 8,
         "G major", ESSEN, "The traditional German ballad of the two royal children: a plain, even-stepping "
         "G major tune in 4/4."),
)

BACH = "Johann Sebastian Bach"
CHORALES = (
    Excerpt("bach-wenn-ich-einmal-soll-scheiden", "chorale", "Wenn ich einmal soll scheiden (BWV 244/62)", BACH,
            "bach/bwv244.62", 0, 4, 4, "A minor", "St Matthew Passion BWV 244 no. 62",
            "The Passion chorale on the melody 'O Haupt voll Blut und Wunden', first two phrases, in A minor."),
    Excerpt("bach-gloria-sei-dir-gesungen", "chorale", "Gloria sei dir gesungen (BWV 140/7)", BACH,
            "bach/bwv140.7", 1, 6, 6, "Eb major", "Cantata BWV 140 'Wachet auf' no. 7",
            "The closing chorale of 'Wachet auf', first two phrases in E-flat over a bass walking in quavers."),
    Excerpt("bach-das-wort-sie-sollen-lassen-stahn", "chorale", "Das Wort sie sollen lassen stahn (BWV 80/8)", BACH,
            "bach/bwv80.8", 0, 4, 4, "D major", "Cantata BWV 80 'Ein feste Burg' no. 8",
            "Luther's 'Ein feste Burg' melody in four voices, first two phrases in D major."),
    Excerpt("bach-jesu-meine-freude", "chorale", "Jesu, meine Freude (BWV 227/1)", BACH,
            "bach/bwv227.1", 1, 4, 4, "E minor", "Motet BWV 227 'Jesu, meine Freude' no. 1",
            "The opening of the motet chorale in E minor, two short phrases ending on a half cadence."),
    Excerpt("bach-aus-meines-herzens-grunde", "chorale", "Aus meines Herzens Grunde (BWV 269)", BACH,
            "bach/bwv269", 0, 7, 7, "G major", "Four-part chorale BWV 269",
            "A chorale in triple time in G major: two phrases, a half cadence and then a full close."),
    Excerpt("bach-brich-an-o-schoenes-morgenlicht", "chorale", "Brich an, o schönes Morgenlicht (BWV 248/12)", BACH,
            "bach/bwv248.12-2", 0, 4, 4, "G major", "Christmas Oratorio BWV 248 no. 12",
            "The Christmas Oratorio chorale in G major, first two phrases with rich passing motion."),
    Excerpt("bach-ach-wie-fluechtig", "chorale", "Ach wie flüchtig, ach wie nichtig (BWV 26/6)", BACH,
            "bach/bwv26.6", 1, 4, 4, "A minor", "Cantata BWV 26 'Ach wie flüchtig, ach wie nichtig' no. 6",
            "One long A minor phrase in steady crotchets: the tune climbs a fifth and sinks back to a plain cadence."),
    Excerpt("bach-ach-gott-vom-himmel-sieh-darein", "chorale", "Ach Gott, vom Himmel sieh darein (BWV 2/6)", BACH,
            "bach/bwv2.6", 0, 4, 4, "G dorian", "Cantata BWV 2 'Ach Gott, vom Himmel sieh darein' no. 6",
            "A G minor chorale written with Bach's one-flat Dorian signature, first two phrases."),
)

CLASSICAL = (
    Excerpt("mozart-sonata-k545-opening", "classical", "Piano Sonata in C, K. 545: Allegro", "Wolfgang Amadeus Mozart",
            "mozart/k545/movement1_exposition", 1, 4, 4, "C major", "Piano Sonata no. 16 in C major, K. 545, i",
            "The famous opening phrase: a singing right-hand melody over an Alberti bass, closing back on C.",
            part_name="Piano"),
    Excerpt("joplin-maple-leaf-rag-opening", "classical", "Maple Leaf Rag", "Scott Joplin",
            "joplin/maple_leaf_rag", 0, 8, 8, "Ab major", "Maple Leaf Rag (1899), A strain",
            "The first eight bars of the rag's A strain in 2/4: syncopated right-hand figures over repeated left-hand chords.",
            part_name="Piano"),
    Excerpt("clara-schumann-polonaise-op1-no1", "classical", "Polonaise op. 1 no. 1", "Clara Wieck Schumann",
            "schumann_clara/polonaise_op1n1", 1, 8, 8, "Eb major", "Quatre Polonaises op. 1 no. 1",
            "The opening of a youthful piano polonaise in E-flat with the dance's characteristic 3/4 rhythm.",
            part_name="Piano"),
    Excerpt("chopin-mazurka-op6-no2-opening", "classical", "Mazurka in C-sharp minor, op. 6 no. 2",
            "Frédéric Chopin", "chopin/mazurka06-2.krn", 1, 8, 8, "C# minor", "Mazurka op. 6 no. 2",
            "The drone-fifth introduction of a C-sharp minor mazurka, a rustic bagpipe-like opening.",
            part_name="Piano"),
    Excerpt("beethoven-quartet-op18-no1-opening", "classical", "String Quartet op. 18 no. 1: Allegro con brio",
            "Ludwig van Beethoven", "beethoven/opus18no1/movement1.mxl", 1, 8, 8, "F major",
            "String Quartet in F major, op. 18 no. 1, i",
            "The terse unison turn motif that the whole movement grows from, with its first harmonised answer."),
    Excerpt("mozart-hunt-quartet-opening", "classical", "String Quartet in B-flat, K. 458 'The Hunt'",
            "Wolfgang Amadeus Mozart", "mozart/k458/movement1", 0, 8, 8, "Bb major",
            "String Quartet no. 17 in B-flat major, K. 458, i",
            "The hunting-horn call in 6/8 that gives the quartet its nickname, scored for all four strings."),
    Excerpt("schubert-der-lindenbaum-introduction", "classical", "Der Lindenbaum: piano introduction",
            "Franz Schubert", "schubert/Lindenbaum", 1, 8, 8, "E major", "Winterreise D. 911 no. 5",
            "The rustling-leaves triplet introduction of the song, piano alone, in E major.",
            drop_parts=("Voice",), part_name="Piano"),
)


# ---------------------------------------------------------------- ABC folk cuts

def _tune_text(text: str, x: int | None) -> str:
    """The text of tune ``X:x`` in a multi-tune ABC file (the whole text if ``x`` is None)."""
    if x is None:
        return text
    blocks = re.split(r"\n(?=X:)", "\n" + text)
    for block in blocks:
        m = re.match(r"X:\s*(\d+)", block)
        if m and int(m.group(1)) == x:
            return block.strip("\n")
    raise SystemExit(f"no tune X:{x}")


def _end_with_final_bar(line: str) -> str:
    """Drop a trailing continuation and bar line from ``line`` and end it with ``|]``."""
    line = line.rstrip()
    if line.endswith("\\"):
        line = line[:-1].rstrip()
    line = re.sub(r"(?:\[?:*\|[\]|:]*|::)$", "", line).rstrip()
    return line + " |]"


def cut_abc(tune: str, title: str, lines: int, comment: str, key: str | None = None) -> str:
    """Header of ``tune`` (renumbered X:1, titled ``title``) and its first ``lines`` lines of music; ``K:``
    names ``key`` where the tune writes its signature under another name (``K: G`` for E minor)."""
    head, body = [], []
    in_body = False
    for line in tune.splitlines():
        if in_body:
            if line.strip() and not line.lstrip().startswith("%"):
                body.append(line)
        elif re.match(r"K:", line):
            key_line = line.split("%")[0].rstrip()
            in_body = True
            if key is not None and key_from_abc(key_line[2:].strip()) != key:
                if key_fifths(key_from_abc(key_line[2:].strip()) or "C major") != key_fifths(key):
                    raise SystemExit(f"{title}: K:{key_line[2:]} does not have the signature of {key}")
                key_line = f"K: {key_to_abc(key)}"  # the same signature, named as the key it is
        elif re.match(r"[A-Za-z]:\s*\S", line):  # a header field with a value
            head.append(line)
    fields = {f: [h for h in head if h[0] == f] for f in HEADER_FIELDS}
    out = ["X:1", f"T:{title}", *(f"% {c}" for c in comment.split("\n"))]
    for f in HEADER_FIELDS:
        out += fields[f]
    out.append(key_line)
    cut = body[:lines]
    cut[-1] = _end_with_final_bar(cut[-1])
    return "\n".join(out + cut) + "\n"


def make_folk(spec: Folk) -> dict:
    """Write one folk seed and return its index entry."""
    from music21 import corpus

    source = Path(corpus.getWork(spec.path))
    tune = _tune_text(source.read_text(encoding="utf-8", errors="replace"), spec.x)
    where = f"{spec.path}" + (f", tune X:{spec.x}" if spec.x is not None else "")
    renamed = key_from_abc(re.search(r"^K:(.*)$", tune, re.M)[1].split("%")[0].strip()) != spec.key
    verbatim = "verbatim but for K: named as the key it is" if renamed else "verbatim"
    comment = (f"Seed for Cadenza: the first {spec.bars} bars (and any pickup), {verbatim}, from the {CORPUS}:\n"
               f"{where} ({spec.book}).")
    path = SEEDS_DIR / f"{spec.name}.abc"
    path.write_text(cut_abc(tune, spec.title, spec.lines, comment, spec.key), encoding="utf-8")
    bars, meter = check_bars(path, spec.bars)
    return entry(spec.name, spec.title, path, "folk", bars, meter, spec.key,
                 f"{CORPUS}: {where} ({spec.book})", spec.description)


# ---------------------------------------------------------------- MusicXML excerpts

def _clean_excerpt(score, spec: Excerpt) -> None:
    """Drop parts, lyrics, repeats and a trailing half-measure; end with a final bar line."""
    from music21 import bar, expressions, metadata, note, spanner, stream, tie

    for part in list(score.parts):
        if part.partName in spec.drop_parts:
            score.remove(part)
    for sp in list(score.recurse().getElementsByClass(spanner.RepeatBracket)):
        score.remove(sp, recurse=True)
    lasts = []
    for part in score.parts:
        if spec.part_name:
            part.partName = spec.part_name
        measures = list(part.getElementsByClass(stream.Measure))
        # a repeat sign can split one bar in two measures with the same number: drop the tail
        while len(measures) > 1 and measures[-1].number == measures[-2].number:
            part.remove(measures.pop())
        for m in measures:
            m.leftBarline = None
            if m.rightBarline is not None and m.rightBarline.type != "double":
                m.rightBarline = None
        measures[-1].rightBarline = bar.Barline("final")
        lasts.append(measures[-1])
    for n in score.recurse().notes:
        n.lyrics = []
    if spec.style == "chorale":
        _trim_after_fermata(lasts, expressions, note)
    for m in lasts:  # nothing may stay tied past the end
        for n in m.recurse().notes:
            for sub in (n.notes if n.isChord else (n,)):
                if sub.tie is not None and sub.tie.type in ("start", "continue"):
                    sub.tie = tie.Tie("stop") if sub.tie.type == "continue" else None
            if n.isChord and n.tie is not None and n.tie.type in ("start", "continue"):
                n.tie = None
    score.metadata = metadata.Metadata()
    score.metadata.title = spec.title
    score.metadata.movementName = spec.title
    score.metadata.composer = spec.composer


def _trim_after_fermata(lasts, expressions, note) -> None:
    """Replace what follows the last soprano fermata (the next phrase's upbeat) by rests."""
    fermata_ends = [n.offset + n.quarterLength for n in lasts[0].notes
                    if any(isinstance(e, expressions.Fermata) for e in n.expressions)]
    if not fermata_ends:
        return
    cut = max(fermata_ends)
    for m in lasts:
        end = m.highestTime
        removed = [el for el in m.notesAndRests if el.offset >= cut]
        for el in removed:
            m.remove(el)
        if removed and end > cut:
            m.insert(cut, note.Rest(quarterLength=end - cut))


def _name_key(score, name: str) -> None:
    """Every key signature of ``score`` written as the key ``name`` (its mode in <mode>): Bach's one-flat
    G minor is G dorian, not the D minor music21 would otherwise write."""
    from music21 import key

    tonic, mode = parse_key(name)
    for signature in list(score.recurse().getElementsByClass(key.KeySignature)):
        if signature.sharps != key_fifths(name):
            raise SystemExit(f"{name}: the score's signature has {signature.sharps} sharps")
        signature.activeSite.replace(signature, key.Key(tonic.replace("b", "-"), mode))


def _normalise_xml(text: str) -> str:
    """Drop the encoding date and number the random part and instrument ids, so output is deterministic."""
    text = re.sub(r"\s*<encoding-date>[^<]*</encoding-date>", "", text)
    ids: dict[str, str] = {}

    def renumber(m: re.Match) -> str:
        kind = "Part" if m.group(1) == "P" else "Inst"
        return ids.setdefault(m.group(0), f"{kind}{sum(v.startswith(kind) for v in ids.values()) + 1}")

    return re.sub(r"\b([IP])[0-9a-f]{32}\b", renumber, text)


def make_excerpt(spec: Excerpt) -> dict:
    """Write one MusicXML excerpt and return its index entry."""
    from music21 import corpus

    score = corpus.parse(spec.path)
    excerpt = score.measures(spec.first, spec.last)
    _clean_excerpt(excerpt, spec)
    _name_key(excerpt, spec.key)
    path = SEEDS_DIR / f"{spec.name}.musicxml"
    tmp = path.with_suffix(".tmp.musicxml")
    excerpt.write("musicxml", fp=str(tmp))
    path.write_text(_normalise_xml(tmp.read_text(encoding="utf-8")), encoding="utf-8")
    tmp.unlink()
    bars, meter = check_bars(path, spec.bars)
    if spec.style == "chorale":
        parts = [p.partName for p in _parse(path).parts]
        if parts != ["Soprano", "Alto", "Tenor", "Bass"]:
            raise SystemExit(f"{path.name}: parts are {parts}")
    where = f"{spec.path}, measures {spec.first}-{spec.last}"
    return entry(spec.name, spec.title, path, spec.style, bars, meter, spec.key,
                 f"{CORPUS}: {where} ({spec.composer}, {spec.work})", spec.description)


# ---------------------------------------------------------------- checks and index

def _parse(path: Path):
    from music21 import converter

    return converter.parse(str(path))


def check_bars(path: Path, expected: int) -> tuple[int, str]:
    """Parse ``path`` back; return (bars, meter) after checking the bar count."""
    from music21 import meter, stream

    score = _parse(path)
    part = score.parts[0] if score.parts else score
    measures = list(part.getElementsByClass(stream.Measure))
    ts = score.recurse().getElementsByClass(meter.TimeSignature).first()
    # an incomplete first measure is a pickup, not a bar (music21 numbers ABC
    # measures from 0 even without a pickup, so count, don't read numbers)
    pickup = measures[0].duration.quarterLength < ts.barDuration.quarterLength
    bars = len(measures) - pickup
    if bars != expected:
        raise SystemExit(f"{path.name}: {bars} bars (+ pickup: {pickup}), expected {expected}")
    return bars, ts.ratioString


def entry(name, title, path, style, bars, meter, key, source, description) -> dict:
    """An index.json entry."""
    return {"name": name, "title": title, "file": path.name, "style": style, "bars": bars, "meter": meter,
            "key": key, "source": source, "licence": "public domain", "description": description}


def main() -> None:
    warnings.filterwarnings("ignore")
    SEEDS_DIR.mkdir(parents=True, exist_ok=True)
    entries = []
    for spec in FOLK:
        entries.append(make_folk(spec))
        print(f"wrote {spec.name}.abc")
    for spec in CHORALES + CLASSICAL:
        entries.append(make_excerpt(spec))
        print(f"wrote {spec.name}.musicxml")
    update_index(entries, {"folk", "chorale", "classical"})


if __name__ == "__main__":
    main()
