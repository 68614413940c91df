"""Samplers and KSampler features end to end on the tiny reference checkpoint (CPU, a few steps).

Text embeddings are fixed random tensors (the CLIP path is tested elsewhere); everything else is the
real UNet. Independent oracles: a hand-written Euler loop over ``apply_model`` (img2img with
guidance), the halves of a KSamplerAdvanced split against the full run, the unmasked latent
surviving inpainting, and per-image noise of ``batch_index``.
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_sd.nodes.sampling import KSamplerAdvanced  # noqa: E402
from comfy_nodes_sd.sampling.ksampler import sample  # noqa: E402
from comfy_nodes_sd.sampling.samplers import SAMPLER_NAMES  # noqa: E402
from comfy_nodes_sd.sampling.schedulers import SCHEDULER_NAMES, ksampler_sigmas  # noqa: E402

pytestmark = pytest.mark.slow

CORE = [name for name in SAMPLER_NAMES if not name.endswith(("_gpu", "_cfg_pp")) and name != "dpmpp_2m_sde_heun"]
"""Every algorithm once (the ``_gpu`` twins and the Heun flavour share their code, see the oracle tests;
the CFG++ variants have their own test below)."""


@pytest.fixture(scope="module")
def model(loaded_checkpoint: Any) -> Any:
    return loaded_checkpoint.model


@pytest.fixture(scope="module")
def conds() -> tuple[list[Any], list[Any]]:
    g = torch.Generator().manual_seed(1234)
    return [[torch.randn(1, 77, 768, generator=g), {}]], [[torch.randn(1, 77, 768, generator=g), {}]]


@pytest.fixture(scope="module")
def latent() -> Any:
    """A non-zero VAE-space latent (as VAEEncode would give)."""
    return torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(99)) * 5


def run(model: Any, conds: Any, latent: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {"seed": 7, "steps": 2, "cfg": 1.0, "sampler_name": "euler", "scheduler": "karras"}
    args.update(kw)
    return sample(model, latent, positive=conds[0], negative=conds[1], **args)


def test_core_list_covers_every_scheduler() -> None:
    assert len(CORE) >= len(SCHEDULER_NAMES)


@pytest.mark.parametrize("index", range(len(CORE)), ids=CORE)
def test_every_sampler_runs_end_to_end(model: Any, conds: Any, index: int) -> None:
    name, scheduler = CORE[index], SCHEDULER_NAMES[index % len(SCHEDULER_NAMES)]
    steps: list[int] = []
    out = run(model, conds, torch.zeros(1, 4, 8, 8), sampler_name=name, scheduler=scheduler, callback=lambda i, n, info: steps.append(n))
    assert out.shape == (1, 4, 8, 8) and out.dtype == torch.float32 and out.device.type == "cpu"
    assert bool(out.isfinite().all()), (name, scheduler)
    assert float(out.std()) > 1.0  # a real image latent, not the zeros it started from
    assert steps and set(steps) == {len(ksampler_sigmas(model.model_sampling, scheduler, 2, 1.0, name)) - 1}


def test_img2img_with_guidance_is_a_plain_euler_loop(model: Any, conds: Any, latent: Any) -> None:
    """denoise 0.6 of 2 steps: the tail of a 3-step schedule, from latent·0.18215 + σ₀·noise."""
    got = run(model, conds, latent, steps=2, cfg=3.0, denoise=0.6, scheduler="normal")
    sigmas = ksampler_sigmas(model.model_sampling, "normal", 3, 1.0, "euler")[-3:]
    noise = torch.randn(latent.shape, generator=torch.Generator().manual_seed(7))
    x = latent * 0.18215 + noise * sigmas[0]
    for i in range(2):
        s = sigmas[i : i + 1]
        cond = model.apply_model(x, s, conds[0][0][0])
        uncond = model.apply_model(x, s, conds[1][0][0])
        denoised = uncond + (cond - uncond) * 3.0
        x = x + (x - denoised) / s * (sigmas[i + 1] - s)
    expected = x / 0.18215
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-4 * float(expected.abs().max()))
    assert not torch.allclose(got, latent, atol=1e-2)


def test_ksampler_advanced_halves_equal_the_full_run(model: Any, conds: Any) -> None:
    node = KSamplerAdvanced()
    empty = {"samples": torch.zeros(1, 4, 8, 8)}
    common = {"model": model, "noise_seed": 5, "steps": 3, "cfg": 1.0, "sampler_name": "euler", "scheduler": "simple", "positive": conds[0], "negative": conds[1]}
    (full,) = node.sample(add_noise="enable", latent_image=empty, start_at_step=0, end_at_step=10000, return_with_leftover_noise="disable", **common)
    (first,) = node.sample(add_noise="enable", latent_image=empty, start_at_step=0, end_at_step=2, return_with_leftover_noise="enable", **common)
    (second,) = node.sample(add_noise="disable", latent_image=first, start_at_step=2, end_at_step=10000, return_with_leftover_noise="disable", **common)
    scale = float(full["samples"].abs().max())
    assert torch.allclose(second["samples"], full["samples"], rtol=1e-5, atol=1e-5 * scale)
    assert not torch.allclose(first["samples"], full["samples"], atol=1e-2 * scale)  # it still holds noise
    # starting at or after the last step returns the input untouched
    (same,) = node.sample(add_noise="enable", latent_image=first, start_at_step=3, end_at_step=10000, return_with_leftover_noise="disable", **common)
    assert torch.equal(same["samples"], first["samples"])


def test_inpainting_keeps_the_unmasked_latent(model: Any, conds: Any, latent: Any) -> None:
    mask = torch.ones(1, 64, 64)
    mask[:, :, :32] = 0.0  # keep the left half (pixels), i.e. latent columns 0..3
    outs = {}
    for name in ("euler", "ddim"):
        out = run(model, conds, latent, sampler_name=name, noise_mask=mask)
        scale = float(latent.abs().max())
        assert torch.allclose(out[..., :4], latent[..., :4], atol=1e-4 * scale), name
        assert not torch.allclose(out[..., 4:], latent[..., 4:], atol=1e-2), name
        outs[name] = out
    # ddim is euler except that the kept area is re-noised with its own noise (seed + 1)
    assert not torch.allclose(outs["euler"][..., 4:], outs["ddim"][..., 4:])


def test_batch_index_gives_each_image_its_own_noise(model: Any, conds: Any) -> None:
    both = run(model, conds, torch.zeros(2, 4, 8, 8), steps=1, batch_index=[0, 1])
    second = run(model, conds, torch.zeros(1, 4, 8, 8), steps=1, batch_index=[1])
    first = run(model, conds, torch.zeros(1, 4, 8, 8), steps=1)
    scale = float(both.abs().max())
    assert torch.allclose(both[1:], second, atol=1e-4 * scale)
    assert torch.allclose(both[:1], first, atol=1e-4 * scale)
    assert not torch.allclose(both[:1], both[1:])


def test_a_full_frame_area_changes_nothing(model: Any, conds: Any) -> None:
    plain = run(model, conds, torch.zeros(1, 4, 8, 8), steps=1, cfg=2.0)
    framed = [[conds[0][0][0], {"area": (8, 8, 0, 0), "strength": 1.0, "set_area_to_bounds": False}]]
    with_area = run(model, (framed, conds[1]), torch.zeros(1, 4, 8, 8), steps=1, cfg=2.0)
    assert torch.allclose(plain, with_area, rtol=1e-5, atol=1e-5 * float(plain.abs().max()))


def test_cfg_pp_sees_the_unconditional_estimate(model: Any, conds: Any) -> None:
    """With the negative prompt equal to the positive one, the unconditional estimate is the
    conditional one and euler_cfg_pp is euler; with a different negative they part ways (CFG++ steps
    along the unconditional direction, evaluated even at cfg 1)."""
    zeros = torch.zeros(1, 4, 8, 8)
    same = (conds[0], conds[0])
    euler = run(model, same, zeros, sampler_name="euler", cfg=1.0)
    cfg_pp = run(model, same, zeros, sampler_name="euler_cfg_pp", cfg=1.0)
    assert torch.allclose(euler, cfg_pp, rtol=1e-4, atol=1e-4 * float(euler.abs().max()))
    other = run(model, conds, zeros, sampler_name="euler_cfg_pp", cfg=1.0)
    # the first step moves along the negative prompt's direction (small here: the last step lands
    # on the guided estimate, and random weights depend little on the input), far above rounding
    assert float((other - euler).abs().max()) > 1e-2
