"""Sampling the next token: temperature, top-k, top-p, masks, a seeded generator."""

from __future__ import annotations

import torch


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    """A seeded generator on ``device`` so the same request gives the same tokens."""
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


def filter_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0,
                  top_p: float = 1.0, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """Apply a mask, temperature, top-k and top-p to ``logits`` (B, V); returns new logits."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    out = logits.float() / temperature  # (B, V)
    if allowed is not None:
        out = out.masked_fill(~allowed, float("-inf"))
    if top_k and 0 < top_k < out.size(-1):
        kth = torch.topk(out, top_k, dim=-1).values[..., -1:]  # (B, 1)
        out = out.masked_fill(out < kth, float("-inf"))
    if 0.0 < top_p < 1.0:
        sorted_logits, order = torch.sort(out, descending=True, dim=-1)
        probs = torch.softmax(sorted_logits, dim=-1)
        cumulative = probs.cumsum(dim=-1)
        drop = cumulative - probs > top_p  # keep the smallest prefix reaching top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        out = torch.full_like(out, float("-inf")).scatter(-1, order, sorted_logits)
    return out


def sample_next(logits: torch.Tensor, generator: torch.Generator, temperature: float = 1.0,
                top_k: int = 0, top_p: float = 1.0, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """Draw one token per row of ``logits`` (B, V) -> (B,) int64."""
    filtered = filter_logits(logits, temperature, top_k, top_p, allowed)
    probs = torch.softmax(filtered, dim=-1)  # (B, V)
    dead = ~torch.isfinite(filtered).any(dim=-1)
    if dead.any():  # every token masked: fall back to the unfiltered distribution
        probs[dead] = torch.softmax(logits[dead].float(), dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
