"""CFG++ samplers (Chung et al. 2024, "CFG++: Manifold-constrained Classifier Free Guidance"):
``euler_cfg_pp``, ``euler_ancestral_cfg_pp`` and ``dpmpp_2s_ancestral_cfg_pp``.

They step with the *unconditional* estimate for the noise direction and the guided estimate for
the data, so they need both from every model call. As in ComfyUI, they ask the guided denoiser for
them through ``model_options``: a ``sampler_post_cfg_function`` that records ``uncond_denoised``,
with ``disable_cfg1_optimization`` so the unconditional side is evaluated even at cfg 1. A plain
denoiser function (one without a ``model_options`` attribute, as in tests) is treated as its own
unconditional estimate. Same signature and conventions as :mod:`comfy_nodes_sd.sampling.samplers`.
"""

from __future__ import annotations

from typing import Any

from .samplers import _ancestral_step, _need_noise, _report, _to_d, register
from .samplers_extra import _dpmpp_2s_step

__all__ = ["sample_euler_cfg_pp", "sample_euler_ancestral_cfg_pp", "sample_dpmpp_2s_ancestral_cfg_pp"]


class _UncondRecorder:
    """Calls the denoiser with a post-CFG hook that keeps the latest unconditional estimate."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.uncond: Any = None
        self.guided = getattr(model, "model_options", None) is not None
        base = dict(getattr(model, "model_options", None) or {})
        base["sampler_post_cfg_function"] = list(base.get("sampler_post_cfg_function", [])) + [self._record]
        base["disable_cfg1_optimization"] = True
        self.options = base

    def _record(self, args: dict[str, Any]) -> Any:
        self.uncond = args["uncond_denoised"]
        return args["denoised"]

    def __call__(self, x: Any, sigma: Any) -> Any:
        self.uncond = None
        if self.guided:
            denoised = self.model(x, sigma, model_options=self.options)
        else:  # a bare denoiser function: no guidance, so uncond == denoised
            denoised = self.model(x, sigma)
        if self.uncond is None:
            self.uncond = denoised
        return denoised

    def uncond_at(self, x: Any, sigma: Any) -> Any:
        """The unconditional estimate alone (the guided one is computed and dropped)."""
        self(x, sigma)
        return self.uncond


def _lambda(sigma):  # type: ignore[no-untyped-def]
    return sigma.log().neg()


@register("euler_ancestral_cfg_pp")
def sample_euler_ancestral_cfg_pp(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0):  # type: ignore[no-untyped-def]
    """Ancestral Euler steps with CFG++: the step's noise direction comes from the unconditional
    estimate, its data term from the guided one (ComfyUI's ``sample_euler_ancestral_cfg_pp``)."""
    noise_sampler = _need_noise(noise_sampler, x, seed)
    call = _UncondRecorder(model)
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = call(x, sigmas[i] * s_in)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            alpha_s = sigmas[i] * _lambda(sigmas[i]).exp()
            alpha_t = sigmas[i + 1] * _lambda(sigmas[i + 1]).exp()
            d = _to_d(x, sigmas[i], alpha_s * call.uncond)
            sigma_down, sigma_up = _ancestral_step(sigmas[i] / alpha_s, sigmas[i + 1] / alpha_t, eta=eta)
            sigma_down = alpha_t * sigma_down
            x = alpha_t * denoised + sigma_down * d
            if eta > 0 and s_noise > 0:
                x = x + alpha_t * noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
    return x


@register("euler_cfg_pp")
def sample_euler_cfg_pp(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """Euler steps with CFG++ (the ancestral CFG++ sampler without noise, η = 0)."""
    return sample_euler_ancestral_cfg_pp(model, x, sigmas, callback=callback, noise_sampler=None, seed=seed, eta=0.0, s_noise=0.0)


@register("dpmpp_2s_ancestral_cfg_pp")
def sample_dpmpp_2s_ancestral_cfg_pp(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None, eta=1.0, s_noise=1.0):  # type: ignore[no-untyped-def]
    """Ancestral DPM-Solver++(2S) with CFG++: steps with the unconditional estimate, then adds the
    guidance vector (guided − unconditional) of the step's first evaluation."""
    noise_sampler = _need_noise(noise_sampler, x, seed)
    call = _UncondRecorder(model)
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = call(x, sigmas[i] * s_in)
        uncond_denoised = call.uncond
        guidance_vector = denoised - uncond_denoised
        sigma_down, sigma_up = _ancestral_step(sigmas[i], sigmas[i + 1], eta=eta)
        _report(callback, x, i, sigmas[i], sigmas[i], denoised)
        x = _dpmpp_2s_step(call.uncond_at, x, uncond_denoised, sigmas[i], sigma_down, s_in)
        if sigmas[i + 1] > 0:
            x = x + noise_sampler(sigmas[i], sigmas[i + 1]) * s_noise * sigma_up
        x += guidance_vector
    return x
