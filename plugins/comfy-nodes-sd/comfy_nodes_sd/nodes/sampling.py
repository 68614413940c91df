"""Sampling nodes: ``KSampler``.

``sampler_name`` and ``scheduler`` list the registered samplers and schedulers
(``comfy_nodes_sd.sampling.samplers.SAMPLERS``, ``...schedulers.SCHEDULERS``).
"""

from __future__ import annotations

from typing import Any

from ..sampling.samplers import SAMPLERS
from ..sampling.schedulers import SCHEDULERS

MAX_SEED = 0xFFFFFFFFFFFFFFFF


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
                "cfg": (
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
                ),
                "sampler_name": (
                    list(SAMPLERS),
                    {"tooltip": "The algorithm used when sampling, this can affect the quality, speed, and style of the generated output."},
                ),
                "scheduler": (
                    list(SCHEDULERS),
                    {"tooltip": "The scheduler controls how noise is gradually removed to form the image."},
                ),
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
        from comfy.utils import ProgressBar

        from ..sampling.ksampler import sample

        from ..previews import make_previewer

        progress = ProgressBar(steps)
        previewer = make_previewer()

        def on_step(i: int, total: int, info: dict[str, Any]) -> None:
            denoised = info.get("denoised")
            frame = previewer(denoised) if previewer is not None and denoised is not None else None
            progress.update_absolute(i + 1, total, frame)

        samples = sample(
            model,
            latent_image["samples"],
            seed=seed,
            steps=steps,
            cfg=cfg,
            sampler_name=sampler_name,
            scheduler=scheduler,
            positive=positive,
            negative=negative,
            denoise=denoise,
            noise_mask=latent_image.get("noise_mask"),
            batch_index=latent_image.get("batch_index"),
            callback=on_step,
        )
        out = latent_image.copy()
        out.pop("downscale_ratio_spacial", None)
        out["samples"] = samples
        return (out,)


NODE_CLASS_MAPPINGS = {"KSampler": KSampler}
NODE_DISPLAY_NAME_MAPPINGS = {"KSampler": "KSampler"}
