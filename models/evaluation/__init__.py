"""Evaluating a model against the held-out split, beside a baseline fitted on its data and the training split.

``evaluate(EvalOptions(...))`` is a generator yielding Progress and returning
the report (see ``run.py``); ``cadenza eval`` prints it.
"""

from models.evaluation.run import EvalOptions, EvalRun, evaluate

__all__ = ["EvalOptions", "EvalRun", "evaluate"]
