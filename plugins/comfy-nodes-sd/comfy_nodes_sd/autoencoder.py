"""VAE: pixels to latents and back (the role of ComfyUI's ``comfy.sd.VAE``).

Conventions as ComfyUI's: IMAGE is ``[B, H, W, C]`` float in 0..1; LATENT ``samples`` are the VAE's own
latents (the diffusion model's latents divided by the family's scale factor, 0.18215 for SD1.x —
the samplers apply that factor). ``decode`` returns ``clamp((x + 1) / 2, 0, 1)`` moved to channels
last; ``encode`` crops to multiples of 8 (centred), takes the first three channels, maps 0..1 to −1..1 and returns the posterior mean.
Both run under ``no_grad`` (not ``inference_mode``): their outputs are ordinary tensors that later
nodes may modify in place.

Tiled variants (``decode_tiled``, ``encode_tiled``) work on overlapping tiles, each weighted by a
mask that ramps linearly over the overlap, and average three tilings (square, wide and tall tiles)
as ComfyUI's ``tiled_scale`` and ``VAE.decode_tiled_`` / ``encode_tiled_`` do, so seams blend and the
result approximates the untiled one. When the GPU runs out of memory during a plain decode or
encode, the tiled path is taken instead (ComfyUI's fallback). The model manager
(``comfy_nodes_sd.memory``) places the VAE on its device before it runs.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from .models.vae import AutoencoderKL

__all__ = ["Autoencoder", "tiled_scale", "tiled_scale_steps"]

logger = logging.getLogger(__name__)


def _tile_positions(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    return list(range(0, size - overlap, tile - overlap))


def tiled_scale_steps(height: int, width: int, tile_y: int, tile_x: int, overlap: int) -> int:
    """Number of tiles :func:`tiled_scale` runs for one image (the progress total)."""
    rows = -(-(height - overlap) // max(tile_y - overlap, 1)) if height > tile_y else 1
    cols = -(-(width - overlap) // max(tile_x - overlap, 1)) if width > tile_x else 1
    return rows * cols


def tiled_scale(
    samples: "torch.Tensor",
    function: Callable[["torch.Tensor"], "torch.Tensor"],
    tile: Sequence[int],
    overlap: int,
    scale: float,
    out_channels: int,
    on_tile: Callable[[], None] | None = None,
) -> "torch.Tensor":
    """``function`` (which scales H and W by ``scale``) applied to ``samples`` ``[B, C, H, W]`` tile by
    tile (``tile`` = (height, width), tiles overlapping by ``overlap``); overlapping outputs are
    blended with masks that ramp from ``1/f`` to 1 over the ``f = overlap·scale`` border pixels.
    A batch item that fits one tile is processed whole. The result is fp32 on the CPU."""
    import torch

    def scaled(n: float) -> int:
        return round(n * scale)

    b, _, height, width = samples.shape
    output = torch.empty((b, out_channels, scaled(height), scaled(width)), dtype=torch.float32)
    for i in range(b):
        item = samples[i : i + 1]
        if height <= tile[0] and width <= tile[1]:
            output[i : i + 1] = function(item).float().cpu()
            if on_tile is not None:
                on_tile()
            continue
        out = torch.zeros((1, out_channels, scaled(height), scaled(width)), dtype=torch.float32)
        weight = torch.zeros_like(out)
        ys = _tile_positions(height, tile[0], overlap)
        xs = _tile_positions(width, tile[1], overlap)
        for y, x in itertools.product(ys, xs):
            y = max(0, min(height - overlap, y))
            x = max(0, min(width - overlap, x))
            h, w = min(tile[0], height - y), min(tile[1], width - x)
            result = function(item[:, :, y : y + h, x : x + w]).float().cpu()
            mask = torch.ones_like(result)
            feather = scaled(overlap)
            for dim in (2, 3):
                if feather >= mask.shape[dim]:
                    continue
                for t in range(feather):
                    a = (t + 1) / feather
                    mask.narrow(dim, t, 1).mul_(a)
                    mask.narrow(dim, mask.shape[dim] - 1 - t, 1).mul_(a)
            oy, ox = scaled(y), scaled(x)
            out[:, :, oy : oy + mask.shape[2], ox : ox + mask.shape[3]] += result * mask
            weight[:, :, oy : oy + mask.shape[2], ox : ox + mask.shape[3]] += mask
            if on_tile is not None:
                on_tile()
        output[i : i + 1] = out / weight
    return output


def _cap_overlap(overlap: int, tile_x: int, tile_y: int) -> int:
    """The overlap, at most a quarter of the smaller tile side: the half-size tiles of the three
    tilings must still advance (ComfyUI's VAEDecodeTiled caps it the same way; a larger overlap
    would make its tiled encode fail)."""
    return max(0, min(overlap, min(tile_x, tile_y) // 4))


def _is_oom(error: BaseException) -> bool:
    import torch

    return isinstance(error, torch.cuda.OutOfMemoryError)


class Autoencoder:
    """The VAE value passed between nodes."""

    def __init__(self, model: "AutoencoderKL", device: "torch.device", dtype: "torch.dtype", downscale_ratio: int = 8) -> None:
        self.first_stage_model = model
        self.device = device
        self.dtype = dtype
        self.downscale_ratio = downscale_ratio
        self.latent_channels = model.config.z_channels

    def _decode_fn(self, z: "torch.Tensor") -> "torch.Tensor":
        return self.first_stage_model.decode(z.to(device=self.device, dtype=self.dtype)).float()

    def _encode_fn(self, pixels: "torch.Tensor") -> "torch.Tensor":
        x = (pixels * 2.0 - 1.0).to(device=self.device, dtype=self.dtype)
        return self.first_stage_model.encode(x).float()

    @staticmethod
    def _to_image(pixels: "torch.Tensor") -> "torch.Tensor":
        import torch

        return torch.clamp((pixels + 1.0) / 2.0, min=0.0, max=1.0).cpu().movedim(1, -1).contiguous()

    def decode(self, samples: "torch.Tensor") -> "torch.Tensor":
        """LATENT samples ``[B, C, h, w]`` to IMAGE ``[B, h·8, w·8, 3]`` in 0..1 (fp32, CPU)."""
        import torch

        from .memory import using

        try:
            with torch.no_grad(), using(self.first_stage_model, self.device):
                pixels = self._decode_fn(samples)
        except Exception as e:
            if not _is_oom(e):
                raise
            logger.warning("Ran out of memory when regular VAE decoding, retrying with tiled VAE decoding.")
            return self.decode_tiled(samples)
        return self._to_image(pixels)

    def _progress(self, total: int) -> Callable[[], None] | None:
        from comfy.utils import ProgressBar

        bar = ProgressBar(total)
        return lambda: bar.update(1)

    def decode_tiled(self, samples: "torch.Tensor", tile_x: int = 64, tile_y: int = 64, overlap: int = 16) -> "torch.Tensor":
        """:meth:`decode` in latent tiles of ``tile_y × tile_x`` overlapping by ``overlap`` (latent
        pixels): the average of three tilings, ``(2·tile_y, tile_x/2)``, ``(tile_y/2, 2·tile_x)`` and
        ``(tile_y, tile_x)`` (ComfyUI's ``decode_tiled_``)."""
        import torch

        from .memory import using

        h, w = samples.shape[-2:]
        overlap = _cap_overlap(overlap, tile_x, tile_y)
        shapes = [(tile_y * 2, tile_x // 2), (tile_y // 2, tile_x * 2), (tile_y, tile_x)]
        steps = samples.shape[0] * sum(tiled_scale_steps(h, w, ty, tx, overlap) for ty, tx in shapes)
        on_tile = self._progress(steps)
        ratio = self.downscale_ratio
        with torch.no_grad(), using(self.first_stage_model, self.device):
            total = sum(tiled_scale(samples, self._decode_fn, shape, overlap, ratio, 3, on_tile) for shape in shapes)
        return self._to_image(total / 3.0)

    def crop_pixels(self, pixels: "torch.Tensor") -> "torch.Tensor":
        """The centred crop of IMAGE ``[B, H, W, C]`` to multiples of the downscale ratio."""
        for dim in (1, 2):
            size = pixels.shape[dim]
            kept = (size // self.downscale_ratio) * self.downscale_ratio
            if kept != size:
                pixels = pixels.narrow(dim, (size % self.downscale_ratio) // 2, kept)
        return pixels

    def encode(self, pixels: "torch.Tensor") -> "torch.Tensor":
        """IMAGE ``[B, H, W, C]`` in 0..1 to LATENT samples (fp32, CPU), cropped to multiples of 8 first."""
        import torch

        from .memory import using

        cropped = self.crop_pixels(pixels)
        try:
            with torch.no_grad(), using(self.first_stage_model, self.device):
                latent = self._encode_fn(cropped[..., :3].movedim(-1, 1))
        except Exception as e:
            if not _is_oom(e):
                raise
            logger.warning("Ran out of memory when regular VAE encoding, retrying with tiled VAE encoding.")
            return self.encode_tiled(pixels)
        return latent.cpu()

    def encode_tiled(self, pixels: "torch.Tensor", tile_x: int = 512, tile_y: int = 512, overlap: int = 64) -> "torch.Tensor":
        """:meth:`encode` in pixel tiles of ``tile_y × tile_x`` overlapping by ``overlap``: the average
        of three tilings, ``(tile_y, tile_x)``, ``(tile_y/2, 2·tile_x)`` and ``(2·tile_y, tile_x/2)``
        (ComfyUI's ``encode_tiled_``)."""
        import torch

        from .memory import using

        x = self.crop_pixels(pixels)[..., :3].movedim(-1, 1)
        h, w = x.shape[-2:]
        overlap = _cap_overlap(overlap, tile_x, tile_y)
        shapes = [(tile_y, tile_x), (tile_y // 2, tile_x * 2), (tile_y * 2, tile_x // 2)]
        steps = x.shape[0] * sum(tiled_scale_steps(h, w, ty, tx, overlap) for ty, tx in shapes)
        on_tile = self._progress(steps)
        channels = self.latent_channels
        with torch.no_grad(), using(self.first_stage_model, self.device):
            total = sum(
                tiled_scale(x, self._encode_fn, shape, overlap, 1.0 / self.downscale_ratio, channels, on_tile) for shape in shapes
            )
        return total / 3.0

    def spacial_compression_decode(self) -> int:
        return self.downscale_ratio

    def spacial_compression_encode(self) -> int:
        return self.downscale_ratio

    def temporal_compression_decode(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<Autoencoder on {self.device} ({self.dtype})>"
