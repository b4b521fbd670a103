"""cadenza augment: one audio file in, its augmented samples out."""

import re

import numpy as np
import pytest
import soundfile as sf

from app.cli import main
from models.audio_common.augment import snr_db

RATE = 8000


def _write(path, freq, seconds=1.0, amp=0.3):
    x = (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * RATE)) / RATE)).astype(np.float32)
    sf.write(path, x, RATE, subtype="FLOAT" if str(path).endswith(".wav") else "PCM_24")
    return x


def test_shift_and_cut_mix_write_the_expected_samples(tmp_path, capsys):
    x, other = _write(tmp_path / "in.wav", 440), _write(tmp_path / "other.wav", 330, amp=0.5)
    assert main(["augment", str(tmp_path / "in.wav"), "--out", str(tmp_path / "out.wav"),
                 "--shift", "400", "--shift-mode", "pad"]) == 0
    out, rate = sf.read(tmp_path / "out.wav", dtype="float32")
    assert rate == RATE and np.abs(out - np.concatenate([np.zeros(400), x[:-400]])).max() < 1e-4
    assert main(["augment", str(tmp_path / "in.wav"), "--out", str(tmp_path / "mix.flac"),
                 "--cut-mix", str(tmp_path / "other.wav"), "--cut-fraction", "0.25", "--seed", "4"]) == 0
    share = float(re.search(r"cut mix ([\d.]+)% of other\.wav", capsys.readouterr().out).group(1)) / 100
    mixed, _ = sf.read(tmp_path / "mix.flac", dtype="float32")
    from_other = np.abs(mixed - x) > 1e-3
    first, last = np.flatnonzero(from_other)[[0, -1]]
    assert np.abs(mixed[first:last + 1] - other[first:last + 1]).max() < 1e-4
    assert abs(share - 0.25) < 0.01 and abs((last + 1 - first) / len(x) - share) < 0.005


def test_speed_and_noise_change_pitch_duration_and_snr(tmp_path):
    x = _write(tmp_path / "in.flac", 440)
    assert main(["augment", str(tmp_path / "in.flac"), "--out", str(tmp_path / "fast.wav"), "--speed", "1.05"]) == 0
    fast, _ = sf.read(tmp_path / "fast.wav", dtype="float32")
    assert abs(len(fast) - len(x) / 1.05) <= 1
    spectrum = np.abs(np.fft.rfft(fast * np.hanning(len(fast)), n=16 * len(fast)))
    assert np.argmax(spectrum) * RATE / (16 * len(fast)) == pytest.approx(462, rel=0.01)
    assert main(["augment", str(tmp_path / "in.flac"), "--out", str(tmp_path / "noisy.wav"),
                 "--mix-noise-snr", "20", "--seed", "1"]) == 0
    noisy, _ = sf.read(tmp_path / "noisy.wav", dtype="float32")
    assert abs(snr_db(x, noisy) - 20) < 0.5


@pytest.mark.parametrize("extra,message", [
    ([], "Name at least one augmentation"),
    (["--speed", "1.1", "--out-format"], None),  # argparse: usage error, exit 2
    (["--noise-clip", "n.wav"], "--noise-clip needs --mix-noise-snr"),
    (["--speed", "9"], "between 0.25 and 4"),
])
def test_bad_requests_are_one_sentence(tmp_path, capsys, extra, message):
    _write(tmp_path / "in.wav", 440, seconds=0.1)
    argv = ["augment", str(tmp_path / "in.wav"), "--out", str(tmp_path / "out.wav"), *extra]
    if message is None:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        return
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_unreadable_input_and_wrong_output_are_one_sentence(tmp_path, capsys):
    (tmp_path / "bad.ogg").write_bytes(b"OggS broken")
    assert main(["augment", str(tmp_path / "bad.ogg"), "--out", str(tmp_path / "o.wav"), "--speed", "1.1"]) == 1
    assert re.fullmatch(r"error: Cannot read .*bad\.ogg: it is not a readable OGG file .*\.\n", capsys.readouterr().err)
    _write(tmp_path / "in.wav", 440, seconds=0.1)
    assert main(["augment", str(tmp_path / "in.wav"), "--out", str(tmp_path / "o.mp3"), "--speed", "1.1"]) == 1
    assert "augment writes .wav or .flac" in capsys.readouterr().err
    assert not (tmp_path / "o.mp3").exists()
