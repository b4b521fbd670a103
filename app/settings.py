"""Typed settings over QSettings: every key in one place, with a version and migrations.

Values are stored as values (a sample rate, a device description, a snap
name), never as combo-box indices. :class:`Settings` takes a QSettings, so
tests pass one backed by an INI file in a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

VERSION = 1
MAX_RECENT = 10
SNAPS = ("1/1", "1/2", "1/4", "1/8", "1/16", "1/32", "1/4T", "1/8T", "1/16T", "off")
SAMPLE_RATES = (44100, 48000, 96000)
RECORD_MODES = ("overdub", "replace")
PLAY_THROUGH = ("fluidsynth", "midi", "both")  # where playback, previews and auditions are heard


class Settings:
    """The application's preferences and remembered state."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings("Cadenza", "Cadenza")
        self._migrate()

    # -- plumbing ----------------------------------------------------------
    def _get(self, key: str, default: Any, kind: type) -> Any:
        value = self.store.value(key, default)
        if value is None:
            return default
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            if kind is list:
                return [str(v) for v in value] if isinstance(value, (list, tuple)) else ([str(value)] if value else [])
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _set(self, key: str, value: Any) -> None:
        self.store.setValue(key, value)

    def _migrate(self) -> None:
        """Bring stored keys up to :data:`VERSION` (version 0: nothing stored yet)."""
        stored = self._get("version", 0, int)
        if stored < 1:
            pass  # the first version: no older keys to rename
        if stored != VERSION:
            self._set("version", VERSION)

    def sync(self) -> None:
        self.store.sync()

    # -- window ---------------------------------------------------------------
    @property
    def window_geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._set("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        value = self.store.value("window/state")
        return value if isinstance(value, QByteArray) else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._set("window/state", value)

    # -- files ------------------------------------------------------------------
    @property
    def recent_files(self) -> list[str]:
        return self._get("files/recent", [], list)[:MAX_RECENT]

    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put ``path`` first in the recent list (no duplicates, at most MAX_RECENT)."""
        path = str(Path(path).resolve())
        files = [path] + [p for p in self.recent_files if p != path]
        self._set("files/recent", files[:MAX_RECENT])
        return files[:MAX_RECENT]

    def remove_recent_file(self, path: str | Path) -> None:
        self._set("files/recent", [p for p in self.recent_files if p != str(path)])

    @property
    def last_folder(self) -> str:
        return self._get("files/last_folder", str(Path.home()), str)

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._set("files/last_folder", str(value))

    @property
    def save_folder(self) -> str:
        """The folder the user last saved or exported to ('' before the first save)."""
        return self._get("files/save_folder", "", str)

    @save_folder.setter
    def save_folder(self, value: str) -> None:
        self._set("files/save_folder", str(value))

    @property
    def autosave_interval_s(self) -> int:
        return max(10, self._get("files/autosave_interval_s", 60, int))

    @autosave_interval_s.setter
    def autosave_interval_s(self, value: int) -> None:
        self._set("files/autosave_interval_s", int(value))

    @property
    def autosave_keep_days(self) -> int:
        """How long an autosave the user has been shown (and not discarded) is kept: removed at start after this."""
        return max(1, self._get("files/autosave_keep_days", 30, int))

    @autosave_keep_days.setter
    def autosave_keep_days(self, value: int) -> None:
        self._set("files/autosave_keep_days", max(1, int(value)))

    # -- audio ------------------------------------------------------------------
    @property
    def soundfont(self) -> str:
        """An explicit SoundFont path, or '' to search the usual places."""
        return self._get("audio/soundfont", "", str)

    @soundfont.setter
    def soundfont(self, value: str) -> None:
        self._set("audio/soundfont", str(value))

    @property
    def audio_device(self) -> str:
        """The output device's description, or '' for the system default."""
        return self._get("audio/device", "", str)

    @audio_device.setter
    def audio_device(self, value: str) -> None:
        self._set("audio/device", str(value))

    @property
    def sample_rate(self) -> int:
        rate = self._get("audio/sample_rate", 44100, int)
        return rate if rate in SAMPLE_RATES else 44100

    @sample_rate.setter
    def sample_rate(self, value: int) -> None:
        if int(value) not in SAMPLE_RATES:
            raise ValueError(f"sample rate {value} is not one of {SAMPLE_RATES}")
        self._set("audio/sample_rate", int(value))

    # -- metronome ----------------------------------------------------------------
    @property
    def metronome_enabled(self) -> bool:
        """Clicks in live playback (never in exports)."""
        return self._get("metronome/enabled", False, bool)

    @metronome_enabled.setter
    def metronome_enabled(self, value: bool) -> None:
        self._set("metronome/enabled", bool(value))

    @property
    def metronome_volume(self) -> int:
        """The clicks' volume in percent (0-100)."""
        return max(0, min(100, self._get("metronome/volume", 70, int)))

    @metronome_volume.setter
    def metronome_volume(self, value: int) -> None:
        self._set("metronome/volume", max(0, min(100, int(value))))

    @property
    def metronome_accent(self) -> bool:
        """Beat one of each bar clicks louder, on another sound."""
        return self._get("metronome/accent", True, bool)

    @metronome_accent.setter
    def metronome_accent(self, value: bool) -> None:
        self._set("metronome/accent", bool(value))

    # -- editing ----------------------------------------------------------------
    @property
    def snap(self) -> str:
        value = self._get("edit/snap", "1/16", str)
        return value if value in SNAPS else "1/16"

    @snap.setter
    def snap(self, value: str) -> None:
        if value not in SNAPS:
            raise ValueError(f"snap {value!r} is not one of {SNAPS}")
        self._set("edit/snap", value)

    @property
    def abc_parse_delay_ms(self) -> int:
        return max(100, self._get("edit/abc_parse_delay_ms", 600, int))

    # -- generation panel ---------------------------------------------------------
    def _get_json(self, key: str) -> dict:
        try:
            value = json.loads(self._get(key, "{}", str))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def generation_model(self) -> str:
        """The model last chosen in the Generation panel (a checkpoint's name); before the first choice, the
        baseline model of the registry (quick on any machine), or '' (the first listed) when there is none."""
        chosen = self._get("generation/model", "", str)
        if chosen:
            return chosen
        from models.registry import baseline_spec

        baseline = baseline_spec()
        return baseline.name if baseline is not None else ""

    @generation_model.setter
    def generation_model(self, value: str) -> None:
        self._set("generation/model", str(value))

    @property
    def generation_controls(self) -> dict:
        """The panel's numeric controls (``app.services.generation_controls.SliderState.to_dict()``: option
        values, length, variations, random seed, lock, device); read back clamped to the options table."""
        return self._get_json("generation/controls")

    @generation_controls.setter
    def generation_controls(self, value: dict) -> None:
        self._set("generation/controls", json.dumps(dict(value), sort_keys=True))

    @property
    def generation_seed(self) -> dict:
        """The last seed source (a bundled seed or a file; never a selection)."""
        return self._get_json("generation/seed")

    @generation_seed.setter
    def generation_seed(self, value: dict) -> None:
        self._set("generation/seed", json.dumps(dict(value), sort_keys=True))

    @property
    def generation_style(self) -> dict:
        """The last style song source."""
        return self._get_json("generation/style")

    @generation_style.setter
    def generation_style(self, value: dict) -> None:
        self._set("generation/style", json.dumps(dict(value), sort_keys=True))

    @property
    def generation_audition(self) -> bool:
        """Play the first new variation as soon as it is generated."""
        return self._get("generation/audition", True, bool)

    @generation_audition.setter
    def generation_audition(self, value: bool) -> None:
        self._set("generation/audition", bool(value))

    # -- MIDI and recording ---------------------------------------------------------
    # Port names as the MIDI system lists them; '' is Cadenza's own virtual port ("Cadenza in" / "Cadenza out").
    # A stored port that is not there any more is kept (it may be plugged in again), and the controller
    # quietly uses Cadenza's own port meanwhile (app.ui.recording_controller).
    @property
    def midi_input_port(self) -> str:
        return self._get("midi/input_port", "", str)

    @midi_input_port.setter
    def midi_input_port(self, value: str | None) -> None:
        self._set("midi/input_port", str(value or ""))

    @property
    def midi_output_port(self) -> str:
        return self._get("midi/output_port", "", str)

    @midi_output_port.setter
    def midi_output_port(self, value: str | None) -> None:
        self._set("midi/output_port", str(value or ""))

    @property
    def midi_send_playback(self) -> bool:
        """Playback, previews and piano keys also go to the MIDI output."""
        return self._get("midi/send_playback", False, bool)

    @midi_send_playback.setter
    def midi_send_playback(self, value: bool) -> None:
        self._set("midi/send_playback", bool(value))

    @property
    def play_through(self) -> str:
        """One of :data:`PLAY_THROUGH`: FluidSynth alone, the MIDI output alone, or both.

        Stored as ``midi/send_playback`` (the MIDI output gets it) and
        ``midi/synth_off`` (FluidSynth is silent then), so older settings read as before.
        """
        if not self.midi_send_playback:
            return "fluidsynth"
        return "midi" if self._get("midi/synth_off", False, bool) else "both"

    @play_through.setter
    def play_through(self, value: str) -> None:
        if value not in PLAY_THROUGH:
            raise ValueError(f"play through {value!r} is not one of {PLAY_THROUGH}")
        self.midi_send_playback = value != "fluidsynth"
        self._set("midi/synth_off", value == "midi")

    @property
    def midi_thru(self) -> bool:
        """What is played on the MIDI input is heard at once through the synth (on by default)."""
        return self._get("midi/thru", True, bool)

    @midi_thru.setter
    def midi_thru(self, value: bool) -> None:
        self._set("midi/thru", bool(value))

    def _get_choice(self, key: str, default: Any, choices: tuple) -> Any:
        """A stored value that must be one of ``choices``; ``default`` for anything else."""
        value = self._get(key, default, type(default))
        return value if value in choices else default

    def _set_choice(self, key: str, value: Any, choices: tuple, what: str) -> None:
        if value not in choices:
            raise ValueError(f"{what} {value!r} is not one of {choices}")
        self._set(key, value)

    @property
    def record_count_in(self) -> int:
        """Bars of count-in before recording (one of ``app.services.recording.COUNT_INS``)."""
        from app.services.recording import COUNT_INS

        return self._get_choice("record/count_in", 1, COUNT_INS)

    @record_count_in.setter
    def record_count_in(self, value: int) -> None:
        from app.services.recording import COUNT_INS

        self._set_choice("record/count_in", int(value), COUNT_INS, "count-in")

    @property
    def record_quantize(self) -> str:
        """Input quantize (one of ``app.services.recording.QUANTIZES``; 'off' by default)."""
        from app.services.recording import QUANTIZES

        return self._get_choice("record/quantize", "off", QUANTIZES)

    @record_quantize.setter
    def record_quantize(self, value: str) -> None:
        from app.services.recording import QUANTIZES

        self._set_choice("record/quantize", value, QUANTIZES, "quantize")

    @property
    def record_mode(self) -> str:
        """'overdub' (a take adds to the track) or 'replace' (it removes what it records over)."""
        return self._get_choice("record/mode", "overdub", RECORD_MODES)

    @record_mode.setter
    def record_mode(self, value: str) -> None:
        self._set_choice("record/mode", value, RECORD_MODES, "record mode")
