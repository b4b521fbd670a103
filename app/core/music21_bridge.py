"""music21 streams <-> Score: the bridge the ABC and MusicXML formats (and corpora) cross.

:func:`stream_to_score` reads a music21 Score, Part or Opus into a Score in
ticks (``ticks = round(quarterLength * ppq)``, so tuplets are exact), one Track
per Part. Deliberate policies, so that the result is always playable:

* **Repeats** are expanded (``expandRepeats``); when music21 cannot expand
  them (unbalanced repeat signs) the stream is read as written.
* **Ties** are merged by pitch: a note whose tie starts or continues absorbs
  the next note of the same pitch beginning exactly where it ends. Unlike
  ``stripTies`` this also joins single notes of a chord that are tied on
  their own (``[C-E]2 [CG]2`` in ABC).
* **Grace notes** have no duration in notation; here each one sounds for
  ``ppq // 8`` ticks (a 32nd note), taken from the start of its principal note,
  which is delayed by as much. When the principal note is too short the
  grace notes shrink so that it keeps at least one share; graces with no
  principal note at their offset simply sound at that offset.
* **Anacrusis**: a pickup bar shorter than the meter is shifted right (all
  material moves by the missing part of the bar), so the Score's bar lines,
  counted from tick 0, stay aligned with the meter.
* Chord symbols (``harmony.ChordSymbol``, chords without a duration) are not
  notes and are skipped. Velocity comes from ``note.volume.velocity``, else 80.

:func:`score_to_stream` goes the other way for MusicXML output (see
``music21_export.py``).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from fractions import Fraction

from music21 import chord, harmony, instrument, key, meter, note, percussion, stream, tempo

from app.core.keys import key_from_fifths, normalize_key
from app.core.score import DEFAULT_PPQ, KeyChange, Note, Score, TempoChange, TimeSignature, Track
from app.core.music21_export import score_to_stream

__all__ = ["stream_to_score", "score_to_stream", "quiet_music21", "DEFAULT_VELOCITY"]

DEFAULT_VELOCITY = 80


@contextlib.contextmanager
def quiet_music21():
    """Swallow music21's warnings, which it prints straight to stderr (beaming, guessed pitches)."""
    with contextlib.redirect_stderr(io.StringIO()):
        yield


@dataclass
class _Event:
    """One sounding pitch while reading: ticks, and whether a tie leads on."""

    start: int
    end: int
    pitch: int
    velocity: int
    tie_open: bool


def stream_to_score(obj: stream.Stream, ppq: int = DEFAULT_PPQ) -> Score:
    """Read a music21 Score, Part or Opus (its first score) into a Score (see module doc)."""
    if isinstance(obj, stream.Opus):
        scores = list(obj.scores)
        if not scores:
            raise ValueError("the music21 opus holds no score")
        obj = scores[0]
    parts = _expanded_parts(obj)
    shift = _pickup_shift(parts)
    flats = [part.flatten() for part in parts]
    tracks = [_part_track(part, flat, ppq, shift) for part, flat in zip(parts, flats)]
    return Score(
        tracks=tuple(tracks),
        ppq=ppq,
        tempos=tuple(_tempos(flats, ppq, shift)),
        time_signatures=tuple(_meters(flats[0], ppq, shift)) if flats else (),
        keys=tuple(_keys(flats[0], ppq, shift)) if flats else (),
        title=_title(obj),
    )


def _expanded_parts(obj: stream.Stream) -> list[stream.Stream]:
    """The parts of ``obj`` with repeats expanded (as written when that fails).

    music21's expandRepeats deep-copies the whole stream even when nothing repeats (half the time of
    reading a generated tune), so it runs only where a repeat barline or repeat mark is written.
    """
    expanded = obj
    if _has_repeats(obj):
        try:
            expanded = obj.expandRepeats()
        except Exception:  # music21 raises many kinds for unbalanced repeats
            expanded = obj
    if isinstance(expanded, stream.Score):
        parts = list(expanded.parts)
        if parts:
            return parts
    return [expanded] if expanded.recurse().notes else []


def _has_repeats(obj: stream.Stream) -> bool:
    from music21 import bar, repeat, spanner

    for element in obj.recurse():
        if isinstance(element, (bar.Repeat, repeat.RepeatMark, spanner.RepeatBracket)):
            return True
    return False


def _tick(offset, ppq: int) -> int:
    return round(Fraction(offset) * ppq)


def _pickup_shift(parts: list[stream.Stream]) -> Fraction:
    """Quarter notes missing from a pickup bar (0 when the first bar is whole)."""
    for part in parts:
        measures = list(part.getElementsByClass(stream.Measure))
        if not measures:
            continue
        first = measures[0]
        if first.paddingLeft and first.paddingLeft > 0:
            return Fraction(first.paddingLeft)
        ts = first.timeSignature or first.getContextByClass(meter.TimeSignature)
        if first.number == 0 and len(measures) > 1 and ts is not None:
            missing = Fraction(ts.barDuration.quarterLength) - Fraction(first.highestTime)
            return max(missing, Fraction(0))
        return Fraction(0)
    return Fraction(0)


def _part_track(part: stream.Stream, flat: stream.Stream, ppq: int, shift: Fraction) -> Track:
    """One Track from one (expanded) part."""
    inst = part.recurse().getElementsByClass(instrument.Instrument).first()
    events = _merge_ties(_events(flat, ppq, shift))
    notes = [Note(e.start, e.pitch, max(1, e.end - e.start), e.velocity) for e in events]
    program = inst.midiProgram if inst is not None and inst.midiProgram is not None else 0
    name = getattr(part, "partName", None) or (inst and (inst.partName or inst.instrumentName)) or ""
    return Track(name=str(name), program=min(max(int(program), 0), 127),
                 is_drum=_is_drum(part, flat, inst), notes=tuple(notes))


def _is_drum(part: stream.Stream, flat: stream.Stream, inst) -> bool:
    """Unpitched notes, else the MIDI channel the file gives (10: drums), else a percussion instrument.

    The channel comes before the instrument's class: music21 re-derives the
    class from the GM program, and GM's Agogo, Woodblock, Taiko and Tom-Tom
    are pitched programs on a melodic channel that music21 calls percussion.
    """
    if flat.getElementsByClass([note.Unpitched, percussion.PercussionChord]):
        return True
    channel = inst.midiChannel if inst is not None else None
    if channel is not None:
        return channel == 9
    return isinstance(inst, instrument.UnpitchedPercussion)


def _midi_pitch(n: note.NotRest) -> int:
    if isinstance(n, note.Unpitched):
        stored = getattr(n, "storedInstrument", None)
        perc = getattr(stored, "percMapPitch", None)
        value = perc if perc is not None else n.displayPitch().midi
    else:
        value = n.pitch.midi
    return min(max(int(value), 0), 127)


def _velocity(n: note.NotRest, container: note.NotRest) -> int:
    for source in (n, container):
        velocity = source.volume.velocity if source.volume is not None else None
        if velocity is not None:
            return min(max(int(round(velocity)), 1), 127)
    return DEFAULT_VELOCITY


def _components(el: note.NotRest) -> list[tuple[int, int, bool]]:
    """``(pitch, velocity, tie_open)`` of every note in a note or chord."""
    members = list(el.notes) if isinstance(el, chord.ChordBase) else [el]
    out = []
    for n in members:
        tie_open = n.tie is not None and n.tie.type in ("start", "continue")
        out.append((_midi_pitch(n), _velocity(n, el), tie_open))
    return out


def _events(flat: stream.Stream, ppq: int, shift: Fraction) -> list[_Event]:
    """Every sounding pitch of a flat part, grace notes placed (see module doc)."""
    events: list[_Event] = []
    graces: list[tuple[int, list]] = []
    for el in flat.notes:
        if isinstance(el, harmony.Harmony):
            continue
        offset = Fraction(flat.elementOffset(el)) + shift
        start = _tick(offset, ppq)
        if el.duration.isGrace:
            graces.append((start, _components(el)))
            continue
        end = _tick(offset + Fraction(el.duration.quarterLength), ppq)
        if graces:
            start = _place_graces(graces, start, end, ppq, events)
            graces = []
        events.extend(_Event(start, max(end, start + 1), p, v, t) for p, v, t in _components(el))
    if graces:
        _place_graces(graces, None, None, ppq, events)
    return events


def _place_graces(graces, start: int | None, end: int | None, ppq: int, events: list[_Event]) -> int | None:
    """Give grace notes ``ppq // 8`` ticks each from their principal's start; return its new start."""
    before = [g for g in graces if g[0] == start]
    loose = [g for g in graces if g[0] != start]
    step = ppq // 8
    for tick, comps in loose:  # no principal note at their offset: they just sound there
        if step > 0:
            events.extend(_Event(tick, tick + step, p, v, False) for p, v, _ in comps)
    if not before or start is None or end is None:
        return start
    step = min(step, (end - start) // (len(before) + 1))
    if step <= 0:
        return start
    for i, (_, comps) in enumerate(before):
        at = start + i * step
        events.extend(_Event(at, at + step, p, v, False) for p, v, _ in comps)
    return start + len(before) * step


def _merge_ties(events: list[_Event]) -> list[_Event]:
    """Join tied notes: an open tie absorbs the next same pitch starting at its end.

    Each open tie waits for its own continuation, so a unison (two notes of one
    pitch at once, one of them tied on) keeps both notes and the tie.
    """
    events.sort(key=lambda e: (e.start, e.pitch))
    open_ties: dict[tuple[int, int], list[_Event]] = {}  # (pitch, end) -> notes whose tie leads on
    merged: list[_Event] = []
    for ev in events:
        waiting = open_ties.get((ev.pitch, ev.start))
        if waiting:
            prev = waiting.pop(0)
            prev.end = ev.end
            prev.tie_open = ev.tie_open
        else:
            prev = ev
            merged.append(ev)
        if prev.tie_open:
            open_ties.setdefault((ev.pitch, prev.end), []).append(prev)
    return merged


def _tempos(flats: list[stream.Stream], ppq: int, shift: Fraction) -> list[TempoChange]:
    """Metronome marks of every part, one per tick (the first part wins)."""
    found: dict[int, float] = {}
    for flat in flats:
        for mark in flat.getElementsByClass(tempo.MetronomeMark):
            bpm = mark.getQuarterBPM()
            if bpm is None or not 1.0 <= bpm <= 1000.0:
                continue
            offset = Fraction(flat.elementOffset(mark))
            tick = 0 if offset == 0 else _tick(offset + shift, ppq)
            found.setdefault(tick, round(float(bpm), 6))  # getQuarterBPM has float noise
    found.setdefault(0, 120.0)  # before the first mark: the MIDI default
    result: list[TempoChange] = []
    for tick, bpm in sorted(found.items()):
        if not result or result[-1].bpm != bpm:  # a repeat restates the same mark
            result.append(TempoChange(tick, bpm))
    return result


def _meters(flat: stream.Stream, ppq: int, shift: Fraction) -> list[TimeSignature]:
    """Time signatures of the first part (unusable ones, e.g. 3/5, skipped)."""
    result: list[TimeSignature] = []
    for ts in flat.getElementsByClass(meter.TimeSignature):
        offset = Fraction(flat.elementOffset(ts))
        tick = 0 if offset == 0 else _tick(offset + shift, ppq)
        try:
            sig = TimeSignature(tick, int(ts.numerator), int(ts.denominator))
        except (ValueError, TypeError):
            continue
        if result and result[-1].tick == tick:
            result[-1] = sig
        elif not result or (result[-1].numerator, result[-1].denominator) != (sig.numerator, sig.denominator):
            result.append(sig)
    return result


def _keys(flat: stream.Stream, ppq: int, shift: Fraction) -> list[KeyChange]:
    """The key map of the first part: every key or key signature, named like ``"G major"``.

    A non-traditional signature (MusicXML ``<key-step>``/``<key-alter>`` pairs,
    no ``<fifths>``) has a name only when its accidentals are those of a
    traditional one; an opening one without a name leaves the score without a
    key (the notes carry their own accidentals), a later one changes nothing.
    """
    result: list[KeyChange] = []
    for ks in flat.getElementsByClass(key.KeySignature):
        name = _key_name(ks)
        if name is None:
            if not result:
                return []
            continue
        offset = Fraction(flat.elementOffset(ks))
        result.append(KeyChange(0 if offset == 0 else _tick(offset + shift, ppq), name))
    return result


def _key_name(ks: key.KeySignature) -> str | None:
    """A key or key signature as a name like ``"G major"``, or None when it names no traditional key."""
    fifths = ks.sharps if ks.sharps is not None else _traditional_fifths(ks)
    if isinstance(ks, key.Key) and fifths is not None:
        try:
            return normalize_key(f"{ks.tonic.name.replace('-', 'b')} {ks.mode}")
        except ValueError:
            return key_from_fifths(fifths, "minor" if ks.mode == "minor" else "major")
    return key_from_fifths(fifths, "major") if fifths is not None else None


def _traditional_fifths(ks: key.KeySignature) -> int | None:
    """Sharps (+) or flats (-) of a non-traditional signature that matches a traditional one, else None."""
    altered = {p.step: p.alter for p in ks.alteredPitches}
    count = len(altered)
    if count <= 7 and set(altered.values()) <= {1.0} and set(altered) == set("FCGDAEB"[:count]):
        return count
    if count <= 7 and set(altered.values()) <= {-1.0} and set(altered) == set("BEADGCF"[:count]):
        return -count
    return None


def _title(obj: stream.Stream) -> str:
    meta = getattr(obj, "metadata", None)
    if meta is None:
        return ""
    title = meta.title or getattr(meta, "movementName", None) or ""
    return str(title).strip()
