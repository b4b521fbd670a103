"""The Audio Lab's four actions as tabs, each with its parameters: Restyle, Vary, Continue and Augment.

Sliders are the Generation panel's (:class:`~app.ui.generation.sliders.SliderRow`,
a slider and a field holding one value); the latent noise sd and the
temperature are the options table's own rows, the lab's other numbers are
shaped the same way here. :meth:`ActionTabs.action` and :meth:`ActionTabs.params`
say what the Run button runs.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QTabWidget, QWidget

from app.ui.generation.sliders import SliderRow
from models.common.options import FLOAT, INT, OptionSpec, option

CONTENT_WEIGHT = OptionSpec("content_weight", FLOAT, "Content weight",
                            "How closely the result keeps the content clip's notes and rhythm", 0.0, 10.0, 1.0)
STYLE_WEIGHT = OptionSpec("style_weight", FLOAT, "Style weight",
                          "How strongly the result takes on the style clip's timbre and texture", 0.0, 100.0, 1.0,
                          slider_high=10.0)
STEPS = OptionSpec("steps", INT, "Steps", "Optimisation steps: more is closer to both, and slower",
                   1, 2000, 200, slider_high=500, decimals=0)
COUNT = OptionSpec("count", INT, "Variations", "How many variations to make", 1, 16, 4, decimals=0)
SECONDS = OptionSpec("seconds", FLOAT, "Seconds", "How many seconds to add after the clip", 0.1, 30.0, 2.0,
                     slider_high=10.0, decimals=1)
ACTIONS = ("restyle", "vary", "continue", "augment")
TITLES = {"restyle": "Restyle", "vary": "Vary", "continue": "Continue", "augment": "Augment"}


def _spin(low: float, high: float, value: float, step: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


def _slider(spec: OptionSpec) -> SliderRow:
    row = SliderRow(spec)
    row.set_value(spec.default)
    return row


class ActionTabs(QTabWidget):
    """One tab per action; the tab shown is the action the Run button runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sliders: dict[str, SliderRow] = {}
        self._page("restyle", [CONTENT_WEIGHT, STYLE_WEIGHT, STEPS],
                   "Restyle A (the content) after B (the style).")
        self._page("vary", [option("noise_sd"), COUNT], "Vary A through an audio VAE's latent.")
        self._page("continue", [SECONDS, option("temperature")], "Continue A by a few seconds.")
        self.addTab(self._augment_page(), TITLES["augment"])

    def _page(self, action: str, specs: list[OptionSpec], tip: str) -> None:
        page = QWidget()
        form = QFormLayout(page)
        for spec in specs:
            self.sliders[f"{action}.{spec.name}"] = row = _slider(spec)
            form.addRow(spec.label, row)
        page.setToolTip(tip)
        self.addTab(page, TITLES[action])

    def _augment_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.speed_on, self.speed = QCheckBox("Speed"), _spin(0.25, 4.0, 1.05, 0.01, 3, " ×")
        self.shift_on, self.shift = QCheckBox("Time shift"), _spin(-30.0, 30.0, 0.1, 0.05, 2, " s")
        self.shift_mode = QComboBox()
        self.shift_mode.addItem("circular", "circular")
        self.shift_mode.addItem("padded with silence", "pad")
        self.noise_on, self.snr = QCheckBox("Mix noise"), _spin(-20.0, 80.0, 20.0, 1.0, 1, " dB SNR")
        self.noise_source = QComboBox()
        self.noise_source.addItem("white noise", False)
        self.noise_source.addItem("clip B as the noise", True)
        self.cut_on, self.cut = QCheckBox("Cut mix with B"), _spin(0.0, 1.0, 0.5, 0.05, 2)
        self.speed_on.setChecked(True)
        self.speed.setToolTip("Resample by this factor: duration and pitch change together")
        self.cut.setToolTip("The share of B spliced into A (at zero crossings)")
        for box, field in ((self.speed_on, self.speed), (self.shift_on, self.shift), (self.noise_on, self.snr),
                           (self.cut_on, self.cut)):
            form.addRow(box, field)
        form.addRow("Shift mode", self.shift_mode)
        form.addRow("Noise", self.noise_source)
        return page

    def action(self) -> str:
        return ACTIONS[self.currentIndex()]

    def set_action(self, action: str) -> None:
        self.setCurrentIndex(ACTIONS.index(action))

    def needs_b(self) -> bool:
        """True when the action shown needs source B (Restyle; Augment with cut mix, or with B as the noise)."""
        if self.action() == "augment":
            return self.cut_on.isChecked() or (self.noise_on.isChecked() and self.noise_source.currentData())
        return self.action() == "restyle"

    def params(self) -> dict:
        """The parameters of the action shown, by the names the service takes."""
        action = self.action()
        if action != "augment":
            prefix = f"{action}."
            return {key[len(prefix):]: row.value() for key, row in self.sliders.items() if key.startswith(prefix)}
        return {"speed": self.speed.value() if self.speed_on.isChecked() else None,
                "shift": self.shift.value() if self.shift_on.isChecked() else None,
                "shift_mode": self.shift_mode.currentData(),
                "snr_db": self.snr.value() if self.noise_on.isChecked() else None,
                "noise_from_b": bool(self.noise_source.currentData()),
                "cut_fraction": self.cut.value() if self.cut_on.isChecked() else None}
