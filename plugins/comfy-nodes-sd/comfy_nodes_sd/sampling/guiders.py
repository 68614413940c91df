"""GUIDER values: what turns a MODEL and conditioning into the denoiser a sampler runs (ComfyUI's
``comfy.samplers.CFGGuider`` and the ``BasicGuider`` node's guider).

``guider.sample(noise, latent_image, sampler, sigmas, ...)`` is the whole sampling run after the
noise and the σ schedule are chosen, as ComfyUI's ``CFGGuider.sample`` does it:

1. An empty σ schedule returns the latent unchanged.
2. The noise mask (if any) is resized to the latent (bilinear) and repeated over channels and batch.
3. Noise, latent and σ go to the model's device in fp32; a non-zero latent is scaled into the
   model's space (``process_in``).
4. The conditioning is prepared (:func:`~comfy_nodes_sd.sampling.model_wrapper.process_conds`).
5. The SAMPLER runs the guided denoiser; the result goes back to VAE space (``process_out``, fp32).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from ..model import DiffusionModel
    from .ksampler import SamplerObject

__all__ = ["CFGGuider", "BasicGuider", "prepare_mask"]


def prepare_mask(mask: "torch.Tensor", shape: "torch.Size", device: Any) -> "torch.Tensor":
    """A noise mask ``[B?, H, W]`` resized (bilinear) to the latent and repeated over channels and batch."""
    import torch.nn.functional as F
    from comfy.utils import repeat_to_batch_size

    mask = F.interpolate(mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).float(), size=(shape[2], shape[3]), mode="bilinear")
    if mask.shape[1] < shape[1]:
        mask = mask.repeat((1, shape[1], 1, 1))[:, : shape[1]]
    mask = repeat_to_batch_size(mask, shape[0])
    return mask.to(device)


class CFGGuider:
    """Classifier-free guidance between ``positive`` and ``negative`` at scale ``cfg`` (the GUIDER type)."""

    def __init__(self, model: "DiffusionModel") -> None:
        self.model_patcher = model
        self.model_options: dict[str, Any] = getattr(model, "model_options", {}) or {}
        self.original_conds: dict[str, list[dict[str, Any]]] = {}
        self.cfg = 1.0

    def set_conds(self, positive: list[Any], negative: list[Any]) -> None:
        self.inner_set_conds({"positive": positive, "negative": negative})

    def set_cfg(self, cfg: float) -> None:
        self.cfg = float(cfg)

    def inner_set_conds(self, conds: dict[str, list[Any]]) -> None:
        from .model_wrapper import convert_cond

        for k, v in conds.items():
            self.original_conds[k] = convert_cond(v)

    def predict(
        self, x: "torch.Tensor", sigma: "torch.Tensor", conds: dict[str, list[dict[str, Any]]], model_options: dict[str, Any] | None = None
    ) -> "torch.Tensor":
        """The guided denoised estimate at ``sigma`` ``[B]``; ``model_options`` (a sampler's own, e.g.
        the CFG++ samplers' post-CFG hook) replace the model's for this call."""
        from .model_wrapper import sampling_function

        options = self.model_options if model_options is None else model_options
        return sampling_function(self.model_patcher, x, sigma, conds.get("negative"), conds.get("positive"), self.cfg, options)

    def sample(
        self,
        noise: "torch.Tensor",
        latent_image: "torch.Tensor",
        sampler: "SamplerObject",
        sigmas: "torch.Tensor",
        denoise_mask: "torch.Tensor | None" = None,
        callback: Any = None,
        seed: int | None = None,
    ) -> "torch.Tensor":
        """The sampled latent (VAE space, fp32, on the model's device)."""
        import torch

        from .model_wrapper import process_conds

        if sigmas.shape[-1] == 0:
            return latent_image
        model = self.model_patcher
        device = model.load_device
        if denoise_mask is not None:
            denoise_mask = prepare_mask(denoise_mask, latent_image.shape, device).float()
        conds = {k: [dict(c) for c in v] for k, v in self.original_conds.items()}

        noise = noise.to(device=device, dtype=torch.float32)
        latent_image = latent_image.to(device=device, dtype=torch.float32)
        sigmas = sigmas.to(device)
        if torch.count_nonzero(latent_image) > 0:  # the empty latent is not shifted
            latent_image = model.latent_format.process_in(latent_image)
        conds = process_conds(model, noise, conds, device, latent_image, denoise_mask, seed)

        def denoiser(x: "torch.Tensor", sigma: "torch.Tensor", model_options: dict[str, Any] | None = None) -> "torch.Tensor":
            return self.predict(x, sigma, conds, model_options)

        denoiser.model_options = self.model_options  # type: ignore[attr-defined]
        samples = sampler.sample(denoiser, model, sigmas, seed, callback, noise, latent_image, denoise_mask)
        return model.latent_format.process_out(samples.to(torch.float32))


class BasicGuider(CFGGuider):
    """The positive conditioning alone, no guidance (``BasicGuider`` node)."""

    def set_conds(self, positive: list[Any], negative: list[Any] | None = None) -> None:  # type: ignore[override]
        self.inner_set_conds({"positive": positive})
