"""node_info / object_info: the /object_info description of node classes."""

from __future__ import annotations

from typing import Any

import pytest

from comfy.nodes.object_info import node_info, object_info
from comfy.nodes.registry import NodeRegistry


class Minimal:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"b": ("INT", {"default": 1, "min": 0}), "a": (["x", "y"],)}}

    RETURN_TYPES = ("INT", "STRING")
    FUNCTION = "run"


class Full:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"images": ("IMAGE",)},
            "optional": {"prefix": ("STRING", {"default": "ComfyUI", "tooltip": "t"})},
            "hidden": {"prompt": "PROMPT", "unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = ("IMAGE",)
    RETURN_NAMES = ("out",)
    OUTPUT_IS_LIST = (True,)
    OUTPUT_TOOLTIPS = ("the image",)
    OUTPUT_NODE = True
    CATEGORY = "image"
    DESCRIPTION = "Saves images."
    DEPRECATED = True
    EXPERIMENTAL = True
    API_NODE = False
    SEARCH_ALIASES = ["save", "write"]
    RELATIVE_PYTHON_MODULE = "custom_nodes.my_pack"
    FUNCTION = "run"


class Sink:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {}}

    RETURN_TYPES = ()
    OUTPUT_NODE = 1  # truthy but not True: ComfyUI reports False
    FUNCTION = "run"


class V3Like:
    @classmethod
    def GET_NODE_INFO_V1(cls) -> dict[str, Any]:
        return {"name": "V3Like", "display_name": "From Schema", "input": {}}


class Broken:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        raise RuntimeError("cannot describe")


@pytest.mark.parametrize(
    ("class_type", "cls", "display_name", "expected"),
    [
        pytest.param(
            "Minimal",
            Minimal,
            None,
            {
                "input": {"required": {"b": ("INT", {"default": 1, "min": 0}), "a": (["x", "y"],)}},
                "input_order": {"required": ["b", "a"]},
                "output": ["INT", "STRING"],
                "output_is_list": [False, False],
                "output_name": ["INT", "STRING"],
                "name": "Minimal",
                "display_name": "Minimal",
                "description": "",
                "python_module": "nodes",
                "category": "sd",
                "output_node": False,
                "search_aliases": [],
            },
            id="minimal",
        ),
        pytest.param(
            "SaveThing",
            Full,
            "Save Thing",
            {
                "input": Full.INPUT_TYPES(),
                "input_order": {"required": ["images"], "optional": ["prefix"], "hidden": ["prompt", "unique_id"]},
                "output": ["IMAGE"],
                "output_is_list": [True],
                "output_name": ["out"],
                "name": "SaveThing",
                "display_name": "Save Thing",
                "description": "Saves images.",
                "python_module": "custom_nodes.my_pack",
                "category": "image",
                "output_node": True,
                "output_tooltips": ["the image"],
                "deprecated": True,
                "experimental": True,
                "api_node": False,
                "search_aliases": ["save", "write"],
            },
            id="full",
        ),
        pytest.param(
            "Sink",
            Sink,
            None,
            {
                "input": {"required": {}},
                "input_order": {"required": []},
                "output": [],
                "output_is_list": [],
                "output_name": [],
                "name": "Sink",
                "display_name": "Sink",
                "description": "",
                "python_module": "nodes",
                "category": "sd",
                "output_node": False,
                "search_aliases": [],
            },
            id="sink",
        ),
        pytest.param("V3Like", V3Like, None, {"name": "V3Like", "display_name": "From Schema", "input": {}}, id="v3"),
        pytest.param("V3Like", V3Like, "Renamed", {"name": "V3Like", "display_name": "Renamed", "input": {}}, id="v3-display-name"),
    ],
)
def test_node_info(class_type: str, cls: type, display_name: str | None, expected: dict[str, Any]) -> None:
    assert node_info(class_type, cls, display_name) == expected


def test_object_info_skips_broken_classes(caplog: pytest.LogCaptureFixture) -> None:
    registry = NodeRegistry({"Minimal": Minimal, "Broken": Broken, "Full": Full}, {"Full": "Full Node"})
    info = object_info(registry)
    assert list(info) == ["Minimal", "Full"]
    assert info["Full"]["display_name"] == "Full Node"
    assert "Broken" in caplog.text
