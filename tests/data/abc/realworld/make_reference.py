"""Write abc2midi_reference.json: what abc2midi plays for each tune of this folder.

Run from the repository root after changing a tune (needs abc2midi, Debian's
``abcmidi``): ``python tests/data/abc/realworld/make_reference.py``. For a tune
with a file of the same name in ``abc2midi/`` that file is played instead (the
same music in what abc2midi reads; see ``abc2midi/README``). Guitar chords and
fermatas are left out (``-NGUI -NFER``): Cadenza plays neither. Figures: the
number of notes, the time from the first note's start to the last note's end in
quarter notes (to 0.01), and the pitches ordered by start, then pitch (MIDI
numbers, one string).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import mido

HERE = Path(__file__).parent
REFERENCE = HERE / "abc2midi_reference.json"
OPTIONS = ["-NGUI", "-NFER"]


def abc2midi_version() -> str:
    result = subprocess.run(["abc2midi", "-ver"], capture_output=True, text=True)
    return " ".join(result.stdout.split())


def abc2midi_figures(path: Path) -> dict:
    """abc2midi's notes of the one tune in ``path``: count, quarter notes from first start to last end, pitches."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "tune.mid"
        subprocess.run(["abc2midi", str(path), "-o", str(out), *OPTIONS], capture_output=True, check=True)
        midi = mido.MidiFile(out)
    notes = []
    for track in midi.tracks:
        now, sounding = 0, {}
        for message in track:
            now += message.time
            key = (getattr(message, "channel", None), getattr(message, "note", None))
            if message.type == "note_on" and message.velocity > 0:
                sounding.setdefault(key, []).append(now)
            elif message.type in ("note_on", "note_off") and sounding.get(key):
                start = sounding[key].pop(0)
                notes.append((start, message.note, now - start))
    notes.sort()
    span = max(s + d for s, _, d in notes) - min(s for s, _, _ in notes)
    return {"notes": len(notes), "quarters": round(span / midi.ticks_per_beat, 2),
            "pitches": " ".join(str(p) for _, p, _ in notes)}


def source_of(tune: Path) -> Path:
    """The file abc2midi plays for ``tune``."""
    variant = HERE / "abc2midi" / tune.name
    return variant if variant.exists() else tune


def main() -> int:
    tunes = {}
    for tune in sorted(HERE.glob("*.abc")):
        source = source_of(tune)
        tunes[tune.name] = {"played": str(source.relative_to(HERE)), **abc2midi_figures(source)}
    REFERENCE.write_text(json.dumps({"abc2midi": abc2midi_version(), "options": OPTIONS, "tunes": tunes},
                                    indent=1) + "\n")
    print(f"wrote {REFERENCE} ({len(tunes)} tunes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
