"""Prompt.validate: the shape check of API-format prompts, and make_mutable."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest

from comfy.api.components.schema.prompt import Prompt, PromptDict, PromptNodeDict, immutabledict
from comfy.api.exceptions import ApiTypeError, ApiValueError, OpenApiException
from comfy.component_model.make_mutable import make_mutable

SDXL_LIKE: dict[str, Any] = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "model.safetensors"}},
    "3": {
        "class_type": "KSampler",
        "inputs": {"seed": 5, "cfg": 8.0, "model": ["4", 0], "denoise": 1, "add_noise": True},
        "_meta": {"title": "KSampler"},
    },
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "ComfyUI"}},
}


@pytest.mark.parametrize(
    ("prompt", "node_id", "class_type", "inputs"),
    [
        pytest.param(SDXL_LIKE, "3", "KSampler", {"seed": 5, "cfg": 8.0, "model": ("4", 0), "denoise": 1, "add_noise": True}, id="links-become-tuples"),
        pytest.param(SDXL_LIKE, "4", "CheckpointLoaderSimple", {"ckpt_name": "model.safetensors"}, id="scalars"),
        pytest.param({"a.0.0.1": {"class_type": "X", "inputs": {}}}, "a.0.0.1", "X", {}, id="graph-builder-id-empty-inputs"),
        pytest.param({"1": {"class_type": "X", "inputs": {"v": {"__value__": [1, 2]}}}}, "1", "X", {"v": {"__value__": (1, 2)}}, id="wrapped-list-constant"),
        pytest.param({"1": {"class_type": "X", "inputs": {"v": None}}}, "1", "X", {"v": None}, id="none-value"),
    ],
)
def test_valid_prompts(prompt: dict[str, Any], node_id: str, class_type: str, inputs: dict[str, Any]) -> None:
    validated = Prompt.validate(prompt)
    assert isinstance(validated, PromptDict)
    node = validated[node_id]
    assert isinstance(node, PromptNodeDict)
    assert node.class_type == node["class_type"] == class_type
    assert node.inputs == node["inputs"] == inputs
    assert isinstance(node.inputs, immutabledict)
    assert list(validated) == list(prompt)


@pytest.mark.parametrize(
    ("prompt", "error", "fragments", "path"),
    [
        pytest.param([], ApiTypeError, ["the prompt", "list"], (), id="prompt-not-a-mapping"),
        pytest.param("{}", ApiTypeError, ["the prompt", "str"], (), id="prompt-is-a-string"),
        pytest.param({1: {"class_type": "X", "inputs": {}}}, ApiTypeError, ["node id 1", "must be str"], (), id="int-node-id"),
        pytest.param({"1": ["X"]}, ApiTypeError, ["node '1'", "list"], ("1",), id="node-not-a-mapping"),
        pytest.param({"1": {"inputs": {}}}, ApiValueError, ["'1'", "class_type"], ("1",), id="missing-class-type"),
        pytest.param({"1": {"class_type": 5, "inputs": {}}}, ApiTypeError, ["class_type", "int"], ("1", "class_type"), id="class-type-not-str"),
        pytest.param({"1": {"class_type": "X"}}, ApiValueError, ["'1'", "inputs"], ("1",), id="missing-inputs"),
        pytest.param({"1": {"class_type": "X", "inputs": [1]}}, ApiTypeError, ["'inputs' of node '1'"], ("1", "inputs"), id="inputs-not-a-mapping"),
        pytest.param({"1": {"class_type": "X", "inputs": {2: 1}}}, ApiTypeError, ["input name 2"], ("1", "inputs"), id="input-name-not-str"),
        pytest.param({"1": {"class_type": "X", "inputs": {}, "_meta": "t"}}, ApiTypeError, ["_meta"], ("1", "_meta"), id="meta-not-a-mapping"),
        pytest.param({"1": {"class_type": "X", "inputs": {}, "_meta": {"title": 3}}}, ApiTypeError, ["_meta.title"], ("1", "_meta", "title"), id="meta-title-not-str"),
        pytest.param({"1": {"class_type": "X", "inputs": {}, "is_changed": 3}}, ApiTypeError, ["is_changed"], ("1", "is_changed"), id="is-changed-not-str"),
    ],
)
def test_invalid_prompts(prompt: Any, error: type[Exception], fragments: list[str], path: tuple[Any, ...]) -> None:
    with pytest.raises(error) as info:
        Prompt.validate(prompt)
    assert isinstance(info.value, OpenApiException)
    assert info.value.path_to_item == path
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "target"),
    [
        pytest.param(lambda p: p.__setitem__("5", {}), "prompt", id="prompt-setitem"),
        pytest.param(lambda p: p.__delitem__("3"), "prompt", id="prompt-delitem"),
        pytest.param(lambda p: p.update({}), "prompt", id="prompt-update"),
        pytest.param(lambda p: p.pop("3"), "prompt", id="prompt-pop"),
        pytest.param(lambda p: p.clear(), "prompt", id="prompt-clear"),
        pytest.param(lambda p: p.setdefault("x", 1), "prompt", id="prompt-setdefault"),
        pytest.param(lambda p: p.popitem(), "prompt", id="prompt-popitem"),
        pytest.param(lambda p: p["3"].__setitem__("class_type", "Y"), "node", id="node-setitem"),
        pytest.param(lambda p: p["3"].inputs.__setitem__("seed", 6), "inputs", id="inputs-setitem"),
        pytest.param(lambda p: p["3"]["_meta"].__setitem__("title", "t"), "meta", id="meta-setitem"),
    ],
)
def test_validated_prompt_is_immutable(mutate: Any, target: str) -> None:
    validated = Prompt.validate(SDXL_LIKE)
    with pytest.raises(TypeError, match="immutable"):
        mutate(validated)


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("class_type", "KSampler"),
        ("meta", {"title": "KSampler"}),
        ("is_changed", None),
    ],
)
def test_node_attribute_access(attribute: str, expected: Any) -> None:
    assert getattr(Prompt.validate(SDXL_LIKE)["3"], attribute) == expected


@pytest.mark.parametrize(
    "roundtrip",
    [
        pytest.param(lambda p: json.loads(json.dumps(p)), id="json"),
        pytest.param(lambda p: make_mutable(p), id="make_mutable"),
    ],
)
def test_roundtrip_gives_original(roundtrip: Any) -> None:
    assert roundtrip(Prompt.validate(SDXL_LIKE)) == SDXL_LIKE


@pytest.mark.parametrize(
    "copier",
    [pytest.param(pickle.loads, id="pickle"), pytest.param(None, id="deepcopy")],
)
def test_validated_prompt_copies(copier: Any) -> None:
    validated = Prompt.validate(SDXL_LIKE)
    copied = copier(pickle.dumps(validated)) if copier else copy.deepcopy(validated)
    assert copied == validated
    assert type(copied) is PromptDict
    assert type(copied["3"]) is PromptNodeDict


def test_validate_is_idempotent_and_does_not_touch_input() -> None:
    original = copy.deepcopy(SDXL_LIKE)
    validated = Prompt.validate(original)
    assert Prompt.validate(validated) is validated
    assert original == SDXL_LIKE
    assert original["3"]["inputs"]["model"] == ["4", 0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(immutabledict({"a": ("x", 0)}), {"a": ["x", 0]}, id="frozen-dict"),
        pytest.param(("a", (1, 2)), ["a", [1, 2]], id="nested-tuples"),
        pytest.param({"a": [("b", 1)]}, {"a": [["b", 1]]}, id="list-of-tuples"),
        pytest.param("text", "text", id="str"),
        pytest.param(3.5, 3.5, id="float"),
        pytest.param(None, None, id="none"),
    ],
)
def test_make_mutable(value: Any, expected: Any) -> None:
    result = make_mutable(value)
    assert result == expected
    assert type(result) is type(expected)


def test_make_mutable_gives_plain_mutable_containers() -> None:
    mutable = make_mutable(Prompt.validate(SDXL_LIKE))
    assert type(mutable) is dict and type(mutable["3"]) is dict and type(mutable["3"]["inputs"]) is dict
    mutable["3"]["inputs"]["seed"] = 6
    assert mutable["3"]["inputs"]["model"] == ["4", 0]
