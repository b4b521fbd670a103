"""The dependency rule of DESIGN.md, as import-linter contracts (pyproject.toml), run here."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def contract_names() -> list[str]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [c["name"] for c in config["tool"]["importlinter"]["contracts"]]


def test_every_import_contract_is_kept():
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} is missing: pip install -e '.[test]'"
    out = subprocess.run([str(LINT_IMPORTS), "--no-cache"], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "COLUMNS": "1000", "NO_COLOR": "1"})
    report = out.stdout + out.stderr
    verdicts = dict(re.findall(r"^(.+?) (KEPT|BROKEN)\s*$", report, re.MULTILINE))
    names = contract_names()
    assert len(names) >= 7
    assert verdicts == {name: "KEPT" for name in names}, report
    assert out.returncode == 0, report


def test_no_relative_imports():
    offenders = [f"{path.relative_to(ROOT)}:{node.lineno}"
                 for package in ("app", "models") for path in sorted((ROOT / package).rglob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text(), str(path)))
                 if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert offenders == []


def test_core_import_pulls_no_qt_or_torch():
    code = ("import sys, app.core.formats, app.core.midi, app.core.project, app.core.summary;"
            "bad=[m for m in ('PySide6','torch','pyqtgraph') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
