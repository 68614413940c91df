"""The latent-diffusion UNet (Rombach et al. 2022, "LDM"), as SD1.x / SD2.x / SDXL checkpoints store it.

Keys (below ``model.diffusion_model.``): ``time_embed.{0,2}``, optional ``label_emb.0.{0,2}`` (SDXL's
ADM vector), ``input_blocks.N.M``, ``middle_block.{0,1,2}``, ``output_blocks.N.M``, ``out.{0,2}``.
An input block is the first convolution, a residual block optionally followed by a spatial
transformer, or a strided-convolution downsample; an output block is a residual block on the
concatenated skip connection, optionally a spatial transformer, optionally a nearest-neighbour
upsample. :class:`UNetConfig` says which; ``comfy_nodes_sd.detect`` reads it from tensor shapes.

Residual blocks: GroupNorm(32) → SiLU → 3×3 conv, plus the projected time embedding, GroupNorm →
SiLU → 3×3 conv, plus a 1×1 skip when the width changes. Spatial transformer: GroupNorm(32, eps
1e-6), 1×1 conv (or linear) in, blocks of self-attention, cross-attention on the text context and a
GEGLU feed-forward (each pre-LayerNorm, residual), 1×1 conv (or linear) out, residual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import ops

__all__ = ["UNetConfig", "UNetModel", "timestep_embedding"]


@dataclass(frozen=True)
class UNetConfig:
    in_channels: int
    out_channels: int
    model_channels: int
    channel_mult: tuple[int, ...]
    num_res_blocks: tuple[int, ...]
    transformer_depth: tuple[int, ...]
    """Per residual input block, in order: transformer blocks after it (0: no attention)."""
    transformer_depth_middle: int
    """Transformer blocks in the middle block (0: two residual blocks only)."""
    transformer_depth_output: tuple[int, ...]
    """Per output block, listed from the last block to the first (ComfyUI's convention: the
    highest-resolution level first)."""
    context_dim: int
    use_linear_in_transformer: bool
    num_heads: int = -1
    """Fixed number of heads (SD1.x: 8), or -1 to use ``num_head_channels``."""
    num_head_channels: int = -1
    """Channels per head (SD2.x, SDXL: 64), or -1 to use ``num_heads``."""
    adm_in_channels: int | None = None

    def heads_for(self, channels: int) -> int:
        """Attention heads at a width: ``num_heads``, or ``channels // num_head_channels`` (at least
        one, for shrunk test models narrower than one head)."""
        return self.num_heads if self.num_heads > 0 else max(1, channels // self.num_head_channels)


def timestep_embedding(timesteps: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding ``[cos(t·f), sin(t·f)]`` with ``f = max_period^(-i / half)`` (fp32)."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=timesteps.device) / half
    args = timesteps[:, None].float() * torch.exp(exponent)[None]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)
    return embedding


class ResBlock(nn.Module):
    def __init__(self, channels: int, emb_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_layers = nn.Sequential(ops.GroupNorm(32, channels), nn.SiLU(), ops.Conv2d(channels, out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), ops.Linear(emb_channels, out_channels))
        self.out_layers = nn.Sequential(
            ops.GroupNorm(32, out_channels), nn.SiLU(), nn.Dropout(0.0), ops.Conv2d(out_channels, out_channels, 3, padding=1)
        )
        self.skip_connection: nn.Module = (
            nn.Identity() if channels == out_channels else ops.Conv2d(channels, out_channels, 1)
        )

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.in_layers(x)
        h = h + self.emb_layers(emb).to(h.dtype)[:, :, None, None]
        return self.skip_connection(x) + self.out_layers(h)


class Downsample(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.op = ops.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = ops.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        size = size or (x.shape[2] * 2, x.shape[3] * 2)
        return self.conv(F.interpolate(x, size=size, mode="nearest"))


class CrossAttention(nn.Module):
    def __init__(self, dim: int, context_dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.to_q = ops.Linear(dim, dim, bias=False)
        self.to_k = ops.Linear(context_dim, dim, bias=False)
        self.to_v = ops.Linear(context_dim, dim, bias=False)
        self.to_out = nn.ModuleList([ops.Linear(dim, dim), nn.Dropout(0.0)])

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        context = x if context is None else context
        out = ops.attention(self.to_q(x), self.to_k(context), self.to_v(context), self.heads)
        return self.to_out[0](out)


class GEGLU(nn.Module):
    def __init__(self, dim: int, inner: int) -> None:
        super().__init__()
        self.proj = ops.Linear(dim, inner * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(GEGLU(dim, dim * 4), nn.Dropout(0.0), ops.Linear(dim * 4, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim: int, context_dim: int, heads: int) -> None:
        super().__init__()
        self.attn1 = CrossAttention(dim, dim, heads)
        self.attn2 = CrossAttention(dim, context_dim, heads)
        self.ff = FeedForward(dim)
        self.norm1 = ops.LayerNorm(dim)
        self.norm2 = ops.LayerNorm(dim)
        self.norm3 = ops.LayerNorm(dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), context)
        return x + self.ff(self.norm3(x))


class SpatialTransformer(nn.Module):
    def __init__(self, channels: int, depth: int, context_dim: int, heads: int, use_linear: bool) -> None:
        super().__init__()
        self.use_linear = use_linear
        self.norm = ops.GroupNorm(32, channels, eps=1e-6)
        self.proj_in: nn.Module = ops.Linear(channels, channels) if use_linear else ops.Conv2d(channels, channels, 1)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(channels, context_dim, heads) for _ in range(depth)]
        )
        self.proj_out: nn.Module = ops.Linear(channels, channels) if use_linear else ops.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        x_in = x
        x = self.norm(x)
        if not self.use_linear:
            x = self.proj_in(x)
        x = x.reshape(b, c, h * w).transpose(1, 2).contiguous()
        if self.use_linear:
            x = self.proj_in(x)
        for block in self.transformer_blocks:
            x = block(x, context)
        if self.use_linear:
            x = self.proj_out(x)
        x = x.transpose(1, 2).reshape(b, c, h, w).contiguous()
        if not self.use_linear:
            x = self.proj_out(x)
        return x + x_in


class TimestepBlock(nn.ModuleList):
    """One input, middle or output block: its layers in order, each fed what it needs."""

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, emb: torch.Tensor, context: torch.Tensor, size: tuple[int, int] | None = None
    ) -> torch.Tensor:
        for layer in self:
            if isinstance(layer, ResBlock):
                x = layer(x, emb)
            elif isinstance(layer, SpatialTransformer):
                x = layer(x, context)
            elif isinstance(layer, Upsample):
                x = layer(x, size)
            else:
                x = layer(x)
        return x


class UNetModel(nn.Module):
    """Noise prediction ``ε(x, t, context[, y])`` with parameter names as in the checkpoints."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        mc = config.model_channels
        emb_dim = mc * 4
        self.time_embed = nn.Sequential(ops.Linear(mc, emb_dim), nn.SiLU(), ops.Linear(emb_dim, emb_dim))
        if config.adm_in_channels is not None:
            self.label_emb = nn.Sequential(
                nn.Sequential(ops.Linear(config.adm_in_channels, emb_dim), nn.SiLU(), ops.Linear(emb_dim, emb_dim))
            )

        def transformer(channels: int, depth: int) -> SpatialTransformer:
            return SpatialTransformer(
                channels, depth, config.context_dim, config.heads_for(channels), config.use_linear_in_transformer
            )

        self.input_blocks = nn.ModuleList([TimestepBlock([ops.Conv2d(config.in_channels, mc, 3, padding=1)])])
        skip_channels = [mc]
        ch = mc
        depths = iter(config.transformer_depth)
        levels = len(config.channel_mult)
        for level, mult in enumerate(config.channel_mult):
            for _ in range(config.num_res_blocks[level]):
                layers: list[nn.Module] = [ResBlock(ch, emb_dim, mult * mc)]
                ch = mult * mc
                depth = next(depths)
                if depth:
                    layers.append(transformer(ch, depth))
                self.input_blocks.append(TimestepBlock(layers))
                skip_channels.append(ch)
            if level != levels - 1:
                self.input_blocks.append(TimestepBlock([Downsample(ch)]))
                skip_channels.append(ch)

        middle: list[nn.Module] = [ResBlock(ch, emb_dim, ch)]
        if config.transformer_depth_middle:
            middle.append(transformer(ch, config.transformer_depth_middle))
        middle.append(ResBlock(ch, emb_dim, ch))
        self.middle_block = TimestepBlock(middle)

        self.output_blocks = nn.ModuleList()
        out_depths = iter(reversed(config.transformer_depth_output))
        for level, mult in reversed(list(enumerate(config.channel_mult))):
            for i in range(config.num_res_blocks[level] + 1):
                layers = [ResBlock(ch + skip_channels.pop(), emb_dim, mult * mc)]
                ch = mult * mc
                depth = next(out_depths)
                if depth:
                    layers.append(transformer(ch, depth))
                if level and i == config.num_res_blocks[level]:
                    layers.append(Upsample(ch))
                self.output_blocks.append(TimestepBlock(layers))

        self.out = nn.Sequential(ops.GroupNorm(32, ch), nn.SiLU(), ops.Conv2d(mc, config.out_channels, 3, padding=1))

    def forward(
        self, x: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        emb = self.time_embed(timestep_embedding(timesteps, self.config.model_channels).to(x.dtype))
        if y is not None:
            emb = emb + self.label_emb(y)
        skips = []
        h = x
        for block in self.input_blocks:
            h = block(h, emb, context)
            skips.append(h)
        h = self.middle_block(h, emb, context)
        for block in self.output_blocks:
            h = torch.cat([h, skips.pop()], dim=1)
            size = (skips[-1].shape[2], skips[-1].shape[3]) if skips else None
            h = block(h, emb, context, size)
        return self.out(h.to(x.dtype))
