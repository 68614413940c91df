"""Mask nodes against hand-computed expectations on tiny tensors (node methods called directly)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_base import masks  # noqa: E402
from comfy_nodes_base.masks import (  # noqa: E402
    CropMask,
    FeatherMask,
    GrowMask,
    ImageToMask,
    InvertMask,
    MaskComposite,
    MaskToImage,
    SolidMask,
    ThresholdMask,
)


def t(rows: list[list[float]]) -> torch.Tensor:
    """A one-mask batch `[1, H, W]` from nested rows."""
    return torch.tensor(rows, dtype=torch.float32).unsqueeze(0)


def grid(rows: list[str]) -> torch.Tensor:
    """A `[1, H, W]` binary mask drawn with '#' (1) and '.' (0)."""
    return t([[1.0 if c == "#" else 0.0 for c in row] for row in rows])


def assert_close(actual: torch.Tensor, expected: torch.Tensor, atol: float = 1e-6) -> None:
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert torch.allclose(actual.float(), expected.float(), atol=atol, rtol=0), (actual, expected)


# --------------------------------------------------------------------------- contracts

CONTRACTS = [
    ("SolidMask", ["value", "width", "height"], ("MASK",), "solid"),
    ("InvertMask", ["mask"], ("MASK",), "invert"),
    ("MaskToImage", ["mask"], ("IMAGE",), "mask_to_image"),
    ("ImageToMask", ["image", "channel"], ("MASK",), "image_to_mask"),
    ("GrowMask", ["mask", "expand", "tapered_corners"], ("MASK",), "expand_mask"),
    ("FeatherMask", ["mask", "left", "top", "right", "bottom"], ("MASK",), "feather"),
    ("CropMask", ["mask", "x", "y", "width", "height"], ("MASK",), "crop"),
    ("MaskComposite", ["destination", "source", "x", "y", "operation"], ("MASK",), "combine"),
    ("ThresholdMask", ["mask", "value"], ("MASK",), "image_to_mask"),
]


def test_module_exports_every_node_once() -> None:
    assert [c[0] for c in CONTRACTS] == list(masks.NODE_CLASS_MAPPINGS)
    assert set(masks.NODE_DISPLAY_NAME_MAPPINGS) == set(masks.NODE_CLASS_MAPPINGS)


@pytest.mark.parametrize(("class_type", "required", "returns", "function"), CONTRACTS)
def test_node_contract(class_type: str, required: list[str], returns: tuple[str, ...], function: str) -> None:
    cls = masks.NODE_CLASS_MAPPINGS[class_type]
    spec = cls.INPUT_TYPES()
    assert set(spec) == {"required"}
    assert list(spec["required"]) == required
    assert cls.RETURN_TYPES == returns
    assert cls.FUNCTION == function and callable(getattr(cls, function))
    assert cls.CATEGORY == "mask"
    assert isinstance(cls.DESCRIPTION, str) and cls.DESCRIPTION and "\n" not in cls.DESCRIPTION
    assert not hasattr(cls, "RETURN_NAMES") and not hasattr(cls, "OUTPUT_IS_LIST")


@pytest.mark.parametrize(
    ("class_type", "name", "options"),
    [
        ("SolidMask", "value", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}),
        ("SolidMask", "width", {"default": 512, "min": 1, "max": 16384, "step": 1}),
        ("GrowMask", "expand", {"default": 0, "min": -16384, "max": 16384, "step": 1}),
        ("GrowMask", "tapered_corners", {"default": True}),
        ("FeatherMask", "right", {"default": 0, "min": 0, "max": 16384, "step": 1}),
        ("CropMask", "height", {"default": 512, "min": 1, "max": 16384, "step": 1}),
        ("MaskComposite", "y", {"default": 0, "min": 0, "max": 16384, "step": 1}),
        ("ThresholdMask", "value", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}),
    ],
)
def test_input_options(class_type: str, name: str, options: dict[str, Any]) -> None:
    assert masks.NODE_CLASS_MAPPINGS[class_type].INPUT_TYPES()["required"][name][1] == options


@pytest.mark.parametrize(
    ("class_type", "name", "choices"),
    [
        ("ImageToMask", "channel", ["red", "green", "blue", "alpha"]),
        ("MaskComposite", "operation", ["multiply", "add", "subtract", "and", "or", "xor"]),
    ],
)
def test_combo_choices(class_type: str, name: str, choices: list[str]) -> None:
    assert masks.NODE_CLASS_MAPPINGS[class_type].INPUT_TYPES()["required"][name] == (choices,)


@pytest.mark.parametrize(
    ("class_type", "display_name"),
    [("MaskToImage", "Convert Mask to Image"), ("ImageToMask", "Convert Image to Mask"), ("GrowMask", "Grow Mask"),
     ("SolidMask", "SolidMask"), ("ThresholdMask", "ThresholdMask")],
)  # fmt: skip
def test_display_names(class_type: str, display_name: str) -> None:
    assert masks.NODE_DISPLAY_NAME_MAPPINGS[class_type] == display_name


# --------------------------------------------------------------------------- simple nodes


def test_solid_mask() -> None:
    (out,) = SolidMask().solid(value=0.25, width=3, height=2)
    assert out.shape == (1, 2, 3) and out.dtype == torch.float32
    assert out.unique().tolist() == [0.25]


@pytest.mark.parametrize("shape", [(2, 3), (1, 2, 3), (2, 2, 3)])
def test_invert_mask(shape: tuple[int, ...]) -> None:
    mask = torch.tensor([0.0, 0.25, 1.0, 0.5, 0.75, 0.125]).repeat(2)[: torch.Size(shape).numel()].reshape(shape)
    (out,) = InvertMask().invert(mask)
    assert out.shape == mask.shape
    assert torch.equal(out, 1.0 - mask) and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize(("shape", "batch"), [((2, 3, 4), 2), ((3, 4), 1)])
def test_mask_to_image(shape: tuple[int, ...], batch: int) -> None:
    mask = torch.rand(shape)
    (out,) = MaskToImage().mask_to_image(mask)
    assert out.shape == (batch, 3, 4, 3)
    for c in range(3):
        assert torch.equal(out[..., c], mask.reshape(batch, 3, 4))


@pytest.mark.parametrize(("channel", "index"), [("red", 0), ("green", 1), ("blue", 2), ("alpha", 3)])
def test_image_to_mask(channel: str, index: int) -> None:
    image = torch.rand(2, 3, 4, 4)
    (out,) = ImageToMask().image_to_mask(image, channel)
    assert out.shape == (2, 3, 4)
    assert torch.equal(out, image[..., index])


def test_image_to_mask_alpha_of_rgb_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="alpha"):
        ImageToMask().image_to_mask(torch.rand(1, 2, 2, 3), "alpha")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, [0, 0, 1, 1, 0]), (0.0, [1, 1, 1, 1, 0]), (1.0, [0, 0, 0, 0, 0])],  # 1.0 > 1.0 is false
)
def test_threshold_mask_is_strictly_greater(value: float, expected: list[int]) -> None:
    mask = t([[0.2, 0.5, 0.5001, 1.0, 0.0]])
    (out,) = ThresholdMask().image_to_mask(mask, value)
    assert out.dtype == torch.float32
    assert out[0, 0].tolist() == expected


# --------------------------------------------------------------------------- grow


POINT = grid([".....", ".....", "..#..", ".....", "....."])

GROW_CASES = [
    # expand, tapered_corners, input, expected
    (1, True, POINT, grid([".....", "..#..", ".###.", "..#..", "....."])),
    (1, False, POINT, grid([".....", ".###.", ".###.", ".###.", "....."])),
    (2, True, POINT, grid(["..#..", ".###.", "#####", ".###.", "..#.."])),
    (2, False, POINT, grid(["#####"] * 5)),
    (0, True, POINT, POINT),
    (-1, True, grid([".....", ".###.", ".###.", ".###.", "....."]), POINT),
    (-1, False, grid([".....", ".###.", ".###.", ".###.", "....."]), POINT),
    (-1, True, grid(["###", "###"]), grid(["###", "###"])),  # borders repeat the edge: a full mask stays full
    (1, True, t([[0.2, 0.9], [0.5, 0.1]]), t([[0.9, 0.9], [0.5, 0.9]])),  # grey dilation: max over the cross
    (1, False, t([[0.2, 0.9], [0.5, 0.1]]), t([[0.9, 0.9], [0.9, 0.9]])),
    (-1, True, t([[0.2, 0.9], [0.5, 0.1]]), t([[0.2, 0.1], [0.1, 0.1]])),  # grey erosion: min over the cross
]


@pytest.mark.parametrize(("expand", "tapered", "mask", "expected"), GROW_CASES)
def test_grow_mask(expand: int, tapered: bool, mask: torch.Tensor, expected: torch.Tensor) -> None:
    (out,) = GrowMask().expand_mask(mask, expand, tapered)
    assert out.dtype == torch.float32
    assert torch.equal(out, expected)


def test_grow_mask_batches_and_bare_masks() -> None:
    batch = torch.cat([POINT, grid(["#....", ".....", ".....", ".....", "....."])])
    (out,) = GrowMask().expand_mask(batch, 1, True)
    assert out.shape == (2, 5, 5)
    assert torch.equal(out[1], grid(["##...", "#....", ".....", ".....", "....."])[0])
    (bare,) = GrowMask().expand_mask(POINT[0], 1, False)
    assert bare.shape == (1, 5, 5) and bare.sum().item() == 9


# --------------------------------------------------------------------------- feather

FEATHER_CASES = [
    # shape (H, W) of a mask of ones, left, top, right, bottom, expected rows
    ((1, 5), 2, 0, 0, 0, [[0.5, 1, 1, 1, 1]]),
    ((1, 5), 5, 0, 0, 0, [[0.2, 0.4, 0.6, 0.8, 1.0]]),
    ((1, 5), 9, 0, 0, 0, [[0.2, 0.4, 0.6, 0.8, 1.0]]),  # clamped to the width
    # ComfyUI's right/bottom ramps index with -i: step 0 hits column/row 0, the last gets step 1
    ((1, 5), 0, 0, 3, 0, [[1 / 3, 1, 1, 1, 2 / 3]]),
    ((1, 5), 0, 0, 2, 0, [[0.5, 1, 1, 1, 1]]),
    ((4, 1), 0, 2, 0, 0, [[0.5], [1], [1], [1]]),
    ((4, 1), 0, 0, 0, 3, [[1 / 3], [1], [1], [2 / 3]]),
    ((3, 3), 2, 2, 0, 0, [[0.25, 0.5, 0.5], [0.5, 1, 1], [0.5, 1, 1]]),
    ((2, 2), 0, 0, 0, 0, [[1, 1], [1, 1]]),
]


@pytest.mark.parametrize(("shape", "left", "top", "right", "bottom", "expected"), FEATHER_CASES)
def test_feather_mask(
    shape: tuple[int, int], left: int, top: int, right: int, bottom: int, expected: list[list[float]]
) -> None:
    mask = torch.ones(1, *shape)
    (out,) = FeatherMask().feather(mask, left, top, right, bottom)
    assert_close(out, t(expected))
    assert torch.equal(mask, torch.ones(1, *shape))  # the input is not modified


def test_feather_mask_scales_existing_values_in_every_batch_entry() -> None:
    mask = torch.full((2, 1, 4), 0.5)
    (out,) = FeatherMask().feather(mask, 4, 0, 0, 0)
    assert_close(out, torch.tensor([0.125, 0.25, 0.375, 0.5]).expand(2, 1, 4))


# --------------------------------------------------------------------------- crop


@pytest.mark.parametrize(
    ("x", "y", "width", "height", "rows", "cols"),
    [
        (1, 2, 3, 5, slice(2, 4), slice(1, 4)),
        (0, 0, 512, 512, slice(0, 4), slice(0, 5)),
        (4, 3, 1, 1, slice(3, 4), slice(4, 5)),
    ],
)
def test_crop_mask(x: int, y: int, width: int, height: int, rows: slice, cols: slice) -> None:
    mask = torch.arange(40, dtype=torch.float32).reshape(2, 4, 5) / 39
    (out,) = CropMask().crop(mask, x, y, width, height)
    assert torch.equal(out, mask[:, rows, cols])
    (bare,) = CropMask().crop(mask[0], x, y, width, height)
    assert torch.equal(bare, mask[:1, rows, cols])


# --------------------------------------------------------------------------- composite

SOURCE = t([[1.0, 0.0], [0.25, 0.75]])

COMPOSITE_CASES = [
    ("multiply", [[0.5, 0.0], [0.125, 0.375]]),
    ("add", [[1.0, 0.5], [0.75, 1.0]]),  # 1.5 and 1.25 clamp to 1
    ("subtract", [[0.0, 0.5], [0.25, 0.0]]),  # -0.5 and -0.25 clamp to 0
]


@pytest.mark.parametrize(("operation", "region"), COMPOSITE_CASES)
def test_mask_composite_arithmetic_at_offset(operation: str, region: list[list[float]]) -> None:
    dest = torch.full((1, 3, 3), 0.5)
    (out,) = MaskComposite().combine(dest, SOURCE, 1, 1, operation)
    expected = torch.full((1, 3, 3), 0.5)
    expected[:, 1:, 1:] = torch.tensor(region)
    assert_close(out, expected)
    assert torch.equal(dest, torch.full((1, 3, 3), 0.5))  # the input is not modified


@pytest.mark.parametrize(
    ("operation", "expected"),
    [("and", [[1, 0], [0, 0]]), ("or", [[1, 1], [1, 0]]), ("xor", [[0, 1], [1, 0]])],
)
def test_mask_composite_logic_rounds_first(operation: str, expected: list[list[int]]) -> None:
    dest = t([[0.6, 0.4], [0.9, 0.1]])  # rounds to [[1, 0], [1, 0]]
    src = t([[0.7, 0.51], [0.2, 0.5]])  # rounds to [[1, 1], [0, 0]] (0.5 rounds to even: 0)
    (out,) = MaskComposite().combine(dest, src, 0, 0, operation)
    assert out.dtype == torch.float32
    assert out[0].tolist() == expected


@pytest.mark.parametrize(("x", "y", "changed"), [(2, 2, 1), (1, 0, 6), (3, 0, 0), (0, 7, 0)])
def test_mask_composite_clips_to_the_destination(x: int, y: int, changed: int) -> None:
    (out,) = MaskComposite().combine(torch.zeros(1, 3, 3), torch.ones(1, 3, 3), x, y, "add")
    assert out.shape == (1, 3, 3) and out.sum().item() == changed


def test_mask_composite_broadcasts_one_source_over_a_batch() -> None:
    dest = torch.stack([torch.full((2, 2), 0.2), torch.full((2, 2), 0.4)])
    (out,) = MaskComposite().combine(dest, torch.full((2, 2), 0.5), 0, 0, "add")
    assert_close(out, torch.stack([torch.full((2, 2), 0.7), torch.full((2, 2), 0.9)]))


# --------------------------------------------------------------------------- device


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_mask_nodes_work_on_the_input_device() -> None:
    mask = (torch.rand(2, 6, 6, device="cuda") > 0.5).float()
    outputs = [
        InvertMask().invert(mask)[0],
        MaskToImage().mask_to_image(mask)[0],
        GrowMask().expand_mask(mask, 2, True)[0],
        GrowMask().expand_mask(mask, -1, False)[0],
        FeatherMask().feather(mask, 2, 1, 2, 1)[0],
        MaskComposite().combine(mask, mask.flip(1), 1, 2, "xor")[0],
        ThresholdMask().image_to_mask(mask, 0.5)[0],
    ]
    assert all(out.is_cuda for out in outputs)
    assert torch.equal(outputs[2].cpu(), GrowMask().expand_mask(mask.cpu(), 2, True)[0])
