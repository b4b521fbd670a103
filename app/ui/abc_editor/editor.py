"""The ABC editor: text that becomes the score, and the score written back as text.

Typing restarts a timer (``Settings.abc_parse_delay_ms``); when it fires, the
text is checked and read in a worker (``abc-parse``: ``check_and_read_abc``,
which reads in a child process under the parse time limit). A result for text
that has changed since is dropped. A good parse replaces the score as one
undoable "Edit ABC" step (nothing is pushed if it equals the score); the
track properties ABC does not carry are kept (``text_sync.merge_parsed``). A
bad parse shows "Line L, column C: ..." under the text, marks the place with a
red wavy underline, and leaves the score as it was.

When the score changes elsewhere (piano roll, track list, undo/redo), the
text follows it ~150 ms later (``abc-write`` in a worker, or at once when the
text for that exact score is remembered, as after undoing an ABC edit). The
text is changed in one edit block, only where it differs, so the cursor and
scroll stay put. The rule when both sides change: **the score is the truth
once an edit lands in it.** A change ABC text cannot show (volume, mute,
solo) leaves the text, and any typing, alone. Any other change replaces
unparsed or invalid typing with the score's text (a status message says so;
Ctrl+Z in the editor brings the typing back, and it is parsed again).

A file may hold several tunes; a picker (shown only then) lists them by X:
number and title, and choosing one reads it into the score as one undoable
step. Score changes rewrite only the chosen tune's part of the text.
"""

from __future__ import annotations

from collections import OrderedDict
from html import escape

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.commands import ReplaceScoreCommand
from app.core.abc.errors import AbcProblem, AbcReading, check_and_read_abc
from app.core.score import Score
from app.document import Document
from app.settings import Settings
from app.tasks import TaskKind, TaskRunner
from app.ui.abc_editor.code_view import ERROR_COLOUR, AbcTextEdit
from app.ui.abc_editor.highlighter import AbcHighlighter
from app.ui.abc_editor.text_sync import Span, edit_span, merge_parsed, rewrite_tune, same_music

SYNC_DELAY_MS = 150
KNOWN_TEXTS = 64  # scores whose exact text is remembered (undo/redo of ABC edits)
Tunes = list[tuple[int, str]]


class AbcEditor(QWidget):
    """ABC text editor bound to a Document (see module doc)."""

    parse_failed = Signal(str)  # "Line 4, column 12: ..."
    parsed = Signal()  # a parse landed in the score, or matched it
    status_message = Signal(str)

    def __init__(self, doc: Document, runner: TaskRunner, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.runner, self.settings = doc, runner, settings
        self._tune = 0
        self._tunes: Tunes = []
        self._last_text = ""
        self._problem: AbcProblem | str | None = None
        self._known: OrderedDict[int, tuple[Score, str, Tunes]] = OrderedDict()
        self._seen: Score | None = None  # the score the editor last synchronised with
        self._text_score: Score | None = None  # the score the shown text describes (None: edited/invalid)
        self._parse_token = self._write_token = 0
        self._applying = self._pushing = False
        self._adopting = self._sync_deferred = False  # set_abc_text's parse is in flight
        self._build()
        self._parse_timer = QTimer(self, singleShot=True, interval=settings.abc_parse_delay_ms)
        self._parse_timer.timeout.connect(self._on_parse_timer_timeout)
        self._sync_timer = QTimer(self, singleShot=True, interval=SYNC_DELAY_MS)
        self._sync_timer.timeout.connect(self._on_sync_timer_timeout)
        self.view.textChanged.connect(self._on_view_text_changed)
        doc.changed.connect(self._on_doc_changed)
        doc.score_reset.connect(self._on_doc_changed)
        self._sync_timer.start()

    def _build(self) -> None:
        self.view = AbcTextEdit(self)
        self.highlighter = AbcHighlighter(self.view.document())
        self.tune_picker = QComboBox(self)
        self.tune_picker.setToolTip("This ABC text holds several tunes: the one chosen is in the score")
        self.tune_picker.activated.connect(self._on_tune_picker_activated)
        self._picker_row = QWidget(self)
        row = QHBoxLayout(self._picker_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Tune:", self._picker_row))
        row.addWidget(self.tune_picker, 1)
        self._picker_row.hide()
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOUR.name()}; padding: 2px 4px;")
        self.error_label.linkActivated.connect(self._on_error_label_link_activated)
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._picker_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error_label)

    # -- public -------------------------------------------------------------------
    def set_abc_text(self, text: str, tune_index: int = 0) -> None:
        """Show ``text`` (a whole .abc file) and read tune ``tune_index`` (its position) into the score.

        If the tune reads as the document's score (as after opening the file)
        nothing is pushed; otherwise it lands as one undoable step.
        """
        self._parse_timer.stop()
        self._sync_timer.stop()
        self._write_token += 1
        self._tune = max(0, tune_index)
        self._applying = True
        try:
            self.view.setPlainText(text.replace("\r\n", "\n").replace("\r", "\n"))
        finally:
            self._applying = False
        self._last_text = self.view.toPlainText()
        self._text_score = None
        self._adopting, self._sync_deferred = True, False
        self._start_parse("Load ABC tune")

    def abc_text(self) -> str:
        return self.view.toPlainText()

    def error(self) -> str | None:
        """The current parse error ("Line L, column C: ..."), or None."""
        return None if self._problem is None else str(self._problem)

    def current_tune(self) -> int:
        """Position of the tune being edited among the text's tunes."""
        return self._tune

    # -- text -> score ----------------------------------------------------------------
    @Slot()
    def _on_view_text_changed(self) -> None:
        if self._applying:
            return
        text = self.view.toPlainText()
        if text == self._last_text:  # formats only (highlighting)
            return
        self._last_text = text
        self._text_score = None
        self._parse_timer.start(self.settings.abc_parse_delay_ms)

    @Slot()
    def _on_parse_timer_timeout(self) -> None:
        self._start_parse("Edit ABC")

    def _start_parse(self, command_text: str) -> None:
        self._parse_timer.stop()
        self._parse_token += 1
        token, text = self._parse_token, self.view.toPlainText()
        self.runner.start(TaskKind.ABC_PARSE, check_and_read_abc, text, self._tune, self.doc.score.ppq,
                          on_result=lambda reading: self._on_parse_finished(reading, token, text, command_text),
                          on_error=lambda message: self._on_parse_error(message, token))

    def _on_parse_finished(self, reading: AbcReading, token: int, text: str, command_text: str) -> None:
        if token != self._parse_token or text != self.view.toPlainText():
            return  # stale: the text changed since
        self._show_tunes(reading.tunes, reading.tune_index)
        if reading.problem is not None:
            self._show_problem(reading.problem)
            self._end_adopting()
            self.parse_failed.emit(str(reading.problem))
            return
        self._show_problem(None)
        merged = merge_parsed(self.doc.score, reading.score, reading.says_programs)
        if merged != self.doc.score:
            self._pushing = True
            try:
                self.doc.undo_stack.push(ReplaceScoreCommand(self.doc, merged, command_text))
            finally:
                self._pushing = False
        self._remember(self.doc.score, text, reading.tunes)
        self._end_adopting()
        self.parsed.emit()

    def _on_parse_error(self, message: str, token: int) -> None:
        if token != self._parse_token:
            return
        self._show_problem(message)
        self._end_adopting()
        self.parse_failed.emit(message)

    def _end_adopting(self) -> None:
        deferred = self._adopting and self._sync_deferred
        self._adopting = self._sync_deferred = False
        if deferred and self._text_score is not None:
            self._sync_timer.start()  # a change arrived meanwhile; a bad opened text stays as it is

    @Slot(int)
    def _on_tune_picker_activated(self, index: int) -> None:
        if index == self._tune or not 0 <= index < len(self._tunes):
            return
        self._tune = index
        number, title = self._tunes[index]
        self.status_message.emit(f"Reading tune X:{number} {title}".rstrip())
        self._start_parse(f"Choose tune X:{number}")

    # -- score -> text ------------------------------------------------------------------
    @Slot()
    def _on_doc_changed(self) -> None:
        if self._pushing:
            return
        if self._adopting:
            self._sync_deferred = True
            return
        score = self.doc.score
        if self._seen is not None and same_music(self._seen, score):
            self._seen = score  # only what ABC does not show changed: keep the text and any typing
            if self._text_score is not None:
                self._remember(score, self._last_text, self._tunes)
            return
        self._parse_timer.stop()  # the score is the truth: pending typing yields
        self._parse_token += 1
        self._sync_timer.start()

    @Slot()
    def _on_sync_timer_timeout(self) -> None:
        if self._adopting:
            self._sync_deferred = True
            return
        score = self.doc.score
        known = self._known.get(id(score))
        if known is not None and known[0] is score:
            self._show_synced(score, edit_span(self.view.toPlainText(), known[1]), known[2])
            return
        self._write_token += 1
        token, base = self._write_token, self.view.toPlainText()
        self.runner.start(TaskKind.ABC_WRITE, rewrite_tune, score, base, self._tune,
                          on_result=lambda result: self._on_write_finished(result, token, base, score),
                          on_error=lambda message: self.status_message.emit(f"ABC text not updated: {message}"))

    def _on_write_finished(self, result: tuple[str, Tunes, Span], token: int, base: str, score: Score) -> None:
        if token != self._write_token or self.doc.score is not score:
            return  # a newer change or text edit superseded it
        if self.view.toPlainText() != base:
            self._sync_timer.start()
            return
        _, tunes, span = result
        self._show_synced(score, span, tunes)

    def _show_synced(self, score: Score, span: Span, tunes: Tunes) -> None:
        """Apply ``span`` to the text, which then describes ``score``."""
        changes_text = span[0] != span[1] or bool(span[2])
        if changes_text and self._text_score is None and self._last_text.strip():
            self.status_message.emit("The ABC text now shows the score; your unapplied ABC edit was replaced "
                                     "(Ctrl+Z in the ABC editor brings it back).")
        self._parse_timer.stop()
        self._parse_token += 1
        self._apply_span(span)
        self._show_tunes(tunes, self._tune)
        self._show_problem(None)
        self._remember(score, self._last_text, tunes)

    def _apply_span(self, span: Span) -> None:
        start, end, replacement = span
        if start == end and not replacement:
            return
        self._applying = True
        try:
            cursor = QTextCursor(self.view.document())
            cursor.beginEditBlock()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(replacement)
            cursor.endEditBlock()
        finally:
            self._applying = False
        self._last_text = self.view.toPlainText()

    def _remember(self, score: Score, text: str, tunes: Tunes) -> None:
        self._known[id(score)] = (score, text, list(tunes))
        self._known.move_to_end(id(score))
        while len(self._known) > KNOWN_TEXTS:
            self._known.popitem(last=False)
        self._seen = score
        self._text_score = score if text == self._last_text else None

    # -- display --------------------------------------------------------------------
    def _show_tunes(self, tunes: Tunes, index: int) -> None:
        self._tunes = list(tunes)
        self._tune = max(0, min(index, len(tunes) - 1)) if tunes else 0
        labels = [f"X:{number}  {title}".rstrip() for number, title in tunes]
        self.tune_picker.blockSignals(True)
        if [self.tune_picker.itemText(i) for i in range(self.tune_picker.count())] != labels:
            self.tune_picker.clear()
            self.tune_picker.addItems(labels)
        self.tune_picker.setCurrentIndex(self._tune if tunes else -1)
        self.tune_picker.blockSignals(False)
        self._picker_row.setVisible(len(tunes) > 1)

    def _show_problem(self, problem: AbcProblem | str | None) -> None:
        self._problem = problem
        if problem is None:
            self.error_label.hide()
            self.view.set_error(None)
            return
        if isinstance(problem, AbcProblem):
            where = f"Line {problem.line}, column {problem.column}"
            self.error_label.setText(f'<a href="error" style="color: {ERROR_COLOUR.name()};">{where}</a>: '
                                     f"{escape(problem.message)}")
            self.view.set_error(problem.line, problem.column, problem.length)
        else:
            self.error_label.setText(escape(problem))
            self.view.set_error(None)
        self.error_label.show()

    @Slot(str)
    def _on_error_label_link_activated(self, _link: str) -> None:
        self.view.go_to_error()
