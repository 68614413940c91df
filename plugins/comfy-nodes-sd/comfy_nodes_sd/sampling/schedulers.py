"""σ schedules ("schedulers") by ComfyUI name: ``steps`` noise levels from high to low, then 0.

All take the model's schedule (``DiscreteSchedule``) and the step count; the tensors are float32 as
ComfyUI builds them (the σ table's float32 values, float32 ``linspace``), so the σ of a step is
bit for bit ComfyUI's.

- ``normal``: timesteps evenly spaced from the table's σ_max to σ_min (``linspace``), each mapped
  back to σ by log-linear interpolation; then 0.
- ``karras``: Karras et al. (2022) ρ = 7 between the table's σ_min and σ_max.
- ``exponential``: evenly spaced in log σ between σ_max and σ_min.
- ``sgm_uniform``: like ``normal`` with ``steps + 1`` points and the last dropped.
- ``simple``: every ``len(table) / steps``-th table σ from the top.
- ``ddim_uniform``: every ``len(table) // steps``-th table σ from index 1, reversed.

``calculate_sigmas`` adds KSampler's rules: ``denoise < 1`` runs the tail of a longer schedule, and
some samplers (``DISCARD_PENULTIMATE_SIGMA``) get one more step with the next-to-last σ dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from .model_sampling import DiscreteSchedule

__all__ = ["SCHEDULERS", "SCHEDULER_NAMES", "register", "calculate_sigmas", "ksampler_sigmas"]

Scheduler = Callable[["DiscreteSchedule", int], "torch.Tensor"]
SCHEDULERS: dict[str, Scheduler] = {}


def register(name: str) -> Callable[[Scheduler], Scheduler]:
    def add(fn: Scheduler) -> Scheduler:
        SCHEDULERS[name] = fn
        return fn

    return add


def _append_zero(sigmas: "torch.Tensor") -> "torch.Tensor":
    import torch

    return torch.cat([sigmas, sigmas.new_zeros([1])])


def _timestep_schedule(ms: "DiscreteSchedule", steps: int, sgm: bool) -> "torch.Tensor":
    import torch

    start = ms.timestep(ms.sigma_max)
    end = ms.timestep(ms.sigma_min)
    append_zero = True
    if sgm:
        timesteps = torch.linspace(start, end, steps + 1)[:-1]
    else:
        if math.isclose(float(ms.sigma(end)), 0, abs_tol=0.00001):
            steps += 1
            append_zero = False
        timesteps = torch.linspace(start, end, steps)
    sigmas = [float(ms.sigma(t)) for t in timesteps]
    if append_zero:
        sigmas.append(0.0)
    return torch.tensor(sigmas, dtype=torch.float32)


@register("normal")
def normal(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """Evenly spaced timesteps (σ_max … σ_min), mapped to σ; then 0."""
    return _timestep_schedule(ms, steps, sgm=False)


@register("karras")
def karras(ms: "DiscreteSchedule", steps: int, rho: float = 7.0) -> "torch.Tensor":
    """Karras et al. (2022), eq. 5: σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ; then 0."""
    import torch

    sigma_min, sigma_max = float(ms.sigma_min), float(ms.sigma_max)
    ramp = torch.linspace(0, 1, steps)
    min_inv_rho = sigma_min ** (1 / rho)
    max_inv_rho = sigma_max ** (1 / rho)
    return _append_zero((max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho)


@register("exponential")
def exponential(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """Evenly spaced in log σ from σ_max to σ_min; then 0."""
    import torch

    sigma_min, sigma_max = float(ms.sigma_min), float(ms.sigma_max)
    return _append_zero(torch.linspace(math.log(sigma_max), math.log(sigma_min), steps).exp())


@register("sgm_uniform")
def sgm_uniform(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """``steps + 1`` evenly spaced timesteps with the last dropped (SGM's discretisation); then 0."""
    return _timestep_schedule(ms, steps, sgm=True)


@register("simple")
def simple(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """Table σ at evenly spaced (fractional, truncated) positions from the top; then 0."""
    import torch

    stride = len(ms.sigmas) / steps
    sigmas = [float(ms.sigmas[-(1 + int(i * stride))]) for i in range(steps)]
    sigmas.append(0.0)
    return torch.tensor(sigmas, dtype=torch.float32)


@register("ddim_uniform")
def ddim_uniform(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """DDIM's uniform timesteps: every ``len // steps``-th table σ from index 1, high to low; then 0."""
    import torch

    x = 1
    if math.isclose(float(ms.sigmas[x]), 0, abs_tol=0.00001):
        steps += 1
        sigmas: list[float] = []
    else:
        sigmas = [0.0]
    stride = max(len(ms.sigmas) // steps, 1)
    while x < len(ms.sigmas):
        sigmas.append(float(ms.sigmas[x]))
        x += stride
    return torch.tensor(sigmas[::-1], dtype=torch.float32)


SCHEDULER_NAMES: list[str] = list(SCHEDULERS)


def calculate_sigmas(ms: "DiscreteSchedule", scheduler: str, steps: int) -> "torch.Tensor":
    """The σ schedule ``scheduler`` gives for ``steps`` steps."""
    try:
        fn = SCHEDULERS[scheduler]
    except KeyError:
        raise ValueError(f"unknown scheduler {scheduler!r}; known: {', '.join(SCHEDULERS)}") from None
    return fn(ms, steps)


def ksampler_sigmas(ms: "DiscreteSchedule", scheduler: str, steps: int, denoise: float, sampler: str) -> "torch.Tensor":
    """KSampler's σ for ``steps`` steps at ``denoise`` (empty when ``denoise <= 0``)."""
    import torch

    from .samplers import DISCARD_PENULTIMATE_SIGMA

    def schedule(n: int) -> "torch.Tensor":
        if sampler not in DISCARD_PENULTIMATE_SIGMA:
            return calculate_sigmas(ms, scheduler, n)
        sigmas = calculate_sigmas(ms, scheduler, n + 1)
        return torch.cat([sigmas[:-2], sigmas[-1:]])

    if denoise is None or denoise > 0.9999:
        return schedule(steps)
    if denoise <= 0.0:
        return torch.zeros([0], dtype=torch.float32)
    return schedule(int(steps / denoise))[-(steps + 1) :]
