"""Model families: what a checkpoint of each kind holds and how it is run.

A :class:`Family` says where its parts live in a single-file checkpoint (key prefixes), which text
encoders it has and how each is used (hidden layer, padding token, final norm, pooled output), how
its UNet splits attention into heads, its noise schedule and prediction type, its ADM ("label
embedding") input and its latent format — the facts ComfyUI keeps in ``supported_models.py``,
``sd1_clip.py`` / ``sd2_clip.py`` / ``sdxl_clip.py`` and ``model_base.py``.

``comfy_nodes_sd.detect`` picks the family whose :meth:`Family.matches` accepts the UNet read from
the state dict. A UNet at its family's real widths must match ComfyUI's config exactly (context
width, model channels, ADM width); a shrunk one (``model_channels`` below the family's, as in the
tiny test checkpoints of ``comfy_nodes_sd.tiny``) is matched on its structure: convolutional or
linear transformer projections, and how the ADM width relates to the context width.

No torch here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models.unet import UNetConfig

__all__ = [
    "LatentFormat",
    "TextEncoderSpec",
    "Family",
    "FAMILIES",
    "SD15",
    "SD2",
    "SDXL",
    "SDXL_REFINER",
    "ADM_EMBED_DIM",
    "family_by_name",
    "CLIP_TYPES",
    "DUAL_CLIP_TYPES",
    "WEIGHT_DTYPES",
]

ADM_EMBED_DIM = 256
"""Width of each sinusoidal size / crop / aesthetic-score embedding in SDXL's ADM vector."""


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
    """One CLIP text encoder of a family, as ComfyUI's ``SDClipModel`` / ``SDTokenizer`` pair sets it up."""

    name: str
    """Key in the tokens dict: ``"l"`` (CLIP-L), ``"h"`` (OpenCLIP-H), ``"g"`` (OpenCLIP-G)."""
    prefix: str
    """Key prefix of the text model in a single-file checkpoint (below it: ``text_model.*`` in
    Hugging Face layout, or OpenCLIP's layout when ``openclip``)."""
    openclip: bool = False
    """Stored in OpenCLIP's layout (``transformer.resblocks.*``), converted when loaded."""
    activation: str = "quick_gelu"
    layer_idx: int | None = None
    """Hidden layer used by default (None: the last, after the final layer norm; -2: penultimate)."""
    layer_norm_hidden_state: bool = True
    """Whether a hidden layer's state goes through the final layer norm."""
    start_token: int = 49406
    end_token: int = 49407
    pad_token: int = 49407
    embedding_key: str = "clip_l"
    """Key of this encoder's vectors in a multi-encoder textual-inversion file."""
    alt_prefixes: tuple[str, ...] = ()
    """Other prefixes the same encoder is found under (SD2 in the ``sgm`` layout)."""


@dataclass(frozen=True)
class Family:
    name: str
    display_name: str
    structure: Callable[["UNetConfig"], bool] = field(repr=False)
    """Whether a UNet has this family's structure, whatever its widths."""
    model_channels: int
    context_dim: int
    adm_in_channels: int | None = None
    unet_prefix: str = "model.diffusion_model."
    vae_prefix: str = "first_stage_model."
    text_encoders: tuple[TextEncoderSpec, ...] = ()
    """In the order their outputs are concatenated along the feature axis; the pooled output is
    the last one's."""
    num_heads: int = -1
    num_head_channels: int = -1
    prediction: str = "eps"
    v_prediction_check: bool = False
    """SD2.x: v-prediction when the ``output_blocks.11`` norm bias spreads widely (ComfyUI's test)."""
    v_pred_key: bool = False
    """SDXL: a ``v_pred`` key in the checkpoint marks a v-prediction model."""
    adm: str | None = None
    """``"sdxl"`` (size, crop and target size) or ``"sdxl_refiner"`` (size, crop, aesthetic score)."""
    linear_start: float = 0.00085
    linear_end: float = 0.012
    timesteps: int = 1000
    latent_format: LatentFormat = LatentFormat()
    supported: bool = True

    def matches(self, config: "UNetConfig") -> bool:
        """Whether ``config`` is a UNet of this family: its structure, and its widths unless shrunk."""
        if config.in_channels != 4 or not self.structure(config):
            return False
        if config.model_channels < self.model_channels:
            return True
        return (
            config.model_channels == self.model_channels
            and config.context_dim == self.context_dim
            and config.adm_in_channels == self.adm_in_channels
        )

    def prediction_type(self, sd: Mapping[str, Any], prefix: str | None = None) -> str:
        """``"eps"`` or ``"v"`` for the checkpoint state dict ``sd`` (ComfyUI's ``model_type``): SDXL
        files mark v-prediction with a ``v_pred`` key; SD2.x UNets are told apart by the spread of
        one LayerNorm bias (population std above 0.09 in 768-v models); SD1.x and the refiner are ε.
        ``"edm"`` for SDXL files with EDM schedule keys (``edm_mean``, ``edm_vpred.sigma_max``)."""
        prefix = self.unet_prefix if prefix is None else prefix
        if self.v_pred_key and ("edm_mean" in sd or "edm_vpred.sigma_max" in sd):
            return "edm"  # Playground 2.5 / EDM v-prediction: continuous σ schedules, not supported yet
        if self.v_pred_key and "v_pred" in sd:
            return "v"
        if self.v_prediction_check:
            bias = sd.get(f"{prefix}output_blocks.11.1.transformer_blocks.0.norm1.bias")
            if bias is not None and not bias.is_meta and float(bias.float().std(unbiased=False)) > 0.09:
                return "v"
        return self.prediction


# --- text encoders ------------------------------------------------------------------------------

CLIP_L = TextEncoderSpec(name="l", prefix="cond_stage_model.transformer.")
"""SD1.x: OpenAI CLIP ViT-L/14, last layer, padded with the end token."""

CLIP_H = TextEncoderSpec(
    name="h",
    prefix="cond_stage_model.model.",
    alt_prefixes=("conditioner.embedders.0.model.",),
    openclip=True,
    activation="gelu",
    layer_idx=-2,
    pad_token=0,
    embedding_key="clip_h",
)
"""SD2.x: OpenCLIP ViT-H/14, penultimate layer (normed), padded with 0."""

SDXL_CLIP_L = TextEncoderSpec(
    name="l",
    prefix="conditioner.embedders.0.transformer.",
    layer_idx=-2,
    layer_norm_hidden_state=False,
)
"""SDXL: CLIP-L, penultimate layer without the final norm, padded with the end token."""

SDXL_CLIP_G = TextEncoderSpec(
    name="g",
    prefix="conditioner.embedders.1.model.",
    openclip=True,
    activation="gelu",
    layer_idx=-2,
    layer_norm_hidden_state=False,
    pad_token=0,
    embedding_key="clip_g",
)
"""SDXL: OpenCLIP ViT-bigG/14, penultimate layer without the final norm, padded with 0, projected
pooled output."""

REFINER_CLIP_G = replace(SDXL_CLIP_G, prefix="conditioner.embedders.0.model.")
"""SDXL refiner: the same OpenCLIP-G encoder, the refiner's only one (first embedder)."""


def _sd1_structure(c: "UNetConfig") -> bool:
    return not c.use_linear_in_transformer and c.adm_in_channels is None


def _sd2_structure(c: "UNetConfig") -> bool:
    return c.use_linear_in_transformer and c.adm_in_channels is None


def _sdxl_structure(c: "UNetConfig") -> bool:
    # ADM = pooled text width + six 256-wide embeddings; the pooled width is the OpenCLIP-G
    # projection, narrower than the context (CLIP-L and G concatenated)
    if not c.use_linear_in_transformer or c.adm_in_channels is None:
        return False
    pooled = c.adm_in_channels - 6 * ADM_EMBED_DIM
    return 0 < pooled < c.context_dim


def _refiner_structure(c: "UNetConfig") -> bool:
    # ADM = pooled OpenCLIP-G width (= the context width) + five 256-wide embeddings
    return c.use_linear_in_transformer and c.adm_in_channels == c.context_dim + 5 * ADM_EMBED_DIM


SD15 = Family(
    name="sd15",
    display_name="Stable Diffusion 1.x",
    structure=_sd1_structure,
    model_channels=320,
    context_dim=768,
    text_encoders=(CLIP_L,),
    num_heads=8,
)

SD2 = Family(
    name="sd2",
    display_name="Stable Diffusion 2.x",
    structure=_sd2_structure,
    model_channels=320,
    context_dim=1024,
    text_encoders=(CLIP_H,),
    num_head_channels=64,
    v_prediction_check=True,
)

SDXL_LATENT = LatentFormat(scale_factor=0.13025)

SDXL = Family(
    name="sdxl",
    display_name="Stable Diffusion XL",
    structure=_sdxl_structure,
    model_channels=320,
    context_dim=2048,
    adm_in_channels=2816,
    text_encoders=(SDXL_CLIP_L, SDXL_CLIP_G),
    num_head_channels=64,
    v_pred_key=True,
    adm="sdxl",
    latent_format=SDXL_LATENT,
)

SDXL_REFINER = Family(
    name="sdxl_refiner",
    display_name="Stable Diffusion XL refiner",
    structure=_refiner_structure,
    model_channels=384,
    context_dim=1280,
    adm_in_channels=2560,
    text_encoders=(REFINER_CLIP_G,),
    num_head_channels=64,
    adm="sdxl_refiner",
    latent_format=SDXL_LATENT,
)

FAMILIES: tuple[Family, ...] = (SD15, SD2, SDXL_REFINER, SDXL)
"""Tried in order; the first match wins (the refiner's test is the stricter ADM one)."""


def family_by_name(name: str) -> Family:
    for family in FAMILIES:
        if family.name == name:
            return family
    raise KeyError(f"unknown model family {name!r}; known: {', '.join(f.name for f in FAMILIES)}")


# --- loader options (ComfyUI's lists; kept here so listing nodes needs no torch) ---------------

CLIP_TYPES = (
    "stable_diffusion", "stable_cascade", "sd3", "stable_audio", "mochi", "ltxv", "pixart", "cosmos", "lumina2",
    "wan", "hidream", "chroma", "ace", "omnigen2", "qwen_image", "hunyuan_image", "flux2", "ovis", "longcat_image",
)  # fmt: skip
"""``CLIPLoader``'s ``type`` options (ComfyUI's list); this engine loads ``stable_diffusion``."""
DUAL_CLIP_TYPES = (
    "sdxl", "sd3", "flux", "hunyuan_video", "hidream", "hunyuan_image", "hunyuan_video_15", "kandinsky5",
    "kandinsky5_image", "ltxv", "newbie", "ace",
)  # fmt: skip
"""``DualCLIPLoader``'s ``type`` options (ComfyUI's list); this engine loads ``sdxl``."""
WEIGHT_DTYPES = ("default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2")
"""``UNETLoader``'s ``weight_dtype`` options."""
