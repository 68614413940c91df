"""VAE: pixels to latents and back (the role of ComfyUI's ``comfy.sd.VAE``).

Conventions as ComfyUI's: IMAGE is ``[B, H, W, C]`` float in 0..1; LATENT ``samples`` are the VAE's own
latents (the diffusion model's latents divided by the family's scale factor, 0.18215 for SD1.x —
the samplers apply that factor). ``decode`` returns ``clamp((x + 1) / 2, 0, 1)`` moved to channels
last; ``encode`` crops to multiples of 8 (centred), takes the first three channels, maps 0..1 to −1..1 and returns the posterior mean.
Both run under ``no_grad`` (not ``inference_mode``): their outputs are ordinary tensors that later
nodes may modify in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from .models.vae import AutoencoderKL

__all__ = ["Autoencoder"]


class Autoencoder:
    """The VAE value passed between nodes."""

    def __init__(self, model: "AutoencoderKL", device: "torch.device", dtype: "torch.dtype", downscale_ratio: int = 8) -> None:
        self.first_stage_model = model
        self.device = device
        self.dtype = dtype
        self.downscale_ratio = downscale_ratio
        self.latent_channels = model.config.z_channels

    def decode(self, samples: "torch.Tensor") -> "torch.Tensor":
        """LATENT samples ``[B, C, h, w]`` to IMAGE ``[B, h·8, w·8, 3]`` in 0..1 (fp32, CPU)."""
        import torch

        with torch.no_grad():
            z = samples.to(device=self.device, dtype=self.dtype)
            pixels = self.first_stage_model.decode(z).float()
            pixels = torch.clamp((pixels + 1.0) / 2.0, min=0.0, max=1.0)
        return pixels.cpu().movedim(1, -1).contiguous()

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

        pixels = self.crop_pixels(pixels)
        with torch.no_grad():
            x = pixels[..., :3].movedim(-1, 1).to(device=self.device, dtype=self.dtype)
            latent = self.first_stage_model.encode(x * 2.0 - 1.0).float()
        return latent.cpu()

    def __repr__(self) -> str:
        return f"<Autoencoder on {self.device} ({self.dtype})>"
