"""Fail early, with one sentence, when the Python running the set-up is too old."""

import sys

if sys.version_info < (3, 11):
    sys.exit(
        f"error: Cadenza needs Python 3.11 or newer, but {sys.executable} is "
        f"{sys.version.split()[0]}; run 'make PYTHON=python3.11 run' with a newer one."
    )
