"""``cadenza augment``: the audio lab's four augmentations applied to one audio file."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.core.errors import CadenzaError

COMMANDS = ("augment",)  # what register() adds


def register(sub) -> None:
    """Add augment to the subparsers ``sub``."""
    p = sub.add_parser("augment", help="vary an audio file: speed, time shift, cut mix and noise",
                       description="Apply the augmentations asked for, in the order speed, shift, cut mix, noise; "
                                   "the result is mono at the input's sample rate.")
    p.add_argument("input", metavar="IN", help="input .wav, .flac or .ogg")
    p.add_argument("--out", required=True, help="output .wav or .flac")
    p.add_argument("--speed", type=float, metavar="F", help="play F times as fast: duration /F, pitch xF (e.g. 1.05)")
    p.add_argument("--shift", type=_shift, metavar="S",
                   help="move later by S: a fraction of the clip (0.1) or whole samples (400); negative moves earlier")
    p.add_argument("--shift-mode", choices=("circular", "pad"), default="circular",
                   help="wrap what falls off the end round (circular, the default) or let silence in (pad)")
    p.add_argument("--cut-mix", metavar="OTHER", help="splice in a segment of this audio file at zero crossings")
    p.add_argument("--cut-fraction", type=float, metavar="F", help="how much of OTHER to splice in (default 0.3)")
    p.add_argument("--mix-noise-snr", type=float, metavar="DB", help="add noise this many dB below the clip")
    p.add_argument("--noise-clip", metavar="FILE", help="the noise to add: this audio file (default: white noise)")
    p.add_argument("--seed", type=int, default=0, help="random seed (noise, splice place; default 0)")
    p.set_defaults(func=cmd_augment)


def _shift(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is neither a fraction nor a number of samples") from None


def cmd_augment(args: argparse.Namespace) -> int:
    import numpy as np

    from models.audio_common.augment import cut_mix, mix_noise, speed_tune, time_shift
    from models.audio_common.data import WRITE_EXTS, read_audio_file, read_clip, write_clip

    if args.noise_clip and args.mix_noise_snr is None:
        raise CadenzaError("--noise-clip needs --mix-noise-snr, the level to mix it at.")
    if args.cut_fraction is not None and not args.cut_mix:
        raise CadenzaError("--cut-fraction needs --cut-mix, the file to splice in.")
    if args.speed is None and args.shift is None and args.cut_mix is None and args.mix_noise_snr is None:
        raise CadenzaError("Name at least one augmentation: --speed, --shift, --cut-mix or --mix-noise-snr.")
    if Path(args.out).suffix.lower() not in WRITE_EXTS:
        raise CadenzaError(f"augment writes .wav or .flac, not '{Path(args.out).suffix or args.out}'.")
    rng = np.random.default_rng(args.seed)
    audio, rate = read_audio_file(args.input)
    done = []
    if args.speed is not None:
        audio = speed_tune(audio, args.speed, rate)
        done.append(f"speed x{args.speed:g}")
    if args.shift is not None:
        audio = time_shift(audio, args.shift, mode=args.shift_mode)
        done.append(f"shift {args.shift:g} ({args.shift_mode})")
    if args.cut_mix:
        other = read_clip(args.cut_mix, rate)
        fraction = 0.3 if args.cut_fraction is None else args.cut_fraction
        audio, used = cut_mix(audio, other, fraction=fraction, rng=rng)
        done.append(f"cut mix {used:.1%} of {Path(args.cut_mix).name}")
    if args.mix_noise_snr is not None:
        noise = read_clip(args.noise_clip, rate) if args.noise_clip else None
        audio = mix_noise(audio, args.mix_noise_snr, noise=noise, rng=rng)
        done.append(f"{Path(args.noise_clip).name if noise is not None else 'white noise'} "
                    f"at {args.mix_noise_snr:g} dB SNR")
    frames = write_clip(args.out, audio, rate)
    print(f"Wrote {args.out}: {frames / rate:.2f} s at {rate} Hz; {', '.join(done)}.")
    return 0
