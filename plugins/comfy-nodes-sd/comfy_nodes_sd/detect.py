"""Which model a state dict holds, read from its keys and tensor shapes.

:func:`unet_config_from_state_dict` reconstructs the UNet's layout (widths, levels, residual blocks
per level, transformer depth per block, context width, linear or convolutional projections, ADM
input) from the shapes alone, so shrunk test checkpoints and real ones go through the same code.
:func:`detect` then picks the :class:`~comfy_nodes_sd.families.Family` that accepts that layout and
completes the config with the family's head layout (not visible in the shapes) and tells ε- from
v-prediction models as ComfyUI does (a ``v_pred`` key; for SD2.x, the spread of one norm bias).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .families import FAMILIES, Family
from .models.unet import UNetConfig

__all__ = ["Detection", "UnknownModelError", "UnsupportedModelError", "detect", "unet_config_from_state_dict", "unet_prefix"]

UNET_PREFIX = "model.diffusion_model."


class UnknownModelError(ValueError):
    """The state dict is not a checkpoint of a known family."""


class UnsupportedModelError(ValueError):
    """The family is recognised but not supported yet."""


@dataclass(frozen=True)
class Detection:
    family: Family
    unet_config: UNetConfig
    prediction: str = "eps"
    """``"eps"`` or ``"v"`` (see :meth:`Family.prediction_type`)."""


def _depth(keys: set[str], block: str) -> int:
    """Transformer blocks in ``block`` (e.g. ``"...input_blocks.1.1."``)."""
    depth = 0
    while f"{block}transformer_blocks.{depth}.norm1.weight" in keys:
        depth += 1
    return depth


def _has_block(keys: set[str], prefix: str) -> bool:
    return any(k.startswith(prefix) for k in keys)


def unet_config_from_state_dict(sd: Mapping[str, Any], prefix: str = UNET_PREFIX) -> UNetConfig:
    """The UNet layout of ``sd`` (heads left unset: ``num_heads = num_head_channels = -1``)."""
    keys = set(sd)
    if f"{prefix}input_blocks.0.0.weight" not in keys:
        raise UnknownModelError(f"no UNet found (no {prefix}input_blocks.0.0.weight)")
    first = sd[f"{prefix}input_blocks.0.0.weight"]
    model_channels, in_channels = int(first.shape[0]), int(first.shape[1])
    out_channels = int(sd[f"{prefix}out.2.weight"].shape[0])

    channel_mult: list[int] = []
    num_res_blocks: list[int] = []
    transformer_depth: list[int] = []
    context_dim: int | None = None
    use_linear = False
    blocks_in_level = 0
    level_mult = 1
    index = 1
    while _has_block(keys, f"{prefix}input_blocks.{index}."):
        block = f"{prefix}input_blocks.{index}."
        if f"{block}0.op.weight" in keys:
            channel_mult.append(level_mult)
            num_res_blocks.append(blocks_in_level)
            blocks_in_level = 0
        else:
            level_mult = int(sd[f"{block}0.out_layers.3.weight"].shape[0]) // model_channels
            blocks_in_level += 1
            depth = _depth(keys, f"{block}1.")
            transformer_depth.append(depth)
            if depth and context_dim is None:
                context_dim = int(sd[f"{block}1.transformer_blocks.0.attn2.to_k.weight"].shape[1])
                use_linear = sd[f"{block}1.proj_in.weight"].ndim == 2
        index += 1
    channel_mult.append(level_mult)
    num_res_blocks.append(blocks_in_level)

    middle_depth = _depth(keys, f"{prefix}middle_block.1.")
    if middle_depth and context_dim is None:
        context_dim = int(sd[f"{prefix}middle_block.1.transformer_blocks.0.attn2.to_k.weight"].shape[1])
        use_linear = sd[f"{prefix}middle_block.1.proj_in.weight"].ndim == 2

    transformer_depth_output: list[int] = []
    index = 0
    while _has_block(keys, f"{prefix}output_blocks.{index}."):
        transformer_depth_output.append(_depth(keys, f"{prefix}output_blocks.{index}.1."))
        index += 1
    expected = sum(n + 1 for n in num_res_blocks)
    if len(transformer_depth_output) != expected:
        raise UnknownModelError(f"UNet has {len(transformer_depth_output)} output blocks, its input side implies {expected}")

    adm_key = f"{prefix}label_emb.0.0.weight"
    adm_in_channels = int(sd[adm_key].shape[1]) if adm_key in keys else None
    return UNetConfig(
        in_channels=in_channels,
        out_channels=out_channels,
        model_channels=model_channels,
        channel_mult=tuple(channel_mult),
        num_res_blocks=tuple(num_res_blocks),
        transformer_depth=tuple(transformer_depth),
        transformer_depth_middle=middle_depth,
        transformer_depth_output=tuple(reversed(transformer_depth_output)),
        context_dim=context_dim or 0,
        use_linear_in_transformer=bool(use_linear),
        adm_in_channels=adm_in_channels,
    )


def unet_prefix(sd: Mapping[str, Any]) -> str:
    """Where the UNet's keys start: ``model.diffusion_model.`` in a checkpoint, nothing in a
    stand-alone diffusion-model file."""
    for prefix in (UNET_PREFIX, ""):
        if f"{prefix}input_blocks.0.0.weight" in sd:
            return prefix
    raise UnknownModelError(f"no UNet found (no {UNET_PREFIX}input_blocks.0.0.weight)")


def detect(sd: Mapping[str, Any], prefix: str = UNET_PREFIX) -> Detection:
    """The family of a state dict whose UNet keys start with ``prefix``, its complete UNet config
    and its prediction type.

    Raises :class:`UnknownModelError` for an unknown layout, :class:`UnsupportedModelError` for a
    known family that cannot be loaded yet.
    """
    config = unet_config_from_state_dict(sd, prefix)
    for family in FAMILIES:
        if family.matches(config):
            if not family.supported:
                raise UnsupportedModelError(f"{family.display_name} checkpoints are not supported yet")
            config = dataclasses.replace(config, num_heads=family.num_heads, num_head_channels=family.num_head_channels)
            prediction = family.prediction_type(sd, prefix)
            if prediction not in ("eps", "v"):
                raise UnsupportedModelError(f"{family.display_name} checkpoints with an EDM noise schedule are not supported yet")
            return Detection(family, config, prediction)
    raise UnknownModelError(
        f"unknown UNet layout (model_channels {config.model_channels}, context_dim {config.context_dim}, "
        f"linear projections {config.use_linear_in_transformer}, adm {config.adm_in_channels}, "
        f"in_channels {config.in_channels})"
    )
