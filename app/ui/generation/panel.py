"""The Generation panel (a dock): seed, model, sliders, Generate with progress and Cancel.

Generate runs in a worker through :class:`~app.services.generation.GenerationService`;
moving a slider regenerates after a short pause (and, with Audition on, the
gallery plays the new first variation). Starting a run cancels the one
running; errors (no GPU, out of GPU memory, a broken checkpoint, a cancelled
run) are one sentence under the buttons, and nothing else changes. The model
list is read in a worker shortly after the panel first shows, so the window
never waits for torch. Every choice is remembered in the settings.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QPushButton, QScrollArea, QToolButton, QWidget

from app.core.edits import extract
from app.core.generation_settings import selection_source, source_label
from app.core.provenance import Provenance
from app.core.score import Score
from app.document import Document
from app.services.generation import GenerationService, Job, ModelInfo, job_from_controls
from app.services.generation_controls import SliderState
from app.services.regions import CONTINUE, Region
from app.settings import Settings
from app.tasks import TaskKind
from app.ui.generation.audition import Audition
from app.ui.generation.boxes import STRETCH, column, row
from app.ui.generation.model_picker import ModelPicker
from app.ui.generation.seed_picker import SeedPicker
from app.ui.generation.sliders import GenerationControls
from app.ui.generation.track_options import TrackOptions
from models.common.options import OptionError

DEBOUNCE_MS = 250
FIRST_SCAN_DELAY_MS = 300
STYLE = """
QLabel#section { color: #868c96; font-size: 8pt; font-weight: bold; padding-top: 4px; }
QLabel#hint, QLabel#card { color: #a9b0ba; }
QLabel#status { color: #a9b0ba; }
QLabel#status[error="true"] { color: #ff7b6b; }
QPushButton#generate { background: #3a3f47; border: 1px solid #f2a63b; border-radius: 3px; padding: 3px 14px;
                       font-weight: bold; }
QPushButton#generate:pressed { background: #f2a63b; color: #17191c; }
QProgressBar { max-height: 6px; border: none; background: #17191c; }
QProgressBar::chunk { background: #f2a63b; }
"""


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text.upper(), parent)
    label.setObjectName("section")
    return label


class GenerationPanel(QWidget):
    """Seed, model and sliders in; variations out (to the gallery, through the service)."""

    def __init__(self, service: GenerationService, doc: Document, roll, settings: Settings, audition: Audition,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.doc, self.roll, self.settings, self.audition = service, doc, roll, settings, audition
        self.setStyleSheet(STYLE)
        self.seeds = SeedPicker(self)
        self.models = ModelPicker(self)
        self.controls = GenerationControls(self)
        self.track_options = TrackOptions(self)  # hidden unless the model takes a per-track option
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.setObjectName("generate")
        self.generate_button.setToolTip("Generate variations (Ctrl+G); starting again cancels the run in progress")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.audition_button = QToolButton(self)
        self.audition_button.setText("Audition")
        self.audition_button.setCheckable(True)
        self.audition_button.setToolTip("Play the first new variation as soon as it is generated")
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel("", self)
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self._pending = False
        self._shown = False
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self._lay_out()
        self._restore()
        self._connect()

    def _lay_out(self) -> None:
        body = QWidget()
        sections = [item for title, widget in (("Seed", self.seeds), ("Model", self.models),
                                               ("Sliders", self.controls)) for item in (_section(title, body), widget)]
        column(*sections, self.track_options, STRETCH, margins=(6, 2, 6, 6), parent=body)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        buttons = row(self.generate_button, self.cancel_button, STRETCH, self.audition_button)
        foot = column(buttons, self.progress, self.status, margins=(6, 0, 6, 0))
        column((scroll, 1), foot, margins=(0, 0, 0, 4), parent=self)

    def _restore(self) -> None:
        s = self.settings
        self.controls.set_state(SliderState.from_dict(s.generation_controls))
        self._sync_track_rows()
        self.controls.set_style_source(s.generation_style)
        self.audition_button.setChecked(s.generation_audition)
        seed = s.generation_seed
        if seed.get("kind") in ("seed", "file"):
            self.seeds.choose(seed)

    def _connect(self) -> None:
        svc = self.service
        svc.models_changed.connect(self._on_service_models_changed)
        svc.devices_found.connect(self.controls.set_devices)
        svc.started.connect(self._on_service_started)
        svc.progress.connect(self._on_service_progress)
        svc.variations_ready.connect(self._on_service_variations_ready)
        svc.failed.connect(self._on_service_failed)
        svc.cancelled.connect(self._on_service_cancelled)
        svc.model_loaded.connect(lambda name: self._say(f"{name} is loaded."))
        self.seeds.source_chosen.connect(self._on_seeds_source_chosen)
        self.seeds.selection_requested.connect(self.use_selection)
        self.seeds.audition_requested.connect(self._on_seeds_audition_requested)
        self.models.model_chosen.connect(self._on_models_model_chosen)
        self.controls.changed.connect(self._on_controls_changed)
        self.track_options.changed.connect(self._on_controls_changed)
        self.controls.committed.connect(self._on_controls_committed)
        self.controls.device_changed.connect(self._on_controls_device_changed)
        self.debounce.timeout.connect(self._regenerate)
        self.generate_button.clicked.connect(lambda: self.generate())
        self.cancel_button.clicked.connect(self.cancel)
        self.audition_button.toggled.connect(lambda on: setattr(self.settings, "generation_audition", on))
        self.controls.lock.toggled.connect(lambda _on: self._save_controls())

    # -- public -----------------------------------------------------------------------------
    def refresh_models(self) -> None:
        """Read the model list again (e.g. after a new user model was trained)."""
        self.service.refresh_models()

    def generate(self, new_random_seed: bool = True) -> None:
        """Generate with the current seed, model and sliders (cancels a run in progress).

        Unlocked, a run asked for (Generate) draws a new random seed; a run a moved slider starts keeps the
        one shown (``new_random_seed`` False), so the variations differ by the slider alone.
        """
        self.debounce.stop()
        info = self.models.current()
        if info is None:
            self._pending = True
            if not self.service.scanned:
                self._say("Looking for models…")
                self.service.ensure_models()
            else:
                self._say("No model is installed; train one or reinstall Cadenza.", error=True)
            return
        job = self._job(info, new_random_seed, self.seeds.source())
        if job is not None:
            self.service.generate(job)

    def _job(self, info: ModelInfo, new_random_seed: bool, seed_source: dict, seed: Score | None = None) -> Job | None:
        """The run the controls describe (None, said under the buttons, when it cannot run); ``seed``: a seed
        other than the panel's, whose tracks the per-track values then name."""
        if why := self.models.why_not(info):
            self._say(why, error=True)
            return None
        random_seed = self.controls.next_random_seed() if new_random_seed else self.controls.random_seed.value()
        state = replace(self.controls.state(), random_seed=random_seed)
        try:
            return job_from_controls(info, state, seed_source, self.controls.style_source(),
                                     self.track_options.given(seed))
        except OptionError as exc:  # named by option, worded here with the row's label
            self._say(exc.sentence(exc.option.label), error=True)
            return None

    def generate_region(self, region: Region, seed: Score) -> bool:
        """Regenerate (or continue into) ``region`` of ``seed`` with the chosen model and sliders: the
        panel's Variations, each the region's bars; False (said under the buttons) when it cannot run."""
        self.debounce.stop()
        info = self.models.current()
        if info is None:
            self._say("Looking for models…" if not self.service.scanned
                      else "No model is installed; train one or reinstall Cadenza.", error=self.service.scanned)
            self.service.ensure_models()
            return False
        seed = replace(seed, provenance={})
        job = self._job(info, True, selection_source(seed), seed)
        if job is None:
            return False
        self.service.generate(replace(job, region=region.to_dict(), bars=region.bars))
        return True

    def cancel(self) -> None:
        self.debounce.stop()
        self.service.cancel()

    def use_selection(self) -> bool:
        """Make the piano roll's selected notes the seed (True when there were some)."""
        notes = self.roll.selected_notes()
        if not notes:
            self._say("Select some notes in the piano roll first, then use them as the seed.", error=True)
            return False
        seed = extract(self.doc.score, notes={self.doc.active_track: notes})
        seed = replace(seed, title=f"Selection of {self.doc.title}", provenance={})
        self.seeds.choose(selection_source(seed))
        return True

    def more_like(self, provenance: Provenance) -> None:
        """More Like This: a phrase's settings with a new random seed, shown in the panel, then run.

        The service builds the run (``job_from_provenance``, the same path as Regenerate Exactly).
        """
        self.service.regenerate(provenance, exact=False, then=self.show_job)

    def show_job(self, job: Job) -> None:
        """Take a run's model, options, seed, style song, length and random seed into the controls (silently)."""
        self.models.select(job.model)
        names = self.controls.option_names()
        options = {name: value for name, value in job.options.values().items() if name in names}
        self.controls.set_state(self.controls.state().updated(**options, bars=job.bars, variations=job.variations,
                                                              random_seed=job.random_seed))
        self._sync_track_rows()
        self.track_options.show_options(job.options.values())
        self.seeds.choose(job.seed_source)
        self.controls.set_style_source(job.style_source)
        self._save_controls()

    # -- slots ------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            QTimer.singleShot(FIRST_SCAN_DELAY_MS, self._on_first_show_timeout)

    @Slot()
    def _on_first_show_timeout(self) -> None:
        """After the window is up: list the models, and read the remembered seed for its preview."""
        self.service.ensure_models()
        if self.seeds.source().get("kind") in ("seed", "file") and self.seeds.preview.score() is None:
            self._on_seeds_source_chosen(self.seeds.source())

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    @Slot(list)
    def _on_service_models_changed(self, models: list[ModelInfo]) -> None:
        self.models.set_models(models, self.settings.generation_model)
        if not models:
            self._say("No model is installed; train one or reinstall Cadenza.", error=True)
        if self._pending:
            self._pending = False
            self.generate()

    @Slot(object)
    def _on_models_model_chosen(self, info: ModelInfo) -> None:
        self.controls.set_model(info)
        self.track_options.set_model(info)
        self._sync_track_rows()
        self.settings.generation_model = info.name
        if info.problem:
            self._say(info.problem, error=True)
        else:
            self.service.preload(info, self.controls.state().device)

    @Slot(str)
    def _on_controls_device_changed(self, device: str) -> None:
        self._save_controls()
        info = self.models.current()
        if info is not None:
            self.service.preload(info, device)

    def _sync_track_rows(self) -> None:
        """The Per track rows follow the instruments option (its choice's tracks), for a model that takes it."""
        info = self.models.current()
        takes = info is not None and info.spec is not None and "instruments" in info.spec.options
        self.track_options.set_instruments(self.controls.state().options.get("instruments") if takes else None)

    @Slot()
    def _on_controls_changed(self) -> None:
        self._sync_track_rows()
        self._save_controls()
        if self.models.current() is not None:
            self.debounce.start()

    @Slot()
    def _on_controls_committed(self) -> None:
        """A released slider regenerates at once (if it changed anything); the debounce is for drags and typing."""
        if self.debounce.isActive():
            self._regenerate()

    @Slot()
    def _regenerate(self) -> None:
        """A slider moved: the same random seed, so the music changes by the slider alone."""
        self.generate(new_random_seed=False)

    def _save_controls(self) -> None:
        self.settings.generation_controls = self.controls.state().to_dict()
        self.settings.generation_style = self.controls.style_source()

    @Slot(object)
    def _on_seeds_source_chosen(self, source: dict) -> None:
        if source.get("kind") != "selection":
            self.settings.generation_seed = source
        if source.get("kind", "none") == "none":
            self._fit_models(None)
            return
        self.service.load_source(source, on_result=lambda score, s=source: self._show_seed(s, score),
                                 on_error=lambda message: self.seeds.show_preview(None, message))

    def _show_seed(self, source: dict, score: Score | None) -> None:
        if source == self.seeds.source():
            self.seeds.show_preview(score)
            self._fit_models(score)

    def _fit_models(self, seed: Score | None) -> None:
        """Grey out the models that cannot take ``seed``; say so when the chosen one was one of them. The
        per-track rows become ``seed``'s tracks."""
        self.track_options.set_seed(seed)
        why = self.models.set_seed(seed)
        if why:
            chosen = self.models.current()
            instead = chosen is not None and self.models.why_not(chosen) is None
            self._say(why + (f" {chosen.name} is chosen instead." if instead else ""), error=True)

    @Slot(object)
    def _on_seeds_audition_requested(self, source: dict) -> None:
        key = ("seed", source.get("spec"))
        if self.audition.key == key:
            self.audition.stop()
            return
        self._say(f"Listening to {source_label(source)}…")
        self.service.load_source(source, on_result=lambda score: score and self.audition.play(key, score),
                                 kind=TaskKind.GENERATE_AUDITION)

    @Slot(object)
    def _on_service_started(self, job) -> None:
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        region = Region.from_dict(job.region) if job.region is not None else None
        if region is not None:
            verb = "Continuing into" if region.mode == CONTINUE else "Regenerating"
            self._say(f"{verb} {region.words()}: {job.variations} variations with {job.model} "
                      f"(random seed {job.random_seed})…")
            return
        seed = source_label(job.seed_source)
        self._say(f"Generating {job.variations} × {job.bars} bars with {job.model}"
                  + (f" from {seed}" if seed != "nothing" else "") + f" (random seed {job.random_seed})…")

    @Slot(object)
    def _on_service_progress(self, progress) -> None:
        if progress.total > 0:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        if progress.message:
            self._say(progress.message[:1].upper() + progress.message[1:])

    def _finish(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.hide()

    @Slot(list)
    def _on_service_variations_ready(self, scores: list) -> None:
        self._finish()
        seconds = max((Provenance.of(s).generation_seconds or 0 for s in scores), default=0)
        note = Provenance.of(scores[0]).seed_note if scores else None
        self._say(f"{len(scores)} variation{'s' * (len(scores) != 1)} in {seconds:.1f} s." + (f" {note}" if note else ""))

    @Slot(str)
    def _on_service_failed(self, message: str) -> None:
        self._finish()
        self._say(message, error=True)

    @Slot()
    def _on_service_cancelled(self) -> None:
        self._finish()
        self._say("Generation cancelled; the variations shown are kept.")
