"""The Listening Test dialog (Generate menu): human or machine? A blind test a musician runs on their own models.

Three pages: *set up* (models, clips, bars, one instrument and tempo, the
listener's name; or an existing test for the next listener), *listen* (only
"Clip 3 of 10", a play button with a playhead, Human or Machine and a
confidence from 1 to 5: no piano roll, no name, no source) and *results*
(accuracy overall and per model with 95% Wilson intervals, the binomial test
against guessing, the confusion table, the write-up's 50% of 350 responses,
and the clips revealed, each openable in the editor). Every clip is made
before the test starts (a task of its own kind); each listener hears the
same clips in their own order, and each session is appended to results.csv
and results.json in the user data folder's listening-tests folder.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QCheckBox, QDialog, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox,
                               QPlainTextEdit, QPushButton, QRadioButton, QSlider, QSpinBox, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.core.errors import CadenzaError
from app.core.listening.sheet import (AnswerKey, append_results, listener_order, report_text, responses_for,
                                      sessions)
from app.core.listening.stats import HUMAN, MACHINE, format_summary, summarize
from app.core.paths import listening_tests_dir
from app.services.listening_test import SOURCES_DIR, TestOptions, make_test
from app.tasks import TaskKind, TaskRunner

SETUP, LISTEN, RESULTS = range(3)


class ListeningTestDialog(QDialog):
    """Make or take a blind listening test; ``open_path`` opens a revealed clip's MIDI in the editor."""

    test_ready = Signal()  # the clips are made (or read) and the first one is shown
    finished_test = Signal(dict)  # the summary, once the last answer is given

    def __init__(self, runner: TaskRunner, open_path: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Listening Test")
        self.runner, self.open_path = runner, open_path
        self.key: AnswerKey | None = None
        self.folder: Path | None = None
        self.order: list[str] = []
        self.answers: dict[str, tuple[str, int]] = {}
        self.listener = ""
        self.summary: dict | None = None
        self._player = None
        self.pages = QStackedWidget()
        self.pages.addWidget(self._setup_page())
        self.pages.addWidget(self._listen_page())
        self.pages.addWidget(self._results_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.resize(620, 460)

    # set up
    def _setup_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.models = QListWidget()
        self.models.setMaximumHeight(120)
        for entry in _installed_models():
            item = QListWidgetItem(entry)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.models.addItem(item)
        self.clips = QSpinBox(minimum=2, maximum=200, value=10)
        self.bars = QSpinBox(minimum=1, maximum=64, value=8)
        self.seconds = QSpinBox(minimum=0, maximum=120, value=0, suffix=" s")
        self.seconds.setSpecialValueText("as long as the shortest clip")
        self.seconds.setToolTip("Cut every clip to this many seconds (20 s is a common choice)")
        self.same_sound = QCheckBox("Render every clip with one instrument (piano) and tempo")
        self.same_sound.setChecked(True)
        self.human_data = QLineEdit()
        self.human_data.setPlaceholderText("the held-out (test) split of each model's training data")
        self.human_data.setToolTip("A folder of MIDI, MusicXML or ABC files, or corpus:NAME, for the human clips")
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._choose_human_folder)
        human_row = QHBoxLayout()
        human_row.addWidget(self.human_data, 1)
        human_row.addWidget(browse)
        self.listener_name = QLineEdit()
        self.listener_name.setPlaceholderText("optional")
        form.addRow("Models:", self.models)
        form.addRow("Clips:", self.clips)
        form.addRow("Bars per clip:", self.bars)
        form.addRow("Cut clips to:", self.seconds)
        form.addRow("", self.same_sound)
        form.addRow("Human clips from:", human_row)
        form.addRow("Listener:", self.listener_name)
        note = QLabel("By default the human clips come from held-out pieces the models never saw.")
        note.setWordWrap(True)
        form.addRow(note)
        self.setup_status = QLabel()
        self.setup_status.setWordWrap(True)
        form.addRow(self.setup_status)
        buttons = QHBoxLayout()
        self.make_button = QPushButton("Make the Test and Start")
        self.make_button.clicked.connect(self.make)
        self.take_button = QPushButton("Take an Existing Test…")
        self.take_button.clicked.connect(self._choose_existing)
        buttons.addWidget(self.take_button)
        buttons.addStretch()
        buttons.addWidget(self.make_button)
        form.addRow(buttons)
        return page

    def _choose_human_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of Human Pieces")
        if folder:
            self.human_data.setText(folder)

    def checked_models(self) -> list[str]:
        return [self.models.item(i).text() for i in range(self.models.count())
                if self.models.item(i).checkState() == Qt.CheckState.Checked]

    def make(self) -> None:
        """Make a new test in the user data folder, then start it (every clip is made first)."""
        models = self.checked_models()
        if not models:
            self.setup_status.setText("Tick at least one model to test.")
            return
        folder = listening_tests_dir() / time.strftime("test-%Y%m%d-%H%M%S")
        options = TestOptions(models=tuple(models), clips=self.clips.value(), bars=self.bars.value(),
                              seconds=float(self.seconds.value()) or None, same_sound=self.same_sound.isChecked(),
                              human_data=(self.human_data.text().strip(),) if self.human_data.text().strip() else (),
                              random_seed=int(time.time()) % 1_000_000)
        self.make_button.setEnabled(False)
        self.take_button.setEnabled(False)
        self.setup_status.setText("Making the clips…")
        self.runner.start(TaskKind.LISTENING_TEST, make_test, folder, options,
                          on_result=lambda key: self.start(folder), on_error=self._make_failed,
                          on_progress=lambda p: self.setup_status.setText(f"Making the clips: {p.message}…"))

    def _make_failed(self, message: str) -> None:
        self.setup_status.setText(message)
        self.make_button.setEnabled(True)
        self.take_button.setEnabled(True)

    def _choose_existing(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a Listening Test", str(listening_tests_dir()))
        if folder:
            self.start(Path(folder))

    def start(self, folder: str | Path) -> None:
        """Take the test in ``folder``: the next listener's own order of its clips."""
        try:
            self.key = AnswerKey.read(folder)
            number = 1 + sum(s["test"] == str(folder) for s in sessions(listening_tests_dir()))
        except CadenzaError as exc:
            self._make_failed(str(exc))
            return
        self.folder = Path(folder)
        self.listener = self.listener_name.text().strip() or f"listener {number}"
        self.order, self.answers, self.index = listener_order(self.key, number), {}, 0
        self.pages.setCurrentIndex(LISTEN)
        self._show_clip()
        self.test_ready.emit()

    # listen
    def _listen_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.clip_label = QLabel()
        self.clip_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.clip_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.clip_label.setFont(font)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._play)
        self.playhead = QSlider(Qt.Orientation.Horizontal)
        self.playhead.sliderMoved.connect(lambda ms: self._player and self._player.setPosition(ms))
        self.human = QRadioButton("Human")
        self.machine = QRadioButton("Machine")
        self.source_group = QButtonGroup(self)
        self.source_group.addButton(self.human)
        self.source_group.addButton(self.machine)
        self.confidence = QSpinBox(minimum=1, maximum=5, value=3)
        self.next_button = QPushButton("Next")
        self.next_button.clicked.connect(self.answer_current)
        self.source_group.buttonToggled.connect(lambda *_: self.next_button.setEnabled(
            self.source_group.checkedButton() is not None))
        row = QHBoxLayout()
        row.addWidget(self.play_button)
        row.addWidget(self.playhead, 1)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Made by:"))
        choice.addWidget(self.human)
        choice.addWidget(self.machine)
        choice.addStretch()
        choice.addWidget(QLabel("Confidence (1-5):"))
        choice.addWidget(self.confidence)
        layout.addStretch()
        layout.addWidget(self.clip_label)
        layout.addLayout(row)
        layout.addLayout(choice)
        layout.addStretch()
        layout.addWidget(self.next_button, alignment=Qt.AlignmentFlag.AlignRight)
        return page

    def _show_clip(self) -> None:
        self.play_button.setChecked(False)
        self.playhead.setValue(0)
        self.source_group.setExclusive(False)
        self.human.setChecked(False)
        self.machine.setChecked(False)
        self.source_group.setExclusive(True)
        self.confidence.setValue(3)
        self.next_button.setEnabled(False)
        last = self.index == len(self.order) - 1
        self.next_button.setText("Finish" if last else "Next")
        self.clip_label.setText(f"Clip {self.index + 1} of {len(self.order)}")

    def current_clip(self) -> Path:
        return self.folder / self.order[self.index]

    def _play(self, on: bool) -> None:
        if not on:
            if self._player is not None:
                self._player.stop()
            self.play_button.setText("Play")
            return
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        if self._player is None:
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(QAudioOutput(self._player))
            self._player.durationChanged.connect(lambda ms: self.playhead.setRange(0, ms))
            self._player.positionChanged.connect(lambda ms: self.playhead.isSliderDown() or self.playhead.setValue(ms))
            self._player.playbackStateChanged.connect(
                lambda state: state == QMediaPlayer.PlaybackState.StoppedState and self.play_button.setChecked(False))
        self._player.setSource(QUrl.fromLocalFile(str(self.current_clip())))
        self._player.play()
        self.play_button.setText("Stop")

    def answer(self, source: str, confidence: int) -> None:
        """Answer the current clip (as the listener would: a choice, a confidence, then Next)."""
        (self.human if source == HUMAN else self.machine).setChecked(True)
        self.confidence.setValue(confidence)
        self.answer_current()

    def answer_current(self) -> None:
        chosen = self.source_group.checkedButton()
        if chosen is None:
            return
        self.answers[self.order[self.index]] = (HUMAN if chosen is self.human else MACHINE, self.confidence.value())
        if self.index + 1 < len(self.order):
            self.index += 1
            self._show_clip()
        else:
            self._finish()

    # results
    def _results_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.results_text = QPlainTextEdit(readOnly=True)
        self.results_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.reveal = QTableWidget(0, 5)
        self.reveal.setHorizontalHeaderLabels(["Clip", "Your answer", "Source", "Model", "Piece"])
        self.reveal.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.reveal.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.reveal.cellDoubleClicked.connect(lambda row, _: self.open_clip(row))
        buttons = QHBoxLayout()
        open_button = QPushButton("Open in Editor")
        open_button.clicked.connect(lambda: self.open_clip(self.reveal.currentRow()))
        export = QPushButton("Export Report…")
        export.clicked.connect(self._choose_report)
        again = QPushButton("Next Listener")
        again.clicked.connect(lambda: self.folder and self.start(self.folder))
        for b in (open_button, export, again):
            buttons.addWidget(b)
        layout.addWidget(self.results_text, 2)
        layout.addWidget(self.reveal, 1)
        layout.addLayout(buttons)
        return page

    def _finish(self) -> None:
        if self._player is not None:
            self._player.stop()
        responses = responses_for(self.key, self.answers, self.listener)
        self.summary = summarize(responses)
        self.responses = responses
        try:
            append_results(listening_tests_dir(), self.folder, self.listener, responses, self.summary,
                           time.strftime("%Y-%m-%dT%H:%M:%S"))
            saved = ""
        except CadenzaError as exc:
            saved = f"\n\nThe results could not be saved: {exc}"
        self.results_text.setPlainText(format_summary(self.summary) + saved)
        clips = sorted(self.key.clips, key=lambda c: c.name)
        self.reveal.setRowCount(len(clips))
        for row, clip in enumerate(clips):
            answer = self.answers.get(clip.name)
            for col, text in enumerate((clip.name, f"{answer[0]} ({answer[1]})" if answer else "-", clip.source,
                                        clip.model if clip.source == MACHINE else
                                        f"(held-out of {clip.model})" if clip.model else "",
                                        clip.piece)):
                self.reveal.setItem(row, col, QTableWidgetItem(text))
        self.pages.setCurrentIndex(RESULTS)
        self.finished_test.emit(self.summary)

    def open_clip(self, row: int) -> None:
        if row < 0 or self.open_path is None:
            return
        name = self.reveal.item(row, 0).text()
        self.open_path(str(self.folder / SOURCES_DIR / f"{Path(name).stem}.mid"))

    def _choose_report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Report", str(self.folder / "report.txt"),
                                              "Text (*.txt)")
        if path:
            try:
                self.export_report(path)
            except OSError as exc:
                QMessageBox.warning(self, "Export Report", f"The report could not be written: {exc.strerror}.")

    def export_report(self, path: str | Path) -> None:
        Path(path).write_text(report_text(self.key, format_summary(self.summary), self.responses, self.listener),
                              encoding="utf-8")

    def done(self, result: int) -> None:  # closed by any means: stop making clips and playing
        self.runner.cancel(TaskKind.LISTENING_TEST)
        if self._player is not None:
            self._player.stop()
        super().done(result)


def _installed_models() -> list[str]:
    """The names of the installed models (bundled and the user's own) whose card names training data."""
    from models.registry import list_models

    try:
        return [e.name for e in list_models() if (e.card.get("training") or {}).get("data")]
    except CadenzaError:
        return []
