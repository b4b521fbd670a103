"""The Audio Lab dock's panel: sources A and B, the actions, progress and cancel, and the results.

Each result is a row: source A's spectrogram beside the result's, so what
changed can be seen as well as heard; every clip plays with a playhead
(:class:`~app.ui.audio_lab.clip_player.ClipPlayer`) and saves as WAV or
FLAC (``app.audio.export``). The work runs in the service's worker; Run is
refused while a task runs (Cancel stops it), and every failure is one
sentence in the status line.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (QFileDialog, QLabel, QProgressBar, QPushButton, QScrollArea, QSpinBox, QVBoxLayout,
                               QWidget)

from app.core.errors import CadenzaError
from app.services.audio_lab import AudioLabService, LabJob, LabResult, Shown
from app.ui.audio_lab.actions import TITLES, ActionTabs
from app.ui.audio_lab.clip_player import ClipPlayer
from app.ui.audio_lab.clip_view import ClipView
from app.ui.audio_lab.sources import AudioDrops, Renderable, SourceSlot
from app.ui.generation.boxes import STRETCH, column, row
from models.common.options import RANDOM_SEED_MAX

SAVE_FILTER = "FLAC audio (*.flac);;WAV audio (*.wav)"
CANCELLED = "Cancelled: no result was made."
NEED_A = "Choose source A first: render the score or open an audio file."
NEED_B = "{action} needs source B as well: render or open a second clip."


class AudioLabPanel(AudioDrops, QWidget):
    """Sources, actions and results of the Audio Lab (see module doc)."""

    status_message = Signal(str)
    result_shown = Signal(object)  # LabResult, once its rows are shown
    source_shown = Signal(str)  # "A" or "B", once its spectrogram is shown

    def __init__(self, service: AudioLabService, renderable: Renderable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.player = ClipPlayer(self)
        self.sources = {"A": SourceSlot("A", "A — content / clip", renderable),
                        "B": SourceSlot("B", "B — style / second clip", renderable)}
        self.actions = ActionTabs()
        self.seed = QSpinBox()
        self.seed.setRange(0, RANDOM_SEED_MAX)
        self.seed.setPrefix("Seed ")
        self.run_button, self.cancel_button = QPushButton("Run"), QPushButton("Cancel")
        self.clear_button = QPushButton("Clear Results")
        self.cancel_button.setEnabled(False)
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.results: list[tuple[LabResult, list[ClipView]]] = []
        self._run_source: Shown | None = None  # source A of the run under way, shown beside its results
        self._results_box = QVBoxLayout()
        self._results_box.addStretch(1)
        holder = QWidget()
        holder.setLayout(self._results_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        column(self.sources["A"], self.sources["B"], self.actions,
               row(self.seed, STRETCH, self.clear_button, self.run_button, self.cancel_button), self.progress_bar,
               self.status,
               (scroll, 1), margins=(4, 4, 4, 4), parent=self)
        self.setAcceptDrops(True)
        self._connect()

    def _connect(self) -> None:
        for slot in self.sources.values():
            slot.file_chosen.connect(self.open_file)
            slot.render_chosen.connect(self._on_slot_render_chosen)
            slot.view_added.connect(self._watch)
        self.run_button.clicked.connect(self.run)
        self.clear_button.clicked.connect(self.clear_results)
        self.cancel_button.clicked.connect(self.service.cancel)
        s = self.service
        s.source_ready.connect(self._on_service_source_ready)
        s.finished.connect(self._on_service_finished)
        s.failed.connect(self._on_service_failed)
        s.cancelled.connect(self._on_service_cancelled)
        s.progress.connect(self._on_service_progress)
        self.player.position_changed.connect(lambda view, seconds: view.set_playhead(seconds))
        self.player.playing_changed.connect(self._on_player_playing_changed)
        self.player.error_occurred.connect(self.say)

    # -- starting work ------------------------------------------------------------------------
    def open_file(self, slot: str, path: str) -> None:
        """Read the audio file at ``path`` into source ``slot`` ("A" or "B")."""
        self._busy(f"Reading {Path(path).name}…")
        self.service.open_file(slot, path)

    def render(self, slot: str, name: str, score) -> None:
        """Render ``score`` into source ``slot``."""
        self._busy(f"Rendering {name}…")
        self.service.render(slot, score, name)

    @Slot(str, str, object)
    def _on_slot_render_chosen(self, slot: str, name: str, score) -> None:
        self.render(slot, name, score)

    def run(self) -> None:
        """Run the action of the tab shown on the sources (one sentence when something is missing)."""
        action = self.actions.action()
        a, b = self.sources["A"].shown, self.sources["B"].shown
        if a is None:
            self.say(NEED_A)
            return
        if self.actions.needs_b() and b is None:
            self.say(NEED_B.format(action=TITLES[action]))
            return
        job = LabJob(action, a.clip, b.clip if b is not None else None, self.actions.params(), self.seed.value())
        self._run_source = a
        self._busy(f"{TITLES[action]}…")
        self.service.run(job)

    def cancel(self) -> None:
        self.service.cancel()

    def _busy(self, words: str) -> None:
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setVisible(True)
        self.status.setText(words)

    def _idle(self, words: str) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress_bar.setVisible(False)
        self.say(words)

    def say(self, words: str) -> None:
        """One sentence in the status line (and the window's status bar)."""
        self.status.setText(words)
        self.status_message.emit(words)

    # -- service reports ------------------------------------------------------------------------
    def _on_service_progress(self, item) -> None:
        if isinstance(item, float):
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(max(0.0, min(1.0, item)) * 1000))
        elif getattr(item, "message", ""):
            self.status.setText(item.message)

    def _on_service_source_ready(self, slot: str, shown: Shown) -> None:
        self.sources[slot].set_source(shown)
        self._idle(f"Source {slot}: {shown.clip.name}, {shown.clip.seconds:.1f} s.")
        self.source_shown.emit(slot)

    def _on_service_finished(self, result: LabResult) -> None:
        source = self._run_source if self._run_source and self._run_source.clip is result.job.a else None
        views = [self._add_row(source, shown, index) for index, shown in enumerate(result.results)]
        self.results.append((result, views))
        self._idle(f"{TITLES[result.job.action]}: {result.description}.")
        self.result_shown.emit(result)

    def _add_row(self, source: Shown | None, shown: Shown, index: int) -> ClipView:
        holder = QWidget()
        view = ClipView(shown, holder)
        items = [(view, 1)]
        if source is not None:
            items.insert(0, (ClipView(source, holder, saveable=False), 1))
        row(*items, parent=holder)
        for child in holder.findChildren(ClipView):
            self._watch(child)
        self._results_box.insertWidget(index, holder)
        return view

    def clear_results(self) -> None:
        """Remove every result row (a result playing stops)."""
        if isinstance(self.player.key, ClipView) and not any(self.player.key is s.view for s in self.sources.values()):
            self.player.stop()
        while self._results_box.count() > 1:  # the last item is the stretch
            holder = self._results_box.takeAt(0).widget()
            holder.setParent(None)
            holder.deleteLater()
        self.results.clear()

    def _on_service_failed(self, message: str) -> None:
        self._idle(message)

    def _on_service_cancelled(self) -> None:
        self._idle(CANCELLED)

    # -- clips: play and save -------------------------------------------------------------------
    def _watch(self, view: ClipView) -> None:
        view.play_requested.connect(lambda v=view: self.toggle_play(v))
        view.save_requested.connect(lambda v=view: self.save(v))

    def toggle_play(self, view: ClipView) -> None:
        """Play ``view``'s clip (or stop it when it is the one playing)."""
        if self.player.key is view:
            self.player.stop()
            return
        try:
            self.player.play(view, view.shown.clip)
        except CadenzaError as exc:
            self.say(str(exc))
            view.set_playing(False)

    def _on_player_playing_changed(self, key) -> None:
        for view in self.findChildren(ClipView):
            view.set_playing(view is key)

    def ask_save_path(self, view: ClipView) -> str:
        """The file the musician names (its type from the filter chosen when it has no extension); '' if none."""
        stem = view.shown.clip.name.rsplit(".", 1)[0].replace("/", "-")
        path, chosen = QFileDialog.getSaveFileName(self, "Save the clip", f"{stem}.flac", SAVE_FILTER)
        if path and not Path(path).suffix:
            path += ".wav" if "WAV" in chosen else ".flac"
        return path

    def save(self, view: ClipView, path: str | None = None) -> bool:
        """Write ``view``'s clip to ``path`` (asked for when None) as WAV or FLAC; says what happened."""
        from app.audio.export import write_audio

        path = path if path is not None else self.ask_save_path(view)
        if not path:
            return False
        clip = view.shown.clip
        try:
            write_audio(clip.audio, path, clip.sample_rate, bit_depth=24)
        except CadenzaError as exc:
            self.say(str(exc))
            return False
        self.say(f"Saved {Path(path).name}.")
        return True

    # -- the dock takes a dropped file as A -------------------------------------------------------
    def audio_dropped(self, path: str) -> None:
        self.open_file("A", path)

    def shutdown(self) -> None:
        """On close: stop playing, cancel the work, remove the temporary clips."""
        self.player.shutdown()
        self.service.shutdown()
