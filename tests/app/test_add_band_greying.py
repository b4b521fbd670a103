"""Models that cannot take the seed (drums, for a model that does not play them) are greyed out with the reason."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.core.score import Note, Score, Track
from app.services.generation import ModelInfo
from app.ui.generation.model_picker import ModelPicker
from app.services.band import band_models
from models.common.spec import DRUMS, MONOPHONIC, POLYPHONIC, EntryPoint, ModelSpec, card_spec


def _info(name: str, seeds: frozenset) -> ModelInfo:
    spec = ModelSpec(name=name, architecture="a stand-in", description=f"{name} writes music", good_for="tests",
                     options=(), seeds=seeds, roles=("melody",), generator=EntryPoint("nowhere:Nothing"),
                     title=name.title())
    return ModelInfo(name, name, Path("/nowhere") / name, True, {}, spec)


BEAT = Track("Rock Beat", 0, True, (Note(start=0, pitch=36, duration=120),))
GROOVE = Score(tracks=(BEAT,))  # drums alone
BAND = Score(tracks=(Track("Tune", 0, False, (Note(start=0, pitch=60, duration=480),)), BEAT))


def test_a_model_that_cannot_hear_the_seeds_drums_is_greyed_out_with_the_reason(qtbot):
    picker = ModelPicker()
    qtbot.addWidget(picker)
    chosen = []
    picker.model_chosen.connect(chosen.append)
    picker.set_models([_info("melodist", frozenset({MONOPHONIC, POLYPHONIC})),
                       _info("drummer", frozenset({MONOPHONIC, DRUMS}))], "melodist")
    items = picker.combo.model()
    assert items.item(0).isEnabled() and picker.current().name == "melodist"
    why = picker.set_seed(GROOVE)
    assert why == ("The seed holds only drums, and melodist writes pitched music; "
                   "choose a seed with a tune or chords in it.")
    assert not items.item(0).isEnabled() and items.item(0).toolTip() == why
    assert picker.combo.itemData(0, Qt.ItemDataRole.ToolTipRole) == why
    assert items.item(1).isEnabled() and picker.current().name == "drummer" and chosen[-1].name == "drummer"
    assert picker.why_not(picker._models[0]) == why
    assert picker.set_seed(None) is None and items.item(0).isEnabled()  # no seed: every model can start
    assert items.item(0).toolTip() == "melodist writes music"
    assert picker.set_seed(BAND) is None and items.item(0).isEnabled()  # it plays the tune, and says what it leaves
    assert items.item(0).toolTip() == ("melodist writes music\nmelodist continues the seed's pitched parts and leaves "
                                       "out its drum track 'Rock Beat', which it does not play.")


def test_a_checkpoint_card_says_what_that_checkpoint_takes_and_whether_it_accompanies(qtbot):
    melodist = _info("melodist", frozenset({MONOPHONIC, POLYPHONIC}))
    card = {"seeds": [MONOPHONIC, POLYPHONIC, DRUMS], "accompanies": True}
    band_checkpoint = ModelInfo("melodist-band", "melodist", Path("/nowhere/band"), False, card,
                                card_spec(melodist.spec, card))
    assert band_models([melodist, band_checkpoint]) == [band_checkpoint]
    picker = ModelPicker()
    qtbot.addWidget(picker)
    picker.set_models([melodist, band_checkpoint], "melodist")
    assert picker.set_seed(GROOVE) is not None and picker.current().name == "melodist-band"
    assert card_spec(melodist.spec, {"seeds": ["telepathy"], "accompanies": "yes"}) is melodist.spec  # ignored
