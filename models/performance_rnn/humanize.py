"""Humanize: play given notes expressively, by constrained decoding with Performance RNN.

The notes stay the notes: the network reads the performance event by event,
and at each step it may only write (a) the next note-on or note-off of the
given notes, in their order (constrained decoding), (b) a velocity before a
note-on, or (c) a time shift that keeps the next event within a window of its
written time. So the pitches and their order are forced, and the model
chooses each note's velocity and how early or late (within
:data:`ONSET_WINDOW_S` for note-ons, :data:`RELEASE_WINDOW_S` for note-offs)
it plays each onset and release. Every step is conditioned on the notes' own
pitch-class histogram and note density.

``amount`` (0-1) then scales what the model chose: each onset moves by
``amount`` x the model's offset, each release likewise (after taking out the
median onset offset, a delay of the whole passage that is latency rather
than expression; then at most the window either way), and each velocity
becomes the note's own velocity plus ``amount`` x the model's deviation from
the mean of its velocities for these notes (at most
:data:`MAX_VELOCITY_CHANGE`), so the notes keep their overall loudness and
gain the model's shape. At 0 nothing changes; the same ``random_seed`` gives
the same performance, and every amount scales that one performance.

Pure: no Qt (torch, numpy). :func:`humanize` is the contract the app calls.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from app.core.errors import GenerationError
from app.core.score import Note, Score, TempoChange
from app.core.timing import TempoMap
from models.common.generator import Cancelled
from models.common.sampling import make_generator, sample_next

from models.performance_rnn.conditioning import control_vector, density_bin, notes_density, notes_histogram
from models.performance_rnn.events import (MAX_SHIFT_STEPS, NOTE_OFF, NOTE_ON, STEPS_PER_SECOND, TIME_SHIFT, VELOCITY,
                                           VELOCITY_BINS, VOCAB_SIZE, PerfNote, bin_velocity, timeline)

ONSET_WINDOW_S = 0.05  # a note-on is played at most 50 ms from its written time (at amount 1)
RELEASE_WINDOW_S = 0.10  # a note-off at most 100 ms
MAX_VELOCITY_CHANGE = 40  # a velocity moves at most this far (at amount 1)
MIN_KEPT_LENGTH = 0.5  # a note keeps at least half its written length
PRIMER = TIME_SHIFT  # the first event the network reads (a 10 ms shift)
CHECK_EVERY = 32  # steps between looks at ``cancelled`` and reports to ``progress``


def humanize(model, notes: Sequence[Note], *, ppq: int, bpm: float, amount: float, random_seed: int = 0,
             tempos: Sequence[TempoChange] = (), temperature: float = 1.0,
             cancelled: Callable[[], bool] | None = None,
             progress: Callable[[int, int], None] | None = None) -> list[Note]:
    """``notes`` played expressively: ``out[i]`` is ``notes[i]`` with a new velocity and timing.

    ``model``: a loaded :class:`~models.performance_rnn.generate.PerformanceRNNGenerator` (what
    ``models.registry.load_generator`` returns), a checkpoint folder, or None for the bundled checkpoint.
    ``notes``: the notes to play, in any order (ticks at ``ppq``); ``bpm`` the tempo they are played at,
    or ``tempos`` (a tempo map in the same ticks) when it changes.
    ``amount``: 0-1, scales the timing offsets and the velocity spread (0: the notes come back unchanged).
    ``random_seed``: the same seed (and notes, amount, model) gives the same result.
    ``cancelled``: polled every few steps; when it returns True, :class:`~models.common.generator.Cancelled`
    is raised. ``progress(done, total)``: called every few steps (events written of about ``total``).

    Guarantees, for every i: ``out[i].pitch == notes[i].pitch`` (same count, same order);
    ``|out[i].start - notes[i].start|`` is at most ``amount`` x :data:`ONSET_WINDOW_S` (in ticks at the tempo,
    plus one tick of rounding); the end moves at most ``amount`` x :data:`RELEASE_WINDOW_S` and the note keeps
    at least half its length (and one tick); ``|out[i].velocity - notes[i].velocity|`` is at most
    ``amount`` x :data:`MAX_VELOCITY_CHANGE` (+1 rounding), within 1-127; start >= 0.
    GenerationError (one sentence) for an amount outside 0-1 or an impossible ppq or tempo.
    """
    if not 0.0 <= float(amount) <= 1.0:
        raise GenerationError("The Humanize amount must be between 0 and 1.")
    if not 1 <= int(ppq) <= 32767 or not (tempos or 1.0 <= float(bpm) <= 1000.0):
        raise GenerationError("Humanize needs a resolution of 1-32767 ticks per beat and a tempo of 1-1000 bpm.")
    notes = list(notes)
    if not notes:
        return []
    tempo = TempoMap(Score(ppq=int(ppq), tempos=tuple(tempos) or (TempoChange(0, float(bpm)),)))
    played = [PerfNote(tempo.seconds(n.start), tempo.seconds(n.end), n.pitch, n.velocity) for n in notes]
    onset, release, velocity = _decode(_network(model), played, random_seed, temperature, cancelled, progress)
    return _apply(notes, played, tempo, onset, release, velocity, float(amount))


def _network(model):
    """The torch network and its device, from a generator, a checkpoint folder or None (bundled)."""
    if model is None or isinstance(model, (str, Path)):
        model = _load(str(model) if model is not None else "")
    return model


@lru_cache(maxsize=2)
def _load(folder: str):
    from models.registry import find_checkpoint, load_generator

    return load_generator(None, folder or find_checkpoint("performance-rnn"), "cpu")


def _decode(gen, played: Sequence[PerfNote], random_seed: int, temperature: float,
            cancelled: Callable[[], bool] | None, progress: Callable[[int, int], None] | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's performance of ``played``: per note, its onset and release offsets (seconds, from the
    10 ms grid time of the written note) and its velocity."""
    net, device = gen.model, gen.device
    events = timeline(played)  # (step, kind, pitch, velocity, index); kind 1 = on
    t0 = events[0][0]
    n = len(played)
    onset, release = np.zeros(n), np.zeros(n)
    velocity = np.zeros(n, dtype=np.int64)
    control = torch.as_tensor(control_vector(notes_histogram(played), density_bin(notes_density(played))),
                              device=device)[None]  # (1, C)
    random = make_generator(random_seed, device)
    shifts = torch.arange(1, MAX_SHIFT_STEPS + 1, device=device)  # (100,) steps of each time-shift event
    on_window = int(round(ONSET_WINDOW_S * STEPS_PER_SECOND))
    off_window = int(round(RELEASE_WINDOW_S * STEPS_PER_SECOND))
    now, k, vbin, chosen, steps = 0, 0, -1, False, 0
    total = len(events) * 2
    with torch.inference_mode():
        logits, state = net.step(torch.tensor([PRIMER], device=device), control, None)
        while k < len(events):
            step, kind, pitch, _, index = events[k]
            nominal, window = step - t0, on_window if kind == 1 else off_window
            allowed = torch.zeros(VOCAB_SIZE, dtype=torch.bool, device=device)
            room = nominal + window - now  # the longest shift that keeps the event in its window
            if room >= 1:
                allowed[TIME_SHIFT: TIME_SHIFT + MAX_SHIFT_STEPS] = shifts <= room
            needs_velocity = kind == 1 and vbin < 0
            if now >= nominal - window and not needs_velocity:
                allowed[(NOTE_ON if kind == 1 else NOTE_OFF) + pitch] = True
            if kind == 1 and not chosen:
                allowed[VELOCITY: VELOCITY + VELOCITY_BINS] = True
            token = int(sample_next(logits, random, temperature, allowed=allowed[None]))
            if TIME_SHIFT <= token < VELOCITY:
                now += token - TIME_SHIFT + 1
            elif token >= VELOCITY:
                vbin, chosen = token - VELOCITY, True
            else:
                offset = (now - nominal) / STEPS_PER_SECOND
                if kind == 1:
                    onset[index], velocity[index] = offset, bin_velocity(vbin)
                else:
                    release[index] = offset
                k, chosen = k + 1, False
            steps += 1
            if steps % CHECK_EVERY == 0:
                if cancelled is not None and cancelled():
                    raise Cancelled("Humanize")
                if progress is not None:
                    progress(min(steps, total - 1), total)
            if k < len(events):
                logits, state = net.step(torch.tensor([token], device=device), control, state)
    if progress is not None:
        progress(total, total)
    return onset, release, velocity


def _apply(notes: Sequence[Note], played: Sequence[PerfNote], tempo: TempoMap, onset: np.ndarray,
           release: np.ndarray, velocity: np.ndarray, amount: float) -> list[Note]:
    """The written notes moved by ``amount`` of the model's offsets and velocity shape (see the module doc)."""
    lag = float(np.median(onset))  # a delay of the whole passage is latency, not expression
    onset, release = onset - lag, release - lag
    spread = np.clip(velocity - velocity.mean(), -MAX_VELOCITY_CHANGE, MAX_VELOCITY_CHANGE)
    out = []
    for i, (note, p) in enumerate(zip(notes, played)):
        start_s = p.start + amount * float(np.clip(onset[i], -ONSET_WINDOW_S, ONSET_WINDOW_S))
        end_s = p.end + amount * float(np.clip(release[i], -RELEASE_WINDOW_S, RELEASE_WINDOW_S))
        end_s = max(end_s, start_s + MIN_KEPT_LENGTH * (p.end - p.start))
        start = max(0, int(round(tempo.tick(start_s))))
        end = max(start + 1, int(round(tempo.tick(end_s))))
        vel = int(round(note.velocity + amount * float(spread[i])))
        out.append(Note(start, note.pitch, end - start, max(1, min(127, vel))))
    return out
