"""PianoRoll: the ruler, keyboard, note view and velocity lane put together.

This is the widget the main window uses. It offers the editing operations the
action registry calls (shortcuts belong to the main window; wheel and mouse
belong here), the playhead and loop region, and re-emits what its parts report.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGridLayout, QLabel, QMenu, QWidget

from app.core.score import Note
from app.document import Document
from app.settings import SNAPS

from app.ui.pianoroll.editing import EditOps
from app.ui.pianoroll.grid import Grid
from app.ui.pianoroll.keyboard import Keyboard
from app.ui.pianoroll.ruler import Ruler
from app.ui.pianoroll.velocity import VelocityLane
from app.ui.pianoroll.view import TOOLS, NoteView

FOLLOW_MARGIN = 0.05  # while following, the playhead comes back in at 5% of the width


class PianoRoll(QWidget, EditOps):
    """Piano-roll editor of a :class:`Document`'s active track, other tracks dimmed."""

    playhead_moved = Signal(int)  # the user placed the playhead (snapped tick)
    loop_changed = Signal(object)  # the user set, moved or cleared the loop: (start, end) or None
    selection_changed = Signal()
    key_pressed = Signal(int)
    key_released = Signal(int)
    view_changed = Signal(float, float)  # first visible tick, ticks per pixel
    status_message = Signal(str)

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.follow = True  # scroll to keep the playhead visible when set_playhead moves it
        self.grid = Grid(doc)
        self.view = NoteView(doc, self.grid, self)
        self.ruler = Ruler(self.view, self)
        self.keyboard = Keyboard(self.view, self)
        self.velocity_lane = VelocityLane(self.view, self)
        self._playhead = 0
        self._centred = False
        self._context_actions: list[QAction | None] = []
        self._lay_out()
        self.view.view_changed.connect(self.view_changed)
        self.view.context_menu_requested.connect(self.show_context_menu)
        self.view.note_scene.note_selection_changed.connect(self.selection_changed)
        self.keyboard.key_pressed.connect(self.key_pressed)
        self.keyboard.key_released.connect(self.key_released)
        self.ruler.playhead_moved.connect(self._on_ruler_playhead_moved)
        self.ruler.loop_changed.connect(self._on_ruler_loop_changed)

    def _lay_out(self) -> None:
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        label = QLabel(self.tr("Vel"), self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setToolTip(self.tr("Velocity: drag across the stems to set how hard notes are played"))
        layout.addWidget(self.ruler, 0, 1)
        layout.addWidget(self.keyboard, 1, 0)
        layout.addWidget(self.view, 1, 1)
        layout.addWidget(label, 2, 0)
        layout.addWidget(self.velocity_lane, 2, 1)
        layout.setRowStretch(1, 1)
        layout.setColumnStretch(1, 1)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._centred:  # first show: the rows where the notes are (else around middle C)
            self._centred = True
            notes = self.doc.score.all_notes()
            self.view.center_pitch(round(sum(n.pitch for n in notes) / len(notes)) if notes else 60)

    # -- tools, snap, zoom ------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        """"draw", "select" or "erase"."""
        if name not in TOOLS:
            raise ValueError(f"tool {name!r} is not one of {TOOLS}")
        self.view.tool = name

    def tool(self) -> str:
        return self.view.tool

    def set_snap(self, name: str) -> None:
        """A name of ``app.settings.SNAPS``: "1/1" ... "1/32", "1/4T", "1/8T", "1/16T" or "off"."""
        if name not in SNAPS:
            raise ValueError(f"snap {name!r} is not one of {SNAPS}")
        self.grid.name = name
        self.view.refresh_grid()

    def snap(self) -> str:
        return self.grid.name

    def snap_ticks(self) -> int:
        """Ticks of one snap step (1 when snap is off)."""
        return self.grid.step()

    def zoom_horizontal(self, factor: float) -> None:
        self.view.zoom_horizontal(factor)

    def zoom_vertical(self, factor: float) -> None:
        self.view.zoom_vertical(factor)

    def ticks_per_pixel(self) -> float:
        return self.view.tpp

    def scroll_to_tick(self, tick: int) -> None:
        self.view.scroll_to_tick(tick)

    # -- playhead and loop ----------------------------------------------------------------
    def set_playhead(self, tick: int) -> None:
        """Move the playhead (cheap: one line item); while ``follow`` is on, keep it in view."""
        tick = max(0, int(tick))
        self._playhead = tick
        self.view.set_playhead(tick)
        self.ruler.set_playhead(tick)
        if self.follow:
            x, width = self.view.tick_to_x(tick), self.view.viewport().width()
            if x < 0 or x > width * (1 - FOLLOW_MARGIN):
                self.view.note_scene.ensure_width(tick)
                self.view.scroll_to_tick(max(0.0, tick - width * FOLLOW_MARGIN * self.view.tpp))

    def playhead(self) -> int:
        return self._playhead

    def loop_region(self) -> tuple[int, int] | None:
        return self.ruler.loop

    def set_loop_region(self, region: tuple[int, int] | None) -> None:
        """Show ``(start, end)`` ticks as the loop, or none (``loop_changed`` is for user changes only)."""
        if region is not None:
            start, end = int(region[0]), int(region[1])
            if not 0 <= start < end:
                raise ValueError(f"loop region {region} must have 0 <= start < end")
            region = (start, end)
        self.ruler.set_loop(region)
        self.view.set_loop(region)

    @Slot(int)
    def _on_ruler_playhead_moved(self, tick: int) -> None:
        self._playhead = tick
        self.view.set_playhead(tick)
        self.playhead_moved.emit(tick)

    @Slot(object)
    def _on_ruler_loop_changed(self, region) -> None:
        self.view.set_loop(region)
        self.loop_changed.emit(region)

    # -- context menu ------------------------------------------------------------------------
    def set_context_actions(self, actions: list[QAction | None]) -> None:
        """What the context menu offers (None: a separator); the window's actions, so shortcuts show."""
        self._context_actions = list(actions)

    def context_menu(self) -> QMenu:
        """A new menu of the context actions."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)  # a disabled action says why
        for action in self._context_actions:
            menu.addSeparator() if action is None else menu.addAction(action)
        return menu

    @Slot(QPoint)
    def show_context_menu(self, global_pos: QPoint) -> None:
        if self._context_actions:
            menu = self.context_menu()
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(global_pos)

    # -- selection ---------------------------------------------------------------------------
    def selected_notes(self) -> list[Note]:
        """The selected notes of the active track, in time order."""
        return self.view.note_scene.selected_notes()

    def select_all(self) -> None:
        self.view.note_scene.select_all()

    def clear_selection(self) -> None:
        self.view.note_scene.clear_selection()
