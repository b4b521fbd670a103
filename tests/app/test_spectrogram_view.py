"""The spectrogram view: computed off the UI thread with the player's synth, in ticks, aligned with the piano roll."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.core.score import Note, Score, TempoChange, Track
from app.services.player import Player
from app.services.spectrogram import MAX_HZ, SpectrogramService
from app.ui.spectrogram_view import FLOOR_DB, N_MELS, SpectrogramView
from pulse import pulse_server  # noqa: F401 (the session fixture)


def piano(notes, tempos=(TempoChange(0, 120.0),)) -> Score:
    return Score(tracks=(Track("piano", 0, False, tuple(Note(*n) for n in notes)),), tempos=tempos)


@pytest.fixture
def player(qapp, settings):
    p = Player(settings)
    yield p
    p.shutdown()


@pytest.fixture
def view(qtbot, runner, player):
    v = SpectrogramView(SpectrogramService(runner, player), left_margin_px=60)
    qtbot.addWidget(v)
    v.resize(860, 240)
    v.show()
    qtbot.waitExposed(v)
    yield v
    runner.shutdown()  # before the player frees its synth


def band_of(hz: float) -> int:
    from app.audio.spectrum import mel_band_centres

    return int(np.argmin(np.abs(mel_band_centres(2 * MAX_HZ, N_MELS) - hz)))  # bands from 0 Hz to MAX_HZ


def columns(grid: np.ndarray, start: float, end: float) -> np.ndarray:
    return (grid >= start) & (grid < end)


def test_a_note_lights_its_band_at_its_ticks_across_a_tempo_change(qtbot, view):
    # A4 from beat 4 to 6; the tempo halves at beat 2, so seconds and ticks disagree after it
    score = piano([(1920, 69, 960)], tempos=(TempoChange(0, 120.0), TempoChange(960, 60.0)))
    with qtbot.waitSignal(view.computed, timeout=30000):
        view.service.set_score(score)
    db, grid = view.spectrogram()
    assert db.shape == (N_MELS, len(grid)) and db.dtype == np.float32
    assert grid[0] == 0 and np.all(np.diff(grid) == grid[1] - grid[0])
    assert grid[-1] >= 2880  # the note's end (and the release tail after it)
    a4 = band_of(440.0)
    during = db[a4, columns(grid, 1980, 2820)]
    before = db[a4, columns(grid, 0, 1800)]
    assert during.min() > -40.0  # sounding through the note (0 dB is the loudest bin; a piano decays)
    assert before.max() <= FLOOR_DB + 1  # silent before it
    onset = grid[np.argmax(db[a4] > -40.0)]
    assert abs(onset - 1920) < 40  # where the tempo map puts it (3 s), not at 3 s of 120 bpm (tick 2880)
    assert db[a4, columns(grid, 1980, 2820)].mean() > db[band_of(2000.0), columns(grid, 1980, 2820)].mean() + 20
    assert view.image.image.shape == db.shape


def test_edits_are_debounced_and_only_the_last_score_is_shown(qtbot, view):
    first, last = piano([(0, 60, 480)]), piano([(0, 81, 960)])
    with qtbot.waitSignal(view.computed, timeout=30000):
        view.service.set_score(first)
        view.service.set_score(last)  # within the debounce: the first is never computed
    db, grid = view.spectrogram()
    assert grid[-1] >= 960
    a5 = band_of(880.0)
    assert db[a5, columns(grid, 60, 900)].min() > -30.0
    with qtbot.waitSignal(view.computed, timeout=5000):
        view.service.set_score(piano([]))
    assert view.spectrogram() is None


def test_set_view_puts_a_tick_where_the_piano_roll_has_it(qtbot, view):
    view.set_view(1000.0, 5.0)
    qtbot.waitUntil(lambda: view.viewbox.width() > 700)
    for tick in (1000.0, 1500.0, 3000.0, 4000.0):
        assert view.tick_to_x(tick) == pytest.approx(60 + (tick - 1000.0) / 5.0, abs=1.0)
    view.resize(660, 240)
    qtbot.waitUntil(lambda: view.viewbox.width() < 700)
    assert view.tick_to_x(2000.0) == pytest.approx(60 + 1000.0 / 5.0, abs=1.0)  # zoom kept on resize
    view.set_view(0.0, 10.0)
    assert view.tick_to_x(960.0) == pytest.approx(60 + 96.0, abs=1.0)


def test_playhead_moves_and_the_mouse_does_nothing(qtbot, view):
    view.set_view(0.0, 4.0)
    view.set_playhead(1440)
    assert view.playhead() == 1440.0
    assert view.tick_to_x(view.playhead()) == pytest.approx(60 + 360.0, abs=1.0)
    view.set_playhead(480)
    assert view.playhead() == 480.0
    assert view.viewbox.state["mouseEnabled"] == [False, False]


def test_the_view_renders_with_the_players_synth_and_playback_reuses_it(qtbot, view, player, pulse_server,  # noqa: F811
                                                                          monkeypatch):
    from app.audio.synth import Synth

    made, used = [], []
    init, render_blocks = Synth.__init__, Synth.render_blocks
    monkeypatch.setattr(Synth, "__init__", lambda self, *a, **k: (made.append(self), init(self, *a, **k))[1])
    monkeypatch.setattr(Synth, "render_blocks",
                        lambda self, *a, **k: (used.append(self), render_blocks(self, *a, **k))[1])
    assert view.service.player is player
    with qtbot.waitSignal(view.computed, timeout=30000):
        view.service.set_score(piano([(0, 69, 480)]))
    synth = player.synth(player.playback_rate())
    assert made == [synth] and used == [synth]  # the player's synth, made once, for the spectrogram
    with qtbot.waitSignal(player.stopped, timeout=20000):
        player.play(lambda: piano([(0, 72, 240)]), 0)
    assert made == [synth] and used == [synth, synth]  # playback rendered with it too: one SoundFont load


def test_the_widget_module_only_displays():
    import app.ui.spectrogram_view as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(name.startswith("app.audio") for name in imported), imported
    code = "import sys, app.ui.spectrogram_view; sys.exit('app.audio.synth' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parents[2], env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
