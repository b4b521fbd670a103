"""Auditioning leaves the transport alone, and a variation goes in on the bar.

An audition (a variation or a seed) plays on the window's player from the
auditioned score's own start; the playhead, the transport's position, the
spectrogram's playhead and the Play button stay where the musician left them,
so "Insert at Playhead" afterwards lands where it was meant to: on the bar
line nearest the playhead (at its exact tick when snap is off).
"""

from PySide6.QtCore import Qt

from app.core.score import Note, Score, TimeSignature, Track
from app.core.variations import phrases
from app.settings import SNAPS
from app.ui.pianoroll.grid import nearest_bar_line
from generation_window import TIMEOUT_MS, gen_window, generate  # noqa: F401 (fixture)
from pulse import pulse_server  # noqa: F401 (the session fixture)

BAR = 1920


def with_sketch(window) -> None:
    window.doc.replace_all(window.doc.score.with_tracks([Track("Piano", 0, False, (Note(0, 60, 4 * BAR),))]))


def transport_state(window) -> tuple:
    return (window.roll.playhead(), window.transport.position.text(), window.spectrogram.playhead(),
            window.actions["play"].isChecked())


def test_an_audition_leaves_the_playhead_and_the_transport_where_they_were(gen_window, qtbot,
                                                                         pulse_server):  # noqa: F811
    gallery, player = gen_window.generation_ui.gallery, gen_window.player
    with_sketch(gen_window)
    generate(gen_window, qtbot)
    card = gallery.cards()[0]
    gen_window.roll.ruler.playhead_moved.emit(BAR)  # the musician clicks the ruler at bar 2
    before = transport_state(gen_window)
    assert before == (BAR, "2.1  0:02.0", float(BAR), False)
    heard = []
    gallery.audition.position_changed.connect(lambda _key, tick: heard.append(tick))
    with qtbot.waitSignal(player.started, timeout=TIMEOUT_MS):
        qtbot.mouseClick(card.play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(heard) and heard[-1] > 0, timeout=TIMEOUT_MS)
    assert player.position() < BAR  # the variation plays from its own start...
    assert transport_state(gen_window) == before  # ...and the window's playhead does not follow it
    with qtbot.waitSignal(player.stopped, timeout=TIMEOUT_MS):
        qtbot.mouseClick(card.play, Qt.MouseButton.LeftButton)
    assert gallery.audition.key is None and transport_state(gen_window) == before


def test_play_during_an_audition_plays_the_sketch_from_the_playhead(gen_window, qtbot, pulse_server):  # noqa: F811
    gallery, player = gen_window.generation_ui.gallery, gen_window.player
    with_sketch(gen_window)
    generate(gen_window, qtbot)
    gen_window.roll.ruler.playhead_moved.emit(BAR)
    with qtbot.waitSignal(player.started, timeout=TIMEOUT_MS):
        gallery.play(gallery.cards()[0])
    with qtbot.waitSignal(player.started, timeout=TIMEOUT_MS):
        gen_window.actions["play"].trigger()
    assert gallery.audition.key is None and gen_window.playback.is_playing()
    assert gen_window.actions["play"].isChecked() and player.position() >= BAR
    qtbot.waitUntil(lambda: gen_window.roll.playhead() > BAR, timeout=TIMEOUT_MS)  # the sketch moves it
    with qtbot.waitSignal(player.stopped, timeout=TIMEOUT_MS):
        gen_window.actions["play"].trigger()
    assert not gen_window.actions["play"].isChecked()


def test_insert_at_the_playhead_lands_on_the_nearest_bar_unless_snap_is_off(gen_window, qtbot):
    doc, gallery = gen_window.doc, gen_window.generation_ui.gallery
    generate(gen_window, qtbot)
    card = gallery.cards()[0]
    starts = []
    for playhead, snap in ((BAR + 250, "1/16"), (2 * BAR - 300, "1/4"), (BAR + 250, "off")):
        gen_window.transport.snap.setCurrentIndex(SNAPS.index(snap))
        gen_window.roll.set_playhead(playhead)
        assert gallery.insert(card, "playhead")
        starts.append(phrases(doc.score)[-1].start)
        assert min(n.start for n in doc.score.tracks[0].notes) == starts[-1]
        doc.undo_stack.undo()
    assert starts == [BAR, 2 * BAR, BAR + 250]


def test_nearest_bar_line_follows_meter_changes():
    score = Score(tracks=(Track(),), time_signatures=(TimeSignature(0, 4, 4), TimeSignature(BAR, 3, 4)))
    three_four = 1440
    assert [nearest_bar_line(score, t) for t in (0, 959, 961, BAR + 700, BAR + 740, BAR + 5 * three_four + 1)] \
        == [0, 0, BAR, BAR, BAR + three_four, BAR + 5 * three_four]
