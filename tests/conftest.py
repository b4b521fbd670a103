"""Fixtures for every test folder: a third-party model package installed for one test."""

import sys
from pathlib import Path

import pytest

PLUGIN_DIR = Path(__file__).parent / "data" / "plugin"


@pytest.fixture
def toy_plugin(monkeypatch):
    """``tests/data/plugin`` on the import path (as pip would install it: a package and its dist-info with
    a ``cadenza.models`` entry point), for this process and the subprocesses it starts."""
    from models.registry import reload_specs

    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.setenv("PYTHONPATH", f"{PLUGIN_DIR}:{Path(__file__).parents[1]}")
    reload_specs()
    yield PLUGIN_DIR
    monkeypatch.undo()
    sys.modules.pop("cadenza_toy", None)
    for name in [m for m in sys.modules if m.startswith("cadenza_toy.")]:
        sys.modules.pop(name)
    reload_specs()
