"""k-diffusion samplers (Crowson's k-diffusion, as ComfyUI runs them), chosen by name.

Every sampler has the same signature::

    sampler(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, **options) -> x

``model(x, sigma)`` returns the denoised estimate for a batch of σ ``[B]``; ``x`` starts as the
noised latent at ``sigmas[0]``; ``sigmas`` usually ends with 0; ``callback`` receives k-diffusion's
step dict (``x``, ``i``, ``sigma``, ``sigma_hat``, ``denoised``) once per step;
``noise_sampler(sigma, sigma_next)`` draws fresh noise for stochastic samplers, and when it is not
given the sampler makes ComfyUI's default from ``seed`` (a seeded generator for ancestral samplers,
a Brownian tree for the SDE samplers). ``options`` are the sampler's own knobs (``eta``,
``s_noise``, ``order``, ...), as ComfyUI's sampler nodes pass them. Each docstring names the
algorithm.

Register a new one with ``@register("name")``. ``SAMPLER_NAMES`` lists the registered names in
ComfyUI's order (``comfy.samplers.KSampler.SAMPLERS``), so KSampler's combo reads like ComfyUI's
minus the samplers not implemented here.

Arithmetic follows k-diffusion expression by expression (the order of float operations matters when
the goal is ComfyUI's numbers, not just the same mathematics). Nothing here imports torch at module
level: the names are listed without it. The modules ``samplers_extra``, ``samplers_sde``,
``samplers_cfgpp`` and ``unipc`` register the rest of the family.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch

    from .noise import NoiseSampler

__all__ = ["SAMPLERS", "SAMPLER_NAMES", "Sampler", "register", "get_sampler", "DISCARD_PENULTIMATE_SIGMA"]


class Sampler(Protocol):
    def __call__(
        self,
        model: Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"],
        x: "torch.Tensor",
        sigmas: "torch.Tensor",
        *,
        callback: Callable[[dict[str, Any]], None] | None = None,
        noise_sampler: "NoiseSampler | None" = None,
        seed: int | None = None,
    ) -> "torch.Tensor": ...


SAMPLERS: dict[str, Sampler] = {}
"""Sampler functions by ComfyUI name."""

DISCARD_PENULTIMATE_SIGMA = frozenset({"dpm_2", "dpm_2_ancestral", "uni_pc", "uni_pc_bh2"})
"""Samplers run with one more step whose next-to-last σ is dropped (ComfyUI does so for these)."""


def register(name: str) -> Callable[[Sampler], Sampler]:
    def add(fn: Sampler) -> Sampler:
        SAMPLERS[name] = fn
        return fn

    return add


def get_sampler(name: str) -> Sampler:
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; known: {', '.join(SAMPLERS)}") from None


# --- helpers ---------------------------------------------------------------------------------


def _to_d(x: "torch.Tensor", sigma: "torch.Tensor", denoised: "torch.Tensor") -> "torch.Tensor":
    """The Karras ODE derivative ``(x − denoised) / σ``."""
    return (x - denoised) / sigma.reshape(sigma.shape + (1,) * (x.ndim - sigma.ndim))


def _ancestral_step(sigma_from: Any, sigma_to: Any, eta: float = 1.0) -> tuple[Any, Any]:
    """(σ_down, σ_up): the level to step down to deterministically and the noise to add back."""
    if not eta:
        return sigma_to, 0.0
    sigma_up = min(sigma_to, eta * (sigma_to**2 * (sigma_from**2 - sigma_to**2) / sigma_from**2) ** 0.5)
    sigma_down = (sigma_to**2 - sigma_up**2) ** 0.5
    return sigma_down, sigma_up


def _need_noise(noise_sampler: "NoiseSampler | None", x: "torch.Tensor", seed: int | None) -> "NoiseSampler":
    """The given noise sampler, else ComfyUI's default: a generator seeded from ``seed``."""
    if noise_sampler is not None:
        return noise_sampler
    from .noise import default_noise_sampler

    return default_noise_sampler(x, seed)


def _report(callback: Callable[[dict[str, Any]], None] | None, x: Any, i: int, sigma: Any, sigma_hat: Any, denoised: Any) -> None:
    if callback is not None:
        callback({"x": x, "i": i, "sigma": sigma, "sigma_hat": sigma_hat, "denoised": denoised})


def _dpm_2_step(model, x, d, sigma, sigma_to, s_in):  # type: ignore[no-untyped-def]
    """One DPM-Solver-2 step from σ to ``sigma_to`` (``d`` is the derivative at σ): a midpoint step
    in log σ, evaluating the model at the geometric mean of the two levels; a plain Euler step
    when ``sigma_to`` is 0 (k-diffusion's arithmetic, shared by ``dpm_2`` and ``dpm_2_ancestral``)."""
    if sigma_to == 0:
        dt = sigma_to - sigma
        return x + d * dt
    sigma_mid = sigma.log().lerp(sigma_to.log(), 0.5).exp()
    dt_1 = sigma_mid - sigma
    dt_2 = sigma_to - sigma
    x_2 = x + d * dt_1
    denoised_2 = model(x_2, sigma_mid * s_in)
    d_2 = _to_d(x_2, sigma_mid, denoised_2)
    return x + d_2 * dt_2


# --- samplers --------------------------------------------------------------------------------


@register("euler")
def sample_euler(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """Euler's method on the probability-flow ODE (Karras et al. 2022, Algorithm 2 without churn)."""
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        sigma_hat = sigmas[i]
        denoised = model(x, sigma_hat * s_in)
        d = _to_d(x, sigma_hat, denoised)
        _report(callback, x, i, sigmas[i], sigma_hat, denoised)
        dt = sigmas[i + 1] - sigma_hat
        x = x + d * dt
    return x


@register("euler_ancestral")
def sample_euler_ancestral(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0):  # type: ignore[no-untyped-def]
    """Ancestral sampling with Euler steps (k-diffusion): step down to σ_down, add noise of σ_up."""
    noise_sampler = _need_noise(noise_sampler, x, seed)
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        sigma_down, sigma_up = _ancestral_step(sigmas[i], sigmas[i + 1], eta=eta)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        if sigma_down == 0:
            x = denoised
        else:
            d = _to_d(x, sigmas[i], denoised)
            dt = sigma_down - sigmas[i]
            x = x + d * dt + noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
    return x


@register("heun")
def sample_heun(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """Heun's second-order method (Karras et al. 2022, Algorithm 2 without churn); Euler on the last step."""
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        sigma_hat = sigmas[i] * (0 + 1)
        denoised = model(x, sigma_hat * s_in)
        d = _to_d(x, sigma_hat, denoised)
        _report(callback, x, i, sigmas[i], sigma_hat, denoised)
        dt = sigmas[i + 1] - sigma_hat
        if sigmas[i + 1] == 0:
            x = x + d * dt
        else:
            x_2 = x + d * dt
            denoised_2 = model(x_2, sigmas[i + 1] * s_in)
            d_2 = _to_d(x_2, sigmas[i + 1], denoised_2)
            d_prime = (d + d_2) / 2
            x = x + d_prime * dt
    return x


@register("dpm_2")
def sample_dpm_2(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """DPM-Solver-2-inspired midpoint method in log σ (k-diffusion's ``sample_dpm_2``)."""
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        sigma_hat = sigmas[i]
        denoised = model(x, sigma_hat * s_in)
        d = _to_d(x, sigma_hat, denoised)
        _report(callback, x, i, sigmas[i], sigma_hat, denoised)
        x = _dpm_2_step(model, x, d, sigma_hat, sigmas[i + 1], s_in)
    return x


@register("dpm_2_ancestral")
def sample_dpm_2_ancestral(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0):  # type: ignore[no-untyped-def]
    """Ancestral sampling with DPM-Solver-2 midpoint steps (k-diffusion's ``sample_dpm_2_ancestral``)."""
    noise_sampler = _need_noise(noise_sampler, x, seed)
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        sigma_down, sigma_up = _ancestral_step(sigmas[i], sigmas[i + 1], eta=eta)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        d = _to_d(x, sigmas[i], denoised)
        x = _dpm_2_step(model, x, d, sigmas[i], sigma_down, s_in)
        if sigma_down != 0:
            x = x + noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
    return x


@register("dpmpp_2m")
def sample_dpmpp_2m(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """DPM-Solver++(2M) (Lu et al. 2022): second-order multistep in t = −log σ, first order at the ends."""
    s_in = x.new_ones([x.shape[0]])

    def t_fn(sigma):  # type: ignore[no-untyped-def]
        return sigma.log().neg()

    def sigma_fn(t):  # type: ignore[no-untyped-def]
        return t.neg().exp()

    old_denoised = None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        t, t_next = t_fn(sigmas[i]), t_fn(sigmas[i + 1])
        h = t_next - t
        if old_denoised is None or sigmas[i + 1] == 0:
            x = (sigma_fn(t_next) / sigma_fn(t)) * x - (-h).expm1() * denoised
        else:
            h_last = t - t_fn(sigmas[i - 1])
            r = h_last / h
            denoised_d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old_denoised
            x = (sigma_fn(t_next) / sigma_fn(t)) * x - (-h).expm1() * denoised_d
        old_denoised = denoised
    return x


COMFY_SAMPLER_ORDER: tuple[str, ...] = (
    "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2",
    "exp_heun_2_x0", "exp_heun_2_x0_sde", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive",
    "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m",
    "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu",
    "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm", "ipndm_v", "deis", "res_multistep",
    "res_multistep_cfg_pp", "res_multistep_ancestral", "res_multistep_ancestral_cfg_pp",
    "gradient_estimation", "gradient_estimation_cfg_pp", "er_sde", "seeds_2", "seeds_3", "sa_solver",
    "sa_solver_pece", "ddim", "uni_pc", "uni_pc_bh2",
)  # fmt: skip
"""ComfyUI's ``KSampler.SAMPLERS`` (``KSAMPLER_NAMES + ["ddim", "uni_pc", "uni_pc_bh2"]``)."""

from . import samplers_cfgpp, samplers_extra, samplers_sde, unipc  # noqa: E402,F401  (they register themselves)

_ordered = {name: SAMPLERS[name] for name in COMFY_SAMPLER_ORDER if name in SAMPLERS}
_ordered.update(SAMPLERS)
SAMPLERS.clear()
SAMPLERS.update(_ordered)
del _ordered

SAMPLER_NAMES: list[str] = list(SAMPLERS)
"""The registered names in ComfyUI's order (names ComfyUI does not have, last)."""
