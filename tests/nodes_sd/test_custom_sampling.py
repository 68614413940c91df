"""Custom-sampling nodes: contracts, the σ nodes against their formulas, and the samplers on the tiny
checkpoint — SamplerCustomAdvanced(RandomNoise, CFGGuider, KSamplerSelect, BasicScheduler) and
SamplerCustom give KSampler's latent bit for bit."""

from __future__ import annotations

import math
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import comfy_nodes_sd  # noqa: E402
from comfy_nodes_sd.nodes import custom_sampling as cs  # noqa: E402
from comfy_nodes_sd.nodes.sampling import KSampler, KSamplerAdvanced  # noqa: E402
from comfy_nodes_sd.sampling.model_sampling import DiscreteSchedule  # noqa: E402
from comfy_nodes_sd.sampling.samplers import SAMPLER_NAMES  # noqa: E402
from comfy_nodes_sd.sampling.schedulers import SCHEDULER_NAMES, calculate_sigmas  # noqa: E402

NODES = comfy_nodes_sd.NODE_CLASS_MAPPINGS

CONTRACTS = [
    # class_type, required inputs, RETURN_TYPES
    ("SamplerCustom", ["model", "add_noise", "noise_seed", "cfg", "positive", "negative", "sampler", "sigmas", "latent_image"], ("LATENT", "LATENT")),
    ("SamplerCustomAdvanced", ["noise", "guider", "sampler", "sigmas", "latent_image"], ("LATENT", "LATENT")),
    ("KSamplerSelect", ["sampler_name"], ("SAMPLER",)),
    ("BasicScheduler", ["model", "scheduler", "steps", "denoise"], ("SIGMAS",)),
    ("KarrasScheduler", ["steps", "sigma_max", "sigma_min", "rho"], ("SIGMAS",)),
    ("ExponentialScheduler", ["steps", "sigma_max", "sigma_min"], ("SIGMAS",)),
    ("PolyexponentialScheduler", ["steps", "sigma_max", "sigma_min", "rho"], ("SIGMAS",)),
    ("VPScheduler", ["steps", "beta_d", "beta_min", "eps_s"], ("SIGMAS",)),
    ("SDTurboScheduler", ["model", "steps", "denoise"], ("SIGMAS",)),
    ("SplitSigmas", ["sigmas", "step"], ("SIGMAS", "SIGMAS")),
    ("SplitSigmasDenoise", ["sigmas", "denoise"], ("SIGMAS", "SIGMAS")),
    ("RandomNoise", ["noise_seed"], ("NOISE",)),
    ("DisableNoise", [], ("NOISE",)),
    ("CFGGuider", ["model", "positive", "negative", "cfg"], ("GUIDER",)),
    ("BasicGuider", ["model", "conditioning"], ("GUIDER",)),
    ("SamplerEulerAncestral", ["eta", "s_noise"], ("SAMPLER",)),
    ("SamplerDPMPP_2M_SDE", ["solver_type", "eta", "s_noise", "noise_device"], ("SAMPLER",)),
    (
        "KSamplerAdvanced",
        ["model", "add_noise", "noise_seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative", "latent_image", "start_at_step", "end_at_step", "return_with_leftover_noise"],
        ("LATENT",),
    ),
]


@pytest.mark.parametrize(("class_type", "inputs", "returns"), CONTRACTS)
def test_contract(class_type: str, inputs: list[str], returns: tuple[str, ...]) -> None:
    cls = NODES[class_type]
    assert list(cls.INPUT_TYPES()["required"]) == inputs
    assert cls.RETURN_TYPES == returns
    assert callable(getattr(cls(), cls.FUNCTION))


def test_combos_and_defaults() -> None:
    assert NODES["KSamplerSelect"].INPUT_TYPES()["required"]["sampler_name"][0] == SAMPLER_NAMES
    assert NODES["BasicScheduler"].INPUT_TYPES()["required"]["scheduler"][0] == SCHEDULER_NAMES
    adv = NODES["KSamplerAdvanced"].INPUT_TYPES()["required"]
    assert adv["add_noise"][0] == ["enable", "disable"] and adv["return_with_leftover_noise"][0] == ["disable", "enable"]
    assert adv["end_at_step"][1]["default"] == 10000
    assert NODES["SamplerCustom"].INPUT_TYPES()["required"]["add_noise"] == ("BOOLEAN", {"default": True})
    assert NODES["SamplerCustom"].RETURN_NAMES == ("output", "denoised_output")
    assert comfy_nodes_sd.NODE_DISPLAY_NAME_MAPPINGS["KSamplerAdvanced"] == "KSampler (Advanced)"


class _Model:
    model_sampling = DiscreteSchedule()


def test_sigma_nodes_follow_their_formulas() -> None:
    (karras,) = cs.KarrasScheduler().get_sigmas(4, 10.0, 0.1, 7.0)
    expected = [(10.0 ** (1 / 7) + i / 3 * (0.1 ** (1 / 7) - 10.0 ** (1 / 7))) ** 7 for i in range(4)] + [0.0]
    assert karras.tolist() == pytest.approx(expected, rel=1e-5)
    (expo,) = cs.ExponentialScheduler().get_sigmas(3, 10.0, 0.1)
    assert expo.tolist() == pytest.approx([10.0, 1.0, 0.1, 0.0], rel=1e-5)
    (poly,) = cs.PolyexponentialScheduler().get_sigmas(3, 10.0, 0.1, 2.0)
    assert poly.tolist() == pytest.approx([10.0, math.exp(0.25 * math.log(100) + math.log(0.1)), 0.1, 0.0], rel=1e-5)
    (vp,) = cs.VPScheduler().get_sigmas(2, 19.9, 0.1, 0.001)
    assert vp.tolist() == pytest.approx([math.sqrt(math.expm1(19.9 / 2 + 0.1)), math.sqrt(math.expm1(19.9 * 1e-6 / 2 + 1e-4)), 0.0], rel=1e-4)

    (basic,) = cs.BasicScheduler().get_sigmas(_Model(), "normal", 4, 1.0)
    assert torch.equal(basic, calculate_sigmas(_Model.model_sampling, "normal", 4))
    (half,) = cs.BasicScheduler().get_sigmas(_Model(), "karras", 3, 0.5)
    assert torch.equal(half, calculate_sigmas(_Model.model_sampling, "karras", 6)[-4:])
    (none,) = cs.BasicScheduler().get_sigmas(_Model(), "karras", 3, 0.0)
    assert none.shape == (0,)
    (turbo,) = cs.SDTurboScheduler().get_sigmas(_Model(), 2, 1.0)
    assert turbo.tolist() == pytest.approx([float(_Model.model_sampling.sigmas[999]), float(_Model.model_sampling.sigmas[899]), 0.0], rel=1e-5)

    sig = torch.tensor([5.0, 4.0, 3.0, 2.0, 1.0, 0.0])
    high, low = cs.SplitSigmas().get_sigmas(sig, 2)
    assert high.tolist() == [5.0, 4.0, 3.0] and low.tolist() == [3.0, 2.0, 1.0, 0.0]
    high, low = cs.SplitSigmasDenoise().get_sigmas(sig, 0.4)  # round(5 · 0.4) = 2 low steps
    assert high.tolist() == [5.0, 4.0, 3.0, 2.0] and low.tolist() == [2.0, 1.0, 0.0]
    (flipped,) = cs.FlipSigmas().get_sigmas(sig.clone())
    assert flipped.tolist() == pytest.approx([0.0001, 1.0, 2.0, 3.0, 4.0, 5.0])


def test_sampler_nodes_carry_their_options() -> None:
    (sampler,) = cs.SamplerDPMPP_2M_SDE().get_sampler("heun", 0.5, 1.2, "cpu")
    assert sampler.name == "dpmpp_2m_sde" and sampler.extra_options == {"eta": 0.5, "s_noise": 1.2, "solver_type": "heun"}
    (gpu,) = cs.SamplerDPMPP_SDE().get_sampler(1.0, 1.0, 0.5, "gpu")
    assert gpu.name == "dpmpp_sde_gpu"
    (ddim,) = cs.KSamplerSelect().get_sampler("ddim")
    assert ddim.inpaint_options == {"random": True}
    with pytest.raises(ValueError, match="unknown sampler"):
        cs.KSamplerSelect().get_sampler("nope")


def test_noise_nodes() -> None:
    latent = {"samples": torch.zeros(2, 4, 3, 3), "batch_index": [4, 1]}
    (noise,) = cs.RandomNoise().get_noise(9)
    g = torch.Generator().manual_seed(9)
    draws = [torch.randn((1, 4, 3, 3), generator=g) for _ in range(5)]
    assert noise.seed == 9 and torch.equal(noise.generate_noise(latent), torch.cat([draws[4], draws[1]]))
    (empty,) = cs.DisableNoise().get_noise()
    assert empty.seed == 0 and float(empty.generate_noise(latent).abs().sum()) == 0.0


# --- on the tiny checkpoint ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def model(loaded_checkpoint: Any) -> Any:
    return loaded_checkpoint.model


@pytest.fixture(scope="module")
def conds() -> tuple[list[Any], list[Any]]:
    g = torch.Generator().manual_seed(4321)
    return [[torch.randn(1, 77, 768, generator=g), {}]], [[torch.randn(1, 77, 768, generator=g), {}]]


SEED, STEPS, CFG, SAMPLER, SCHEDULER = 11, 2, 2.5, "euler_ancestral", "karras"


@pytest.fixture(scope="module")
def ksampler_latent(model: Any, conds: Any) -> Any:
    (out,) = KSampler().sample(model, SEED, STEPS, CFG, SAMPLER, SCHEDULER, conds[0], conds[1], {"samples": torch.zeros(1, 4, 8, 8)}, 1.0)
    return out["samples"]


@pytest.mark.slow
def test_sampler_custom_advanced_reproduces_ksampler(model: Any, conds: Any, ksampler_latent: Any) -> None:
    (noise,) = cs.RandomNoise().get_noise(SEED)
    (guider,) = cs.CFGGuider().get_guider(model, conds[0], conds[1], CFG)
    (sampler,) = cs.KSamplerSelect().get_sampler(SAMPLER)
    (sigmas,) = cs.BasicScheduler().get_sigmas(model, SCHEDULER, STEPS, 1.0)
    out, denoised = cs.SamplerCustomAdvanced().sample(noise, guider, sampler, sigmas, {"samples": torch.zeros(1, 4, 8, 8)})
    assert torch.equal(out["samples"], ksampler_latent)
    # the last step of euler_ancestral ends on the denoised estimate itself
    assert torch.equal(denoised["samples"], out["samples"])


@pytest.mark.slow
def test_sampler_custom_reproduces_ksampler(model: Any, conds: Any, ksampler_latent: Any) -> None:
    (sampler,) = cs.KSamplerSelect().get_sampler(SAMPLER)
    (sigmas,) = cs.BasicScheduler().get_sigmas(model, SCHEDULER, STEPS, 1.0)
    out, _ = cs.SamplerCustom().sample(model, True, SEED, CFG, conds[0], conds[1], sampler, sigmas, {"samples": torch.zeros(1, 4, 8, 8)})
    assert torch.equal(out["samples"], ksampler_latent)


@pytest.mark.slow
def test_basic_guider_without_noise_continues_a_latent_like_ksampler_advanced(model: Any, conds: Any) -> None:
    start = {"samples": torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(3)) * 20}
    (sigmas,) = cs.BasicScheduler().get_sigmas(model, "normal", 3, 1.0)
    _, low = cs.SplitSigmas().get_sigmas(sigmas, 2)
    (guider,) = cs.BasicGuider().get_guider(model, conds[0])
    (noise,) = cs.DisableNoise().get_noise()
    (sampler,) = cs.KSamplerSelect().get_sampler("euler")
    out, denoised = cs.SamplerCustomAdvanced().sample(noise, guider, sampler, low, start)
    (adv,) = KSamplerAdvanced().sample(model, "disable", 0, 3, 1.0, "euler", "normal", conds[0], conds[1], start, 2, 10000, "disable")
    assert torch.equal(out["samples"], adv["samples"])
    assert denoised["samples"].shape == (1, 4, 8, 8) and not torch.equal(denoised["samples"], start["samples"])
