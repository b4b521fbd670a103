"""The Generate panel shows the performance model's own controls, built from the options table.

Temperature and density are sliders, the key / pitch-class profile a box that reads "From the seed" by
default and takes a key or 12 typed pitch-class weights; the options the model lacks are greyed with the
reason. What the panel holds resolves into the request's options as the table checks them.
"""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.services.generation import ModelInfo, job_from_controls
from app.core.generation_settings import NO_SOURCE
from app.ui.generation.sliders import GenerationControls
from models.performance_rnn import SPEC

WEIGHTS = "2 0 1 0 1 1 0 1 0 1 0 1"


@pytest.fixture
def controls(qtbot):
    widget = GenerationControls()
    qtbot.addWidget(widget)
    info = ModelInfo("tiny", SPEC.name, Path("/nowhere"), False, {}, SPEC)
    widget.set_model(info)
    return widget, info


def type_into(qtbot, box, text: str) -> None:
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    box.lineEdit().editingFinished.emit()


def test_the_models_own_options_are_enabled_and_the_others_say_why(controls):
    widget, _ = controls
    assert widget.rows["temperature"].isEnabled() and widget.rows["density"].isEnabled()
    profile = widget.choices["pitch_profile"]
    assert profile.isEnabled() and profile.currentData() == "seed" and profile.currentText() == "From the seed"
    assert not widget.rows["noise_sd"].isEnabled() and "has no latent noise" in widget.rows["noise_sd"].toolTip()
    assert not widget.choices["key_lock"].isEnabled()


def test_a_key_or_twelve_weights_typed_in_the_profile_reach_the_request(controls, qtbot):
    widget, info = controls
    profile = widget.choices["pitch_profile"]
    with qtbot.waitSignal(widget.changed, timeout=1000):
        type_into(qtbot, profile, WEIGHTS)
    assert widget.state().value("pitch_profile") == WEIGHTS
    job = job_from_controls(info, widget.state().updated(temperature=0.8, density=12), NO_SOURCE, NO_SOURCE)
    assert (job.options.pitch_profile, job.options.temperature, job.options.density) == (WEIGHTS, 0.8, 12)
    type_into(qtbot, profile, "d MINOR")
    assert widget.state().value("pitch_profile") == "D minor"
    with qtbot.assertNotEmitted(widget.changed):
        type_into(qtbot, profile, "1 2 3")  # not 12 weights: refused, the value stays
    assert widget.state().value("pitch_profile") == "D minor" and profile.currentText() == "D minor"
    type_into(qtbot, profile, "from the seed")
    assert widget.state().value("pitch_profile") == "seed"
    profile.setCurrentIndex(profile.findData("A minor"))
    profile.activated.emit(profile.currentIndex())
    assert widget.state().value("pitch_profile") == "A minor"
    assert profile.findText("From the seed", Qt.MatchFlag.MatchExactly) == 0
