"""The Audio Lab through a real bundled model: Restyle with the bundled style-transfer network (5 steps),
found by its spec, on the device the scan picks."""

import numpy as np
import soundfile as sf

from app.services.audio_lab import AudioLabService
from app.ui.audio_lab.panel import AudioLabPanel

TIMEOUT_MS = 60000
RATE = 22050


def test_restyle_through_the_bundled_model(qtbot, runner, tmp_path):
    t = np.arange(int(0.4 * RATE)) / RATE
    sf.write(str(tmp_path / "content.wav"), (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE)
    sf.write(str(tmp_path / "style.wav"), (0.3 * np.sign(np.sin(2 * np.pi * 220 * t))).astype(np.float32), RATE)
    panel = AudioLabPanel(AudioLabService(runner), lambda: [])
    qtbot.addWidget(panel)
    for slot, name in (("A", "content.wav"), ("B", "style.wav")):
        with qtbot.waitSignal(panel.source_shown, timeout=TIMEOUT_MS):
            panel.open_file(slot, str(tmp_path / name))
    panel.actions.set_action("restyle")
    panel.actions.sliders["restyle.steps"].set_value(5)
    fractions = []
    panel.service.progress.connect(lambda p: isinstance(p, float) and fractions.append(p))
    with qtbot.waitSignal(panel.result_shown, timeout=TIMEOUT_MS) as blocker:
        panel.run_button.click()
    out = blocker.args[0].results[0].clip
    content = panel.sources["A"].shown.clip.audio
    assert out.sample_rate == RATE and out.audio.shape == content.shape and out.audio.dtype == np.float32
    assert np.all(np.isfinite(out.audio)) and 0 < np.max(np.abs(out.audio)) < 1.0
    assert not np.allclose(out.audio, content, atol=1e-3)  # restyled, not handed back
    assert fractions and fractions[-1] == 1.0
    assert panel.status.text() == "Restyle: content.wav in the style of style.wav."
    panel.shutdown()
