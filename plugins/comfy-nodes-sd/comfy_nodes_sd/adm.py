"""SDXL's ADM vector ``y``: the pooled text embedding and the micro-conditioning (ComfyUI's
``model_base.SDXL.encode_adm`` / ``SDXLRefiner.encode_adm``).

From a CONDITIONING entry's options (what ``CLIPTextEncodeSDXL`` / ``CLIPTextEncodeSDXLRefiner`` /
``CLIPTextEncode`` store):

- SDXL: ``pooled_output`` ‖ emb(height) ‖ emb(width) ‖ emb(crop_h) ‖ emb(crop_w) ‖ emb(target_height)
  ‖ emb(target_width) — 1280 + 6·256 = 2816 wide;
- refiner: ``pooled_output`` ‖ emb(height) ‖ emb(width) ‖ emb(crop_h) ‖ emb(crop_w) ‖
  emb(aesthetic_score) — 1280 + 5·256 = 2560 wide; the score defaults to 6 for the positive side and
  2.5 for the negative one.

``emb`` is the 256-wide sinusoidal timestep embedding (``[cos, sin]``, max period 10000). ``width``
and ``height`` default to the latent's size in pixels (×8), as ComfyUI's sampler fills them in;
crops default to 0 and the target size to the size. Families without ADM get None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .families import ADM_EMBED_DIM

if TYPE_CHECKING:
    import torch

    from .families import Family

__all__ = ["encode_adm"]


def encode_adm(
    family: "Family",
    options: dict[str, Any],
    noise_shape: tuple[int, ...] | Any,
    prompt_type: str = "positive",
) -> "torch.Tensor | None":
    """``y`` ``[1, adm_in_channels]`` (fp32, CPU) for one CONDITIONING entry, or None when the family
    takes no ADM input. ``noise_shape`` is the latent's ``[B, C, H, W]``."""
    import torch

    from .models.unet import timestep_embedding

    if family.adm is None:
        return None
    pooled = options.get("pooled_output")
    if pooled is None:
        raise ValueError(f"{family.display_name} needs a pooled text embedding (pooled_output) in its conditioning")
    pooled = pooled.float().cpu().reshape(-1, pooled.shape[-1])
    downscale = family.latent_format.downscale
    width = options["width"] if options.get("width") is not None else int(noise_shape[3]) * downscale
    height = options["height"] if options.get("height") is not None else int(noise_shape[2]) * downscale
    values = [height, width, options.get("crop_h", 0), options.get("crop_w", 0)]
    if family.adm == "sdxl":
        values += [options.get("target_height", height), options.get("target_width", width)]
    else:
        default_score = 2.5 if options.get("prompt_type", prompt_type) == "negative" else 6.0
        values.append(options.get("aesthetic_score", default_score))
    flat = timestep_embedding(torch.tensor([float(v) for v in values]), ADM_EMBED_DIM).reshape(1, -1)
    return torch.cat([pooled, flat.repeat(pooled.shape[0], 1)], dim=1)
