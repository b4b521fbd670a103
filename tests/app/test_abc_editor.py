"""The ABC editor: highlighting, text -> score as one undo step, errors in place, score -> text, tunes."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextDocument

from app.commands import NotesCommand, set_track_command
from app.core.abc.read import read_abc
from app.core.score import Note, Score, TempoChange, Track
from app.ui.abc_editor.editor import AbcEditor
from app.ui.abc_editor.highlighter import AbcHighlighter
from app.ui.abc_editor.text_sync import edit_span, merge_parsed, rewrite_tune, same_music

MULTI = Path(__file__).parents[1] / "data" / "abc" / "multi_tune.abc"
TUNE = "X:1\nT:Scale\nM:4/4\nL:1/8\nK:C\nCDEF GABc|\n"
WAIT = 15000


def notes(score, track=0):
    return [(n.start, n.pitch) for n in score.tracks[track].notes]


@pytest.fixture
def editor(qtbot, doc, runner, settings):
    settings.store.setValue("edit/abc_parse_delay_ms", 100)
    widget = AbcEditor(doc, runner, settings)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: "K:" in widget.abc_text(), timeout=WAIT)  # the document's score, written
    return widget


def user_types(qtbot, editor, text, signal="parsed"):
    """Replace the text as a user edit and wait for the parse result."""
    with qtbot.waitSignal(getattr(editor, signal), timeout=WAIT):
        editor.view.setPlainText(text)


# -- highlighting ---------------------------------------------------------------------

def format_at(block, column):
    ranges = block.layout().formats()
    for rng in ranges:
        if rng.start <= column < rng.start + rng.length:
            return QTextCharFormat(rng.format)  # a copy that outlives the list
    return QTextCharFormat()


def test_highlighter_formats_each_kind_of_token(qapp):
    document = QTextDocument()
    highlighter = AbcHighlighter(document)
    music = '"Am"!trill! ^c2 [CEG] ~d | z2 :| [K:G] % end'
    document.setPlainText(f"X:1\nT:Tune\nK:C\n{music}\n%%MIDI program 40\n")
    highlighter.rehighlight()

    def colour(line, column):
        return format_at(document.findBlockByNumber(line), column).foreground().color()

    def expected(name):
        return highlighter.formats[name].foreground().color()

    assert colour(0, 0) == expected("field") and colour(1, 3) == expected("field_value")
    checks = {'"Am"': "chord_symbol", "!trill!": "decoration", "^": "accidental", "c2": "note",
              "[CEG]": "chord", "~": "decoration", "|": "bar", "z2": "rest", ":|": "bar",
              "[K:G]": "inline_field", "% end": "comment"}
    for token, name in checks.items():
        assert colour(3, music.index(token)) == expected(name), token
    assert colour(3, music.index("[CEG]") + 1) == expected("note")  # notes inside a chord
    assert colour(3, music.index("c2") + 1) == expected("length")
    assert colour(4, 3) == expected("directive")
    kinds = ("field", "note", "accidental", "bar", "chord_symbol", "chord", "decoration", "comment", "rest")
    assert len({expected(n).name() for n in kinds}) == len(kinds)  # each kind reads differently


def test_free_text_between_tunes_is_not_music(qapp):
    document = QTextDocument()
    highlighter = AbcHighlighter(document)
    document.setPlainText("X:1\nK:C\nCDE|\n\nSome words about it\n")
    highlighter.rehighlight()
    assert format_at(document.findBlockByNumber(2), 0).foreground().color() == \
        highlighter.formats["note"].foreground().color()
    assert not document.findBlockByNumber(4).layout().formats()


# -- text -> score ---------------------------------------------------------------------

def test_typed_abc_replaces_the_score_as_one_undo_step(qtbot, editor, doc):
    before = doc.score
    user_types(qtbot, editor, TUNE)
    after = doc.score
    assert notes(after) == [(i * 240, p) for i, p in enumerate([60, 62, 64, 65, 67, 69, 71, 72])]
    assert after.title == "Scale" and after.tracks[0].name == "Piano"  # the document's name is kept
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Edit ABC"
    assert editor.error() is None

    doc.undo_stack.undo()
    assert doc.score is before
    qtbot.waitUntil(lambda: "CDEF" not in editor.abc_text(), timeout=WAIT)  # text follows the score
    doc.undo_stack.redo()
    assert doc.score is after
    qtbot.waitUntil(lambda: editor.abc_text() == TUNE, timeout=WAIT)  # the typed text comes back exactly
    doc.undo_stack.undo()
    assert doc.score is before
    doc.undo_stack.redo()
    assert notes(doc.score) == notes(after) and doc.undo_stack.count() == 1


def test_keystrokes_are_parsed_after_a_pause(qtbot, editor, doc):
    user_types(qtbot, editor, TUNE)
    cursor = editor.view.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.movePosition(QTextCursor.MoveOperation.PreviousCharacter)  # before the final newline
    editor.view.setTextCursor(cursor)
    editor.view.setFocus()
    with qtbot.waitSignal(editor.parsed, timeout=WAIT):
        qtbot.keyClicks(editor.view, " e4 ^f4|")
    assert notes(doc.score)[-2:] == [(1920, 76), (2880, 78)]
    assert doc.undo_stack.count() == 2  # one step for the whole burst of typing
    doc.undo_stack.undo()
    assert len(doc.score.tracks[0].notes) == 8


def test_equal_parse_pushes_nothing(qtbot, editor, doc):
    user_types(qtbot, editor, TUNE)
    user_types(qtbot, editor, TUNE.replace("GABc|", "GABc |  % same notes"))
    assert doc.undo_stack.count() == 1


def test_malformed_abc_shows_line_and_column_and_keeps_the_score(qtbot, editor, doc):
    user_types(qtbot, editor, TUNE)
    score, count = doc.score, doc.undo_stack.count()
    user_types(qtbot, editor, TUNE.replace("GABc|", "GA]Bc|"), signal="parse_failed")
    assert editor.error() == "Line 6, column 8: this ] closes no chord"
    assert doc.score is score and doc.undo_stack.count() == count
    assert "Line 6, column 8" in editor.error_label.text() and editor.error_label.isVisibleTo(editor)
    marks = [s for s in editor.view.extraSelections()
             if s.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline]
    assert len(marks) == 1 and marks[0].cursor.selectedText() == "]"
    assert marks[0].cursor.block().blockNumber() == 5

    user_types(qtbot, editor, TUNE.replace("L:1/8", "L:1/0"), signal="parse_failed")
    assert editor.error().startswith("Line 4, column 3: the unit note length (L:) divides by zero")
    user_types(qtbot, editor, TUNE)  # fixed: the error goes away
    assert editor.error() is None and not editor.view.extraSelections()[1:]


def test_a_stale_parse_result_is_dropped(qtbot, editor, doc):
    editor.view.setPlainText(TUNE)
    editor._start_parse("Edit ABC")  # its result arrives after the text below replaced this one
    with qtbot.waitSignal(editor.parsed, timeout=WAIT):
        editor.view.setPlainText(TUNE.replace("CDEF", "EEEE"))
    assert notes(doc.score)[:4] == [(0, 64), (240, 64), (480, 64), (720, 64)]
    assert doc.undo_stack.count() == 1


# -- score -> text ------------------------------------------------------------------------

def test_a_piano_roll_edit_rewrites_the_text(qtbot, editor, doc):
    editor.view.moveCursor(QTextCursor.MoveOperation.Start)
    doc.undo_stack.push(NotesCommand(doc, 0, [], [Note(0, 72, 480)], "Add note"))
    qtbot.waitUntil(lambda: "c2 z6 |]" in editor.abc_text(), timeout=WAIT)
    assert doc.undo_stack.count() == 1  # writing the text pushes nothing
    assert editor.view.textCursor().position() == 0  # the cursor stays where it was
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: "c2" not in editor.abc_text(), timeout=WAIT)
    doc.undo_stack.redo()
    qtbot.waitUntil(lambda: "c2 z6 |]" in editor.abc_text(), timeout=WAIT)


def test_a_mixer_change_keeps_the_text_and_is_kept_by_the_next_parse(qtbot, editor, doc):
    user_types(qtbot, editor, TUNE)
    editor.view.setPlainText(TUNE.replace("CDEF", "FFFF"))  # typing not parsed yet
    doc.undo_stack.push(set_track_command(doc, 0, "Mute", mute=True, volume=64))
    assert "FFFF" in editor.abc_text()
    with qtbot.waitSignal(editor.parsed, timeout=WAIT):
        pass
    track = doc.score.tracks[0]
    assert (track.mute, track.volume) == (True, 64) and notes(doc.score)[0] == (0, 65)


def test_the_score_wins_over_invalid_typing(qtbot, editor, doc):
    user_types(qtbot, editor, TUNE.replace("GABc|", "GA]Bc|"), signal="parse_failed")
    with qtbot.waitSignal(editor.status_message, timeout=WAIT):
        doc.undo_stack.push(NotesCommand(doc, 0, [], [Note(0, 72, 480)], "Add note"))
    qtbot.waitUntil(lambda: "c2 z6 |]" in editor.abc_text(), timeout=WAIT)
    assert editor.error() is None
    editor.view.undo()  # the editor's own undo brings the typing back
    assert "GA]Bc" in editor.abc_text()


# -- tunes --------------------------------------------------------------------------------

def test_multi_tune_text_shows_the_picker_and_loads_the_chosen_tune(qtbot, editor, doc):
    assert not editor._picker_row.isVisibleTo(editor)
    with qtbot.waitSignal(editor.parsed, timeout=WAIT):
        editor.set_abc_text(MULTI.read_text(), 0)
    assert editor._picker_row.isVisibleTo(editor) and editor.tune_picker.count() == 3
    assert editor.tune_picker.itemText(1) == "X:2  Pickup Jig"
    assert notes(doc.score) == notes(read_abc(MULTI, tune=1))
    count = doc.undo_stack.count()

    editor.tune_picker.setFocus()
    with qtbot.waitSignal(editor.parsed, timeout=WAIT):
        qtbot.keyClick(editor.tune_picker, Qt.Key.Key_Down)
    assert editor.current_tune() == 1 and doc.score.title == "Pickup Jig"
    assert notes(doc.score) == notes(read_abc(MULTI, tune=2))
    assert doc.undo_stack.count() == count + 1
    doc.undo_stack.undo()
    assert doc.score.title == "Golden Reel"
    doc.undo_stack.redo()
    assert doc.score.title == "Pickup Jig"


def test_a_score_edit_rewrites_only_the_chosen_tune(qtbot, editor, doc):
    with qtbot.waitSignal(editor.parsed, timeout=WAIT):
        editor.set_abc_text(MULTI.read_text(), 2)
    assert [t.name for t in doc.score.tracks] == ["Flute", "Cello"]
    doc.undo_stack.push(NotesCommand(doc, 1, doc.score.tracks[1].notes[:1], [], "Delete note"))
    qtbot.waitUntil(lambda: "G,3" not in editor.abc_text(), timeout=WAIT)
    text = editor.abc_text()
    assert "T:Golden Reel" in text and "T:Pickup Jig" in text and "X:3" in text
    assert text.index("X:3") > text.index("Pickup Jig")
    assert text.splitlines()[0] == "%abc-2.1"


def test_opening_a_file_whose_score_is_loaded_pushes_nothing(qtbot, editor, doc):
    doc.replace_all(read_abc(MULTI, tune=2))
    with qtbot.waitSignal(editor.parsed, timeout=WAIT):
        editor.set_abc_text(MULTI.read_text(), 1)
    assert doc.undo_stack.count() == 0 and editor.abc_text() == MULTI.read_text()


# -- pure helpers ---------------------------------------------------------------------------

def test_merge_keeps_what_abc_does_not_say():
    current = Score(tracks=(Track("Lead", 40, False, (), volume=70, mute=True),), provenance={"model": "x"})
    parsed = Score(tracks=(Track("", 0, False, (Note(0, 60, 480),)), Track("", 0, False, ())))
    merged = merge_parsed(current, parsed, programs_from_abc=False)
    assert [(t.name, t.program, t.volume, t.mute) for t in merged.tracks] == [("Lead", 40, 70, True),
                                                                               ("Track 2", 0, 100, False)]
    assert merged.provenance == {"model": "x"}
    assert merge_parsed(current, parsed, programs_from_abc=True).tracks[0].program == 0


def test_same_music_ignores_the_mixer_only():
    a = Score(tracks=(Track("A", 0, False, (Note(0, 60, 480),)),))
    assert same_music(a, a.with_tracks([Track("B", 0, False, a.tracks[0].notes, volume=3, solo=True)]))
    assert not same_music(a, a.with_tracks([Track("A", 1, False, a.tracks[0].notes)]))
    assert not same_music(a, Score(tracks=a.tracks, tempos=(TempoChange(0, 90),)))


def test_rewrite_tune_keeps_other_tunes_number_and_extra_header_lines():
    text = MULTI.read_text()
    new_text, tunes, span = rewrite_tune(Score(tracks=(Track("", 0, False, (Note(0, 60, 480),)),)), text, 0)
    assert [n for n, _ in tunes] == [1, 2, 3]
    assert "C:Trad." in new_text and "X:1\nC:Trad.\nM:4/4" in new_text and "T:Pickup Jig" in new_text
    start, end, replacement = span
    assert text[:start] + replacement + text[end:] == new_text


def test_edit_span_counts_utf16_like_qt():
    assert edit_span("T:🎵 a\nCDE\n", "T:🎵 a\nCFE\n") == (8, 9, "F")
    assert edit_span("abc", "abc") == (3, 3, "")
