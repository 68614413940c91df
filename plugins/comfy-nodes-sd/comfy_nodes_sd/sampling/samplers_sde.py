"""The stochastic DPM-Solver++ samplers: ``dpmpp_sde``, ``dpmpp_2m_sde`` (midpoint and Heun),
``dpmpp_3m_sde``, each with a ``_gpu`` twin.

Their default noise is a Brownian tree seeded with the seed over [σ_min, σ_max] of the schedule
(:class:`~comfy_nodes_sd.sampling.noise.BrownianTreeNoiseSampler`): on the CPU for the plain names,
on the latent's device for the ``_gpu`` names (on a CPU-only machine the two are the same). The
half-log-SNR λ = −log σ of ε/v models is used throughout (ComfyUI's ``sigma_to_half_log_snr``), and
α = σ·e^λ is kept as ComfyUI computes it (≈ 1, not exactly 1, in float32).
"""

from __future__ import annotations

from .samplers import _ancestral_step, _report, register

__all__ = ["sample_dpmpp_sde", "sample_dpmpp_2m_sde", "sample_dpmpp_3m_sde"]


def _brownian(noise_sampler, x, sigmas, seed, cpu):  # type: ignore[no-untyped-def]
    if noise_sampler is not None:
        return noise_sampler
    from .noise import BrownianTreeNoiseSampler

    sigma_min, sigma_max = sigmas[sigmas > 0].min(), sigmas.max()
    return BrownianTreeNoiseSampler(x, sigma_min, sigma_max, seed=seed, cpu=cpu)


def _lambda(sigma):  # type: ignore[no-untyped-def]
    return sigma.log().neg()


def _sigma(half_log_snr):  # type: ignore[no-untyped-def]
    return half_log_snr.neg().exp()


def _sde_first_order(x, sigma, sigma_next, denoised, eta):  # type: ignore[no-untyped-def]
    """The first-order DPM-Solver++ SDE step from σ to ``sigma_next`` (noise not yet added), with the
    quantities the multistep corrections reuse: ``(x, h, h_eta, alpha_t)``, h = λ_t − λ_s."""
    lambda_s, lambda_t = _lambda(sigma), _lambda(sigma_next)
    h = lambda_t - lambda_s
    h_eta = h * (eta + 1)
    alpha_t = sigma_next * lambda_t.exp()
    x = sigma_next / sigma * (-h * eta).exp() * x + alpha_t * (-h_eta).expm1().neg() * denoised
    return x, h, h_eta, alpha_t


def _sde_noise(x, noise_sampler, sigma, sigma_next, h, eta, s_noise):  # type: ignore[no-untyped-def]
    """Adds the multistep SDE's exact noise term, σ_next·√(1 − e^(−2hη))·s_noise (none when η or s_noise is 0)."""
    if eta > 0 and s_noise > 0:
        x = x + noise_sampler(sigma, sigma_next) * sigma_next * (-2 * h * eta).expm1().neg().sqrt() * s_noise
    return x


def _dpmpp_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, r, cpu):  # type: ignore[no-untyped-def]
    if len(sigmas) <= 1:
        return x
    noise_sampler = _brownian(noise_sampler, x, sigmas, seed, cpu)
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
            continue
        lambda_s, lambda_t = _lambda(sigmas[i]), _lambda(sigmas[i + 1])
        h = lambda_t - lambda_s
        lambda_s_1 = lambda_s + r * h
        fac = 1 / (2 * r)
        sigma_s_1 = _sigma(lambda_s_1)
        alpha_s = sigmas[i] * lambda_s.exp()
        alpha_s_1 = sigma_s_1 * lambda_s_1.exp()
        alpha_t = sigmas[i + 1] * lambda_t.exp()
        # step 1: to the intermediate level, with its share of the noise
        sd, su = _ancestral_step(lambda_s.neg().exp(), lambda_s_1.neg().exp(), eta)
        lambda_s_1_ = sd.log().neg()
        h_ = lambda_s_1_ - lambda_s
        x_2 = (alpha_s_1 / alpha_s) * (-h_).exp() * x - alpha_s_1 * (-h_).expm1() * denoised
        if eta > 0 and s_noise > 0:
            x_2 = x_2 + alpha_s_1 * noise_sampler(sigmas[i], sigma_s_1) * s_noise * su
        denoised_2 = model(x_2, sigma_s_1 * s_in)
        # step 2: the full step with the blended estimate
        sd, su = _ancestral_step(lambda_s.neg().exp(), lambda_t.neg().exp(), eta)
        lambda_t_ = sd.log().neg()
        h_ = lambda_t_ - lambda_s
        denoised_d = (1 - fac) * denoised + fac * denoised_2
        x = (alpha_t / alpha_s) * (-h_).exp() * x - alpha_t * (-h_).expm1() * denoised_d
        if eta > 0 and s_noise > 0:
            x = x + alpha_t * noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * su
    return x


@register("dpmpp_sde")
def sample_dpmpp_sde(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0, r=0.5):  # type: ignore[no-untyped-def]
    """DPM-Solver++ (stochastic, second order, Lu et al. 2022; k-diffusion's ``sample_dpmpp_sde``):
    each step evaluates at λ_s + r·h and blends, with Brownian-tree noise (tree on the CPU)."""
    return _dpmpp_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, r, cpu=True)


@register("dpmpp_sde_gpu")
def sample_dpmpp_sde_gpu(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0, r=0.5):  # type: ignore[no-untyped-def]
    """DPM-Solver++ (stochastic) with the Brownian tree on the latent's device."""
    return _dpmpp_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, r, cpu=False)


def _dpmpp_2m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, solver_type, cpu):  # type: ignore[no-untyped-def]
    if len(sigmas) <= 1:
        return x
    if solver_type not in {"heun", "midpoint"}:
        raise ValueError("solver_type must be 'heun' or 'midpoint'")
    noise_sampler = _brownian(noise_sampler, x, sigmas, seed, cpu)
    s_in = x.new_ones([x.shape[0]])
    old_denoised = None
    h, h_last = None, None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            x, h, h_eta, alpha_t = _sde_first_order(x, sigmas[i], sigmas[i + 1], denoised, eta)
            if old_denoised is not None:
                r = h_last / h
                if solver_type == "heun":
                    x = x + alpha_t * ((-h_eta).expm1().neg() / (-h_eta) + 1) * (1 / r) * (denoised - old_denoised)
                else:
                    x = x + 0.5 * alpha_t * (-h_eta).expm1().neg() * (1 / r) * (denoised - old_denoised)
            x = _sde_noise(x, noise_sampler, sigmas[i], sigmas[i + 1], h, eta, s_noise)
        old_denoised = denoised
        h_last = h
    return x


@register("dpmpp_2m_sde")
def sample_dpmpp_2m_sde(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0, solver_type="midpoint"):  # type: ignore[no-untyped-def]
    """DPM-Solver++(2M) SDE (Lu et al. 2022): second-order multistep with the SDE's exact noise term;
    ``solver_type`` midpoint (default) or heun for the second-order correction; Brownian-tree noise."""
    return _dpmpp_2m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, solver_type, cpu=True)


@register("dpmpp_2m_sde_gpu")
def sample_dpmpp_2m_sde_gpu(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0, solver_type="midpoint"):  # type: ignore[no-untyped-def]
    """DPM-Solver++(2M) SDE with the Brownian tree on the latent's device."""
    return _dpmpp_2m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, solver_type, cpu=False)


@register("dpmpp_2m_sde_heun")
def sample_dpmpp_2m_sde_heun(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0, solver_type="heun"):  # type: ignore[no-untyped-def]
    """DPM-Solver++(2M) SDE with Heun's second-order correction."""
    return _dpmpp_2m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, solver_type, cpu=True)


@register("dpmpp_2m_sde_heun_gpu")
def sample_dpmpp_2m_sde_heun_gpu(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0, solver_type="heun"):  # type: ignore[no-untyped-def]
    """DPM-Solver++(2M) SDE, Heun correction, Brownian tree on the latent's device."""
    return _dpmpp_2m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, solver_type, cpu=False)


def _dpmpp_3m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, cpu):  # type: ignore[no-untyped-def]
    if len(sigmas) <= 1:
        return x
    noise_sampler = _brownian(noise_sampler, x, sigmas, seed, cpu)
    s_in = x.new_ones([x.shape[0]])
    denoised_1, denoised_2 = None, None
    h, h_1, h_2 = None, None, None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            x, h, h_eta, alpha_t = _sde_first_order(x, sigmas[i], sigmas[i + 1], denoised, eta)
            if h_2 is not None:
                r0 = h_1 / h
                r1 = h_2 / h
                d1_0 = (denoised - denoised_1) / r0
                d1_1 = (denoised_1 - denoised_2) / r1
                d1 = d1_0 + (d1_0 - d1_1) * r0 / (r0 + r1)
                d2 = (d1_0 - d1_1) / (r0 + r1)
                phi_2 = h_eta.neg().expm1() / h_eta + 1
                phi_3 = phi_2 / h_eta - 0.5
                x = x + (alpha_t * phi_2) * d1 - (alpha_t * phi_3) * d2
            elif h_1 is not None:
                r = h_1 / h
                d = (denoised - denoised_1) / r
                phi_2 = h_eta.neg().expm1() / h_eta + 1
                x = x + (alpha_t * phi_2) * d
            x = _sde_noise(x, noise_sampler, sigmas[i], sigmas[i + 1], h, eta, s_noise)
        denoised_1, denoised_2 = denoised, denoised_1
        h_1, h_2 = h, h_1
    return x


@register("dpmpp_3m_sde")
def sample_dpmpp_3m_sde(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0):  # type: ignore[no-untyped-def]
    """DPM-Solver++(3M) SDE (Lu et al. 2022): third-order multistep with the SDE noise term (lower
    orders for the first steps); Brownian-tree noise on the CPU."""
    return _dpmpp_3m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, cpu=True)


@register("dpmpp_3m_sde_gpu")
def sample_dpmpp_3m_sde_gpu(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0):  # type: ignore[no-untyped-def]
    """DPM-Solver++(3M) SDE with the Brownian tree on the latent's device."""
    return _dpmpp_3m_sde(model, x, sigmas, callback, noise_sampler, seed, eta, s_noise, cpu=False)
