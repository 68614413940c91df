"""KSampler's procedure, step by step as ComfyUI runs it (``common_ksampler`` → ``KSampler.sample``).

1. σ schedule: ``ksampler_sigmas`` (scheduler, steps, denoise, the sampler's own rule). No σ, no work:
   the latent comes back unchanged.
2. Noise: ``prepare_noise(latent, seed, batch_index)`` on the CPU, then everything moves to the
   model's device.
3. Start point: a non-zero latent is scaled into the model's space (``process_in``); then
   ``latent + σ₀·noise`` — or ``√(1 + σ₀²)·noise`` when σ₀ is the schedule's maximum ("max denoise").
4. The sampler runs the guided denoiser (inpainting wrapper when the latent has a ``noise_mask``);
   stochastic samplers draw step noise from ``seed + 1`` (CPU) or ``seed`` (GPU).
5. The result, in fp32, goes back to VAE space (``process_out``) on the CPU.

Progress: one ``comfy.utils.ProgressBar`` update per step; interrupts are honoured at every model
evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from ..model import DiffusionModel

__all__ = ["sample", "prepare_mask", "fix_empty_latent_channels"]


def prepare_mask(mask: "torch.Tensor", shape: "torch.Size", device: Any) -> "torch.Tensor":
    """A noise mask ``[B?, H, W]`` resized (bilinear) to the latent and repeated over channels and batch."""
    import torch
    import torch.nn.functional as F

    mask = F.interpolate(mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).float(), size=(shape[2], shape[3]), mode="bilinear")
    mask = torch.cat([mask] * shape[1], dim=1)
    if mask.shape[0] > shape[0]:
        mask = mask[: shape[0]]
    elif mask.shape[0] < shape[0]:
        mask = mask.repeat([math.ceil(shape[0] / mask.shape[0]), 1, 1, 1])[: shape[0]]
    return mask.to(device)


def fix_empty_latent_channels(model: "DiffusionModel", latent: "torch.Tensor") -> "torch.Tensor":
    """An all-zero latent with another channel count becomes zeros with the model's channel count."""
    import torch

    channels = model.latent_format.channels
    if latent.shape[1] != channels and torch.count_nonzero(latent) == 0:
        return torch.zeros([latent.shape[0], channels, *latent.shape[2:]], dtype=latent.dtype, device=latent.device)
    return latent


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
    noise_mask: "torch.Tensor | None" = None,
    batch_index: list[int] | None = None,
    callback: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> "torch.Tensor":
    """The sampled latent (VAE space, fp32, CPU) for ``latent_image`` (VAE space)."""
    import torch

    from .model_wrapper import CFGDenoiser, InpaintDenoiser, convert_conditioning
    from .noise import default_noise_sampler, prepare_noise
    from .samplers import get_sampler
    from .schedulers import ksampler_sigmas

    ms = model.model_sampling
    sampler = get_sampler(sampler_name)
    sigmas = ksampler_sigmas(ms, scheduler, steps, denoise, sampler_name)
    if sigmas.shape[-1] == 0:
        return latent_image

    latent_image = fix_empty_latent_channels(model, latent_image)
    noise = prepare_noise(latent_image, seed, batch_index)
    device = model.load_device
    latent = latent_image
    if torch.count_nonzero(latent) > 0:
        latent = model.latent_format.process_in(latent)
    latent, noise, sigmas = latent.to(device), noise.to(device), sigmas.to(device)

    denoiser: Any = CFGDenoiser(
        model, convert_conditioning(positive, model, device), convert_conditioning(negative, model, device), cfg
    )
    if noise_mask is not None:
        denoiser = InpaintDenoiser(denoiser, model, prepare_mask(noise_mask, noise.shape, device), latent, noise)

    sigma_max = float(ms.sigma_max)
    max_denoise = math.isclose(sigma_max, float(sigmas[0]), rel_tol=1e-05) or float(sigmas[0]) > sigma_max
    x = ms.noise_scaling(sigmas[0], noise, latent, max_denoise)

    total = len(sigmas) - 1

    def on_step(info: dict[str, Any]) -> None:
        if callback is not None:
            callback(info["i"], total, info)

    out = sampler(denoiser, x, sigmas, callback=on_step, noise_sampler=default_noise_sampler(x, seed))
    out = ms.inverse_noise_scaling(sigmas[-1], out)
    return model.latent_format.process_out(out.to(torch.float32)).cpu()
