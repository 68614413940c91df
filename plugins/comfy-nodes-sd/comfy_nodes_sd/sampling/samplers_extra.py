"""More samplers of ComfyUI's list: linear multistep (``lms``), DPM-Solver++(2S) ancestral, the
consistency-model sampler (``lcm``), ``ddpm`` and ``ddim``.

Same signature and conventions as :mod:`comfy_nodes_sd.sampling.samplers` (read its docstring); the
arithmetic follows k-diffusion / ComfyUI expression by expression so the numbers agree, not only
the mathematics.
"""

from __future__ import annotations

from .samplers import (
    _ancestral_step,
    _need_noise,
    _report,
    _to_d,
    register,
    sample_euler,
)

__all__ = ["sample_lms", "sample_dpmpp_2s_ancestral", "sample_lcm", "sample_ddpm", "sample_ddim"]


def _lms_coefficient(order: int, t, i: int, j: int) -> float:  # type: ignore[no-untyped-def]
    """∫ of the j-th Lagrange basis polynomial through σ_i, σ_(i−1), … over [σ_i, σ_(i+1)] (scipy quad).

    ``t`` is the σ schedule as a float32 numpy array: the integrand mixes numpy float32 and Python
    floats exactly as k-diffusion's does, so the coefficients round the same way."""
    from scipy import integrate

    if order - 1 > i:
        raise ValueError(f"Order {order} too high for step {i}")

    def basis(tau):  # type: ignore[no-untyped-def]
        prod = 1.0
        for k in range(order):
            if j == k:
                continue
            prod *= (tau - t[i - k]) / (t[i - j] - t[i - k])
        return prod

    return integrate.quad(basis, t[i], t[i + 1], epsrel=1e-4)[0]


@register("lms")
def sample_lms(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, order=4):  # type: ignore[no-untyped-def]
    """Linear multistep method (Adams–Bashforth in σ, up to ``order`` past derivatives; k-diffusion's
    ``sample_lms``); the last step to σ = 0 returns the denoised estimate."""
    s_in = x.new_ones([x.shape[0]])
    sigmas_cpu = sigmas.detach().cpu().numpy()
    ds = []
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        d = _to_d(x, sigmas[i], denoised)
        ds.append(d)
        if len(ds) > order:
            ds.pop(0)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            cur_order = min(i + 1, order)
            coeffs = [_lms_coefficient(cur_order, sigmas_cpu, i, j) for j in range(cur_order)]
            x = x + sum(coeff * d for coeff, d in zip(coeffs, reversed(ds)))
    return x


def _dpmpp_2s_step(denoise, x, denoised, sigma, sigma_down, s_in):  # type: ignore[no-untyped-def]
    """One DPM-Solver++(2S) step (Lu et al. 2022) from σ down to ``sigma_down`` in t = −log σ: a
    half step with ``denoised`` (the estimate at σ), then the full step with ``denoise(x_2, σ_s)``,
    the estimate at the midpoint; an Euler step when ``sigma_down`` is 0 (k-diffusion's arithmetic,
    shared by ``dpmpp_2s_ancestral`` and its CFG++ variant)."""

    def sigma_fn(t):  # type: ignore[no-untyped-def]
        return t.neg().exp()

    def t_fn(sigma):  # type: ignore[no-untyped-def]
        return sigma.log().neg()

    if sigma_down == 0:
        d = _to_d(x, sigma, denoised)
        dt = sigma_down - sigma
        return x + d * dt
    t, t_next = t_fn(sigma), t_fn(sigma_down)
    r = 1 / 2
    h = t_next - t
    s = t + r * h
    x_2 = (sigma_fn(s) / sigma_fn(t)) * x - (-h * r).expm1() * denoised
    denoised_2 = denoise(x_2, sigma_fn(s) * s_in)
    return (sigma_fn(t_next) / sigma_fn(t)) * x - (-h).expm1() * denoised_2


@register("dpmpp_2s_ancestral")
def sample_dpmpp_2s_ancestral(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0):  # type: ignore[no-untyped-def]
    """Ancestral sampling with DPM-Solver++(2S) second-order single steps (Lu et al. 2022) in
    t = −log σ, down to σ_down, then noise of σ_up (k-diffusion's ``sample_dpmpp_2s_ancestral``)."""
    noise_sampler = _need_noise(noise_sampler, x, seed)
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        sigma_down, sigma_up = _ancestral_step(sigmas[i], sigmas[i + 1], eta=eta)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        x = _dpmpp_2s_step(model, x, denoised, sigmas[i], sigma_down, s_in)
        if sigmas[i + 1] > 0:
            x = x + noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
    return x


@register("ddpm")
def sample_ddpm(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """DDPM ancestral steps (Ho et al. 2020) in the variance-preserving scale: x/√(1+σ²) is stepped with
    the posterior mean and variance of ᾱ = 1/(1+σ²), then scaled back (ComfyUI's ``sample_ddpm``)."""
    import torch

    noise_sampler = _need_noise(noise_sampler, x, seed)
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        sigma, sigma_prev = sigmas[i], sigmas[i + 1]
        vp_x = x / torch.sqrt(1.0 + sigma**2.0)
        eps = (x - denoised) / sigma
        alpha_cumprod = 1 / ((sigma * sigma) + 1)
        alpha_cumprod_prev = 1 / ((sigma_prev * sigma_prev) + 1)
        alpha = alpha_cumprod / alpha_cumprod_prev
        mu = (1.0 / alpha).sqrt() * (vp_x - (1 - alpha) * eps / (1 - alpha_cumprod).sqrt())
        if sigma_prev > 0:
            mu += ((1 - alpha) * (1.0 - alpha_cumprod_prev) / (1.0 - alpha_cumprod)).sqrt() * noise_sampler(sigma, sigma_prev)
        x = mu
        if sigmas[i + 1] != 0:
            x *= torch.sqrt(1.0 + sigmas[i + 1] ** 2.0)
    return x


@register("lcm")
def sample_lcm(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, s_noise=1.0, s_noise_end=None, noise_clip_std=0.0):  # type: ignore[no-untyped-def]
    """Latent Consistency Model multistep sampling (Luo et al. 2023): jump to the denoised estimate,
    then re-noise it to the next σ with fresh noise (``x0 + σ'·ε``, the ε/v noise scaling)."""
    noise_sampler = _need_noise(noise_sampler, x, seed)
    s_in = x.new_ones([x.shape[0]])
    n_steps = max(1, len(sigmas) - 1)
    s_start = float(s_noise)
    s_end = s_start if s_noise_end is None else float(s_noise_end)
    for i in range(n_steps):
        denoised = model(x, sigmas[i] * s_in)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        x = denoised
        if sigmas[i + 1] > 0:
            noise = noise_sampler(sigmas[i], sigmas[i + 1])
            if noise_clip_std > 0:
                clip_val = noise_clip_std * noise.std()
                noise = noise.clamp(min=-clip_val, max=clip_val)
            t = (i / (n_steps - 1)) if n_steps > 1 else 0.0
            s_noise_i = s_start + (s_end - s_start) * t
            if s_noise_i != 1.0:
                noise = noise * s_noise_i
            noise = noise * sigmas[i + 1]
            noise += x
            x = noise
    return x


@register("ddim")
def sample_ddim(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """DDIM (Song et al. 2020, η = 0), which in σ terms is Euler's method on the probability-flow ODE:
    ComfyUI runs ``ddim`` as ``euler``. The one difference is KSampler's: when inpainting, the
    unmasked area is re-noised with its own noise drawn from seed + 1 (see ``ksampler``)."""
    return sample_euler(model, x, sigmas, callback=callback, noise_sampler=noise_sampler, seed=seed)
