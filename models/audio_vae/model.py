"""The audio VAE network: a 1-D conv encoder to a latent sequence, a transposed-conv decoder, and its losses.

After Vranceanu et al. ("Music Generation using Neural Nets"): a convolutional VAE on raw waveform. The
encoder reads mono samples through a 7-tap conv and one stage per stride (a residual block of two convs, then
a strided conv of kernel 2 x stride), and ends in a conv giving each latent frame's mean and log-variance
(``latent`` channels each). The decoder mirrors it with transposed convs of kernel 2 x stride, so a clip of
``n * hop`` samples comes back as exactly ``n * hop`` samples (``hop`` = product of the strides); other lengths
are zero-padded to the next multiple and cut back (:meth:`AudioVAE.reconstruct_length`).

The training loss (:func:`vae_loss`) is

    waveform_weight * L1(waveform) + stft_weight * multi-resolution STFT loss + kl_weight * KL(q(z|x) || N(0, I))

The multi-resolution STFT loss (Yamamoto et al. 2020, Parallel WaveGAN) is the spectral convergence plus the
L1 distance of log magnitudes at three FFT sizes: a waveform loss alone is blind to what matters to the ear
and, being phase-sensitive, settles on muffled, low-passed output; the STFT terms (phase-free) match the
spectrum at several time/frequency resolutions, while the waveform term keeps the phase, and so the samples,
aligned. The KL is the mean per latent value (nats), so ``kl_weight`` reads the same at any clip length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

STFT_RESOLUTIONS = ((128, 32), (256, 64), (512, 128))  # (n_fft, hop) at 3 kHz: 43, 85 and 171 ms windows
LOGVAR_RANGE = (-12.0, 6.0)


@dataclass
class AudioVAEConfig:
    sample_rate: int = 3000
    width: int = 16  # channels of the first stage; each stage after doubles it, up to 8 x width
    latent: int = 16  # latent channels per frame
    strides: list[int] = field(default_factory=lambda: [4, 4, 4])
    kl_weight: float = 0.002
    stft_weight: float = 1.0
    waveform_weight: float = 10.0

    def __post_init__(self) -> None:
        if self.width < 1 or self.latent < 1:
            raise ValueError("width and latent must be at least 1")
        if not self.strides or any(not isinstance(s, int) or s < 2 or s % 2 for s in self.strides):
            raise ValueError("strides must be even whole numbers of at least 2")
        if not 500 <= self.sample_rate <= 48000:
            raise ValueError("sample_rate must be between 500 and 48000")

    @property
    def hop(self) -> int:
        """Samples per latent frame."""
        out = 1
        for s in self.strides:
            out *= s
        return out

    def channels(self) -> list[int]:
        """Channels before each stage and after the last: width, 2 width, ... (at most 8 width)."""
        return [self.width * min(2 ** i, 8) for i in range(len(self.strides) + 1)]

    def frames_per_second(self) -> float:
        return self.sample_rate / self.hop


class ResBlock(nn.Module):
    """x + conv1x1(act(conv3_dilated(act(x))))."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(F.leaky_relu(self.conv(F.leaky_relu(x, 0.2)), 0.2))


class Encoder(nn.Module):
    def __init__(self, config: AudioVAEConfig) -> None:
        super().__init__()
        ch = config.channels()
        self.inp = nn.Conv1d(1, ch[0], 7, padding=3)
        self.stages = nn.ModuleList(
            nn.Sequential(ResBlock(ch[i]), ResBlock(ch[i], 3), nn.LeakyReLU(0.2),
                          nn.Conv1d(ch[i], ch[i + 1], 2 * s, stride=s, padding=s // 2))
            for i, s in enumerate(config.strides))
        self.out = nn.Conv1d(ch[-1], 2 * config.latent, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for stage in self.stages:
            h = stage(h)
        return self.out(F.leaky_relu(h, 0.2))


class Decoder(nn.Module):
    def __init__(self, config: AudioVAEConfig) -> None:
        super().__init__()
        ch = config.channels()
        self.inp = nn.Conv1d(config.latent, ch[-1], 3, padding=1)
        stages = []
        for i in reversed(range(len(config.strides))):
            s = config.strides[i]
            stages.append(nn.Sequential(nn.LeakyReLU(0.2),
                                        nn.ConvTranspose1d(ch[i + 1], ch[i], 2 * s, stride=s, padding=s // 2),
                                        ResBlock(ch[i]), ResBlock(ch[i], 3)))
        self.stages = nn.ModuleList(stages)
        self.out = nn.Conv1d(ch[0], 1, 7, padding=3)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.inp(z)
        for stage in self.stages:
            h = stage(h)
        return torch.tanh(self.out(F.leaky_relu(h, 0.2)))


class AudioVAE(nn.Module):
    """(B, 1, T) waveform -> latent frames (B, latent, T / hop) -> (B, 1, T) waveform."""

    def __init__(self, config: AudioVAEConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` (B, 1, T), T a multiple of hop -> ``(mean, logvar)``, each (B, latent, T / hop)."""
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        return mean, logvar.clamp(*LOGVAR_RANGE)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor, sample: bool = True
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(reconstruction, mean, logvar)``; with ``sample`` the latent is drawn (reparameterised)."""
        mean, logvar = self.encode(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if sample else mean
        return self.decode(z), mean, logvar

    def padded_length(self, length: int) -> int:
        hop = self.config.hop
        return max(hop, -(-length // hop) * hop)


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Mean KL(N(mean, exp(logvar)) || N(0, 1)) per latent value, in nats."""
    return 0.5 * torch.mean(mean.pow(2) + logvar.exp() - 1.0 - logvar)


def stft_magnitude(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    pad_mode = "reflect" if x.shape[-1] > n_fft // 2 else "constant"  # reflection needs more than half a window
    spec = torch.stft(x.reshape(-1, x.shape[-1]), n_fft, hop, window=window, pad_mode=pad_mode, return_complex=True)
    return spec.abs().clamp_min(1e-5)


def multi_resolution_stft_loss(estimate: torch.Tensor, target: torch.Tensor,
                               resolutions=STFT_RESOLUTIONS) -> torch.Tensor:
    """Mean over resolutions of spectral convergence + L1 of log magnitudes (Yamamoto et al. 2020)."""
    total = estimate.new_zeros(())
    for n_fft, hop in resolutions:
        s_est, s_ref = stft_magnitude(estimate.float(), n_fft, hop), stft_magnitude(target.float(), n_fft, hop)
        convergence = torch.linalg.norm(s_ref - s_est) / torch.linalg.norm(s_ref).clamp_min(1e-5)
        total = total + convergence + F.l1_loss(s_est.log(), s_ref.log())
    return total / len(resolutions)


def vae_loss(model: nn.Module, x: torch.Tensor, sample: bool = True, config: AudioVAEConfig | None = None
             ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The training loss of a batch ``x`` (B, 1, T) and its terms (``waveform``, ``stft``, ``kl``).

    ``model`` is an :class:`AudioVAE` or a wrapper of one (DistributedDataParallel: give ``config``)."""
    recon, mean, logvar = model(x, sample=sample)
    terms = {"waveform": F.l1_loss(recon.float(), x.float()),
             "stft": multi_resolution_stft_loss(recon, x),
             "kl": kl_divergence(mean.float(), logvar.float())}
    cfg = config or model.config
    total = cfg.waveform_weight * terms["waveform"] + cfg.stft_weight * terms["stft"] + cfg.kl_weight * terms["kl"]
    return total, terms


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
