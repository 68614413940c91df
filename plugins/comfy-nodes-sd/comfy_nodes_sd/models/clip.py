"""The CLIP text transformer (Radford et al. 2021) as Stable Diffusion checkpoints store it.

Keys, relative to the text model (``cond_stage_model.transformer.text_model.`` in SD1.x files):
``embeddings.{token,position}_embedding.weight``, ``encoder.layers.N.{self_attn.{q,k,v,out}_proj,
layer_norm1, mlp.fc1, mlp.fc2, layer_norm2}``, ``final_layer_norm``, and (OpenCLIP-H / -G, stand-alone
CLIP files) ``text_projection.weight`` beside ``text_model.``. Pre-norm residual blocks, causal
self-attention, quick-GELU (OpenAI CLIP) or GELU (OpenCLIP) in the MLP.

SD2.x and SDXL store their OpenCLIP encoders in OpenCLIP's own layout (``token_embedding``,
``positional_embedding``, ``transformer.resblocks.N.{ln_1, attn.in_proj_*, attn.out_proj, ln_2,
mlp.c_fc, mlp.c_proj}``, ``ln_final``, ``text_projection`` as a ``[width, proj]`` matrix);
:func:`openclip_to_clip` renames those keys to this layout (splitting the fused q/k/v projection),
as ComfyUI does when it loads them.

:meth:`ClipTextModel.forward` returns the last hidden state after the final layer norm, optionally
the hidden state after layer ``layer_idx`` (``-2`` is the penultimate layer, "CLIP skip 2"), normed
by the final layer norm too when asked, and the pooled output: the final state at the first end
token, through ``text_projection`` when the model has one. Computation runs in the dtype given (fp32 by default, whatever the weights are stored in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from . import ops

__all__ = ["ClipTextConfig", "ClipTextModel", "openclip_to_clip", "is_openclip_layout"]

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
    projection: int | None = None
    """Output width of ``text_projection`` (None: the model has none, the pooled output is unprojected)."""

    @classmethod
    def from_state_dict(cls, sd: Mapping[str, torch.Tensor], activation: str = "quick_gelu", head_dim: int = 64) -> "ClipTextConfig":
        """Read sizes from the tensor shapes of a state dict in :class:`ClipTextModel`'s layout
        (``text_model.*``, optional ``text_projection.weight``).

        Heads come from ``head_dim`` (64 in every CLIP: 12 for CLIP-L, 16 for OpenCLIP-H, 20 for
        OpenCLIP-G); a shrunk test model narrower than one head gets one head.
        """
        vocab, width = sd["text_model.embeddings.token_embedding.weight"].shape
        positions = sd["text_model.embeddings.position_embedding.weight"].shape[0]
        layers = 0
        while f"text_model.encoder.layers.{layers}.mlp.fc1.weight" in sd:
            layers += 1
        intermediate = sd["text_model.encoder.layers.0.mlp.fc1.weight"].shape[0]
        projection = sd.get("text_projection.weight")
        return cls(
            width=int(width),
            layers=layers,
            heads=max(1, int(width) // head_dim),
            intermediate=int(intermediate),
            vocab_size=int(vocab),
            positions=int(positions),
            activation=activation,
            projection=None if projection is None else int(projection.shape[0]),
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

    def forward(self, tokens: torch.Tensor, dtype: torch.dtype, overrides: dict[tuple[int, int], torch.Tensor] | None = None) -> torch.Tensor:
        """Token plus position embeddings; ``overrides`` maps (row, position) to a vector that
        replaces the token embedding there (textual-inversion embeddings)."""
        positions = self.position_embedding.weight[: tokens.shape[1]].to(dtype)
        x = self.token_embedding(tokens, out_dtype=dtype)
        if overrides:
            x = x.clone()
            for (row, pos), vector in overrides.items():
                x[row, pos] = vector.to(device=x.device, dtype=dtype)
        return x + positions.to(x.device)


class ClipEncoder(nn.Module):
    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList([ClipLayer(config) for _ in range(config.layers)])


class ClipTextTransformer(nn.Module):
    """The text transformer: parameter names are the checkpoint's below ``text_model.``."""

    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.embeddings = ClipEmbeddings(config)
        self.encoder = ClipEncoder(config)
        self.final_layer_norm = ops.LayerNorm(config.width)


class ClipTextModel(nn.Module):
    """The text model with its optional projection; parameter names are ``text_model.*`` and
    ``text_projection.weight`` (Hugging Face's ``CLIPTextModelWithProjection`` layout)."""

    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.config = config
        self.text_model = ClipTextTransformer(config)
        if config.projection is not None:
            self.text_projection = ops.Linear(config.width, config.projection, bias=False)

    @property
    def embeddings(self) -> ClipEmbeddings:
        return self.text_model.embeddings

    @property
    def encoder(self) -> ClipEncoder:
        return self.text_model.encoder

    @property
    def final_layer_norm(self) -> nn.Module:
        return self.text_model.final_layer_norm

    def forward(
        self,
        tokens: torch.Tensor,
        layer_idx: int | None = None,
        final_norm_intermediate: bool = True,
        dtype: torch.dtype = torch.float32,
        overrides: dict[tuple[int, int], torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """(final hidden state, hidden state after layer ``layer_idx`` or None, pooled output).

        ``overrides`` replaces token embeddings at (row, position) (textual inversion); the pooled
        output is taken at the first end token of ``tokens``, so an override position must hold
        another id.
        """
        x = self.embeddings(tokens, dtype, overrides)
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
        if self.config.projection is not None:
            pooled = self.text_projection(pooled)
        return x, intermediate, pooled


def is_openclip_layout(sd: Mapping[str, torch.Tensor], prefix: str = "") -> bool:
    """Whether ``sd`` holds an OpenCLIP text model below ``prefix``."""
    return f"{prefix}transformer.resblocks.0.ln_1.weight" in sd


_OPENCLIP_LAYER_KEYS = {
    "ln_1": "layer_norm1",
    "ln_2": "layer_norm2",
    "mlp.c_fc": "mlp.fc1",
    "mlp.c_proj": "mlp.fc2",
    "attn.out_proj": "self_attn.out_proj",
}


def openclip_to_clip(sd: Mapping[str, torch.Tensor], prefix: str = "") -> dict[str, torch.Tensor]:
    """The OpenCLIP text model below ``prefix`` in :class:`ClipTextModel`'s layout (``text_model.*``,
    ``text_projection.weight``). ``logit_scale`` and ``attn_mask`` buffers are dropped; other keys
    below ``prefix`` (the vision tower of a full OpenCLIP file, say) are left out."""
    out: dict[str, torch.Tensor] = {}
    simple = {
        "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
        "positional_embedding": "text_model.embeddings.position_embedding.weight",
        "ln_final.weight": "text_model.final_layer_norm.weight",
        "ln_final.bias": "text_model.final_layer_norm.bias",
    }
    for src, dst in simple.items():
        if prefix + src in sd:
            out[dst] = sd[prefix + src]
    if prefix + "text_projection" in sd:
        out["text_projection.weight"] = sd[prefix + "text_projection"].transpose(0, 1).contiguous()
    layer = 0
    while f"{prefix}transformer.resblocks.{layer}.ln_1.weight" in sd:
        src = f"{prefix}transformer.resblocks.{layer}."
        dst = f"text_model.encoder.layers.{layer}."
        for name, new in _OPENCLIP_LAYER_KEYS.items():
            for kind in ("weight", "bias"):
                if f"{src}{name}.{kind}" in sd:
                    out[f"{dst}{new}.{kind}"] = sd[f"{src}{name}.{kind}"]
        for kind in ("weight", "bias"):
            fused = sd.get(f"{src}attn.in_proj_{kind}")
            if fused is not None:
                for name, part in zip(("q_proj", "k_proj", "v_proj"), fused.chunk(3, dim=0)):
                    out[f"{dst}self_attn.{name}.{kind}"] = part.contiguous()
        layer += 1
    return out
