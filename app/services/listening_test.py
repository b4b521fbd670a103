"""Making and scoring a blind listening test (human or machine?), for the CLI and the Listening Test dialog.

:func:`make_test` draws the pieces (:mod:`models.evaluation.listening`),
renders every one with the same instrument and tempo (so timbre and speed
give nothing away), cuts them to one length and one loudness
(:func:`app.core.listening.sheet.match_audio`), shuffles them with the
recorded random seed and writes ``clip-01.wav`` ... with the hidden answer
key ``answers.json`` and, under ``sources/``, each clip's MIDI (for opening
it in the editor once the answers are revealed). Every clip is written
before the test starts, so no timing gives a source away either.
:func:`score_test` reads an answer sheet and returns the statistics.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Generator as PyGenerator, Sequence

import numpy as np

from app.core.errors import CadenzaError, DatasetError
from app.core.listening.sheet import AnswerKey, Clip, clip_name, match_audio, read_answers, rms_db
from app.core.listening.stats import summarize
from app.core.score import Score, TempoChange
from app.core.timing import bar_lines
from models.common.generator import Progress

SOURCES_DIR = "sources"


@dataclass(frozen=True)
class TestOptions:
    """What to make: ``clips`` clips of ``bars`` bars (cut to ``seconds`` when given) from ``models``."""

    models: tuple[str, ...]
    clips: int = 10
    bars: int = 8
    seconds: float | None = None
    seed_bars: int = 2
    human_data: tuple[str, ...] = ()  # datasets for the human side (default: the models' held-out splits)
    random_seed: int = 0
    same_sound: bool = True  # every clip with one instrument and tempo (else each piece's own)
    program: int = 0  # General MIDI program of every pitched track (0: acoustic grand piano)
    tempo: float = 100.0
    device: str = "auto"
    soundfont: str | None = None
    sample_rate: int = 44100


def uniform(score: Score, program: int, tempo: float) -> Score:
    """``score`` with every pitched track on ``program`` and one tempo throughout."""
    tracks = tuple(t if t.is_drum else replace(t, program=program) for t in score.tracks)
    return replace(score, tracks=tracks, tempos=(TempoChange(0, tempo),))


def nominal_frames(score: Score, bars: int, tempo: float, sample_rate: int) -> int:
    """The frames of ``score``'s first ``bars`` bars, each as long as its meter makes it, at ``tempo``."""
    longest = max(s.bar_ticks(score.ppq) for s in score.time_signatures)
    ticks = bar_lines(score, until=bars * longest + 1)[bars].tick if bars > 0 else 0
    return int(round(ticks / score.ppq * 60 / tempo * sample_rate))


def make_test(folder: str | Path, options: TestOptions) -> PyGenerator[Progress, None, AnswerKey]:
    """Draw, render, match, shuffle and write the clips and the answer key into ``folder``; yields Progress."""
    from app.audio.export import write_audio
    from app.audio.synth import Synth
    from app.core.midi import write_midi
    from models.evaluation.listening import draw_pieces

    out = Path(folder)
    if out.exists() and any(out.iterdir()):
        raise DatasetError(f"{out} is not empty; choose a new folder for the listening test.")
    pieces = yield from draw_pieces(options.models, options.clips, options.bars, options.seed_bars,
                                    options.random_seed, options.device, options.human_data)
    total = len(pieces)
    yield Progress(total, total + 1, "rendering the clips")
    scores = [uniform(p.score, options.program, options.tempo) if options.same_sound else p.score for p in pieces]
    audio = []
    with Synth(options.soundfont, sample_rate=options.sample_rate) as synth:
        for score in scores:
            rendered = synth.render(score)
            frames = nominal_frames(score, options.bars, options.tempo, options.sample_rate)
            if len(rendered) < frames:  # a piece that ends early: silence to its last bar line
                rendered = np.concatenate([rendered, np.zeros((frames - len(rendered), 2), np.float32)])
            audio.append(rendered)
    shortest = min(len(a) for a in audio) / options.sample_rate
    if options.seconds is not None and options.seconds > shortest:
        raise DatasetError(f"The shortest clip lasts {shortest:.1f} s, less than the {options.seconds:g} s asked "
                           "for; ask for more bars or fewer seconds.")
    matched = match_audio(audio, options.sample_rate, options.seconds)
    order = np.random.default_rng(options.random_seed).permutation(total)
    out.mkdir(parents=True, exist_ok=True)
    (out / SOURCES_DIR).mkdir(exist_ok=True)
    clips = []
    for index, drawn in enumerate(order):
        piece, name = pieces[drawn], clip_name(index)
        write_audio(matched[drawn], out / name, sample_rate=options.sample_rate)
        write_midi(replace(scores[drawn], title=name), out / SOURCES_DIR / f"{Path(name).stem}.mid")
        clips.append(Clip(name, piece.source, piece.model, piece.piece, piece.random_seed))
    seconds = len(matched[0]) / options.sample_rate
    settings = {**{k: v for k, v in asdict(options).items() if k not in ("soundfont", "device")},
                "models": list(options.models), "clip_seconds": round(seconds, 3),
                "rms_db": round(rms_db(matched[0]), 2)}
    key = AnswerKey(clips, options.random_seed, settings)
    key.write(out)
    yield Progress(total + 1, total + 1, "done")
    return key


def score_test(folder: str | Path, answers: str | Path) -> dict:
    """The statistics of the answer sheet ``answers`` for the test in ``folder``."""
    key = AnswerKey.read(folder)
    responses = read_answers(answers, key)
    if not responses:
        raise CadenzaError(f"The answer sheet {answers} holds no answers.")
    return summarize(responses)


def models_of(text: str) -> Sequence[str]:
    """The model names of a comma-separated list."""
    return tuple(m.strip() for m in text.split(",") if m.strip())
