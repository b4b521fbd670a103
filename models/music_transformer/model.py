"""The music-transformer network: a decoder-only transformer (nanoGPT's layout) with rotary positions.

Tham and Kim's strongest baseline is a Transformer-XL (relative positions,
segment memory); this is its modern form, as in Music Transformer's relative
attention: positions enter as rotations of queries and keys (RoPE), so
attention depends on the distance between tokens, not on where a window
starts. Pre-norm blocks (LayerNorm -> attention -> residual, LayerNorm -> MLP
-> residual), ``scaled_dot_product_attention``, dropout, and the output layer
tied to the token embedding.

Generation keeps a :class:`KVCache`: the prompt is read once, then each new
token attends to the cached keys and values of every earlier one, so a step
costs one token's work instead of re-running the prefix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class MusicTransformerConfig:
    vocab_size: int
    d_model: int = 128
    layers: int = 4
    heads: int = 4
    mlp: int = 512
    dropout: float = 0.1
    max_len: int = 2048  # the longest sequence the rotary table covers
    rope_base: float = 10000.0

    def __post_init__(self) -> None:
        if self.d_model % self.heads or (self.d_model // self.heads) % 2:
            raise ValueError("d_model must split into heads of an even size")
        if self.vocab_size < 2 or self.layers < 1 or self.max_len < 2:
            raise ValueError("vocab_size and max_len must be at least 2 and layers at least 1")


class KVCache:
    """Keys and values of every layer for the tokens read so far, preallocated to ``capacity``."""

    def __init__(self, config: MusicTransformerConfig, batch: int, capacity: int, device, dtype) -> None:
        shape = (batch, config.heads, capacity, config.d_model // config.heads)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.layers)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.layers)]
        self.length = 0  # tokens cached
        self.capacity = capacity

    def expand(self, batch: int) -> "KVCache":
        """This (batch-1) cache repeated to ``batch`` rows: a prompt read once, sampled many ways."""
        out = object.__new__(KVCache)
        out.k = [k.expand(batch, -1, -1, -1).contiguous() for k in self.k]
        out.v = [v.expand(batch, -1, -1, -1).contiguous() for v in self.v]
        out.length, out.capacity = self.length, self.capacity
        return out


def rotary_table(head_dim: int, length: int, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin, each (length, head_dim / 2)."""
    inv = 1.0 / base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # (D/2,)
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv)  # (T, D/2)
    return angles.cos(), angles.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """``x`` (B, H, T, D) rotated pairwise by the angles of its positions (cos/sin (T, D/2))."""
    x1, x2 = x[..., 0::2], x[..., 1::2]  # (B, H, T, D/2) each
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)  # (B, H, T, D/2, 2)
    return out.flatten(-2).type_as(x)


class Attention(nn.Module):
    def __init__(self, config: MusicTransformerConfig) -> None:
        super().__init__()
        self.heads, self.head_dim = config.heads, config.d_model // config.heads
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.out = nn.Linear(config.d_model, config.d_model)
        self.resid_drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # (B, T, C) each
        q, k, v = (t.view(B, T, self.heads, self.head_dim).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if cache is None:
            # no dropout on the attention weights: with it, the CPU runs the unfused kernel (5x slower)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, D)
        else:
            start = cache.length
            cache.k[layer][:, :, start:start + T] = k
            cache.v[layer][:, :, start:start + T] = v
            keys, values = cache.k[layer][:, :, :start + T], cache.v[layer][:, :, :start + T]  # (B, H, S, D)
            if T == 1:  # one new token sees everything cached
                y = F.scaled_dot_product_attention(q, keys, values)
            else:  # a prompt: causal within itself, all of the earlier cache
                mask = torch.ones(T, start + T, dtype=torch.bool, device=x.device).tril(diagonal=start)
                y = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.resid_drop(self.out(y))


class Block(nn.Module):
    def __init__(self, config: MusicTransformerConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(config.d_model)
        self.attn = Attention(config)
        self.norm2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(nn.Linear(config.d_model, config.mlp), nn.GELU(),
                                 nn.Linear(config.mlp, config.d_model), nn.Dropout(config.dropout))

    def forward(self, x, cos, sin, cache=None, layer=0):
        x = x + self.attn(self.norm1(x), cos, sin, cache, layer)
        return x + self.mlp(self.norm2(x))


class MusicTransformer(nn.Module):
    """Token embedding -> pre-norm blocks with rotary attention -> LayerNorm -> tied output layer."""

    def __init__(self, config: MusicTransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.d_model)
        cos, sin = rotary_table(config.d_model // config.heads, config.max_len, config.rope_base)
        self.register_buffer("cos", cos, persistent=False)  # (max_len, D/2)
        self.register_buffer("sin", sin, persistent=False)
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2's scaled init of the residual projections
            if name.endswith("out.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * config.layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.02)

    def forward(self, ids: torch.Tensor, cache: KVCache | None = None, last_only: bool = False) -> torch.Tensor:
        """``ids`` (B, T) -> logits (B, T, V) (``last_only``: (B, 1, V)).

        With ``cache`` the ids continue the cached tokens (positions from ``cache.length``) and are
        added to it.
        """
        B, T = ids.shape
        start = cache.length if cache is not None else 0
        if start + T > self.config.max_len:
            raise ValueError(f"{start + T} tokens are more than the model's {self.config.max_len}")
        cos, sin = self.cos[start:start + T], self.sin[start:start + T]  # (T, D/2)
        x = self.drop(self.embed(ids))  # (B, T, C)
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, cache, i)
        if cache is not None:
            cache.length += T
        if last_only:
            x = x[:, -1:]
        return F.linear(self.norm(x), self.embed.weight)  # (B, T, V): the output layer is the embedding (tied)

    def new_cache(self, batch: int, capacity: int) -> KVCache:
        p = self.embed.weight
        return KVCache(self.config, batch, min(capacity, self.config.max_len), p.device, p.dtype)


def count_parameters(model: nn.Module) -> int:
    """Number of weights (the tied output layer is the embedding)."""
    return sum(p.numel() for p in model.parameters())
