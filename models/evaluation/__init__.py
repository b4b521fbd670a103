"""Evaluating a model against the held-out split, beside a markov baseline and the training split.

``evaluate(EvalOptions(...))`` is a generator yielding Progress and returning
the report (see ``run.py``); ``cadenza eval`` prints it.
"""

from models.evaluation.run import ABC_ARCHS, EvalOptions, EvalRun, evaluate

__all__ = ["ABC_ARCHS", "EvalOptions", "EvalRun", "evaluate"]
