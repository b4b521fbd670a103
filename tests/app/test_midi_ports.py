"""MIDI ports for real: a private JACK dummy server (tests/app/jack.py), Cadenza's virtual ports, python-rtmidi."""

from __future__ import annotations

import time

import pytest
import rtmidi

from app.audio import midi_ports
from jack import jack_server  # noqa: F401 (the session fixture)


def _wait_for(predicate, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.005)
    return predicate()


def test_jack_is_the_midi_system_and_virtual_in_receives_stamped_messages(jack_server):
    api = midi_ports.midi_api()
    assert api == rtmidi.API_UNIX_JACK and midi_ports.api_name(api) == "JACK"
    received = []
    port = midi_ports.MidiInput(api, received.append)
    player = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "test keyboard")
    try:
        assert "Cadenza in:Cadenza in" in player.get_ports()
        assert "Cadenza in:Cadenza in" not in midi_ports.output_ports(api)  # Cadenza's own ports are not offered
        player.open_port(player.get_ports().index("Cadenza in:Cadenza in"), "keys")
        jack_server.wait_connected("test keyboard:keys", "Cadenza in:Cadenza in")
        sent = time.monotonic()
        player.send_message([0x90, 60, 101])
        player.send_message([0x80, 60, 0])
        assert _wait_for(lambda: len(received) == 2)
    finally:
        player.delete()
        port.close()
    assert [m.data for m in received] == [(0x90, 60, 101), (0x80, 60, 0)]
    assert 0 <= received[0].time - sent < 0.02  # stamped on arrival, within a few 5.3 ms JACK cycles


def test_an_input_port_of_another_program_can_be_opened(jack_server):
    api = midi_ports.midi_api()
    keyboard = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "Keystation")
    keyboard.open_virtual_port("out")
    received = []
    try:
        assert "Keystation:out" in midi_ports.input_ports(api)
        port = midi_ports.MidiInput(api, received.append, "Keystation:out")
        jack_server.wait_connected("Keystation:out")
        try:
            keyboard.send_message([0x91, 64, 33])
            assert _wait_for(lambda: received)
        finally:
            port.close()
        with pytest.raises(midi_ports.MidiPortError, match="not there"):
            midi_ports.MidiInput(api, received.append, "Gone:out")
    finally:
        keyboard.delete()
    assert received[0].data == (0x91, 64, 33)


def test_no_midi_system_is_one_sentence(monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "cadenza-no-such-server")
    monkeypatch.setattr(midi_ports.os.path, "exists", lambda path: False)  # no /dev/snd/seq
    with pytest.raises(midi_ports.NoMidiSystem) as err:
        midi_ports.midi_api()
    assert str(err.value) == midi_ports.NO_MIDI and str(err.value).count(".") == 1
