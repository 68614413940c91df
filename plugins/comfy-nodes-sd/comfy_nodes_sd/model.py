"""MODEL: a diffusion model ready to sample (the role of ComfyUI's ``ModelPatcher``).

:class:`DiffusionModel` holds the UNet, its noise schedule (``model_sampling``), latent format and
family, the device and dtype it runs in, and ``model_options`` (a dict nodes may copy and extend, as
ComfyUI's model patches do). :meth:`apply_model` turns a noisy latent at noise level σ into the
denoised estimate, ComfyUI's ``BaseModel.apply_model``: input scaling, the nearest discrete
timestep, the UNet in its dtype, the prediction converted back in fp32.

Weight patches (LoRA): ``add_patches`` gives this MODEL (usually a fresh clone) a new
:class:`~comfy_nodes_sd.patches.PatchSet`; the shared UNet is patched when this MODEL runs and
restored when a clone without those patches runs (``comfy_nodes_sd.patches``). Before each run the
UNet is also placed on its device by the model manager (``comfy_nodes_sd.memory``).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from .families import Family, LatentFormat
    from .models.unet import UNetModel
    from .sampling.model_sampling import DiscreteSchedule

__all__ = ["DiffusionModel"]


class DiffusionModel:
    """The MODEL value passed between nodes."""

    def __init__(
        self,
        unet: "UNetModel",
        model_sampling: "DiscreteSchedule",
        family: "Family",
        device: "torch.device",
        dtype: "torch.dtype",
    ) -> None:
        self.diffusion_model = unet
        self.model_sampling = model_sampling
        self.family = family
        self.latent_format: "LatentFormat" = family.latent_format
        self.load_device = device
        self.dtype = dtype
        self.model_options: dict[str, Any] = {"transformer_options": {}}
        from .patches import EMPTY

        self.patches = EMPTY
        import torch

        from .devices import memory_format

        self.channels_last = memory_format() == torch.channels_last
        """Inputs go to the UNet in channels-last layout (``force_channels_last``)."""

    def clone(self) -> "DiffusionModel":
        """A new MODEL sharing the weights, with its own copy of ``model_options``."""
        other = copy.copy(self)
        other.model_options = copy.deepcopy(self.model_options)
        return other

    def add_patches(self, adapters: dict[str, Any], strength_patch: float = 1.0, strength_model: float = 1.0) -> list[str]:
        """Add weight changes (``{UNet parameter name: adapter}``) at ``strength_patch``; returns the
        names patched (ComfyUI's ``ModelPatcher.add_patches``). Unknown names are ignored."""
        from .patches import Patch, patcher_for

        params = dict(self.diffusion_model.named_parameters())
        known = {name: Patch(adapter, strength_patch, strength_model) for name, adapter in adapters.items() if name in params}
        if known:
            patcher_for(self.diffusion_model)
            self.patches = self.patches.extend(known)
        return list(known)

    def get_model_object(self, name: str) -> Any:
        """ComfyUI's accessor: ``"model_sampling"``, ``"latent_format"`` or ``"diffusion_model"``."""
        return getattr(self, name)

    def is_clone(self, other: Any) -> bool:
        return isinstance(other, DiffusionModel) and other.diffusion_model is self.diffusion_model

    def apply_model(
        self, x: "torch.Tensor", sigma: "torch.Tensor", context: "torch.Tensor", y: "torch.Tensor | None" = None
    ) -> "torch.Tensor":
        """Denoised estimate of ``x`` (fp32, on ``x``'s device) at noise levels ``sigma`` ``[B]``."""
        import torch

        from . import memory
        from .patches import wanting

        ms = self.model_sampling
        device = self.load_device
        memory.use(self.diffusion_model, device)
        with torch.no_grad():
            xc = ms.calculate_input(sigma, x).to(device=device, dtype=self.dtype)
            if self.channels_last:
                xc = xc.contiguous(memory_format=torch.channels_last)
            t = ms.timestep(sigma).float().to(device)
            ctx = context.to(device=device, dtype=self.dtype)
            if y is not None:
                y = y.to(device=device, dtype=self.dtype)
            with wanting(self.diffusion_model, self.patches):
                out = self.diffusion_model(xc, t, ctx, y).float().to(x.device)
        return ms.calculate_denoised(sigma, out, x)

    def __repr__(self) -> str:
        return f"<DiffusionModel {self.family.name} on {self.load_device} ({self.dtype})>"
