"""The bookkeeping of a listening test: the answer key, each listener's order, answer sheets, matched audio.

A test is a folder of clips ``clip-01.wav`` ... (numbered in a shuffled
order, so neither a name nor a position says where a clip came from) and the
hidden answer key ``answers.json``: each clip's source (human or the machine
that made it), the piece it comes from and the random seeds, so the test can
be made again. Every listener hears the same clips in an order of their own
(:func:`listener_order`, drawn from the test's random seed and the
listener's number). An answer sheet is a CSV with the columns ``clip``,
``answer`` (human or machine; h or m) and optionally ``confidence`` (1-5) and
``listener``.

:func:`match_audio` cuts rendered clips to one length and scales them to
one loudness (RMS) so neither gives the source away.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from app.core.atomic import atomic_write_bytes
from app.core.errors import DatasetError, FileFormatError
from app.core.listening.stats import HUMAN, MACHINE, Response

KEY_FILE = "answers.json"
FORMAT_VERSION = 1
TARGET_RMS_DB = -20.0  # the loudness every clip is scaled to (lower when a clip's peaks would clip)
PEAK_LIMIT = 0.98
FADE_S = 0.25  # the fade at the cut, so no clip ends on a click
ANSWER_WORDS = {"human": HUMAN, "h": HUMAN, "machine": MACHINE, "m": MACHINE, "computer": MACHINE}


def clip_name(index: int) -> str:
    """The file name of the clip at ``index`` (0-based): clip-01.wav, ..."""
    return f"clip-{index + 1:02d}.wav"


@dataclass(frozen=True)
class Clip:
    """One clip of the test: its file name and, hidden from the listener, where it came from."""

    name: str
    source: str  # HUMAN or MACHINE
    model: str | None  # the model that made a machine clip; for a human clip, the model whose held-out split gave it
    piece: str  # the held-out piece (a machine clip: the piece whose first bars were the seed)
    random_seed: int | None = None  # a machine clip's generation seed


@dataclass
class AnswerKey:
    """What a listener must not see: each clip's source, and how the test was made."""

    clips: list[Clip]
    random_seed: int
    settings: dict = field(default_factory=dict)  # models, bars, seconds, instrument, tempo, loudness...

    def by_name(self) -> dict[str, Clip]:
        return {c.name: c for c in self.clips}

    def to_json(self) -> str:
        return json.dumps({"format_version": FORMAT_VERSION, "random_seed": self.random_seed,
                           "settings": self.settings, "clips": [asdict(c) for c in self.clips]}, indent=2)

    def write(self, folder: str | Path) -> Path:
        path = Path(folder) / KEY_FILE
        atomic_write_bytes(path, self.to_json().encode(), keep_backup=False)
        return path

    @classmethod
    def read(cls, folder: str | Path) -> "AnswerKey":
        path = Path(folder) / KEY_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls([Clip(**c) for c in data["clips"]], int(data["random_seed"]), dict(data.get("settings", {})))
        except FileNotFoundError:
            raise DatasetError(f"{folder} holds no listening test (its answer key {KEY_FILE} is missing).") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FileFormatError(path, f"it is not a listening test's answer key ({exc})") from None


def listener_order(key: AnswerKey, listener: int) -> list[str]:
    """The clip names in the order listener number ``listener`` hears them: the same clips for every
    listener, each listener's order drawn from the test's random seed and their number."""
    rng = np.random.default_rng([key.random_seed, listener])
    names = sorted(c.name for c in key.clips)
    return [names[i] for i in rng.permutation(len(names))]


def _clip_of(value: str, names: dict[str, Clip]) -> Clip | None:
    value = value.strip()
    for candidate in (value, f"{value}.wav", clip_name(int(value) - 1) if value.isdigit() and int(value) > 0 else ""):
        if candidate in names:
            return names[candidate]
    return None


def read_answers(path: str | Path, key: AnswerKey) -> list[Response]:
    """The responses of an answer sheet (CSV: clip, answer[, confidence][, listener]) checked against ``key``."""
    names = key.by_name()
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise FileFormatError(path, exc.strerror or str(exc)) from None
    if not rows or not {"clip", "answer"} <= {(k or "").strip().lower() for k in rows[0]}:
        raise FileFormatError(path, "an answer sheet needs the columns clip and answer")
    responses, seen = [], set()
    for line, raw in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        clip = _clip_of(row["clip"], names)
        answer = ANSWER_WORDS.get(row["answer"].lower())
        if clip is None or answer is None:
            what = f"clip '{row['clip']}' is not in the test" if clip is None else \
                f"the answer '{row['answer']}' is neither human nor machine"
            raise FileFormatError(path, f"line {line}: {what}")
        confidence = row.get("confidence") or None
        if confidence is not None and (not confidence.isdigit() or not 1 <= int(confidence) <= 5):
            raise FileFormatError(path, f"line {line}: the confidence '{confidence}' is not a number from 1 to 5")
        listener = row.get("listener", "")
        if (listener, clip.name) in seen:
            raise FileFormatError(path, f"line {line}: {clip.name} is answered twice by the same listener")
        seen.add((listener, clip.name))
        responses.append(Response(clip.name, clip.source, answer, clip.model if clip.source == MACHINE else None,
                                  int(confidence) if confidence else None, listener))
    return responses


def responses_for(key: AnswerKey, answers: dict[str, tuple[str, int | None]], listener: str = "") -> list[Response]:
    """Responses from ``answers`` (clip name -> (answer, confidence)), checked against ``key``."""
    names = key.by_name()
    return [Response(name, names[name].source, answer, names[name].model if names[name].source == MACHINE else None,
                     confidence, listener) for name, (answer, confidence) in answers.items()]


def rms_db(audio: np.ndarray) -> float:
    """The RMS level of ``audio`` in dB full scale (-inf for silence)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    return 20 * np.log10(rms) if rms > 0 else float("-inf")


def match_audio(clips: Sequence[np.ndarray], sample_rate: int, seconds: float | None = None) -> list[np.ndarray]:
    """``clips`` (float32 (frames, channels)) cut to one length (``seconds``, else the shortest clip's; the
    last ``FADE_S`` faded out) and scaled to one RMS level: ``TARGET_RMS_DB``, or lower so no peak clips."""
    if not clips:
        return []
    frames = min(len(c) for c in clips) if seconds is None else int(round(seconds * sample_rate))
    if frames <= 0 or any(len(c) < frames for c in clips):
        raise DatasetError("A clip is shorter than the length every clip is cut to.")
    fade = np.ones(frames, dtype=np.float64)
    n = min(frames, int(FADE_S * sample_rate))
    fade[frames - n:] = np.linspace(1.0, 0.0, n)
    cut = [np.asarray(c[:frames], dtype=np.float64) * fade[:, None] for c in clips]
    levels = [np.sqrt(np.mean(np.square(c))) for c in cut]
    if min(levels) <= 0:
        raise DatasetError("A clip is silent, so its loudness cannot be matched.")
    target = 10 ** (TARGET_RMS_DB / 20)
    target = min([target] + [PEAK_LIMIT * level / np.max(np.abs(c)) for c, level in zip(cut, levels)])
    return [(c * (target / level)).astype(np.float32) for c, level in zip(cut, levels)]


RESULTS_CSV, RESULTS_JSON = "results.csv", "results.json"
RESULT_COLUMNS = ("time", "test", "listener", "clip", "truth", "model", "answer", "confidence", "correct")


def sessions(folder: str | Path) -> list[dict]:
    """The sessions recorded in ``folder``'s results.json (none when it is missing)."""
    path = Path(folder) / RESULTS_JSON
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise FileFormatError(path, f"it is not a listening-test results file ({exc})") from None


def append_results(folder: str | Path, test: str | Path, listener: str, responses: Sequence[Response],
                   summary: dict, when: str) -> None:
    """Add one listener's session to ``folder``'s results.csv (a row per answer) and results.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"time": when, "test": str(test), "listener": listener, "clip": r.clip, "truth": r.truth,
             "model": r.model or "", "answer": r.answer, "confidence": r.confidence or "", "correct": int(r.correct)}
            for r in responses]
    path = folder / RESULTS_CSV
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, RESULT_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerows(rows)
    recorded = sessions(folder) + [{"time": when, "test": str(test), "listener": listener,
                                    "answers": [asdict(r) for r in responses], "summary": summary}]
    atomic_write_bytes(folder / RESULTS_JSON, json.dumps(recorded, indent=2).encode(), keep_backup=False)


def report_text(key: AnswerKey, summary_text: str, responses: Sequence[Response], listener: str) -> str:
    """A listener's report: the statistics, then every clip revealed with its source and the answer given."""
    answers = {r.clip: r for r in responses}
    lines = [f"Listening test ({len(key.clips)} clips, random seed {key.random_seed}), listener {listener}", "",
             summary_text, "", f"{'clip':<12}{'answer':<9}{'confidence':<12}{'truth':<9}{'model':<16}piece"]
    for clip in sorted(key.clips, key=lambda c: c.name):
        r = answers.get(clip.name)
        lines.append(f"{clip.name:<12}{r.answer if r else '-':<9}{(r.confidence or '-') if r else '-':<12}"
                     f"{clip.source:<9}{clip.model or '':<16}{clip.piece}")
    return "\n".join(lines) + "\n"
