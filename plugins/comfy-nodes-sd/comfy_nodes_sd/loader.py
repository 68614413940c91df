"""Single-file checkpoints (``.safetensors``, or ``.ckpt`` / ``.pt`` read with ``weights_only``) to MODEL,
CLIP and VAE.

The family comes from the UNet's shapes (``comfy_nodes_sd.detect``); its key prefixes split the state
dict into the UNet (``model.diffusion_model.``), the text encoder(s) (SD1.x:
``cond_stage_model.transformer.text_model.``) and the VAE (``first_stage_model.``). Each part is
built on the ``meta`` device and takes the checkpoint's tensors (cast to the part's dtype) with a
strict ``load_state_dict``, so a missing or unexpected key of a part is an error, and every key of
the file is either used or reported in :attr:`LoadedCheckpoint.unused_keys` (EMA weights, stored
schedules and the like, which ComfyUI ignores too).

Key variants handled as ComfyUI handles them: SD1.x text encoders stored without ``text_model.``,
``position_ids`` buffers, VAE attention projections stored as linear (2-D) weights.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .autoencoder import Autoencoder
from .detect import detect
from .model import DiffusionModel
from .text_encoder import ClipTextEncoder, TextEncoder

if TYPE_CHECKING:
    import torch

    from .families import Family
    from .models.unet import UNetConfig

__all__ = ["LoadedCheckpoint", "load_state_dict", "load_checkpoint", "load_checkpoint_state_dict"]

logger = logging.getLogger(__name__)

_SD1_TRANSFORMER = "cond_stage_model.transformer."
_VAE_ATTENTION = (".mid.attn_1.q.weight", ".mid.attn_1.k.weight", ".mid.attn_1.v.weight", ".mid.attn_1.proj_out.weight")


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
    """All tensors of a checkpoint file, on the CPU."""
    import torch

    path = os.fspath(path)
    if path.lower().endswith((".safetensors", ".sft")):
        from safetensors.torch import load_file

        return load_file(path, device="cpu")
    data = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(data, Mapping) and "state_dict" in data and isinstance(data["state_dict"], Mapping):
        data = data["state_dict"]
    return {k: v for k, v in data.items() if isinstance(v, torch.Tensor)}


def _normalize_keys(sd: dict[str, "torch.Tensor"]) -> dict[str, "torch.Tensor"]:
    out: dict[str, "torch.Tensor"] = {}
    for key, value in sd.items():
        if key.startswith(_SD1_TRANSFORMER) and not key.startswith(_SD1_TRANSFORMER + "text_model."):
            key = _SD1_TRANSFORMER + "text_model." + key[len(_SD1_TRANSFORMER) :]
        out[key] = value
    return out


def _part(sd: Mapping[str, "torch.Tensor"], prefix: str) -> dict[str, "torch.Tensor"]:
    return {k[len(prefix) :]: v for k, v in sd.items() if k.startswith(prefix)}


def _build(factory: Callable[[], "torch.nn.Module"], tensors: Mapping[str, "torch.Tensor"], device: Any, dtype: Any) -> Any:
    """Build a module without allocating it, then give it the tensors (strict)."""
    import torch

    with torch.device("meta"):
        module = factory()
    module.load_state_dict({k: v.to(device=device, dtype=dtype) for k, v in tensors.items()}, strict=True, assign=True)
    return module.eval().requires_grad_(False)


def load_checkpoint_state_dict(
    sd: Mapping[str, "torch.Tensor"],
    device: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> LoadedCheckpoint:
    """MODEL, CLIP and VAE of a single-file checkpoint state dict."""
    from . import devices
    from .models.clip import ClipTextConfig, ClipTextModel
    from .models.unet import UNetModel
    from .models.vae import AutoencoderKL, VAEConfig
    from .sampling.model_sampling import DiscreteSchedule

    device = devices.torch_device() if device is None else device
    report = progress or (lambda done, total: None)
    sd = _normalize_keys(dict(sd))
    detection = detect(sd)
    family, unet_config = detection.family, detection.unet_config
    used: set[str] = set()

    unet_sd = _part(sd, family.unet_prefix)
    unet_dtype = devices.unet_dtype(device)
    unet = _build(lambda: UNetModel(unet_config), unet_sd, device, unet_dtype)
    used.update(family.unet_prefix + k for k in unet_sd)
    schedule = DiscreteSchedule(family.linear_start, family.linear_end, family.timesteps, family.prediction)
    model = DiffusionModel(unet, schedule, family, device, unet_dtype)
    report(1, 3)

    encoders = []
    for spec in family.text_encoders:
        te_sd = _part(sd, spec.prefix)
        for key in [k for k in te_sd if k.endswith("position_ids")]:
            used.add(spec.prefix + key)
            del te_sd[key]
        config = ClipTextConfig.from_state_dict(te_sd, activation=spec.activation)
        te = _build(lambda: ClipTextModel(config), te_sd, device, devices.text_encoder_dtype(device))
        used.update(spec.prefix + k for k in te_sd)
        encoders.append(TextEncoder(spec, te))
    clip = ClipTextEncoder(encoders, device)
    report(2, 3)

    vae_sd = _part(sd, family.vae_prefix)
    for key in [k for k in vae_sd if k.endswith(_VAE_ATTENTION) and vae_sd[k].ndim == 2]:
        vae_sd[key] = vae_sd[key][:, :, None, None]
    vae_config = VAEConfig.from_state_dict(vae_sd)
    vae_dtype = devices.vae_dtype(device)
    vae_model = _build(lambda: AutoencoderKL(vae_config), vae_sd, device, vae_dtype)
    used.update(family.vae_prefix + k for k in vae_sd)
    vae = Autoencoder(vae_model, device, vae_dtype, downscale_ratio=family.latent_format.downscale)
    report(3, 3)

    unused = sorted(k for k in sd if k not in used)
    if unused:
        logger.info("checkpoint keys not used (%d): %s", len(unused), ", ".join(unused[:10]))
    return LoadedCheckpoint(model, clip, vae, family, unet_config, used, unused)


def load_checkpoint(
    path: str | os.PathLike[str], device: Any = None, progress: Callable[[int, int], None] | None = None
) -> LoadedCheckpoint:
    """MODEL, CLIP and VAE of the checkpoint file at ``path``."""
    return load_checkpoint_state_dict(load_state_dict(path), device=device, progress=progress)
