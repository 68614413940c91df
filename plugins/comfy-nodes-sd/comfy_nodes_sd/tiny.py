"""Seeded random-weight checkpoints with the real key layouts: SD1.5, SD2.x (ε and v), SDXL and the
SDXL refiner, tiny (for tests and demos) or at full size (for speed benchmarks).

The weights are random: images made with them are noise. What is real is everything a loader reads:
key names, tensor shapes and how they relate (UNet levels, residual blocks, transformer depth per
level, linear or convolutional projections, ADM width; CLIP-L in Hugging Face's layout and the
OpenCLIP encoders in OpenCLIP's own layout with fused q/k/v projections and a ``text_projection``
matrix; the KL VAE), so a tiny file goes through the same detection and loading code as a
downloaded one. Tiny models keep the real vocabulary (49,408 ids, the tokenizer's), the real number
of text-encoder layers (12 / 24 / 32: ComfyUI tells CLIP-L, -H and -G apart by depth) and the real
UNet structure per family, at widths of 32 channels: 1.5–4 MB per file, built in well under a
second. ``scale="full"`` gives the real SD1.5 / SD2 / SDXL sizes (2–7 GB; never in tests).

v-prediction: ``sd2-v`` sets the spread of the one LayerNorm bias ComfyUI inspects
(``output_blocks.11.1.transformer_blocks.0.norm1.bias``, std above 0.09); ``sd2`` keeps it small.

API::

    make_state_dict(family, seed=0, scale="tiny", dtype=torch.float16) -> dict[str, Tensor]
    make_checkpoint(family, path, seed=0, scale="tiny") -> Path          # one .safetensors file
    make_split_files(family, models_folder, seed=0, scale="tiny", checkpoint=False) -> dict[str, Path]
        # the same weights as separate files: "unet" (diffusion_models), "vae", and "clip_l" /
        # "clip_h" / "clip_g" (text_encoders, Hugging Face layout with text_projection), and with
        # checkpoint=True the single file too (checkpoints/<family>.safetensors)
    make_embedding(path, width, vectors=2, seed=0, key=None)            # a textual-inversion file

CLI: ``python -m comfy_nodes_sd.tiny FAMILY OUT.safetensors [--seed N] [--scale tiny|full]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["FAMILIES", "Recipe", "recipe", "make_state_dict", "make_checkpoint", "make_split_files", "make_embedding", "content_hash"]

FAMILIES = ("sd15", "sd2", "sd2-v", "sdxl", "sdxl_refiner")
SCALES = ("tiny", "full")
VOCAB = 49408
POSITIONS = 77
ADM_EMBED = 256


@dataclass(frozen=True)
class TextEncoderRecipe:
    prefix: str
    """Key prefix in the checkpoint (below it: ``text_model.*`` or OpenCLIP's layout)."""
    name: str
    """``l``, ``h`` or ``g`` (the stand-alone file is ``clip_<name>.safetensors``)."""
    width: int
    layers: int
    openclip: bool
    projection: bool


@dataclass(frozen=True)
class Recipe:
    family: str
    model_channels: int
    channel_mult: tuple[int, ...]
    num_res_blocks: int
    depth: tuple[int, ...]
    """Transformer blocks per level."""
    depth_middle: int
    linear: bool
    text_encoders: tuple[TextEncoderRecipe, ...]
    adm_extra: int | None
    """Number of 256-wide ADM embeddings after the pooled output (SDXL 6, refiner 5), or None."""
    num_heads: int
    num_head_channels: int
    vae_ch: int
    vae_mult: tuple[int, ...]
    vae_res_blocks: int
    v_prediction: bool = False

    @property
    def context_dim(self) -> int:
        return sum(te.width for te in self.text_encoders)

    @property
    def adm_in_channels(self) -> int | None:
        return None if self.adm_extra is None else self.text_encoders[-1].width + self.adm_extra * ADM_EMBED


def recipe(family: str, scale: str = "tiny") -> Recipe:
    """The layout of ``family`` (one of :data:`FAMILIES`) at ``scale`` ("tiny" or "full")."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; one of {', '.join(SCALES)}")
    full = scale == "full"
    w = {"l": 768, "h": 1024, "g": 1280} if full else {"l": 32, "h": 32, "g": 32}
    clip_l = TextEncoderRecipe("cond_stage_model.transformer.", "l", w["l"], 12, False, False)
    clip_h = TextEncoderRecipe("cond_stage_model.model.", "h", w["h"], 24, True, True)
    xl_l = TextEncoderRecipe("conditioner.embedders.0.transformer.", "l", w["l"], 12, False, False)
    xl_g = TextEncoderRecipe("conditioner.embedders.1.model.", "g", w["g"], 32, True, True)
    refiner_g = TextEncoderRecipe("conditioner.embedders.0.model.", "g", w["g"], 32, True, True)
    vae: _VAEShape = (128, (1, 2, 4, 4), 2) if full else (32, (1, 1, 1, 1), 1)
    unet: _UNetShape
    if family == "sd15":
        unet = (320, (1, 2, 4, 4), 2, (1, 1, 1, 0), 1) if full else (32, (1, 2), 1, (1, 0), 1)
        return _recipe(family, unet, False, (clip_l,), None, 8, -1, vae)
    if family in ("sd2", "sd2-v"):
        # four levels of two residual blocks even when tiny: ComfyUI's v-prediction test reads output block 11
        unet = (320, (1, 2, 4, 4), 2, (1, 1, 1, 0), 1) if full else (32, (1, 1, 1, 1), 2, (1, 1, 1, 0), 1)
        return _recipe(family, unet, True, (clip_h,), None, -1, 64, vae, v_prediction=family == "sd2-v")
    if family == "sdxl":
        unet = (320, (1, 2, 4), 2, (0, 2, 10), 10) if full else (32, (1, 1, 2), 1, (0, 1, 2), 2)
        return _recipe(family, unet, True, (xl_l, xl_g), 6, -1, 64, vae)
    unet = (384, (1, 2, 4, 4), 2, (0, 4, 4, 0), 4) if full else (32, (1, 1, 2), 1, (0, 2, 0), 2)
    return _recipe(family, unet, True, (refiner_g,), 5, -1, 64, vae)


_UNetShape = tuple[int, tuple[int, ...], int, tuple[int, ...], int]
"""model_channels, channel_mult, residual blocks per level, transformer depth per level, middle depth."""
_VAEShape = tuple[int, tuple[int, ...], int]
"""ch, ch_mult, residual blocks per level."""


def _recipe(
    family: str,
    unet: _UNetShape,
    linear: bool,
    text_encoders: tuple[TextEncoderRecipe, ...],
    adm_extra: int | None,
    num_heads: int,
    num_head_channels: int,
    vae: _VAEShape,
    v_prediction: bool = False,
) -> Recipe:
    model_channels, channel_mult, num_res_blocks, depth, depth_middle = unet
    vae_ch, vae_mult, vae_res_blocks = vae
    return Recipe(
        family, model_channels, channel_mult, num_res_blocks, depth, depth_middle, linear, text_encoders, adm_extra,
        num_heads, num_head_channels, vae_ch, vae_mult, vae_res_blocks, v_prediction,
    )  # fmt: skip


# --- shapes from our own modules, built on the meta device --------------------------------------


def _unet_module(r: Recipe) -> Any:
    import torch

    from .models.unet import UNetConfig, UNetModel

    depth_in = tuple(d for d in r.depth for _ in range(r.num_res_blocks))
    depth_out = tuple(d for d in r.depth for _ in range(r.num_res_blocks + 1))
    config = UNetConfig(
        in_channels=4,
        out_channels=4,
        model_channels=r.model_channels,
        channel_mult=r.channel_mult,
        num_res_blocks=(r.num_res_blocks,) * len(r.channel_mult),
        transformer_depth=depth_in,
        transformer_depth_middle=r.depth_middle,
        transformer_depth_output=depth_out,
        context_dim=r.context_dim,
        use_linear_in_transformer=r.linear,
        num_heads=r.num_heads,
        num_head_channels=r.num_head_channels,
        adm_in_channels=r.adm_in_channels,
    )
    with torch.device("meta"):
        return UNetModel(config)


def _clip_module(te: TextEncoderRecipe) -> Any:
    import torch

    from .models.clip import ClipTextConfig, ClipTextModel

    config = ClipTextConfig(
        width=te.width,
        layers=te.layers,
        heads=max(1, te.width // 64),
        intermediate=te.width * 4,
        vocab_size=VOCAB,
        positions=POSITIONS,
        activation="gelu" if te.openclip else "quick_gelu",
        projection=te.width if te.projection else None,
    )
    with torch.device("meta"):
        return ClipTextModel(config)


def _vae_module(r: Recipe) -> Any:
    import torch

    from .models.vae import AutoencoderKL, VAEConfig

    with torch.device("meta"):
        return AutoencoderKL(VAEConfig(ch=r.vae_ch, ch_mult=r.vae_mult, num_res_blocks=r.vae_res_blocks))


def _parameters(module: Any) -> Iterator[tuple[str, tuple[int, ...], str]]:
    """(name, shape, kind) of every parameter: kind is ``norm_weight``, ``norm_bias``, ``embedding``,
    ``position``, ``bias`` or ``weight``."""
    from torch import nn

    for module_name, sub in module.named_modules():
        for name, param in sub.named_parameters(recurse=False):
            full = f"{module_name}.{name}" if module_name else name
            if isinstance(sub, (nn.GroupNorm, nn.LayerNorm)):
                kind = "norm_weight" if name == "weight" else "norm_bias"
            elif isinstance(sub, nn.Embedding):
                kind = "position" if "position" in module_name else "embedding"
            else:
                kind = "bias" if name == "bias" else "weight"
            yield full, tuple(param.shape), kind


def _random(shape: tuple[int, ...], kind: str, generator: "torch.Generator", device: Any) -> "torch.Tensor":
    """Random values that keep activations in range: weights N(0, 1/fan_in), norms ≈ 1, small biases."""
    import torch

    x = torch.randn(shape, generator=generator, device=device, dtype=torch.float32)
    if kind == "norm_weight":
        return 1.0 + 0.02 * x
    if kind in ("norm_bias", "bias"):
        return 0.02 * x
    if kind == "embedding":
        return 0.02 * x
    if kind == "position":
        return 0.01 * x
    fan_in = 1
    for n in shape[1:]:
        fan_in *= n
    return x / max(fan_in, 1) ** 0.5


def _clip_to_openclip(sd: Mapping[str, "torch.Tensor"]) -> dict[str, "torch.Tensor"]:
    """A :class:`~comfy_nodes_sd.models.clip.ClipTextModel` state dict in OpenCLIP's layout (the
    inverse of :func:`~comfy_nodes_sd.models.clip.openclip_to_clip`)."""
    import torch

    out: dict[str, torch.Tensor] = {
        "token_embedding.weight": sd["text_model.embeddings.token_embedding.weight"],
        "positional_embedding": sd["text_model.embeddings.position_embedding.weight"],
        "ln_final.weight": sd["text_model.final_layer_norm.weight"],
        "ln_final.bias": sd["text_model.final_layer_norm.bias"],
        "text_projection": sd["text_projection.weight"].transpose(0, 1).contiguous(),
        "logit_scale": torch.tensor(4.6052, dtype=sd["text_projection.weight"].dtype),
    }
    layer = 0
    names = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj", "self_attn.out_proj": "attn.out_proj"}
    while f"text_model.encoder.layers.{layer}.layer_norm1.weight" in sd:
        src, dst = f"text_model.encoder.layers.{layer}.", f"transformer.resblocks.{layer}."
        for kind in ("weight", "bias"):
            for ours, theirs in names.items():
                out[f"{dst}{theirs}.{kind}"] = sd[f"{src}{ours}.{kind}"]
            out[f"{dst}attn.in_proj_{kind}"] = torch.cat([sd[f"{src}self_attn.{p}.{kind}"] for p in ("q_proj", "k_proj", "v_proj")])
        layer += 1
    return out


def _fill(module: Any, generator: "torch.Generator", dtype: Any, device: Any) -> dict[str, "torch.Tensor"]:
    return {name: _random(shape, kind, generator, device).to(dtype).cpu() for name, shape, kind in _parameters(module)}


def _v_marker(unet: dict[str, "torch.Tensor"], v_prediction: bool, generator: "torch.Generator") -> None:
    """Sets the spread ComfyUI's SD2 v-prediction test reads (std 0.2 for v, 0.02 for ε)."""
    import torch

    key = "output_blocks.11.1.transformer_blocks.0.norm1.bias"
    if key in unet:
        t = unet[key]
        noise = torch.randn(t.shape, generator=generator, dtype=torch.float32)
        unet[key] = ((0.2 if v_prediction else 0.02) * noise).to(t.dtype)


def _parts(family: str, seed: int, scale: str, dtype: Any, device: Any) -> tuple[Recipe, dict[str, "torch.Tensor"], list[dict[str, "torch.Tensor"]], dict[str, "torch.Tensor"]]:
    """(recipe, UNet, text encoders in our CLIP layout, VAE) state dicts without prefixes."""
    import torch

    r = recipe(family, scale)
    generator = torch.Generator(device=device or "cpu").manual_seed(seed)
    unet = _fill(_unet_module(r), generator, dtype, device)
    if r.family.startswith("sd2"):
        _v_marker(unet, r.v_prediction, torch.Generator().manual_seed(seed + 1))
    encoders = [_fill(_clip_module(te), generator, dtype, device) for te in r.text_encoders]
    vae = _fill(_vae_module(r), generator, dtype, device)
    return r, unet, encoders, vae


def make_state_dict(family: str, seed: int = 0, scale: str = "tiny", dtype: Any = None, device: Any = None) -> dict[str, "torch.Tensor"]:
    """A single-file checkpoint state dict of ``family`` (fp16 by default, tensors on the CPU;
    ``device`` only says where the random numbers are drawn)."""
    import torch

    return _assemble(*_parts(family, seed, scale, dtype or torch.float16, device))


def _assemble(
    r: Recipe, unet: dict[str, "torch.Tensor"], encoders: list[dict[str, "torch.Tensor"]], vae: dict[str, "torch.Tensor"]
) -> dict[str, "torch.Tensor"]:
    """The parts as one checkpoint state dict, each under its prefix and in its stored layout."""
    sd = {"model.diffusion_model." + k: v for k, v in unet.items()}
    for te, te_sd in zip(r.text_encoders, encoders, strict=True):
        layout = _clip_to_openclip(te_sd) if te.openclip else te_sd
        sd.update({te.prefix + k: v for k, v in layout.items()})
    sd.update({"first_stage_model." + k: v for k, v in vae.items()})
    return sd


def _save(sd: Mapping[str, "torch.Tensor"], path: str | os.PathLike[str], family: str, scale: str) -> Path:
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"comfy_nodes_sd.tiny": f"{family} {scale} random weights"}
    save_file({k: v.contiguous() for k, v in sd.items()}, str(path), metadata=metadata)
    return path


def make_checkpoint(family: str, path: str | os.PathLike[str], seed: int = 0, scale: str = "tiny") -> Path:
    """Writes a single-file ``.safetensors`` checkpoint of ``family`` to ``path``; returns the path."""
    return _save(make_state_dict(family, seed, scale), path, family, scale)


def make_split_files(
    family: str, folder: str | os.PathLike[str], seed: int = 0, scale: str = "tiny", checkpoint: bool = False
) -> dict[str, Path]:
    """The checkpoint's weights as the separate files the split loaders read, in ComfyUI's model
    folders below ``folder``: ``diffusion_models/<family>_unet.safetensors`` (no prefix),
    ``text_encoders/<family>_clip_<l|h|g>.safetensors`` (Hugging Face layout, as the downloadable
    ``clip_l`` / ``clip_g`` files are) and ``vae/<family>_vae.safetensors``; with ``checkpoint``
    also ``checkpoints/<family>.safetensors`` (the same weights as :func:`make_checkpoint` writes).
    Returns them by part (``unet``, ``clip_l`` / ``clip_h`` / ``clip_g``, ``vae``, ``checkpoint``)."""
    import safetensors.torch  # noqa: F401  (fail early without safetensors)
    import torch

    r, unet, encoders, vae = _parts(family, seed, scale, torch.float16, None)
    folder = Path(folder)
    out = {"unet": _save(unet, folder / "diffusion_models" / f"{family}_unet.safetensors", family, scale)}
    for te, te_sd in zip(r.text_encoders, encoders, strict=True):
        out[f"clip_{te.name}"] = _save(te_sd, folder / "text_encoders" / f"{family}_clip_{te.name}.safetensors", family, scale)
    out["vae"] = _save(vae, folder / "vae" / f"{family}_vae.safetensors", family, scale)
    if checkpoint:
        out["checkpoint"] = _save(_assemble(r, unet, encoders, vae), folder / "checkpoints" / f"{family}.safetensors", family, scale)
    return out


def make_embedding(
    path: str | os.PathLike[str], width: int | dict[str, int], vectors: int = 2, seed: int = 0, key: str | None = None
) -> Path:
    """Writes a textual-inversion file: ``{"emb_params": [vectors, width]}`` (or under ``key``), or for
    a dict of widths (``{"clip_l": 32, "clip_g": 32}``) one tensor per key, SDXL-style; ``.pt`` paths
    get A1111's ``{"string_to_param": {"*": tensor}}``."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(width, dict):
        data = {k: 0.02 * torch.randn(vectors, w, generator=generator) for k, w in width.items()}
    else:
        data = {key or "emb_params": 0.02 * torch.randn(vectors, width, generator=generator)}
    if path.suffix == ".pt":
        torch.save({"string_to_param": {"*": next(iter(data.values()))}, "name": path.stem}, path)
    else:
        save_file(data, str(path))
    return path


def content_hash(sd: Mapping[str, "torch.Tensor"]) -> str:
    """SHA-256 over sorted names, dtypes, shapes and bytes (independent of the file's header order)."""
    digest = hashlib.sha256()
    for name in sorted(sd):
        t = sd[name].contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(-1).view(dtype=__import__("torch").uint8).numpy().tobytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comfy_nodes_sd.tiny", description=__doc__.split("\n\n")[0])
    parser.add_argument("family", choices=FAMILIES)
    parser.add_argument("out", help="output .safetensors path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", choices=SCALES, default="tiny", help="tiny (test size) or full (real sizes, random weights)")
    args = parser.parse_args(argv)
    sd = make_state_dict(args.family, args.seed, args.scale)
    path = _save(sd, args.out, args.family, args.scale)
    params = sum(t.numel() for t in sd.values())
    print(f"{path}: {args.family} ({args.scale}, seed {args.seed}), {len(sd)} tensors, {params:,} parameters, "
          f"{path.stat().st_size / 1e6:.1f} MB, content_sha256 {content_hash(sd)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
