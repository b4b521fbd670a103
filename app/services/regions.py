"""Bars of a score to regenerate or fill, and putting a variation back into them.

A :class:`Region` is a span of whole bars (0-based, end exclusive) on some
tracks (empty: every track), in one of two modes: ``"infill"`` (a model whose
spec says ``infill`` rewrites those bars of the whole score, keeping what
comes before and after) or ``"continue"`` (a model that only continues gets
the score up to the region as its seed; its variation starts at the
region's first bar). Regenerate Selection makes an infill region from the
piano roll's selected notes (the bars holding their onsets, on their track)
or from a time range (the bars it touches, on every track); Continue from
the playhead makes one of N bars from the playhead's bar.

The region travels with each variation in its provenance (``region``), so
the gallery knows where a card belongs: :func:`place_region` replaces the
notes that start in those bars on those tracks by the variation's, and
leaves every other note as it was. Pure: no Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from app.core.errors import GenerationError
from app.core.provenance import Provenance
from app.core.score import Note, Score, Track
from app.core.timing import bar_lines
from app.core.variations import insert_at, scaled_notes, with_phrase

INFILL, CONTINUE = "infill", "continue"
KEY = "region"  # the provenance key


@dataclass(frozen=True)
class Region:
    """Bars ``first_bar`` to ``last_bar`` (0-based, end exclusive) of ``tracks`` (empty: every track)."""

    first_bar: int
    last_bar: int
    tracks: tuple[int, ...] = ()
    mode: str = INFILL

    @property
    def bars(self) -> int:
        return self.last_bar - self.first_bar

    def track_indices(self, score: Score) -> list[int]:
        """The region's tracks of ``score`` (every track when it names none)."""
        return list(self.tracks) if self.tracks else list(range(len(score.tracks)))

    def words(self) -> str:
        """'bars 5–8', 'bar 3' (1-based, as the ruler shows them)."""
        first, last = self.first_bar + 1, self.last_bar
        return f"bar {first}" if first == last else f"bars {first}–{last}"

    def to_dict(self) -> dict[str, Any]:
        return {"first_bar": self.first_bar, "last_bar": self.last_bar, "tracks": list(self.tracks),
                "mode": self.mode}

    @classmethod
    def from_dict(cls, data: Any) -> "Region | None":
        """A stored region, or None when there is none or it is damaged."""
        try:
            region = cls(int(data["first_bar"]), int(data["last_bar"]), tuple(int(t) for t in data["tracks"]),
                         str(data.get("mode", INFILL)))
        except (KeyError, TypeError, ValueError):
            return None
        ok = 0 <= region.first_bar < region.last_bar and region.mode in (INFILL, CONTINUE) \
            and all(t >= 0 for t in region.tracks)
        return region if ok else None

    def infill(self):
        """The request's ``Infill`` (imports the models' request types)."""
        from models.common.generator import Infill

        return Infill(self.first_bar, self.last_bar, tuple(self.tracks))


# -- bars and ticks ---------------------------------------------------------------------------------

def bar_start(score: Score, bar: int) -> int:
    """The tick where bar ``bar`` (0-based) starts; bars past the end go on in the last meter."""
    lines = bar_lines(score, max(score.end, 1))
    if bar < len(lines):
        return lines[bar].tick
    last = lines[-1]
    return last.tick + (bar - len(lines) + 1) * last.signature.bar_ticks(score.ppq)


def bar_at(score: Score, tick: int) -> int:
    """The bar (0-based) that holds ``tick``."""
    lines = bar_lines(score, max(score.end, tick + 1, 1))
    index = max(i for i, line in enumerate(lines) if line.tick <= max(0, tick))
    last = lines[-1]
    if index == len(lines) - 1 and tick >= last.tick:  # past the bar lines drawn so far
        index += (tick - last.tick) // last.signature.bar_ticks(score.ppq)
    return index


def span(score: Score, region: Region) -> tuple[int, int]:
    """(start, end) ticks of the region's bars in ``score``."""
    return bar_start(score, region.first_bar), bar_start(score, region.last_bar)


def selection_region(score: Score, selected: Mapping[int, Sequence[Note]],
                     time_range: tuple[int, int] | None = None) -> Region | None:
    """The region to regenerate: the bars holding the selected notes' onsets, on the tracks holding them;
    else the bars a time range touches, on every track; None when there is neither."""
    chosen = {t: notes for t, notes in selected.items() if notes}
    if chosen:
        starts = [n.start for notes in chosen.values() for n in notes]
        return Region(bar_at(score, min(starts)), bar_at(score, max(starts)) + 1, tuple(sorted(chosen)))
    if time_range is not None and time_range[1] > time_range[0]:
        start, end = time_range
        return Region(bar_at(score, start), bar_at(score, end - 1) + 1)
    return None


def continue_region(score: Score, playhead: int, bars: int, infill: bool) -> Region:
    """``bars`` bars from the playhead's bar, every track: an infill region for a model that can fill."""
    first = bar_at(score, playhead)
    return Region(first, first + max(1, bars), (), INFILL if infill else CONTINUE)


def seed_before(score: Score, tick: int) -> Score:
    """The score up to ``tick``: notes that start before it, cut to end there (the seed to continue)."""
    tracks = [t.with_notes(replace(n, duration=min(n.duration, tick - n.start)) for n in t.notes if n.start < tick)
              for t in score.tracks]
    return replace(score.with_tracks(tracks), provenance={})


# -- a variation and its region -------------------------------------------------------------------------

def region_of(variation: Score) -> Region | None:
    """The region a variation was made for (from its provenance), or None for a plain variation."""
    return Region.from_dict(Provenance.of(variation).extra.get(KEY))


def with_region(variation: Score, region: Region) -> Score:
    """``variation`` with ``region`` recorded in its provenance."""
    provenance = Provenance.of(variation)
    provenance = replace(provenance, extra={**provenance.extra, KEY: region.to_dict()})
    return replace(variation, provenance=provenance.to_dict())


def region_notes(score: Score, region: Region) -> dict[int, list[Note]]:
    """The notes of each region track that start in its bars."""
    start, end = span(score, region)
    return {t: [n for n in score.tracks[t].notes if start <= n.start < end]
            for t in region.track_indices(score) if t < len(score.tracks)}


def _check_tracks(score: Score, variation: Score, region: Region) -> None:
    if len(variation.tracks) != len(score.tracks) or any(t >= len(score.tracks) for t in region.tracks):
        raise GenerationError("The score's tracks have changed since this variation was made; "
                              "regenerate the selection to insert it.")


def place_region(score: Score, variation: Score, region: Region, active: int = 0) -> Score:
    """``score`` with the region's bars taken from ``variation``, as one new score with a phrase record.

    Infill: on each region track, the notes that start in those bars are replaced by the variation's
    notes that start there (the variation is the whole score, track for track); every other note stays
    as it is. Continue: the variation (which starts at tick 0) is put in at the region's first bar, each
    of its tracks joining its match (as Insert at Playhead does). GenerationError when the score's
    tracks no longer match the variation's.
    """
    start, end = span(score, region)
    if region.mode == CONTINUE:
        return insert_at(score, variation, start, active)
    _check_tracks(score, variation, region)
    new = region_notes(variation, region)
    tracks = list(score.tracks)
    for t in region.track_indices(score):
        kept = [n for n in tracks[t].notes if not start <= n.start < end]
        came = scaled_notes(new.get(t, []), variation.ppq, score.ppq)
        tracks[t] = tracks[t].with_notes(kept + [n for n in came if start <= n.start < end])
    return with_phrase(score.with_tracks(tracks), region.track_indices(score), start, end, Provenance.of(variation))


def in_place(score: Score, variation: Score, region: Region, active: int = 0) -> Score:
    """What the score would be with the variation inserted (for listening in place); ``score`` when the
    variation no longer fits it."""
    try:
        return place_region(score, variation, region, active)
    except GenerationError:
        return score


def preview(variation: Score, region: Region) -> Score:
    """The region's bars of a variation, from tick 0 (what its card shows): the notes that start there."""
    if region.mode == CONTINUE:
        return variation
    start, end = span(variation, region)
    tracks = []
    for t, track in enumerate(variation.tracks):
        keep = t in region.track_indices(variation)
        notes = [replace(n, start=n.start - start, duration=min(n.duration, end - n.start))
                 for n in track.notes if keep and start <= n.start < end]
        tracks.append(track.with_notes(notes))
    chosen = [tr for t, tr in enumerate(tracks) if t in region.track_indices(variation)] or [Track()]
    return replace(variation.with_tracks(chosen), tempos=_at_zero(variation.tempos, start),
                   time_signatures=_at_zero(variation.time_signatures, start), keys=_at_zero(variation.keys, start))


def _at_zero(changes, tick: int) -> tuple:
    """The change in force at ``tick`` moved to tick 0 (later ones dropped: a preview is a few bars)."""
    in_force = [c for c in changes if c.tick <= tick][-1:] or list(changes[:1])
    return tuple(replace(c, tick=0) for c in in_force)
