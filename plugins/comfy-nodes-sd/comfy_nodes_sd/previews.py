"""Latent previews for samplers: each step's denoised latent as a small RGB image.

ComfyUI's `latent2rgb` method: a fixed linear map from the 4 SD1.x latent channels to RGB. The
`taesd` method needs a TAESD decoder, which is not shipped; it falls back to latent2rgb, as `auto`
does. Frames go out through `ProgressBar.update_absolute(..., preview=("JPEG", image, max_size))`,
the tuple ComfyUI's previewers hand to the progress bar.
"""

from __future__ import annotations

from typing import Any

# ComfyUI's SD1.x latent_rgb_factors (rows: latent channels; columns: R, G, B).
SD1_LATENT_RGB_FACTORS = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
)
DEFAULT_MAX_SIZE = 512


def preview_method() -> str:
    """The method for the running prompt: `extra_data["preview_method"]`, else `--preview-method`."""
    from comfy.cli_args import args
    from comfy.execution.context import current_node_context

    ctx = current_node_context()
    method: Any = None
    if ctx is not None:
        method = ctx.prompt.extra_data.get("preview_method")
    if method is None:
        method = getattr(args, "preview_method", None)
    value = getattr(method, "value", method)
    return str(value or "auto")


def make_previewer() -> Any | None:
    """A function `denoised latent -> preview tuple`, or None when previews are off."""
    method = preview_method()
    if method in ("none", "default_none"):
        return None
    from comfy.cli_args import args

    max_size = int(getattr(args, "preview_size", None) or DEFAULT_MAX_SIZE)

    def preview(denoised: Any) -> tuple[str, Any, int]:
        return ("JPEG", latent_to_image(denoised), max_size)

    return preview


def latent_to_image(latent: Any) -> Any:
    """The first latent of a batch `[B, 4, h, w]` as a PIL RGB image `h × w`."""
    import torch
    from PIL import Image

    factors = torch.tensor(SD1_LATENT_RGB_FACTORS, dtype=torch.float32)
    x = latent[0].detach().to("cpu", torch.float32).permute(1, 2, 0)  # h, w, 4
    rgb = ((x @ factors + 1.0) / 2.0).clamp(0, 1).mul(255).round().to(torch.uint8)
    return Image.fromarray(rgb.numpy(), "RGB")
