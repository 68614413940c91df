"""Seeded noise exactly as ComfyUI draws it.

- Initial noise (``prepare_noise``): one CPU generator seeded with the seed, then ``randn`` of the
  whole latent shape; with a ``batch_index`` list, one ``[1, C, h, w]`` draw per index up to the
  largest, each sample taking the draw of its index (so a batch of 4 and its 3rd image alone agree).
- Per-step noise of ancestral samplers (``default_noise_sampler``): a second generator on the
  latent's device, seeded with seed + 1 on the CPU (seed on other devices), one ``randn`` per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["prepare_noise", "default_noise_sampler", "NoiseSampler"]

NoiseSampler = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]
"""``noise_sampler(sigma, sigma_next)`` → unit Gaussian noise shaped like the latent."""


def prepare_noise(latent: "torch.Tensor", seed: int, batch_index: Sequence[int] | None = None) -> "torch.Tensor":
    """The initial noise for ``latent`` (CPU, the latent's dtype)."""
    import torch

    generator = torch.Generator(device="cpu").manual_seed(seed)
    if batch_index is None:
        return torch.randn(latent.size(), dtype=latent.dtype, layout=latent.layout, generator=generator, device="cpu")
    wanted = sorted(set(int(i) for i in batch_index))
    draws: dict[int, torch.Tensor] = {}
    for i in range(wanted[-1] + 1):
        noise = torch.randn(
            [1, *latent.shape[1:]], dtype=latent.dtype, layout=latent.layout, generator=generator, device="cpu"
        )
        if i in wanted:
            draws[i] = noise
    return torch.cat([draws[int(i)] for i in batch_index], dim=0)


def default_noise_sampler(x: "torch.Tensor", seed: int | None = None) -> NoiseSampler:
    """Noise for ancestral steps: a generator seeded from ``seed`` (+1 on the CPU), or the global RNG."""
    import torch

    generator = None
    if seed is not None:
        if x.device.type == "cpu":
            seed += 1
        generator = torch.Generator(device=x.device).manual_seed(seed)

    def sample(sigma: "torch.Tensor", sigma_next: "torch.Tensor") -> "torch.Tensor":
        return torch.randn(x.size(), dtype=x.dtype, layout=x.layout, device=x.device, generator=generator)

    return sample
