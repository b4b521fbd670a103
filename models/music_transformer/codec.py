"""Scores <-> grid pieces <-> token ids (see ``vocab.py`` for the token layout).

A :class:`Piece` is a score on the 12-steps-per-quarter grid, cut into bars
of events; it is what the tokens say, and it turns back into a
:class:`~app.core.score.Score`. :func:`decode` reads *any* id sequence (a
tolerant state machine: a token out of place is skipped), so every sequence a
model writes becomes a valid score.

Pure: no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from app.core.summary import gm_instrument_name
from app.core.score import DEFAULT_PPQ, Note, Score, TempoChange, TimeSignature, Track
from models.music_transformer import vocab as V


@dataclass(frozen=True, order=True)
class Event:
    """One note on the grid: its bar, onset step in the bar, track slot, pitch, length (steps), velocity."""

    bar: int
    pos: int
    track: int
    pitch: int
    dur: int
    vel: int


@dataclass
class Piece:
    """A score on the grid: the tracks' programs and names, each bar's meter, and the events per bar."""

    programs: list[int]  # per track slot; V.DRUM_PROGRAM for a drum kit
    meters: list[str]  # per bar, "4/4"
    bars: list[list[Event]]  # per bar, sorted by (pos, track, pitch)
    bpm: float = 120.0
    names: list[str] = field(default_factory=list)

    def events(self, first: int = 0, last: int | None = None, tracks: Iterable[int] | None = None) -> list[Event]:
        keep = None if tracks is None else set(tracks)
        return [e for bar in self.bars[first:last] for e in bar if keep is None or e.track in keep]

    @property
    def n_bars(self) -> int:
        return len(self.bars)


def _steps(tick: int, ppq: int) -> int:
    return int(round(tick * V.STEPS_PER_QUARTER / ppq))


def bar_starts(score: Score, n_steps: int) -> list[tuple[int, str]]:
    """``(start step, meter)`` of every bar up to ``n_steps`` (at least one), from the score's meters."""
    changes = sorted(score.time_signatures, key=lambda t: t.tick) or [TimeSignature(0, 4, 4)]
    out: list[tuple[int, str]] = []
    step = 0
    for i, ts in enumerate(changes):
        meter = V.TOKENS[V.meter_id(ts.numerator, ts.denominator)][3:]
        length = V.meter_steps(meter)
        start = max(step, _steps(ts.tick, score.ppq))
        stop = _steps(changes[i + 1].tick, score.ppq) if i + 1 < len(changes) else max(n_steps, start + 1)
        step = start
        while step < stop or not out:
            out.append((step, meter))
            step += length
    return out


def from_score(score: Score) -> Piece:
    """``score`` on the grid: onsets and lengths rounded to the grid, at most MAX_TRACKS tracks."""
    tracks = score.tracks[: V.MAX_TRACKS]
    ends = [_steps(n.start + n.duration, score.ppq) for t in tracks for n in t.notes]
    starts = bar_starts(score, max(ends, default=1))
    bars: list[list[Event]] = [[] for _ in starts]
    begin = [s for s, _ in starts]
    for k, track in enumerate(tracks):
        for n in track.notes:
            step = _steps(n.start, score.ppq)
            b = max(0, _bar_of(begin, step))
            pos = step - begin[b]
            if pos >= V.MAX_BAR_STEPS:
                continue
            dur = max(1, _steps(n.duration, score.ppq))
            bars[b].append(Event(b, pos, k, n.pitch, dur, n.velocity))
    for bar in bars:
        bar.sort(key=lambda e: (e.pos, e.track, e.pitch, e.dur))
    while len(bars) > 1 and not bars[-1]:
        bars.pop()
    programs = [V.DRUM_PROGRAM if t.is_drum else t.program for t in tracks]
    bpm = score.tempos[0].bpm if score.tempos else 120.0
    return Piece(programs, [m for _, m in starts[: len(bars)]], bars, bpm, [t.name for t in tracks])


def _bar_of(begin: Sequence[int], step: int) -> int:
    lo, hi = 0, len(begin) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if begin[mid] <= step:
            lo = mid
        else:
            hi = mid - 1
    return lo


def to_score(piece: Piece, template: Score | None = None, title: str = "") -> Score:
    """The piece as a Score (ppq 480): track names from ``template`` (same slots) or the instruments."""
    ppq = DEFAULT_PPQ
    tick = ppq // V.STEPS_PER_QUARTER
    starts, step = [], 0
    for meter in piece.meters:
        starts.append(step)
        step += V.meter_steps(meter)
    notes: list[list[Note]] = [[] for _ in piece.programs]
    for b, bar in enumerate(piece.bars):
        for e in bar:
            if e.track < len(notes) and 0 <= e.pitch < 128:
                notes[e.track].append(Note((starts[b] + e.pos) * tick, e.pitch, max(1, e.dur) * tick,
                                           max(1, min(127, e.vel))))
    tracks = []
    for k, program in enumerate(piece.programs):
        base = template.tracks[k] if template is not None and k < len(template.tracks) else None
        drum = program == V.DRUM_PROGRAM
        name = (base.name if base is not None else "") or (piece.names[k] if k < len(piece.names) else "") \
            or gm_instrument_name(program, drum)
        track = Track(name=name, program=0 if drum else program, is_drum=drum, notes=tuple(sorted(notes[k])))
        if base is not None:
            track = replace(base, notes=track.notes)
        tracks.append(track)
    meters, signatures = None, []
    for b, meter in enumerate(piece.meters):
        if meter != meters:
            n, d = (int(x) for x in meter.split("/"))
            signatures.append(TimeSignature(starts[b] * tick, n, d))
            meters = meter
    base_kwargs = {} if template is None else {"key": template.key, "title": template.title}
    score = Score(tracks=tuple(tracks), ppq=ppq, tempos=(TempoChange(0, float(piece.bpm)),),
                  time_signatures=tuple(signatures) or (TimeSignature(0, 4, 4),), **base_kwargs)
    return replace(score, title=title) if title else score


# --- ids -----------------------------------------------------------------------------------------------------


def header_ids(piece: Piece) -> list[int]:
    out = [V.BOS]
    for k, program in enumerate(piece.programs):
        out += [V.INDEX[f"Track_{k}"], V.INDEX[f"Prog_{program}"]]
    meter = piece.meters[0] if piece.meters else "4/4"
    return out + [V.INDEX[f"TS_{meter}"], V.tempo_id(piece.bpm)]


def event_ids(events: Sequence[Event]) -> list[int]:
    """The events of one bar (sorted) as ``Pos Track Pitch Dur Vel`` groups, ``Pos`` only when it moves."""
    out: list[int] = []
    pos = None
    for e in events:
        if e.pos != pos:
            out.append(V.first("Pos") + e.pos)
            pos = e.pos
        out += [V.first("Track") + e.track, V.first("Pitch") + e.pitch, V.duration_id(e.dur), V.velocity_id(e.vel)]
    return out


def bar_ids(piece: Piece, b: int, events: Sequence[Event], masked: Sequence[int] = ()) -> list[int]:
    out = [V.BAR, V.density_id(len(events))]
    if b > 0 and piece.meters[b] != piece.meters[b - 1]:
        out.append(V.INDEX[f"TS_{piece.meters[b]}"])
    if masked:
        out.append(V.MASK)
        out += [V.first("Track") + k for k in sorted(masked)]
    return out + event_ids(events)


def encode(piece: Piece, first: int = 0, last: int | None = None, end: bool = True) -> list[int]:
    """Header, then bars ``first:last``; EOS when ``end``."""
    last = piece.n_bars if last is None else last
    out = header_ids(piece)
    for b in range(first, last):
        out += bar_ids(piece, b, piece.bars[b])
    return out + ([V.EOS] if end else [])


def encode_infill(piece: Piece, span: range, tracks: Iterable[int], first: int = 0,
                  last: int | None = None) -> tuple[list[int], list[int]]:
    """``(context, target)``: bars ``first:last`` with the notes of ``tracks`` in bars ``span`` taken out,
    ending in ``Fill``; the target is those notes, bar by bar, ending in ``FillEnd``."""
    last = piece.n_bars if last is None else last
    masked = sorted(set(tracks))
    context = header_ids(piece)
    target: list[int] = []
    for b in range(first, last):
        bar = piece.bars[b]
        if b in span:
            kept = [e for e in bar if e.track not in masked]
            context += bar_ids(piece, b, kept, masked)
            gone = [e for e in bar if e.track in masked]
            target += [V.BAR, V.density_id(len(gone))] + event_ids(gone)
        else:
            context += bar_ids(piece, b, bar)
    return context + [V.FILL], target + [V.FILL_END]


def decode(ids: Sequence[int], programs: Sequence[int] | None = None, meters: Sequence[str] | None = None,
           bpm: float | None = None) -> Piece:
    """A Piece from any ids (out-of-place tokens are skipped; never raises).

    Bars after ``Fill`` are the masked bars of the context, in order: their events join those bars.
    ``programs``/``meters``/``bpm`` stand in where the ids lack a header (a continuation's new tokens).
    """
    state = _Reader(list(programs or []), list(meters or []), bpm or 120.0)
    for i in ids:
        state.read(int(i))
    return state.piece()


class _Reader:
    """The decoder's state machine."""

    def __init__(self, programs: list[int], meters: list[str], bpm: float) -> None:
        self.programs, self.given_meters, self.bpm = programs, meters, bpm
        self.bars: list[list[Event]] = []
        self.meters: list[str] = []
        self.meter = meters[0] if meters else "4/4"
        self.masked_bars: list[int] = []
        self.filling = False
        self.fill_index = -1
        self.bar = -1
        self.pos = 0
        self.track = 0
        self.pitch: int | None = None
        self.slot: int | None = None  # a Track_k in the header waits for its Prog
        self.done = False
        self.last_note: tuple[int, int] | None = None  # (bar, index) of the last note, for its velocity

    def read(self, i: int) -> None:
        if self.done or not 0 <= i < V.VOCAB_SIZE:
            return
        kind = V.kind_of(i)
        if kind == "Bar":
            self._bar()
        elif kind == "Prog":
            if self.bar < 0 and self.slot is not None:
                while len(self.programs) <= self.slot:
                    self.programs.append(0)
                self.programs[self.slot] = int(V.value_of(i))
            self.slot = None
        elif kind == "Track":
            k = int(V.value_of(i))
            if self.bar < 0 and not self.filling:
                self.slot = k
            else:
                self.track = k
                self.pitch = None
        elif kind == "TS":
            self.meter = V.value_of(i)
            if 0 <= self.bar < len(self.meters) and not self.filling:
                self.meters[self.bar] = self.meter
        elif kind == "Tempo" and self.bar < 0:
            self.bpm = float(V.value_of(i))
        elif kind == "Mask" and self.bar >= 0 and not self.filling:
            if not self.masked_bars or self.masked_bars[-1] != self.bar:
                self.masked_bars.append(self.bar)
        elif kind == "Fill":  # what follows belongs to the masked bars, from the next Bar on
            self.filling, self.fill_index, self.bar, self.pitch, self.last_note = True, -1, -2, None, None
        elif kind in ("FillEnd", "EOS"):
            self.done = True
        elif kind == "Pos" and self.bar >= 0:
            pos = int(V.value_of(i))
            if pos < V.meter_steps(self.meters[self.bar]):
                self.pos = pos
            self.pitch = None
        elif kind == "Pitch" and self.bar >= 0:
            self.pitch = int(V.value_of(i))
        elif kind == "Dur" and self.pitch is not None and self.bar >= 0:
            self._note(int(V.value_of(i)))
        elif kind == "Vel" and self.last_note is not None:
            b, n = self.last_note
            self.bars[b][n] = replace(self.bars[b][n], vel=int(V.value_of(i)))
            self.last_note = None

    def _bar(self) -> None:
        self.pos, self.pitch, self.last_note = 0, None, None
        if self.filling:
            self.fill_index += 1
            if self.fill_index < len(self.masked_bars):
                self.bar = self.masked_bars[self.fill_index]
            else:  # more bars than were masked: what follows is nowhere to go
                self.bar = -2
            return
        self.bar += 1
        if self.bar < len(self.given_meters):
            self.meter = self.given_meters[self.bar]
        self.bars.append([])
        self.meters.append(self.meter)

    def _note(self, dur: int) -> None:
        if self.bar < 0 or self.track >= max(len(self.programs), 1):
            self.pitch = None
            return
        bar = self.bars[self.bar]
        bar.append(Event(self.bar, self.pos, self.track, self.pitch, dur, 80))
        self.last_note = (self.bar, len(bar) - 1)
        self.pitch = None

    def piece(self) -> Piece:
        programs = self.programs or [0]
        for bar in self.bars:
            bar.sort(key=lambda e: (e.pos, e.track, e.pitch, e.dur))
        return Piece(programs, self.meters or ["4/4"], self.bars or [[]], self.bpm)
