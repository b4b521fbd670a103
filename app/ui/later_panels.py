"""The main window's panels that are built after its first paint (or when first used).

Each builder makes one panel for ``window`` (a :class:`~app.ui.main_window.MainWindow`),
puts it in its dock, connects it (``status`` shows a message in the status
bar) and returns it. Their modules are imported here, not at start-up: the
spectrogram brings pyqtgraph and numpy, the track list pretty_midi's
instrument names, the Generate panel the model specs. The missing-SoundFont
notice comes right after the spectrogram view it writes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from app.services.spectrogram import SpectrogramService
    from app.ui.abc_editor.editor import AbcEditor
    from app.ui.dialogs.missing_soundfont import MissingSoundFont
    from app.ui.generation import GenerationDocks
    from app.ui.panels.tracks import TrackList
    from app.ui.spectrogram_view import SpectrogramView

Status = Callable[[str], None]


def build_tracks(window, status: Status) -> TrackList:
    from app.ui.panels.tracks import TrackList

    tracks = TrackList(window.doc)
    window.docks["tracks"].setWidget(tracks)
    return tracks


def build_abc(window, status: Status) -> AbcEditor:
    from app.ui.abc_editor.editor import AbcEditor

    abc = AbcEditor(window.doc, window.runner, window.settings)
    abc.status_message.connect(status)
    window.docks["abc"].setWidget(abc)
    return abc


def build_generation(window, status: Status) -> GenerationDocks:
    from app.services.generation import GenerationService
    from app.ui.generation import GenerationDocks

    ui = GenerationDocks(GenerationService(window.runner, window), window.doc, window.roll, window.player,
                         window.settings, window.runner, window)
    for name, widget in (("generate", ui.panel), ("variations", ui.gallery), ("phrases", ui.phrases)):
        window.docks[name].setWidget(widget)
    ui.status_message.connect(status)
    ui.regions.bind(window.actions["regenerate_selection"])
    return ui


def build_spectrogram(window, status: Status) -> tuple[SpectrogramService, SpectrogramView]:
    from app.services.spectrogram import SpectrogramService  # numpy
    from app.ui.spectrogram_view import SpectrogramView  # pyqtgraph

    service = SpectrogramService(window.runner, window.player, window)
    view = SpectrogramView(service)
    view.installEventFilter(window)  # the window aligns it with the roll at each move and resize
    window.docks["spectrogram"].setWidget(view)
    window.doc.changed.connect(lambda: service.set_score(window.doc.score))
    service.failed.connect(status)
    service.set_score(window.doc.score)
    view.set_playhead(window.roll.playhead())
    return service, view


def build_missing_soundfont(window, status: Status) -> MissingSoundFont:
    """The notice that explains a missing SoundFont when playback fails (no widget of its own)."""
    from app.ui.dialogs.missing_soundfont import MissingSoundFont

    return MissingSoundFont(window.player, window.spectrogram, window.settings, window)


BUILDERS = {"tracks": build_tracks, "abc": build_abc, "generation": build_generation,
            "spectrogram": build_spectrogram, "missing_soundfont": build_missing_soundfont}
