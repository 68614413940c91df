"""KSampler's procedure, step by step as ComfyUI runs it (``common_ksampler`` → ``comfy.sample.sample``
→ ``KSampler.sample`` → ``CFGGuider`` → ``KSAMPLER.sample``), and the SAMPLER value.

1. An all-zero latent with the wrong channel count becomes zeros with the model's channels.
2. Noise: ``prepare_noise(latent, seed, batch_index)`` on the CPU, or zeros when noise is disabled.
3. σ schedule: ``ksampler_sigmas`` (scheduler, steps, denoise, the sampler's own rule); then
   KSamplerAdvanced's window: ``sigmas[:last_step + 1]`` (its last σ set to 0 when
   ``force_full_denoise``), then ``sigmas[start_step:]`` — a start at or past the end returns the
   latent unchanged.
4. The guider (:class:`~comfy_nodes_sd.sampling.guiders.CFGGuider`) prepares latent, mask and
   conditioning and calls :meth:`SamplerObject.sample`, which starts from
   ``latent + σ₀·noise`` (``√(1 + σ₀²)·noise`` when σ₀ is the schedule's maximum), wraps the denoiser
   for inpainting and runs the sampler function with the seed (ancestral noise: seed + 1 on the CPU,
   Brownian trees: seed).
5. The result, in fp32, goes back to VAE space and to the CPU.

``ddim`` is ``euler`` whose inpainting noise (the noise that re-noises the kept area) is a fresh draw
from seed + 1 rather than the initial noise, as ComfyUI's ``inpaint_options={"random": True}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from ..model import DiffusionModel

__all__ = ["SamplerObject", "sampler_object", "sample", "sample_custom", "prepare_mask", "fix_empty_latent_channels"]

Callback = Callable[[int, int, dict[str, Any]], None]
"""``callback(step_index, total_steps, info)`` with k-diffusion's step dict (``x``, ``denoised``, ...)."""

INPAINT_RANDOM_NOISE = frozenset({"ddim"})


def prepare_mask(mask: "torch.Tensor", shape: "torch.Size", device: Any) -> "torch.Tensor":
    """A noise mask resized (bilinear) to the latent ``shape`` and repeated over channels and batch."""
    from .guiders import prepare_mask as _prepare

    return _prepare(mask, shape, device)


def fix_empty_latent_channels(model: "DiffusionModel", latent: "torch.Tensor") -> "torch.Tensor":
    """An all-zero latent with another channel count becomes zeros with the model's channel count."""
    import torch

    channels = model.latent_format.channels
    if latent.shape[1] != channels and torch.count_nonzero(latent) == 0:
        return torch.zeros([latent.shape[0], channels, *latent.shape[2:]], dtype=latent.dtype, device=latent.device)
    return latent


class SamplerObject:
    """The SAMPLER type: a sampler function with its options (ComfyUI's ``KSAMPLER``)."""

    def __init__(self, name: str, function: Callable[..., "torch.Tensor"], extra_options: dict[str, Any] | None = None, inpaint_options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.sampler_function = function
        self.extra_options = dict(extra_options or {})
        self.inpaint_options = dict(inpaint_options or {})

    def __repr__(self) -> str:
        return f"<SAMPLER {self.name} {self.extra_options or ''}>"

    @staticmethod
    def max_denoise(model: "DiffusionModel", sigmas: "torch.Tensor") -> bool:
        sigma_max = float(model.model_sampling.sigma_max)
        sigma = float(sigmas[0])
        return math.isclose(sigma_max, sigma, rel_tol=1e-05) or sigma > sigma_max

    def sample(
        self,
        denoiser: Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"],
        model: "DiffusionModel",
        sigmas: "torch.Tensor",
        seed: int | None,
        callback: Callback | None,
        noise: "torch.Tensor",
        latent_image: "torch.Tensor",
        denoise_mask: "torch.Tensor | None" = None,
    ) -> "torch.Tensor":
        """Runs the sampler from ``noise`` around ``latent_image`` (model space) over ``sigmas``."""
        import torch

        from .model_wrapper import InpaintDenoiser

        inpaint_noise = noise
        if self.inpaint_options.get("random", False):
            generator = torch.Generator(device="cpu").manual_seed((41 if seed is None else seed) + 1)
            inpaint_noise = torch.randn(noise.shape, generator=generator, device="cpu").to(noise.dtype).to(noise.device)
        model_k = InpaintDenoiser(denoiser, denoise_mask, latent_image, inpaint_noise)
        model_k.model_options = getattr(denoiser, "model_options", None) or {}  # type: ignore[attr-defined]
        ms = model.model_sampling
        x = ms.noise_scaling(sigmas[0], noise, latent_image, self.max_denoise(model, sigmas))
        total = len(sigmas) - 1

        def on_step(info: dict[str, Any]) -> None:
            if callback is not None:
                callback(int(info["i"]), total, info)

        samples = self.sampler_function(model_k, x, sigmas, callback=on_step, seed=seed, **self.extra_options)
        return ms.inverse_noise_scaling(sigmas[-1], samples)


def sampler_object(name: str, extra_options: dict[str, Any] | None = None) -> SamplerObject:
    """The SAMPLER for a KSampler ``sampler_name`` (ComfyUI's ``sampler_object`` / ``ksampler``)."""
    from .samplers import get_sampler

    inpaint = {"random": True} if name in INPAINT_RANDOM_NOISE else None
    return SamplerObject(name, get_sampler(name), extra_options, inpaint)


def _window(sigmas: "torch.Tensor", start_step: int | None, last_step: int | None, force_full_denoise: bool) -> "torch.Tensor | None":
    """KSamplerAdvanced's part of the schedule; None when nothing is left to sample."""
    if last_step is not None and last_step < (len(sigmas) - 1):
        sigmas = sigmas[: last_step + 1].clone()
        if force_full_denoise:
            sigmas[-1] = 0
    if start_step is not None:
        if start_step < (len(sigmas) - 1):
            sigmas = sigmas[start_step:]
        else:
            return None
    return sigmas


def sample(
    model: "DiffusionModel",
    latent_image: "torch.Tensor",
    *,
    seed: int,
    steps: int,
    cfg: float,
    sampler_name: str,
    scheduler: str,
    positive: list[Any],
    negative: list[Any],
    denoise: float = 1.0,
    disable_noise: bool = False,
    start_step: int | None = None,
    last_step: int | None = None,
    force_full_denoise: bool = False,
    noise_mask: "torch.Tensor | None" = None,
    batch_index: list[int] | None = None,
    callback: Callback | None = None,
) -> "torch.Tensor":
    """The sampled latent (VAE space, fp32, CPU) for ``latent_image`` (VAE space): KSampler and
    KSamplerAdvanced."""
    import torch

    from .guiders import CFGGuider
    from .noise import prepare_noise
    from .schedulers import ksampler_sigmas

    latent_image = fix_empty_latent_channels(model, latent_image)
    if disable_noise:
        noise = torch.zeros(latent_image.size(), dtype=latent_image.dtype, layout=latent_image.layout, device="cpu")
    else:
        noise = prepare_noise(latent_image, seed, batch_index)
    sampler = sampler_object(sampler_name)  # unknown names fail before any work
    sigmas = ksampler_sigmas(model.model_sampling, scheduler, steps, denoise, sampler_name)
    window = _window(sigmas, start_step, last_step, force_full_denoise)
    if window is None:
        return latent_image.to(device="cpu", dtype=torch.float32)
    guider = CFGGuider(model)
    guider.set_conds(positive, negative)
    guider.set_cfg(cfg)
    out = guider.sample(noise, latent_image, sampler, window, noise_mask, callback, seed)
    return out.to(device="cpu", dtype=torch.float32)


def sample_custom(
    guider: Any,
    noise: "torch.Tensor",
    latent_image: "torch.Tensor",
    sampler: SamplerObject,
    sigmas: "torch.Tensor",
    *,
    noise_mask: "torch.Tensor | None" = None,
    callback: Callback | None = None,
    seed: int | None = None,
) -> "torch.Tensor":
    """A custom-sampling run (SamplerCustom / SamplerCustomAdvanced): the guider samples with the
    given noise, SAMPLER and σ; the result in fp32 on the CPU."""
    import torch

    out = guider.sample(noise, latent_image, sampler, sigmas, noise_mask, callback, seed)
    return out.to(device="cpu", dtype=torch.float32)
