"""The denoiser the samplers call: conditioning, classifier-free guidance and inpainting masks around
:meth:`DiffusionModel.apply_model <comfy_nodes_sd.model.DiffusionModel.apply_model>`.

CONDITIONING is ComfyUI's list of ``[cond, options]`` pairs. Every active entry (``start_percent`` /
``end_percent`` bound the σ range where it applies) is evaluated; entries of the positive side are
averaged with their ``strength`` as weights, likewise the negative side, and guidance gives
``uncond + (cond − uncond)·cfg`` (Ho & Salimans 2022). With ``cfg == 1`` the negative side is not
evaluated. Entries whose contexts have the same shape run as one batch, negative entries first (the
order ComfyUI batches them in).

``area``, ``mask``, ControlNet and GLIGEN options are not supported yet and raise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from ..model import DiffusionModel

__all__ = ["Cond", "convert_conditioning", "CFGDenoiser", "InpaintDenoiser"]

_UNSUPPORTED = ("area", "mask", "control", "gligen", "hooks")


@dataclass
class Cond:
    context: "torch.Tensor"
    strength: float = 1.0
    sigma_start: float | None = None
    """The entry applies while σ ≤ sigma_start."""
    sigma_end: float | None = None
    """The entry applies while σ ≥ sigma_end."""
    y: "torch.Tensor | None" = None

    def active(self, sigma: float) -> bool:
        if self.sigma_start is not None and sigma > self.sigma_start:
            return False
        if self.sigma_end is not None and sigma < self.sigma_end:
            return False
        return True


def convert_conditioning(conditioning: list[Any], model: "DiffusionModel", device: Any) -> list[Cond]:
    """CONDITIONING entries as :class:`Cond`, contexts on ``device``."""
    out = []
    for entry in conditioning or []:
        context, options = entry[0], (entry[1] if len(entry) > 1 else {}) or {}
        unsupported = [k for k in _UNSUPPORTED if options.get(k) is not None]
        if unsupported:
            raise NotImplementedError(f"conditioning option(s) not supported yet: {', '.join(unsupported)}")
        sigma_start = sigma_end = None
        if "start_percent" in options:
            sigma_start = model.model_sampling.percent_to_sigma(float(options["start_percent"]))
        if "end_percent" in options:
            sigma_end = model.model_sampling.percent_to_sigma(float(options["end_percent"]))
        out.append(Cond(context.to(device), float(options.get("strength", 1.0)), sigma_start, sigma_end))
    return out


def _check_interrupt() -> None:
    # comfy.execution first: importing comfy.model_management on its own is circular in comfy-core today
    import comfy.execution  # noqa: F401
    from comfy.model_management import throw_exception_if_processing_interrupted

    throw_exception_if_processing_interrupted()


class CFGDenoiser:
    """``denoiser(x, sigma)``: the guided denoised estimate (fp32) for noise levels ``sigma`` ``[B]``."""

    def __init__(self, model: "DiffusionModel", positive: list[Cond], negative: list[Cond], cfg: float) -> None:
        self.model = model
        self.positive = positive
        self.negative = negative
        self.cfg = float(cfg)

    def _predict(self, x: "torch.Tensor", sigma: "torch.Tensor", sides: list[list[Cond]]) -> list["torch.Tensor"]:
        import torch

        level = float(sigma[0])
        to_run = [(cond, side) for side, conds in enumerate(sides) for cond in conds if cond.active(level)]
        totals = [torch.zeros_like(x) for _ in sides]
        counts = [torch.full_like(x, 1e-37) for _ in sides]
        while to_run:
            shape = to_run[0][0].context.shape
            batch = [item for item in to_run if item[0].context.shape == shape][::-1]
            to_run = [item for item in to_run if item[0].context.shape != shape]
            n = len(batch)
            context = torch.cat([cond.context for cond, _ in batch])
            outputs = self.model.apply_model(torch.cat([x] * n), torch.cat([sigma] * n), context).chunk(n)
            for (cond, side), out in zip(batch, outputs):
                totals[side] += out * cond.strength
                counts[side] += cond.strength
        return [total / count for total, count in zip(totals, counts)]

    def __call__(self, x: "torch.Tensor", sigma: "torch.Tensor") -> "torch.Tensor":
        _check_interrupt()
        if math.isclose(self.cfg, 1.0):
            return self._predict(x, sigma, [self.positive])[0]
        cond, uncond = self._predict(x, sigma, [self.positive, self.negative])
        return uncond + (cond - uncond) * self.cfg


class InpaintDenoiser:
    """Keeps the unmasked part of the latent: outside ``mask`` (1 = denoise) the input is the original
    latent noised to σ, and the estimate is the original latent."""

    def __init__(self, inner: Any, model: "DiffusionModel", mask: "torch.Tensor", latent: "torch.Tensor", noise: "torch.Tensor") -> None:
        self.inner = inner
        self.model = model
        self.mask = mask
        self.latent = latent
        self.noise = noise

    def __call__(self, x: "torch.Tensor", sigma: "torch.Tensor") -> "torch.Tensor":
        keep = 1.0 - self.mask
        s = sigma.reshape([sigma.shape[0]] + [1] * (self.noise.ndim - 1))
        x = x * self.mask + self.model.model_sampling.noise_scaling(s, self.noise, self.latent) * keep
        out = self.inner(x, sigma)
        return out * self.mask + self.latent * keep
