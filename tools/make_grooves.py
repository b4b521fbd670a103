"""Write the bundled groove seeds (resources/seeds/*.mid) and their index entries.

Every groove is written out note by note below, so the files are deterministic:
running this script again gives byte-identical MIDI files. The grooves are
written for Cadenza and released as CC0.

Each file is a type 1 MIDI file at 480 ticks per quarter note, in 4/4: track 0
holds the title, tempo, time signature (and key signature where there is a
key); then a drum track on MIDI channel 10 (General MIDI drum notes) and,
for most grooves, a bass track (program 33, 32 for the upright in the swing
groove) and a chord track (program 4 or 0).

Usage: python tools/make_grooves.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import mido

SEEDS_DIR = Path(__file__).resolve().parents[1] / "resources" / "seeds"
INDEX = SEEDS_DIR / "index.json"

PPQ = 480
BAR = 4 * PPQ          # ticks in one 4/4 bar
E8 = PPQ // 2          # an eighth note
S16 = PPQ // 4         # a sixteenth note
SWING_8 = PPQ * 2 // 3  # the swung (triplet) offbeat eighth

DRUM_CHANNEL = 9       # MIDI channel 10
KICK, SIDE_STICK, SNARE, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 36, 37, 38, 42, 44, 46, 49, 51

# (start tick, duration in ticks, MIDI pitches, velocity)
Event = tuple[int, int, tuple[int, ...], int]


@dataclass
class Part:
    """One instrument track of a groove."""

    name: str
    channel: int
    program: int | None
    events: list[Event] = field(default_factory=list)

    def add(self, start: int, duration: int, pitches: int | tuple[int, ...], velocity: int) -> None:
        """Add a note (or chord) at ``start`` ticks."""
        if isinstance(pitches, int):
            pitches = (pitches,)
        self.events.append((start, duration, pitches, velocity))


@dataclass
class Groove:
    """A groove seed: its index fields plus its parts."""

    name: str
    title: str
    bpm: int
    bars: int
    key: str | None
    description: str
    parts: list[Part]


def drums() -> Part:
    return Part("Drums", DRUM_CHANNEL, None)


def hit(part: Part, start: int, note: int, velocity: int) -> None:
    """A drum hit (drums get a short fixed length)."""
    part.add(start, 60, note, velocity)


# ---------------------------------------------------------------- the grooves

def rock_beat() -> Groove:
    """Straight-eighth rock beat with an eighth-note bass, A A D E, fill in bar 4."""
    d, bass = drums(), Part("Bass", 0, 33)
    roots = (33, 33, 38, 40)  # A1 A1 D2 E2
    for bar, root in enumerate(roots):
        t0 = bar * BAR
        for i in range(8):
            if bar == 3 and i >= 6:
                continue  # the fill takes beat 4
            if bar == 0 and i == 0:
                hit(d, t0, CRASH, 100)
            else:
                hit(d, t0 + i * E8, CLOSED_HAT, 90 if i % 2 == 0 else 68)
        for t in (0, 2 * PPQ, 2 * PPQ + E8):
            hit(d, t0 + t, KICK, 105)
        hit(d, t0 + PPQ, SNARE, 110)
        if bar < 3:
            hit(d, t0 + 3 * PPQ, SNARE, 110)
        else:
            for i, vel in enumerate((80, 90, 100, 115)):
                hit(d, t0 + 3 * PPQ + i * S16, SNARE, vel)
        for i in range(8):
            bass.add(t0 + i * E8, E8 - 20, root, 96 if i % 2 == 0 else 82)
    return Groove("rock-beat-in-a", "Rock Beat in A", 112, 4, "A major",
                  "A straight-eighth rock beat with kick on 1, 3 and the and-of-3, a driving "
                  "eighth-note bass on A A D E and a snare fill into the loop.", [d, bass])


def funk_sixteenths() -> Groove:
    """Sixteenth-note funk: accented hats, ghost notes, syncopated bass, EP stabs."""
    d, bass, keys = drums(), Part("Bass", 0, 33), Part("Electric Piano", 1, 4)
    kicks = ((0, 3, 6, 10), (0, 3, 7, 10, 13))
    ghosts = ((7, 9, 15), (2, 7, 9, 14))
    bass_lines = (
        ((0, 2, 28), (3, 1, 40), (6, 1, 28), (7, 1, 31), (8, 2, 33), (10, 1, 35), (11, 1, 38), (14, 2, 40)),
        ((0, 2, 28), (3, 1, 40), (6, 1, 28), (8, 1, 43), (9, 1, 40), (10, 2, 38), (13, 1, 35), (14, 2, 33)),
    )
    chords = (((2, 5, 10), (55, 59, 62, 66)), ((2, 5, 10, 13), (57, 61, 64, 67)))  # Em9, A13 (no roots)
    for bar in range(2):
        t0 = bar * BAR
        for i in range(16):
            if bar == 1 and i == 14:
                hit(d, t0 + i * S16, OPEN_HAT, 85)
            elif not (bar == 1 and i == 15):
                hit(d, t0 + i * S16, CLOSED_HAT, 95 if i % 2 == 0 else 55)
        for i in kicks[bar]:
            hit(d, t0 + i * S16, KICK, 110)
        for i in (4, 12):
            hit(d, t0 + i * S16, SNARE, 115)
        for i in ghosts[bar]:
            hit(d, t0 + i * S16, SNARE, 34)
        for i, length, pitch in bass_lines[bar]:
            bass.add(t0 + i * S16, length * S16 - 15, pitch, 100 if i % 4 == 0 else 86)
        positions, voicing = chords[bar]
        for i in positions:
            keys.add(t0 + i * S16, S16 - 10, voicing, 88)
    return Groove("funk-sixteenths-in-e", "Funk Sixteenths in E", 100, 2, "E minor",
                  "A tight sixteenth-note funk groove with ghosted snare, an open hat on the "
                  "last and, a syncopated E dorian bass and Em9 to A13 electric piano stabs.",
                  [d, bass, keys])


def bossa_nova() -> Groove:
    """Bossa nova: 2-bar clave on side stick, root-fifth bass, syncopated piano."""
    d, bass, piano = drums(), Part("Bass", 0, 33), Part("Piano", 1, 0)
    changes = (  # root, fifth, rootless voicing
        (36, 43, (52, 55, 59, 62)),  # Cmaj9
        (33, 40, (55, 59, 60, 64)),  # Am9
        (38, 45, (53, 57, 60, 64)),  # Dm9
        (31, 38, (53, 57, 59, 64)),  # G13
    )
    clave = ((0, 3, 6), (2, 5))  # eighth-note positions over two bars
    comp = (((0, 700), (3, 700), (6, 460)), ((2, 700), (5, 460)))
    for bar, (root, fifth, voicing) in enumerate(changes):
        t0 = bar * BAR
        for i in range(8):
            hit(d, t0 + i * E8, CLOSED_HAT, 62 if i % 2 == 0 else 45)
        for i, vel in ((0, 85), (3, 60), (4, 80), (7, 60)):
            hit(d, t0 + i * E8, KICK, vel)
        for i in clave[bar % 2]:
            hit(d, t0 + i * E8, SIDE_STICK, 92)
        for start, length, pitch in ((0, 700, root), (720, 220, root), (960, 700, fifth), (1680, 220, fifth)):
            bass.add(t0 + start, length, pitch, 90 if start in (0, 960) else 72)
        for i, length in comp[bar % 2]:
            piano.add(t0 + i * E8, length, voicing, 70)
    return Groove("bossa-nova-in-c", "Bossa Nova in C", 132, 4, "C major",
                  "A gentle bossa nova with the 2-bar clave on side stick, root-fifth bass and "
                  "syncopated piano over Cmaj9 Am9 Dm9 G13.", [d, bass, piano])


def swing_ride() -> Groove:
    """Medium swing: ride pattern, hats on 2 and 4, walking bass, Charleston comping."""
    d, bass, keys = drums(), Part("Upright Bass", 0, 32), Part("Electric Piano", 1, 4)
    walk = ((31, 33, 34, 35), (36, 40, 43, 42), (41, 36, 38, 39), (38, 33, 30, 32))
    voicings = ((53, 57, 58, 62), (52, 57, 58, 62), (52, 55, 57, 60), (54, 59, 60, 64))  # Gm9 C13 Fmaj9 D13
    for bar in range(4):
        t0 = bar * BAR
        for beat in range(4):
            hit(d, t0 + beat * PPQ, RIDE, 96 if beat % 2 else 84)
            hit(d, t0 + beat * PPQ, KICK, 32)  # feathered
            if beat % 2:
                hit(d, t0 + beat * PPQ, PEDAL_HAT, 72)
                hit(d, t0 + beat * PPQ + SWING_8, RIDE, 62)
            bass.add(t0 + beat * PPQ, PPQ - 30, walk[bar][beat], 96 if beat == 0 else 84)
        if bar in (1, 3):
            hit(d, t0 + 3 * PPQ + SWING_8, SNARE, 58)
        keys.add(t0, 360, voicings[bar], 74)
        keys.add(t0 + PPQ + SWING_8, 300, voicings[bar], 68)
    return Groove("swing-ride-in-f", "Swing Ride in F", 140, 4, "F major",
                  "A medium swing feel with the ride's triplet skip, hi-hat on 2 and 4, a walking "
                  "bass and Charleston comping over Gm9 C13 Fmaj9 D13.", [d, bass, keys])


def reggae_one_drop() -> Groove:
    """One drop: kick and side stick together on 3 only, skank on 2 and 4."""
    d, bass, keys = drums(), Part("Bass", 0, 33), Part("Electric Piano", 1, 4)
    lines = (((240, 200, 33), (480, 400, 33), (960, 200, 36), (1200, 400, 40), (1680, 200, 38)),
             ((240, 200, 38), (480, 400, 38), (960, 200, 41), (1200, 400, 45), (1680, 200, 43)))
    skank = ((57, 60, 64), (57, 62, 65))  # Am, Dm
    for bar in range(2):
        t0 = bar * BAR
        for i in range(8):
            if bar == 1 and i == 7:
                hit(d, t0 + i * E8, OPEN_HAT, 70)
            else:
                hit(d, t0 + i * E8, CLOSED_HAT, 72 if i % 2 == 0 else 52)
        hit(d, t0 + 2 * PPQ, KICK, 105)
        hit(d, t0 + 2 * PPQ, SIDE_STICK, 95)
        for start, length, pitch in lines[bar]:
            bass.add(t0 + start, length, pitch, 100)
        for beat in (1, 3):
            keys.add(t0 + beat * PPQ, 150, skank[bar], 80)
    return Groove("reggae-one-drop-in-a-minor", "Reggae One Drop in A Minor", 76, 2, "A minor",
                  "A laid-back one-drop with kick and side stick together on beat 3 only, a dub "
                  "bass that leaves beat 1 empty and an Am to Dm skank on 2 and 4.", [d, bass, keys])


def boom_bap() -> Groove:
    """Hip-hop boom bap: swung eighth hats, lazy kicks, hard backbeat (drums only)."""
    d = drums()
    kicks = ((0, 7, 10), (0, 3, 10, 14))
    swing = 300  # ticks to the offbeat eighth: a loose, not quite triplet swing
    for bar in range(2):
        t0 = bar * BAR
        for beat in range(4):
            hit(d, t0 + beat * PPQ, CLOSED_HAT, 88)
            hit(d, t0 + beat * PPQ + swing, CLOSED_HAT, 58)
        for i in kicks[bar]:
            hit(d, t0 + i * S16, KICK, 112)
        for beat in (1, 3):
            hit(d, t0 + beat * PPQ, SNARE, 118)
    return Groove("boom-bap-drums", "Boom Bap Drums", 90, 2, None,
                  "A head-nodding boom bap drum loop at 90 BPM with swung hats, off-grid kicks "
                  "and a heavy backbeat, ready for a bass line or sample chops.", [d])


GROOVES = (rock_beat, funk_sixteenths, bossa_nova, swing_ride, reggae_one_drop, boom_bap)

# ---------------------------------------------------------------- writing

MIDO_KEYS = {"A major": "A", "E minor": "Em", "C major": "C", "F major": "F", "A minor": "Am"}


def _track(events: list[tuple[int, int, mido.Message]], end: int) -> mido.MidiTrack:
    """Absolute-time (tick, order, message) events -> a track with delta times, ending at ``end``."""
    track = mido.MidiTrack()
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=end - now))
    return track


def build_midi(groove: Groove) -> mido.MidiFile:
    """The type 1 MIDI file of ``groove``."""
    end = groove.bars * BAR
    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    meta = [(0, 0, mido.MetaMessage("track_name", name=groove.title)),
            (0, 1, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(groove.bpm))),
            (0, 2, mido.MetaMessage("time_signature", numerator=4, denominator=4,
                                    clocks_per_click=24, notated_32nd_notes_per_beat=8))]
    if groove.key:
        meta.append((0, 3, mido.MetaMessage("key_signature", key=MIDO_KEYS[groove.key])))
    mid.tracks.append(_track(meta, end))
    for part in groove.parts:
        events = [(0, 0, mido.MetaMessage("track_name", name=part.name))]
        if part.program is not None:
            events.append((0, 1, mido.Message("program_change", channel=part.channel, program=part.program)))
        for start, length, pitches, velocity in part.events:
            assert 0 <= start and start + length <= end, (groove.name, part.name, start)
            for p in pitches:
                # offs sort before ons at the same tick, so repeated notes never overlap
                events.append((start, 3, mido.Message("note_on", channel=part.channel, note=p, velocity=velocity)))
                events.append((start + length, 2, mido.Message("note_off", channel=part.channel, note=p, velocity=0)))
        mid.tracks.append(_track(events, end))
    return mid


def index_entry(groove: Groove) -> dict:
    """The index.json entry of ``groove``."""
    return {"name": groove.name, "title": groove.title, "file": f"{groove.name}.mid", "style": "groove",
            "bars": groove.bars, "meter": "4/4", "key": groove.key,
            "source": f"written for Cadenza (tools/make_grooves.py), {groove.bpm} BPM",
            "licence": "CC0", "description": groove.description}


def update_index(entries: list[dict], styles: set[str], index: Path = INDEX) -> None:
    """Replace the index entries of ``styles`` by ``entries``, keeping the others.

    The index is written sorted by style then name, one entry per line block,
    so regenerating one style leaves the rest of the file untouched.
    """
    old = json.loads(index.read_text(encoding="utf-8")) if index.exists() else []
    kept = [e for e in old if e.get("style") not in styles]
    merged = sorted(kept + entries, key=lambda e: (e["style"], e["name"]))
    names = [e["name"] for e in merged]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f"duplicate seed names: {', '.join(dupes)}")
    index.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    SEEDS_DIR.mkdir(parents=True, exist_ok=True)
    entries = []
    for make in GROOVES:
        groove = make()
        path = SEEDS_DIR / f"{groove.name}.mid"
        build_midi(groove).save(path)
        entries.append(index_entry(groove))
        print(f"wrote {path.relative_to(SEEDS_DIR.parents[1])}")
    update_index(entries, {"groove"})


if __name__ == "__main__":
    main()
