"""MIDI thru latency and recording timing, through a real MIDI server and a real sound server.

Starts the test suite's private servers (``tests/app/jack.py``: ``jackd -d
dummy``, 256 frames at 48 kHz; ``tests/app/pulse.py``: a PulseAudio null
sink) and a test keyboard, a JACK client playing into "Cadenza in".

- **thru**: the keyboard strikes a key; Cadenza's MIDI input hands it to the
  live synth (:mod:`app.audio.live_synth`); the first sample of its sound is
  found in a recording of the null sink's monitor, timed on the monotonic
  clock (:class:`TimedCapture`). The timestamps split it: the MIDI system's
  part (key-down to the message's arrival stamp: JACK's cycle) and
  Cadenza's own share (arrival to the note applied in the synth, plus the
  synth's period, the most its driver waits before rendering it: the figure
  held against the 20 ms goal). The null sink renders ahead of its own
  clock, so the sink figure is only good for comparing paths measured the
  same way, not as an absolute latency.
- **the alternative**: the same key through the playback path a piano-roll
  key uses (``Player.preview_note``: a render queue into a QAudioSink; it
  stays silent while a piece plays), key call to first sample at the sink,
  measured the same way in the same run: the difference of the medians.
- **recording**: 200 notes (``--quick``: 60) played into a recording at known
  moments; the error is each recorded note's start (in seconds, through the
  tempo map) minus the moment it was sent: mean, p95, max in ms.

Prints one JSON object; ``run(quick)`` returns it for ``cadenza bench``.

    .venv/bin/python benchmarks/midi_latency_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests" / "app"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

RATE = 44100
LOUD = 0.003  # a sample above this is sound (the null sink is digital silence otherwise)
KEY_GAP_S = 0.25


class TimedCapture:
    """The null sink's monitor recorded by ``parec``, each frame placed on the ``time.monotonic()`` clock.

    Each chunk read at second ``t`` ends at frame ``f``, which was therefore
    played by ``t``: the smallest ``t - f / RATE`` seen is the clock offset
    (late by at most the quickest delivery, so latencies are never understated).
    """

    def __init__(self, server) -> None:
        self.server = server
        self.offset = float("inf")
        self._chunks: list[bytes] = []
        self._frames = 0

    def __enter__(self) -> "TimedCapture":
        from pulse import SINK, _die_with_parent

        # silence played into the sink keeps it running at its rate (an idle null sink's monitor lags)
        self._zeros = open("/dev/zero", "rb")
        self._silence = subprocess.Popen(
            ["pacat", "-s", self.server.address, "-d", SINK, "--raw", "--format=s16le", f"--rate={RATE}",
             "--channels=2", "--latency-msec=20"],
            env=self.server.env, stdin=self._zeros, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self._proc = subprocess.Popen(
            ["parec", "-s", self.server.address, "-d", f"{SINK}.monitor", "--format=float32le", f"--rate={RATE}",
             "--channels=2", "--latency-msec=2", "--raw"],
            env=self.server.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 5
        while self._frames < RATE // 10 and time.monotonic() < deadline:
            time.sleep(0.01)  # recording has run a while, so the offset has settled
        return self

    def _read(self) -> None:
        fd, pending = self._proc.stdout.fileno(), b""
        while True:
            data = os.read(fd, 4096)
            now = time.monotonic()
            if not data:
                return
            pending += data
            whole = len(pending) // 8 * 8
            self._chunks.append(pending[:whole])
            pending = pending[whole:]
            self._frames += whole // 8
            self.offset = min(self.offset, now - self._frames / RATE)

    def __exit__(self, *exc) -> None:
        time.sleep(0.1)
        for proc in (self._proc, self._silence):
            proc.terminate()
            proc.wait(5)
        self._zeros.close()
        self._thread.join(5)
        data = np.frombuffer(b"".join(self._chunks), dtype="<f4")
        self.audio = data.reshape(-1, 2)

    def onset(self, after: float, within: float = 0.2) -> float | None:
        """The monotonic second of the first sound at or after second ``after`` (None if silent ``within``)."""
        first = max(0, int((after - self.offset) * RATE))
        level = np.abs(self.audio[first:first + int(within * RATE)]).max(axis=1)
        loud = np.flatnonzero(level > LOUD)
        return self.offset + (first + int(loud[0])) / RATE if len(loud) else None


def open_keyboard(jack):
    """A JACK client playing into "Cadenza in" (connected, and the connection carried)."""
    import rtmidi

    keyboard = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "bench keyboard")
    keyboard.open_port(keyboard.get_ports().index("Cadenza in:Cadenza in"), "keys")
    jack.wait_connected("bench keyboard:keys", "Cadenza in:Cadenza in")
    return keyboard


def strike(keyboard, keys: int, pitch: int = 60) -> list[float]:
    """Strike ``keys`` keys; the key-down moments (monotonic seconds)."""
    downs = []
    for _ in range(keys):
        time.sleep(KEY_GAP_S)
        downs.append(time.monotonic())
        keyboard.send_message([0x90, pitch, 110])
        time.sleep(KEY_GAP_S / 2)
        keyboard.send_message([0x80, pitch, 0])
    time.sleep(KEY_GAP_S)
    return downs


def thru_latency(midi, jack, pulse, keys: int) -> dict:
    """Key-down to first sample through MIDI thru, split into its parts (ms)."""
    arrivals: list[float] = []  # note-ons' arrival stamps
    handed_on = midi._on_port_message

    def stamped(message) -> None:
        if message.data[0] & 0xF0 == 0x90:
            arrivals.append(message.time)
        handed_on(message)

    midi._on_port_message = stamped  # before start(): the input hands messages to this
    assert midi.start(), midi.status
    midi.set_thru(True)
    assert midi.thru_ready(5.0), midi.thru_status
    keyboard = open_keyboard(jack)
    try:
        strike(keyboard, 1)  # warm: the piano's samples are loaded
        arrivals.clear()
        midi._thru.note_ons.clear()
        with TimedCapture(pulse) as capture:
            downs = strike(keyboard, keys)
    finally:
        keyboard.delete()
    synth = midi._thru
    applied = [t for t, _key in synth.note_ons]
    ons = arrivals
    total = [capture.onset(d) - d for d in downs if capture.onset(d) is not None]
    system = [a - d for a, d in zip(ons, downs)]
    dispatch = [p - a for p, a in zip(applied, ons)]
    own = [d + synth.period_s for d in dispatch]
    return {"keys": keys, "heard": len(total), "key_down_to_sound_ms": _stats(total),
            "midi_system_ms": _stats(system), "cadenza_dispatch_ms": _stats(dispatch),
            "cadenza_own_share_ms": _stats(own), "synth_period_ms": round(synth.period_s * 1000, 2),
            "driver": synth.driver}


def preview_latency(qapp, settings, pulse, keys: int) -> dict:
    """Key call to first sample through the playback path (``Player.preview_note``), the alternative."""
    from app.services.player import Player

    player = Player(settings)
    try:
        _spin(qapp, 1.0, lambda: player.preview_note(60) or False)  # loads the synth
        _spin(qapp, 1.5, lambda: False)
        player.stop()
        downs = []
        with TimedCapture(pulse) as capture:
            for _ in range(keys):
                _spin(qapp, KEY_GAP_S, lambda: False)
                downs.append(time.monotonic())
                player.preview_note(60)
                _spin(qapp, KEY_GAP_S / 2, lambda: False)
                player.release_note(60)
            _spin(qapp, 2 * KEY_GAP_S, lambda: False)
        total = [capture.onset(d, 1.0) - d for d in downs if capture.onset(d, 1.0) is not None]
    finally:
        player.shutdown()
    return {"keys": keys, "heard": len(total), "key_to_sound_ms": _stats(total)}


def recording_error(qapp, midi, jack, notes: int) -> dict:
    """Notes sent at known moments into a recording: recorded start minus sent moment (ms)."""
    from app.core.score import Score, TempoChange, Track
    from app.core.timing import TempoMap
    from app.document import Document
    from app.services import recording

    doc = Document()
    doc.replace_all(Score(tracks=(Track("Piano", 0, False, ()),), tempos=(TempoChange(0, 120.0),)))
    recorder = recording.Recorder(doc, midi)
    recorder.options = recording.RecordOptions(count_in=0)
    takes = []
    recorder.take_recorded.connect(lambda _track, _old, take: takes.extend(take))
    keyboard = open_keyboard(jack)
    sent = []
    try:
        assert recorder.start(0)
        origin = recorder.origin
        for i in range(notes):
            _spin(qapp, 0.021 + 0.013 * (i % 3), lambda: False)  # uneven gaps: no beat with the JACK cycle
            sent.append(time.monotonic() - origin)
            keyboard.send_message([0x90, 48 + i % 24, 64 + i % 60])
            _spin(qapp, 0.012, lambda: False)
            keyboard.send_message([0x80, 48 + i % 24, 0])
        _spin(qapp, 0.05, lambda: False)
        recorder.stop()
    finally:
        keyboard.delete()
    tempo = TempoMap(doc.score)
    starts = sorted(tempo.seconds(n.start) for n in takes)
    errors = [abs(r - s) for r, s in zip(starts, sent)]
    return {"notes": notes, "recorded": len(takes), "error_ms": _stats(errors)}


def _spin(qapp, seconds: float, done) -> None:
    """Run the Qt event loop for ``seconds`` (or until ``done()``)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not done():
        qapp.processEvents()
        time.sleep(0.001)


def _stats(values: list[float]) -> dict:
    if not values:
        return {}
    ms = np.array(values) * 1000
    return {"mean": round(float(ms.mean()), 2), "median": round(float(np.median(ms)), 2),
            "p95": round(float(np.percentile(ms, 95)), 2), "max": round(float(ms.max()), 2)}


def run(quick: bool = False) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import jack as jack_fixture
    import pulse as pulse_fixture

    pulse = pulse_fixture.ensure_server()  # before Qt opens audio
    jack = jack_fixture.ensure_server()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.services.midi_io import MidiIO
    from app.settings import Settings

    qapp = QApplication.instance() or QApplication([])
    settings = Settings(QSettings(str(jack.folder / "bench.ini"), QSettings.Format.IniFormat))
    keys = 10 if quick else 40
    midi = MidiIO()
    try:
        thru = thru_latency(midi, jack, pulse, keys)
        record = recording_error(qapp, midi, jack, 60 if quick else 200)
    finally:
        midi.close()
    preview = preview_latency(qapp, settings, pulse, max(5, keys // 4))
    ours, theirs = thru["key_down_to_sound_ms"]["median"], preview["key_to_sound_ms"]["median"]
    return {
        "benchmark": "midi_latency",
        "thru": thru,
        "preview_path": preview,
        "preview_later_than_thru_ms": round(theirs - ours, 2),
        "own_share_goal_ms": 20,
        "own_share_p95_under_goal": thru["cadenza_own_share_ms"]["p95"] < 20,
        "recording": record,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
