"""``cadenza generate --help`` offers every model the registry's specs define, read from them."""

import re

import pytest

from app.cli import main
from models.common.options import OPTIONS
from models.registry import model_specs


@pytest.fixture
def generate_help(monkeypatch, capsys) -> str:
    monkeypatch.setenv("COLUMNS", "1000")  # one line per flag
    with pytest.raises(SystemExit) as done:
        main(["generate", "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def flag_help(text: str, flag: str) -> str:
    """The help of ``flag``: its line and the lines indented under it, joined."""
    entries = re.split(r"\n(?=  -)", text)
    return " ".join(next(e for e in entries if e.lstrip().startswith(flag + " ")).split())


def test_the_model_flag_lists_every_spec_in_the_registry(generate_help):
    line = flag_help(generate_help, "--model")
    listed = re.search(r"the model: (.*), or a user model's name", line).group(1).split(", ")
    assert listed == [spec.name for spec in model_specs()]
    assert "vae-nn" in listed


def test_each_option_names_the_specs_that_take_it(generate_help):
    for option in (o for o in OPTIONS if o.per_model):
        takers = [spec.name for spec in model_specs() if spec.takes(option.name)]
        line = flag_help(generate_help, option.flag)
        assert f"models: {', '.join(takers)})" in line, line
