"""Latent nodes against hand-computed expectations on tiny tensors (node methods called directly).

Besides shapes and values this checks the LATENT dict bookkeeping: `batch_index` (the noise
index KSampler uses per sample), `noise_mask`, unknown keys travelling on, and inputs left
unmodified.
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_base import latents  # noqa: E402
from comfy_nodes_base.latents import (  # noqa: E402
    EmptyLatentImage,
    LatentBatch,
    LatentBlend,
    LatentComposite,
    LatentCompositeMasked,
    LatentCrop,
    LatentFromBatch,
    LatentUpscale,
    LatentUpscaleBy,
    RepeatLatentBatch,
    SetLatentNoiseMask,
)


def indexed(batch: int, channels: int = 4, height: int = 2, width: int = 2) -> torch.Tensor:
    """A latent batch whose sample i is filled with the value i."""
    values = torch.arange(batch, dtype=torch.float32).reshape(batch, 1, 1, 1)
    return values.expand(batch, channels, height, width).clone()


def firsts(samples: torch.Tensor) -> list[float]:
    return samples[:, 0, 0, 0].tolist()


def assert_close(actual: torch.Tensor, expected: torch.Tensor, atol: float = 1e-5) -> None:
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert torch.allclose(actual.float().cpu(), expected.float().cpu(), atol=atol, rtol=1e-5), (actual, expected)


# --------------------------------------------------------------------------- contracts

CONTRACTS = [
    # class_type, required, optional, FUNCTION, CATEGORY
    ("EmptyLatentImage", ["width", "height", "batch_size"], [], "generate", "latent"),
    ("LatentUpscale", ["samples", "upscale_method", "width", "height", "crop"], [], "upscale", "latent"),
    ("LatentUpscaleBy", ["samples", "upscale_method", "scale_by"], [], "upscale", "latent"),
    ("LatentFromBatch", ["samples", "batch_index", "length"], [], "frombatch", "latent/batch"),
    ("RepeatLatentBatch", ["samples", "amount"], [], "repeat", "latent/batch"),
    ("LatentComposite", ["samples_to", "samples_from", "x", "y", "feather"], [], "composite", "latent"),
    ("LatentCompositeMasked", ["destination", "source", "x", "y", "resize_source"], ["mask"], "composite", "latent"),
    ("LatentBlend", ["samples1", "samples2", "blend_factor"], [], "blend", "_for_testing"),
    ("LatentCrop", ["samples", "width", "height", "x", "y"], [], "crop", "latent/transform"),
    ("SetLatentNoiseMask", ["samples", "mask"], [], "set_mask", "latent/inpaint"),
    ("LatentBatch", ["samples1", "samples2"], [], "batch", "latent/batch"),
]


def test_module_exports_every_node_once() -> None:
    assert [c[0] for c in CONTRACTS] == list(latents.NODE_CLASS_MAPPINGS)
    assert set(latents.NODE_DISPLAY_NAME_MAPPINGS) == set(latents.NODE_CLASS_MAPPINGS)


@pytest.mark.parametrize(("class_type", "required", "optional", "function", "category"), CONTRACTS)
def test_node_contract(class_type: str, required: list[str], optional: list[str], function: str, category: str) -> None:
    cls = latents.NODE_CLASS_MAPPINGS[class_type]
    spec = cls.INPUT_TYPES()
    assert list(spec["required"]) == required
    assert list(spec.get("optional", {})) == optional
    assert cls.RETURN_TYPES == ("LATENT",)
    assert cls.FUNCTION == function and callable(getattr(cls, function))
    assert cls.CATEGORY == category
    assert isinstance(cls.DESCRIPTION, str) and cls.DESCRIPTION and "\n" not in cls.DESCRIPTION


@pytest.mark.parametrize(
    ("class_type", "name", "options"),
    [
        ("EmptyLatentImage", "width", {"default": 512, "min": 16, "max": 16384, "step": 8}),
        ("EmptyLatentImage", "batch_size", {"default": 1, "min": 1, "max": 4096}),
        ("LatentUpscale", "width", {"default": 512, "min": 0, "max": 16384, "step": 8}),
        ("LatentUpscaleBy", "scale_by", {"default": 1.5, "min": 0.01, "max": 8.0, "step": 0.01}),
        ("LatentFromBatch", "batch_index", {"default": 0, "min": 0, "max": 63}),
        ("LatentFromBatch", "length", {"default": 1, "min": 1, "max": 64}),
        ("RepeatLatentBatch", "amount", {"default": 1, "min": 1, "max": 64}),
        ("LatentComposite", "feather", {"default": 0, "min": 0, "max": 16384, "step": 8}),
        ("LatentCompositeMasked", "x", {"default": 0, "min": 0, "max": 16384, "step": 8}),
        ("LatentCompositeMasked", "resize_source", {"default": False}),
        ("LatentBlend", "blend_factor", {"default": 0.5, "min": 0, "max": 1, "step": 0.01}),
        ("LatentCrop", "height", {"default": 512, "min": 64, "max": 16384, "step": 8}),
        ("LatentCrop", "y", {"default": 0, "min": 0, "max": 16384, "step": 8}),
    ],
)
def test_input_options(class_type: str, name: str, options: dict[str, Any]) -> None:
    entry = latents.NODE_CLASS_MAPPINGS[class_type].INPUT_TYPES()["required"][name][1]
    assert {k: v for k, v in entry.items() if k != "tooltip"} == options


def test_upscale_combos_and_tooltips() -> None:
    methods = ["nearest-exact", "bilinear", "area", "bicubic", "bislerp"]
    assert LatentUpscale.INPUT_TYPES()["required"]["upscale_method"] == (methods,)
    assert LatentUpscaleBy.INPUT_TYPES()["required"]["upscale_method"] == (methods,)
    assert LatentUpscale.INPUT_TYPES()["required"]["crop"] == (["disabled", "center"],)
    spec = EmptyLatentImage.INPUT_TYPES()["required"]
    assert spec["width"][1]["tooltip"] == "The width of the latent images in pixels."
    assert EmptyLatentImage.OUTPUT_TOOLTIPS == ("The empty latent image batch.",)
    assert EmptyLatentImage.DESCRIPTION == "Create a new batch of empty latent images to be denoised via sampling."


@pytest.mark.parametrize(
    ("class_type", "display_name"),
    [("EmptyLatentImage", "Empty Latent Image"), ("LatentUpscale", "Upscale Latent"),
     ("LatentUpscaleBy", "Upscale Latent By"), ("LatentFromBatch", "Latent From Batch"),
     ("RepeatLatentBatch", "Repeat Latent Batch"), ("LatentComposite", "Latent Composite"),
     ("LatentBlend", "Latent Blend"), ("LatentCrop", "Crop Latent"), ("SetLatentNoiseMask", "Set Latent Noise Mask")],
)  # fmt: skip
def test_display_names(class_type: str, display_name: str) -> None:
    assert latents.NODE_DISPLAY_NAME_MAPPINGS[class_type] == display_name


# --------------------------------------------------------------------------- empty latent


@pytest.mark.parametrize(
    ("width", "height", "batch", "shape"),
    [(512, 512, 1, (1, 4, 64, 64)), (520, 64, 2, (2, 4, 8, 65)), (17, 16, 3, (3, 4, 2, 2))],
)
def test_empty_latent_image(width: int, height: int, batch: int, shape: tuple[int, ...]) -> None:
    (out,) = EmptyLatentImage().generate(width, height, batch)
    assert set(out) == {"samples"}
    assert out["samples"].shape == shape and out["samples"].dtype == torch.float32
    assert not out["samples"].any()


# --------------------------------------------------------------------------- upscale


@pytest.mark.parametrize(
    ("width", "height", "latent_hw"),
    [
        (256, 128, (16, 32)),
        (0, 128, (16, 32)),  # width from aspect: round(16 * 128 / 8) = 256 px
        (128, 0, (8, 16)),  # height from aspect: round(8 * 128 / 16) = 64 px
        (32, 32, (8, 8)),  # at least 64 px each way
        (0, 16, (8, 16)),  # height 16 -> 64, width from the raised height -> 128
        (100, 100, (12, 12)),  # 100 // 8
    ],
)
def test_latent_upscale_sizes(width: int, height: int, latent_hw: tuple[int, int]) -> None:
    mask = torch.ones(1, 1, 64, 128)
    samples = {"samples": torch.rand(1, 4, 8, 16), "noise_mask": mask, "batch_index": [3]}
    (out,) = LatentUpscale().upscale(samples, "bilinear", width, height, "disabled")
    assert out["samples"].shape == (1, 4, *latent_hw)
    assert out["noise_mask"] is mask and out["batch_index"] == [3]  # other keys travel unchanged
    assert samples["samples"].shape == (1, 4, 8, 16)  # the input dict is not modified


def test_latent_upscale_zero_zero_is_a_no_op() -> None:
    samples = {"samples": torch.rand(1, 4, 8, 8)}
    (out,) = LatentUpscale().upscale(samples, "bislerp", 0, 0, "center")
    assert out is samples


@pytest.mark.parametrize("method", ["nearest-exact", "bilinear", "area", "bicubic", "bislerp"])
@pytest.mark.parametrize("crop", ["disabled", "center"])
def test_latent_upscale_methods(method: str, crop: str) -> None:
    samples = {"samples": torch.randn(2, 4, 8, 8)}
    (out,) = LatentUpscale().upscale(samples, method, 128, 64, crop)
    assert out["samples"].shape == (2, 4, 8, 16) and torch.isfinite(out["samples"]).all()


def test_latent_upscale_nearest_values() -> None:
    latent = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).expand(1, 4, 2, 2)
    (out,) = LatentUpscale().upscale({"samples": latent}, "nearest-exact", 128, 64, "disabled")
    assert out["samples"][0, 0, 0].tolist() == [1] * 8 + [2] * 8


@pytest.mark.parametrize(
    ("hw", "scale_by", "out_hw"),
    [((8, 16), 1.5, (12, 24)), ((8, 16), 0.5, (4, 8)), ((5, 5), 1.3, (6, 6)), ((3, 3), 1.5, (4, 4))],
)  # round(6.5) = 6 and round(4.5) = 4: banker's rounding, as in ComfyUI
def test_latent_upscale_by(hw: tuple[int, int], scale_by: float, out_hw: tuple[int, int]) -> None:
    (out,) = LatentUpscaleBy().upscale({"samples": torch.rand(1, 4, *hw)}, "bislerp", scale_by)
    assert out["samples"].shape == (1, 4, *out_hw)


# --------------------------------------------------------------------------- batch bookkeeping

FROM_BATCH = [
    # batch_index, length, picked samples, batch_index out (no incoming batch_index)
    (0, 1, [0], [0]),
    (1, 2, [1, 2], [1, 2]),
    (2, 5, [2, 3], [2, 3]),  # length clamps to the batch
    (9, 2, [3], [3]),  # index clamps to the last sample
]


@pytest.mark.parametrize(("index", "length", "picked", "indices"), FROM_BATCH)
def test_latent_from_batch(index: int, length: int, picked: list[int], indices: list[int]) -> None:
    samples = {"samples": indexed(4)}
    (out,) = LatentFromBatch().frombatch(samples, index, length)
    assert firsts(out["samples"]) == picked
    assert out["batch_index"] == indices
    assert "batch_index" not in samples


def test_latent_from_batch_slices_an_existing_batch_index() -> None:
    samples = {"samples": indexed(4), "batch_index": [10, 11, 12, 13]}
    (out,) = LatentFromBatch().frombatch(samples, 1, 2)
    assert out["batch_index"] == [11, 12]


@pytest.mark.parametrize(
    ("mask_batch", "index", "length", "mask_values"),
    [
        (1, 2, 2, [0]),  # one mask for all: kept whole
        (4, 1, 2, [1, 2]),  # one mask per sample: sliced with the samples
        (2, 1, 2, [1, 0]),  # fewer masks: repeated to the batch (0, 1, 0, 1) first
    ],
)
def test_latent_from_batch_noise_mask(mask_batch: int, index: int, length: int, mask_values: list[int]) -> None:
    masks = torch.arange(mask_batch, dtype=torch.float32).reshape(mask_batch, 1, 1, 1).expand(mask_batch, 1, 4, 4)
    (out,) = LatentFromBatch().frombatch({"samples": indexed(4), "noise_mask": masks}, index, length)
    assert out["noise_mask"][:, 0, 0, 0].tolist() == mask_values


REPEAT = [
    # incoming batch_index, amount, outgoing batch_index
    (None, 3, None),
    ([0, 1], 3, [0, 1, 2, 3, 4, 5]),
    ([2, 3], 3, [2, 3, 4, 5, 6, 7]),  # offset = max - min + 1 = 2
    ([5, 5], 2, [5, 5, 6, 6]),  # offset 1
    ([0, 3], 2, [0, 3, 4, 7]),  # offset 4
]


@pytest.mark.parametrize(("indices", "amount", "expected"), REPEAT)
def test_repeat_latent_batch(indices: list[int] | None, amount: int, expected: list[int] | None) -> None:
    samples: dict[str, Any] = {"samples": indexed(2)}
    if indices is not None:
        samples["batch_index"] = indices
    (out,) = RepeatLatentBatch().repeat(samples, amount)
    assert firsts(out["samples"]) == [0, 1] * amount
    assert out.get("batch_index") == expected
    assert samples.get("batch_index") == indices


def test_repeat_latent_batch_noise_masks() -> None:
    one = torch.zeros(1, 1, 2, 2)
    (out,) = RepeatLatentBatch().repeat({"samples": indexed(2), "noise_mask": one}, 3)
    assert out["noise_mask"] is one  # a single mask covers any batch
    two = torch.arange(2, dtype=torch.float32).reshape(2, 1, 1, 1).expand(2, 1, 2, 2)
    (out,) = RepeatLatentBatch().repeat({"samples": indexed(2), "noise_mask": two}, 2)
    assert out["noise_mask"][:, 0, 0, 0].tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [(None, None, [0, 1, 0]), ([4, 5], [7], [4, 5, 7]), ([4, 5], None, [4, 5, 0]), (None, [9], [0, 1, 9])],
)
def test_latent_batch_concatenates_samples_and_indices(
    first: list[int] | None, second: list[int] | None, expected: list[int]
) -> None:
    s1: dict[str, Any] = {"samples": torch.zeros(2, 4, 2, 2), "noise_mask": torch.ones(1, 1, 16, 16)}
    s2: dict[str, Any] = {"samples": torch.ones(1, 4, 2, 2)}
    if first is not None:
        s1["batch_index"] = first
    if second is not None:
        s2["batch_index"] = second
    (out,) = LatentBatch().batch(s1, s2)
    assert firsts(out["samples"]) == [0, 0, 1]
    assert out["batch_index"] == expected
    assert out["noise_mask"] is s1["noise_mask"]  # samples1's other keys travel on


def test_latent_batch_resizes_the_second_batch() -> None:
    s1 = {"samples": torch.zeros(1, 4, 2, 2)}
    s2 = {"samples": torch.full((1, 4, 4, 6), 0.5)}
    (out,) = LatentBatch().batch(s1, s2)
    assert out["samples"].shape == (2, 4, 2, 2)
    assert_close(out["samples"][1], torch.full((4, 2, 2), 0.5))


# --------------------------------------------------------------------------- composite


@pytest.mark.parametrize(
    ("x", "y", "rows", "cols"),
    [
        (8, 16, slice(2, 4), slice(1, 3)),
        (20, 7, slice(0, 2), slice(2, 4)),  # pixel offsets floor to latent elements
        (24, 24, slice(3, 4), slice(3, 4)),  # cut at the far edges
        (64, 0, slice(0, 0), slice(0, 0)),  # wholly outside: nothing pasted
    ],
)
def test_latent_composite_offsets(x: int, y: int, rows: slice, cols: slice) -> None:
    to = {"samples": torch.zeros(1, 4, 4, 4), "batch_index": [7]}
    (out,) = LatentComposite().composite(to, {"samples": torch.ones(1, 4, 2, 2)}, x, y, 0)
    expected = torch.zeros(1, 4, 4, 4)
    expected[:, :, rows, cols] = 1
    assert torch.equal(out["samples"], expected)
    assert out["batch_index"] == [7] and not to["samples"].any()


def test_latent_composite_feathers_inner_edges() -> None:
    to = {"samples": torch.zeros(1, 1, 8, 8)}
    src = {"samples": torch.ones(1, 1, 4, 4)}
    (out,) = LatentComposite().composite(to, src, 16, 16, 16)  # at (2, 2), feather 2 elements
    ramp = torch.tensor([0.5, 1.0, 1.0, 0.5])  # step t gets (t + 1) / feather on each inner side
    expected = torch.zeros(1, 1, 8, 8)
    expected[0, 0, 2:6, 2:6] = ramp[:, None] * ramp[None, :]
    assert_close(out["samples"], expected)


def test_latent_composite_feather_skips_outer_edges() -> None:
    to = {"samples": torch.full((1, 1, 8, 8), 0.5)}
    (out,) = LatentComposite().composite(to, {"samples": torch.ones(1, 1, 4, 4)}, 0, 0, 16)
    ramp = torch.tensor([1.0, 1.0, 1.0, 0.5])  # touching the top/left edges: no ramp there
    region = 1.0 * (ramp[:, None] * ramp[None, :]) + 0.5 * (1 - ramp[:, None] * ramp[None, :])
    assert_close(out["samples"][0, 0, :4, :4], region)
    assert out["samples"][0, 0, 4:].eq(0.5).all()


def test_latent_composite_one_element_feather_is_a_hard_paste() -> None:
    to = {"samples": torch.zeros(1, 1, 6, 6)}
    (out,) = LatentComposite().composite(to, {"samples": torch.ones(1, 1, 2, 2)}, 16, 16, 8)
    assert out["samples"].sum().item() == 4 and out["samples"][0, 0, 2:4, 2:4].eq(1).all()


MASKED = [
    # mask, expected values in the pasted 2x2 region (destination 0.2, source 1.0)
    (None, [[1.0, 1.0], [1.0, 1.0]]),
    (torch.tensor([[1.0, 0.0], [0.5, 0.0]]), [[1.0, 0.2], [0.6, 0.2]]),  # mask * 1 + (1 - mask) * 0.2
    (torch.full((1, 16, 16), 0.5), [[0.6, 0.6], [0.6, 0.6]]),  # a pixel-size mask is resized to the source
]


@pytest.mark.parametrize(("mask", "region"), MASKED)
def test_latent_composite_masked(mask: torch.Tensor | None, region: list[list[float]]) -> None:
    dest = {"samples": torch.full((1, 4, 4, 4), 0.2), "noise_mask": torch.ones(1, 1, 32, 32)}
    (out,) = LatentCompositeMasked().composite(dest, {"samples": torch.ones(1, 4, 2, 2)}, 12, 16, False, mask)
    expected = torch.full((1, 4, 4, 4), 0.2)
    expected[:, :, 2:4, 1:3] = torch.tensor(region)
    assert_close(out["samples"], expected)
    assert out["noise_mask"] is dest["noise_mask"]
    assert dest["samples"].eq(0.2).all()


def test_latent_composite_masked_resize_and_batch() -> None:
    dest = {"samples": torch.zeros(3, 4, 4, 4)}
    (resized,) = LatentCompositeMasked().composite(dest, {"samples": torch.full((1, 4, 1, 1), 0.7)}, 0, 0, True)
    assert_close(resized["samples"], torch.full((3, 4, 4, 4), 0.7))
    (pasted,) = LatentCompositeMasked().composite(dest, {"samples": indexed(2) + 1}, 0, 0, False)
    assert firsts(pasted["samples"]) == [1, 2, 1]  # the source batch repeats to the destination's


# --------------------------------------------------------------------------- blend, crop, noise mask


def test_latent_blend_weights_samples1_by_the_factor() -> None:
    s1 = {"samples": torch.ones(1, 4, 2, 2), "batch_index": [2]}
    (out,) = LatentBlend().blend(s1, {"samples": torch.full((1, 4, 2, 2), 3.0)}, 0.25)
    assert out["samples"].unique().tolist() == [2.5]  # 0.25 * 1 + 0.75 * 3
    assert out["batch_index"] == [2]


def test_latent_blend_resizes_samples2() -> None:
    s1 = {"samples": torch.zeros(1, 4, 2, 2)}
    (out,) = LatentBlend().blend(s1, {"samples": torch.full((1, 4, 4, 4), 2.0)}, 0.5)
    assert_close(out["samples"], torch.ones(1, 4, 2, 2))


def test_latent_blend_rejects_other_modes() -> None:
    with pytest.raises(ValueError, match="Unsupported blend mode"):
        LatentBlend().blend({"samples": torch.zeros(1, 4, 2, 2)}, {"samples": torch.zeros(1, 4, 2, 2)}, 0.5, "add")


@pytest.mark.parametrize(
    ("width", "height", "x", "y", "rows", "cols"),
    [
        (64, 128, 16, 8, slice(1, 16), slice(2, 10)),
        (64, 64, 0, 0, slice(0, 8), slice(0, 8)),
        (64, 64, 120, 127, slice(8, 16), slice(8, 16)),  # offsets stop 8 elements (64 px) before the end
        (512, 512, 8, 8, slice(1, 16), slice(1, 16)),  # cut at the far edges
    ],
)
def test_latent_crop(width: int, height: int, x: int, y: int, rows: slice, cols: slice) -> None:
    latent = torch.arange(256, dtype=torch.float32).reshape(1, 1, 16, 16)
    (out,) = LatentCrop().crop({"samples": latent, "batch_index": [1]}, width, height, x, y)
    assert torch.equal(out["samples"], latent[:, :, rows, cols])
    assert out["batch_index"] == [1]


@pytest.mark.parametrize(("mask_shape", "stored"), [((4, 4), (1, 1, 4, 4)), ((2, 4, 4), (2, 1, 4, 4))])
def test_set_latent_noise_mask(mask_shape: tuple[int, ...], stored: tuple[int, ...]) -> None:
    samples = {"samples": torch.zeros(2, 4, 1, 1), "batch_index": [0, 5]}
    mask = torch.rand(mask_shape)
    (out,) = SetLatentNoiseMask().set_mask(samples, mask)
    assert out["noise_mask"].shape == stored
    assert torch.equal(out["noise_mask"].reshape(mask_shape), mask)
    assert out["samples"] is samples["samples"] and out["batch_index"] == [0, 5]
    assert "noise_mask" not in samples


# --------------------------------------------------------------------------- device


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_latent_nodes_work_on_the_input_device() -> None:
    samples = {"samples": torch.randn(2, 4, 8, 8, device="cuda")}
    mask = torch.rand(1, 64, 64, device="cuda")
    outputs = [
        LatentUpscale().upscale(samples, "bislerp", 96, 80, "center")[0],
        LatentUpscaleBy().upscale(samples, "bicubic", 1.5)[0],
        LatentComposite().composite(samples, samples, 16, 8, 16)[0],
        LatentCompositeMasked().composite(samples, samples, 8, 8, False, mask)[0],
        LatentBlend().blend(samples, {"samples": samples["samples"][:, :, :4, :4]}, 0.3)[0],
        LatentBatch().batch(samples, samples)[0],
        RepeatLatentBatch().repeat(samples, 2)[0],
    ]
    assert all(out["samples"].is_cuda for out in outputs)
    cpu = LatentUpscale().upscale({"samples": samples["samples"].cpu()}, "bislerp", 96, 80, "center")[0]
    assert_close(outputs[0]["samples"], cpu["samples"], atol=1e-4)
