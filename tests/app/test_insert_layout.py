"""Taking a variation in leaves the window's layout alone: the left docks keep their width.

The Phrases view (tabbed with the Variations gallery, so in the same dock
column as the Tracks list) shows the inserted phrase's provenance, whose
checkpoint path and sha256 are long unbreakable lines; they must never widen
that column and squeeze the piano roll.
"""

from generation_window import gen_window, generate  # noqa: F401 (fixture)


def widths(window) -> tuple[int, int, int]:
    return window.docks["tracks"].width(), window.docks["variations"].width(), window.roll.width()


def settle(qtbot) -> None:
    qtbot.wait(50)  # the main window's layout is redone in a posted event


def test_inserting_a_variation_keeps_the_tracks_dock_width(gen_window, qtbot):
    gallery = gen_window.generation_ui.gallery
    generate(gen_window, qtbot)
    settle(qtbot)
    before = widths(gen_window)
    assert 300 <= before[0] <= 360  # the width the window lays out (330)
    for mode in ("playhead", "tracks"):
        assert gallery.insert(gallery.cards()[1], mode)
        gen_window.docks["phrases"].raise_()  # the provenance of the phrase is shown
        settle(qtbot)
        assert widths(gen_window) == before, mode
    gen_window.actions["undo"].trigger()
    gen_window.actions["undo"].trigger()
    settle(qtbot)
    assert gen_window.doc.score.note_count == 0
    assert widths(gen_window) == before
