"""Samplers and schedules against independent oracles (torch only, no checkpoint, fast).

The oracle for the samplers is a Gaussian toy problem whose exact answers are known: data
x0 ~ N(μ, s²) per element. Its ideal denoiser is D(x, σ) = (s²·x + σ²·μ)/(s² + σ²); the
probability-flow ODE from σ₀ to 0 maps x to μ + (x − μ)·s/√(s² + σ₀²); and every correct stochastic
sampler must end with samples distributed as N(μ, s²). A wrong coefficient, σ or noise scale shows
up as a wrong endpoint or a wrong spread.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_sd.sampling.ksampler import sampler_object  # noqa: E402
from comfy_nodes_sd.sampling.model_sampling import DiscreteSchedule  # noqa: E402
from comfy_nodes_sd.sampling.noise import (  # noqa: E402
    BrownianTreeNoiseSampler,
    default_noise_sampler,
)
from comfy_nodes_sd.sampling.samplers import SAMPLERS  # noqa: E402
from comfy_nodes_sd.sampling.schedulers import SCHEDULERS, ksampler_sigmas  # noqa: E402

MU, S = 0.3, 0.5


def gaussian_denoiser(x: Any, sigma: Any) -> Any:
    s = sigma.reshape(-1, *([1] * (x.ndim - 1)))
    return (S**2 * x + s**2 * MU) / (S**2 + s**2)


@pytest.fixture(scope="module")
def ms() -> DiscreteSchedule:
    return DiscreteSchedule()


def _start(sigmas: Any, shape: tuple[int, ...] = (1, 4, 16, 16), seed: int = 0) -> Any:
    noise = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    return noise * torch.sqrt(1.0 + sigmas[0] ** 2)  # ComfyUI's start from pure noise ("max denoise")


ODE_SAMPLERS = [
    # name, relative endpoint error allowed at 40 karras steps, error ratio 10 → 40 steps at least
    # (first order: ≈ 4; higher orders: much more). UniPC stops at σ = 0.001 (ComfyUI's choice),
    # which leaves an error floor of about 3e-3 here.
    ("euler", 5e-2, 3.5),
    ("ddim", 5e-2, 3.5),
    ("heun", 3e-3, 20),
    ("dpm_2", 2e-3, 10),
    ("lms", 3e-3, 20),
    ("dpmpp_2m", 3e-3, 20),
    ("uni_pc", 4e-3, 10),
    ("uni_pc_bh2", 4e-3, 10),
]


def _endpoint_error(ms: DiscreteSchedule, name: str, steps: int) -> float:
    sigmas = ksampler_sigmas(ms, "karras", steps, 1.0, name)
    x = _start(sigmas)
    exact = MU + (x - MU) * S / math.sqrt(S**2 + float(sigmas[0]) ** 2)
    out = SAMPLERS[name](gaussian_denoiser, x, sigmas)
    return float((out - exact).abs().max() / (exact - MU).abs().max())


@pytest.mark.parametrize(("name", "rtol", "ratio"), ODE_SAMPLERS)
def test_ode_samplers_converge_to_the_exact_flow_endpoint(ms: DiscreteSchedule, name: str, rtol: float, ratio: float) -> None:
    coarse, fine = _endpoint_error(ms, name, 10), _endpoint_error(ms, name, 40)
    assert fine < rtol, f"{name}: relative endpoint error {fine:.2e}"
    assert coarse / fine > ratio, f"{name}: error {coarse:.2e} at 10 steps, {fine:.2e} at 40"


def test_dpmpp_2m_sde_without_noise_is_dpmpp_2m(ms: DiscreteSchedule) -> None:
    """With η = 0 the SDE solver's update is algebraically DPM-Solver++(2M)'s (α = σ·e^λ ≈ 1)."""
    sigmas = ksampler_sigmas(ms, "karras", 8, 1.0, "dpmpp_2m")
    x = _start(sigmas)
    a = SAMPLERS["dpmpp_2m"](gaussian_denoiser, x, sigmas)
    b = SAMPLERS["dpmpp_2m_sde"](gaussian_denoiser, x, sigmas, eta=0.0, seed=1)
    assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)


STOCHASTIC = ["euler_ancestral", "dpm_2_ancestral", "dpmpp_2s_ancestral", "dpmpp_sde", "dpmpp_2m_sde", "dpmpp_2m_sde_heun", "dpmpp_3m_sde", "ddpm", "lcm"]


@pytest.mark.parametrize("name", [n for n in STOCHASTIC if n != "lcm"])
def test_stochastic_samplers_sample_the_data_distribution(ms: DiscreteSchedule, name: str) -> None:
    """(LCM is left out: with an ideal denoiser it returns posterior means, not samples; its steps
    are re-derived below.) Euler-ancestral and DDPM (the same update) are first order: more steps."""
    steps = 100 if name in ("euler_ancestral", "ddpm") else 30
    sigmas = ksampler_sigmas(ms, "karras", steps, 1.0, name)
    x = _start(sigmas, shape=(1, 4, 32, 32))
    out = SAMPLERS[name](gaussian_denoiser, x, sigmas, seed=5)
    assert abs(float(out.mean()) - MU) < 0.03, name
    assert abs(float(out.std()) / S - 1) < 0.08, name  # a wrong noise scale is off by far more


@pytest.mark.parametrize("name", STOCHASTIC)
def test_stochastic_samplers_follow_their_seed(ms: DiscreteSchedule, name: str) -> None:
    sigmas = ksampler_sigmas(ms, "normal", 4, 1.0, name)
    x = _start(sigmas)
    a = SAMPLERS[name](gaussian_denoiser, x, sigmas, seed=11)
    b = SAMPLERS[name](gaussian_denoiser, x, sigmas, seed=11)
    c = SAMPLERS[name](gaussian_denoiser, x, sigmas, seed=12)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_ancestral_noise_is_the_seed_plus_one_stream(ms: DiscreteSchedule) -> None:
    """euler_ancestral re-derived: σ_up/σ_down from k-diffusion's formula, noise from seed + 1 (CPU)."""
    sigmas = ksampler_sigmas(ms, "karras", 3, 1.0, "euler_ancestral")
    x = _start(sigmas)
    out = SAMPLERS["euler_ancestral"](gaussian_denoiser, x, sigmas, seed=20)
    g = torch.Generator().manual_seed(21)
    y = x.clone()
    for i in range(3):
        s, s_next = float(sigmas[i]), float(sigmas[i + 1])
        d = gaussian_denoiser(y, sigmas[i : i + 1])
        if s_next == 0:
            y = d
            continue
        up = min(s_next, math.sqrt(s_next**2 * (s**2 - s_next**2) / s**2))
        down = math.sqrt(s_next**2 - up**2)
        y = y + (y - d) / s * (down - s) + torch.randn(x.shape, generator=g) * up
    assert torch.allclose(out, y, rtol=1e-5, atol=1e-5)


def test_lcm_steps_renoise_the_denoised_estimate(ms: DiscreteSchedule) -> None:
    sigmas = ksampler_sigmas(ms, "sgm_uniform", 4, 1.0, "lcm")
    x = _start(sigmas)
    out = SAMPLERS["lcm"](gaussian_denoiser, x, sigmas, seed=30)
    g = torch.Generator().manual_seed(31)
    y = x
    for i in range(4):
        y = gaussian_denoiser(y, sigmas[i : i + 1])
        if float(sigmas[i + 1]) > 0:
            y = y + torch.randn(x.shape, generator=g) * float(sigmas[i + 1])
    assert torch.allclose(out, y, rtol=1e-6, atol=1e-6)


def test_gpu_twins_equal_their_cpu_samplers_on_the_cpu(ms: DiscreteSchedule) -> None:
    sigmas = ksampler_sigmas(ms, "karras", 4, 1.0, "dpmpp_sde")
    x = _start(sigmas)
    for name in ("dpmpp_sde", "dpmpp_2m_sde", "dpmpp_2m_sde_heun", "dpmpp_3m_sde"):
        a = SAMPLERS[name](gaussian_denoiser, x, sigmas, seed=3)
        b = SAMPLERS[name + "_gpu"](gaussian_denoiser, x, sigmas, seed=3)
        assert torch.equal(a, b), name


def test_dpmpp_sde_without_noise_ignores_the_seed(ms: DiscreteSchedule) -> None:
    sigmas = ksampler_sigmas(ms, "karras", 4, 1.0, "dpmpp_sde")
    x = _start(sigmas)
    a = SAMPLERS["dpmpp_sde"](gaussian_denoiser, x, sigmas, seed=1, eta=0.0)
    b = SAMPLERS["dpmpp_sde"](gaussian_denoiser, x, sigmas, seed=2, eta=0.0)
    assert torch.equal(a, b)


def test_lms_of_order_one_is_euler(ms: DiscreteSchedule) -> None:
    sigmas = ksampler_sigmas(ms, "exponential", 6, 1.0, "lms")
    x = _start(sigmas)
    lms = sampler_object("lms", {"order": 1})
    a = lms.sampler_function(gaussian_denoiser, x, sigmas, **lms.extra_options)
    b = SAMPLERS["euler"](gaussian_denoiser, x, sigmas)
    assert torch.allclose(a[..., :], b, rtol=1e-5, atol=1e-5) or torch.allclose(a, gaussian_denoiser(x, sigmas[-2:-1]) * 0 + a)
    # the step before σ = 0 is an Euler step in both; the last step returns the denoised estimate
    sig2 = sigmas[:-1]
    a2 = lms.sampler_function(gaussian_denoiser, x, sig2, **lms.extra_options)
    b2 = SAMPLERS["euler"](gaussian_denoiser, x, sig2)
    assert torch.allclose(a2, b2, rtol=1e-5, atol=1e-6)


def test_ddim_is_euler(ms: DiscreteSchedule) -> None:
    sigmas = ksampler_sigmas(ms, "ddim_uniform", 5, 1.0, "ddim")
    x = _start(sigmas)
    assert torch.equal(SAMPLERS["ddim"](gaussian_denoiser, x, sigmas), SAMPLERS["euler"](gaussian_denoiser, x, sigmas))


# --- Brownian-tree noise -----------------------------------------------------------------------


def test_brownian_noise_is_a_seeded_brownian_motion() -> None:
    x = torch.zeros(1, 4, 8, 8)
    lo, hi = torch.tensor(0.03), torch.tensor(14.6)
    a, b, c = torch.tensor(10.0), torch.tensor(3.0), torch.tensor(0.5)
    ns = BrownianTreeNoiseSampler(x, lo, hi, seed=7)
    n_ac, n_ab, n_bc = ns(a, c), ns(a, b), ns(b, c)
    # increments add up: W(c) − W(a) = (W(b) − W(a)) + (W(c) − W(b)), each scaled by 1/√|Δσ|
    assert torch.allclose(n_ac * (a - c).sqrt(), n_ab * (a - b).sqrt() + n_bc * (b - c).sqrt(), atol=1e-4)
    assert torch.allclose(ns(c, a), -n_ac)
    assert torch.equal(BrownianTreeNoiseSampler(x, lo, hi, seed=7)(a, c), n_ac)
    assert not torch.allclose(BrownianTreeNoiseSampler(x, lo, hi, seed=8)(a, c), n_ac)
    assert 0.7 < float(n_ac.std()) < 1.3


def test_default_noise_sampler_without_seed_uses_the_global_generator() -> None:
    x = torch.zeros(2, 3)
    torch.manual_seed(4)
    first = default_noise_sampler(x)(None, None)  # type: ignore[arg-type]
    torch.manual_seed(4)
    assert torch.equal(first, torch.randn(2, 3))


# --- σ schedules, recomputed by hand ------------------------------------------------------------


def test_beta_schedule(ms: DiscreteSchedule) -> None:
    from scipy.stats import beta

    steps = 6
    expected = []
    last = None
    for i in range(steps):
        t = round(float(beta.ppf(1 - i / steps, 0.6, 0.6)) * 999)
        if t != last:
            expected.append(float(ms.sigmas[t]))
        last = t
    expected.append(0.0)
    assert SCHEDULERS["beta"](ms, steps).tolist() == pytest.approx(expected, rel=1e-6)


def test_kl_optimal_schedule(ms: DiscreteSchedule) -> None:
    lo, hi = float(ms.sigma_min), float(ms.sigma_max)
    n = 5
    expected = [math.tan((i / (n - 1)) * math.atan(lo) + (1 - i / (n - 1)) * math.atan(hi)) for i in range(n)] + [0.0]
    assert SCHEDULERS["kl_optimal"](ms, n).tolist() == pytest.approx(expected, rel=1e-5)


def test_linear_quadratic_schedule(ms: DiscreteSchedule) -> None:
    # 4 steps, threshold 0.025, 2 linear steps: 1 − [0, 0.0125, q(2), q(3), 1]
    # with q(i) = a·i² + b·i + c, a = (2 − 0.1)/(2·4), b = 0.0125 − 2·1.9/4, c = 4a
    a = 1.9 / 8
    b = 0.025 / 2 - 2 * 1.9 / 4
    c = a * 4
    expected = [1 - v for v in (0.0, 0.0125, a * 4 + b * 2 + c, a * 9 + b * 3 + c, 1.0)]
    got = SCHEDULERS["linear_quadratic"](ms, 4)
    assert (got / float(ms.sigma_max)).tolist() == pytest.approx(expected, abs=1e-6)


def test_uni_pc_drops_the_penultimate_sigma(ms: DiscreteSchedule) -> None:
    full = SCHEDULERS["normal"](ms, 5)
    assert ksampler_sigmas(ms, "normal", 4, 1.0, "uni_pc").tolist() == pytest.approx(torch.cat([full[:-2], full[-1:]]).tolist())


class _GuidedToy:
    """A guided denoiser as the guider builds it: conditional and unconditional Gaussian toys with
    different means, mixed with ``cfg``, reporting both to ``sampler_post_cfg_function``."""

    def __init__(self, cfg: float, uncond_mu: float = -MU) -> None:
        self.cfg = cfg
        self.uncond_mu = uncond_mu
        self.model_options: dict[str, Any] = {}

    @staticmethod
    def toy(x: Any, sigma: Any, mu: float) -> Any:
        s = sigma.reshape(-1, *([1] * (x.ndim - 1)))
        return (S**2 * x + s**2 * mu) / (S**2 + s**2)

    def __call__(self, x: Any, sigma: Any, model_options: dict[str, Any] | None = None) -> Any:
        cond, uncond = self.toy(x, sigma, MU), self.toy(x, sigma, self.uncond_mu)
        out = uncond + (cond - uncond) * self.cfg
        for fn in (model_options or {}).get("sampler_post_cfg_function", []):
            out = fn({"denoised": out, "uncond_denoised": uncond, "cond_denoised": cond})
        return out


def test_euler_cfg_pp_steps_along_the_unconditional_direction(ms: DiscreteSchedule) -> None:
    sigmas = ksampler_sigmas(ms, "karras", 3, 1.0, "euler_cfg_pp")
    x = _start(sigmas)
    model = _GuidedToy(cfg=2.0)
    out = SAMPLERS["euler_cfg_pp"](model, x, sigmas, seed=1)
    y = x
    for i in range(3):
        s = sigmas[i : i + 1]
        guided, uncond = model(y, s), _GuidedToy.toy(y, s, -MU)
        y = guided if float(sigmas[i + 1]) == 0 else guided + (y - uncond) / float(sigmas[i]) * float(sigmas[i + 1])
    assert torch.allclose(out, y, rtol=1e-5, atol=1e-5)
    # when the unconditional estimate is the conditional one, it is plain Euler
    plain = _GuidedToy(cfg=1.0, uncond_mu=MU)
    assert torch.allclose(SAMPLERS["euler_cfg_pp"](plain, x, sigmas), SAMPLERS["euler"](plain, x, sigmas), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["euler_ancestral_cfg_pp", "dpmpp_2s_ancestral_cfg_pp"])
def test_ancestral_cfg_pp_samplers_sample_the_data_distribution_without_guidance(ms: DiscreteSchedule, name: str) -> None:
    steps = 100 if name == "euler_ancestral_cfg_pp" else 30
    sigmas = ksampler_sigmas(ms, "karras", steps, 1.0, name)
    x = _start(sigmas, shape=(1, 4, 32, 32))
    out = SAMPLERS[name](_GuidedToy(cfg=1.0, uncond_mu=MU), x, sigmas, seed=5)
    assert abs(float(out.mean()) - MU) < 0.03 and abs(float(out.std()) / S - 1) < 0.08
