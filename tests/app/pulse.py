"""A private PulseAudio daemon with a null sink, for tests that play sound for real.

The daemon runs as the current user (root included) with its own runtime
folder, one null sink (``cadenza_test``) and a unix socket accepting
anonymous clients; ``PULSE_SERVER`` points this process (and Qt's PulseAudio
backend, which QtMultimedia links directly) at it. What the app plays is
recorded from the sink's monitor with ``parec``.

Qt connects to the sound server once per process, the first time anything
asks for audio devices, so the daemon must be up before that: ``make test``
loads this module as a pytest plugin (``-p pulse``), which starts the daemon
in ``pytest_configure`` and stops it in ``pytest_unconfigure``. Without the
plugin, the session fixture :func:`pulse_server` starts it on first use. The
daemon also dies with the test process (``PR_SET_PDEATHSIG``), so nothing is
left running after a crash.

Equivalent shell commands::

    pulseaudio --daemonize=no --exit-idle-time=-1 -n --use-pid-file=no \\
        --load="module-null-sink sink_name=cadenza_test rate=44100 channels=2 \\
                sink_properties=\"device.description='Cadenza test sink'\"" \\
        --load="module-native-protocol-unix socket=$DIR/native auth-anonymous=1" &
    PULSE_SERVER=unix:$DIR/native parec -d cadenza_test.monitor \\
        --format=s16le --rate=44100 --channels=2 > capture.raw
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

SINK = "cadenza_test"
SINK_DESCRIPTION = "Cadenza test sink"
RATE = 44100
START_TIMEOUT_S = 15.0
TOOLS = ("pulseaudio", "pactl", "parec")


def missing_tools() -> list[str]:
    """The PulseAudio programs (apt: pulseaudio, pulseaudio-utils) not on PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class PulseServer:
    """One user-level PulseAudio daemon with the null sink :data:`SINK`."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cadenza-pulse-"))
        self.address = f"unix:{self.folder / 'native'}"
        self.env = dict(os.environ, HOME=str(self.folder), XDG_RUNTIME_DIR=str(self.folder),
                        PULSE_RUNTIME_PATH=str(self.folder / "runtime"), PULSE_STATE_PATH=str(self.folder / "state"),
                        PULSE_SERVER=self.address)
        self.process: subprocess.Popen | None = None
        self.log = self.folder / "pulseaudio.log"

    def start(self) -> "PulseServer":
        """Start the daemon and wait until it answers (raises RuntimeError if it does not)."""
        command = ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
                   "--log-target=stderr", "--log-level=error",
                   f"--load=module-null-sink sink_name={SINK} rate={RATE} channels=2 "
                   f"sink_properties=\"device.description='{SINK_DESCRIPTION}'\"",
                   f"--load=module-native-protocol-unix socket={self.folder / 'native'} auth-anonymous=1"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.pactl("info").returncode == 0:
                if self.pactl("set-default-sink", SINK).returncode == 0:
                    return self
                break  # the daemon runs but the sink did not load
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pulseaudio did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def pactl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", "-s", self.address, *args], env=self.env, capture_output=True,
                              text=True, timeout=10)

    def stop(self) -> None:
        """Stop the daemon and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)

    @contextlib.contextmanager
    def capture(self) -> Iterator["Capture"]:
        """Record the sink's monitor while the ``with`` body runs."""
        path = self.folder / f"capture-{time.monotonic_ns()}.raw"
        with open(path, "wb") as out:
            proc = subprocess.Popen(["parec", "-s", self.address, "-d", f"{SINK}.monitor", "--format=s16le",
                                     f"--rate={RATE}", "--channels=2", "--latency-msec=50"],
                                    env=self.env, stdout=out, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            result = Capture(path)
            try:
                deadline = time.monotonic() + START_TIMEOUT_S
                while path.stat().st_size == 0 and time.monotonic() < deadline and proc.poll() is None:
                    time.sleep(0.02)  # recording has begun
                yield result
            finally:
                time.sleep(0.2)  # let the last buffers through
                proc.terminate()
                proc.wait(5)
        result.load()


class Capture:
    """A recording of the null sink: ``audio`` (frames, 2) float32 once the ``with`` block ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.audio = np.zeros((0, 2), dtype=np.float32)

    def load(self) -> None:
        data = np.frombuffer(self.path.read_bytes(), dtype="<i2")
        self.audio = (data[:len(data) // 2 * 2].reshape(-1, 2) / 32768.0).astype(np.float32)


_server: PulseServer | None = None


def ensure_server() -> PulseServer:
    """The session's daemon, started (and ``PULSE_SERVER`` set for this process) on first call."""
    global _server
    if _server is None:
        problems = missing_tools()
        if problems:
            raise RuntimeError(f"missing {', '.join(problems)} (apt install pulseaudio pulseaudio-utils)")
        _server = PulseServer().start()
        os.environ["PULSE_SERVER"] = _server.address
    return _server


def stop_server() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def pytest_configure(config) -> None:
    """Plugin hook (``pytest -p pulse``): start the daemon before anything opens Qt's audio."""
    if not missing_tools():
        with contextlib.suppress(RuntimeError):
            ensure_server()


def pytest_unconfigure(config) -> None:
    stop_server()


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseServer]:
    """The running test daemon; the test fails clearly when PulseAudio is not installed."""
    if missing_tools():
        pytest.fail(f"PulseAudio tools missing: {', '.join(missing_tools())} (tools/system_deps.sh installs them)")
    started_here = _server is None
    try:
        server = ensure_server()
    except RuntimeError as exc:
        pytest.fail(f"The test PulseAudio daemon did not start: {exc}")
    yield server
    if started_here:
        stop_server()
