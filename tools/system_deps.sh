#!/bin/sh
# System packages Cadenza needs: libfluidsynth (the synthesizer), a General
# MIDI SoundFont, and on Linux PulseAudio with its tools (the tests play into a
# private null sink and record it with parec) and abcmidi (the tests compare the
# ABC reader with abc2midi, the reference player) and the desktop-file, AppStream and
# shared-mime-info tools (the tests validate packaging/). Installs them with apt-get where
# that is possible (root or sudo); elsewhere prints exactly what to install.
# Quick when all is present.
set -u

have_fluidsynth() {
    ldconfig -p 2>/dev/null | grep -q 'libfluidsynth\.so' && return 0
    for d in /usr/lib /usr/local/lib /opt/homebrew/lib /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu; do
        ls "$d"/libfluidsynth* >/dev/null 2>&1 && return 0
    done
    return 1
}
have_soundfont() {
    [ -n "${CADENZA_SOUNDFONT:-}" ] && [ -f "$CADENZA_SOUNDFONT" ] && return 0
    for f in /usr/share/sounds/sf2/*.sf2 /usr/share/soundfonts/*.sf2 /usr/local/share/soundfonts/*.sf2; do
        [ -f "$f" ] && return 0
    done
    return 1
}

have_command() {
    command -v "$1" >/dev/null 2>&1
}
have_library() {  # a shared library by file name, e.g. libxcb-cursor.so.0
    ldconfig -p 2>/dev/null | grep -q "$1" && return 0
    ls /usr/lib/*/"$1" /usr/lib/"$1" >/dev/null 2>&1
}

missing=""
have_fluidsynth || missing="$missing libfluidsynth3"
have_soundfont || missing="$missing fluid-soundfont-gm"
if [ "$(uname -s)" = Linux ]; then
    have_command pulseaudio || missing="$missing pulseaudio"
    { have_command parec && have_command pactl; } || missing="$missing pulseaudio-utils"
    have_command abc2midi || missing="$missing abcmidi"
    # corpus:band renders chord charts through MMA's grooves (models/common/band_corpus.py)
    have_command mma || missing="$missing mma"
    # the MIDI in/out tests run a private JACK server with its dummy driver (tests/app/jack.py)
    have_command jackd || missing="$missing jackd2"
    # tests/test_packaging.py validates packaging/'s desktop entry, AppStream metainfo and MIME type
    have_command desktop-file-validate || missing="$missing desktop-file-utils"
    have_command appstreamcli || missing="$missing appstream"
    have_command update-mime-database || missing="$missing shared-mime-info"
    # the never-lose-work tests: an immutable folder, a tiny tmpfs, a private mount namespace
    have_command chattr || missing="$missing e2fsprogs"
    { have_command unshare && have_command mount; } || missing="$missing util-linux mount"
    # Qt's X11 platform plugin (the window on a desktop) needs these since Qt 6.5
    have_library libxcb-cursor.so.0 || missing="$missing libxcb-cursor0"
    have_library libxkbcommon-x11.so.0 || missing="$missing libxkbcommon-x11-0"
    have_library libxcb-icccm.so.4 || missing="$missing libxcb-icccm4"
    have_library libxcb-keysyms.so.1 || missing="$missing libxcb-keysyms1"
fi
[ -z "$missing" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
    if [ "$SUDO" != none ]; then
        echo "Installing system packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        # jackd2 asks whether to enable realtime priority; the tests run it without (--no-realtime)
        echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections 2>/dev/null
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null && exit 0
        echo "apt-get could not install:$missing" >&2
    fi
fi
echo "Cadenza needs:$missing (the FluidSynth library, a General MIDI SoundFont; PulseAudio, abcmidi and the desktop-file tools for the tests; MMA for corpus:band; Qt's X11 libraries). Install them, then run make again:" >&2
echo "  Debian/Ubuntu: sudo apt-get install$missing" >&2
echo "  Fedora:        sudo dnf install fluidsynth-libs fluid-soundfont-gm pulseaudio pulseaudio-utils abcMIDI desktop-file-utils appstream shared-mime-info" >&2
echo "  macOS:         brew install fluid-synth   (and set CADENZA_SOUNDFONT to a .sf2 file)" >&2
exit 1
