"""Add a Band: drums, bass, comping and strings written around a melody, as new tracks.

The melody (the lead) is the piano roll's selected notes, or else the whole
active track, taken from the bar line before its first note to the end of
its last bar. A model whose spec says ``accompanies`` (``models/common/spec.py``)
gets the **band request**, the one contract between Add a Band and such a
model:

* ``seed``: the lead alone, one track named ``Lead`` (the band corpus's name
  and program, ``models/common/band_corpus.py``), from tick 0, with the
  tempo and meter in force there;
* ``bars``: the lead's length in bars; the band is written over those same
  bars (not after them);
* ``seed_text``: the chord symbols, when the musician gave some, as an ABC
  line of chord symbols over rests (``"C"z2 "G"z2 | "Am"z4 |``);
* one variation, with the run's random seed;
* ``accompany``: True (a model that also continues a lone melody reads the request as a band to
  write, not a melody to go on with).

The answer's tracks other than the lead (``band_roll.track_role``) are the band; they are cut to the
lead's bars, moved to where the melody sits in the score, and added after
the score's tracks in one undoable step. The run goes in the task runner's
``ADD_BAND`` worker (its own kind: it never cancels the Generate panel's
run), shares the Generate panel's loaded models, and can be cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject, Signal

from app.core.edits import extract
from app.core.errors import GenerationError
from app.core.score import Note, Score, Track
from app.core.timing import signature_at
from app.services.generation import GeneratorPool, ModelInfo
from app.services.regions import bar_at, bar_start
from app.tasks import TaskKind, TaskRunner
from models.common.band_corpus import LEAD_NAME, LEAD_PROGRAM
from models.common.band_roll import LEAD, track_role
from models.common.chord_charts import chord_tones

MAX_BARS = 64
NO_MODEL = ("No installed model can write a band yet: train one on the band corpus "
            "(cadenza train --data corpus:band) with a model that accompanies a melody.")
NO_MELODY = "Choose a melody first: select its notes in the piano roll, or make its track the active one."


@dataclass(frozen=True)
class Lead:
    """The melody a band is written for: ``seed`` (the band request's seed) and where it sits in the score."""

    seed: Score
    offset: int  # the tick of its first bar in the score
    bars: int
    words: str  # "'Melody', bars 1-8"

    @property
    def length(self) -> int:
        """Its bars' length in ticks."""
        return bar_start(self.seed, self.bars)


def lead_of(score: Score, track: int, selected: Sequence[Note] = ()) -> Lead:
    """The lead from the selected notes on ``track`` (or all of its notes); GenerationError in one sentence."""
    if not 0 <= track < len(score.tracks):
        raise GenerationError(NO_MELODY)
    source = score.tracks[track]
    notes = sorted(selected or source.notes, key=lambda n: (n.start, n.pitch))
    label = f"'{source.name}'" if source.name.strip() else f"track {track + 1}"
    if source.is_drum:
        raise GenerationError(f"The active track {label} is a drum track; choose the melody's track to add a band.")
    if not notes:
        raise GenerationError(f"The active track {label} has no notes. " + NO_MELODY)
    first, last = bar_at(score, notes[0].start), bar_at(score, max(n.start + n.duration for n in notes) - 1)
    bars = last - first + 1
    if bars > MAX_BARS:
        raise GenerationError(f"The melody spans {bars} bars; select at most {MAX_BARS} bars to add a band to.")
    offset, end = bar_start(score, first), bar_start(score, last + 1)
    kept = [replace(n, duration=min(n.duration, end - n.start)) for n in notes]
    seed = extract(score, notes={track: kept})  # from the bar line before the first note: ``offset``
    lead = Track(LEAD_NAME, LEAD_PROGRAM, False, seed.tracks[0].notes)
    seed = replace(seed, tracks=(lead,), title=f"Lead of {score.title}" if score.title else "Lead", provenance={})
    where = f"bar {first + 1}" if bars == 1 else f"bars {first + 1}-{last + 1}"
    return Lead(seed, offset, bars, f"{label}, {where}")


def chords_abc(text: str, lead: Lead) -> str | None:
    """The chord symbols typed by the musician (``C G | Am F``: bars split by ``|``, else one chord a bar)
    as the band request's ABC line; None for none. GenerationError in one sentence for a word that is no chord."""
    text = text.strip()
    if not text:
        return None
    bars = [b.split() for b in text.split("|")] if "|" in text else [[w] for w in text.split()]
    bars = [b for b in bars if b]
    for word in (w for bar in bars for w in bar):
        try:
            chord_tones(word)
        except ValueError:
            raise GenerationError(f"'{word}' is not a chord symbol: write chords like C, Am, G7, F#m7 or Bbmb5, "
                                  "bars split by |.") from None
    sig = signature_at(lead.seed, 0)
    beats = sig.numerator
    cells = []
    for bar in bars[: lead.bars]:
        each, extra = divmod(beats, len(bar)) if len(bar) <= beats else (1, 0)
        cells.append(" ".join(f'"{c}"z{each + (i < extra)}' for i, c in enumerate(bar[:beats])))
    return f"X:1\nM:{sig.numerator}/{sig.denominator}\nL:1/{sig.denominator}\nK:C\n" + " | ".join(cells) + " |\n"


def band_models(models: Sequence[ModelInfo]) -> list[ModelInfo]:
    """The installed models that can write a band around a melody (their spec says ``accompanies``)."""
    return [m for m in models if m.spec is not None and m.spec.accompanies and not m.problem]


@dataclass(frozen=True)
class BandJob:
    """One Add a Band run, as values."""

    model: str
    checkpoint: str
    lead: Lead
    chords: str | None = None  # the band request's ABC chord line
    random_seed: int = 0
    device: str = "auto"


def band_tracks(variation: Score, lead: Lead) -> list[Track]:
    """The band in a model's answer: its tracks but the lead, cut to the lead's bars and moved to the lead's
    place in the score; GenerationError when it wrote none."""
    length, tracks = lead.length, []
    for track in variation.tracks:
        if track_role(track) == LEAD or track.notes == lead.seed.tracks[0].notes:
            continue
        notes = [replace(n, start=n.start + lead.offset, duration=min(n.duration, length - n.start))
                 for n in track.notes if 0 <= n.start < length]
        if notes:
            tracks.append(track.with_notes(notes))
    if not tracks:
        raise GenerationError("The model wrote no band parts for this melody; try another random seed or model.")
    return tracks


def with_band(score: Score, tracks: Sequence[Track]) -> Score:
    """``score`` with the band's tracks added after its own."""
    return score.with_tracks(tuple(score.tracks) + tuple(tracks))


def run_band(job: BandJob, pool: GeneratorPool):
    """Generator function (worker): load the model, send the band request, return the band's tracks."""
    from models.common.generator import GenerationRequest

    generator = yield from pool.get(job.checkpoint, job.device)
    request = GenerationRequest(seed=job.lead.seed, seed_text=job.chords, bars=job.lead.bars, variations=1,
                                random_seed=job.random_seed, device=job.device, accompany=True)
    scores = yield from generator.generate(request)
    if not scores:
        raise GenerationError("The model wrote no band parts for this melody; try another random seed or model.")
    return band_tracks(scores[0], job.lead)


class BandService(QObject):
    """The running Add a Band of one window: start, cancel, and the band (or one sentence) back."""

    started = Signal(object)  # the BandJob
    progress = Signal(object)  # models.common.generator.Progress
    band_ready = Signal(object, list)  # the BandJob, [Track]
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, runner: TaskRunner, pool: GeneratorPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner, self.pool = runner, pool
        self._serial = 0

    def start(self, job: BandJob) -> None:
        """Write a band for ``job`` in the worker (a run in progress is cancelled)."""
        self._serial += 1
        serial = self._serial
        self.runner.start(TaskKind.ADD_BAND, run_band, job, self.pool,
                          on_result=lambda tracks: self._finish(serial, lambda: self.band_ready.emit(job, tracks)),
                          on_error=lambda message: self._finish(serial, lambda: self.failed.emit(message)),
                          on_progress=lambda p: serial == self._serial and self.progress.emit(p))
        self.started.emit(job)

    def is_running(self) -> bool:
        return self.runner.is_running(TaskKind.ADD_BAND)

    def cancel(self) -> None:
        """Stop the run in progress; nothing is added."""
        if self.is_running():
            self._serial += 1
            self.runner.cancel(TaskKind.ADD_BAND)
            self.cancelled.emit()

    def _finish(self, serial: int, emit: Callable[[], Any]) -> None:
        if serial == self._serial:
            emit()
