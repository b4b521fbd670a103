"""Statistics of a listening test: how often listeners told human from machine, and whether that beats guessing.

* :func:`wilson_interval`: the Wilson score interval of a proportion
  (as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``);
* :func:`binomial_test`: the exact two-sided binomial test against a chance
  rate (as ``scipy.stats.binomtest(k, n, p).pvalue``): the chance that a
  listener guessing at random does at least as unusually well (or badly);
* :func:`summarize`: accuracy overall, for human clips and per model, with
  both, and the confusion table (truth x answer).

A response is right when it names the clip's true source. ``REFERENCE`` is
the survey of the character-level ABC write-up, shown beside every result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist
from typing import Iterable

HUMAN, MACHINE = "human", "machine"
SOURCES = (HUMAN, MACHINE)
REFERENCE = {"accuracy": 0.5, "responses": 350,
             "text": "The character-level ABC write-up's survey: listeners were right 50% of the time "
                     "over 350 responses (chance level)."}


@dataclass(frozen=True)
class Response:
    """One answer to one clip: the clip's true source and model (None for a human clip), and the answer."""

    clip: str
    truth: str  # HUMAN or MACHINE
    answer: str  # HUMAN or MACHINE
    model: str | None = None
    confidence: int | None = None
    listener: str = ""

    @property
    def correct(self) -> bool:
        return self.truth == self.answer


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / trials``; (0, 1) when there are no trials."""
    _check(successes, trials)
    if trials == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p, z2 = successes / trials, z * z
    denom = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def binomial_test(successes: int, trials: int, chance: float = 0.5) -> float:
    """The exact two-sided binomial test's p-value: the probability, under ``chance``, of an outcome
    no more likely than ``successes`` out of ``trials`` (1.0 when there are no trials)."""
    _check(successes, trials)
    if not 0 < chance < 1:
        raise ValueError(f"chance {chance} must be between 0 and 1")
    if trials == 0:
        return 1.0
    p = Fraction(chance).limit_denominator(10**9)
    pmf = [math.comb(trials, i) * p**i * (1 - p) ** (trials - i) for i in range(trials + 1)]
    observed = pmf[successes] * Fraction(10**7 + 1, 10**7)  # scipy's relative tolerance for ties
    return min(1.0, float(sum(x for x in pmf if x <= observed)))


def _check(successes: int, trials: int) -> None:
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials is not a count")


def rate(successes: int, trials: int, chance: float = 0.5) -> dict:
    """Accuracy, its Wilson 95% interval and the binomial test against ``chance``, with the counts."""
    low, high = wilson_interval(successes, trials)
    return {"correct": successes, "responses": trials, "accuracy": successes / trials if trials else None,
            "ci95": [low, high], "p_value": binomial_test(successes, trials, chance)}


def summarize(responses: Iterable[Response]) -> dict:
    """Accuracy overall, on human clips and per model, and the confusion table; with the write-up's reference."""
    responses = list(responses)
    right = sum(r.correct for r in responses)
    humans = [r for r in responses if r.truth == HUMAN]
    models = sorted({r.model or "?" for r in responses if r.truth == MACHINE})
    per_model = {}
    for model in models:
        mine = [r for r in responses if r.truth == MACHINE and (r.model or "?") == model]
        per_model[model] = rate(sum(r.correct for r in mine), len(mine))
    confusion = {truth: {answer: sum(r.truth == truth and r.answer == answer for r in responses)
                         for answer in SOURCES} for truth in SOURCES}
    return {"overall": rate(right, len(responses)), "human": rate(sum(r.correct for r in humans), len(humans)),
            "models": per_model, "confusion": confusion,
            "listeners": len({r.listener for r in responses}), "reference": REFERENCE}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def format_summary(summary: dict) -> str:
    """The summary as a short text table, the reference last."""
    def line(label: str, r: dict) -> str:
        low, high = r["ci95"]
        return (f"{label:<24}{_percent(r['accuracy']):>6}  ({r['correct']}/{r['responses']}, "
                f"95% CI {100 * low:.0f}-{100 * high:.0f}%, p = {r['p_value']:.3g})")

    lines = [f"{summary['overall']['responses']} responses from {summary['listeners']} listener(s); "
             "accuracy = share told apart correctly, p = chance a random guesser does as well (binomial test vs 50%).",
             "", line("overall", summary["overall"]), line("human clips", summary["human"])]
    lines += [line(f"machine: {model}", r) for model, r in summary["models"].items()]
    c = summary["confusion"]
    lines += ["", f"{'truth / answer':<16}{'human':>8}{'machine':>9}"]
    lines += [f"{truth:<16}{c[truth][HUMAN]:>8}{c[truth][MACHINE]:>9}" for truth in SOURCES]
    lines += ["", REFERENCE["text"]]
    return "\n".join(lines)
