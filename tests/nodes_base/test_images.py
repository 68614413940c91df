"""Image nodes and the shared resize helpers against hand-computed expectations on tiny tensors.

Node methods are called directly (no engine). Contracts (input names, defaults, return types,
categories, display names) are ComfyUI's.
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_base import images, resize  # noqa: E402
from comfy_nodes_base.images import (  # noqa: E402
    EmptyImage,
    GetImageSize,
    ImageBatch,
    ImageBlend,
    ImageBlur,
    ImageCompositeMasked,
    ImageCrop,
    ImageFromBatch,
    ImageInvert,
    ImagePadForOutpaint,
    ImageScale,
    ImageScaleBy,
    ImageScaleToTotalPixels,
    ImageSharpen,
    RebatchImages,
    RepeatImageBatch,
)


def ramp_image(batch: int = 1, height: int = 2, width: int = 3, channels: int = 3) -> torch.Tensor:
    """Distinct values in 0..1: value = flat index / (numel - 1)."""
    n = batch * height * width * channels
    return (torch.arange(n, dtype=torch.float32) / max(n - 1, 1)).reshape(batch, height, width, channels)


def solid(value: float, batch: int = 1, height: int = 2, width: int = 2, channels: int = 3) -> torch.Tensor:
    return torch.full((batch, height, width, channels), value, dtype=torch.float32)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-5) -> None:
    """Same shape, values within atol + rtol * |expected| (torch.testing is slow to import)."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert torch.allclose(actual.float().cpu(), expected.float().cpu(), atol=atol, rtol=rtol), (actual, expected)


# --------------------------------------------------------------------------- contracts

CONTRACTS = [
    # class_type, required inputs (in order), optional inputs, RETURN_TYPES, FUNCTION, CATEGORY
    ("EmptyImage", ["width", "height", "batch_size", "color"], [], ("IMAGE",), "generate", "image"),
    ("ImageScale", ["image", "upscale_method", "width", "height", "crop"], [], ("IMAGE",), "upscale", "image/upscaling"),
    ("ImageScaleBy", ["image", "upscale_method", "scale_by"], [], ("IMAGE",), "upscale", "image/upscaling"),
    ("ImageScaleToTotalPixels", ["image", "upscale_method", "megapixels", "resolution_steps"], [], ("IMAGE",), "upscale", "image/upscaling"),
    ("ImageInvert", ["image"], [], ("IMAGE",), "invert", "image"),
    ("ImageBatch", ["image1", "image2"], [], ("IMAGE",), "batch", "image"),
    ("RebatchImages", ["images", "batch_size"], [], ("IMAGE",), "rebatch", "image/batch"),
    ("ImageCrop", ["image", "width", "height", "x", "y"], [], ("IMAGE",), "crop", "image/transform"),
    ("ImagePadForOutpaint", ["image", "left", "top", "right", "bottom", "feathering"], [], ("IMAGE", "MASK"), "expand_image", "image"),
    ("ImageCompositeMasked", ["destination", "source", "x", "y", "resize_source"], ["mask"], ("IMAGE",), "composite", "image"),
    ("ImageBlend", ["image1", "image2", "blend_factor", "blend_mode"], [], ("IMAGE",), "blend_images", "image/postprocessing"),
    ("ImageBlur", ["image", "blur_radius", "sigma"], [], ("IMAGE",), "blur", "image/postprocessing"),
    ("ImageSharpen", ["image", "sharpen_radius", "sigma", "alpha"], [], ("IMAGE",), "sharpen", "image/postprocessing"),
    ("GetImageSize", ["image"], [], ("INT", "INT", "INT"), "get_size", "image"),
    ("ImageFromBatch", ["image", "batch_index", "length"], [], ("IMAGE",), "frombatch", "image/batch"),
    ("RepeatImageBatch", ["image", "amount"], [], ("IMAGE",), "repeat", "image/batch"),
]  # fmt: skip


def test_module_exports_every_node_once() -> None:
    assert [c[0] for c in CONTRACTS] == list(images.NODE_CLASS_MAPPINGS)
    assert set(images.NODE_DISPLAY_NAME_MAPPINGS) == set(images.NODE_CLASS_MAPPINGS)


@pytest.mark.parametrize(("class_type", "required", "optional", "returns", "function", "category"), CONTRACTS)
def test_node_contract(
    class_type: str, required: list[str], optional: list[str], returns: tuple[str, ...], function: str, category: str
) -> None:
    cls = images.NODE_CLASS_MAPPINGS[class_type]
    spec = cls.INPUT_TYPES()
    assert list(spec["required"]) == required
    assert list(spec.get("optional", {})) == optional
    for section in ("required", "optional"):
        for entry in spec.get(section, {}).values():
            assert isinstance(entry, tuple) and 1 <= len(entry) <= 2
            assert isinstance(entry[0], (str, list))
    assert cls.RETURN_TYPES == returns
    assert cls.FUNCTION == function and callable(getattr(cls, function))
    assert cls.CATEGORY == category
    assert isinstance(cls.DESCRIPTION, str) and cls.DESCRIPTION and "\n" not in cls.DESCRIPTION


INPUT_OPTIONS = [
    ("EmptyImage", "width", {"default": 512, "min": 1, "max": 16384, "step": 1}),
    ("EmptyImage", "batch_size", {"default": 1, "min": 1, "max": 4096}),
    ("EmptyImage", "color", {"default": 0, "min": 0, "max": 0xFFFFFF, "step": 1, "display": "color"}),
    ("ImageScale", "width", {"default": 512, "min": 0, "max": 16384, "step": 1}),
    ("ImageScaleBy", "scale_by", {"default": 1.0, "min": 0.01, "max": 8.0, "step": 0.01}),
    ("ImageScaleToTotalPixels", "megapixels", {"default": 1.0, "min": 0.01, "max": 16.0, "step": 0.01}),
    ("ImageScaleToTotalPixels", "resolution_steps", {"default": 1, "min": 1, "max": 256}),
    ("RebatchImages", "batch_size", {"default": 1, "min": 1, "max": 4096}),
    ("ImageCrop", "width", {"default": 512, "min": 1, "max": 16384, "step": 1}),
    ("ImageCrop", "x", {"default": 0, "min": 0, "max": 16384, "step": 1}),
    ("ImagePadForOutpaint", "left", {"default": 0, "min": 0, "max": 16384, "step": 8}),
    ("ImagePadForOutpaint", "feathering", {"default": 40, "min": 0, "max": 16384, "step": 1}),
    ("ImageCompositeMasked", "x", {"default": 0, "min": 0, "max": 16384, "step": 1}),
    ("ImageCompositeMasked", "resize_source", {"default": False}),
    ("ImageBlend", "blend_factor", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}),
    ("ImageBlur", "blur_radius", {"default": 1, "min": 1, "max": 31, "step": 1}),
    ("ImageBlur", "sigma", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1}),
    ("ImageSharpen", "sharpen_radius", {"default": 1, "min": 1, "max": 31, "step": 1}),
    ("ImageSharpen", "sigma", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.01}),
    ("ImageSharpen", "alpha", {"default": 1.0, "min": 0.0, "max": 5.0, "step": 0.01}),
    ("ImageFromBatch", "batch_index", {"default": 0, "min": 0, "max": 4095}),
    ("ImageFromBatch", "length", {"default": 1, "min": 1, "max": 4096}),
    ("RepeatImageBatch", "amount", {"default": 1, "min": 1, "max": 4096}),
]


@pytest.mark.parametrize(("class_type", "name", "options"), INPUT_OPTIONS)
def test_input_options(class_type: str, name: str, options: dict[str, Any]) -> None:
    entry = images.NODE_CLASS_MAPPINGS[class_type].INPUT_TYPES()["required"][name]
    assert entry[1] == options


@pytest.mark.parametrize(
    ("class_type", "name", "choices"),
    [
        ("ImageScale", "upscale_method", ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]),
        ("ImageScale", "crop", ["disabled", "center"]),
        ("ImageScaleBy", "upscale_method", ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]),
        ("ImageScaleToTotalPixels", "upscale_method", ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]),
        ("ImageBlend", "blend_mode", ["normal", "multiply", "screen", "overlay", "soft_light", "difference"]),
    ],
)
def test_combo_choices(class_type: str, name: str, choices: list[str]) -> None:
    assert images.NODE_CLASS_MAPPINGS[class_type].INPUT_TYPES()["required"][name][0] == choices


@pytest.mark.parametrize(
    ("class_type", "display_name"),
    [
        ("ImageScale", "Upscale Image"),
        ("ImageScaleBy", "Upscale Image By"),
        ("ImageInvert", "Invert Image"),
        ("ImageBatch", "Batch Images"),
        ("ImagePadForOutpaint", "Pad Image for Outpainting"),
        ("ImageScaleToTotalPixels", "Scale Image to Total Pixels"),
        ("RebatchImages", "Rebatch Images"),
        ("GetImageSize", "Get Image Size"),
        ("ImageCrop", "Crop Image"),
        ("ImageBlend", "Image Blend"),
    ],
)
def test_display_names(class_type: str, display_name: str) -> None:
    assert images.NODE_DISPLAY_NAME_MAPPINGS[class_type] == display_name


def test_list_and_name_flags() -> None:
    assert RebatchImages.INPUT_IS_LIST is True and RebatchImages.OUTPUT_IS_LIST == (True,)
    assert GetImageSize.RETURN_NAMES == ("width", "height", "batch_size")
    assert GetImageSize.INPUT_TYPES()["hidden"] == {"unique_id": "UNIQUE_ID"}
    assert not hasattr(ImageScale, "RETURN_NAMES") and not hasattr(ImageScale, "INPUT_IS_LIST")


def test_tensor_node_modules_import_without_torch() -> None:
    # listing nodes (/object_info) must not pay for torch; nodes import it when they run
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from comfy_nodes_base import images, latents, masks, resize\n"
        "for m in (images, latents, masks):\n"
        "    [c.INPUT_TYPES() for c in m.NODE_CLASS_MAPPINGS.values()]\n"
        "print(sorted(k for k in ('torch', 'numpy', 'PIL') if k in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- resize helpers


@pytest.mark.parametrize(
    ("old", "new", "offsets"),
    [
        ((4, 4), (2, 2), (0, 0)),  # same aspect: nothing trimmed
        ((8, 4), (4, 4), (2, 0)),  # wider: trim 2 columns each side
        ((4, 8), (4, 4), (0, 2)),  # taller: trim 2 rows each side
        ((6, 4), (1, 1), (1, 0)),
        ((5, 4), (4, 4), (0, 0)),  # round(0.5) == 0 (banker's rounding, as in ComfyUI)
        ((7, 4), (4, 4), (2, 0)),  # round(1.5) == 2
    ],
)
def test_center_crop_offsets(old: tuple[int, int], new: tuple[int, int], offsets: tuple[int, int]) -> None:
    assert resize.center_crop_offsets(old[0], old[1], new[0], new[1]) == offsets


@pytest.mark.parametrize("method", ["nearest-exact", "bilinear", "area", "bicubic", "lanczos", "bislerp"])
@pytest.mark.parametrize("size", [(5, 3), (2, 2), (8, 6)])
def test_common_upscale_shapes_and_dtype(method: str, size: tuple[int, int]) -> None:
    samples = torch.rand(2, 3, 4, 4)
    out = resize.common_upscale(samples, size[0], size[1], method, "disabled")
    assert out.shape == (2, 3, size[1], size[0])
    assert out.dtype == torch.float32 and out.device == samples.device
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("method", ["nearest-exact", "bilinear", "area", "bicubic", "lanczos", "bislerp"])
def test_common_upscale_keeps_a_constant(method: str) -> None:
    value = 102 / 255  # exactly representable after lanczos' 8-bit round trip
    samples = torch.full((1, 3, 3, 5), value)
    out = resize.common_upscale(samples, 7, 4, method, "disabled")
    assert_close(out, torch.full((1, 3, 4, 7), value), atol=1e-6, rtol=0)


def test_nearest_exact_and_area_values() -> None:
    samples = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    up = resize.common_upscale(samples, 4, 4, "nearest-exact", "disabled")
    assert up[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    down = resize.common_upscale(up, 2, 2, "area", "disabled")
    assert torch.equal(down, samples)
    assert resize.common_upscale(samples, 1, 1, "area", "disabled").item() == 2.5


def test_center_crop_then_resize() -> None:
    # 4 wide x 2 high -> 2 x 2 with center crop keeps the middle two columns
    samples = torch.arange(8, dtype=torch.float32).reshape(1, 1, 2, 4)
    out = resize.common_upscale(samples, 2, 2, "nearest-exact", "center")
    assert out[0, 0].tolist() == [[1, 2], [5, 6]]
    uncropped = resize.common_upscale(samples, 2, 2, "nearest-exact", "disabled")
    assert uncropped[0, 0].tolist() == [[1, 3], [5, 7]]  # nearest-exact: source floor((i + 0.5) * 2)


def test_lanczos_quantises_like_comfyui() -> None:
    # clip(255 * x).astype(uint8) truncates: 0.5 -> 127 -> 127/255; negative -> 0; > 1 -> 1
    samples = torch.tensor([0.5, -0.2, 1.7]).reshape(1, 3, 1, 1).expand(1, 3, 2, 2).contiguous()
    out = resize.lanczos(samples, 2, 2)
    assert out[0, :, 0, 0].tolist() == pytest.approx([127 / 255, 0.0, 1.0])
    gray = resize.lanczos(torch.full((2, 1, 3, 3), 0.2), 5, 4)  # one channel goes through Pillow's L mode
    assert gray.shape == (2, 1, 4, 5)
    assert gray.unique().tolist() == pytest.approx([51 / 255])


def test_bislerp_same_size_is_identity() -> None:
    samples = torch.randn(1, 4, 3, 5, generator=torch.Generator().manual_seed(0))
    assert_close(resize.bislerp(samples, 5, 3), samples, atol=1e-5, rtol=1e-5)


def test_common_upscale_folds_extra_dims() -> None:
    video = torch.rand(2, 4, 3, 4, 4)  # [B, C, T, H, W]
    out = resize.common_upscale(video, 8, 6, "bilinear", "disabled")
    assert out.shape == (2, 4, 3, 6, 8)
    # frames are resized independently: one frame alone gives the same result
    frame = resize.common_upscale(video[:, :, 2], 8, 6, "bilinear", "disabled")
    assert_close(out[:, :, 2], frame)


@pytest.mark.parametrize(
    ("batch", "target", "expected"),
    [(1, 3, [0, 0, 0]), (2, 5, [0, 1, 0, 1, 0]), (4, 2, [0, 1]), (3, 3, [0, 1, 2])],
)
def test_repeat_to_batch_size(batch: int, target: int, expected: list[int]) -> None:
    tensor = torch.arange(batch, dtype=torch.float32).reshape(batch, 1)
    assert resize.repeat_to_batch_size(tensor, target)[:, 0].tolist() == expected


@pytest.mark.parametrize(("method", "crop"), [("fancy", "disabled"), ("bilinear", "edge")])
def test_common_upscale_rejects_unknown_modes(method: str, crop: str) -> None:
    with pytest.raises(ValueError):
        resize.common_upscale(torch.rand(1, 3, 2, 2), 3, 3, method, crop)


# --------------------------------------------------------------------------- EmptyImage


@pytest.mark.parametrize(
    ("color", "rgb"),
    [(0x000000, (0, 0, 0)), (0xFFFFFF, (1, 1, 1)), (0xFF0000, (1, 0, 0)), (0x00FF00, (0, 1, 0)),
     (0x0000FF, (0, 0, 1)), (0x336699, (0x33 / 255, 0x66 / 255, 0x99 / 255))],
)  # fmt: skip
def test_empty_image_colors(color: int, rgb: tuple[float, float, float]) -> None:
    (out,) = EmptyImage().generate(width=3, height=2, batch_size=2, color=color)
    assert out.shape == (2, 2, 3, 3) and out.dtype == torch.float32
    expected = torch.tensor(rgb, dtype=torch.float32).expand(2, 2, 3, 3)
    assert torch.equal(out, expected)


# --------------------------------------------------------------------------- scaling nodes


@pytest.mark.parametrize(
    ("size_in", "width", "height", "size_out"),
    [
        ((4, 6), 3, 2, (2, 3)),  # (H, W) in, explicit size out
        ((4, 6), 3, 0, (2, 3)),  # height from aspect: round(4 * 3 / 6) = 2
        ((4, 6), 0, 8, (8, 12)),  # width from aspect: round(6 * 8 / 4) = 12
        ((4, 6), 1, 0, (1, 1)),  # never below 1: round(4 / 6) = 1
        ((3, 100), 2, 0, (1, 2)),  # max(1, round(0.06)) = 1
    ],
)
def test_image_scale_sizes(size_in: tuple[int, int], width: int, height: int, size_out: tuple[int, int]) -> None:
    image = torch.rand(2, *size_in, 3)
    (out,) = ImageScale().upscale(image, "bilinear", width, height, "disabled")
    assert out.shape == (2, *size_out, 3) and out.dtype == torch.float32


def test_image_scale_zero_zero_passes_through() -> None:
    image = ramp_image()
    (out,) = ImageScale().upscale(image, "bicubic", 0, 0, "center")
    assert out is image


@pytest.mark.parametrize("method", ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"])
def test_image_scale_every_method(method: str) -> None:
    image = torch.rand(1, 4, 4, 3)
    (out,) = ImageScale().upscale(image, method, 6, 3, "center")  # crops to rows 1:3, then resizes
    assert out.shape == (1, 3, 6, 3)


def test_image_scale_nearest_exact_values() -> None:
    image = torch.tensor([[[[0.0] * 3, [1.0] * 3]]])  # 1 x 1 x 2 x 3: black, white
    (out,) = ImageScale().upscale(image, "nearest-exact", 4, 1, "disabled")
    assert out[0, 0, :, 0].tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("size_in", "scale_by", "size_out"),
    [((4, 6), 0.5, (2, 3)), ((4, 6), 1.0, (4, 6)), ((3, 5), 1.5, (4, 8)), ((2, 2), 3.0, (6, 6))],
)
def test_image_scale_by_sizes(size_in: tuple[int, int], scale_by: float, size_out: tuple[int, int]) -> None:
    # round(3 * 1.5) = round(4.5) = 4 (banker's rounding, as in ComfyUI)
    (out,) = ImageScaleBy().upscale(torch.rand(1, *size_in, 3), "bilinear", scale_by)
    assert out.shape == (1, *size_out, 3)


@pytest.mark.parametrize(
    ("size_in", "megapixels", "steps", "size_out"),
    [
        ((512, 512), 1.0, 1, (1024, 1024)),  # factor sqrt(4) = 2
        ((4, 8), 0.01, 1, (72, 145)),  # factor sqrt(10485.76 / 32) = 18.10: 72.4, 144.8
        ((4, 8), 0.01, 64, (64, 128)),  # 72.4 / 64 -> 1, 144.8 / 64 -> 2
        ((10, 10), 0.01, 1, (102, 102)),  # factor 10.24
    ],
)
def test_image_scale_to_total_pixels(
    size_in: tuple[int, int], megapixels: float, steps: int, size_out: tuple[int, int]
) -> None:
    image = torch.zeros(1, *size_in, 3)
    (out,) = ImageScaleToTotalPixels().upscale(image, "nearest-exact", megapixels, steps)
    assert tuple(out.shape) == (1, *size_out, 3)


# --------------------------------------------------------------------------- invert, batch, crop


def test_image_invert_exact() -> None:
    image = torch.tensor([0.0, 0.25, 0.5, 1.0]).reshape(1, 1, 4, 1).expand(2, 1, 4, 3)
    (out,) = ImageInvert().invert(image)
    assert out[1, 0, :, 2].tolist() == [1.0, 0.75, 0.5, 0.0]
    assert out.shape == image.shape and out.dtype == torch.float32


def test_image_batch_same_size_concatenates() -> None:
    a, b = ramp_image(batch=2), ramp_image(batch=1) * 0.5
    (out,) = ImageBatch().batch(a, b)
    assert out.shape == (3, 2, 3, 3)
    assert torch.equal(out[:2], a) and torch.equal(out[2:], b)


def test_image_batch_resizes_second_to_first() -> None:
    a = solid(0.1, batch=1, height=4, width=6)
    b = solid(0.4, batch=2, height=2, width=2)
    (out,) = ImageBatch().batch(a, b)
    assert out.shape == (3, 4, 6, 3)
    assert_close(out[1:], torch.full((2, 4, 6, 3), 0.4))


def test_image_batch_pads_a_missing_alpha_channel() -> None:
    rgba = solid(0.2, channels=4)
    rgb = solid(0.6, channels=3)
    (out,) = ImageBatch().batch(rgba, rgb)
    assert out.shape == (2, 2, 2, 4)
    assert out[1, 0, 0].tolist() == pytest.approx([0.6, 0.6, 0.6, 1.0])


def test_rebatch_images_regroups_frames_in_order() -> None:
    first = torch.arange(3, dtype=torch.float32).reshape(3, 1, 1, 1).expand(3, 2, 2, 3)
    second = torch.arange(3, 5, dtype=torch.float32).reshape(2, 1, 1, 1).expand(2, 2, 2, 3)
    (out,) = RebatchImages().rebatch([first, second], [2])
    assert [tuple(b.shape) for b in out] == [(2, 2, 2, 3), (2, 2, 2, 3), (1, 2, 2, 3)]
    assert [b[:, 0, 0, 0].tolist() for b in out] == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize(
    ("width", "height", "x", "y", "rows", "cols"),
    [
        (2, 3, 1, 1, slice(1, 4), slice(1, 3)),
        (512, 512, 0, 0, slice(0, 4), slice(0, 5)),  # bigger than the image: the whole image
        (2, 2, 10, 10, slice(3, 4), slice(4, 5)),  # offsets clamp to the last row/column
        (1, 1, 4, 0, slice(0, 1), slice(4, 5)),
    ],
)
def test_image_crop(width: int, height: int, x: int, y: int, rows: slice, cols: slice) -> None:
    image = ramp_image(batch=2, height=4, width=5)
    (out,) = ImageCrop().crop(image, width, height, x, y)
    assert torch.equal(out, image[:, rows, cols, :])


# --------------------------------------------------------------------------- pad for outpaint


def test_pad_for_outpaint_left_feather_one() -> None:
    image = solid(0.3, height=4, width=4)
    new_image, mask = ImagePadForOutpaint().expand_image(image, left=2, top=0, right=0, bottom=0, feathering=1)
    assert new_image.shape == (1, 4, 6, 3) and mask.shape == (1, 4, 6)
    assert new_image.dtype == torch.float32 and mask.dtype == torch.float32
    assert torch.equal(new_image[:, :, :2], torch.full((1, 4, 2, 3), 0.5))
    assert torch.equal(new_image[:, :, 2:], image)
    # padding is 1; inside, only the column touching the padding (distance 0) gets (1 - 0)^2 = 1
    assert mask[0].tolist() == [[1, 1, 1, 0, 0, 0]] * 4


def test_pad_for_outpaint_top_left_feather_two() -> None:
    image = solid(0.3, height=5, width=5)
    _, mask = ImagePadForOutpaint().expand_image(image, left=1, top=1, right=0, bottom=0, feathering=2)
    inner = mask[0, 1:, 1:]
    # distance = min(row, column); 0 -> 1.0, 1 -> ((2 - 1) / 2)^2 = 0.25, farther -> 0
    expected = [[1.0] * 5, [1.0, 0.25, 0.25, 0.25, 0.25]] + [[1.0, 0.25, 0, 0, 0]] * 3
    assert inner.tolist() == expected
    assert mask[0, 0].tolist() == [1.0] * 6 and mask[0, :, 0].tolist() == [1.0] * 6


def test_pad_for_outpaint_right_edge_is_one_pixel_further() -> None:
    # the right/bottom distances are measured from size - index, so the last column is 1 away
    _, mask = ImagePadForOutpaint().expand_image(solid(0.3, height=5, width=5), 0, 0, 2, 0, feathering=2)
    assert mask[0, 0].tolist() == [0, 0, 0, 0, 0.25, 1, 1]


@pytest.mark.parametrize("feathering", [0, 3])  # 0: none; 3: 2 * 3 >= 5, too wide for the image
def test_pad_for_outpaint_without_feathering(feathering: int) -> None:
    _, mask = ImagePadForOutpaint().expand_image(solid(0.3, height=5, width=5), 8, 0, 0, 8, feathering)
    assert mask.shape == (1, 13, 13)
    assert torch.equal(mask[0, :5, 8:], torch.zeros(5, 5))
    assert mask.sum().item() == 13 * 13 - 25


# --------------------------------------------------------------------------- composite


def test_composite_masked_pastes_at_offset() -> None:
    dest = torch.zeros(1, 4, 4, 3)
    (out,) = ImageCompositeMasked().composite(dest, torch.ones(1, 2, 2, 3), x=1, y=2, resize_source=False)
    expected = torch.zeros(1, 4, 4, 3)
    expected[:, 2:4, 1:3] = 1
    assert torch.equal(out, expected)
    assert dest.sum().item() == 0  # the input is not modified


@pytest.mark.parametrize(("x", "y", "pixels"), [(2, 3, 2), (3, 3, 1), (10, 0, 0), (0, 10, 0)])
def test_composite_masked_clips_at_the_edges(x: int, y: int, pixels: int) -> None:
    (out,) = ImageCompositeMasked().composite(torch.zeros(1, 4, 4, 3), torch.ones(1, 3, 3, 3), x, y, False)
    assert out.sum().item() == pixels * 3


def test_composite_masked_blends_through_mask() -> None:
    mask = torch.tensor([[[1.0, 0.0], [0.5, 0.25]]])
    (out,) = ImageCompositeMasked().composite(solid(0.2), solid(1.0), 0, 0, False, mask=mask)
    # mask * 1.0 + (1 - mask) * 0.2
    assert_close(out[0, :, :, 0], torch.tensor([[1.0, 0.2], [0.6, 0.4]]))


def test_composite_masked_resizes_source_and_repeats_batch() -> None:
    dest = torch.zeros(2, 3, 4, 3)
    (out,) = ImageCompositeMasked().composite(dest, solid(0.7, batch=1, height=1, width=1), 0, 0, True)
    assert_close(out, torch.full((2, 3, 4, 3), 0.7))


def test_composite_masked_drops_source_alpha() -> None:
    (out,) = ImageCompositeMasked().composite(solid(0.0), solid(0.5, channels=4), 0, 0, False)
    assert out.shape == (1, 2, 2, 3) and out.max().item() == 0.5


# --------------------------------------------------------------------------- blend, blur, sharpen

BLENDS = [
    # image1, image2, mode, blended layer (factor 1)
    (0.25, 0.5, "normal", 0.5),
    (0.25, 0.5, "multiply", 0.125),
    (0.25, 0.5, "screen", 0.625),  # 1 - 0.75 * 0.5
    (0.25, 0.5, "overlay", 0.25),  # a <= 0.5: 2ab
    (0.75, 0.25, "overlay", 0.625),  # 1 - 2(1 - a)(1 - b)
    (0.75, 0.25, "soft_light", 0.65625),  # b <= 0.5: a - (1 - 2b) a (1 - a)
    (0.16, 0.75, "soft_light", 0.279168),  # b > 0.5, a <= 0.25: a + (2b - 1)(((16a - 12)a + 4)a - a)
    (0.64, 1.0, "soft_light", 0.8),  # b > 0.5, a > 0.25: a + (2b - 1)(sqrt(a) - a)
    (0.75, 0.25, "difference", 0.5),
    (0.25, 0.5, "difference", 0.0),  # a - b < 0, clamped
]


@pytest.mark.parametrize(("a", "b", "mode", "layer"), BLENDS)
def test_image_blend_modes(a: float, b: float, mode: str, layer: float) -> None:
    (full,) = ImageBlend().blend_images(solid(a), solid(b), 1.0, mode)
    assert full.unique().tolist() == pytest.approx([layer], abs=1e-6)
    (half,) = ImageBlend().blend_images(solid(a), solid(b), 0.5, mode)
    raw = ImageBlend.blend_mode(solid(a), solid(b), mode)[0, 0, 0, 0].item()
    assert half.unique().tolist() == pytest.approx([min(max(0.5 * a + 0.5 * raw, 0), 1)], abs=1e-6)


def test_image_blend_factor_zero_keeps_image1_and_resizes_image2() -> None:
    image1 = ramp_image(height=2, width=2)
    (out,) = ImageBlend().blend_images(image1, solid(0.9, height=4, width=4), 0.0, "normal")
    assert torch.equal(out, image1)
    (mixed,) = ImageBlend().blend_images(solid(0.1), solid(0.9, batch=1, height=4, width=4), 1.0, "normal")
    assert_close(mixed, solid(0.9))


def test_image_blend_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="Unsupported blend mode"):
        ImageBlend().blend_images(solid(0.1), solid(0.2), 0.5, "dodge")


def test_gaussian_kernel_spans_minus_one_to_one() -> None:
    import math

    kernel = images.gaussian_kernel(3, 1.0)
    total = 1 + 4 * math.exp(-0.5) + 4 * math.exp(-1.0)
    expected = torch.tensor(
        [[math.exp(-1.0), math.exp(-0.5), math.exp(-1.0)], [math.exp(-0.5), 1.0, math.exp(-0.5)],
         [math.exp(-1.0), math.exp(-0.5), math.exp(-1.0)]]
    ) / total  # fmt: skip
    assert_close(kernel, expected)


def test_image_blur_spreads_an_impulse_by_the_kernel() -> None:
    image = torch.zeros(1, 5, 5, 3)
    image[0, 2, 2] = 1.0
    (out,) = ImageBlur().blur(image, blur_radius=1, sigma=1.0)
    assert out.shape == image.shape
    assert_close(out[0, 1:4, 1:4, 0], images.gaussian_kernel(3, 1.0))
    assert out[0, 0].abs().max().item() == 0.0


@pytest.mark.parametrize(("radius", "sigma"), [(1, 1.0), (2, 0.5), (3, 10.0)])
def test_image_blur_and_sharpen_keep_a_constant(radius: int, sigma: float) -> None:
    image = solid(0.4, batch=2, height=8, width=8)
    (blurred,) = ImageBlur().blur(image, radius, sigma)
    (sharpened,) = ImageSharpen().sharpen(image, radius, sigma, alpha=1.0)
    assert_close(blurred, image)
    assert_close(sharpened, image)


def test_image_sharpen_boosts_an_impulse_and_clamps() -> None:
    image = torch.zeros(1, 5, 5, 3)
    image[0, 2, 2] = 0.25
    (out,) = ImageSharpen().sharpen(image, sharpen_radius=1, sigma=1.0, alpha=0.1)
    g = images.gaussian_kernel(3, 1.0)
    center = (-g[1, 1] + g.sum() + 1.0).item()  # kernel -g, center adjusted so the kernel sums to 1
    assert out[0, 2, 2, 0].item() == pytest.approx(0.25 * center)
    assert out[0, 1, 2, 0].item() == 0.0  # 0.25 * -g < 0, clamped
    assert out.min().item() >= 0.0 and out.max().item() <= 1.0


# --------------------------------------------------------------------------- size, from batch, repeat


def test_get_image_size() -> None:
    assert GetImageSize().get_size(torch.zeros(2, 3, 5, 3)) == (5, 3, 2)
    assert GetImageSize().get_size(torch.zeros(1, 7, 4, 3), unique_id="12") == (4, 7, 1)


@pytest.mark.parametrize(
    ("batch_index", "length", "picked"),
    [(0, 1, [0]), (1, 2, [1, 2]), (2, 5, [2, 3]), (9, 2, [3]), (3, 1, [3])],
)
def test_image_from_batch(batch_index: int, length: int, picked: list[int]) -> None:
    image = torch.arange(4, dtype=torch.float32).reshape(4, 1, 1, 1).expand(4, 2, 2, 3)
    (out,) = ImageFromBatch().frombatch(image, batch_index, length)
    assert out[:, 0, 0, 0].tolist() == picked
    assert out.is_contiguous() and out.data_ptr() != image.data_ptr()


@pytest.mark.parametrize(("amount", "order"), [(1, [0, 1]), (3, [0, 1, 0, 1, 0, 1])])
def test_repeat_image_batch(amount: int, order: list[int]) -> None:
    image = torch.arange(2, dtype=torch.float32).reshape(2, 1, 1, 1).expand(2, 2, 2, 3)
    (out,) = RepeatImageBatch().repeat(image, amount)
    assert out.shape == (2 * amount, 2, 2, 3)
    assert out[:, 0, 0, 0].tolist() == order


# --------------------------------------------------------------------------- device


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_image_nodes_work_on_the_input_device() -> None:
    image = torch.rand(2, 8, 8, 3, device="cuda")
    mask = torch.rand(1, 8, 8, device="cuda")
    outputs = [
        ImageScale().upscale(image, "bicubic", 5, 3, "center")[0],
        ImageScale().upscale(image, "lanczos", 5, 3, "disabled")[0],
        ImageScaleBy().upscale(image, "area", 0.5)[0],
        ImageInvert().invert(image)[0],
        ImageBatch().batch(image, image[:1, :4])[0],
        ImagePadForOutpaint().expand_image(image, 8, 0, 0, 8, 2)[0],
        ImagePadForOutpaint().expand_image(image, 8, 0, 0, 8, 2)[1],
        ImageCompositeMasked().composite(image, image.flip(0), 2, 1, False, mask)[0],
        ImageBlend().blend_images(image, image.flip(1), 0.3, "soft_light")[0],
        ImageBlur().blur(image, 2, 1.0)[0],
        ImageSharpen().sharpen(image, 2, 1.0, 0.5)[0],
    ]
    assert all(out.is_cuda for out in outputs)
    cpu = ImageBlur().blur(image.cpu(), 2, 1.0)[0]
    assert_close(outputs[9].cpu(), cpu)
