"""LoRA files: their key formats, the weights they change, and MODEL / CLIP clones that carry them.

A LoRA file stores, per changed layer ``x``, a low-rank pair and optionally its scale:

- ``x.lora_up.weight`` / ``x.lora_down.weight`` (kohya; LoCon adds conv pairs and ``x.lora_mid.weight``),
  ``x_lora.up.weight`` / ``x_lora.down.weight``, ``x.lora.up.weight`` / ``x.lora.down.weight``,
  ``x.lora_B.weight`` / ``x.lora_A.weight`` (PEFT / diffusers), ``x.lora_linear_layer.up/down.weight``;
- ``x.alpha``: the change is scaled by ``alpha / rank`` (1 without it); ``x.dora_scale`` (DoRA);
- ``x.diff`` / ``x.diff_b``: a full difference of the weight / bias.

The change of a weight ``W`` at strength ``s`` is ``W + s·(alpha/rank)·(up @ down)`` reshaped to ``W``
(ComfyUI's ``LoRAAdapter.calculate_weight``).

Layer names ``x`` come in several dialects; the key maps say which parameter each names, and are
derived from our modules' own parameter names (which mirror the checkpoint layout), so every family
and text encoder is covered by the same code:

- UNet: ``lora_unet_<ldm name with _>`` (e.g. ``lora_unet_input_blocks_1_1_proj_in``),
  ``lora_unet_<diffusers name with _>`` (kohya's SD1.x/SD2.x files, e.g.
  ``lora_unet_down_blocks_0_attentions_0_proj_in``), ``diffusion_model.<ldm name>``,
  ``model.diffusion_model.<ldm name>``, ``unet.<diffusers name>`` and ``<diffusers name>``;
- text encoders: ``lora_te_text_model_<name with _>`` (one encoder), ``lora_te1_`` / ``lora_te2_``
  (SDXL's CLIP-L / CLIP-G), ``text_encoder.`` / ``text_encoder_2.`` + ``text_model.<name>``
  (diffusers), and the checkpoint's own prefix (``cond_stage_model.transformer.text_model.<name>``).

Keys that match nothing are logged as warnings (``lora key not loaded: ...``), as ComfyUI does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = [
    "LoraAdapter",
    "DiffAdapter",
    "load_lora_file",
    "unet_key_map",
    "clip_key_map",
    "diffusers_unet_names",
    "load_lora",
    "load_lora_for_models",
]

logger = logging.getLogger(__name__)

# (up, down, mid or None) name patterns of the LoRA dialects, in ComfyUI's order of preference.
_PAIR_FORMATS = (
    ("{}.lora_up.weight", "{}.lora_down.weight", "{}.lora_mid.weight"),
    ("{}_lora.up.weight", "{}_lora.down.weight", None),
    ("{}.lora_B.weight", "{}.lora_A.weight", None),
    ("{}.lora.up.weight", "{}.lora.down.weight", None),
    ("{}.lora_B", "{}.lora_A", None),
    ("{}.lora_linear_layer.up.weight", "{}.lora_linear_layer.down.weight", None),
)


@dataclass(frozen=True)
class LoraAdapter:
    """A low-rank change ``(alpha / rank)·(up @ down)`` (with LoCon's Tucker ``mid``, DoRA's ``dora_scale``)."""

    up: "torch.Tensor"
    down: "torch.Tensor"
    alpha: float | None = None
    mid: "torch.Tensor | None" = None
    dora_scale: "torch.Tensor | None" = None

    def diff(self, shape: "torch.Size", device: Any) -> "torch.Tensor":
        import torch

        up = self.up.to(device=device, dtype=torch.float32)
        down = self.down.to(device=device, dtype=torch.float32)
        if self.mid is not None:
            mid = self.mid.to(device=device, dtype=torch.float32)
            # Tucker decomposition: the conv kernel lives in mid [rank, rank, kh, kw]
            final = [down.shape[1], down.shape[0], mid.shape[2], mid.shape[3]]
            down = torch.mm(down.transpose(0, 1).flatten(1), mid.transpose(0, 1).flatten(1)).reshape(final).transpose(0, 1)
        return torch.mm(up.flatten(1), down.flatten(1)).reshape(shape)

    @property
    def scale(self) -> float:
        return 1.0 if self.alpha is None else self.alpha / self.down.shape[0]

    def apply(self, weight: "torch.Tensor", strength: float) -> "torch.Tensor":
        diff = self.diff(weight.shape, weight.device) * self.scale
        if self.dora_scale is None:
            weight += strength * diff
            return weight
        return _dora(weight, diff, self.dora_scale, strength)


def _dora(weight: "torch.Tensor", diff: "torch.Tensor", dora_scale: "torch.Tensor", strength: float) -> "torch.Tensor":
    """DoRA (Liu et al. 2024): the direction ``W + ΔW`` renormalised per input channel to ``dora_scale``."""
    import torch

    scale = dora_scale.to(device=weight.device, dtype=torch.float32)
    calc = weight + diff
    norm = calc.transpose(0, 1).reshape(calc.shape[1], -1).norm(dim=1, keepdim=True)
    norm = norm.reshape(calc.shape[1], *[1] * (calc.dim() - 1)).transpose(0, 1)
    calc = calc * (scale / norm)
    if strength != 1.0:
        return weight + strength * (calc - weight)
    return calc


@dataclass(frozen=True)
class DiffAdapter:
    """A full difference of a weight or bias (``x.diff``, ``x.diff_b``)."""

    diff: "torch.Tensor"

    def apply(self, weight: "torch.Tensor", strength: float) -> "torch.Tensor":
        import torch

        weight += strength * self.diff.to(device=weight.device, dtype=torch.float32).reshape(weight.shape)
        return weight


def load_lora_file(path: str | os.PathLike[str]) -> dict[str, "torch.Tensor"]:
    """The tensors of a LoRA file (``.safetensors``, or a pickle read with ``weights_only``), on the CPU."""
    from comfy.utils import load_torch_file

    return load_torch_file(os.fspath(path), safe_load=True)


# --------------------------------------------------------------------------- key maps


_RESNET_PARTS = {
    "in_layers.0": "norm1",
    "in_layers.2": "conv1",
    "emb_layers.1": "time_emb_proj",
    "out_layers.0": "norm2",
    "out_layers.3": "conv2",
    "skip_connection": "conv_shortcut",
}


def _block_names(unet: "nn.Module") -> dict[str, tuple[str, str]]:
    """LDM module prefix → (diffusers prefix, kind) for every block of ``unet``, read from its modules."""
    from .models.unet import Downsample, ResBlock, SpatialTransformer, Upsample

    names: dict[str, tuple[str, str]] = {
        "input_blocks.0.0": ("conv_in", "leaf"),
        "time_embed.0": ("time_embedding.linear_1", "leaf"),
        "time_embed.2": ("time_embedding.linear_2", "leaf"),
        "label_emb.0.0": ("add_embedding.linear_1", "leaf"),
        "label_emb.0.2": ("add_embedding.linear_2", "leaf"),
        "out.0": ("conv_norm_out", "leaf"),
        "out.2": ("conv_out", "leaf"),
    }

    def layers(block: Any, ldm: str, diffusers: str, level: int, index: int) -> bool:
        """Names of one block's layers; True when it ends a level (a resampling layer)."""
        ends = False
        for pos, layer in enumerate(block):
            here = f"{ldm}.{pos}"
            if isinstance(layer, ResBlock):
                names[here] = (f"{diffusers}.{level}.resnets.{index}", "resnet")
            elif isinstance(layer, SpatialTransformer):
                names[here] = (f"{diffusers}.{level}.attentions.{index}", "same")
            elif isinstance(layer, Downsample):
                names[here] = (f"{diffusers}.{level}.downsamplers.0", "downsample")
                ends = True
            elif isinstance(layer, Upsample):
                names[here] = (f"{diffusers}.{level}.upsamplers.0", "same")
                ends = True
        return ends

    level = index = 0
    for n, block in enumerate(list(unet.input_blocks)[1:], start=1):
        if layers(block, f"input_blocks.{n}", "down_blocks", level, index):
            level, index = level + 1, 0
        else:
            index += 1
    level = index = 0
    for n, block in enumerate(unet.output_blocks):
        if layers(block, f"output_blocks.{n}", "up_blocks", level, index):
            level, index = level + 1, 0
        else:
            index += 1
    resnets = attentions = 0
    for pos, layer in enumerate(unet.middle_block):
        if isinstance(layer, ResBlock):
            names[f"middle_block.{pos}"] = (f"mid_block.resnets.{resnets}", "resnet")
            resnets += 1
        elif isinstance(layer, SpatialTransformer):
            names[f"middle_block.{pos}"] = (f"mid_block.attentions.{attentions}", "same")
            attentions += 1
    return names


def diffusers_unet_names(unet: "nn.Module") -> dict[str, str]:
    """Diffusers module name → our (LDM) module name, for every weighted module of ``unet``."""
    blocks = _block_names(unet)
    out: dict[str, str] = {}
    for param in dict(unet.named_parameters()):
        module = param.rsplit(".", 1)[0]
        parts = module.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in blocks:
                diffusers, kind = blocks[prefix]
                rest = ".".join(parts[cut:])
                if kind == "resnet":
                    rest = _RESNET_PARTS.get(rest, rest)
                elif kind == "downsample" and rest == "op":
                    rest = "conv"
                out[f"{diffusers}.{rest}" if rest else diffusers] = module
                break
    return out


def unet_key_map(unet: "nn.Module") -> dict[str, str]:
    """LoRA layer name → UNet parameter name (``<module>.weight``; ``.bias`` targets come from ``diff_b``)."""
    key_map: dict[str, str] = {}
    modules = {name.rsplit(".", 1)[0] for name, _ in unet.named_parameters() if name.endswith(".weight")}
    for module in modules:
        target = module + ".weight"
        key_map["lora_unet_" + module.replace(".", "_")] = target
        key_map["diffusion_model." + module] = target
        key_map["model.diffusion_model." + module] = target
    for diffusers, module in diffusers_unet_names(unet).items():
        target = module + ".weight"
        if target.rsplit(".", 1)[0] not in modules:
            continue
        key_map.setdefault("lora_unet_" + diffusers.replace(".", "_"), target)
        for prefix in ("", "unet."):
            key_map.setdefault(prefix + diffusers, target)
            processor = prefix + diffusers.replace(".to_", ".processor.to_")
            if processor.endswith(".to_out.0"):
                processor = processor[:-2]
            key_map.setdefault(processor, target)
    return key_map


def _te_names(index: int, count: int, spec: Any, module: str) -> list[str]:
    """LoRA layer names of text-model module ``module`` (our name, e.g. ``text_model.encoder.layers.0.mlp.fc1``)
    in text encoder ``index`` of ``count``."""
    stem = module[len("text_model.") :] if module.startswith("text_model.") else None
    kohya = ["lora_te_", "lora_te1_"] if count == 1 else [f"lora_te{index + 1}_"]
    diffusers = "text_encoder." if index == 0 else f"text_encoder_{index + 1}."
    names = [spec.prefix + module]  # the checkpoint's own layout
    if stem is None:
        return names + [p + module.replace(".", "_") for p in kohya] + [diffusers + module]
    names += [p + "text_model_" + stem.replace(".", "_") for p in kohya]
    names += [diffusers + "text_model." + stem]
    names += [f"clip_{spec.name}.transformer.text_model.{stem}", f"text_encoders.clip_{spec.name}.transformer.text_model.{stem}"]
    return names


def clip_key_map(clip: Any) -> dict[str, tuple[int, str]]:
    """LoRA layer name → (text encoder index, parameter name) for every encoder of CLIP ``clip``."""
    key_map: dict[str, tuple[int, str]] = {}
    encoders = clip.encoders
    for index, encoder in enumerate(encoders):
        model = _base_module(encoder.model)
        for name, _ in model.named_parameters():
            if name.endswith(".weight"):
                for lora_name in _te_names(index, len(encoders), encoder.spec, name[: -len(".weight")]):
                    key_map.setdefault(lora_name, (index, name))
    return key_map


# --------------------------------------------------------------------------- loading


def _adapter_for(x: str, lora: Mapping[str, "torch.Tensor"], used: set[str]) -> Any:
    alpha = dora = None
    if f"{x}.alpha" in lora:
        alpha = float(lora[f"{x}.alpha"].item())
        used.add(f"{x}.alpha")
    if f"{x}.dora_scale" in lora:
        dora = lora[f"{x}.dora_scale"]
        used.add(f"{x}.dora_scale")
    for up_name, down_name, mid_name in _PAIR_FORMATS:
        up_key, down_key = up_name.format(x), down_name.format(x)
        if up_key in lora and down_key in lora:
            mid = None
            if mid_name is not None and mid_name.format(x) in lora:
                mid = lora[mid_name.format(x)]
                used.add(mid_name.format(x))
            used.update((up_key, down_key))
            return LoraAdapter(lora[up_key], lora[down_key], alpha, mid, dora)
    if f"{x}.diff" in lora:
        used.add(f"{x}.diff")
        return DiffAdapter(lora[f"{x}.diff"])
    return None


def load_lora(lora: Mapping[str, "torch.Tensor"], key_map: Mapping[str, Any]) -> dict[Any, Any]:
    """Adapters of ``lora`` by target (``key_map``'s values); biases from ``x.diff_b`` target ``.bias``."""
    patches: dict[Any, Any] = {}
    used: set[str] = set()
    for x, target in key_map.items():
        adapter = _adapter_for(x, lora, used)
        if adapter is not None:
            patches[target] = adapter
        if f"{x}.diff_b" in lora:
            used.add(f"{x}.diff_b")
            bias = _with_suffix(target, ".bias")
            patches[bias] = DiffAdapter(lora[f"{x}.diff_b"])
    for key in lora:
        if key not in used:
            logger.warning("lora key not loaded: %s", key)
    return patches


def _with_suffix(target: Any, suffix: str) -> Any:
    if isinstance(target, tuple):
        return (target[0], target[1].rsplit(".", 1)[0] + suffix)
    return target.rsplit(".", 1)[0] + suffix


def _base_module(model: Any) -> Any:
    from .patches import base_module

    return base_module(model)


def load_lora_for_models(
    model: Any, clip: Any, lora: Mapping[str, "torch.Tensor"], strength_model: float, strength_clip: float
) -> tuple[Any, Any]:
    """Clones of ``model`` and ``clip`` (either may be None) carrying ``lora`` at the given strengths;
    the inputs are unchanged (ComfyUI's ``load_lora_for_models``)."""
    from .patches import add_clip_patches

    key_map: dict[str, Any] = {}
    if model is not None:
        key_map.update(unet_key_map(model.diffusion_model))
    if clip is not None:
        key_map.update(clip_key_map(clip))
    loaded = load_lora(lora, key_map)
    new_model = new_clip = None
    if model is not None:
        new_model = model.clone()
        unet_patches = {k: v for k, v in loaded.items() if isinstance(k, str)}
        new_model.add_patches(unet_patches, strength_model)
    if clip is not None:
        clip_patches = {k: v for k, v in loaded.items() if isinstance(k, tuple)}
        new_clip = add_clip_patches(clip, clip_patches, strength_clip)
    logger.debug("lora: %d patched weights", len(loaded))
    return new_model, new_clip
