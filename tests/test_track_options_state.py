"""The Generate panel's per-track values (app/services/track_options.py): which tracks get a row, and what
the request gets, in the shape the command line gives the options table."""

import pytest

from app.cli.generate import track_values
from app.core.score import Score, Track
from app.services.track_options import TRACK_OPTIONS, TrackValues, card_roles, options_of, track_rows
from models.common.options import BY_NAME, OptionError, resolve_options
from models.registry import get_spec

RANGE, NOISE, ALPHA = BY_NAME["track_range"], BY_NAME["track_noise_sd"], BY_NAME["track_style_alpha"]


def test_rows_are_the_seed_tracks_by_name_or_number_or_the_models_own_roles():
    seed = Score(tracks=(Track("Bass", 33), Track("Piano"), Track("Piano", 1), Track("", 0, True)))
    assert [r.key for r in track_rows(seed)] == ["bass", "2", "3", "4"]  # names twice or empty: by number
    assert track_rows(None) == ()
    card = {"roles": [{"name": "soprano"}, {"name": "Bass"}]}
    assert card_roles(card) == ("soprano", "Bass") and card_roles({}) == ()
    assert [(r.key, r.role) for r in track_rows(seed, card_roles(card))] == [("soprano", True), ("bass", True)]
    assert TRACK_OPTIONS == (NOISE, ALPHA, RANGE)
    assert options_of(get_spec("music-transformer").options) == (RANGE,)
    assert options_of(get_spec("vae-nn").options) == (NOISE, ALPHA) and options_of(get_spec("markov").options) == ()


def test_the_request_gets_what_the_command_line_would_send():
    rows = track_rows(Score(tracks=(Track("Bass", 33), Track("Piano"), Track("Lead", 73))))
    values = (TrackValues().updated("track_range", "bass", (40, 55)).updated("track_range", "piano", (60, None))
              .updated("track_range", "lead", (None, None)).updated("track_range", "gone", (1, 2)))
    given = values.given(rows, (RANGE,))
    assert given == {"track_range": {"bass": (40, 55), "piano": (60, 127)}}  # open ends: the MIDI range's
    takes = get_spec("music-transformer").options
    cli = {"track_range": track_values(["bass=40-55", "piano=C4-127"], RANGE)}
    assert resolve_options("music-transformer", takes, given) == resolve_options("music-transformer", takes, cli)
    assert TrackValues.from_options(resolve_options("music-transformer", takes, given).values()).given(
        rows, (RANGE,)) == given  # a run's values back into the panel
    assert values.updated("track_range", "bass", None).given(rows, (RANGE,)) == {"track_range": {"piano": (60, 127)}}

    noise = TrackValues().updated("track_noise_sd", "tenor", 0.2).given(track_rows(None, ("tenor",)), (NOISE, ALPHA))
    assert noise == {"track_noise_sd": {"tenor": 0.2}}  # no style α per track given: left to the global one
    with pytest.raises(OptionError) as err:
        resolve_options("music-transformer", takes, {"track_range": {"bass": (60, 40)}})
    assert err.value.sentence() == ("Pitch range per track of track 'bass' must be LOW-HIGH, two MIDI pitches from "
                                    "0 to 127 or note names such as C4 (60), the lower first.")


def test_an_instruments_choice_with_its_own_tracks_makes_them_the_rows():
    from models.common.options import DRUM_KIT
    from models.music_transformer.vocab import DRUM_PROGRAM

    seed = Score(tracks=(Track("Melody", 73),))
    rows = track_rows(seed, instruments="lead, piano, bass and drums")
    assert [(r.key, r.name, r.program, r.is_drum) for r in rows] == [
        ("lead", "Lead", 73, False), ("piano", "Piano", 0, False), ("bass", "Bass", 33, False),
        ("drums", "Drums", 0, True)]
    assert [r.key for r in track_rows(seed, instruments="as the seed")] == ["melody"]
    assert [r.key for r in track_rows(seed, ("soprano",), "piano")] == ["soprano"]  # a model's own roles first
    assert DRUM_KIT == DRUM_PROGRAM  # the options table's drum kit is the music-transformer's
