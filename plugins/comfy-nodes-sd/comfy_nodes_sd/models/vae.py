"""The KL autoencoder of latent diffusion ("AutoencoderKL", Rombach et al. 2022), as SD checkpoints store it.

Keys (below ``first_stage_model.``): ``encoder.*``, ``quant_conv``, ``post_quant_conv``, ``decoder.*``.
Encoder: 3×3 conv in, per level residual blocks and (except the last level) a stride-2 downsample
(padded right and bottom), a middle of residual block, single-head self-attention, residual block,
GroupNorm → SiLU → conv to the mean and log-variance. Decoder: the mirror image, with one more
residual block per level and nearest-neighbour upsampling. GroupNorm(32, eps 1e-6) throughout.

:class:`VAEConfig` is read from tensor shapes (:meth:`VAEConfig.from_state_dict`). ``encode`` returns
the posterior mean (what ComfyUI samples from: no noise); ``decode`` returns pixels in about −1..1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import ops

__all__ = ["VAEConfig", "AutoencoderKL"]


@dataclass(frozen=True)
class VAEConfig:
    ch: int = 128
    ch_mult: tuple[int, ...] = (1, 2, 4, 4)
    num_res_blocks: int = 2
    z_channels: int = 4
    in_channels: int = 3
    out_ch: int = 3

    @classmethod
    def from_state_dict(cls, sd: Mapping[str, torch.Tensor]) -> "VAEConfig":
        ch = int(sd["decoder.conv_out.weight"].shape[1])
        levels = 0
        while f"decoder.up.{levels}.block.0.conv1.weight" in sd:
            levels += 1
        ch_mult = tuple(int(sd[f"decoder.up.{i}.block.0.conv2.weight"].shape[0]) // ch for i in range(levels))
        blocks = 0
        while f"decoder.up.0.block.{blocks}.conv1.weight" in sd:
            blocks += 1
        return cls(
            ch=ch,
            ch_mult=ch_mult,
            num_res_blocks=blocks - 1,
            z_channels=int(sd["post_quant_conv.weight"].shape[0]),
            in_channels=int(sd["encoder.conv_in.weight"].shape[1]),
            out_ch=int(sd["decoder.conv_out.weight"].shape[0]),
        )


def _norm(channels: int) -> ops.GroupNorm:
    return ops.GroupNorm(32, channels, eps=1e-6)


class ResnetBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm1 = _norm(in_channels)
        self.conv1 = ops.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = _norm(out_channels)
        self.conv2 = ops.Conv2d(out_channels, out_channels, 3, padding=1)
        self.nin_shortcut = ops.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        if self.nin_shortcut is not None:
            x = self.nin_shortcut(x)
        return x + h


class AttnBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = _norm(channels)
        self.q = ops.Conv2d(channels, channels, 1)
        self.k = ops.Conv2d(channels, channels, 1)
        self.v = ops.Conv2d(channels, channels, 1)
        self.proj_out = ops.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        b, c, height, width = h.shape
        q, k, v = (t.reshape(b, c, height * width).transpose(1, 2) for t in (self.q(h), self.k(h), self.v(h)))
        out = ops.attention(q, k, v, heads=1)
        out = out.transpose(1, 2).reshape(b, c, height, width)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = ops.Conv2d(channels, channels, 3, stride=2, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 1, 0, 1), mode="constant", value=0.0))


class Upsample(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = ops.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Middle(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block_1 = ResnetBlock(channels, channels)
        self.attn_1 = AttnBlock(channels)
        self.block_2 = ResnetBlock(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block_2(self.attn_1(self.block_1(x)))


class Level(nn.Module):
    """One resolution: residual blocks, then a resampling layer (or none)."""

    def __init__(self, blocks: list[ResnetBlock], resample: nn.Module | None, name: str) -> None:
        super().__init__()
        self.block = nn.ModuleList(blocks)
        self.attn = nn.ModuleList()
        self._resample_name = name
        if resample is not None:
            self.add_module(name, resample)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.block:
            x = block(x)
        resample = getattr(self, self._resample_name, None)
        return x if resample is None else resample(x)


class Encoder(nn.Module):
    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        ch, mult = config.ch, config.ch_mult
        self.conv_in = ops.Conv2d(config.in_channels, ch, 3, padding=1)
        self.down = nn.ModuleList()
        cin = ch
        for i, m in enumerate(mult):
            blocks = []
            for _ in range(config.num_res_blocks):
                blocks.append(ResnetBlock(cin, ch * m))
                cin = ch * m
            self.down.append(Level(blocks, Downsample(cin) if i != len(mult) - 1 else None, "downsample"))
        self.mid = Middle(cin)
        self.norm_out = _norm(cin)
        self.conv_out = ops.Conv2d(cin, 2 * config.z_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        for level in self.down:
            h = level(h)
        h = self.mid(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        ch, mult = config.ch, config.ch_mult
        cin = ch * mult[-1]
        self.conv_in = ops.Conv2d(config.z_channels, cin, 3, padding=1)
        self.mid = Middle(cin)
        levels: list[Level] = []
        for i in reversed(range(len(mult))):
            blocks = []
            for _ in range(config.num_res_blocks + 1):
                blocks.append(ResnetBlock(cin, ch * mult[i]))
                cin = ch * mult[i]
            levels.insert(0, Level(blocks, Upsample(cin) if i != 0 else None, "upsample"))
        self.up = nn.ModuleList(levels)
        self.norm_out = _norm(cin)
        self.conv_out = ops.Conv2d(cin, config.out_ch, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.conv_in(z))
        for level in reversed(self.up):
            h = level(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.quant_conv = ops.Conv2d(2 * config.z_channels, 2 * config.z_channels, 1)
        self.post_quant_conv = ops.Conv2d(config.z_channels, config.z_channels, 1)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Pixels ``[B, 3, H, W]`` in −1..1 to the posterior mean ``[B, z, H/f, W/f]``."""
        moments = self.quant_conv(self.encoder(x))
        return moments[:, : self.config.z_channels]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, z, h, w]`` to pixels ``[B, 3, h·f, w·f]`` in about −1..1."""
        return self.decoder(self.post_quant_conv(z))
