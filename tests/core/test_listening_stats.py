"""The listening test's statistics against scipy and against hand-counted answers."""

import pytest
from scipy.stats import binomtest

from app.core.listening.stats import (HUMAN, MACHINE, REFERENCE, Response, binomial_test, format_summary,
                                      summarize, wilson_interval)

COUNTS = [(0, 10), (3, 10), (5, 10), (7, 10), (10, 10), (13, 20), (175, 350), (200, 350), (1, 1), (31, 47)]


@pytest.mark.parametrize("k,n", COUNTS)
def test_wilson_interval_agrees_with_scipy(k, n):
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


@pytest.mark.parametrize("k,n", COUNTS)
@pytest.mark.parametrize("chance", [0.5, 0.3])
def test_binomial_test_agrees_with_scipy(k, n, chance):
    assert binomial_test(k, n, chance) == pytest.approx(binomtest(k, n, chance).pvalue, rel=1e-9, abs=1e-12)


def test_counts_that_are_not_counts_are_refused():
    with pytest.raises(ValueError):
        wilson_interval(4, 3)
    with pytest.raises(ValueError):
        binomial_test(-1, 3)


def test_summary_of_a_scripted_answer_sheet():
    # 4 human clips (3 called human), 3 markov clips (2 called machine), 3 abc-lstm clips (1 called machine)
    truth = [(HUMAN, None)] * 4 + [(MACHINE, "markov")] * 3 + [(MACHINE, "abc-lstm")] * 3
    answers = [HUMAN, HUMAN, HUMAN, MACHINE, MACHINE, MACHINE, HUMAN, MACHINE, HUMAN, HUMAN]
    responses = [Response(f"clip-{i + 1:02d}", t, a, m) for i, ((t, m), a) in enumerate(zip(truth, answers))]
    s = summarize(responses)
    assert s["overall"]["correct"] == 6 and s["overall"]["responses"] == 10
    assert s["overall"]["accuracy"] == pytest.approx(0.6)
    assert s["overall"]["p_value"] == pytest.approx(binomtest(6, 10).pvalue)
    assert s["human"]["correct"] == 3 and s["human"]["responses"] == 4
    assert s["models"]["markov"]["correct"] == 2 and s["models"]["abc-lstm"]["correct"] == 1
    assert s["confusion"] == {HUMAN: {HUMAN: 3, MACHINE: 1}, MACHINE: {HUMAN: 3, MACHINE: 3}}
    text = format_summary(s)
    assert "60%" in text and "350 responses" in text
    assert s["reference"] is REFERENCE and REFERENCE["accuracy"] == 0.5 and REFERENCE["responses"] == 350
