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
- ``beta``: table σ at the timesteps of Beta(0.6, 0.6) quantiles (Lee et al. 2024), rounded to
  integers with scipy's ``beta.ppf``; repeated timesteps are dropped (so possibly fewer steps).
- ``linear_quadratic``: Mochi's schedule, linear then quadratic in [0, 1], times σ_max.
- ``kl_optimal``: tan of evenly spaced points between atan σ_max and atan σ_min (AYS / KL-optimal).

``SCHEDULER_NAMES`` is in ComfyUI's order (``comfy.samplers.SCHEDULER_NAMES``, whose first entry,
``simple``, is the combo's default). ``karras_sigmas`` & co. are the free-standing schedules the
custom-sampling nodes use.

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

__all__ = [
    "SCHEDULERS",
    "SCHEDULER_NAMES",
    "register",
    "calculate_sigmas",
    "ksampler_sigmas",
    "karras_sigmas",
    "exponential_sigmas",
    "polyexponential_sigmas",
    "vp_sigmas",
    "beta_sigmas",
]

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


def karras_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> "torch.Tensor":
    """Karras et al. (2022), eq. 5: σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ; then 0."""
    import torch

    ramp = torch.linspace(0, 1, n)
    min_inv_rho = sigma_min ** (1 / rho)
    max_inv_rho = sigma_max ** (1 / rho)
    return _append_zero((max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho)


def exponential_sigmas(n: int, sigma_min: float, sigma_max: float) -> "torch.Tensor":
    """Evenly spaced in log σ from σ_max to σ_min; then 0."""
    import torch

    return _append_zero(torch.linspace(math.log(sigma_max), math.log(sigma_min), n).exp())


def polyexponential_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float = 1.0) -> "torch.Tensor":
    """A polynomial (power ρ) ramp in log σ from σ_max to σ_min; then 0."""
    import torch

    ramp = torch.linspace(1, 0, n) ** rho
    return _append_zero(torch.exp(ramp * (math.log(sigma_max) - math.log(sigma_min)) + math.log(sigma_min)))


def vp_sigmas(n: int, beta_d: float = 19.9, beta_min: float = 0.1, eps_s: float = 1e-3) -> "torch.Tensor":
    """The continuous VP-SDE schedule (Song et al. 2021): σ(t) = √(e^(β_d t²/2 + β_min t) − 1); then 0."""
    import torch

    t = torch.linspace(1, eps_s, n)
    return _append_zero(torch.sqrt(torch.special.expm1(beta_d * t**2 / 2 + beta_min * t)))


@register("karras")
def karras(ms: "DiscreteSchedule", steps: int, rho: float = 7.0) -> "torch.Tensor":
    """Karras et al. (2022) ρ = 7 between the table's σ_min and σ_max; then 0."""
    return karras_sigmas(steps, float(ms.sigma_min), float(ms.sigma_max), rho)


@register("exponential")
def exponential(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """Evenly spaced in log σ from σ_max to σ_min; then 0."""
    return exponential_sigmas(steps, float(ms.sigma_min), float(ms.sigma_max))


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


def beta_sigmas(ms: "DiscreteSchedule", steps: int, alpha: float = 0.6, beta: float = 0.6) -> "torch.Tensor":
    """Table σ at ``rint(ppf_Beta(α, β)(1 − i/steps) · (T − 1))``, consecutive repeats dropped; then 0."""
    import numpy
    import scipy.stats
    import torch

    total_timesteps = len(ms.sigmas) - 1
    ts = 1 - numpy.linspace(0, 1, steps, endpoint=False)
    ts = numpy.rint(scipy.stats.beta.ppf(ts, alpha, beta) * total_timesteps)
    sigmas: list[float] = []
    last_t = -1
    for t in ts:
        if t != last_t:
            sigmas.append(float(ms.sigmas[int(t)]))
        last_t = t
    sigmas.append(0.0)
    return torch.tensor(sigmas, dtype=torch.float32)


@register("beta")
def beta(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """Beta(0.6, 0.6)-spaced timesteps (dense at both ends), mapped to table σ; then 0."""
    return beta_sigmas(ms, steps)


@register("linear_quadratic")
def linear_quadratic(ms: "DiscreteSchedule", steps: int, threshold_noise: float = 0.025, linear_steps: int | None = None) -> "torch.Tensor":
    """Mochi's linear-then-quadratic schedule in [1, 0], scaled by the table's σ_max (ends at 0)."""
    import torch

    if steps == 1:
        schedule = [1.0, 0.0]
    else:
        if linear_steps is None:
            linear_steps = steps // 2
        linear = [i * threshold_noise / linear_steps for i in range(linear_steps)]
        threshold_noise_step_diff = linear_steps - threshold_noise * steps
        quadratic_steps = steps - linear_steps
        quadratic_coef = threshold_noise_step_diff / (linear_steps * quadratic_steps**2)
        linear_coef = threshold_noise / linear_steps - 2 * threshold_noise_step_diff / (quadratic_steps**2)
        const = quadratic_coef * (linear_steps**2)
        quadratic = [quadratic_coef * (i**2) + linear_coef * i + const for i in range(linear_steps, steps)]
        schedule = [1.0 - x for x in linear + quadratic + [1.0]]
    return torch.tensor(schedule, dtype=torch.float32) * ms.sigma_max.cpu()


@register("kl_optimal")
def kl_optimal(ms: "DiscreteSchedule", steps: int) -> "torch.Tensor":
    """σ_i = tan((i/(n−1))·atan σ_min + (1 − i/(n−1))·atan σ_max); then 0."""
    import torch

    sigma_min, sigma_max = float(ms.sigma_min), float(ms.sigma_max)
    adj_idxs = torch.arange(steps, dtype=torch.float).div_(steps - 1)
    sigmas = adj_idxs.new_zeros(steps + 1)
    sigmas[:-1] = (adj_idxs * math.atan(sigma_min) + (1 - adj_idxs) * math.atan(sigma_max)).tan_()
    return sigmas


COMFY_SCHEDULER_ORDER = ("simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal")
"""ComfyUI's ``SCHEDULER_HANDLERS`` order."""

_ordered = {name: SCHEDULERS[name] for name in COMFY_SCHEDULER_ORDER if name in SCHEDULERS}
_ordered.update(SCHEDULERS)
SCHEDULERS.clear()
SCHEDULERS.update(_ordered)
del _ordered

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
