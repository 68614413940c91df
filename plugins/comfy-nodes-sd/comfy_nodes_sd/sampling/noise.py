"""Seeded noise exactly as ComfyUI draws it.

- Initial noise (``prepare_noise``): one CPU generator seeded with the seed, then ``randn`` of the
  whole latent shape; with a ``batch_index`` list, one ``[1, C, h, w]`` draw per index up to the
  largest, each sample taking the draw of its index (so a batch of 4 and its 3rd image alone agree).
- Per-step noise of ancestral samplers (``default_noise_sampler``): a second generator on the
  latent's device, seeded with seed + 1 on the CPU (seed on other devices), one ``randn`` per call.
- Noise of the SDE samplers (``BrownianTreeNoiseSampler``): a ``torchsde.BrownianTree`` over
  [σ_min, σ_max] seeded with the seed (its entropy), built on the CPU (the ``*_gpu`` samplers build
  it on the latent's device); the noise between σ and σ' is the Brownian increment ``W(σ') − W(σ)``
  divided by ``√|σ' − σ|``. Drawing from a Brownian tree rather than a stream makes the noise of an
  interval independent of how the interval was reached (k-diffusion's design).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["prepare_noise", "default_noise_sampler", "BrownianTreeNoiseSampler", "NoiseSampler"]

NoiseSampler = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]
"""``noise_sampler(sigma, sigma_next)`` → unit Gaussian noise shaped like the latent."""


def prepare_noise(latent: "torch.Tensor", seed: int, batch_index: Sequence[int] | None = None) -> "torch.Tensor":
    """The initial noise for ``latent`` (CPU; drawn in fp32, then cast to the latent's dtype)."""
    import torch

    generator = torch.Generator(device="cpu").manual_seed(seed)

    def draw(shape: Sequence[int]) -> "torch.Tensor":
        noise = torch.randn(list(shape), dtype=torch.float32, layout=latent.layout, generator=generator, device="cpu")
        return noise.to(dtype=latent.dtype)

    if batch_index is None:
        return draw(latent.size())
    wanted = sorted(set(int(i) for i in batch_index))
    draws: dict[int, torch.Tensor] = {}
    for i in range(wanted[-1] + 1):
        noise = draw([1, *latent.shape[1:]])
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


class _BatchedBrownianTree:
    """``torchsde.BrownianTree`` with ComfyUI's conventions: one tree per seed, times sorted (the
    sign of the increment follows the direction of travel), tree on the CPU unless ``cpu=False``."""

    def __init__(self, x: "torch.Tensor", t0: "torch.Tensor", t1: "torch.Tensor", seed: int | None, cpu: bool = True) -> None:
        import torch
        import torchsde

        self.cpu_tree = cpu
        t0, t1, self.sign = self._sort(t0, t1)
        w0 = torch.zeros_like(x)
        if seed is None:
            seed = int(torch.randint(0, 2**63 - 1, ()).item())
        if self.cpu_tree:
            t0, w0, t1 = t0.detach().cpu(), w0.detach().cpu(), t1.detach().cpu()
        self.tree = torchsde.BrownianTree(t0, w0, t1, entropy=seed)

    @staticmethod
    def _sort(a: "torch.Tensor", b: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor", int]:
        return (a, b, 1) if a < b else (b, a, -1)

    def __call__(self, t0: "torch.Tensor", t1: "torch.Tensor") -> "torch.Tensor":
        import warnings

        t0, t1, sign = self._sort(t0, t1)
        device, dtype = t0.device, t0.dtype
        if self.cpu_tree:
            t0, t1 = t0.detach().cpu().float(), t1.detach().cpu().float()
        with warnings.catch_warnings():
            # torchsde compares the float32 query with its float64 end point and warns that σ_max
            # lies (by one ulp) outside the tree (ComfyUI prints it too); the increment is the right one
            warnings.filterwarnings("ignore", message="Should have t[ab]")
            w = self.tree(t0, t1)
        return w.to(device=device, dtype=dtype) * (self.sign * sign)


class BrownianTreeNoiseSampler:
    """``noise_sampler(σ, σ')``: unit-variance Brownian increments between noise levels (SDE samplers)."""

    def __init__(self, x: "torch.Tensor", sigma_min: "torch.Tensor", sigma_max: "torch.Tensor", seed: int | None = None, cpu: bool = True) -> None:
        import torch

        t0, t1 = torch.as_tensor(sigma_min), torch.as_tensor(sigma_max)
        self.tree = _BatchedBrownianTree(x, t0, t1, seed, cpu=cpu)

    def __call__(self, sigma: "torch.Tensor", sigma_next: "torch.Tensor") -> "torch.Tensor":
        import torch

        t0, t1 = torch.as_tensor(sigma), torch.as_tensor(sigma_next)
        return self.tree(t0, t1) / (t1 - t0).abs().sqrt()
