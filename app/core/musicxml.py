"""MusicXML (``.musicxml``, ``.xml``, compressed ``.mxl``) <-> Score, through music21.

A ``<score-timewise>`` document is first regrouped as partwise
(``musicxml_timewise.py``). Reading and writing cross ``music21_bridge.py``: repeats are expanded, ties
merged, grace notes given a short sounding length, a pickup bar shifted to
keep bar lines on the meter; writing (``music21_export.py``) quantises each
beat to 64th notes or 32nd-note triplets and says so, turns overlapping notes
into tied chords and keeps each track's GM program (drums are written as an
unpitched-percussion part on MIDI channel 10).
Saves are atomic (temporary file in the same folder, then ``os.replace``).
Failures are :class:`FileFormatError` / :class:`FileWriteError` with one sentence.
"""

from __future__ import annotations

import io
import re
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

from music21 import converter, instrument, stream
from music21 import defaults as music21_defaults
from music21.musicxml.m21ToXml import ScoreExporter

from app.core.atomic import atomic_write_bytes
from app.core.errors import FileFormatError, FileWriteError
from app.core.limits import MAX_XML_BYTES, check_inflated_size, describe_exception
from app.core.music21_bridge import quiet_music21, score_to_stream, stream_to_score
from app.core.musicxml_timewise import timewise_to_partwise
from app.core.notation_grid import GridReport
from app.core.score import DEFAULT_PPQ, Score

CONTAINER_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<container><rootfiles><rootfile full-path="score.musicxml" '
    'media-type="application/vnd.recordare.musicxml+xml"/></rootfiles></container>\n'
)


def read_musicxml(path: str | Path, ppq: int = DEFAULT_PPQ) -> Score:
    """Read a MusicXML file (plain or compressed) into a Score."""
    target = Path(path)
    data = _xml_bytes(target)
    try:
        data = timewise_to_partwise(data)
    except ET.ParseError as exc:
        raise FileFormatError(target, f"it is not valid MusicXML (the XML is broken at line {exc.position[0]})") from None
    try:
        with quiet_music21():
            parsed = converter.parseData(data, format="musicxml")
            _restore_programs(parsed, data)
            score = stream_to_score(parsed, ppq=ppq)
    except MemoryError:
        raise  # the bounded reader says how much memory it may use
    except Exception as exc:  # music21 raises many kinds; all become one sentence in words
        raise FileFormatError(target, f"it is not valid MusicXML ({describe_exception(exc)})") from None
    if not score.tracks:
        raise FileFormatError(target, "it holds no parts")
    return score


def _xml_bytes(path: Path) -> bytes:
    """The MusicXML document of a plain or compressed (``.mxl``) file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(path, "no such file") from None
    except OSError as exc:
        raise FileFormatError(path, exc.strerror or str(exc)) from None
    if not raw.startswith(b"PK"):
        return _as_utf8(raw)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = [n for n in archive.namelist() if not n.startswith("META-INF") and n.endswith((".xml", ".musicxml"))]
            root = _rootfile(archive) or (names[0] if names else None)
            if root is None:
                raise FileFormatError(path, "the compressed MusicXML file holds no score")
            info = archive.getinfo(root)
            check_inflated_size(path, info.file_size, info.compress_size)  # before inflating anything
            with archive.open(info) as member:
                data = member.read(MAX_XML_BYTES + 1)  # never more than the header promised
            if len(data) > MAX_XML_BYTES:
                check_inflated_size(path, len(data), info.compress_size)
            return _as_utf8(data)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, NotImplementedError, RuntimeError):
        raise FileFormatError(path, "it is not a valid compressed MusicXML (.mxl) file") from None


def _as_utf8(data: bytes) -> bytes:
    """UTF-16 documents (marked by a byte-order mark) re-encoded as UTF-8 for the parsers."""
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        return data
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        return data
    text = re.sub(r'^(<\?xml[^>]*encoding=["\'])[Uu][Tt][Ff]-?16(["\'])', r"\1UTF-8\2", text.lstrip("\ufeff"), count=1)
    return text.encode("utf-8")


def _rootfile(archive: zipfile.ZipFile) -> str | None:
    try:
        container = ET.fromstring(archive.read("META-INF/container.xml"))
    except (KeyError, ET.ParseError):
        return None
    for element in container.iter():
        if element.tag.endswith("rootfile") and element.get("full-path"):
            return element.get("full-path")
    return None


def _restore_programs(parsed, data: bytes) -> None:
    """Give each part the exact ``<midi-program>`` and ``<midi-channel>`` (10: drums) of its ``<score-part>``.

    music21 re-derives instruments from their names, which loses programs
    (every piano becomes program 0); the part list says what was written.
    """
    programs: list[tuple[int | None, int | None]] = []
    for part in ET.fromstring(data).iter("score-part"):
        midi = part.find("midi-instrument")
        program = midi.findtext("midi-program", "") if midi is not None else ""
        channel = midi.findtext("midi-channel", "") if midi is not None else ""
        programs.append((
            int(program) - 1 if program.strip().isdigit() and 1 <= int(program) <= 128 else None,
            int(channel) if channel.strip().isdigit() else None,
        ))
    parts = list(parsed.parts) if isinstance(parsed, stream.Score) else []
    if len(parts) != len(programs):  # parts are made in part-list order; else do not guess
        return
    for part, (program, channel) in zip(parts, programs):
        inst = part.recurse().getElementsByClass(instrument.Instrument).first()
        if inst is None:
            continue
        if program is not None:
            inst.midiProgram = program
        if channel is not None and 1 <= channel <= 16:
            inst.midiChannel = channel - 1


def musicxml_bytes(score: Score, report: GridReport | None = None) -> bytes:
    """The score as uncompressed MusicXML (UTF-8 bytes); quantising is counted in ``report``.

    The stream already holds measures, ties, beams and accidentals
    (``music21_export``), so music21's exporter runs without ``makeNotation``:
    no copy of the score, no second pass over it.
    """
    with quiet_music21():
        exporter = ScoreExporter(score_to_stream(score, report), makeNotation=False)
        root = exporter.parse()
        _drop_default_composer(root)
        _set_channels(root, score)
        return exporter.asBytes()


def _set_channels(root: ET.Element, score: Score) -> None:
    """Each part's ``<midi-channel>`` as Cadenza's MIDI export assigns it: drums on 10, no other part there.

    music21 hands out channels itself, giving a second drum part channel 1 —
    which then reads back as a pitched part.
    """
    from app.core.midi import assign_channels

    parts = root.find("part-list")
    score_parts = parts.findall("score-part") if parts is not None else []
    if len(score_parts) != len(score.tracks):
        return
    for element, channel in zip(score_parts, assign_channels(score.tracks)):
        for midi in element.findall("midi-instrument"):
            found = midi.find("midi-channel")
            if found is None:
                found = ET.Element("midi-channel")
                midi.insert(0, found)
            found.text = str(channel + 1)


def _drop_default_composer(root: ET.Element) -> None:
    """music21 names itself the composer of a score without one; Cadenza's scores name none."""
    for identification in root.iter("identification"):
        for creator in identification.findall("creator"):
            if creator.get("type") == "composer" and creator.text == music21_defaults.author:
                identification.remove(creator)


def write_musicxml(score: Score, path: str | Path) -> list[str]:
    """Write ``score`` as MusicXML; ``.mxl`` is compressed. Atomic: all or nothing.

    Returns what the user should know about the file (one sentence each):
    notes moved or lengthened to what notation can show.
    """
    target = Path(path)
    report = GridReport()
    try:
        data = musicxml_bytes(score, report)
    except Exception as exc:  # music21 could not notate it
        raise FileWriteError(target, f"the score could not be turned into MusicXML ({_first_line(exc)})") from None
    if target.suffix.lower() == ".mxl":
        data = _compress(data)
    atomic_write_bytes(target, data, keep_backup=False)
    return report.sentences()


def _compress(xml: bytes) -> bytes:
    """A ``.mxl`` container: the score plus ``META-INF/container.xml``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.recordare.musicxml")
        archive.writestr("META-INF/container.xml", CONTAINER_XML)
        archive.writestr("score.musicxml", xml)
    return buffer.getvalue()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]
