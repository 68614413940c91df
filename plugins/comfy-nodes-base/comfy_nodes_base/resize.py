"""Shared resize and compositing helpers for the image, mask and latent nodes.

The method names and crop modes are ComfyUI's (`comfy.utils.common_upscale`): a tensor laid out
`[B, C, H, W]` (extra leading dims after C are folded into the batch, as for video latents) is
optionally center-cropped to the target aspect ratio, then resized with

- `nearest-exact`, `bilinear`, `area`, `bicubic`: `torch.nn.functional.interpolate` (align_corners
  left at its default, no clamping, so bicubic may overshoot 0..1 exactly like ComfyUI);
- `lanczos`: Pillow's LANCZOS filter on 8-bit copies of each image (values are clipped to 0..1 and
  truncated to uint8 first, so the result is quantised to multiples of 1/255);
- `bislerp`: bilinear interpolation whose per-pixel blend is a spherical interpolation of the
  channel vectors (latent upscaling only).

IMAGE tensors are `[B, H, W, C]`; `scale_image` moves the channels around the call. torch is
imported by the functions that need it (importing this module, e.g. to list nodes, stays cheap);
numpy and Pillow only when lanczos runs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


MAX_RESOLUTION = 16384

UPSCALE_METHODS: tuple[str, ...] = ("nearest-exact", "bilinear", "area", "bicubic", "lanczos")
"""Pixel upscale methods, in ComfyUI's order (ImageScale, ImageScaleBy, ImageScaleToTotalPixels)."""

LATENT_UPSCALE_METHODS: tuple[str, ...] = ("nearest-exact", "bilinear", "area", "bicubic", "bislerp")
"""Latent upscale methods, in ComfyUI's order (LatentUpscale, LatentUpscaleBy)."""

CROP_METHODS: tuple[str, ...] = ("disabled", "center")

_INTERPOLATE_MODES = frozenset({"nearest-exact", "bilinear", "area", "bicubic", "nearest", "trilinear"})


# --------------------------------------------------------------------------- batch helpers


def repeat_to_batch_size(tensor: torch.Tensor, batch_size: int, dim: int = 0) -> torch.Tensor:
    """Cut or cyclically repeat `tensor` along `dim` until it holds exactly `batch_size` entries."""
    size = tensor.shape[dim]
    if size > batch_size:
        return tensor.narrow(dim, 0, batch_size)
    if size < batch_size:
        reps = [1] * tensor.ndim
        reps[dim] = math.ceil(batch_size / size)
        return tensor.repeat(reps).narrow(dim, 0, batch_size)
    return tensor


# --------------------------------------------------------------------------- crop


def center_crop_offsets(old_width: int, old_height: int, width: int, height: int) -> tuple[int, int]:
    """(x, y) trimmed from each side so that the kept region has the target's aspect ratio."""
    old_aspect = old_width / old_height
    new_aspect = width / height
    x = y = 0
    if old_aspect > new_aspect:
        x = round((old_width - old_width * (new_aspect / old_aspect)) / 2)
    elif old_aspect < new_aspect:
        y = round((old_height - old_height * (old_aspect / new_aspect)) / 2)
    return x, y


# --------------------------------------------------------------------------- lanczos


def lanczos(samples: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Pillow LANCZOS resize of `[B, C, H, W]` samples (C of 1 to 4), via 8-bit images."""
    import torch
    import numpy as np
    from PIL import Image

    channels = samples.shape[1]
    frames = samples.detach().to("cpu", torch.float32)
    frames = frames[:, 0] if channels == 1 else frames.movedim(1, -1)
    out = []
    for frame in frames:
        pixels = np.clip(255.0 * frame.numpy(), 0, 255).astype(np.uint8)
        resized = Image.fromarray(pixels).resize((width, height), resample=Image.Resampling.LANCZOS)
        out.append(torch.from_numpy(np.array(resized).astype(np.float32) / 255.0))
    result = torch.stack(out)
    result = result.unsqueeze(1) if result.ndim == 3 else result.movedim(-1, 1)
    return result.to(samples.device, samples.dtype)


# --------------------------------------------------------------------------- bislerp


def _slerp(b1: torch.Tensor, b2: torch.Tensor, ratio: torch.Tensor) -> torch.Tensor:
    """Spherical blend of the rows of b1 and b2 (`[N, C]`) by `ratio` (`[N, 1]`).

    Directions are slerped, lengths are lerped. Nearly parallel rows keep b1; nearly opposite rows
    fall back to a plain lerp; zero rows have a zero direction.
    """
    import torch
    n1 = torch.linalg.vector_norm(b1, dim=-1, keepdim=True)
    n2 = torch.linalg.vector_norm(b2, dim=-1, keepdim=True)
    u1 = torch.where(n1 == 0.0, torch.zeros_like(b1), b1 / n1)
    u2 = torch.where(n2 == 0.0, torch.zeros_like(b2), b2 / n2)

    dot = (u1 * u2).sum(-1)
    omega = torch.acos(dot)
    sin_omega = torch.sin(omega)
    r = ratio.squeeze(-1)
    w1 = (torch.sin((1.0 - r) * omega) / sin_omega).unsqueeze(-1)
    w2 = (torch.sin(r * omega) / sin_omega).unsqueeze(-1)
    out = (w1 * u1 + w2 * u2) * (n1 * (1.0 - ratio) + n2 * ratio)

    same = (dot > 1 - 1e-5).unsqueeze(-1)
    opposite = (dot < 1e-5 - 1).unsqueeze(-1)
    out = torch.where(same, b1, out)
    return torch.where(opposite, b1 * (1.0 - ratio) + b2 * ratio, out)


def _bilinear_taps(length_old: int, length_new: int, device: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each output position: the blend ratio and the two source indices bilinear would mix."""
    import torch
    import torch.nn.functional as F
    index = torch.arange(length_old, dtype=torch.float32, device=device).reshape(1, 1, 1, -1)
    pos = F.interpolate(index, size=(1, length_new), mode="bilinear").reshape(-1)
    ratios = pos - pos.floor()
    nxt = index + 1
    nxt[..., -1] -= 1
    pos2 = F.interpolate(nxt, size=(1, length_new), mode="bilinear").reshape(-1)
    return ratios, pos.to(torch.int64), pos2.to(torch.int64)


def _bislerp_last_dim(samples: torch.Tensor, new_len: int) -> torch.Tensor:
    """Bislerp `[N, C, H, W]` along W to `new_len` columns."""
    n, c, h, w = samples.shape
    ratios, lo, hi = _bilinear_taps(w, new_len, samples.device)
    rows = samples.movedim(1, -1)  # [N, H, W, C]
    first = rows[:, :, lo, :].reshape(-1, c)
    second = rows[:, :, hi, :].reshape(-1, c)
    r = ratios.reshape(1, 1, -1, 1).expand(n, h, new_len, 1).reshape(-1, 1)
    return _slerp(first, second, r).reshape(n, h, new_len, c).movedim(-1, 1)


def bislerp(samples: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Resize `[N, C, H, W]` with bilinear taps and slerp blending (width first, then height)."""
    orig_dtype = samples.dtype
    out = _bislerp_last_dim(samples.float(), width)
    out = _bislerp_last_dim(out.transpose(-1, -2), height).transpose(-1, -2)
    return out.contiguous().to(orig_dtype)


# --------------------------------------------------------------------------- common upscale


def common_upscale(samples: torch.Tensor, width: int, height: int, upscale_method: str, crop: str) -> torch.Tensor:
    """Resize `[B, C, H, W]` (or `[B, C, T, ..., H, W]`) to `height` x `width`, ComfyUI's way."""
    import torch.nn.functional as F
    if upscale_method not in _INTERPOLATE_MODES and upscale_method not in ("lanczos", "bislerp"):
        raise ValueError(f"unknown upscale method {upscale_method!r}")
    if crop not in CROP_METHODS:
        raise ValueError(f"unknown crop method {crop!r}")

    orig_shape = tuple(samples.shape)
    folded = len(orig_shape) > 4
    if folded:
        samples = samples.reshape(orig_shape[0], orig_shape[1], -1, orig_shape[-2], orig_shape[-1])
        samples = samples.movedim(2, 1).reshape(-1, orig_shape[1], orig_shape[-2], orig_shape[-1])

    if crop == "center":
        old_height, old_width = samples.shape[-2], samples.shape[-1]
        x, y = center_crop_offsets(old_width, old_height, width, height)
        samples = samples[..., y : old_height - y, x : old_width - x]

    if upscale_method == "bislerp":
        out = bislerp(samples, width, height)
    elif upscale_method == "lanczos":
        out = lanczos(samples, width, height)
    else:
        out = F.interpolate(samples, size=(height, width), mode=upscale_method)

    if folded:
        out = out.reshape((orig_shape[0], -1, orig_shape[1], height, width)).movedim(2, 1)
        out = out.reshape(orig_shape[:-2] + (height, width))
    return out


def scale_image(
    image: torch.Tensor, width: int, height: int, upscale_method: str, crop: str = "disabled"
) -> torch.Tensor:
    """`common_upscale` for an IMAGE `[B, H, W, C]`; returns an IMAGE."""
    return common_upscale(image.movedim(-1, 1), width, height, upscale_method, crop).movedim(1, -1)


# --------------------------------------------------------------------------- compositing


def composite(
    destination: torch.Tensor,
    source: torch.Tensor,
    x: int,
    y: int,
    mask: torch.Tensor | None = None,
    multiplier: int = 8,
    resize_source: bool = False,
) -> torch.Tensor:
    """Paste `source` onto `destination` (both `[B, C, H, W]`; modified in place and returned).

    `x`, `y` are in pixels; `multiplier` is the pixels per element (8 for SD latents, 1 for
    images). The source is moved to the destination's device and repeated or cut to its batch;
    the optional mask (`[H, W]` or `[B, H, W]`, any size) is bilinearly resized to the source and
    blends source over destination. Whatever falls outside the destination is dropped.
    """
    import torch
    import torch.nn.functional as F
    source = source.to(destination.device)
    if resize_source:
        source = F.interpolate(source, size=(destination.shape[-2], destination.shape[-1]), mode="bilinear")
    source = repeat_to_batch_size(source, destination.shape[0])

    x = max(-source.shape[-1] * multiplier, min(x, destination.shape[-1] * multiplier))
    y = max(-source.shape[-2] * multiplier, min(y, destination.shape[-2] * multiplier))
    left, top = x // multiplier, y // multiplier
    right, bottom = left + source.shape[-1], top + source.shape[-2]

    if mask is None:
        mask = torch.ones_like(source)
    else:
        mask = mask.to(destination.device, copy=True)
        mask = F.interpolate(
            mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).to(source.dtype),
            size=(source.shape[-2], source.shape[-1]),
            mode="bilinear",
        )
        mask = repeat_to_batch_size(mask, source.shape[0])

    visible_width = destination.shape[-1] - left + min(0, x)
    visible_height = destination.shape[-2] - top + min(0, y)
    mask = mask[:, :, :visible_height, :visible_width]
    src = source[..., :visible_height, :visible_width]
    dst = destination[..., top:bottom, left:right]
    destination[..., top:bottom, left:right] = mask * src + (1.0 - mask) * dst
    return destination
