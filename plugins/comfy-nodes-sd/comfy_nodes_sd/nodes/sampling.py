"""Sampling nodes: ``KSampler`` and ``KSamplerAdvanced`` ("KSampler (Advanced)").

``sampler_name`` and ``scheduler`` list the implemented samplers and schedulers in ComfyUI's order
(``comfy_nodes_sd.sampling.SAMPLER_NAMES`` / ``SCHEDULER_NAMES``). Both nodes run
:func:`comfy_nodes_sd.sampling.ksampler.sample` (ComfyUI's ``common_ksampler``): the LATENT's
``noise_mask`` makes it inpaint, its ``batch_index`` picks each image's noise, and the output LATENT
keeps the input's other keys. Progress: one update per step, with a latent preview.
"""

from __future__ import annotations

from typing import Any

from ..sampling.samplers import SAMPLER_NAMES
from ..sampling.schedulers import SCHEDULER_NAMES

MAX_SEED = 0xFFFFFFFFFFFFFFFF

_CFG = (
    "FLOAT",
    {
        "default": 8.0,
        "min": 0.0,
        "max": 100.0,
        "step": 0.1,
        "round": 0.01,
        "tooltip": "The Classifier-Free Guidance scale balances creativity and adherence to the prompt. "
        "Higher values result in images more closely matching the prompt however too high values will "
        "negatively impact quality.",
    },
)
_SAMPLER = (
    list(SAMPLER_NAMES),
    {"tooltip": "The algorithm used when sampling, this can affect the quality, speed, and style of the generated output."},
)
_SCHEDULER = (list(SCHEDULER_NAMES), {"tooltip": "The scheduler controls how noise is gradually removed to form the image."})
SEED_INPUT = ("INT", {"default": 0, "min": 0, "max": MAX_SEED, "control_after_generate": True})
"""A seed input without tooltip (KSamplerAdvanced, SamplerCustom, RandomNoise)."""
CFG_INPUT = ("FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01})
"""A cfg input without tooltip (KSamplerAdvanced, SamplerCustom, CFGGuider)."""


def step_callback(steps: int) -> Any:
    """A sampler callback that reports progress (and a preview of the denoised latent) per step;
    it also keeps the last denoised latent under ``callback.x0`` (SamplerCustom's second output)."""
    from comfy.utils import ProgressBar

    from ..previews import make_previewer

    progress = ProgressBar(steps)
    previewer = make_previewer()

    def on_step(i: int, total: int, info: dict[str, Any]) -> None:
        denoised = info.get("denoised")
        on_step.x0 = denoised  # type: ignore[attr-defined]
        frame = previewer(denoised) if previewer is not None and denoised is not None else None
        progress.update_absolute(i + 1, total, frame)

    on_step.x0 = None  # type: ignore[attr-defined]
    return on_step


def common_ksampler(
    model: Any,
    seed: int,
    steps: int,
    cfg: float,
    sampler_name: str,
    scheduler: str,
    positive: list[Any],
    negative: list[Any],
    latent: dict[str, Any],
    denoise: float = 1.0,
    disable_noise: bool = False,
    start_step: int | None = None,
    last_step: int | None = None,
    force_full_denoise: bool = False,
) -> tuple[dict[str, Any]]:
    """ComfyUI's ``common_ksampler``: sample ``latent`` and return a copy with the new samples."""
    from ..sampling.ksampler import sample

    samples = sample(
        model,
        latent["samples"],
        seed=seed,
        steps=steps,
        cfg=cfg,
        sampler_name=sampler_name,
        scheduler=scheduler,
        positive=positive,
        negative=negative,
        denoise=denoise,
        disable_noise=disable_noise,
        start_step=start_step,
        last_step=last_step,
        force_full_denoise=force_full_denoise,
        noise_mask=latent.get("noise_mask"),
        batch_index=latent.get("batch_index"),
        callback=step_callback(steps),
    )
    return (latent_with_samples(latent, samples),)


def latent_with_samples(latent: dict[str, Any], samples: Any) -> dict[str, Any]:
    """A copy of the LATENT ``latent`` (its other keys kept) holding the sampled ``samples``."""
    out = latent.copy()
    out.pop("downscale_ratio_spacial", None)
    out["samples"] = samples
    return out


class KSampler:
    """Denoises a latent with a model, positive and negative conditioning."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The model used for denoising the input latent."}),
                "seed": (
                    "INT",
                    {
                        "default": 0,
                        "min": 0,
                        "max": MAX_SEED,
                        "control_after_generate": True,
                        "tooltip": "The random seed used for creating the noise.",
                    },
                ),
                "steps": ("INT", {"default": 20, "min": 1, "max": 10000, "tooltip": "The number of steps used in the denoising process."}),
                "cfg": _CFG,
                "sampler_name": _SAMPLER,
                "scheduler": _SCHEDULER,
                "positive": ("CONDITIONING", {"tooltip": "The conditioning describing the attributes you want to include in the image."}),
                "negative": ("CONDITIONING", {"tooltip": "The conditioning describing the attributes you want to exclude from the image."}),
                "latent_image": ("LATENT", {"tooltip": "The latent image to denoise."}),
                "denoise": (
                    "FLOAT",
                    {
                        "default": 1.0,
                        "min": 0.0,
                        "max": 1.0,
                        "step": 0.01,
                        "tooltip": "The amount of denoising applied, lower values will maintain the structure of the "
                        "initial image allowing for image to image sampling.",
                    },
                ),
            }
        }

    RETURN_TYPES = ("LATENT",)
    OUTPUT_TOOLTIPS = ("The denoised latent.",)
    FUNCTION = "sample"
    CATEGORY = "sampling"
    DESCRIPTION = "Uses the provided model, positive and negative conditioning to denoise the latent image."

    def sample(
        self,
        model: Any,
        seed: int,
        steps: int,
        cfg: float,
        sampler_name: str,
        scheduler: str,
        positive: list[Any],
        negative: list[Any],
        latent_image: dict[str, Any],
        denoise: float = 1.0,
    ) -> tuple[dict[str, Any]]:
        return common_ksampler(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise=denoise)


class KSamplerAdvanced:
    """KSampler with control over noise and the range of steps: run part of a schedule, leave the
    remaining noise in the latent, continue it in a second KSamplerAdvanced."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "add_noise": (["enable", "disable"],),
                "noise_seed": SEED_INPUT,
                "steps": ("INT", {"default": 20, "min": 1, "max": 10000}),
                "cfg": CFG_INPUT,
                "sampler_name": (list(SAMPLER_NAMES),),
                "scheduler": (list(SCHEDULER_NAMES),),
                "positive": ("CONDITIONING",),
                "negative": ("CONDITIONING",),
                "latent_image": ("LATENT",),
                "start_at_step": ("INT", {"default": 0, "min": 0, "max": 10000}),
                "end_at_step": ("INT", {"default": 10000, "min": 0, "max": 10000}),
                "return_with_leftover_noise": (["disable", "enable"],),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "sample"
    CATEGORY = "sampling"

    def sample(
        self,
        model: Any,
        add_noise: str,
        noise_seed: int,
        steps: int,
        cfg: float,
        sampler_name: str,
        scheduler: str,
        positive: list[Any],
        negative: list[Any],
        latent_image: dict[str, Any],
        start_at_step: int,
        end_at_step: int,
        return_with_leftover_noise: str,
        denoise: float = 1.0,
    ) -> tuple[dict[str, Any]]:
        force_full_denoise = return_with_leftover_noise != "enable"
        disable_noise = add_noise == "disable"
        return common_ksampler(
            model,
            noise_seed,
            steps,
            cfg,
            sampler_name,
            scheduler,
            positive,
            negative,
            latent_image,
            denoise=denoise,
            disable_noise=disable_noise,
            start_step=start_at_step,
            last_step=end_at_step,
            force_full_denoise=force_full_denoise,
        )


NODE_CLASS_MAPPINGS = {"KSampler": KSampler, "KSamplerAdvanced": KSamplerAdvanced}
NODE_DISPLAY_NAME_MAPPINGS = {"KSampler": "KSampler", "KSamplerAdvanced": "KSampler (Advanced)"}
