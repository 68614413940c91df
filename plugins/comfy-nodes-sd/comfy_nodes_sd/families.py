"""Model families: what a checkpoint of each kind holds and how it is run.

A :class:`Family` says where its parts live in a single-file checkpoint (key prefixes), which text
encoders it has, how its UNet splits attention into heads, its noise schedule and prediction type,
and its latent format. ``comfy_nodes_sd.detect`` picks the family whose ``matches`` accepts the
UNet read from the state dict. Families marked ``supported=False`` are recognised (so the error says
what the file is) but cannot be loaded yet.

No torch here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models.unet import UNetConfig

__all__ = ["LatentFormat", "TextEncoderSpec", "Family", "FAMILIES", "SD15"]


@dataclass(frozen=True)
class LatentFormat:
    """Latent channels and the factor between VAE latents and the diffusion model's latents."""

    channels: int = 4
    scale_factor: float = 0.18215
    downscale: int = 8

    def process_in(self, latent: Any) -> Any:
        """VAE latent (what LATENT holds) to the diffusion model's scale."""
        return latent * self.scale_factor

    def process_out(self, latent: Any) -> Any:
        """The diffusion model's scale back to a VAE latent."""
        return latent / self.scale_factor


@dataclass(frozen=True)
class TextEncoderSpec:
    """One CLIP text encoder of a checkpoint."""

    name: str
    """Key in the tokens dict (``"l"`` for CLIP-L, as ComfyUI's SD1 tokenizer names it)."""
    prefix: str
    """Key prefix of the text model in a single-file checkpoint."""
    activation: str = "quick_gelu"
    layer_idx: int | None = None
    """Hidden layer used by default (None: the last, after the final layer norm)."""
    layer_norm_hidden_state: bool = True
    start_token: int = 49406
    end_token: int = 49407
    pad_token: int = 49407


@dataclass(frozen=True)
class Family:
    name: str
    display_name: str
    matches: Callable[["UNetConfig"], bool] = field(repr=False)
    unet_prefix: str = "model.diffusion_model."
    vae_prefix: str = "first_stage_model."
    text_encoders: tuple[TextEncoderSpec, ...] = ()
    num_heads: int = -1
    num_head_channels: int = -1
    prediction: str = "eps"
    linear_start: float = 0.00085
    linear_end: float = 0.012
    timesteps: int = 1000
    latent_format: LatentFormat = LatentFormat()
    supported: bool = True


SD15 = Family(
    name="sd15",
    display_name="Stable Diffusion 1.x",
    matches=lambda c: (
        c.context_dim == 768
        and c.model_channels == 320
        and not c.use_linear_in_transformer
        and c.adm_in_channels is None
        and c.in_channels == 4
    ),
    text_encoders=(TextEncoderSpec(name="l", prefix="cond_stage_model.transformer.text_model."),),
    num_heads=8,
)

SD2 = Family(
    name="sd2",
    display_name="Stable Diffusion 2.x",
    matches=lambda c: c.context_dim == 1024 and c.use_linear_in_transformer and c.adm_in_channels is None,
    num_head_channels=64,
    supported=False,
)

SDXL = Family(
    name="sdxl",
    display_name="Stable Diffusion XL",
    matches=lambda c: c.context_dim == 2048 and c.adm_in_channels == 2816,
    num_head_channels=64,
    latent_format=LatentFormat(scale_factor=0.13025),
    supported=False,
)

SDXL_REFINER = Family(
    name="sdxl_refiner",
    display_name="Stable Diffusion XL refiner",
    matches=lambda c: c.context_dim == 1280 and c.adm_in_channels == 2560,
    num_head_channels=64,
    latent_format=LatentFormat(scale_factor=0.13025),
    supported=False,
)

FAMILIES: tuple[Family, ...] = (SD15, SD2, SDXL, SDXL_REFINER)
"""Tried in order; the first match wins."""
