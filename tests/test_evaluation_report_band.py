"""tools/evaluation_report.py keeps docs/EVALUATION.md's band section when it rewrites the page: the band
models are measured by their own `cadenza eval` runs, not by this tool, and their section used to vanish."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tools"))

from evaluation_report import BAND_HEADING, band_section  # noqa: E402

BAND = f"{BAND_HEADING}\n\n| model | overlap |\n|---|---|\n| band-gan | 0.6 |\n\n"


def test_the_band_section_is_cut_from_its_heading_to_the_next_section():
    page = "# Evaluation\n\n## Summary\n\nrows\n\n" + BAND + "## markov\n\nfigures\n"
    assert band_section(page) == BAND


def test_a_band_section_at_the_end_or_none_at_all():
    assert band_section("# Evaluation\n\n" + BAND) == BAND
    assert band_section("# Evaluation\n\n## markov\n") == ""


def test_the_page_in_the_repository_has_its_band_section_kept():
    page = (Path(__file__).parents[1] / "docs" / "EVALUATION.md").read_text()
    kept = band_section(page)
    assert kept.startswith(BAND_HEADING) and "| band-gan |" in kept and "## markov" not in kept
