"""Auditions of the Audio Lab's clips: a clip written to a temporary WAV and played by a QMediaPlayer.

Clips are sound already (not scores), so they are played as the Listening
Test plays its clips: QtMultimedia's QMediaPlayer on a file, here a WAV in a
temporary folder of this player's (removed on :meth:`ClipPlayer.shutdown`).
``position_changed`` carries the seconds the output has played, for the
playhead; ``playing_changed`` the key of the clip playing (None when stopped).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal

from app.services.audio_lab import Clip


class ClipPlayer(QObject):
    """Plays one clip at a time."""

    position_changed = Signal(object, float)  # key, seconds
    playing_changed = Signal(object)  # the key of the clip playing, None when stopped
    error_occurred = Signal(str)  # one sentence

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player = None
        self._folder: Path | None = None
        self._count = 0
        self.key: object = None

    def play(self, key: object, clip: Clip) -> None:
        """Play ``clip`` from its start (the clip playing stops)."""
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        from app.audio.export import write_audio

        self.stop()
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="cadenza-audio-lab-"))
        self._count += 1
        path = self._folder / f"clip-{self._count}.wav"
        write_audio(clip.audio, path, clip.sample_rate)
        if self._player is None:
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(QAudioOutput(self._player))
            self._player.positionChanged.connect(lambda ms: self.position_changed.emit(self.key, ms / 1000.0))
            self._player.playbackStateChanged.connect(self._on_player_state_changed)
            self._player.errorOccurred.connect(lambda *_: self.error_occurred.emit(
                f"The clip could not be played ({self._player.errorString() or 'no audio output'})."))
        self.key = key
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()
        self.playing_changed.emit(key)

    def stop(self) -> None:
        """Stop the clip playing (if any)."""
        if self._player is not None and self.key is not None:
            self._player.stop()
        self._set_stopped()

    def _on_player_state_changed(self, state) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if state == QMediaPlayer.PlaybackState.StoppedState:
            self._set_stopped()

    def _set_stopped(self) -> None:
        if self.key is not None:
            self.key = None
            self.playing_changed.emit(None)

    def shutdown(self) -> None:
        """Stop and remove the temporary clips."""
        self.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
