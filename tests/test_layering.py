"""The dependency rule of DESIGN.md: app.core and app.audio never import Qt or torch."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FORBIDDEN = {
    "app/core": ("PySide6", "torch", "pyqtgraph", "app.ui", "app.audio", "models"),
    "app/audio": ("PySide6", "torch", "pyqtgraph", "app.ui", "models"),
    "models": ("PySide6", "pyqtgraph", "app.ui", "app.document", "app.tasks", "app.services"),
}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_dependency_rule(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for mod in imported_modules(path):
            if any(mod == f or mod.startswith(f + ".") for f in FORBIDDEN[package]):
                offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert offenders == []


def test_core_import_pulls_no_qt_or_torch():
    import subprocess
    import sys

    code = ("import sys, app.core.formats, app.core.midi, app.core.project, app.core.summary;"
            "bad=[m for m in ('PySide6','torch','pyqtgraph') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
