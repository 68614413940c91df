"""Model files to MODEL, CLIP and VAE: single-file checkpoints and the split files of the separate
loaders (diffusion model, text encoders, VAE).

Files: ``.safetensors`` (``.sft``), or ``.ckpt`` / ``.pt`` / ``.bin`` read with
``torch.load(weights_only=True)`` (a ``state_dict`` entry is unwrapped, as in SD1.x ``.ckpt`` files).

Single-file checkpoints: the family comes from the UNet's shapes (``comfy_nodes_sd.detect``); its key
prefixes split the state dict into the UNet (``model.diffusion_model.``), the text encoder(s) (SD1.x
``cond_stage_model.transformer.``, SD2.x ``cond_stage_model.model.``, SDXL
``conditioner.embedders.{0,1}.``) and the VAE (``first_stage_model.``). Each part is built on the
``meta`` device and takes the file's tensors (cast to the part's dtype) with a strict
``load_state_dict``, so a missing or unexpected key of a part is an error, and every key of the file is
either used or reported in :attr:`LoadedCheckpoint.unused_keys` (EMA weights, stored schedules,
``logit_scale`` and the like, which ComfyUI ignores too).

Key variants handled as ComfyUI handles them: SD1.x text encoders stored without ``text_model.``,
``position_ids`` buffers, OpenCLIP text encoders (converted to the CLIP layout), VAE attention
projections stored as linear (2-D) weights, diffusion-model and VAE files with or without their
checkpoint prefix, stand-alone text-encoder files in either layout.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .autoencoder import Autoencoder
from .detect import Detection, detect, unet_prefix
from .families import CLIP_TYPES, DUAL_CLIP_TYPES, WEIGHT_DTYPES
from .model import DiffusionModel
from .text_encoder import ClipTextEncoder, TextEncoder

if TYPE_CHECKING:
    import torch

    from .families import Family, LatentFormat, TextEncoderSpec
    from .models.unet import UNetConfig

__all__ = [
    "LoadedCheckpoint",
    "load_state_dict",
    "load_checkpoint",
    "load_checkpoint_state_dict",
    "load_diffusion_model",
    "load_diffusion_model_state_dict",
    "load_text_encoders",
    "load_text_encoder_state_dicts",
    "load_vae",
    "load_vae_state_dict",
    "detect_text_encoder",
    "CLIP_TYPES",
    "DUAL_CLIP_TYPES",
    "WEIGHT_DTYPES",
]

logger = logging.getLogger(__name__)

_VAE_ATTENTION = (".mid.attn_1.q.weight", ".mid.attn_1.k.weight", ".mid.attn_1.v.weight", ".mid.attn_1.proj_out.weight")
_TEXT_MODEL_KEY = "text_model.embeddings.token_embedding.weight"
_OPENCLIP_KEY = "transformer.resblocks.0.ln_1.weight"

@dataclass
class LoadedCheckpoint:
    model: DiffusionModel
    clip: ClipTextEncoder
    vae: Autoencoder
    family: "Family"
    unet_config: "UNetConfig"
    used_keys: set[str] = field(default_factory=set)
    unused_keys: list[str] = field(default_factory=list)


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, "torch.Tensor"]:
    """All tensors of a model file, on the CPU."""
    import torch

    path = os.fspath(path)
    if path.lower().endswith((".safetensors", ".sft")):
        from safetensors.torch import load_file

        return load_file(path, device="cpu")
    data = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(data, Mapping) and "state_dict" in data and isinstance(data["state_dict"], Mapping):
        data = data["state_dict"]
    if not isinstance(data, Mapping):
        raise ValueError(f"{os.path.basename(path)} holds no state dict")
    return {k: v for k, v in data.items() if isinstance(v, torch.Tensor)}


def _part(sd: Mapping[str, "torch.Tensor"], prefix: str) -> dict[str, "torch.Tensor"]:
    return {k[len(prefix) :]: v for k, v in sd.items() if k.startswith(prefix)}


def _build(
    factory: Callable[[], "torch.nn.Module"], tensors: Mapping[str, "torch.Tensor"], device: Any, dtype: Any
) -> Any:
    """Build a module without allocating it, then give it the tensors (strict)."""
    import torch

    with torch.device("meta"):
        module = factory()
    module.load_state_dict({k: v.to(device=device, dtype=dtype) for k, v in tensors.items()}, strict=True, assign=True)
    return module.eval().requires_grad_(False)


# --- parts -------------------------------------------------------------------------------------


def _build_unet(
    unet_sd: Mapping[str, "torch.Tensor"],
    detection: Detection,
    device: Any,
    storage_dtype: Any = None,
) -> DiffusionModel:
    """MODEL from UNet tensors (keys without prefix). ``storage_dtype`` (fp8) keeps the weights in
    that dtype; they are cast per layer to the compute dtype."""
    from . import devices
    from .models.unet import UNetModel
    from .sampling.model_sampling import DiscreteSchedule

    family = detection.family
    dtype = devices.unet_dtype(device)
    unet = _build(lambda: UNetModel(detection.unet_config), unet_sd, device, storage_dtype or dtype)
    schedule = DiscreteSchedule(family.linear_start, family.linear_end, family.timesteps, detection.prediction)
    return DiffusionModel(unet, schedule, family, device, dtype)


def _text_model_dict(sd: Mapping[str, "torch.Tensor"], prefix: str, openclip: bool) -> dict[str, "torch.Tensor"]:
    """The text encoder below ``prefix`` in :class:`~comfy_nodes_sd.models.clip.ClipTextModel`'s
    layout (``text_model.*``, ``text_projection.weight``), ``position_ids`` dropped."""
    from .models.clip import openclip_to_clip

    if openclip:
        return openclip_to_clip(sd, prefix)
    part = _part(sd, prefix)
    if "text_projection" in part:  # saved by old CLIPSave nodes: [width, proj]
        part["text_projection.weight"] = part.pop("text_projection").transpose(0, 1).contiguous()
    if _TEXT_MODEL_KEY not in part and "embeddings.token_embedding.weight" in part:
        part = {(k if k.startswith("text_projection") else "text_model." + k): v for k, v in part.items()}
    return {k: v for k, v in part.items() if not k.endswith("position_ids") and k != "logit_scale"}


def _build_text_encoder(spec: "TextEncoderSpec", te_sd: Mapping[str, "torch.Tensor"], device: Any) -> TextEncoder:
    from . import devices
    from .models.clip import ClipTextConfig, ClipTextModel

    config = ClipTextConfig.from_state_dict(te_sd, activation=spec.activation)
    model = _build(lambda: ClipTextModel(config), te_sd, device, devices.text_encoder_dtype(device))
    return TextEncoder(spec, model)


def _build_vae(vae_sd: dict[str, "torch.Tensor"], device: Any, latent_format: "LatentFormat | None" = None) -> Autoencoder:
    from . import devices
    from .models.vae import AutoencoderKL, VAEConfig

    for key in [k for k in vae_sd if k.endswith(_VAE_ATTENTION) and vae_sd[k].ndim == 2]:
        vae_sd[key] = vae_sd[key][:, :, None, None]
    config = VAEConfig.from_state_dict(vae_sd)
    dtype = devices.vae_dtype(device)
    model = _build(lambda: AutoencoderKL(config), vae_sd, device, dtype)
    downscale = latent_format.downscale if latent_format is not None else 2 ** (len(config.ch_mult) - 1)
    return Autoencoder(model, device, dtype, downscale_ratio=downscale)


def _device(device: Any) -> Any:
    from . import devices

    return devices.torch_device() if device is None else device


# --- single-file checkpoints -------------------------------------------------------------------


def _encoder_prefix(sd: Mapping[str, "torch.Tensor"], spec: "TextEncoderSpec") -> str | None:
    for prefix in (spec.prefix, *spec.alt_prefixes):
        if any(k.startswith(prefix) for k in sd):
            return prefix
    return None


def load_checkpoint_state_dict(
    sd: Mapping[str, "torch.Tensor"],
    device: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> LoadedCheckpoint:
    """MODEL, CLIP and VAE of a single-file checkpoint state dict."""
    device = _device(device)
    report = progress or (lambda done, total: None)
    sd = dict(sd)
    detection = detect(sd)
    family, unet_config = detection.family, detection.unet_config
    used: set[str] = {"v_pred"} & set(sd) if family.v_pred_key else set()

    unet_sd = _part(sd, family.unet_prefix)
    model = _build_unet(unet_sd, detection, device)
    used.update(family.unet_prefix + k for k in unet_sd)
    report(1, 3)

    encoders = []
    for spec in family.text_encoders:
        prefix = _encoder_prefix(sd, spec)
        if prefix is None:
            raise ValueError(f"{family.display_name} checkpoint without its text encoder (no {spec.prefix}* keys)")
        te_sd = _text_model_dict(sd, prefix, spec.openclip)
        encoders.append(_build_text_encoder(spec, te_sd, device))
        used.update(k for k in sd if k.startswith(prefix) and _text_encoder_key_used(k[len(prefix) :], spec))
    clip = ClipTextEncoder(encoders, device)
    report(2, 3)

    vae_sd = _part(sd, family.vae_prefix)
    vae = _build_vae(vae_sd, device, family.latent_format)
    used.update(family.vae_prefix + k for k in vae_sd)
    report(3, 3)

    unused = sorted(k for k in sd if k not in used)
    if unused:
        logger.info("checkpoint keys not used (%d): %s", len(unused), ", ".join(unused[:10]))
    return LoadedCheckpoint(model, clip, vae, family, unet_config, used, unused)


def _text_encoder_key_used(key: str, spec: "TextEncoderSpec") -> bool:
    """Whether a text-encoder key (below its prefix) went into the model or is a buffer ComfyUI
    drops silently too (``position_ids``); ``logit_scale`` and stray keys count as unused."""
    if key.endswith("position_ids"):
        return True
    if spec.openclip:
        return key in ("token_embedding.weight", "positional_embedding", "text_projection") or key.startswith(
            ("transformer.resblocks.", "ln_final.")
        )
    return key.startswith(("text_model.", "text_projection", "embeddings.", "encoder.", "final_layer_norm."))


def load_checkpoint(
    path: str | os.PathLike[str], device: Any = None, progress: Callable[[int, int], None] | None = None
) -> LoadedCheckpoint:
    """MODEL, CLIP and VAE of the checkpoint file at ``path``."""
    return load_checkpoint_state_dict(load_state_dict(path), device=device, progress=progress)


# --- diffusion models (UNETLoader) -------------------------------------------------------------


def _fp8_dtype(weight_dtype: str) -> Any:
    import torch

    if weight_dtype == "default":
        return None
    if weight_dtype in ("fp8_e4m3fn", "fp8_e4m3fn_fast"):
        return torch.float8_e4m3fn
    if weight_dtype == "fp8_e5m2":
        return torch.float8_e5m2
    raise ValueError(f"unknown weight_dtype {weight_dtype!r}; one of {', '.join(WEIGHT_DTYPES)}")


def load_diffusion_model_state_dict(sd: Mapping[str, "torch.Tensor"], weight_dtype: str = "default", device: Any = None) -> DiffusionModel:
    """MODEL from a diffusion-model state dict, with or without the ``model.diffusion_model.`` prefix
    (a whole checkpoint works too: only its UNet is used)."""
    device = _device(device)
    prefix = unet_prefix(sd)
    detection = detect(sd, prefix)
    return _build_unet(_part(sd, prefix), detection, device, _fp8_dtype(weight_dtype))


def load_diffusion_model(path: str | os.PathLike[str], weight_dtype: str = "default", device: Any = None) -> DiffusionModel:
    """MODEL of the diffusion-model file at ``path``."""
    return load_diffusion_model_state_dict(load_state_dict(path), weight_dtype, device)


# --- text encoders (CLIPLoader, DualCLIPLoader) ------------------------------------------------


def _find_text_model(sd: Mapping[str, "torch.Tensor"]) -> tuple[str, bool]:
    """(prefix, OpenCLIP layout?) of the text model in a stand-alone text-encoder file."""
    for key in sd:
        for marker, openclip in ((_TEXT_MODEL_KEY, False), (_OPENCLIP_KEY, True), ("embeddings.token_embedding.weight", False)):
            if key.endswith(marker):
                return key[: len(key) - len(marker)], openclip
    raise ValueError("not a CLIP text encoder: no text_model.embeddings.token_embedding.weight or transformer.resblocks.* keys")


def detect_text_encoder(te_sd: Mapping[str, "torch.Tensor"]) -> str:
    """``"g"``, ``"h"`` or ``"l"`` for a text model in the CLIP layout, by its depth, as ComfyUI's
    ``detect_te_model`` tells them (OpenCLIP-G has 32 layers, OpenCLIP-H 24, CLIP-L 12)."""
    if "text_model.encoder.layers.30.mlp.fc1.weight" in te_sd:
        return "g"
    if "text_model.encoder.layers.22.mlp.fc1.weight" in te_sd:
        return "h"
    return "l"


def load_text_encoder_state_dicts(
    state_dicts: Sequence[Mapping[str, "torch.Tensor"]], clip_type: str = "stable_diffusion", device: Any = None
) -> ClipTextEncoder:
    """CLIP from one (``stable_diffusion``: CLIP-L → SD1.x, OpenCLIP-H → SD2.x, OpenCLIP-G → SDXL
    refiner) or two (``sdxl``: CLIP-L and OpenCLIP-G, in either order) text-encoder state dicts."""
    from .families import SD2, SD15, SDXL, SDXL_REFINER

    device = _device(device)
    kinds: list[tuple[str, dict[str, "torch.Tensor"]]] = []
    for sd in state_dicts:
        prefix, openclip = _find_text_model(sd)
        te_sd = _text_model_dict(sd, prefix, openclip)
        kinds.append((detect_text_encoder(te_sd), te_sd))

    if len(kinds) == 1:
        if clip_type != "stable_diffusion":
            raise ValueError(f"CLIPLoader type {clip_type!r} is not supported by this engine (supported: stable_diffusion)")
        kind, te_sd = kinds[0]
        spec = {"l": SD15, "h": SD2, "g": SDXL_REFINER}[kind].text_encoders[0]
        return ClipTextEncoder([_build_text_encoder(spec, te_sd, device)], device)
    if len(kinds) == 2:
        if clip_type != "sdxl":
            raise ValueError(f"DualCLIPLoader type {clip_type!r} is not supported by this engine (supported: sdxl)")
        by_kind = dict(kinds)
        if sorted(by_kind) != ["g", "l"]:
            found = " and ".join(f"CLIP-{k.upper()}" for k, _ in kinds)
            raise ValueError(f"sdxl needs a CLIP-L and a CLIP-G text encoder, got {found}")
        encoders = [_build_text_encoder(spec, by_kind[spec.name], device) for spec in SDXL.text_encoders]
        return ClipTextEncoder(encoders, device)
    raise ValueError(f"expected one or two text encoders, got {len(kinds)}")


def load_text_encoders(
    paths: Sequence[str | os.PathLike[str]], clip_type: str = "stable_diffusion", device: Any = None
) -> ClipTextEncoder:
    """CLIP from text-encoder files (see :func:`load_text_encoder_state_dicts`)."""
    return load_text_encoder_state_dicts([load_state_dict(p) for p in paths], clip_type, device)


# --- VAE (VAELoader) ---------------------------------------------------------------------------


def load_vae_state_dict(sd: Mapping[str, "torch.Tensor"], device: Any = None) -> Autoencoder:
    """VAE from a VAE state dict (keys ``encoder.*`` / ``decoder.*``, or a checkpoint's
    ``first_stage_model.*``); other keys (``loss.*`` of training files, EMA) are ignored."""
    device = _device(device)
    prefix = "first_stage_model." if any(k.startswith("first_stage_model.") for k in sd) else ""
    parts = ("encoder.", "decoder.", "quant_conv.", "post_quant_conv.")
    vae_sd = {k: v for k, v in _part(sd, prefix).items() if k.startswith(parts)}
    if "decoder.conv_out.weight" not in vae_sd:
        raise ValueError("not a VAE: no decoder.conv_out.weight")
    return _build_vae(vae_sd, device)


def load_vae(path: str | os.PathLike[str], device: Any = None) -> Autoencoder:
    """VAE of the file at ``path``."""
    return load_vae_state_dict(load_state_dict(path), device)
