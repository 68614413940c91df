"""The CLIP text transformer (Radford et al. 2021) as Stable Diffusion checkpoints store it.

Keys, relative to the text model (``cond_stage_model.transformer.text_model.`` in SD1.x files):
``embeddings.{token,position}_embedding.weight``, ``encoder.layers.N.{self_attn.{q,k,v,out}_proj,
layer_norm1, mlp.fc1, mlp.fc2, layer_norm2}``, ``final_layer_norm``. Pre-norm residual blocks, causal
self-attention, quick-GELU (OpenAI CLIP) or GELU (OpenCLIP) in the MLP.

:meth:`ClipTextModel.forward` returns the last hidden state after the final layer norm, optionally
the hidden state after layer ``layer_idx`` (``-2`` is the penultimate layer, "CLIP skip 2"), normed
by the final layer norm too when asked, and the pooled output: the final state at the first end
token. Computation runs in the dtype given (fp32 by default, whatever the weights are stored in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from . import ops

__all__ = ["ClipTextConfig", "ClipTextModel"]

_ACTIVATIONS = {
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "gelu": nn.functional.gelu,
}


@dataclass(frozen=True)
class ClipTextConfig:
    width: int = 768
    layers: int = 12
    heads: int = 12
    intermediate: int = 3072
    vocab_size: int = 49408
    positions: int = 77
    activation: str = "quick_gelu"
    eos_token: int = 49407

    @classmethod
    def from_state_dict(cls, sd: Mapping[str, torch.Tensor], activation: str = "quick_gelu", head_dim: int = 64) -> "ClipTextConfig":
        """Read sizes from the tensor shapes (heads from ``head_dim``, 64 in every CLIP)."""
        vocab, width = sd["embeddings.token_embedding.weight"].shape
        positions = sd["embeddings.position_embedding.weight"].shape[0]
        layers = 0
        while f"encoder.layers.{layers}.mlp.fc1.weight" in sd:
            layers += 1
        intermediate = sd["encoder.layers.0.mlp.fc1.weight"].shape[0]
        return cls(
            width=int(width),
            layers=layers,
            heads=int(width) // head_dim,
            intermediate=int(intermediate),
            vocab_size=int(vocab),
            positions=int(positions),
            activation=activation,
        )


class ClipAttention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q_proj = ops.Linear(width, width)
        self.k_proj = ops.Linear(width, width)
        self.v_proj = ops.Linear(width, width)
        self.out_proj = ops.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = ops.attention(self.q_proj(x), self.k_proj(x), self.v_proj(x), self.heads, causal=True)
        return self.out_proj(out)


class ClipMLP(nn.Module):
    def __init__(self, width: int, intermediate: int, activation: str) -> None:
        super().__init__()
        self.fc1 = ops.Linear(width, intermediate)
        self.fc2 = ops.Linear(intermediate, width)
        self.activation = _ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.activation(self.fc1(x)))


class ClipLayer(nn.Module):
    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.layer_norm1 = ops.LayerNorm(config.width)
        self.self_attn = ClipAttention(config.width, config.heads)
        self.layer_norm2 = ops.LayerNorm(config.width)
        self.mlp = ClipMLP(config.width, config.intermediate, config.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class ClipEmbeddings(nn.Module):
    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.token_embedding = ops.Embedding(config.vocab_size, config.width)
        self.position_embedding = ops.Embedding(config.positions, config.width)

    def forward(self, tokens: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        positions = self.position_embedding.weight[: tokens.shape[1]].to(dtype)
        return self.token_embedding(tokens, out_dtype=dtype) + positions


class ClipEncoder(nn.Module):
    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList([ClipLayer(config) for _ in range(config.layers)])


class ClipTextModel(nn.Module):
    """The text model; its parameter names are the checkpoint's below ``text_model.``."""

    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = ClipEmbeddings(config)
        self.encoder = ClipEncoder(config)
        self.final_layer_norm = ops.LayerNorm(config.width)

    def forward(
        self,
        tokens: torch.Tensor,
        layer_idx: int | None = None,
        final_norm_intermediate: bool = True,
        dtype: torch.dtype = torch.float32,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """(final hidden state, hidden state after layer ``layer_idx`` or None, pooled output)."""
        x = self.embeddings(tokens, dtype)
        layers = self.encoder.layers
        stop = None if layer_idx is None else (layer_idx if layer_idx >= 0 else len(layers) + layer_idx)
        intermediate = None
        for i, layer in enumerate(layers):
            x = layer(x)
            if i == stop:
                intermediate = x.clone()
        x = self.final_layer_norm(x)
        if intermediate is not None and final_norm_intermediate:
            intermediate = self.final_layer_norm(intermediate)
        first_eos = (tokens == self.config.eos_token).int().argmax(dim=-1)
        pooled = x[torch.arange(x.shape[0], device=x.device), first_eos]
        return x, intermediate, pooled
