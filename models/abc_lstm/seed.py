"""A musician's seed, whatever it is, as ABC that the abc-lstm grammar can continue.

An ABC seed whose header and body are already inside the grammar's subset is
continued verbatim (:func:`seed_tune`). Anything else is normalised through
its notes: an ABC tune with chords, endings, short bars before ``:|`` or
unusual lengths (``/12``) is read as a score (repeats and endings expanded),
and a MIDI, MusicXML or multi-track seed gives its melody — the track named as
the melody (``Melody``, ``Lead``, ``Vocal``...), else the highest voice of all
pitched tracks (chords to their top note, notes under a held higher note
dropped). The melody is quantized to what the grammar can write: half units of
``L:``, triplets ``(3abc`` where three notes share two units, longer notes tied
across bar lines; its first :data:`MAX_SEED_BARS` bars are kept. Only when no
pitched note is left does one sentence say why.

The grammar writes one meter and one key per tune, so a seed whose meter
changes is read from the real bar line where its last meter begins (where the
continuation goes on in that meter), and its ``M:`` and ``K:`` are the meter
and key in force at the seed's end.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from app.core.abc.header import bar_units, default_unit, format_meter, format_unit, key_to_abc, parse_meter, parse_unit
from app.core.errors import CadenzaError, GenerationError
from app.core.keys import key_alterations, key_fifths, key_tonic, spell
from app.core.score import Note, Score
from app.core.timing import signature_at
from app.core.variations import score_key

from models.abc_lstm.constraint import fit_seed_body, seed_fields
from models.abc_lstm.grammar_header import is_valid_key
from models.common.meter_regions import closing_region

MAX_SEED_BARS = 16
MELODY_NAME = re.compile(r"\b(melody|melodie|lead|vocals?|voice|voix|sing|singer|solo|theme|tune|right hand|rh)\b",
                         re.IGNORECASE)
#: Half units -> length suffix, longest first (the lengths the grammar writes).
_SUFFIX = ((16, "8"), (12, "6"), (8, "4"), (6, "3"), (4, "2"), (3, "3/2"), (2, ""), (1, "/"))
_ACCIDENTAL = {-1: "_", 0: "=", 1: "^"}
_VOICE_OR_MACRO = re.compile(r"^\s*[Vm]:|\[[KMLVm]:", re.MULTILINE)
_BODY_FIELD = re.compile(r"\s*[KMLP]:")


@dataclass(frozen=True)
class _Event:
    """A melody note (``pitches`` one) or a triplet (three), from ``start`` to ``end`` in half units."""

    start: int
    end: int
    pitches: tuple[int, ...]


def seed_tune(text: str | None, score: Score | None) -> tuple[dict[str, str], str]:
    """Header fields (``T M L K``) and body the grammar continues; GenerationError when nothing is usable.

    ``text`` (an ABC seed's own text) is kept verbatim when the grammar can read
    it; otherwise the score (``score``, or ``text`` read as ABC) is normalised.
    """
    if text:
        fields, body = _verbatim(text)
        if fields is not None:
            return fields, body
        if score is None:
            score = _read_abc(text)
    if score is None:
        return {}, ""
    return melody_tune(score)


def _verbatim(text: str) -> tuple[dict[str, str] | None, str]:
    """The seed's own fields and body when the grammar accepts them as they are, else ``(None, "")``.

    Voices, macros and key, meter or length changes inside the body change what
    the notes mean, so such a tune goes through its score instead.
    """
    if _VOICE_OR_MACRO.search(text):
        return None, ""
    try:
        fields, body = seed_fields(text)
        if any(_BODY_FIELD.match(line) for line in body.splitlines()):
            return None, ""
        if "K" in fields and not is_valid_key(fields["K"]):
            return None, ""
        if body.strip():  # the body's notes mean what ABC's defaults say, not what the model would choose
            fields.setdefault("K", "C")
            fields.setdefault("M", "4/4")
        meter = parse_meter(fields.get("M") or "4/4")
        unit = parse_unit(fields["L"]) if fields.get("L") else default_unit(meter)
        fit_seed_body(body, meter, unit)
    except (ValueError, ZeroDivisionError):
        return None, ""
    return fields, body


def _read_abc(text: str) -> Score:
    from app.core.abc.read import read_abc_text

    try:
        return read_abc_text(text, name="the seed")
    except CadenzaError as exc:
        raise GenerationError(f"The seed's ABC cannot be read, so abc-lstm cannot continue it ({exc}).") from None


# -- the melody -----------------------------------------------------------------------------------

def melody_notes(score: Score) -> list[Note]:
    """The notes of the seed's melody track (by name), else of every pitched track."""
    tracks = [t for t in score.tracks if not t.is_drum and t.notes]
    named = [t for t in tracks if MELODY_NAME.search(t.name or "")]
    chosen = named[:1] or tracks
    return sorted((n for t in chosen for n in t.notes), key=lambda n: (n.start, -n.pitch))


def skyline(notes: list[Note], tolerance: int = 0) -> list[Note]:
    """The highest voice: at each onset its top note; a note starting under a held higher note is dropped.

    Onsets within ``tolerance`` ticks count as one (a rolled chord), and a held
    note that ends within ``tolerance`` of a new onset no longer counts as held
    (legato playing overlaps notes a little). Each kept note ends no later than
    the next kept onset.
    """
    tops: list[Note] = []
    for note in notes:  # sorted by start, highest first
        if tops and note.start - tops[-1].start <= tolerance:
            if note.pitch > tops[-1].pitch:
                tops[-1] = note
            continue
        if tops and tops[-1].end - tolerance > note.start and tops[-1].pitch > note.pitch:
            continue  # under a higher note that still sounds
        tops.append(note)
    out = []
    for i, note in enumerate(tops):
        end = min(note.end, tops[i + 1].start) if i + 1 < len(tops) else note.end
        if end > note.start:
            out.append(Note(start=note.start, pitch=note.pitch, duration=end - note.start, velocity=note.velocity))
    return out


def quantize(notes: list[Note], half: Fraction, triplets: bool = True) -> list[_Event]:
    """Melody notes on a grid of ``half`` ticks (half a unit of ``L:``); triplets kept as ``(3``."""
    events: list[_Event] = []
    i = 0
    while i < len(notes):
        start = round(notes[i].start / half)
        if triplets and _triplet(notes, i, half) and not (events and events[-1].start >= start):
            if events and events[-1].end > start:
                events[-1] = _Event(events[-1].start, start, events[-1].pitches)
            events.append(_Event(start, start + 4, tuple(n.pitch for n in notes[i:i + 3])))
            i += 3
            continue
        note = notes[i]
        start = round(note.start / half)
        end = max(start + 1, round(note.end / half))
        if events and events[-1].end > start:
            if events[-1].start == start or len(events[-1].pitches) == 3:
                i += 1
                continue  # two onsets on one grid point: the first (higher or earlier) stays
            last = events[-1]
            events[-1] = _Event(last.start, start, last.pitches)
        events.append(_Event(start, end, (note.pitch,)))
        i += 1
    return events


def _triplet(notes: list[Note], i: int, half: Fraction) -> bool:
    """True when notes ``i..i+2`` are three equal notes in the time of two units, starting on a unit."""
    if i + 2 >= len(notes):
        return False
    unit = 2 * half
    t0 = notes[i].start
    if abs(t0 / unit - round(t0 / unit)) > Fraction(1, 12):
        return False
    span = 2 * unit
    if any(abs((note.start - t0) - k * span / 3) > span / 24 for k, note in enumerate(notes[i:i + 3])):
        return False
    return i + 3 >= len(notes) or notes[i + 3].start - t0 >= span - span / 24


# -- writing the grammar's ABC ----------------------------------------------------------------------

def melody_tune(score: Score, bars: int = MAX_SEED_BARS) -> tuple[dict[str, str], str]:
    """The seed's melody as ABC header fields and a body inside the grammar's subset."""
    notes = melody_notes(score)
    if not notes:
        what = "only drums" if any(t.notes for t in score.tracks) else "no notes"
        raise GenerationError(f"The seed holds {what}, so abc-lstm has no melody to continue; "
                              "choose a seed with a tune in it.")
    origin = closing_region(score).start  # 0 unless the meter changes: the last meter's bars only
    notes = [Note(max(n.start, origin) - origin, n.pitch, n.end - max(n.start, origin), n.velocity)
             for n in notes if n.end > origin]
    if not notes:
        raise GenerationError("The seed's last meter holds no melody notes, so abc-lstm has nothing to continue; "
                              "choose a seed whose last bars hold a tune.")
    end = max(score.end - 1, 0)
    sig = signature_at(score, end)
    meter = (sig.numerator, sig.denominator)
    unit = default_unit(meter)
    key = _key(score.key_at(end) or score_key(score))  # the key in force where the continuation starts
    fields = {"T": _title(score.title), "M": format_meter(meter), "L": format_unit(unit), "K": key}
    half = Fraction(score.ppq * 4) * unit / 2
    tops = skyline(notes, tolerance=max(1, min(score.ppq // 8, int(half) // 2)))
    problem = None
    for triplets in (True, False):
        body = write_body(quantize(tops, half, triplets), int(bar_units(meter, unit) * 2),
                          _beat(meter, unit), key_fifths(_key_name(key)), bars, key_tonic(_key_name(key)))
        try:
            fit_seed_body(body, meter, unit)
            return fields, body
        except ValueError as exc:
            problem = str(exc)
    raise GenerationError(f"The seed's melody could not be written as ABC abc-lstm can continue ({problem}).")


def write_body(events: list[_Event], bar: int, beat: int, fifths: int, bars: int, tonic: int | None = None) -> str:
    """ABC body text of quantized events (half units): bars of ``bar`` halves, the first ``bars`` kept;
    pitches spelled in the key of ``fifths`` sharps or flats and ``tonic`` (its pitch class).

    Whole empty bars before the first note are skipped; a first bar that begins
    late is written as a pickup. A note over a bar line is tied (``A2-|A``).
    """
    if not events:
        return ""
    origin = events[0].start // bar * bar
    limit = origin + bars * bar
    writer = _Writer(bar, beat, fifths, origin, tonic)
    writer.pos = events[0].start
    for event in events:
        if event.start >= limit:
            break
        if event.start > writer.pos:
            writer.rest(event.start - writer.pos)
        if len(event.pitches) == 3 and writer.room() >= 4:
            writer.triplet(event.pitches)
        elif len(event.pitches) == 3:  # no room for the triplet before the bar line: plain notes
            for pitch, length in zip(event.pitches, (2, 1, 1)):
                writer.note(pitch, length)
        else:
            writer.note(event.pitches[0], min(event.end, limit) - event.start)
    return writer.text()


def _beat(meter: tuple[int, int], unit: Fraction) -> int:
    """Half units of a beat: a dotted quarter in compound meters (6/8, 9/8, 12/8), else a quarter or the meter's note."""
    num, den = meter
    beat = Fraction(3, den) if den >= 8 and num % 3 == 0 and num > 3 else Fraction(1, min(den, 4))
    return max(1, int(beat / unit * 2))


class _Writer:
    """Appends notes, rests and bar lines, splitting at bar lines and writing accidentals against the key."""

    def __init__(self, bar: int, beat: int, fifths: int, origin: int, tonic: int | None = None) -> None:
        self.bar, self.beat, self.origin = bar, beat, origin
        self.key = key_alterations(fifths)
        self.fifths, self.tonic = fifths, tonic
        self.pos = origin
        self.parts: list[str] = []
        self.marked: set[str] = set()  # letters with an accidental written in this bar
        self.bars = 0

    def text(self) -> str:
        return "".join(self.parts).strip()

    def room(self) -> int:
        return self.bar - (self.pos - self.origin) % self.bar

    def _space(self) -> None:
        if self.parts and not self.parts[-1].endswith(("|", "\n", " ", "-")) and (self.pos - self.origin) % self.beat == 0:
            self.parts.append(" ")

    def _advance(self, length: int) -> None:
        self.pos += length
        if (self.pos - self.origin) % self.bar == 0:
            self.bars += 1
            self.parts.append("|" + ("\n" if self.bars % 4 == 0 else " "))
            self.marked.clear()

    def rest(self, length: int) -> None:
        while length > 0:
            piece = _largest(min(length, self.room()))
            self._space()
            self.parts.append("z" + dict(_SUFFIX)[piece])
            self._advance(piece)
            length -= piece

    def note(self, pitch: int, length: int) -> None:
        spelled = None
        while length > 0:
            piece = _largest(min(length, self.room()))
            self._space()
            spelled = spelled or self._spell(pitch)  # a tied continuation is written the same way
            if spelled[0] in "^_=":
                self.marked.add(spelled.lstrip("^_=")[0].upper())
            self.parts.append(spelled + dict(_SUFFIX)[piece])
            length -= piece
            if length > 0:
                self.parts.append("-")
            self._advance(piece)

    def triplet(self, pitches: tuple[int, ...]) -> None:
        self._space()
        self.parts.append("(3" + "".join(self._spell(p) for p in pitches))
        self._advance(4)

    def _spell(self, pitch: int) -> str:
        """``^f``, ``B,``, ``=c''``: an accidental when the key (or one earlier in the bar) would mislead."""
        letter, alter, octave = spell(pitch, self.fifths, self.tonic)
        while octave < 2:
            octave += 1
        while octave > 7:
            octave -= 1
        mark = ""
        if alter != self.key[letter] or letter in self.marked:
            mark = _ACCIDENTAL.get(alter, "")
            self.marked.add(letter)
        name = letter if octave <= 4 else letter.lower()
        marks = "," * (4 - octave) if octave <= 4 else "'" * (octave - 5)
        return mark + name + marks


def _largest(length: int) -> int:
    return next(v for v, _ in _SUFFIX if v <= length)


def _key(name: str | None) -> str:
    """The score's key as a ``K:`` value the grammar allows, else ``C`` (accidentals are then written out)."""
    try:
        value = key_to_abc(name)
    except ValueError:
        return "C"
    return value if is_valid_key(value) else "C"


def _key_name(value: str) -> str:
    from app.core.abc.header import key_from_abc

    return key_from_abc(value) or "C major"


def _title(value: str | None) -> str:
    """One line of printable ASCII (the title is written as the header's ``T:``)."""
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    text = " ".join("".join(c if c.isprintable() and c not in '"!%\\' else " " for c in text).split())
    return text[:60] or "Seed"
