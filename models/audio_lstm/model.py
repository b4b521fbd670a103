"""The sample-level LSTM: one audio sample in per step, the next sample out.

The write-up (Vranceanu et al.) feeds the previous 100 samples to stacked LSTM layers and a single dense
neuron with a linear activation that regresses the next sample. Here the LSTM reads a sequence of samples
and predicts the next one at *every* position (the write-up's example is the position after 100 samples),
so training sees every window at once and generation can carry the state one sample at a time.

Two heads (``head``):

* ``"regression"``: the write-up's: one linear unit, trained with the mean squared error;
* ``"mulaw"``: 256 logits over the 8-bit μ-law classes of the next sample (SampleRNN, WaveNet), trained
  with cross-entropy; generation samples a class (with a temperature) and feeds its value back.

Each step reads the newest ``frame`` samples (32 by default; 1 is the write-up's one sample a step), two
features of each: its value and its μ-law compressed value (the companded view resolves quiet passages).
The frame gives the cells the recent waveform directly, as SampleRNN's sample-level tier reads a frame of
previous samples; a step still advances by one sample. The μ-law model reads the value of the class it was
given (or sampled), so training and generation read the same 256 values. ``forward`` takes and returns the
state; :meth:`AudioLSTM.step` runs the cells directly (``rnn_step.cell_step``), one sample per call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.common.rnn_step import cell_step

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers, B, hidden)
HEADS = ("mulaw", "regression")
MU = 255


@dataclass
class AudioLSTMConfig:
    head: str = "mulaw"  # "mulaw" (256-class softmax) or "regression" (the write-up's linear unit)
    hidden: int = 128
    layers: int = 2
    frame: int = 32  # samples each step reads: the newest and the frame - 1 before it (1: one sample a step)
    window: int = 100  # the write-up's context: previous samples per example (the windowed reference)
    sample_rate: int = 3000  # the write-up's audio rate (its VAE's 3 kHz; the LSTM section names none)
    level_rms: float = 0.1  # every clip is scaled to this RMS (peak at most 1) before the model hears it

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}, not {self.head!r}")
        if min(self.layers, self.hidden, self.frame, self.window, self.sample_rate) < 1:
            raise ValueError("layers, hidden, frame, window and sample_rate must be at least 1")

    @property
    def classes(self) -> int:
        return MU + 1 if self.head == "mulaw" else 1


def mulaw_features(x: torch.Tensor) -> torch.Tensor:
    """Samples (...,) -> (..., 2): the value and its μ-law compressed value."""
    x = x.clamp(-1.0, 1.0)
    return torch.stack([x, torch.sign(x) * torch.log1p(MU * x.abs()) / math.log1p(MU)], -1)


def mulaw_encode(x: torch.Tensor) -> torch.Tensor:
    """Samples in [-1, 1] -> classes 0..255 (torch twin of ``mulaw.encode``)."""
    y = mulaw_features(x)[..., 1]
    return torch.floor((y + 1.0) / 2.0 * MU + 0.5).long()


def mulaw_decode(q: torch.Tensor) -> torch.Tensor:
    """Classes 0..255 -> samples (torch twin of ``mulaw.decode``)."""
    y = 2.0 * q.float() / MU - 1.0
    return torch.sign(y) * torch.expm1(y.abs() * math.log1p(MU)) / MU


class AudioLSTM(nn.Module):
    """samples -> (value, μ-law value) -> LSTM stack -> next-sample prediction (1 value or 256 logits)."""

    def __init__(self, config: AudioLSTMConfig) -> None:
        super().__init__()
        self.config = config
        self.rnn = nn.LSTM(2 * config.frame, config.hidden, num_layers=config.layers, batch_first=True)
        self.head = nn.Linear(config.hidden, config.classes)
        with torch.no_grad():  # forget gates start open (bias 1), as in the project's other LSTMs
            for layer in range(config.layers):
                getattr(self.rnn, f"bias_ih_l{layer}")[config.hidden: 2 * config.hidden].fill_(1.0)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """What the network reads of samples ``x``: μ-law models hear them quantised to their class's value."""
        if self.config.head == "mulaw":
            x = mulaw_decode(mulaw_encode(x))
        return mulaw_features(x)

    def framed(self, features: torch.Tensor) -> torch.Tensor:
        """Per-sample features (B, T, 2) -> per-step inputs (B, T, 2 * frame): step t reads samples
        t - frame + 1 .. t (oldest first; zeros before the first sample)."""
        k = self.config.frame
        padded = F.pad(features, (0, 0, k - 1, 0))  # (B, T + k - 1, 2)
        return padded.unfold(1, k, 1).transpose(2, 3).reshape(*features.shape[:2], 2 * k)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """``x`` (B, T) samples -> ``(out (B, T, classes), state)``: out[:, t] predicts sample t + 1, from
        the state and samples up to t (the first ``frame`` - 1 steps see zeros before x[:, 0])."""
        y, (h, c) = self.rnn(self.framed(self.inputs(x)), state)  # (B, T, H)
        return self.head(y), (h, c)

    def step(self, frame: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        """One step per row: ``frame`` (B, frame, 2), the features of the newest ``frame`` samples (oldest
        first, as :meth:`inputs` gives them) -> ``(out (B, classes), state)`` (no dropout: eval)."""
        y, new = cell_step(self.rnn, frame.reshape(len(frame), -1), state)  # (B, H)
        return self.head(y), (new[0], new[1])

    def predict(self, out: torch.Tensor) -> torch.Tensor:
        """The point prediction of the next sample from ``out`` (..., classes): the regression's value, or the
        mean of the μ-law classes' values under the softmax."""
        if self.config.head == "regression":
            return out[..., 0]
        values = mulaw_decode(torch.arange(MU + 1, device=out.device))
        return torch.softmax(out.float(), -1) @ values
