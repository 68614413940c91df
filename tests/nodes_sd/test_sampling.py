"""Noise schedule, σ schedulers, samplers and seeded noise (torch only, no checkpoint).

The σ tables were checked end to end by the reference workflows (euler/normal and dpmpp_2m/karras
reproduce ComfyUI's latents to 7e-6 relative); the others are pinned here as computed by ComfyUI's
formulas.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_sd.sampling import SAMPLER_NAMES, SCHEDULER_NAMES  # noqa: E402
from comfy_nodes_sd.sampling.model_sampling import DiscreteSchedule  # noqa: E402
from comfy_nodes_sd.sampling.noise import default_noise_sampler, prepare_noise  # noqa: E402
from comfy_nodes_sd.sampling.samplers import SAMPLERS  # noqa: E402
from comfy_nodes_sd.sampling.schedulers import SCHEDULERS, ksampler_sigmas  # noqa: E402


@pytest.fixture(scope="module")
def ms() -> DiscreteSchedule:
    return DiscreteSchedule()


def test_sd1_schedule(ms: DiscreteSchedule) -> None:
    assert ms.sigmas.dtype == torch.float32 and len(ms.sigmas) == 1000
    assert float(ms.sigma_min) == pytest.approx(0.0291671585, rel=1e-7)
    assert float(ms.sigma_max) == pytest.approx(14.6146411896, rel=1e-7)
    assert int(ms.timestep(ms.sigma_max)) == 999 and int(ms.timestep(ms.sigma_min)) == 0
    assert ms.timestep(torch.tensor([1.0, 0.5])).tolist() == [354, 169]
    assert float(ms.sigma(torch.tensor(999.0))) == pytest.approx(float(ms.sigma_max), rel=1e-6)
    mid = float(ms.sigma(torch.tensor(499.5)))
    assert float(ms.sigmas[499]) < mid < float(ms.sigmas[500])


SIGMA_TABLES = [
    # scheduler, 4-step σ
    ("normal", [14.61464, 2.918307, 0.932358, 0.029167, 0.0]),
    ("karras", [14.614643, 3.168605, 0.446919, 0.029167, 0.0]),
    ("exponential", [14.61464, 1.840024, 0.231664, 0.029167, 0.0]),
    ("sgm_uniform", [14.61464, 4.086081, 1.61558, 0.69515, 0.0]),
    ("simple", [14.614641, 4.081729, 1.612886, 0.693205, 0.0]),
    ("ddim_uniform", [4.116696, 1.623692, 0.698398, 0.041314, 0.0]),
]


@pytest.mark.parametrize(("name", "expected"), SIGMA_TABLES)
def test_sigma_tables(ms: DiscreteSchedule, name: str, expected: list[float]) -> None:
    sigmas = SCHEDULERS[name](ms, 4)
    assert sigmas.dtype == torch.float32
    assert sigmas.tolist() == pytest.approx(expected, abs=2e-6)


def test_every_scheduler_ends_at_zero_and_decreases(ms: DiscreteSchedule) -> None:
    assert SCHEDULER_NAMES == ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal"]
    for name, fn in SCHEDULERS.items():
        for steps in (1, 3, 20):
            if name == "kl_optimal" and steps == 1:
                assert bool(fn(ms, 1)[0].isnan())  # ComfyUI's formula divides by steps - 1
                continue
            sigmas = fn(ms, steps)
            assert len(sigmas) == steps + 1 and float(sigmas[-1]) == 0.0, name
            assert bool((sigmas[:-1] > sigmas[1:]).all()), name


KSAMPLER_SIGMAS = [
    # scheduler, steps, denoise, sampler, σ
    ("normal", 4, 1.0, "euler", [14.61464, 2.918307, 0.932358, 0.029167, 0.0]),
    ("normal", 4, 0.5, "euler", [1.276832, 0.79126, 0.439666, 0.029167, 0.0]),
    ("normal", 4, 0.0, "euler", []),
    ("normal", 4, 1.0, "dpm_2", [14.61464, 4.086081, 1.61558, 0.69515, 0.0]),
]


@pytest.mark.parametrize(("scheduler", "steps", "denoise", "sampler", "expected"), KSAMPLER_SIGMAS)
def test_ksampler_sigmas(ms: DiscreteSchedule, scheduler: str, steps: int, denoise: float, sampler: str, expected: list[float]) -> None:
    assert ksampler_sigmas(ms, scheduler, steps, denoise, sampler).tolist() == pytest.approx(expected, abs=2e-6)


def test_samplers_share_one_signature_and_name_their_algorithm() -> None:
    assert {"euler", "dpmpp_2m"} <= set(SAMPLER_NAMES) == set(SAMPLERS)
    for name, fn in SAMPLERS.items():
        params = inspect.signature(fn).parameters
        assert list(params)[:3] == ["model", "x", "sigmas"], name
        assert {"callback", "noise_sampler"} <= set(params), name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(params.values())[3:]), name
        assert fn.__doc__ and fn.__doc__.strip(), name


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_samplers_recover_a_known_clean_image(ms: DiscreteSchedule, name: str) -> None:
    """With a denoiser that always answers x0, every sampler must land exactly on x0."""
    x0 = torch.linspace(-1, 1, 2 * 4 * 3 * 3).reshape(2, 4, 3, 3)
    calls: list[Any] = []

    def model(x: Any, sigma: Any) -> Any:
        assert sigma.shape == (2,)
        return x0

    sigmas = ksampler_sigmas(ms, "karras", 5, 1.0, name)
    x = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0)) * sigmas[0]
    out = SAMPLERS[name](model, x, sigmas, callback=calls.append, noise_sampler=default_noise_sampler(x, 7))
    # UniPC stops at σ = 0.001 instead of 0 (ComfyUI's choice): 0.001 of the noise is left
    atol = 3e-3 if name.startswith("uni_pc") else 1e-5
    assert torch.allclose(out, x0, atol=atol)
    assert [c["i"] for c in calls] == list(range(len(sigmas) - 1))


def test_initial_noise_is_comfyuis(ms: DiscreteSchedule) -> None:
    latent = torch.zeros(2, 4, 3, 3)
    expected = torch.randn((2, 4, 3, 3), generator=torch.Generator().manual_seed(42))
    assert torch.equal(prepare_noise(latent, 42), expected)
    # with a batch_index: one [1, C, h, w] draw per index up to the largest, each sample takes its own
    g = torch.Generator().manual_seed(42)
    draws = [torch.randn((1, 4, 3, 3), generator=g) for _ in range(3)]
    assert torch.equal(prepare_noise(latent, 42, [2, 0]), torch.cat([draws[2], draws[0]]))


def test_ancestral_noise_uses_seed_plus_one_on_cpu() -> None:
    x = torch.zeros(1, 4, 2, 2)
    sampler = default_noise_sampler(x, seed=42)
    g = torch.Generator().manual_seed(43)
    first, second = torch.randn(x.shape, generator=g), torch.randn(x.shape, generator=g)
    assert torch.equal(sampler(None, None), first) and torch.equal(sampler(None, None), second)  # type: ignore[arg-type]


def test_eps_parameterisation(ms: DiscreteSchedule) -> None:
    sigma = torch.tensor([2.0])
    x = torch.full((1, 1, 1, 1), 3.0)
    assert float(ms.calculate_input(sigma, x)) == pytest.approx(3.0 / 5**0.5)
    assert float(ms.calculate_denoised(sigma, torch.full_like(x, 0.5), x)) == pytest.approx(2.0)
    noise = torch.ones(1, 1, 1, 1)
    assert float(ms.noise_scaling(sigma[0], noise, torch.zeros_like(noise), max_denoise=True)) == pytest.approx(5**0.5)
    assert float(ms.noise_scaling(sigma[0], noise, torch.ones_like(noise))) == pytest.approx(3.0)
