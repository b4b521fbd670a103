"""Every ``seed:NAME`` the README and the docs show names a bundled seed (a copied command must run)."""

import re
from pathlib import Path

import pytest

from app.core.seeds import resolve

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SEED = re.compile(r"seed:([a-z0-9][a-z0-9_.-]*[a-z0-9])")  # seed:NAME in capitals is a placeholder


def seeds_named() -> list[tuple[str, str]]:
    return sorted({(doc.relative_to(ROOT).as_posix(), name) for doc in DOCS
                   for name in SEED.findall(doc.read_text(encoding="utf-8"))})


def test_the_docs_name_seeds():
    assert any(doc == "README.md" for doc, _ in seeds_named())


@pytest.mark.parametrize("doc,name", seeds_named())
def test_every_seed_the_docs_name_is_bundled(doc, name):
    assert resolve(f"seed:{name}").is_file(), f"{doc} names seed:{name}"
