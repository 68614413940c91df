"""The denoiser the samplers call: conditioning, areas and masks, classifier-free guidance and the
inpainting blend around :meth:`DiffusionModel.apply_model <comfy_nodes_sd.model.DiffusionModel.apply_model>`.

CONDITIONING is ComfyUI's list of ``[cond, options]`` pairs. Before sampling each side is turned
into entries (dicts, as ComfyUI's ``convert_cond`` makes them) and prepared as ComfyUI's
``process_conds`` does:

1. ``area`` given as percentages becomes latent cells (``round(p·size)``, height and width at least
   1); a ``mask`` is moved to the device and resized (bilinear) to the latent; ``set_area_to_bounds``
   replaces the area with the mask's bounding box (at least 8×8 cells).
2. ``start_percent`` / ``end_percent`` become σ bounds (``timestep_start`` / ``timestep_end``).
3. The model inputs: ``c_crossattn`` from the text embedding and, for families with ADM
   conditioning (SDXL), ``y`` (see :func:`encode_model_conds`).
4. Every entry with an area gets a partner of the same area on the other side (from the smallest
   entry of that side that contains it), so guidance never mixes different areas.

At each evaluation (:func:`calc_cond_batch`, ComfyUI's ``calc_cond_batch`` / ``get_area_and_mult``)
each active entry sees its area of ``x`` and contributes ``output · mult`` to its side, where
``mult = strength · mask · mask_strength`` (or, for a plain area, ``strength`` feathered over up to 8
cells at the inner borders); each side is the sum divided by the sum of mults (plus 1e-37). Entries
with the same input shape and concatenable inputs run as one batch, last entry first, as ComfyUI
batches them; cross-attention contexts of different lengths are padded by repetition to their
least common multiple (at most 4×). Guidance is ``uncond + (cond − uncond)·cfg``; with ``cfg == 1``
the negative side is skipped. ``model_options`` may carry ``sampler_cfg_function`` /
``sampler_post_cfg_function`` as in ComfyUI.

ControlNet, GLIGEN and hook keyframes are not implemented and raise ``NotImplementedError``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from ..model import DiffusionModel

__all__ = [
    "convert_cond",
    "process_conds",
    "calc_cond_batch",
    "sampling_function",
    "InpaintDenoiser",
    "CrossAttnCond",
    "RegularCond",
]

_UNSUPPORTED = ("control", "gligen", "hooks")


# --- model inputs that can be batched ---------------------------------------------------------


class RegularCond:
    """A model input batched as is (``y``): concatenable only with one of the same shape."""

    def __init__(self, cond: "torch.Tensor") -> None:
        self.cond = cond

    def process_cond(self, batch_size: int, device: Any) -> "RegularCond":
        from comfy.utils import repeat_to_batch_size

        return type(self)(repeat_to_batch_size(self.cond, batch_size).to(device))

    def can_concat(self, other: "RegularCond") -> bool:
        return self.cond.shape == other.cond.shape

    def concat(self, others: list["RegularCond"]) -> "torch.Tensor":
        import torch

        return torch.cat([self.cond] + [o.cond for o in others])


class CrossAttnCond(RegularCond):
    """A text context ``[B, tokens, dim]``: contexts of different lengths batch together, each
    repeated along the tokens to the least common multiple (at most 4× the shorter)."""

    def can_concat(self, other: "RegularCond") -> bool:
        s1, s2 = self.cond.shape, other.cond.shape
        if s1 != s2:
            if s1[0] != s2[0] or s1[2] != s2[2]:
                return False
            if math.lcm(s1[1], s2[1]) // min(s1[1], s2[1]) > 4:
                return False
        return True

    def concat(self, others: list["RegularCond"]) -> "torch.Tensor":
        import torch

        conds = [self.cond] + [o.cond for o in others]
        length = self.cond.shape[1]
        for c in conds[1:]:
            length = math.lcm(length, c.shape[1])
        return torch.cat([c.repeat(1, length // c.shape[1], 1) if c.shape[1] < length else c for c in conds])


# --- preparing the conditioning --------------------------------------------------------------


def convert_cond(conditioning: list[Any]) -> list[dict[str, Any]]:
    """CONDITIONING pairs as entry dicts: the options plus ``cross_attn`` and ``model_conds``."""
    out = []
    for entry in conditioning or []:
        options = dict(entry[1]) if len(entry) > 1 and entry[1] else {}
        unsupported = [k for k in _UNSUPPORTED if options.get(k) is not None]
        if unsupported:
            raise NotImplementedError(f"conditioning option(s) not supported yet: {', '.join(unsupported)}")
        options.setdefault("model_conds", {})
        options["model_conds"] = dict(options["model_conds"])
        if entry[0] is not None:
            options["cross_attn"] = entry[0]
        options["uuid"] = uuid.uuid4()
        out.append(options)
    return out


def _mask_bounds(mask: "torch.Tensor") -> tuple[int, int, int, int] | None:
    """(min x, min y, max x, max y) of the non-zero cells of a 2-D mask, or None when all zero."""
    import torch

    if not bool(torch.max(mask != 0)):
        return None
    y, x = torch.where(mask)
    return int(torch.min(x)), int(torch.min(y)), int(torch.max(x)), int(torch.max(y))


def resolve_areas_and_masks(conds: list[dict[str, Any]], height: int, width: int, device: Any) -> None:
    """Percent areas to cells, masks to the latent size and device, mask bounds as area (in place)."""
    import torch.nn.functional as F

    for i, c in enumerate(conds):
        if "area" in c:
            area = c["area"]
            if area[0] == "percentage":
                c = dict(c)
                a = area[1:]
                half = len(a) // 2
                dims = (height, width)
                c["area"] = tuple(max(1, round(a[d] * dims[d])) for d in range(2)) + tuple(round(a[d + half] * dims[d]) for d in range(2))
                conds[i] = c
        if "mask" in c:
            mask = c["mask"].to(device=device)
            c = dict(c)
            if mask.ndim == 2:
                mask = mask.unsqueeze(0)
            if tuple(mask.shape[1:]) != (height, width):
                mask = F.interpolate(mask.unsqueeze(1), size=(height, width), mode="bilinear").squeeze(1)
            if c.get("set_area_to_bounds", False):
                import torch

                bounds = _mask_bounds(torch.max(torch.abs(mask), dim=0).values)
                if bounds is None:
                    c["area"] = (8, 8, 0, 0)
                else:
                    x0, y0, x1, y1 = bounds
                    c["area"] = (max(8, y1 - y0 + 1), max(8, x1 - x0 + 1), y0, x0)
            c["mask"] = mask
            conds[i] = c


def _timestep_bounds(model: "DiffusionModel", conds: list[dict[str, Any]]) -> None:
    ms = model.model_sampling
    for i, c in enumerate(conds):
        start = end = None
        if "clip_start_percent" in c:
            start = ms.percent_to_sigma(max(c["clip_start_percent"], c.get("start_percent", 0.0)))
            end = ms.percent_to_sigma(min(c["clip_end_percent"], c.get("end_percent", 1.0)))
        else:
            if "start_percent" in c:
                start = ms.percent_to_sigma(c["start_percent"])
            if "end_percent" in c:
                end = ms.percent_to_sigma(c["end_percent"])
        if start is not None or end is not None:
            c = dict(c)
            if start is not None:
                c["timestep_start"] = start
            if end is not None:
                c["timestep_end"] = end
            conds[i] = c


def encode_model_conds(model: "DiffusionModel", conds: list[dict[str, Any]], noise: "torch.Tensor", device: Any, prompt_type: str, **extra: Any) -> None:
    """The model inputs of each entry (ComfyUI's ``extra_conds``): ``c_crossattn`` from the text and,
    for families with an ADM input (``family.adm``: SDXL and its refiner), ``y`` from
    :func:`comfy_nodes_sd.adm.encode_adm`. The options it reads are ComfyUI's: the entry's own
    (``pooled_output``, ``width``, ``crop_w``, ...) with ``width``/``height`` defaulting to the latent
    size in pixels and ``prompt_type`` to the side ("positive"/"negative")."""
    family = getattr(model, "family", None)
    for i, c in enumerate(conds):
        params = dict(c)
        params["device"] = device
        params["noise"] = noise
        params["width"] = params.get("width", noise.shape[3] * 8)
        params["height"] = params.get("height", noise.shape[2] * 8)
        params["prompt_type"] = params.get("prompt_type", prompt_type)
        for k, v in extra.items():
            params.setdefault(k, v)
        model_conds = dict(c["model_conds"])
        if getattr(family, "adm", None) is not None:
            from ..adm import encode_adm

            adm = encode_adm(family, params, tuple(noise.shape), params["prompt_type"])
            if adm is not None:
                model_conds["y"] = RegularCond(adm)
        if params.get("cross_attn") is not None:
            model_conds["c_crossattn"] = CrossAttnCond(params["cross_attn"])
        c = dict(c)
        c["model_conds"] = model_conds
        conds[i] = c


def _area_inside(a: tuple[int, ...], outer: tuple[int, ...]) -> bool:
    if a[2] < outer[2] or a[3] < outer[3]:
        return False
    return a[0] + a[2] <= outer[0] + outer[2] and a[1] + a[3] <= outer[1] + outer[3]


def _add_same_area(conds: list[dict[str, Any]], c: dict[str, Any]) -> None:
    """ComfyUI's ``create_cond_with_same_area_if_none``: give ``conds`` an entry with ``c``'s area."""
    if "area" not in c:
        return
    c_area = c["area"]
    smallest = None
    for x in conds:
        if "area" in x:
            if _area_inside(c_area, x["area"]):
                if smallest is None or "area" not in smallest or math.prod(smallest["area"][:2]) > math.prod(x["area"][:2]):
                    smallest = x
        elif smallest is None:
            smallest = x
    if smallest is None:
        return
    if "area" in smallest and smallest["area"] == c_area:
        return
    out = dict(c)
    out["model_conds"] = dict(smallest["model_conds"])
    conds.append(out)


def process_conds(
    model: "DiffusionModel",
    noise: "torch.Tensor",
    conds: dict[str, list[dict[str, Any]]],
    device: Any,
    latent_image: "torch.Tensor | None" = None,
    denoise_mask: "torch.Tensor | None" = None,
    seed: int | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Each side's entries made ready for sampling (steps 1–4 of the module docstring)."""
    conds = {k: list(v) for k, v in conds.items()}
    for k in conds:
        resolve_areas_and_masks(conds[k], noise.shape[2], noise.shape[3], device)
    for k in conds:
        _timestep_bounds(model, conds[k])
    for k in conds:
        encode_model_conds(model, conds[k], noise, device, k, latent_image=latent_image, denoise_mask=denoise_mask, seed=seed)
    for k in conds:
        for c in conds[k]:
            for kk in conds:
                if k != kk:
                    _add_same_area(conds[kk], c)
    return conds


# --- evaluating ------------------------------------------------------------------------------


def _area_and_mult(c: dict[str, Any], x: "torch.Tensor", sigma: "torch.Tensor") -> tuple[Any, ...] | None:
    """(input_x, mult, model inputs, area) of an entry at this σ, or None when it is not active."""
    import torch

    if "timestep_start" in c and sigma[0] > c["timestep_start"]:
        return None
    if "timestep_end" in c and sigma[0] < c["timestep_end"]:
        return None
    area = None
    input_x = x
    if "area" in c:
        area = list(c["area"])
        for i in range(2):
            area[i] = min(x.shape[i + 2] - area[2 + i], area[i])
            input_x = input_x.narrow(i + 2, area[2 + i], area[i])
    strength = c.get("strength", 1.0)
    if "mask" in c:
        mask = c["mask"][: input_x.shape[0]]
        if area is not None:
            for i in range(2):
                mask = mask.narrow(i + 1, area[2 + i], area[i])
        mask = mask * c.get("mask_strength", 1.0)
        mask = mask.unsqueeze(1).repeat((input_x.shape[0] // mask.shape[0], input_x.shape[1]) + (1,) * (mask.ndim - 1))
    else:
        mask = torch.ones_like(input_x)
    mult = mask * strength
    if "mask" not in c and area is not None:
        for i in range(2):
            rr = min(8, mult.shape[2 + i] // 4)
            if area[2 + i] != 0:
                for t in range(rr):
                    m = mult.narrow(i + 2, t, 1)
                    m *= (1.0 / rr) * (t + 1)
            if (area[i] + area[2 + i]) < x.shape[i + 2]:
                for t in range(rr):
                    m = mult.narrow(i + 2, area[i] - 1 - t, 1)
                    m *= (1.0 / rr) * (t + 1)
    inputs = {k: v.process_cond(batch_size=x.shape[0], device=x.device) for k, v in c["model_conds"].items()}
    return input_x, mult, inputs, area


def _can_batch(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    if a[0].shape != b[0].shape:
        return False
    if a[2].keys() != b[2].keys():
        return False
    return all(a[2][k].can_concat(b[2][k]) for k in a[2])


def _check_interrupt() -> None:
    # comfy.execution first: importing comfy.model_management on its own is circular in comfy-core today
    import comfy.execution  # noqa: F401
    from comfy.model_management import throw_exception_if_processing_interrupted

    throw_exception_if_processing_interrupted()


def _run_model(model: "DiffusionModel", x: "torch.Tensor", sigma: "torch.Tensor", inputs: dict[str, "torch.Tensor"]) -> "torch.Tensor":
    unknown = set(inputs) - {"c_crossattn", "y"}
    if unknown:
        raise NotImplementedError(f"model inputs not supported yet: {', '.join(sorted(unknown))}")
    return model.apply_model(x, sigma, inputs["c_crossattn"], inputs.get("y"))


def calc_cond_batch(
    model: "DiffusionModel", conds: list[list[dict[str, Any]] | None], x: "torch.Tensor", sigma: "torch.Tensor"
) -> list["torch.Tensor"]:
    """One denoised estimate per side (ComfyUI's ``calc_cond_batch``; ``None`` sides give zeros)."""
    import torch

    outs = [torch.zeros_like(x) for _ in conds]
    counts = [torch.ones_like(x) * 1e-37 for _ in conds]
    to_run: list[tuple[tuple[Any, ...], int]] = []
    for side, entries in enumerate(conds):
        for c in entries or []:
            p = _area_and_mult(c, x, sigma)
            if p is not None:
                to_run.append((p, side))
    while to_run:
        first = to_run[0][0]
        batch = [i for i in range(len(to_run)) if _can_batch(to_run[i][0], first)][::-1]
        picked = [to_run.pop(i) for i in batch]
        n = len(picked)
        input_x = torch.cat([p[0] for p, _ in picked])
        inputs = {k: picked[0][0][2][k].concat([p[2][k] for p, _ in picked[1:]]) for k in picked[0][0][2]}
        output = _run_model(model, input_x, torch.cat([sigma] * n), inputs).chunk(n)
        for (p, side), out in zip(picked, output):
            area, mult = p[3], p[1]
            if area is None:
                outs[side] += out * mult
                counts[side] += mult
            else:
                o, cnt = outs[side], counts[side]
                for i in range(2):
                    o = o.narrow(i + 2, area[2 + i], area[i])
                    cnt = cnt.narrow(i + 2, area[2 + i], area[i])
                o += out * mult
                cnt += mult
    for i in range(len(outs)):
        outs[i] /= counts[i]
    return outs


def sampling_function(
    model: "DiffusionModel",
    x: "torch.Tensor",
    sigma: "torch.Tensor",
    uncond: list[dict[str, Any]] | None,
    cond: list[dict[str, Any]] | None,
    cfg: float,
    model_options: dict[str, Any] | None = None,
) -> "torch.Tensor":
    """The guided denoised estimate (ComfyUI's ``sampling_function`` + ``cfg_function``)."""
    _check_interrupt()
    model_options = model_options or {}
    if math.isclose(cfg, 1.0) and not model_options.get("disable_cfg1_optimization", False):
        uncond_ = None
    else:
        uncond_ = uncond
    cond_pred, uncond_pred = calc_cond_batch(model, [cond, uncond_], x, sigma)
    cfg_fn: Callable[[dict[str, Any]], Any] | None = model_options.get("sampler_cfg_function")
    if cfg_fn is not None:
        args = {"cond": x - cond_pred, "uncond": x - uncond_pred, "cond_scale": cfg, "timestep": sigma, "input": x, "sigma": sigma,
                "cond_denoised": cond_pred, "uncond_denoised": uncond_pred, "model": model, "model_options": model_options}  # fmt: skip
        result = x - cfg_fn(args)
    else:
        result = uncond_pred + (cond_pred - uncond_pred) * cfg
    for fn in model_options.get("sampler_post_cfg_function", []):
        result = fn({"denoised": result, "cond": cond, "uncond": uncond_, "cond_scale": cfg, "model": model, "uncond_denoised": uncond_pred,
                     "cond_denoised": cond_pred, "sigma": sigma, "model_options": model_options, "input": x})  # fmt: skip
    return result


class InpaintDenoiser:
    """ComfyUI's ``KSamplerX0Inpaint``: outside ``mask`` (1 = denoise) the input is the original latent
    noised to σ (``latent + noise·σ``) and the estimate is the original latent. Keyword arguments
    (``model_options``) go to the guided denoiser unchanged."""

    def __init__(self, inner: Callable[..., "torch.Tensor"], mask: "torch.Tensor | None", latent: "torch.Tensor", noise: "torch.Tensor") -> None:
        self.inner = inner
        self.mask = mask
        self.latent = latent
        self.noise = noise

    def __call__(self, x: "torch.Tensor", sigma: "torch.Tensor", **kwargs: Any) -> "torch.Tensor":
        if self.mask is None:
            return self.inner(x, sigma, **kwargs)
        latent_mask = 1.0 - self.mask
        s = sigma.reshape([sigma.shape[0]] + [1] * (self.noise.ndim - 1))
        x = x * self.mask + (self.noise * s + self.latent) * latent_mask
        out = self.inner(x, sigma, **kwargs)
        return out * self.mask + self.latent * latent_mask
