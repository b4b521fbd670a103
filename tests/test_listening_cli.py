"""``cadenza listening-test`` end to end on a tiny markov model trained here: clips that hide their source."""

import csv
import json

import numpy as np
import pytest
import soundfile as sf

from app.cli import main
from app.core.listening.sheet import AnswerKey, listener_order, rms_db
from app.core.midi import write_midi
from tests.test_eval_cli import env, melody  # noqa: F401  (env: cache and models folders under a temporary root)

CLIPS = 4


@pytest.fixture(scope="module")
def made(env):
    root, data = env, env / "listening-data"
    data.mkdir()
    rng = np.random.default_rng(3)
    for i in range(40):
        write_midi(melody(rng, bars=4), data / f"p{i:02d}.mid")
    for name in ("tiny-a", "tiny-b"):
        assert main(["train", "--model", "markov", "--data", str(data), "--out", str(root / "models" / name)]) == 0
    out = root / "test"
    assert main(["listening-test", "make", "--models", "tiny-a,tiny-b", "--clips", str(CLIPS), "--bars", "2",
                 "--random-seed", "5", "--out", str(out)]) == 0
    return root, out


def test_names_and_order_carry_no_information(made):
    _, out = made
    key = AnswerKey.read(out)
    wavs = sorted(p.name for p in out.glob("*.wav"))
    assert wavs == [f"clip-{i:02d}.wav" for i in range(1, CLIPS + 1)]
    assert sorted(c.name for c in key.clips) == wavs
    assert sorted(c.source for c in key.clips) == ["human", "human", "machine", "machine"]
    assert {c.model for c in key.clips if c.source == "machine"} == {"tiny-a", "tiny-b"}
    # the files hold nothing but audio: the same format, and no source or model name in the bytes
    for name in wavs:
        info = sf.info(out / name)
        assert (info.samplerate, info.channels, info.subtype) == (44100, 2, "PCM_16")
        raw = (out / name).read_bytes()
        assert b"human" not in raw and b"machine" not in raw and b"tiny" not in raw
    # the shuffle is the recorded seed's permutation of the drawing order (each model's machine, then human clip)
    assert key.random_seed == 5
    assert [c.source for c in key.clips] == [["machine", "human", "machine", "human"][i]
                                            for i in np.random.default_rng(5).permutation(CLIPS)]
    assert sorted((out / "sources").iterdir()) == sorted(out / "sources" / f"clip-{i:02d}.mid"
                                                         for i in range(1, CLIPS + 1))


def test_durations_and_loudness_are_matched(made):
    _, out = made
    clips = [sf.read(p, dtype="float32")[0] for p in sorted(out.glob("clip-*.wav"))]
    assert len({len(c) for c in clips}) == 1
    levels = [rms_db(c) for c in clips]
    assert max(levels) - min(levels) < 0.5
    assert all(np.max(np.abs(c)) < 1.0 for c in clips)


def test_score_a_scripted_answer_sheet(made, capsys):
    root, out = made
    key = AnswerKey.read(out)
    # listener 1 says human to everything: right on the human clips, wrong on the machine ones
    sheet = root / "answers.csv"
    with open(sheet, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["listener", "clip", "answer", "confidence"])
        for c in key.clips:
            w.writerow(["1", c.name, "human", "3"])
            w.writerow(["2", c.name[:-4], "machine" if c.source == "machine" else "h", "5"])
    capsys.readouterr()
    assert main(["listening-test", "score", str(out), str(sheet), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["overall"]["correct"] == 2 + 4 and s["overall"]["responses"] == 8
    assert s["human"]["correct"] == 4 and s["human"]["responses"] == 4
    a = s["models"]["tiny-a"]
    assert (a["correct"], a["responses"], a["accuracy"], a["p_value"]) == (1, 2, 0.5, 1.0)
    assert a["ci95"] == pytest.approx([0.0945312, 0.9054688])  # Wilson, 1 of 2
    assert s["confusion"] == {"human": {"human": 4, "machine": 0}, "machine": {"human": 2, "machine": 2}}
    assert s["listeners"] == 2 and s["reference"]["responses"] == 350
    assert main(["listening-test", "score", str(out), str(sheet)]) == 0
    text = capsys.readouterr().out
    assert "75%" in text and "50% of the time over 350 responses" in text


def test_an_unknown_clip_in_a_sheet_is_one_sentence(made, capsys):
    root, out = made
    sheet = root / "bad.csv"
    sheet.write_text("clip,answer\nclip-99,human\n")
    capsys.readouterr()
    assert main(["listening-test", "score", str(out), str(sheet)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "clip-99" in err and err.count("\n") == 1


def test_a_second_listener_gets_the_same_clips_in_another_order(made, capsys):
    _, out = made
    key = AnswerKey.read(out)
    first, second = listener_order(key, 1), listener_order(key, 2)
    assert sorted(first) == sorted(second) == sorted(c.name for c in key.clips)
    assert first != second
    assert listener_order(key, 2) == second  # the same listener number, the same order
    capsys.readouterr()
    assert main(["listening-test", "sheet", str(out), "--listener", "2"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "listener,clip,answer,confidence"
    assert [r.split(",")[1] for r in rows[1:]] == second


def test_the_human_side_from_a_folder_of_the_users_choice(made, capsys):
    root, _ = made
    out = root / "own-humans"
    assert main(["listening-test", "make", "--models", "tiny-a", "--clips", "3", "--bars", "2", "--human",
                 str(root / "listening-data"), "--out", str(out)]) == 0
    key = AnswerKey.read(out)
    humans = [c for c in key.clips if c.source == "human"]
    assert len(humans) == 2 and len(key.clips) == 3
    assert all(c.model == "" and c.piece.startswith("p") for c in humans)  # pieces of the folder, by file name
    assert len({c.piece for c in humans}) == 2
    assert key.settings["human_data"] == [str(root / "listening-data")]
