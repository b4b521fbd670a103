"""corpus:band: chord charts played by MMA's grooves, folded into LPD-5's five roles plus the lead."""

import io
import json
import shutil

import mido
import pytest

from app.core.errors import DatasetError
from app.core.midi import to_midi_file
from app.core.score import Note, Score, TimeSignature, Track
from models.common import band_corpus
from models.common.band_corpus import (
    GROOVES, Chart, build_band_corpus, chart_from_score, chord_tones, mma_text, program_role, render_chart,
)


# C | F / G7 / | Am | C, a melody note on bar 1 and a half note on bar 2
CHART = Chart("Test chart", "C major", 4, (("C",) * 4, ("F", "F", "G7", "G7"), ("Am",) * 4, ("C",) * 4),
              ((0.0, 72, 1.0, 90), (4.0, 77, 2.0, 80)), source="test")
GROOVE = "8BeatSus"  # drums, bass, guitar, piano and sustained strings


def _bytes(score: Score) -> bytes:
    data = io.BytesIO()
    to_midi_file(score).save(file=data)
    return data.getvalue()


def _in_bar(notes, ppq, bar, beats=(0, 4)):
    """Notes that start in ``bar`` between the given beats (0-based)."""
    start = bar * 4 * ppq
    return [n for n in notes if start + beats[0] * ppq <= n.start < start + beats[1] * ppq]


@pytest.fixture(scope="module")
def band() -> Score:
    return render_chart(CHART, GROOVE, bpm=120, transpose=0)


def test_known_chart_through_known_groove_gives_the_band(band):
    names = [t.name for t in band.tracks]
    assert names == ["Lead", "Drums", "Bass", "Guitar", "Piano", "Strings"]
    tracks = {t.name: t for t in band.tracks}
    assert tracks["Drums"].is_drum and not any(t.is_drum for n, t in tracks.items() if n != "Drums")
    midi = mido.MidiFile(file=io.BytesIO(_bytes(band)))
    drum_channels = {m.channel for track in midi.tracks if track.name == "Drums"
                     for m in track if m.type == "note_on"}
    assert drum_channels == {9}  # channel 10
    ppq = band.ppq
    bass = tracks["Bass"].notes
    assert bass and all(24 <= n.pitch < 60 for n in bass)
    for bar, chord in enumerate(["C", "F", "Am", "C"]):
        beats = (0, 2) if bar == 1 else (0, 4)
        in_bar = _in_bar(bass, ppq, bar, beats)
        assert in_bar and {n.pitch % 12 for n in in_bar} <= chord_tones(chord)
    g7 = _in_bar(bass, ppq, 1, (2, 4))
    assert g7 and {n.pitch % 12 for n in g7} <= chord_tones("G7")
    for name in ("Guitar", "Piano"):
        for bar, chord in ((0, "C"), (2, "Am"), (3, "C")):
            comp = _in_bar(tracks[name].notes, ppq, bar)
            assert comp and {n.pitch % 12 for n in comp} <= chord_tones(chord), (name, bar)
    assert max(n.end for t in band.tracks if not t.is_drum for n in t.notes) <= 4 * 4 * ppq + ppq
    assert band.time_signatures[0].numerator == 4 and band.tempos[0].bpm == 120


def test_the_melody_is_the_lead_track_moved_with_the_chart():
    moved = render_chart(CHART, GROOVE, bpm=120, transpose=2)
    lead = moved.tracks[0]
    assert lead.name == "Lead" and lead.program == band_corpus.LEAD_PROGRAM
    assert [(n.start, n.pitch, n.duration) for n in lead.notes] == [
        (0, 74, moved.ppq), (4 * moved.ppq, 79, 2 * moved.ppq)]
    bass = [t for t in moved.tracks if t.name == "Bass"][0]
    assert {n.pitch % 12 for n in _in_bar(bass.notes, moved.ppq, 0)} <= chord_tones("D")
    assert moved.key == "D major"


def test_same_input_same_bytes(band):
    assert _bytes(render_chart(CHART, GROOVE, bpm=120, transpose=0)) == _bytes(band)
    assert mma_text(CHART, GROOVE, 120, 0) == mma_text(CHART, GROOVE, 120, 0)


def test_the_roles_are_the_ones_vae_nn_reads_from_lpd5(band):
    from models.vae_nn.roles import PRESETS, assign_tracks

    roles = PRESETS["lpd5"]
    notes = assign_tracks(band, roles)
    tracks = {t.name.lower(): t for t in band.tracks}
    for role, role_notes in zip(roles, notes):
        assert sorted(role_notes) == sorted(tracks[role.name].notes), role.name
    assert sum(len(n) for n in notes) == band.note_count - len(tracks["lead"].notes)  # no role takes the lead


def test_program_families_fold_into_the_five_roles():
    assert program_role(0, True) == "drums"
    assert [program_role(p, False) for p in (0, 4, 11, 19, 25, 33, 38, 41, 48, 52, 61, 65, 73, 89)] == [
        "piano", "piano", "piano", "piano", "guitar", "bass", "bass", "strings", "strings", "strings",
        "strings", "strings", "strings", "strings"]
    assert program_role(120, False) is None


def test_chart_from_four_voices_names_each_beat_and_leaves_the_pickup_out():
    ppq = 480
    chords = [(60, 64, 67, 48), (65, 69, 72, 53), (67, 71, 74, 55), (67, 71, 77, 43)]  # C F G G7
    voices = [[] for _ in range(4)]
    voices[0].append(Note(start=3 * ppq, pitch=72, duration=ppq, velocity=80))  # a one-beat pickup
    for bar in range(1, 9):
        for beat, chord in enumerate(chords):
            for v, pitch in enumerate(chord):
                voices[v].append(Note(start=(bar * 4 + beat) * ppq, pitch=pitch, duration=ppq, velocity=80))
    score = Score(tracks=tuple(Track(n, 52, False, tuple(v)) for n, v in
                               zip(("Soprano", "Alto", "Tenor", "Bass"), voices)),
                  ppq=ppq, time_signatures=(TimeSignature(0, 4, 4),), key="C major")
    chart = chart_from_score(score, source="test")
    assert chart.bars == 8 and chart.beats == 4
    assert chart.chords[0] == ("C", "F", "G", "G7")
    assert chart.mma_lines()[0] == "C F G G7"
    assert chart.melody[0] == (0.0, 60, 1.0, 80)  # the soprano's first whole bar, pickup gone


def test_chart_from_a_melody_takes_the_keys_chords_by_half_bar():
    ppq = 480
    tune = [60, 64, 65, 69]  # C E | F A: a half bar of C, a half bar of F
    notes = [Note(start=i * ppq, pitch=p, duration=ppq, velocity=80) for i, p in enumerate(tune * 16)]
    score = Score(tracks=(Track("Tune", 0, False, tuple(notes)),), ppq=ppq, key="C major")
    chart = chart_from_score(score)
    assert chart.chords[0] == ("C", "C", "F", "F")
    assert chart.mma_lines()[0] == "C / F /"
    assert chart_from_score(Score(tracks=(Track("Tune", 0, False, tuple(notes[:16])),), ppq=ppq)) is None  # 4 bars


def test_missing_mma_is_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setattr(band_corpus.shutil, "which", lambda name: None)
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path))
    from models.common.corpus import dataset_files

    for call in (lambda: render_chart(CHART, GROOVE), lambda: dataset_files("corpus:band")):
        with pytest.raises(DatasetError) as caught:
            call()
        message = str(caught.value)
        assert "MMA" in message and "mma" in message and message.count(". ") == 0 and message.endswith(".")


def test_build_renders_once_and_keeps_each_melody_in_one_split(monkeypatch, tmp_path):
    from models.common.corpus import split_of

    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path))
    charts = [(f"test/{name}", Chart(name, "C major", 4, CHART.chords, CHART.melody, f"test/{name}"))
              for name in ("one", "two")]
    monkeypatch.setattr(band_corpus, "_charts", lambda cancelled=None: iter(charts))
    paths = build_band_corpus(pieces=3, renders=2)
    assert len(paths) == 3 and all(p.exists() for p in paths)
    sources = [("test/one", 2), ("test/two", 1)]
    assert [split_of(p.name) for p in paths] == [split_of(k) for k, n in sources for _ in range(n)]
    grooves = [g for g, *_ in GROOVES[4]]
    index = json.loads(next(tmp_path.glob("corpus/band/index-*.json")).read_text())
    assert [e["groove"] for e in index["pieces"]] == grooves[:3]

    monkeypatch.setattr(band_corpus, "render_chart", lambda *a, **k: pytest.fail("rendered again"))
    assert build_band_corpus(pieces=3, renders=2) == paths
    summary = band_corpus.band_summary(pieces=3, renders=2)
    assert summary["pieces"] == 3 and summary["bars"] == 12 and summary["sources"] == 2
    assert summary["notes_per_role"]["lead"] == 6 and summary["notes_per_role"]["drums"] > 0
    assert sum(summary["grooves"].values()) == 3
