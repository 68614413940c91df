"""PreviewAny, the Primitive* nodes and the string nodes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

import comfy_nodes_base
from comfy.execution import PromptExecutor
from comfy.nodes.registry import NodeRegistry
from comfy_nodes_base.primitives import PreviewAny, preview_text


@pytest.fixture
def executor(workspace: Path) -> Iterator[PromptExecutor]:
    ex = PromptExecutor(NodeRegistry(comfy_nodes_base.NODE_CLASS_MAPPINGS, comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS))
    yield ex
    ex.close()


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")

    __repr__ = __str__


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, "None"),
        ("plain text", "plain text"),
        ("", ""),
        (7, "7"),
        (-2.5, "-2.5"),
        (True, "True"),
        ({"a": [1, 2], "b": None}, json.dumps({"a": [1, 2], "b": None}, indent=4)),
        ([1, "x", 2.5], json.dumps([1, "x", 2.5], indent=4)),
        ((1, 2), "[\n    1,\n    2\n]"),
        ({3}, "{3}"),
        (Unprintable(), "source exists, but could not be serialized."),
    ],
    ids=["none", "str", "empty-str", "int", "float", "bool", "dict", "list", "tuple", "set-str", "unprintable"],
)
def test_preview_text(source: Any, expected: str) -> None:
    assert preview_text(source) == expected
    assert PreviewAny().main(source) == {"ui": {"text": [expected]}, "result": (expected,)}


@pytest.mark.parametrize(
    ("source", "contains", "absent"),
    [
        (torch.tensor([1.5, 2.0]), ["tensor([1.5000, 2.0000])"], []),
        (torch.arange(2000), ["0,    1,    2,    3,    4,    5,  ..., 1994", "1999"], ["6,    7", "1993"]),
        ({"samples": torch.zeros(1, 4, 2, 2)}, ["{'samples': tensor([[[[0., 0.]"], []),
    ],
    ids=["small-tensor", "large-tensor-summarised", "latent-dict"],
)
def test_preview_text_of_tensors(source: Any, contains: list[str], absent: list[str]) -> None:
    before = torch._tensor_str.PRINT_OPTS.edgeitems
    text = preview_text(source)
    for fragment in contains:
        assert fragment in text
    for fragment in absent:
        assert fragment not in text
    assert torch._tensor_str.PRINT_OPTS.edgeitems == before  # global print options restored


def test_preview_any_through_the_executor(executor: PromptExecutor) -> None:
    prompt = {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": 42}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        "3": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "line one\nline two"}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["3", 0]}},
    }
    outputs = executor.execute(prompt)
    assert outputs == {"2": {"text": ["42"]}, "4": {"text": ["line one\nline two"]}}


@pytest.mark.parametrize(
    ("class_type", "value"),
    [
        ("PrimitiveString", "hello"),
        ("PrimitiveString", ""),
        ("PrimitiveStringMultiline", "a\nb"),
        ("PrimitiveInt", -(2**40)),
        ("PrimitiveInt", sys.maxsize),
        ("PrimitiveFloat", 0.1),
        ("PrimitiveFloat", -1e9),
        ("PrimitiveBoolean", True),
        ("PrimitiveBoolean", False),
    ],
)
def test_primitives_pass_their_value(class_type: str, value: Any) -> None:
    node = comfy_nodes_base.NODE_CLASS_MAPPINGS[class_type]()
    assert getattr(node, node.FUNCTION)(value) == (value,)


@pytest.mark.parametrize(
    ("class_type", "io_type", "options"),
    [
        ("PrimitiveString", "STRING", {}),
        ("PrimitiveStringMultiline", "STRING", {"multiline": True}),
        ("PrimitiveInt", "INT", {"min": -sys.maxsize, "max": sys.maxsize, "control_after_generate": True}),
        ("PrimitiveFloat", "FLOAT", {"min": -sys.maxsize, "max": sys.maxsize, "step": 0.1}),
        ("PrimitiveBoolean", "BOOLEAN", {}),
    ],
)
def test_primitive_contracts(class_type: str, io_type: str, options: dict[str, Any]) -> None:
    cls = comfy_nodes_base.NODE_CLASS_MAPPINGS[class_type]
    assert cls.INPUT_TYPES() == {"required": {"value": (io_type, options)}}
    assert cls.RETURN_TYPES == (io_type,)
    assert cls.CATEGORY == "utils/primitive"


@pytest.mark.parametrize(
    ("class_type", "inputs", "expected"),
    [
        ("StringConcatenate", {"string_a": "foo", "string_b": "bar", "delimiter": ""}, ("foobar",)),
        ("StringConcatenate", {"string_a": "foo", "string_b": "bar", "delimiter": ", "}, ("foo, bar",)),
        ("StringConcatenate", {"string_a": "", "string_b": "", "delimiter": "-"}, ("-",)),
        ("StringReplace", {"string": "a cat and a cat", "find": "cat", "replace": "dog"}, ("a dog and a dog",)),
        ("StringReplace", {"string": "abc", "find": "x", "replace": "y"}, ("abc",)),
        ("StringReplace", {"string": "abc", "find": "", "replace": "-"}, ("-a-b-c-",)),
        ("StringLength", {"string": ""}, (0,)),
        ("StringLength", {"string": "héllo\n"}, (6,)),
    ],
)
def test_string_nodes(class_type: str, inputs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    node = comfy_nodes_base.NODE_CLASS_MAPPINGS[class_type]()
    assert getattr(node, node.FUNCTION)(**inputs) == expected


def test_string_nodes_through_the_executor(executor: PromptExecutor) -> None:
    prompt = {
        "1": {"class_type": "PrimitiveString", "inputs": {"value": "Hello"}},
        "2": {"class_type": "StringConcatenate", "inputs": {"string_a": ["1", 0], "string_b": "world", "delimiter": ", "}},
        "3": {"class_type": "StringReplace", "inputs": {"string": ["2", 0], "find": "world", "replace": "ComfyUI"}},
        "4": {"class_type": "StringLength", "inputs": {"string": ["3", 0]}},
        "5": {"class_type": "PreviewAny", "inputs": {"source": ["3", 0]}},
        "6": {"class_type": "PreviewAny", "inputs": {"source": ["4", 0]}},
    }
    outputs = executor.execute(prompt)
    assert outputs == {"5": {"text": ["Hello, ComfyUI"]}, "6": {"text": ["14"]}}


@pytest.mark.parametrize(
    ("class_type", "display_name", "category", "output_names"),
    [
        ("PreviewAny", "Preview as Text", "utilities", ("STRING",)),
        ("StringConcatenate", "Concatenate", "utils/string", ("STRING",)),
        ("StringReplace", "Replace", "utils/string", ("STRING",)),
        ("StringLength", "Length", "utils/string", ("length",)),
    ],
)
def test_text_node_contracts(class_type: str, display_name: str, category: str, output_names: tuple[str, ...]) -> None:
    cls = comfy_nodes_base.NODE_CLASS_MAPPINGS[class_type]
    assert comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS[class_type] == display_name
    assert cls.CATEGORY == category
    assert getattr(cls, "RETURN_NAMES", cls.RETURN_TYPES) == output_names
    assert getattr(cls, "OUTPUT_NODE", False) is (class_type == "PreviewAny")
