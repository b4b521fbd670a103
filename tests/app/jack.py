"""A private JACK server with the dummy driver, for tests that send and receive MIDI for real.

The server runs in user space without realtime priority, under a name of its
own (``JACK_DEFAULT_SERVER`` points this process, and so python-rtmidi's
JACK API, at it), with the dummy audio driver: no sound card, a 256-frame
period at 48 kHz (a 5.3 ms cycle), MIDI ports carried between clients each
cycle. It is started once per test process, stopped when the process exits,
and also dies with it (``PR_SET_PDEATHSIG``).

Test modules use it by importing the fixture: ``from jack import jack_server``.

Equivalent shell command::

    JACK_DEFAULT_SERVER=cadenza-test-$$ jackd --no-realtime -n cadenza-test-$$ -d dummy -r 48000 -p 256
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
import pytest

from pulse import _die_with_parent

RATE = 48000
PERIOD = 256
START_TIMEOUT_S = 10.0


class JackServer:
    """One ``jackd -d dummy`` under a private server name."""

    def __init__(self) -> None:
        self.name = f"cadenza-test-{os.getpid()}"
        self.folder = Path(tempfile.mkdtemp(prefix="cadenza-jack-"))
        self.log = self.folder / "jackd.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "JackServer":
        """Start jackd and wait until a client can connect (raises RuntimeError if none can)."""
        command = ["jackd", "--no-realtime", "-n", self.name, "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD)]
        env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1", JACK_DEFAULT_SERVER=self.name)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"jackd did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def _answers(self) -> bool:
        """Whether a JACK client can connect to the server (``jack_wait -c``, from jackd2)."""
        check = subprocess.run(["jack_wait", "-s", self.name, "-c"], capture_output=True, text=True, timeout=5)
        return check.stdout.strip() == "running"

    def connected(self, source: str, dest: str | None = None) -> bool:
        """Whether JACK port ``source`` is connected to ``dest`` (to any port when None; ``jack_lsp -c``)."""
        listing = subprocess.run(["jack_lsp", "-s", self.name, "-c"], capture_output=True, text=True, timeout=5).stdout
        current = None
        for line in listing.splitlines():
            if not line.startswith(" "):
                current = line.strip()
            elif current == source and dest in (None, line.strip()):
                return True
        return False

    def wait_connected(self, source: str, dest: str | None = None, timeout: float = 3.0) -> None:
        """Wait until ``source`` feeds ``dest``, and four cycles more: a connection made just now
        carries nothing until the server's graph has it, so a message sent at once would be lost."""
        deadline = time.monotonic() + timeout
        while not self.connected(source, dest):
            if time.monotonic() > deadline:
                raise AssertionError(f"JACK did not connect {source} to {dest}")
            time.sleep(0.01)
        time.sleep(4 * PERIOD / RATE + 0.01)

    def stop(self) -> None:
        """Stop jackd and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if os.environ.get("JACK_DEFAULT_SERVER") == self.name:
            del os.environ["JACK_DEFAULT_SERVER"]
        shutil.rmtree(self.folder, ignore_errors=True)


_server: JackServer | None = None


def ensure_server() -> JackServer:
    """The one server of this test process, started on first use and stopped when the process exits.

    A fixture imported into several test modules is set up once per module
    even at session scope, so the server itself is kept here, once.
    """
    global _server
    if _server is None:
        _server = JackServer().start()
        atexit.register(_server.stop)
    return _server


@pytest.fixture(scope="session")
def jack_server() -> JackServer:
    """The running test server; the test fails clearly when jackd is not installed or does not start."""
    if shutil.which("jackd") is None:
        pytest.fail("jackd is missing (apt install jackd2; tools/system_deps.sh installs it)")
    try:
        return ensure_server()
    except RuntimeError as exc:
        pytest.fail(f"The test JACK server did not start: {exc}")
