"""Every node of comfy-nodes-base describes itself in `/object_info`'s shape, and loads as a plugin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import comfy_nodes_base
from comfy.execution import PromptExecutor
from comfy.nodes.object_info import node_info
from comfy.nodes.registry import NodeRegistry, load_registry
from comfy.plugins.manager import make_plugin_manager

CLASS_TYPES = sorted(comfy_nodes_base.NODE_CLASS_MAPPINGS)

REQUIRED_KEYS = {
    "input", "input_order", "output", "output_is_list", "output_name", "name", "display_name",
    "description", "python_module", "category", "output_node", "search_aliases",
}
INPUT_CATEGORIES = {"required", "optional", "hidden"}
HIDDEN_TYPES = {"PROMPT", "EXTRA_PNGINFO", "UNIQUE_ID", "DYNPROMPT", "AUTH_TOKEN_COMFY_ORG", "API_KEY_COMFY_ORG"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}

# ComfyUI's core nodes of this family that the plugin must provide (issue 3)
EXPECTED_NODES = {
    "SaveImage", "PreviewImage", "LoadImage", "LoadImageMask",
    "PreviewAny", "PrimitiveInt", "PrimitiveFloat", "PrimitiveBoolean", "PrimitiveString",
    "PrimitiveStringMultiline", "StringConcatenate", "StringReplace", "StringLength",
    "EmptyImage", "ImageScale", "ImageScaleBy", "ImageScaleToTotalPixels", "ImageInvert", "ImageBatch",
    "RebatchImages", "ImageCrop", "ImagePadForOutpaint", "ImageCompositeMasked", "ImageBlend", "ImageBlur",
    "ImageSharpen", "GetImageSize", "ImageFromBatch", "RepeatImageBatch",
    "SolidMask", "InvertMask", "MaskToImage", "ImageToMask", "GrowMask", "FeatherMask", "CropMask",
    "MaskComposite", "ThresholdMask",
    "EmptyLatentImage", "LatentUpscale", "LatentUpscaleBy", "LatentFromBatch", "RepeatLatentBatch",
    "LatentComposite", "LatentCompositeMasked", "LatentBlend", "LatentCrop", "SetLatentNoiseMask", "LatentBatch",
}


def test_the_plugin_has_the_issue_nodes() -> None:
    assert EXPECTED_NODES <= set(comfy_nodes_base.NODE_CLASS_MAPPINGS)
    assert set(comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS) <= set(comfy_nodes_base.NODE_CLASS_MAPPINGS)


def _check_input_spec(class_type: str, name: str, spec: Any) -> None:
    assert isinstance(spec, (tuple, list)) and 1 <= len(spec) <= 2, f"{class_type}.{name}: {spec!r}"
    io_type = spec[0]
    if isinstance(io_type, list):  # combo
        assert all(isinstance(option, (str, int, float)) for option in io_type), f"{class_type}.{name}"
    else:
        assert isinstance(io_type, str) and io_type, f"{class_type}.{name}: {io_type!r}"
    if len(spec) == 2:
        options = spec[1]
        assert isinstance(options, dict), f"{class_type}.{name}: {options!r}"
        if io_type in ("INT", "FLOAT") and "default" in options:
            low, high = options.get("min", float("-inf")), options.get("max", float("inf"))
            assert low <= options["default"] <= high, f"{class_type}.{name}: default outside min/max"
        if isinstance(io_type, list) and "default" in options:
            assert options["default"] in io_type, f"{class_type}.{name}: default not an option"


@pytest.mark.parametrize("class_type", CLASS_TYPES)
def test_node_info_shape(class_type: str) -> None:
    cls = comfy_nodes_base.NODE_CLASS_MAPPINGS[class_type]
    display_name = comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS.get(class_type)
    info = node_info(class_type, cls, display_name)

    assert REQUIRED_KEYS <= set(info)
    assert json.loads(json.dumps(info)) is not None  # JSON-serialisable as the server sends it
    assert info["name"] == class_type
    assert info["display_name"] == (display_name or class_type) and info["display_name"]
    assert isinstance(info["description"], str)
    assert isinstance(info["category"], str) and info["category"]
    assert isinstance(info["output_node"], bool)
    assert isinstance(info["search_aliases"], list)

    inputs = info["input"]
    assert set(inputs) <= INPUT_CATEGORIES and "required" in inputs
    assert info["input_order"] == {category: list(entries) for category, entries in inputs.items()}
    for category, entries in inputs.items():
        for name, spec in entries.items():
            assert isinstance(name, str) and name
            if category == "hidden":
                assert spec in HIDDEN_TYPES, f"{class_type}.{name}: {spec!r}"
            else:
                _check_input_spec(class_type, name, spec)

    outputs = info["output"]
    assert isinstance(outputs, list) and all(isinstance(t, str) and t for t in outputs)
    assert len(info["output_is_list"]) == len(outputs) == len(info["output_name"])
    assert all(isinstance(flag, bool) for flag in info["output_is_list"])
    assert all(isinstance(name, str) and name for name in info["output_name"])
    assert outputs or info["output_node"], f"{class_type} has no outputs and is not an output node"
    function = getattr(cls, "FUNCTION", None)
    assert isinstance(function, str) and callable(getattr(cls, function, None)), f"{class_type}.FUNCTION"


@pytest.mark.parametrize(
    ("class_type", "inputs", "outputs", "output_node"),
    [
        ("SaveImage", {"required": ["images", "filename_prefix"], "hidden": ["prompt", "extra_pnginfo"]}, [], True),
        ("PreviewImage", {"required": ["images"], "hidden": ["prompt", "extra_pnginfo"]}, [], True),
        ("LoadImage", {"required": ["image"]}, ["IMAGE", "MASK"], False),
        ("LoadImageMask", {"required": ["image", "channel"]}, ["MASK"], False),
        ("PreviewAny", {"required": ["source"]}, ["STRING"], True),
        ("PrimitiveInt", {"required": ["value"]}, ["INT"], False),
        ("StringConcatenate", {"required": ["string_a", "string_b", "delimiter"]}, ["STRING"], False),
        ("StringReplace", {"required": ["string", "find", "replace"]}, ["STRING"], False),
        ("StringLength", {"required": ["string"]}, ["INT"], False),
    ],
)
def test_file_and_text_node_descriptions(
    class_type: str, inputs: dict[str, list[str]], outputs: list[str], output_node: bool
) -> None:
    info = node_info(class_type, comfy_nodes_base.NODE_CLASS_MAPPINGS[class_type])
    assert info["input_order"] == inputs
    assert info["output"] == outputs
    assert info["output_node"] is output_node


def test_save_image_input_defaults() -> None:
    info = node_info("SaveImage", comfy_nodes_base.NODE_CLASS_MAPPINGS["SaveImage"])
    assert info["input"]["required"]["filename_prefix"][1]["default"] == "ComfyUI"
    assert info["input"]["required"]["images"][0] == "IMAGE"


def test_every_node_compiles_into_the_scheduler() -> None:
    executor = PromptExecutor(NodeRegistry(comfy_nodes_base.NODE_CLASS_MAPPINGS))
    assert set(executor.infos) == set(CLASS_TYPES)
    executor.close()


def test_registered_through_the_entry_point(tmp_path: Path) -> None:
    registry = load_registry({"cwd": str(tmp_path)}, plugin_manager=make_plugin_manager())
    for class_type, cls in comfy_nodes_base.NODE_CLASS_MAPPINGS.items():
        assert registry.NODE_CLASS_MAPPINGS[class_type] is cls
    for class_type, name in comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS.items():
        assert registry.NODE_DISPLAY_NAME_MAPPINGS[class_type] == name


def test_listing_the_nodes_does_not_load_pillow(tmp_path: Path) -> None:
    """The file nodes import Pillow when they run, not when /object_info lists them."""
    code = (
        "import sys, json\n"
        "import comfy_nodes_base\n"
        "from comfy.nodes.object_info import node_info\n"
        "for k, c in comfy_nodes_base.NODE_CLASS_MAPPINGS.items():\n"
        "    json.dumps(node_info(k, c))\n"
        "print(json.dumps(sorted(m for m in ('PIL',) if m in sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
