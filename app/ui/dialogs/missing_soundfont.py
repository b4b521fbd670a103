"""No SoundFont: say what to install, in a dialog once per session, and in the spectrogram's place.

Without a General MIDI SoundFont nothing can sound and no spectrogram can be drawn. When playback
fails, :class:`MissingSoundFont` looks for one the way the player does; when there is none, the
reason (which says what to install, or which file is wrong) is shown in a dialog the first time only,
and written across the spectrogram view every time, so the empty view never stays unexplained.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.errors import SoundFontError
from app.services.player import Player
from app.settings import Settings
from app.ui.spectrogram_view import SpectrogramView

TITLE = "No SoundFont"


def soundfont_problem(settings: Settings) -> str | None:
    """Why no SoundFont can be used, in one sentence, or None when one is found."""
    from app.audio.soundfonts import find_soundfont

    try:
        find_soundfont(settings.soundfont or None)
    except SoundFontError as exc:
        return str(exc)
    return None


class MissingSoundFont(QObject):
    """Watches playback errors of ``player``; explains a missing SoundFont (see module doc)."""

    def __init__(self, player: Player, view: SpectrogramView, settings: Settings, window: QWidget) -> None:
        super().__init__(window)
        self.view, self.settings, self.window = view, settings, window
        self.told = False  # the dialog has been shown in this session
        player.error_occurred.connect(self._on_player_error_occurred)

    def tell(self, reason: str) -> None:
        """The dialog (tests replace it)."""
        QMessageBox.information(self.window, TITLE, reason)

    def _on_player_error_occurred(self, _message: str) -> None:
        reason = soundfont_problem(self.settings)
        if reason is None:  # another audio problem: the status bar says it
            return
        self.view.show_reason(reason)
        if not self.told:
            self.told = True
            self.tell(reason)
