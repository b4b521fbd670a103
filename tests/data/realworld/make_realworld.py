"""Regenerate the real-world regression set in this folder (every file is written here, none copied).

    .venv/bin/python tests/data/realworld/make_realworld.py

The files imitate what musicians bring from other tools (see README.md): type-0
and type-1 MIDI, a POP909-style three-track song, a Maestro-style piano
performance, Nottingham/session-style ABC, abcm2ps-style headers, MusicXML
with odd features, projects, and fuzzed or truncated files. Deterministic: the
same bytes every run. ``SEEDS`` names the files used as generation seeds, each
with the first pitches of the melody a continuation must start with.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import mido

HERE = Path(__file__).parent
TUNE = [67, 69, 71, 72, 74, 72, 71, 69, 67, 66, 67, 69, 71, 67, 62, 67]  # a G major melody in quarters

#: Seed files -> the first melody pitches (MIDI) every continuation must start with.
SEEDS = {
    "midi_type0_piano_chords.mid": TUNE[:8],
    "midi_type0_three_channels.mid": TUNE[:8],
    "midi_type1_named_melody.mid": TUNE[:8],
    "midi_type1_unnamed_tracks.mid": TUNE[:8],
    "midi_pop909_style.mid": [64, 67, 69, 67, 64, 62, 60, 62],
    "midi_maestro_style_piano.mid": [76, 74, 72, 71, 72, 74, 76, 79],
    "midi_triplets.mid": [60, 62, 64, 65, 67, 69, 71, 72],
    "midi_waltz_pickup.mid": [67, 72, 71, 72, 74, 76, 74, 72],
    "midi_jig_6_8.mid": [62, 66, 69, 69, 66, 62, 61, 64],
    "midi_band_with_drums.mid": [69, 72, 76, 74, 72, 69, 67, 69],
    "midi_ppq96_short_notes.mid": [72, 74, 76, 77, 79, 77, 76, 74],
    "abc_chords_in_body.abc": [71, 69, 71, 73, 74, 76, 78, 78],  # K:D
    "abc_session_jig_endings.abc": [69, 74, 78, 81, 81, 78, 74, 73],
    "abc_short_bar_before_repeat.abc": [62, 67, 67, 71, 67, 71, 74, 72],
    "abc_tuplets_odd_lengths.abc": [60, 62, 64, 65, 67, 69, 71],
    "abc_decorations_grace.abc": [67, 69, 71, 67, 72, 71, 69, 67],
    "abc_two_voices.abc": [72, 71, 69, 67, 69, 71, 72, 74],
    "abc_nottingham_reels.abc": [67, 71, 74, 71, 67, 71, 74, 71],
    "abc_abcm2ps_header.abc": [74, 76, 78, 79, 81, 79, 78, 76],
    "musicxml_two_staves_piano.musicxml": [76, 77, 79, 76, 72, 74, 76, 72],
}


# -- MIDI -------------------------------------------------------------------------------------

def _track(name: str | None, events: list[tuple[int, mido.Message]], channel: int = 0,
           program: int | None = 0) -> mido.MidiTrack:
    """A track from (absolute tick, message) pairs, with a name and a program change."""
    track = mido.MidiTrack()
    if name is not None:
        track.append(mido.MetaMessage("track_name", name=name, time=0))
    if program is not None:
        track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    now = 0
    for tick, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _notes(notes, channel: int = 0, velocity: int = 90) -> list[tuple[int, mido.Message]]:
    """(start, pitch, duration[, velocity]) -> note_on / note_off (as note_on velocity 0, running status)."""
    out = []
    for n in notes:
        start, pitch, dur = n[:3]
        vel = n[3] if len(n) > 3 else velocity
        out.append((start, mido.Message("note_on", channel=channel, note=pitch, velocity=vel)))
        out.append((start + dur, mido.Message("note_on", channel=channel, note=pitch, velocity=0)))
    return out


def _conductor(tempo: int = 500000, meter=(4, 4), key: str | None = None, name: str | None = None,
               extra=()) -> mido.MidiTrack:
    events = [(0, mido.MetaMessage("set_tempo", tempo=tempo)),
              (0, mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1]))]
    if key:
        events.append((0, mido.MetaMessage("key_signature", key=key)))
    return _track(name, events + list(extra), program=None)


def _save(mid: mido.MidiFile, name: str) -> None:
    mid.save(HERE / name)


def _melody(pitches, length=480, start=0):
    return [(start + i * length, p, length) for i, p in enumerate(pitches)]


BLOCK_CHORDS = [(i * 1920, p, 1920) for i, chord in enumerate(([48, 55, 64], [48, 53, 57], [50, 55, 59], [43, 55, 62]))
                for p in chord]


def midi_files() -> None:
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    track = _track("Piano", _notes(_melody(TUNE) + BLOCK_CHORDS, velocity=80))
    track.insert(0, mido.MetaMessage("set_tempo", tempo=500000, time=0))
    mid.tracks.append(track)
    _save(mid, "midi_type0_piano_chords.mid")

    mid = mido.MidiFile(type=0, ticks_per_beat=480)  # one track, three channels with their programs
    events = _notes(_melody(TUNE), channel=0) + _notes(BLOCK_CHORDS, channel=1, velocity=60) \
        + _notes([(i * 960, 36 + (i % 4) * 2, 900) for i in range(8)], channel=2)
    events += [(0, mido.Message("program_change", channel=1, program=48)),
               (0, mido.Message("program_change", channel=2, program=33))]
    mid.tracks.append(_track("Type 0 band", events, program=73))
    _save(mid, "midi_type0_three_channels.mid")

    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(key="G"),
                   _track("Bass", _notes([(i * 960, 36 + (i % 4) * 2, 900) for i in range(8)], channel=1), 1, 33),
                   _track("Melody", _notes(_melody(TUNE), channel=0), 0, 73),
                   _track("Pad", _notes(BLOCK_CHORDS, channel=2, velocity=50), 2, 89)]
    _save(mid, "midi_type1_named_melody.mid")

    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(),
                   _track(None, _notes(_melody(TUNE), channel=0), 0, 0),
                   _track(None, _notes([(n[0], n[1] - 12, n[2]) for n in BLOCK_CHORDS], channel=1), 1, 0)]
    _save(mid, "midi_type1_unnamed_tracks.mid")

    pop = [64, 67, 69, 67, 64, 62, 60, 62, 64, 64, 62, 60, 57, 60, 62, 64]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)  # POP909: MELODY, BRIDGE, PIANO; tempo from the song
    melody = [(i * 480 + (240 if i % 4 == 3 else 0), p, 240 if i % 4 == 3 else 480, 70 + i % 20)
              for i, p in enumerate(pop)]
    bridge = [(1920 * 2 + i * 240, p, 240, 60) for i, p in enumerate([72, 71, 69, 67] * 2)]
    piano = [(bar * 1920 + beat * 480, p, 470, 55) for bar in range(4) for beat in range(4)
             for p in ([48, 52, 55], [45, 48, 52], [41, 45, 48], [43, 47, 50])[bar]]
    mid.tracks += [_conductor(tempo=620000, name="pop909"),
                   _track("MELODY", _notes(melody, channel=0), 0, 0),
                   _track("BRIDGE", _notes(bridge, channel=1), 1, 0),
                   _track("PIANO", _notes(piano, channel=2), 2, 0)]
    _save(mid, "midi_pop909_style.mid")

    rng = random.Random(909)  # Maestro: one piano, pedal, live velocities and timing, no meter event
    mid = mido.MidiFile(type=1, ticks_per_beat=384)
    right = [76, 74, 72, 71, 72, 74, 76, 79, 77, 76, 74, 72, 71, 72, 74, 67] * 24
    events = []
    for i, p in enumerate(right):
        start = i * 384 + rng.randint(-6, 6) + 8
        events.append((max(0, start), p, 380 + rng.randint(-20, 20), rng.randint(50, 100)))
        for k, low in enumerate((48, 55, 60)[: 1 + i % 3]):
            events.append((max(0, start + 96 * k + 40), low - 12 * (i % 2), 300, rng.randint(30, 60)))
    pedal = [(bar * 1536 + 20, mido.Message("control_change", control=64, value=127)) for bar in range(96)] \
        + [(bar * 1536 + 1500, mido.Message("control_change", control=64, value=0)) for bar in range(96)]
    tempo = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0),
                            mido.MetaMessage("end_of_track", time=0)])
    mid.tracks += [tempo, _track("Piano", _notes(events) + pedal, 0, 0)]
    _save(mid, "midi_maestro_style_piano.mid")

    third = 160  # triplet eighths at ppq 480
    trip = [(i * third, p, third) for i, p in enumerate([60, 62, 64, 65, 67, 69])] \
        + [(960 + i * 480, p, 480) for i, p in enumerate([71, 72, 71, 69, 67, 65])]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(), _track("Flute", _notes(trip), 0, 73)]
    _save(mid, "midi_triplets.mid")

    waltz = [67] + [72, 71, 72, 74, 76, 74, 72, 71, 69, 67, 69, 71, 72]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)  # 3/4 with a one-beat pickup (notes start on beat 3)
    mid.tracks += [_conductor(meter=(3, 4), key="C"),
                   _track("Violin", _notes([(960 + i * 480, p, 480) for i, p in enumerate(waltz)]), 0, 40)]
    _save(mid, "midi_waltz_pickup.mid")

    jig = [62, 66, 69, 69, 66, 62, 61, 64, 69, 69, 64, 61]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(meter=(6, 8), key="D"),
                   _track("Whistle", _notes([(i * 240, p, 240) for i, p in enumerate(jig)] + [(2880, 62, 1440)]), 0, 78)]
    _save(mid, "midi_jig_6_8.mid")

    lead = [69, 72, 76, 74, 72, 69, 67, 69, 72, 74, 76, 79, 76, 74, 72, 69]
    drums = [(i * 240, (36, 42, 38, 42)[i % 4], 100) for i in range(32)]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(tempo=450000),
                   _track("Drums", _notes(drums, channel=9, velocity=110), 9, 0),
                   _track("Bass", _notes([(i * 480, 45 + (i % 2) * 7, 450) for i in range(16)], channel=1), 1, 34),
                   _track("Lead", _notes(_melody(lead), channel=2), 2, 81)]
    _save(mid, "midi_band_with_drums.mid")

    mid = mido.MidiFile(type=1, ticks_per_beat=96)  # coarse ppq, grace-like 3-tick notes before beats
    notes = []
    for i, p in enumerate([72, 74, 76, 77, 79, 77, 76, 74]):
        if i % 2:
            notes.append((i * 96 - 3, p - 1, 3, 40))
        notes.append((i * 96, p, 90, 90))
    mid.tracks += [_conductor(), _track("Oboe", _notes(notes), 0, 68)]
    _save(mid, "midi_ppq96_short_notes.mid")

    changes = [(1920, mido.MetaMessage("set_tempo", tempo=400000)),
               (1920, mido.MetaMessage("time_signature", numerator=3, denominator=4)),
               (3360, mido.MetaMessage("key_signature", key="Bb")),
               (3360, mido.MetaMessage("time_signature", numerator=5, denominator=8))]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(key="F", extra=changes),
                   _track("Clarinet", _notes([(i * 240, 60 + (i * 5) % 17, 240) for i in range(24)]), 0, 71)]
    _save(mid, "midi_tempo_meter_key_changes.mid")

    mid = mido.MidiFile(type=1, ticks_per_beat=480, charset="utf-8")  # as many tools write names today
    mid.tracks += [_conductor(name="Été — 夜の歌 (naïve)"),
                   _track("Cor anglais — 主旋律", _notes(_melody(TUNE[:8])), 0, 69)]
    _save(mid, "midi_unicode_names.mid")

    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(name="Title\x00"),
                   _track("Piano\x00\x01\x7f", _notes(_melody(TUNE[:8])), 0, 0)]
    _save(mid, "midi_nul_control_names.mid")

    extra = [(0, mido.MetaMessage("copyright", text="(c) nobody")),
             (0, mido.MetaMessage("marker", text="Verse")),
             (0, mido.Message("sysex", data=(0x7E, 0x7F, 0x09, 0x01))),
             (480, mido.MetaMessage("lyrics", text="la")),
             (960, mido.MetaMessage("cue_marker", text="cue")),
             (960, mido.Message("pitchwheel", pitch=2000)),
             (1000, mido.Message("aftertouch", value=40))]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(), _track("Synth", _notes(_melody(TUNE[:8])) + extra, 0, 80)]
    _save(mid, "midi_sysex_meta_events.mid")

    overlap = [(0, 60, 960), (480, 60, 960), (960, 64, 480), (1440, 64, 10_000)]
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    track = _track("Organ", _notes(overlap), 0, 19)
    del track[-3]  # the last note never ends: its note-off is gone
    mid.tracks += [_conductor(), track]
    _save(mid, "midi_overlaps_unended_note.mid")

    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks += [_conductor(), _track("Kit", _notes([(i * 240, 36 + (i % 3) * 2, 120) for i in range(16)], channel=9), 9, 0)]
    _save(mid, "midi_drums_only.mid")

    good = (HERE / "midi_type1_named_melody.mid").read_bytes()
    (HERE / "fuzz_truncated.mid").write_bytes(good[: len(good) * 2 // 3])
    damaged = bytearray(good)
    damaged[18:22] = b"\x7f\xff\xff\xff"  # the first track claims 2 GB
    (HERE / "fuzz_huge_track_length.mid").write_bytes(bytes(damaged))
    (HERE / "fuzz_random_bytes.mid").write_bytes(bytes(random.Random(7).randrange(256) for _ in range(600)))
    (HERE / "fuzz_smpte_division.mid").write_bytes(b"MThd\0\0\0\6\0\1\0\1\xe7\x28" + good[14:])
    flipped = bytearray(good)
    rng = random.Random(11)
    for _ in range(12):
        flipped[rng.randrange(22, len(flipped))] = rng.randrange(256)
    (HERE / "fuzz_flipped_bytes.mid").write_bytes(bytes(flipped))


# -- ABC --------------------------------------------------------------------------------------

ABC = {
    "abc_nottingham_reels.abc": """\
% Nottingham-style: chord symbols, repeats, endings, several tunes
X: 1
T:Reel of the Test Set
S:written for Cadenza's regression set
M:4/4
L:1/8
R:reel
K:G
"G"GBdB GBdB|"C"cecA "G"BdBG|"Am"ABcA "D"FADF|"G"GBAG "D"FGAF|
"G"GBdB GBdB|"C"cecA "G"BdBG|"Am"ABcA "D7"dcAF|1"G"G2B2 G4:|2"G"G2B2 G2ef||
|:"G"gfed B2Bd|"C"ceGc e2ec|"G"BdGB dBGB|"D"AFDF A2Bc|
"G"dBGB "C"cAGA|"G"BGdB "Em"e2ge|"Am"dBAG "D7"FGAF|"G"G2G2 G4:|

X: 2
T:Second Reel
M:C|
L:1/8
K:D
|:A2FA DAFA|B2GB dBGB|A2FA DAFA|Bdce d2dc:|
""",
    "abc_session_jig_endings.abc": """\
X:1
T:Session Jig
R:jig
M:6/8
L:1/8
K:D
|:A|dfa afd|cee e2A|dfa afd|1 cdc d2:|2 cdc d2||
|:e|fef gfg|afd d2e|fef gfg|[1 aec d2:|[2 aec d2|]
""",
    "abc_short_bar_before_repeat.abc": """\
X:1
T:Short Bars
M:3/4
L:1/8
K:G
|:D2|G2 G2 B2|G2 B2 d2|c2 B2 A2|G4:|
|:B2|d2 d2 e2|d2 B2 G2|A2 B2 A2|G4:|
""",
    "abc_chords_in_body.abc": """\
X:1
T:Chords in the Body
M:4/4
L:1/8
K:D
[GB]2 AB cd ef|[Af]2 ed cB AG|[DFA]4 [CEA]4|[DFAd]8|]
""",
    "abc_tuplets_odd_lengths.abc": """\
X:1
T:Odd Lengths
M:4/4
L:1/4
K:C
(3C/D/E/ F G A|B c/12d11/12 e2|(5cdcdc (3BAG A2|]
""",
    "abc_decorations_grace.abc": """\
X:1
T:Ornaments
M:4/4
L:1/8
K:G
!mf!"^Slowly"G2 A2 B2 ~G2|{a}c2 B2 !trill!A2 (GF)|.G2 .A2 HB4|{/g}G8|]
""",
    "abc_two_voices.abc": """\
X:1
T:Two Voices
M:4/4
L:1/4
%%score (1 2)
K:C
V:1 name="Soprano"
c B A G|A B c d|e d c B|c4|]
V:2 name="Alto" clef=treble
E G F E|F G A B|c B A G|E4|]
""",
    "abc_inline_fields.abc": """\
X:1
T:Inline Fields
M:4/4
L:1/8
Q:1/4=100
K:C
CDEF GABc|[M:3/4]cBA GFE|[K:D][L:1/16]d4f4a4|[M:4/4][L:1/8]d8|]
""",
    "abc_abcm2ps_header.abc": """\
%abc-2.1
%%pagewidth 21cm
%%titlefont Times-Bold 20
%%MIDI program 73
I:linebreak $
M:2/4
L:1/16

X:1
T:Header Fields
C:Test composer
O:Nowhere
Z:written for the regression set
N:%%-directives, a file header, lyrics and a tempo with text
Q:"Allegro" 1/4=120
K:D
d2e2 f2g2|a2g2 f2e2|d4 A4|d8|]
w:one two three four five six sev-en eight nine ten eleven twelve thir-teen
%%vskip 1cm

X:2
T:Second
K:Em
E2G2 B2e2|d2B2 A2F2|E8|]
""",
    "abc_hornpipe_broken_rhythm.abc": """\
X:1
T:Broken Rhythm
R:hornpipe
M:C
L:1/8
K:A
(3EFG|A>Bc>d e>fe>c|B>cd>e f2 e>d|c>AB>G A2:|
""",
    "abc_clef_and_pipe_keys.abc": """\
X:1
T:Clefs and Pipes
M:4/4
L:1/8
K:bass
C,D,E,F, G,A,B,C|[K:alto]CDEF GABc|
X:2
T:Pipes
M:4/4
L:1/8
K:HP
A2 B2 c2 d2|e2 f2 g2 a2|]
""",
    "abc_remarks_macros_fields.abc": """\
X:1
T:Body Fields
M:4/4
L:1/8
m: ~n2 = (3o/n/m/ n
K:G
r: a remark in the body
GABc d2 ~B2|
+: dcBA G4|
d: !p! !f!
GABc d4|]
""",
    "abc_valid_but_unusual.abc": """\
X:1
T:Unusual but Valid
M:2
Q:1/4=ca. 80
K:F
"@10,0 annotation"F2 A2|c4|
%%beginsvg
<svg><rect/></svg>
%%endsvg
f2 e2|F4|]

X:2
T:Complex Meter
M:2/4 3/4
L:1/8
K:C
CDEF|GABcd|]
""",
    "fuzz_truncated.abc": "X:1\nT:Cut Off\nM:4/4\nL:1/8\nK:G\nGABc dedB|de",
    "fuzz_no_notes.abc": "X:1\nT:Only a Header\nM:4/4\nK:C\n",
    "fuzz_unbalanced_brackets.abc": "X:1\nT:Brackets\nM:4/4\nL:1/8\nK:C\n[[[CEG]]] ((((A|\"unclosed chord [CE|]\n",
    "fuzz_bad_key_and_meter.abc": "X:1\nT:Bad Fields\nM:4/0\nL:0/8\nK:Q#zz\nABcd|\n",
}


def abc_files() -> None:
    for name, text in ABC.items():
        (HERE / name).write_text(text, encoding="utf-8")
    (HERE / "fuzz_binary.abc").write_bytes(b"X:1\nT:\x00\x01\x02\nK:C\n" + bytes(range(256)))
    (HERE / "abc_latin1.abc").write_bytes("X:1\nT:Caf\u00e9 na \u00c9ireann\nM:4/4\nL:1/8\nK:G\nGABc dedB|"
                                          "GABc d4|]\n".encode("latin-1"))
    rng = random.Random(1000)
    tunes = []
    for n in range(1, 1201):
        bars = " ".join("".join(rng.choice("ABcdefg") + rng.choice(("", "2", "")) for _ in range(4)) + "|"
                        for _ in range(4))
        tunes.append(f"X:{n}\nT:Collection Tune {n}\nR:reel\nM:4/4\nL:1/8\nK:{rng.choice(['G', 'D', 'Am', 'Em'])}\n"
                     f"|:{bars}\n{bars[:-1]}:|\n")
    (HERE / "abc_collection_1200_tunes.abc").write_text("\n".join(tunes), encoding="utf-8")


# -- MusicXML ---------------------------------------------------------------------------------

def _xml(parts: str, part_list: str, version: str = "3.1") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML {version} Partwise//EN" '
            f'"http://www.musicxml.org/dtds/partwise.dtd">\n'
            f'<score-partwise version="{version}"><work><work-title>Test</work-title></work>'
            f'<part-list>{part_list}</part-list>{parts}</score-partwise>\n')


def _score_part(pid: str, name: str, program: int = 1, channel: int = 1) -> str:
    return (f'<score-part id="{pid}"><part-name>{name}</part-name><score-instrument id="{pid}-I1">'
            f'<instrument-name>{name}</instrument-name></score-instrument><midi-instrument id="{pid}-I1">'
            f'<midi-channel>{channel}</midi-channel><midi-program>{program}</midi-program></midi-instrument></score-part>')


def _pitch(step: str, octave: int, alter: float | None = None) -> str:
    alter_xml = f"<alter>{alter:g}</alter>" if alter is not None else ""
    return f"<pitch><step>{step}</step>{alter_xml}<octave>{octave}</octave></pitch>"


def _note(step, octave, duration, kind, extra="", alter=None, staff=None, voice=1, chord=False) -> str:
    return (f"<note>{'<chord/>' if chord else ''}{_pitch(step, octave, alter)}<duration>{duration}</duration>"
            f"<voice>{voice}</voice><type>{kind}</type>{extra}{f'<staff>{staff}</staff>' if staff else ''}</note>")


ATTRS = ("<attributes><divisions>{div}</divisions><key><fifths>{fifths}</fifths></key>"
         "<time><beats>{beats}</beats><beat-type>{bt}</beat-type></time>{more}</attributes>")


def _bar(n, body, attrs=""):
    return f'<measure number="{n}">{attrs}{body}</measure>'


def _whole(step, octave):
    return _note(step, octave, 4, "whole")


def musicxml_files() -> None:
    m1 = ATTRS.format(div=2, fifths=0, beats=4, bt=4, more="<staves>2</staves><clef number=\"1\"><sign>G</sign>"
                      "<line>2</line></clef><clef number=\"2\"><sign>F</sign><line>4</line></clef>")
    right = [("E", 5), ("F", 5), ("G", 5), ("E", 5), ("C", 5), ("D", 5), ("E", 5), ("C", 5)]
    measures = []
    for m in range(2):
        notes = "".join(_note(s, o, 2, "quarter", staff=1) for s, o in right[m * 4:m * 4 + 4])
        left = _note("C", 3, 8, "whole", staff=2, voice=2) + _note("G", 3, 8, "whole", staff=2, voice=2, chord=True)
        measures.append(f'<measure number="{m + 1}">{m1 if m == 0 else ""}{notes}<backup><duration>8</duration>'
                        f'</backup>{left}</measure>')
    (HERE / "musicxml_two_staves_piano.musicxml").write_text(
        _xml(f'<part id="P1">{"".join(measures)}</part>', _score_part("P1", "Piano")), encoding="utf-8")

    tuplet = '<time-modification><actual-notes>3</actual-notes><normal-notes>2</normal-notes></time-modification>'
    grace = ('<measure number="1">' + ATTRS.format(div=6, fifths=2, beats=3, bt=4, more="")
             + '<note><grace/>' + _pitch("A", 4) + '<voice>1</voice><type>eighth</type></note>'
             + _note("B", 4, 6, "quarter", '<notations><tied type="start"/></notations>')
             + '<note>' + _pitch("B", 4) + '<duration>2</duration><tie type="stop"/><voice>1</voice><type>eighth</type>'
             + tuplet + '<notations><tied type="stop"/><tuplet type="start"/></notations></note>'
             + _note("C", 5, 2, "eighth", tuplet, alter=1)
             + _note("D", 5, 2, "eighth", tuplet + '<notations><tuplet type="stop"/></notations>')
             + _note("E", 5, 6, "quarter", '<notations><fermata/></notations>')
             + '</measure><measure number="2">'
             + '<harmony><root><root-step>D</root-step></root><kind>major</kind></harmony>'
             + _note("F", 5, 12, "half", '<lyric><text>la</text></lyric>', alter=1)
             + _note("E", 5, 6, "quarter") + '<barline location="right"><bar-style>light-heavy</bar-style></barline>'
             + '</measure>')
    (HERE / "musicxml_grace_tuplet_tie_lyric.musicxml").write_text(
        _xml(f'<part id="P1">{grace}</part>', _score_part("P1", "Flute", 74)), encoding="utf-8")

    repeats = (_bar(1, '<barline location="left"><bar-style>heavy-light</bar-style><repeat direction="forward"/>'
                       '</barline>' + _whole("C", 5), ATTRS.format(div=1, fifths=-1, beats=4, bt=4, more=""))
               + _bar(2, '<barline location="left"><ending number="1" type="start"/></barline>' + _whole("D", 5)
                      + '<barline location="right"><bar-style>light-heavy</bar-style><ending number="1" type="stop"/>'
                        '<repeat direction="backward"/></barline>')
               + _bar(3, '<barline location="left"><ending number="2" type="start"/></barline>' + _whole("E", 5)
                      + '<barline location="right"><ending number="2" type="discontinue"/></barline>')
               + _bar(4, '<attributes><measure-style><multiple-rest>2</multiple-rest></measure-style></attributes>'
                         '<note><rest measure="yes"/><duration>4</duration><voice>1</voice></note>')
               + _bar(5, '<note><rest measure="yes"/><duration>4</duration><voice>1</voice></note>')
               + _bar(6, '<direction placement="above"><direction-type><words>D.C. al Fine</words></direction-type>'
                         '<sound tempo="96"/></direction>' + _whole("F", 5)))
    (HERE / "musicxml_repeats_endings_multirest.musicxml").write_text(
        _xml(f'<part id="P1">{repeats}</part>', _score_part("P1", "Violin", 41)), encoding="utf-8")

    clarinet = _bar(1, ''.join(_note(s, 4, 1, "quarter") for s in "CDEF"),
                    '<attributes><divisions>1</divisions><key><fifths>2</fifths></key><time><beats>4</beats>'
                    '<beat-type>4</beat-type></time><transpose><diatonic>-1</diatonic><chromatic>-2</chromatic>'
                    '</transpose></attributes>')
    drums = _bar(1, ''.join(f'<note><unpitched><display-step>{s}</display-step><display-octave>{o}</display-octave>'
                            f'</unpitched><duration>1</duration><instrument id="P2-X{i % 2}"/><voice>1</voice>'
                            f'<type>quarter</type><notehead>x</notehead></note>'
                            for i, (s, o) in enumerate([("F", 4), ("C", 5)] * 2)),
                 '<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time>'
                 '<clef><sign>percussion</sign></clef></attributes>')
    drum_part = ('<score-part id="P2"><part-name>Drum Set</part-name>'
                 '<score-instrument id="P2-X0"><instrument-name>Kick</instrument-name></score-instrument>'
                 '<score-instrument id="P2-X1"><instrument-name>Snare</instrument-name></score-instrument>'
                 '<midi-instrument id="P2-X0"><midi-channel>10</midi-channel><midi-unpitched>37</midi-unpitched>'
                 '</midi-instrument><midi-instrument id="P2-X1"><midi-channel>10</midi-channel>'
                 '<midi-unpitched>39</midi-unpitched></midi-instrument></score-part>')
    (HERE / "musicxml_transposing_and_percussion.musicxml").write_text(
        _xml(f'<part id="P1">{clarinet}</part><part id="P2">{drums}</part>',
             _score_part("P1", "Clarinet in Bb", 72) + drum_part), encoding="utf-8")

    micro = _bar(1, _note("C", 5, 2, "half", alter=0.5) + _note("E", 5, 2, "half", alter=-0.5),
                 ATTRS.format(div=1, fifths=0, beats=4, bt=4, more=""))
    (HERE / "musicxml_microtones.musicxml").write_text(
        _xml(f'<part id="P1">{micro}</part>', _score_part("P1", "Voice", 53)), encoding="utf-8")

    nontrad = _bar(1, _whole("F", 4) + _whole("B", 4),
                   '<attributes><divisions>1</divisions><key><key-step>F</key-step><key-alter>1</key-alter>'
                   '<key-step>B</key-step><key-alter>-1</key-alter></key><time><beats>4</beats><beat-type>4'
                   '</beat-type></time></attributes>')
    (HERE / "musicxml_nontraditional_key.musicxml").write_text(
        _xml(f'<part id="P1">{nontrad}</part>', _score_part("P1", "Piano")), encoding="utf-8")

    timewise = ('<?xml version="1.0" encoding="UTF-8"?><score-timewise version="3.1"><part-list>'
                + _score_part("P1", "Piano") + '</part-list><measure number="1"><part id="P1">'
                + ATTRS.format(div=1, fifths=0, beats=4, bt=4, more="") + _whole("C", 4)
                + '</part></measure></score-timewise>\n')
    (HERE / "musicxml_score_timewise.musicxml").write_text(timewise, encoding="utf-8")

    simple = _xml('<part id="P1">' + _bar(1, ''.join(_note(s, 5, 1, "quarter") for s in "CDEF"),
                                          ATTRS.format(div=1, fifths=0, beats=4, bt=4, more=""))
                  + _bar(2, _whole("G", 5)) + '</part>', _score_part("P1", "Oboe", 69))
    (HERE / "musicxml_utf16_bom.musicxml").write_bytes(
        simple.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype", (2020, 1, 1, 0, 0, 0)), "application/vnd.recordare.musicxml")
        archive.writestr(zipfile.ZipInfo("META-INF/container.xml", (2020, 1, 1, 0, 0, 0)),
                         '<?xml version="1.0"?><container><rootfiles><rootfile '
                         'full-path="scores/oboe.xml"/></rootfiles></container>')
        archive.writestr(zipfile.ZipInfo("scores/oboe.xml", (2020, 1, 1, 0, 0, 0)), simple,
                         compress_type=zipfile.ZIP_DEFLATED)
    (HERE / "musicxml_compressed.mxl").write_bytes(buffer.getvalue())
    (HERE / "fuzz_truncated.musicxml").write_text(simple[: len(simple) // 2], encoding="utf-8")
    head = simple[: simple.index("<part id")]
    (HERE / "fuzz_deep_nesting.musicxml").write_text(
        head + '<part id="P1"><measure number="1">' + "<direction>" * 5_000 + "</direction>" * 5_000
        + "</measure></part></score-partwise>\n", encoding="utf-8")
    (HERE / "fuzz_bad_values.musicxml").write_text(simple.replace("<fifths>0</fifths>", "<fifths>x</fifths>")
                                                   .replace("<beats>4</beats>", "<beats>four</beats>"), encoding="utf-8")
    (HERE / "fuzz_not_a_zip.mxl").write_bytes(b"PK\x03\x04" + bytes(random.Random(3).randrange(256) for _ in range(300)))


# -- projects ----------------------------------------------------------------------------------

def project_files() -> None:
    score = {"title": "Project", "key": "G major", "ppq": 480, "tempos": [[0, 96.0]], "time_signatures": [[0, 3, 4]],
             "provenance": {"model": "abc-lstm", "options": {"temperature": 1.0}, "random_seed": 3},
             "tracks": [{"name": "Melody", "program": 73, "is_drum": False, "volume": 100, "mute": False, "solo": False,
                         "notes": [[i * 480, p, 480, 90] for i, p in enumerate(TUNE[:12])]}]}
    doc = {"format": "cadenza-project", "version": 1, "score": score}
    (HERE / "project_ok.cadenza").write_text(json.dumps(doc, indent=1))
    wrong = json.loads(json.dumps(doc))
    wrong["score"]["key"] = ["C"]
    wrong["score"]["tracks"][0]["notes"][3][1] = 300
    (HERE / "project_wrong_types.cadenza").write_text(json.dumps(wrong, indent=1))
    nan = json.loads(json.dumps(doc))
    nan["score"]["provenance"]["options"]["temperature"] = float("nan")
    nan["score"]["provenance"]["seconds"] = float("inf")
    (HERE / "project_nan_provenance.cadenza").write_text(json.dumps(nan, indent=1))


def main() -> None:
    midi_files()
    abc_files()
    musicxml_files()
    project_files()
    print(f"wrote {sum(1 for p in HERE.iterdir() if p.suffix not in ('.py', '.md'))} files in {HERE}")


if __name__ == "__main__":
    main()
