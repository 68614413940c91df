"""Custom-sampling nodes (ComfyUI's ``comfy_extras/nodes_custom_sampler.py``): sampling split into
its parts, each a value passed between nodes.

- SIGMAS: a float32 tensor of noise levels, high to low (``BasicScheduler``, ``KarrasScheduler``, ...,
  ``SplitSigmas``).
- SAMPLER: a :class:`~comfy_nodes_sd.sampling.ksampler.SamplerObject` (``KSamplerSelect`` and the
  per-sampler nodes with their options).
- NOISE: an object with ``seed`` and ``generate_noise(latent_dict)`` (``RandomNoise``, ``DisableNoise``).
- GUIDER: a :class:`~comfy_nodes_sd.sampling.guiders.CFGGuider` (``CFGGuider``, ``BasicGuider``).

``SamplerCustom`` / ``SamplerCustomAdvanced`` return the sampled latent and the last denoised
estimate. With RandomNoise + CFGGuider + KSamplerSelect + BasicScheduler they compute exactly what
KSampler computes for the same seed.
"""

from __future__ import annotations

from typing import Any

from ..sampling.samplers import SAMPLER_NAMES
from ..sampling.schedulers import SCHEDULER_NAMES
from .sampling import CFG_INPUT, SEED_INPUT, latent_with_samples, step_callback

_SIGMA_MAX = ("FLOAT", {"default": 14.614642, "min": 0.0, "max": 5000.0, "step": 0.01, "round": False})
_SIGMA_MIN = ("FLOAT", {"default": 0.0291675, "min": 0.0, "max": 5000.0, "step": 0.01, "round": False})
_ETA = ("FLOAT", {"default": 1.0, "min": 0.0, "max": 100.0, "step": 0.01, "round": False})
_S_NOISE = ("FLOAT", {"default": 1.0, "min": 0.0, "max": 100.0, "step": 0.01, "round": False})
_NOISE_DEVICE = (["gpu", "cpu"],)
_STEPS = ("INT", {"default": 20, "min": 1, "max": 10000})


# --- noise -----------------------------------------------------------------------------------


class _NoiseNode:
    """Base of the nodes that output a NOISE."""

    RETURN_TYPES = ("NOISE",)
    FUNCTION = "get_noise"
    CATEGORY = "sampling/custom_sampling/noise"


class Noise_EmptyNoise:
    """NOISE of zeros (sampling without adding noise)."""

    def __init__(self) -> None:
        self.seed = 0

    def generate_noise(self, input_latent: dict[str, Any]) -> Any:
        import torch

        latent = input_latent["samples"]
        return torch.zeros(latent.shape, dtype=latent.dtype, layout=latent.layout, device="cpu")


class Noise_RandomNoise:
    """NOISE from a seed, drawn exactly as KSampler draws it (``batch_index`` respected)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def generate_noise(self, input_latent: dict[str, Any]) -> Any:
        from ..sampling.noise import prepare_noise

        return prepare_noise(input_latent["samples"], self.seed, input_latent.get("batch_index"))


class RandomNoise(_NoiseNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"noise_seed": SEED_INPUT}}

    def get_noise(self, noise_seed: int) -> tuple[Noise_RandomNoise]:
        return (Noise_RandomNoise(noise_seed),)


class DisableNoise(_NoiseNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {}}

    def get_noise(self) -> tuple[Noise_EmptyNoise]:
        return (Noise_EmptyNoise(),)


# --- schedulers ------------------------------------------------------------------------------


class _SchedulerNode:
    """Base of the nodes that compute a SIGMAS schedule."""

    RETURN_TYPES = ("SIGMAS",)
    FUNCTION = "get_sigmas"
    CATEGORY = "sampling/custom_sampling/schedulers"


class BasicScheduler(_SchedulerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "scheduler": (list(SCHEDULER_NAMES),),
                "steps": _STEPS,
                "denoise": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}),
            }
        }

    def get_sigmas(self, model: Any, scheduler: str, steps: int, denoise: float) -> tuple[Any]:
        import torch

        from ..sampling.schedulers import calculate_sigmas

        total_steps = steps
        if denoise < 1.0:
            if denoise <= 0.0:
                return (torch.zeros([0], dtype=torch.float32),)
            total_steps = int(steps / denoise)
        sigmas = calculate_sigmas(model.model_sampling, scheduler, total_steps).cpu()
        return (sigmas[-(steps + 1) :],)


class KarrasScheduler(_SchedulerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "steps": _STEPS,
                "sigma_max": _SIGMA_MAX,
                "sigma_min": _SIGMA_MIN,
                "rho": ("FLOAT", {"default": 7.0, "min": 0.0, "max": 100.0, "step": 0.01, "round": False}),
            }
        }

    def get_sigmas(self, steps: int, sigma_max: float, sigma_min: float, rho: float) -> tuple[Any]:
        from ..sampling.schedulers import karras_sigmas

        return (karras_sigmas(steps, sigma_min, sigma_max, rho),)


class ExponentialScheduler(_SchedulerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"steps": _STEPS, "sigma_max": _SIGMA_MAX, "sigma_min": _SIGMA_MIN}}

    def get_sigmas(self, steps: int, sigma_max: float, sigma_min: float) -> tuple[Any]:
        from ..sampling.schedulers import exponential_sigmas

        return (exponential_sigmas(steps, sigma_min, sigma_max),)


class PolyexponentialScheduler(_SchedulerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "steps": _STEPS,
                "sigma_max": _SIGMA_MAX,
                "sigma_min": _SIGMA_MIN,
                "rho": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 100.0, "step": 0.01, "round": False}),
            }
        }

    def get_sigmas(self, steps: int, sigma_max: float, sigma_min: float, rho: float) -> tuple[Any]:
        from ..sampling.schedulers import polyexponential_sigmas

        return (polyexponential_sigmas(steps, sigma_min, sigma_max, rho),)


class VPScheduler(_SchedulerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "steps": _STEPS,
                "beta_d": ("FLOAT", {"default": 19.9, "min": 0.0, "max": 5000.0, "step": 0.01, "round": False}),
                "beta_min": ("FLOAT", {"default": 0.1, "min": 0.0, "max": 5000.0, "step": 0.01, "round": False}),
                "eps_s": ("FLOAT", {"default": 0.001, "min": 0.0, "max": 1.0, "step": 0.0001, "round": False}),
            }
        }

    def get_sigmas(self, steps: int, beta_d: float, beta_min: float, eps_s: float) -> tuple[Any]:
        from ..sampling.schedulers import vp_sigmas

        return (vp_sigmas(steps, beta_d, beta_min, eps_s),)


class BetaSamplingScheduler(_SchedulerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "steps": _STEPS,
                "alpha": ("FLOAT", {"default": 0.6, "min": 0.0, "max": 50.0, "step": 0.01, "round": False}),
                "beta": ("FLOAT", {"default": 0.6, "min": 0.0, "max": 50.0, "step": 0.01, "round": False}),
            }
        }

    def get_sigmas(self, model: Any, steps: int, alpha: float, beta: float) -> tuple[Any]:
        from ..sampling.schedulers import beta_sigmas

        return (beta_sigmas(model.model_sampling, steps, alpha, beta),)


class SDTurboScheduler(_SchedulerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "steps": ("INT", {"default": 1, "min": 1, "max": 10}),
                "denoise": ("FLOAT", {"default": 1.0, "min": 0, "max": 1.0, "step": 0.01}),
            }
        }

    def get_sigmas(self, model: Any, steps: int, denoise: float) -> tuple[Any]:
        import torch

        start_step = 10 - int(10 * denoise)
        timesteps = torch.flip(torch.arange(1, 11) * 100 - 1, (0,))[start_step : start_step + steps]
        sigmas = model.model_sampling.sigma(timesteps)
        return (torch.cat([sigmas, sigmas.new_zeros([1])]),)


class _SplitSigmasNode:
    """Base of the nodes that split a SIGMAS schedule in two."""

    RETURN_TYPES = ("SIGMAS", "SIGMAS")
    RETURN_NAMES = ("high_sigmas", "low_sigmas")
    FUNCTION = "get_sigmas"
    CATEGORY = "sampling/custom_sampling/sigmas"


class SplitSigmas(_SplitSigmasNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"sigmas": ("SIGMAS",), "step": ("INT", {"default": 0, "min": 0, "max": 10000})}}

    def get_sigmas(self, sigmas: Any, step: int) -> tuple[Any, Any]:
        return (sigmas[: step + 1], sigmas[step:])


class SplitSigmasDenoise(_SplitSigmasNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"sigmas": ("SIGMAS",), "denoise": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01})}}

    def get_sigmas(self, sigmas: Any, denoise: float) -> tuple[Any, Any]:
        steps = max(sigmas.shape[-1] - 1, 0)
        total_steps = round(steps * denoise)
        return (sigmas[:-(total_steps)], sigmas[-(total_steps + 1) :])


class FlipSigmas:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"sigmas": ("SIGMAS",)}}

    RETURN_TYPES = ("SIGMAS",)
    FUNCTION = "get_sigmas"
    CATEGORY = "sampling/custom_sampling/sigmas"

    def get_sigmas(self, sigmas: Any) -> tuple[Any]:
        if len(sigmas) == 0:
            return (sigmas,)
        sigmas = sigmas.flip(0)
        if sigmas[0] == 0:
            sigmas[0] = 0.0001
        return (sigmas,)


# --- samplers --------------------------------------------------------------------------------


class _SamplerNode:
    """Base of the nodes that output a SAMPLER."""

    RETURN_TYPES = ("SAMPLER",)
    FUNCTION = "get_sampler"
    CATEGORY = "sampling/custom_sampling/samplers"


def _sampler(name: str, **options: Any) -> tuple[Any]:
    from ..sampling.ksampler import sampler_object

    return (sampler_object(name, options),)


class KSamplerSelect(_SamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"sampler_name": (list(SAMPLER_NAMES),)}}

    def get_sampler(self, sampler_name: str) -> tuple[Any]:
        return _sampler(sampler_name)


class SamplerEulerAncestral(_SamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"eta": _ETA, "s_noise": _S_NOISE}}

    def get_sampler(self, eta: float, s_noise: float) -> tuple[Any]:
        return _sampler("euler_ancestral", eta=eta, s_noise=s_noise)


class SamplerLMS(_SamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"order": ("INT", {"default": 4, "min": 1, "max": 100})}}

    def get_sampler(self, order: int) -> tuple[Any]:
        return _sampler("lms", order=order)


class SamplerDPMPP_2S_Ancestral(_SamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"eta": _ETA, "s_noise": _S_NOISE}}

    def get_sampler(self, eta: float, s_noise: float) -> tuple[Any]:
        return _sampler("dpmpp_2s_ancestral", eta=eta, s_noise=s_noise)


class SamplerDPMPP_SDE(_SamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "eta": _ETA,
                "s_noise": _S_NOISE,
                "r": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 100.0, "step": 0.01, "round": False}),
                "noise_device": _NOISE_DEVICE,
            }
        }

    def get_sampler(self, eta: float, s_noise: float, r: float, noise_device: str) -> tuple[Any]:
        return _sampler("dpmpp_sde" if noise_device == "cpu" else "dpmpp_sde_gpu", eta=eta, s_noise=s_noise, r=r)


class SamplerDPMPP_2M_SDE(_SamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"solver_type": (["midpoint", "heun"],), "eta": _ETA, "s_noise": _S_NOISE, "noise_device": _NOISE_DEVICE}}

    def get_sampler(self, solver_type: str, eta: float, s_noise: float, noise_device: str) -> tuple[Any]:
        name = "dpmpp_2m_sde" if noise_device == "cpu" else "dpmpp_2m_sde_gpu"
        return _sampler(name, eta=eta, s_noise=s_noise, solver_type=solver_type)


class SamplerDPMPP_3M_SDE(_SamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"eta": _ETA, "s_noise": _S_NOISE, "noise_device": _NOISE_DEVICE}}

    def get_sampler(self, eta: float, s_noise: float, noise_device: str) -> tuple[Any]:
        return _sampler("dpmpp_3m_sde" if noise_device == "cpu" else "dpmpp_3m_sde_gpu", eta=eta, s_noise=s_noise)


# --- guiders ---------------------------------------------------------------------------------


class _GuiderNode:
    """Base of the nodes that output a GUIDER."""

    RETURN_TYPES = ("GUIDER",)
    FUNCTION = "get_guider"
    CATEGORY = "sampling/custom_sampling/guiders"


class CFGGuider(_GuiderNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "positive": ("CONDITIONING",),
                "negative": ("CONDITIONING",),
                "cfg": CFG_INPUT,
            }
        }

    def get_guider(self, model: Any, positive: list[Any], negative: list[Any], cfg: float) -> tuple[Any]:
        from ..sampling.guiders import CFGGuider as Guider

        guider = Guider(model)
        guider.set_conds(positive, negative)
        guider.set_cfg(cfg)
        return (guider,)


class BasicGuider(_GuiderNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"model": ("MODEL",), "conditioning": ("CONDITIONING",)}}

    def get_guider(self, model: Any, conditioning: list[Any]) -> tuple[Any]:
        from ..sampling.guiders import BasicGuider as Guider

        guider = Guider(model)
        guider.set_conds(conditioning)
        return (guider,)


# --- the samplers that run it all -------------------------------------------------------------


def _outputs(latent: dict[str, Any], samples: Any, x0: Any, latent_format: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(output, denoised_output): the sampled latent and the last denoised estimate (VAE space)."""
    out = latent_with_samples(latent, samples)
    if x0 is None:
        return out, out
    denoised = latent.copy()
    denoised["samples"] = latent_format.process_out(x0.cpu())
    return out, denoised


def _prepare_latent(model: Any, latent_image: dict[str, Any]) -> dict[str, Any]:
    from ..sampling.ksampler import fix_empty_latent_channels

    latent = latent_image.copy()
    latent["samples"] = fix_empty_latent_channels(model, latent["samples"])
    return latent


class _CustomSamplerNode:
    """Base of SamplerCustom and SamplerCustomAdvanced: their outputs and the run they share."""

    RETURN_TYPES = ("LATENT", "LATENT")
    RETURN_NAMES = ("output", "denoised_output")
    FUNCTION = "sample"
    CATEGORY = "sampling/custom_sampling"

    @staticmethod
    def _run(model: Any, guider: Any, noise: Any, seed: int, sampler: Any, sigmas: Any, latent: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Samples the prepared ``latent`` from the drawn ``noise``, reporting progress per step."""
        from ..sampling.ksampler import sample_custom

        callback = step_callback(sigmas.shape[-1] - 1)
        samples = sample_custom(guider, noise, latent["samples"], sampler, sigmas, noise_mask=latent.get("noise_mask"), callback=callback, seed=seed)
        return _outputs(latent, samples, callback.x0, model.latent_format)


class SamplerCustom(_CustomSamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "add_noise": ("BOOLEAN", {"default": True}),
                "noise_seed": SEED_INPUT,
                "cfg": CFG_INPUT,
                "positive": ("CONDITIONING",),
                "negative": ("CONDITIONING",),
                "sampler": ("SAMPLER",),
                "sigmas": ("SIGMAS",),
                "latent_image": ("LATENT",),
            }
        }

    def sample(
        self, model: Any, add_noise: bool, noise_seed: int, cfg: float, positive: list[Any], negative: list[Any], sampler: Any, sigmas: Any, latent_image: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        from ..sampling.guiders import CFGGuider as Guider

        latent = _prepare_latent(model, latent_image)
        noise = (Noise_RandomNoise(noise_seed) if add_noise else Noise_EmptyNoise()).generate_noise(latent)
        guider = Guider(model)
        guider.set_conds(positive, negative)
        guider.set_cfg(cfg)
        return self._run(model, guider, noise, noise_seed, sampler, sigmas, latent)


class SamplerCustomAdvanced(_CustomSamplerNode):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "noise": ("NOISE",),
                "guider": ("GUIDER",),
                "sampler": ("SAMPLER",),
                "sigmas": ("SIGMAS",),
                "latent_image": ("LATENT",),
            }
        }

    def sample(self, noise: Any, guider: Any, sampler: Any, sigmas: Any, latent_image: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        model = guider.model_patcher
        latent = _prepare_latent(model, latent_image)
        return self._run(model, guider, noise.generate_noise(latent), noise.seed, sampler, sigmas, latent)


NODE_CLASS_MAPPINGS = {
    "SamplerCustom": SamplerCustom,
    "BasicScheduler": BasicScheduler,
    "KarrasScheduler": KarrasScheduler,
    "ExponentialScheduler": ExponentialScheduler,
    "PolyexponentialScheduler": PolyexponentialScheduler,
    "VPScheduler": VPScheduler,
    "BetaSamplingScheduler": BetaSamplingScheduler,
    "SDTurboScheduler": SDTurboScheduler,
    "KSamplerSelect": KSamplerSelect,
    "SamplerEulerAncestral": SamplerEulerAncestral,
    "SamplerLMS": SamplerLMS,
    "SamplerDPMPP_3M_SDE": SamplerDPMPP_3M_SDE,
    "SamplerDPMPP_2M_SDE": SamplerDPMPP_2M_SDE,
    "SamplerDPMPP_SDE": SamplerDPMPP_SDE,
    "SamplerDPMPP_2S_Ancestral": SamplerDPMPP_2S_Ancestral,
    "SplitSigmas": SplitSigmas,
    "SplitSigmasDenoise": SplitSigmasDenoise,
    "FlipSigmas": FlipSigmas,
    "CFGGuider": CFGGuider,
    "BasicGuider": BasicGuider,
    "RandomNoise": RandomNoise,
    "DisableNoise": DisableNoise,
    "SamplerCustomAdvanced": SamplerCustomAdvanced,
}
NODE_DISPLAY_NAME_MAPPINGS = {"CFGGuider": "CFG Guider", "BasicGuider": "Basic Guider"}
