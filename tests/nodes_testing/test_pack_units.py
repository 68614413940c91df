"""Unit tests of the testing node pack: node methods called directly, no engine.

Engine APIs the nodes import lazily (GraphBuilder, ProgressBar, folder_paths, lazy_helpers, ...)
are replaced by small fakes here, so these tests run with nothing but torch, numpy, Pillow and
pluggy installed. A tiny recursive evaluator (`_MiniRun`) runs node expansions so the loop nodes
can be checked end to end.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import subprocess
import sys
import types
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import comfy_nodes_testing as pack  # noqa: E402
from comfy_nodes_testing import (  # noqa: E402
    api_nodes,
    async_nodes,
    conditions,
    engine_nodes,
    expansion,
    flow_control,
    fork_nodes,
    lists,
    specific,
    stubs,
    tools,
)

# --------------------------------------------------------------------------- registry


SPEC_NODES = {
    "StubImage", "StubConstantImage", "StubMask", "StubInt", "StubFloat",
    "TestLazyMixImages", "TestVariadicAverage", "TestCustomIsChanged", "TestIsChangedWithConstants",
    "TestCustomValidation1", "TestCustomValidation2", "TestCustomValidation3", "TestCustomValidation4",
    "TestDynamicDependencyCycle", "TestMixedExpansionReturns", "TestSamplingInExpansion", "TestSleep",
    "TestParallelSleep", "TestOutputNodeWithSocketOutput", "TestWhileLoopOpen", "TestWhileLoopClose",
    "TestExecutionBlocker", "TestAccumulateNode", "TestAccumulationHeadNode", "TestAccumulationTailNode",
    "TestAccumulationToListNode", "TestListToAccumulationNode", "TestAccumulationGetLengthNode",
    "TestAccumulationGetItemNode", "TestAccumulationSetItemNode", "TestIntMathOperation", "TestForLoopOpen",
    "TestForLoopClose", "TestMakeListNode", "TestIntConditions", "TestFloatConditions", "TestStringConditions",
    "TestToBoolNode", "TestBoolOperationNode", "TestAsyncValidation", "TestAsyncValidationError",
    "TestAsyncError", "TestAsyncTimeout", "TestSyncError", "TestAsyncLazyCheck", "TestDynamicAsyncGeneration",
    "TestAsyncResourceUser", "TestAsyncBatchProcessing", "TestAsyncConcurrentLimit",
    "TestAsyncProgressUpdate", "TestSyncProgressUpdate",
    "LazySwitch", "BinaryOperation", "ImageRequestParameter",
    "TestSleepUntilInterrupted", "TestIdentity", "TestIntOutput", "TestRaise",
}  # fmt: skip


def test_registry_holds_every_spec_node() -> None:
    assert SPEC_NODES - set(pack.NODE_CLASS_MAPPINGS) == set()
    assert set(pack.NODE_DISPLAY_NAME_MAPPINGS) == set(pack.NODE_CLASS_MAPPINGS)


@pytest.mark.parametrize("class_type", sorted(pack.NODE_CLASS_MAPPINGS))
def test_node_class_contract(class_type: str) -> None:
    cls = pack.NODE_CLASS_MAPPINGS[class_type]
    spec = cls.INPUT_TYPES()
    assert isinstance(spec, dict) and set(spec) <= {"required", "optional", "hidden"}
    for section in ("required", "optional"):
        for name, entry in spec.get(section, {}).items():
            assert isinstance(entry, tuple) and 1 <= len(entry) <= 2, (name, entry)
            assert isinstance(entry[0], (str, list)), (name, entry)
            if len(entry) == 2:
                assert isinstance(entry[1], dict), (name, entry)
    assert isinstance(cls.RETURN_TYPES, tuple)
    assert all(isinstance(t, str) for t in cls.RETURN_TYPES)
    if hasattr(cls, "RETURN_NAMES"):
        assert len(cls.RETURN_NAMES) == len(cls.RETURN_TYPES)
    if hasattr(cls, "OUTPUT_IS_LIST"):
        assert len(cls.OUTPUT_IS_LIST) == len(cls.RETURN_TYPES)
    assert callable(getattr(cls, cls.FUNCTION))
    assert isinstance(cls.CATEGORY, str) and cls.CATEGORY
    doc = (cls.__doc__ or "").strip()
    assert doc and "\n" not in doc, f"{class_type} needs a one-line docstring"
    cls()  # constructible without arguments


@pytest.mark.parametrize(
    ("class_type", "output_node"),
    [
        ("TestParallelSleep", True),
        ("TestOutputNodeWithSocketOutput", True),
        ("TestIntOutput", True),
        ("TestRaise", False),
        ("TestLazyMixImages", False),
        ("TestIdentity", False),
    ],
)
def test_output_node_flags(class_type: str, output_node: bool) -> None:
    assert getattr(pack.NODE_CLASS_MAPPINGS[class_type], "OUTPUT_NODE", False) is output_node


def test_import_loads_neither_torch_nor_engine() -> None:
    code = (
        "import sys, comfy_nodes_testing as m\n"
        "heavy = [n for n in ('torch', 'numpy', 'PIL', 'comfy_execution') if n in sys.modules]\n"
        "print(len(m.NODE_CLASS_MAPPINGS), heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split(" ", 1)[1].strip() == "[]", out.stdout


def test_plugin_registers_through_pluggy() -> None:
    pluggy = pytest.importorskip("pluggy")
    from comfy_nodes_testing import plugin

    hookspec = pluggy.HookspecMarker("comfyui")

    class Specs:
        @hookspec
        def comfy_register_nodes(self) -> dict[str, type]:  # type: ignore[empty-body]
            """Node classes by class_type."""

        @hookspec
        def comfy_register_display_names(self) -> dict[str, str]:  # type: ignore[empty-body]
            """Display names by class_type."""

    manager = pluggy.PluginManager("comfyui")
    manager.add_hookspecs(Specs)
    manager.register(plugin)
    assert manager.hook.comfy_register_nodes() == [pack.NODE_CLASS_MAPPINGS]
    assert manager.hook.comfy_register_display_names() == [pack.NODE_DISPLAY_NAME_MAPPINGS]


# --------------------------------------------------------------------------- stubs


@pytest.mark.parametrize(
    ("content", "check"),
    [
        ("WHITE", lambda t: bool((t == 1.0).all())),
        ("BLACK", lambda t: bool((t == 0.0).all())),
        ("NOISE", lambda t: bool(((t >= 0.0) & (t < 1.0)).all()) and t.std().item() > 0),
    ],
)
@pytest.mark.parametrize(("height", "width", "batch"), [(4, 6, 1), (3, 2, 5)])
def test_stub_image(content: str, check: Any, height: int, width: int, batch: int) -> None:
    (image,) = stubs.StubImage().stub_image(content, height, width, batch)
    assert image.shape == (batch, height, width, 3) and image.dtype == torch.float32
    assert check(image)


@pytest.mark.parametrize("value", [0.0, 0.25, 1.0])
def test_stub_constant_image_and_mask(value: float) -> None:
    (image,) = stubs.StubConstantImage().stub_constant_image(value, 3, 4, 2)
    (mask,) = stubs.StubMask().stub_mask(value, 3, 4, 2)
    assert image.shape == (2, 3, 4, 3) and mask.shape == (2, 3, 4)
    assert torch.equal(image, torch.full((2, 3, 4, 3), value))
    assert torch.equal(mask, torch.full((2, 3, 4), value))


@pytest.mark.parametrize(
    ("node", "value"),
    [(stubs.StubInt().stub_int, -7), (stubs.StubFloat().stub_float, 2.5)],
)
def test_stub_scalars(node: Any, value: Any) -> None:
    assert node(value) == (value,)


def test_stub_combo_and_ranges() -> None:
    spec = stubs.StubImage.INPUT_TYPES()["required"]
    assert spec["content"] == (["WHITE", "BLACK", "NOISE"],)
    assert stubs.StubMask.INPUT_TYPES()["required"]["value"][1] == {
        "default": 0.5,
        "min": 0.0,
        "max": 1.0,
        "step": 0.01,
    }


# --------------------------------------------------------------------------- lazy mix, average, IS_CHANGED


def _mask(value: float) -> Any:
    return torch.full((1, 2, 2), value)


def _img(value: float) -> Any:
    return torch.full((1, 2, 2, 3), value)


@pytest.mark.parametrize(
    ("mask", "have1", "have2", "needed"),
    [
        (0.0, False, False, ["image1"]),
        (1.0, False, False, ["image2"]),
        (0.5, False, False, ["image1", "image2"]),
        (0.5, True, False, ["image2"]),
        (0.5, True, True, []),
        (0.0, True, False, []),
        (1.0, False, True, []),
    ],
)
def test_lazy_mix_check_lazy_status(mask: float, have1: bool, have2: bool, needed: list[str]) -> None:
    node = specific.TestLazyMixImages()
    image1 = _img(0.0) if have1 else None
    image2 = _img(1.0) if have2 else None
    assert node.check_lazy_status(mask=_mask(mask), image1=image1, image2=image2) == needed


def test_lazy_mix_uneven_mask_needs_both() -> None:
    mask = torch.tensor([[[0.0, 1.0], [1.0, 1.0]]])
    assert specific.TestLazyMixImages().check_lazy_status(mask, None, None) == ["image1", "image2"]


@pytest.mark.parametrize(("mask", "expected"), [(0.0, 0.2), (1.0, 0.8), (0.5, 0.5), (0.25, 0.35)])
def test_lazy_mix_values(mask: float, expected: float) -> None:
    (mixed,) = specific.TestLazyMixImages().mix(mask=_mask(mask), image1=_img(0.2), image2=_img(0.8))
    assert mixed.shape == (1, 2, 2, 3)
    assert torch.allclose(mixed, _img(expected))


def test_lazy_mix_passes_unneeded_none_through() -> None:
    assert specific.TestLazyMixImages().mix(mask=_mask(0.0), image1=_img(0.3), image2=None)[0] is not None
    assert specific.TestLazyMixImages().mix(mask=_mask(1.0), image1=None, image2=_img(0.3))[0] is not None


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, 0.0),
        ({"input2": _img(1.0)}, 0.5),
        ({"input2": _img(1.0), "input3": _img(0.0), "input4": _img(0.0)}, 0.25),
        ({"input3": _img(1.0)}, 0.0),  # a gap stops the run of inputs
    ],
)
def test_variadic_average(extra: dict[str, Any], expected: float) -> None:
    (average,) = specific.TestVariadicAverage().variadic_average(_img(0.0), **extra)
    assert torch.allclose(average, _img(expected))


def test_custom_is_changed() -> None:
    changed = specific.TestCustomIsChanged.IS_CHANGED(should_change=True)
    assert changed != changed  # NaN
    assert specific.TestCustomIsChanged.IS_CHANGED(should_change=False) is False
    assert specific.TestCustomIsChanged.IS_CHANGED() is False
    image = _img(0.4)
    assert specific.TestCustomIsChanged().custom_is_changed(image, should_change=True) == (image,)


@pytest.mark.parametrize(("image", "value", "expected"), [(None, 0.5, 0.5), (_img(0.5), 0.5, 0.25)])
def test_is_changed_with_constants(image: Any, value: float, expected: float) -> None:
    assert specific.TestIsChangedWithConstants.IS_CHANGED(image=image, value=value) == pytest.approx(expected)


def test_is_changed_with_constants_scales() -> None:
    (out,) = specific.TestIsChangedWithConstants().custom_is_changed(_img(0.5), 0.5)
    assert torch.allclose(out, _img(0.25))


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("input1", "input2", "ok"),
    [
        (5.0, 3.0, True),
        (None, None, True),
        (_img(1.0), 2.0, True),
        (5, 3.0, False),
        ("foo", 3.0, False),
        (3.0, [1], False),
    ],
)
def test_custom_validation_1_and_2_values(input1: Any, input2: Any, ok: bool) -> None:
    result1 = specific.TestCustomValidation1.VALIDATE_INPUTS(input1=input1, input2=input2)
    result2 = specific.TestCustomValidation2.VALIDATE_INPUTS(input_types={}, input1=input1, input2=input2)
    for result in (result1, result2):
        assert (result is True) is ok
        if not ok:
            assert isinstance(result, str) and result.startswith("Invalid type of input")


@pytest.mark.parametrize(
    ("input_types", "ok"),
    [({"input1": "FLOAT"}, True), ({"input1": "IMAGE", "input2": "FLOAT"}, True), ({"input1": "INT"}, False)],
)
def test_custom_validation_2_types(input_types: dict[str, str], ok: bool) -> None:
    assert (specific.TestCustomValidation2.VALIDATE_INPUTS(input_types=input_types) is True) is ok


@pytest.mark.parametrize(
    ("input_types", "ok"),
    [
        ({"input1": "FLOAT"}, True),
        ({"input1": "IMAGE"}, True),
        ({"input1": "IMAGE,FLOAT"}, True),
        ({"input1": "INT"}, False),
        ({"input1": "FLOAT,INT"}, False),
        ({"input1": tools.SmartType("INT")}, True),  # a SmartType received side is trusted
        ({"unknown": "INT"}, True),
    ],
)
def test_custom_validation_3_variant_support(input_types: dict[str, str], ok: bool) -> None:
    result = specific.TestCustomValidation3.VALIDATE_INPUTS(input_types)
    assert (result is True) is ok
    if not ok:
        assert "Invalid type of input1" in result


def test_custom_validation_3_types_are_smart() -> None:
    spec = specific.TestCustomValidation3.INPUT_TYPES()
    assert isinstance(spec["required"]["input1"][0], tools.SmartType)
    assert isinstance(specific.TestCustomValidation3.RETURN_TYPES[0], tools.SmartType)


@pytest.mark.parametrize(("input1", "input2", "ok"), [(5.0, 3.0, True), (5, 3.0, False), (None, 3.0, True)])
def test_custom_validation_4(input1: Any, input2: Any, ok: bool) -> None:
    assert (specific.TestCustomValidation4.VALIDATE_INPUTS(input1=input1, input2=input2) is True) is ok


@pytest.mark.parametrize(
    ("node", "function"),
    [
        (specific.TestCustomValidation1, "custom_validation1"),
        (specific.TestCustomValidation2, "custom_validation2"),
        (specific.TestCustomValidation3, "custom_validation3"),
    ],
)
def test_custom_validation_products(node: type, function: str) -> None:
    (floats,) = getattr(node(), function)(2.0, 0.25)
    assert floats.shape == (1, 512, 512, 3) and torch.allclose(floats, torch.full_like(floats, 0.5))
    (tensors,) = getattr(node(), function)(_img(0.5), 0.5)
    assert torch.allclose(tensors, _img(0.25))


@pytest.mark.parametrize(
    ("received", "expected", "different"),
    [
        ("FLOAT", "IMAGE,FLOAT", False),
        ("IMAGE,FLOAT", "IMAGE,FLOAT", False),
        ("INT", "IMAGE,FLOAT", True),
        ("INT,FLOAT", "FLOAT", True),
        ("*", "IMAGE", False),
        ("IMAGE", "*", False),
    ],
)
def test_smart_type_inequality(received: str, expected: str, different: bool) -> None:
    assert (tools.SmartType(received) != expected) is different
    assert tools.SmartType(received) == received


def test_variant_support_refuses_existing_validator() -> None:
    class HasValidator:
        @classmethod
        def INPUT_TYPES(cls) -> dict:
            return {"required": {}}

        @classmethod
        def VALIDATE_INPUTS(cls) -> bool:
            return True

    with pytest.raises(NotImplementedError):
        tools.VariantSupport()(HasValidator)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(["1", 0], True), (["1", 0.0], True), (["1", True], False), ([1, 0], False), (("1", 0), False), (["1"], False)],
)
def test_is_link(value: Any, expected: bool) -> None:
    assert tools._local_is_link(value) is expected


# --------------------------------------------------------------------------- lists


ACC = {"accum": [1, 2, 3]}
EMPTY: dict[str, list[Any]] = {"accum": []}


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: lists.TestAccumulateNode().accumulate(4), ({"accum": [4]},)),
        (lambda: lists.TestAccumulateNode().accumulate(4, ACC), ({"accum": [1, 2, 3, 4]},)),
        (lambda: lists.TestAccumulationHeadNode().accumulation_head(ACC), ({"accum": [2, 3]}, 1)),
        (lambda: lists.TestAccumulationHeadNode().accumulation_head(EMPTY), (EMPTY, None)),
        (lambda: lists.TestAccumulationTailNode().accumulation_tail(ACC), ({"accum": [1, 2]}, 3)),
        (lambda: lists.TestAccumulationTailNode().accumulation_tail(EMPTY), (None, EMPTY)),
        (lambda: lists.TestAccumulationToListNode().accumulation_to_list(ACC), ([1, 2, 3],)),
        (lambda: lists.TestListToAccumulationNode().list_to_accumulation([5, 6]), ({"accum": [5, 6]},)),
        (lambda: lists.TestAccumulationGetLengthNode().accumlength(ACC), (3,)),
        (lambda: lists.TestAccumulationGetItemNode().get_item(ACC, 1), (2,)),
        (lambda: lists.TestAccumulationGetItemNode().get_item(ACC, -1), (3,)),
        (lambda: lists.TestAccumulationSetItemNode().set_item(ACC, 0, 9), ({"accum": [9, 2, 3]},)),
        (lambda: lists.TestMakeListNode().make_list(value1=1, value3=3, value2=2), ([1, 2, 3],)),
        (lambda: lists.TestMakeListNode().make_list(value1="a", value9="z"), (["a", "z"],)),
    ],
)
def test_list_nodes(call: Any, expected: tuple) -> None:
    assert call() == expected
    assert ACC == {"accum": [1, 2, 3]} and EMPTY == {"accum": []}  # inputs never mutated


@pytest.mark.parametrize(
    ("node", "attribute", "value"),
    [
        (lists.TestAccumulationToListNode, "OUTPUT_IS_LIST", (True,)),
        (lists.TestMakeListNode, "OUTPUT_IS_LIST", (True,)),
        (lists.TestListToAccumulationNode, "INPUT_IS_LIST", (True,)),
    ],
)
def test_list_flags(node: type, attribute: str, value: Any) -> None:
    assert getattr(node, attribute) == value


def test_get_item_out_of_range_raises() -> None:
    with pytest.raises(IndexError):
        lists.TestAccumulationGetItemNode().get_item(ACC, 3)


# --------------------------------------------------------------------------- int math and conditions


@pytest.mark.parametrize(
    ("a", "b", "operation", "expected"),
    [
        (7, 2, "add", 9),
        (7, 2, "subtract", 5),
        (7, 2, "multiply", 14),
        (7, 2, "divide", 3),
        (-7, 2, "divide", -4),
        (7, 2, "modulo", 1),
        (-7, 2, "modulo", 1),
        (3, 4, "power", 81),
        (4, 1, "subtract", 3),
    ],
)
def test_int_math(a: int, b: int, operation: str, expected: int) -> None:
    assert conditions.TestIntMathOperation().int_math_operation(a, b, operation) == (expected,)


def test_int_math_divide_by_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        conditions.TestIntMathOperation().int_math_operation(1, 0, "divide")


@pytest.mark.parametrize(
    ("a", "b", "operation", "expected"),
    [
        (1, 1, "==", True),
        (0, 1, "==", False),
        (0, 1, "!=", True),
        (0, 1, "<", True),
        (0, 1, ">", False),
        (1, 1, "<=", True),
        (2, 1, ">=", True),
    ],
)
def test_int_and_float_conditions(a: int, b: int, operation: str, expected: bool) -> None:
    assert conditions.TestIntConditions().int_condition(a, b, operation) == (expected,)
    assert conditions.TestFloatConditions().float_condition(float(a), float(b), operation) == (expected,)


@pytest.mark.parametrize(
    ("a", "b", "operation", "case_sensitive", "expected"),
    [
        ("abc", "abc", "a == b", True, True),
        ("abc", "ABC", "a == b", True, False),
        ("abc", "ABC", "a == b", False, True),
        ("abc", "abd", "a != b", True, True),
        ("bc", "abcd", "a IN b", True, True),
        ("BC", "abcd", "a IN b", False, True),
        ("abc123", r"[a-z]+\d+", "a MATCH REGEX(b)", True, True),
        ("123abc", r"[a-z]+", "a MATCH REGEX(b)", True, False),
        ("abc", "(", "a MATCH REGEX(b)", True, False),
        ("abcdef", "abc", "a BEGINSWITH b", True, True),
        ("abcdef", "def", "a ENDSWITH b", True, True),
        ("abcdef", "DEF", "a ENDSWITH b", True, False),
    ],
)
def test_string_conditions(a: str, b: str, operation: str, case_sensitive: bool, expected: bool) -> None:
    assert conditions.TestStringConditions().string_condition(a, b, operation, case_sensitive) == (expected,)


class _Unconvertible:
    def __bool__(self) -> bool:
        raise TypeError("no truth value")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, False),
        (3, True),
        ("", False),
        ("x", True),
        (None, False),
        ([], False),
        (_Unconvertible(), True),
        (torch.zeros(2, 2), False),
        (torch.ones(2, 2), True),
        (torch.tensor([0.0, -1.0]), True),
        (torch.tensor([0.0, 1.0]), True),
    ],
)
@pytest.mark.parametrize("invert", [False, True])
def test_to_bool(value: Any, expected: bool, invert: bool) -> None:
    assert conditions.TestToBoolNode().to_bool(value, invert) == (expected != invert,)


@pytest.mark.parametrize(
    ("a", "b", "op", "expected"),
    [
        (True, False, "a AND b", False),
        (True, True, "a AND b", True),
        (False, True, "a OR b", True),
        (False, False, "a OR b", False),
        (True, True, "a XOR b", False),
        (True, False, "a XOR b", True),
        (True, True, "NOT a", False),
        (False, True, "NOT a", True),
    ],
)
def test_bool_operation(a: bool, b: bool, op: str, expected: bool) -> None:
    assert conditions.TestBoolOperationNode().bool_operation(a, b, op) == (expected,)


# --------------------------------------------------------------------------- fakes of engine APIs


class FakeNode:
    def __init__(self, builder: FakeGraphBuilder, node_id: str, class_type: str) -> None:
        self.builder, self.id, self.class_type = builder, node_id, class_type
        self.inputs: dict[str, Any] = {}
        self.override_display_id: str | None = None

    def out(self, index: int) -> list[Any]:
        return [self.id, index]

    def set_input(self, key: str, value: Any) -> None:
        if value is None:
            self.inputs.pop(key, None)
        else:
            self.inputs[key] = value

    def set_override_display_id(self, display_id: str) -> None:
        self.override_display_id = display_id


class FakeGraphBuilder:
    """GraphBuilder's observable behaviour: prefixed ids, None deletes inputs, finalize dict."""

    current_node = "x"  # the node being run; prefixes are "{node}.0.{graph_index}."
    graph_index = 0

    def __init__(self, prefix: str | None = None) -> None:
        if prefix is None:
            FakeGraphBuilder.graph_index += 1
            prefix = f"{FakeGraphBuilder.current_node}.0.{FakeGraphBuilder.graph_index}."
        self.prefix = prefix
        self.nodes: dict[str, FakeNode] = {}
        self.counter = 0

    def node(self, class_type: str, id: str | None = None, **inputs: Any) -> FakeNode:  # noqa: A002
        if id is None:
            self.counter += 1
            id = str(self.counter)  # noqa: A001
        if id in self.nodes:
            return self.nodes[id]
        node = FakeNode(self, self.prefix + id, class_type)
        node.inputs = dict(inputs)
        self.nodes[id] = node
        return node

    def lookup_node(self, node_id: str) -> FakeNode | None:
        return self.nodes.get(node_id)

    def finalize(self) -> dict[str, dict[str, Any]]:
        out = {}
        for node in self.nodes.values():
            entry: dict[str, Any] = {"class_type": node.class_type, "inputs": dict(node.inputs)}
            if node.override_display_id is not None:
                entry["override_display_id"] = node.override_display_id
            out[node.id] = entry
        return out


class FakeDynPrompt:
    def __init__(self, prompt: dict[str, dict[str, Any]]) -> None:
        self.prompt = prompt

    def get_node(self, node_id: str) -> dict[str, Any]:
        return self.prompt[node_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self.prompt

    def all_node_ids(self) -> list[str]:
        return list(self.prompt)

    def get_original_prompt(self) -> dict[str, Any]:
        return self.prompt


class FakeProgressBar:
    def __init__(self, total: float) -> None:
        self.total = total
        self.current = 0.0
        self.updates: list[float] = []

    def update(self, n: float) -> None:
        self.update_absolute(self.current + n)

    def update_absolute(self, value: float, total: float | None = None, preview: Any = None) -> None:
        self.current = value
        self.updates.append(value)


@pytest.fixture
def fake_builder(monkeypatch: pytest.MonkeyPatch) -> type[FakeGraphBuilder]:
    for module in (flow_control, expansion):
        monkeypatch.setattr(module, "graph_builder", FakeGraphBuilder)
    return FakeGraphBuilder


class _MiniRun:
    """A recursive evaluator of prompts with expansion: enough of the engine to run loops.

    `engine=True` uses comfy-core's own GraphBuilder and DynamicPrompt instead of the fakes.
    """

    def __init__(self, prompt: dict[str, dict[str, Any]], engine: bool = False) -> None:
        self.outputs: dict[str, tuple] = {}
        self.ui: list[tuple[str, dict[str, Any]]] = []
        self.engine = engine
        if engine:
            graph = pytest.importorskip("comfy_execution.graph", exc_type=ImportError)
            self.builder = pytest.importorskip("comfy_execution.graph_utils", exc_type=ImportError).GraphBuilder
            self.dynprompt: Any = graph.DynamicPrompt(prompt)
        else:
            self.dynprompt = FakeDynPrompt(prompt)

    def value(self, link: list[Any]) -> Any:
        return self.run(link[0])[link[1]]

    def node(self, node_id: str) -> dict[str, Any]:
        return self.dynprompt.get_node(node_id)

    def node_ids(self) -> list[str]:
        return list(self.dynprompt.all_node_ids())

    def run(self, node_id: str) -> tuple:
        if node_id in self.outputs:
            return self.outputs[node_id]
        node = self.node(node_id)
        cls = pack.NODE_CLASS_MAPPINGS[node["class_type"]]
        spec = cls.INPUT_TYPES()
        declared = {**spec.get("required", {}), **spec.get("optional", {})}
        kwargs: dict[str, Any] = {}
        for name, value in node["inputs"].items():
            raw = name in declared and len(declared[name]) > 1 and declared[name][1].get("rawLink")
            if tools.is_link(value):
                self.value(value)  # the dependency runs first even for raw links
                kwargs[name] = value if raw else self.value(value)
            else:
                kwargs[name] = value
        for name, kind in spec.get("hidden", {}).items():
            if kind == "DYNPROMPT":
                kwargs[name] = self.dynprompt
            elif kind == "UNIQUE_ID":
                kwargs[name] = node_id
        if self.engine:
            self.builder.set_default_prefix(node_id, 0, 0)
        FakeGraphBuilder.current_node = node_id
        result = getattr(cls(), cls.FUNCTION)(**kwargs)
        if isinstance(result, dict):
            if "ui" in result:
                self.ui.append((node_id, result["ui"]))
            if "expand" in result:
                self.add_expansion(node_id, result["expand"])
            result = tuple(self.value(v) if tools.is_link(v) else v for v in result.get("result", ()))
        self.outputs[node_id] = result
        return result

    def add_expansion(self, parent_id: str, expand: dict[str, dict[str, Any]]) -> None:
        for new_id, new_node in expand.items():
            if self.engine:
                display = new_node.get("override_display_id", parent_id)
                self.dynprompt.add_ephemeral_node(new_id, new_node, parent_id, display)
            else:
                self.dynprompt.prompt[new_id] = new_node
        for new_id, new_node in expand.items():
            if getattr(pack.NODE_CLASS_MAPPINGS[new_node["class_type"]], "OUTPUT_NODE", False):
                self.run(new_id)


def _for_loop_prompt(iterations: int) -> dict[str, dict[str, Any]]:
    size = {"height": 2, "width": 2, "batch_size": 1}
    return {
        "black": {"class_type": "StubImage", "inputs": {"content": "BLACK", **size}},
        "white": {"class_type": "StubImage", "inputs": {"content": "WHITE", **size}},
        "changed": {"class_type": "TestCustomIsChanged", "inputs": {"should_change": True, "image": ["white", 0]}},
        "open": {
            "class_type": "TestForLoopOpen",
            "inputs": {"remaining": iterations, "initial_value1": ["changed", 0]},
        },
        "avg": {"class_type": "TestVariadicAverage", "inputs": {"input1": ["black", 0], "input2": ["open", 2]}},
        "close": {
            "class_type": "TestForLoopClose",
            "inputs": {"flow_control": ["open", 0], "initial_value1": ["avg", 0]},
        },
    }


# --------------------------------------------------------------------------- flow control


def test_while_loop_open_passes_values() -> None:
    node = flow_control.TestWhileLoopOpen()
    assert node.while_loop_open(True, initial_value0=1, initial_value3="x") == ("stub", 1, None, None, "x", None)


def test_while_loop_close_without_condition_returns_values() -> None:
    node = flow_control.TestWhileLoopClose()
    assert node.while_loop_close(["1", 0], False, initial_value1=5) == (None, 5, None, None, None)


def test_for_loop_types() -> None:
    assert flow_control.TestForLoopOpen.RETURN_TYPES == ("FLOW_CONTROL", "INT", "*", "*", "*", "*")
    assert flow_control.TestForLoopOpen.INPUT_TYPES()["hidden"] == {"initial_value0": ("*",)}
    assert flow_control.TestForLoopClose.INPUT_TYPES()["optional"]["initial_value1"] == ("*", {"rawLink": True})
    assert flow_control.TestWhileLoopClose.INPUT_TYPES()["hidden"] == {
        "dynprompt": "DYNPROMPT",
        "unique_id": "UNIQUE_ID",
    }


def _recursive_explore(node_id: str, prompt: dict, upstream: dict) -> None:
    for value in prompt[node_id]["inputs"].values():
        if tools.is_link(value):
            if value[0] not in upstream:
                upstream[value[0]] = []
                _recursive_explore(value[0], prompt, upstream)
            upstream[value[0]].append(node_id)


def _recursive_collect(node_id: str, upstream: dict, contained: dict) -> None:
    for child_id in upstream.get(node_id, ()):
        if child_id not in contained:
            contained[child_id] = True
            _recursive_collect(child_id, upstream, contained)


LOOP_SHAPES = [
    {
        "open": {"inputs": {}},
        "a": {"inputs": {"x": ["open", 0]}},
        "b": {"inputs": {"x": ["a", 0], "y": ["open", 1]}},
        "outside": {"inputs": {}},
        "close": {"inputs": {"f": ["open", 0], "v": ["b", 0], "w": ["outside", 0], "c": 3}},
    },
    {
        "src": {"inputs": {}},
        "open": {"inputs": {"i": ["src", 0]}},
        "d1": {"inputs": {"x": ["open", 1], "y": ["src", 0]}},
        "d2": {"inputs": {"x": ["open", 2], "y": ["d1", 0]}},
        "d3": {"inputs": {"x": ["d2", 0], "y": ["d1", 0], "z": ["open", 3]}},
        "close": {"inputs": {"v": ["d3", 0], "f": ["open", 0], "w": ["d2", 0]}},
    },
]


@pytest.mark.parametrize("prompt", LOOP_SHAPES)
def test_explore_and_collect_match_recursive_order(prompt: dict) -> None:
    upstream: dict[str, list[str]] = {}
    flow_control.explore_dependencies("close", FakeDynPrompt(prompt), upstream)
    expected_upstream: dict[str, list[str]] = {}
    _recursive_explore("close", prompt, expected_upstream)
    assert upstream == expected_upstream and list(upstream) == list(expected_upstream)
    contained: dict[str, bool] = {}
    flow_control.collect_contained("open", upstream, contained)
    expected_contained: dict[str, bool] = {}
    _recursive_collect("open", expected_upstream, expected_contained)
    assert list(contained) == list(expected_contained)
    assert "outside" not in contained and "src" not in contained


def test_explore_handles_long_chains_without_recursion() -> None:
    prompt = {"open": {"inputs": {}}}
    previous = "open"
    for i in range(5000):
        prompt[f"n{i}"] = {"inputs": {"x": [previous, 0]}}
        previous = f"n{i}"
    prompt["close"] = {"inputs": {"v": [previous, 0], "f": ["open", 0]}}
    upstream: dict[str, list[str]] = {}
    flow_control.explore_dependencies("close", FakeDynPrompt(prompt), upstream)
    contained: dict[str, bool] = {}
    flow_control.collect_contained("open", upstream, contained)
    assert len(contained) == 5001


def test_collect_body_outputs() -> None:
    prompt = {
        "open": {"class_type": "TestWhileLoopOpen", "inputs": {}},
        "body": {"class_type": "TestIdentity", "inputs": {"value": ["open", 1]}},
        "close": {"class_type": "TestWhileLoopClose", "inputs": {"flow_control": ["open", 0]}},
        "show": {"class_type": "TestIntOutput", "inputs": {"value": ["body", 0]}},
        "chained": {"class_type": "TestOutputNodeWithSocketOutput", "inputs": {"image": ["show", 0], "value": 1.0}},
        "result": {"class_type": "TestIntOutput", "inputs": {"value": ["close", 0]}},
        "unrelated": {"class_type": "TestIntOutput", "inputs": {"value": 3}},
        "not_output": {"class_type": "TestIdentity", "inputs": {"value": ["body", 0]}},
    }
    contained = {"open": True, "body": True, "close": True}
    found = flow_control.collect_body_outputs(FakeDynPrompt(prompt), contained, "close", pack.NODE_CLASS_MAPPINGS)
    assert found == ["show", "chained"]
    assert flow_control.collect_body_outputs(FakeDynPrompt(prompt), contained, "close", None) == []


@pytest.mark.parametrize("engine", [False, True], ids=["fake-builder", "engine-builder"])
@pytest.mark.parametrize("iterations", [1, 2, 3, 4])
def test_for_loop_by_expansion(iterations: int, engine: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not engine:
        for module in (flow_control, expansion):
            monkeypatch.setattr(module, "graph_builder", FakeGraphBuilder)
    monkeypatch.setattr(flow_control, "output_node_classes", lambda: pack.NODE_CLASS_MAPPINGS)
    prompt = _for_loop_prompt(iterations)
    prompt["count"] = {"class_type": "TestIntOutput", "inputs": {"value": ["open", 1]}}
    run = _MiniRun(prompt, engine=engine)
    run.run("count")
    (value1, value2, value3, value4) = run.run("close")
    assert torch.allclose(value1, _img(0.5**iterations))
    assert (value2, value3, value4) == (None, None, None)
    # the output node hanging off the loop body re-ran once per iteration, with that iteration's value
    assert [ui["value"][0] for _, ui in run.ui] == list(range(iterations, 0, -1))
    recursions = [node_id for node_id in run.node_ids() if node_id.endswith(".Recurse")]
    assert len(recursions) == iterations - 1
    for node_id in recursions:
        assert run.node(node_id)["class_type"] == "TestWhileLoopClose"
        creator = re.fullmatch(r"(.+)\.\d+\.\d+\.Recurse", node_id)
        assert creator is not None and run.node(node_id)["override_display_id"] == creator.group(1)


def test_while_loop_clone_keeps_display_ids(
    fake_builder: type[FakeGraphBuilder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flow_control, "output_node_classes", lambda: None)
    prompt = {
        "open": {"class_type": "TestWhileLoopOpen", "inputs": {"condition": True, "initial_value0": 3}},
        "sub": {"class_type": "TestIntMathOperation", "inputs": {"a": ["open", 1], "b": 1, "operation": "subtract"}},
        "cond": {"class_type": "TestToBoolNode", "inputs": {"value": ["sub", 0]}},
        "close": {
            "class_type": "TestWhileLoopClose",
            "inputs": {"flow_control": ["open", 0], "condition": ["cond", 0], "initial_value0": ["sub", 0]},
        },
    }
    result = flow_control.TestWhileLoopClose().while_loop_close(
        ["open", 0], True, dynprompt=FakeDynPrompt(prompt), unique_id="close", initial_value0=2
    )
    expand = result["expand"]
    assert {entry["override_display_id"] for entry in expand.values()} == {"open", "sub", "cond", "close"}
    recurse = next(k for k in expand if k.endswith("Recurse"))
    assert result["result"] == tuple([recurse, i] for i in range(5))
    new_open = next(k for k, v in expand.items() if v["override_display_id"] == "open")
    assert expand[new_open]["inputs"] == {"condition": True, "initial_value0": 2}
    assert expand[recurse]["inputs"]["flow_control"] == [new_open, 0]


@pytest.mark.parametrize(("block", "verbose", "expected"), [(True, True, "Blocked Execution"), (True, False, None)])
def test_execution_blocker(block: bool, verbose: bool, expected: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow_control, "execution_blocker", lambda message: ("blocked", message))
    node = flow_control.TestExecutionBlockerNode()
    assert node.execution_blocker("img", block, verbose) == (("blocked", expected),)
    assert node.execution_blocker("img", False, verbose) == ("img",)


# --------------------------------------------------------------------------- expansion nodes


def test_mixed_expansion_returns(fake_builder: type[FakeGraphBuilder]) -> None:
    node = expansion.TestMixedExpansionReturns()
    plain = node.mixed_expansion_returns(0.1)
    assert isinstance(plain, tuple) and torch.allclose(plain[0], torch.full((1, 512, 512, 3), 0.1))
    wrapped = node.mixed_expansion_returns(0.2)
    assert set(wrapped) == {"result"} and torch.allclose(wrapped["result"][0], torch.full((1, 512, 512, 3), 0.2))
    expanded = node.mixed_expansion_returns(0.3)
    classes = sorted(v["class_type"] for v in expanded["expand"].values())
    assert classes == ["StubImage", "StubImage", "StubMask", "TestLazyMixImages"]
    run = _MiniRun(dict(expanded["expand"]))
    mixed = run.value(expanded["result"][0])
    assert torch.allclose(mixed, torch.full((1, 512, 512, 3), 0.3))
    assert bool((expanded["result"][1] == 1.0).all())


def test_dynamic_dependency_cycle_builds_a_cycle(fake_builder: type[FakeGraphBuilder]) -> None:
    expanded = expansion.TestDynamicDependencyCycle().dynamic_dependency_cycle(_img(0.0), _img(1.0))
    mixes = {k: v for k, v in expanded["expand"].items() if v["class_type"] == "TestLazyMixImages"}
    (mix1, mix2) = mixes
    assert mixes[mix1]["inputs"]["image2"] == [mix2, 0] and mixes[mix2]["inputs"]["image1"] == [mix1, 0]
    assert expanded["result"] == ([mix2, 0],)


@pytest.mark.parametrize(("count", "averaged"), [(1, False), (3, True)])
def test_dynamic_async_generation(count: int, averaged: bool, fake_builder: type[FakeGraphBuilder]) -> None:
    expanded = expansion.TestDynamicAsyncGeneration().generate_async_workflow("i1", "i2", count, 0.1)
    classes = [v["class_type"] for v in expanded["expand"].values()]
    assert classes.count("TestSleep") == count and ("TestVariadicAverage" in classes) is averaged
    sleeps = [v["inputs"]["value"] for v in expanded["expand"].values() if v["class_type"] == "TestSleep"]
    assert sleeps == ["i1", "i2", "i1"][:count]


def test_parallel_sleep_expansion(fake_builder: type[FakeGraphBuilder]) -> None:
    expanded = expansion.TestParallelSleep().parallel_sleep("a", "b", "c", 0.1, 0.2, 0.3, unique_id="9")
    sleeps = {k: v["inputs"] for k, v in expanded["expand"].items() if v["class_type"] == "TestSleep"}
    assert sorted((v["value"], v["seconds"]) for v in sleeps.values()) == [("a", 0.1), ("b", 0.2), ("c", 0.3)]
    (average,) = [v for v in expanded["expand"].values() if v["class_type"] == "TestVariadicAverage"]
    assert sorted(average["inputs"]) == ["input1", "input2", "input3"]


def test_executed_node_ids_expander(fake_builder: type[FakeGraphBuilder]) -> None:
    expanded = expansion.TestExecutedNodeIdsExpander().expand("v")
    assert expanded["result"] == ()
    assert [v["class_type"] for v in expanded["expand"].values()] == ["TestExecutedNodeIdsChild"]
    assert expansion.TestExecutedNodeIdsChild().emit("v") == {"ui": {"values": ["v"]}}


# --------------------------------------------------------------------------- async nodes


@pytest.fixture
def fake_progress(monkeypatch: pytest.MonkeyPatch) -> list[FakeProgressBar]:
    bars: list[FakeProgressBar] = []

    def make(total: float, node_id: str | None = None) -> FakeProgressBar:
        bars.append(FakeProgressBar(total))
        return bars[-1]

    monkeypatch.setattr(async_nodes, "progress_bar", make)
    return bars


def test_sleep_reports_progress(fake_progress: list[FakeProgressBar]) -> None:
    assert asyncio.run(async_nodes.TestSleep().sleep("v", 0.05, unique_id="1")) == ("v",)
    (bar,) = fake_progress
    assert bar.total == 0.05 and bar.updates and bar.updates[-1] >= 0.05


def test_batch_processing_inverts(fake_progress: list[FakeProgressBar]) -> None:
    images = torch.stack([torch.full((2, 2, 3), v) for v in (0.0, 0.25, 1.0)])
    (out,) = asyncio.run(async_nodes.TestAsyncBatchProcessing().process_batch(images, 0.01, unique_id="1"))
    assert torch.allclose(out, 1.0 - images)
    assert fake_progress[0].updates == [1, 2, 3]


@pytest.mark.parametrize(
    ("cls", "kwargs", "expected"),
    [
        (async_nodes.TestAsyncValidation, {"value": 5.0, "threshold": 10.0}, True),
        (async_nodes.TestAsyncValidation, {"value": 11.0, "threshold": 10.0}, "Value 11.0 exceeds threshold 10.0"),
        (async_nodes.TestAsyncValidationError, {"value": 5.0, "max_value": 10.0}, True),
        (
            async_nodes.TestAsyncValidationError,
            {"value": 15.0, "max_value": 10.0},
            "Async validation failed: 15.0 > 10.0",
        ),
    ],
)
def test_async_validate_inputs(cls: type, kwargs: dict[str, float], expected: Any) -> None:
    assert asyncio.run(cls.VALIDATE_INPUTS(**kwargs)) == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: async_nodes.TestAsyncError().error_execution("v", 0.0), "Intentional async execution error"),
        (
            lambda: async_nodes.TestAsyncTimeout().timeout_execution("v", 0.1, 1.0),
            "Operation timed out after 0.1 seconds",
        ),
    ],
)
def test_async_errors(call: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        asyncio.run(call())


def test_sync_error_and_timeout_success() -> None:
    with pytest.raises(RuntimeError, match="Intentional sync execution error"):
        async_nodes.TestSyncError().sync_error("v")
    assert asyncio.run(async_nodes.TestAsyncTimeout().timeout_execution("v", 1.0, 0.01)) == ("v",)


@pytest.mark.parametrize(
    ("condition", "input1", "input2", "needed"),
    [(True, None, None, ["input1"]), (False, None, None, ["input2"]), (True, 1, None, []), (False, None, 2, [])],
)
def test_async_lazy_check(condition: bool, input1: Any, input2: Any, needed: list[str]) -> None:
    node = async_nodes.TestAsyncLazyCheck()
    assert asyncio.run(node.check_lazy_status(condition, input1, input2)) == needed


def test_async_resource_user_rejects_concurrent_use() -> None:
    async def scenario() -> list[Any]:
        node = async_nodes.TestAsyncResourceUser()
        return await asyncio.gather(
            node.use_resource(1, "r", 0.05), node.use_resource(2, "r", 0.05), return_exceptions=True
        )

    first, second = asyncio.run(scenario())
    assert first == (1,) and isinstance(second, RuntimeError) and "already in use" in str(second)
    assert asyncio.run(async_nodes.TestAsyncResourceUser().use_resource(3, "r", 0.0)) == (3,)


def test_async_concurrent_limit_allows_two() -> None:
    active = 0
    peak = 0
    node = async_nodes.TestAsyncConcurrentLimit()

    async def watched(value: int) -> tuple[Any]:
        nonlocal active, peak
        async with node.semaphore():
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.02)
            active -= 1
        return await node.limited_execution(value, 0.0, value)

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(watched(i) for i in range(5)))

    assert asyncio.run(scenario()) == [(i,) for i in range(5)]
    assert peak == 2
    assert asyncio.run(scenario()) == [(i,) for i in range(5)]  # a second event loop works too


@pytest.fixture
def progress_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    calls: list[tuple[float, float]] = []

    class AsyncExecution:
        async def set_progress(
            self, value: float, max_value: float, node_id: Any = None, preview_image: Any = None
        ) -> None:
            calls.append((value, max_value))

    class SyncExecution:
        def set_progress(self, value: float, max_value: float, node_id: Any = None, preview_image: Any = None) -> None:
            calls.append((value, max_value))

    latest = types.ModuleType("comfy_api.latest")
    latest.ComfyAPI = type("ComfyAPI", (), {"execution": AsyncExecution()})  # type: ignore[attr-defined]
    latest.ComfyAPISync = type("ComfyAPISync", (), {"execution": SyncExecution()})  # type: ignore[attr-defined]
    parent = _importable_or_fake(monkeypatch, "comfy_api")
    monkeypatch.setitem(sys.modules, "comfy_api.latest", latest)
    monkeypatch.setattr(parent, "latest", latest, raising=False)
    return calls


@pytest.mark.parametrize(
    "call",
    [
        lambda: asyncio.run(api_nodes.TestAsyncProgressUpdate().execute("v", 0.05)),
        lambda: api_nodes.TestSyncProgressUpdate().execute("v", 0.05),
    ],
    ids=["async", "sync"],
)
def test_progress_update_nodes(call: Any, progress_calls: list[tuple[float, float]]) -> None:
    assert call() == ("v",)
    values = [value for value, _ in progress_calls]
    assert len(values) >= 2 and values == sorted(values) and values[-1] >= 1.0
    assert {max_value for _, max_value in progress_calls} == {1.0}


# --------------------------------------------------------------------------- engine-test nodes


def _importable_or_fake(monkeypatch: pytest.MonkeyPatch, name: str) -> types.ModuleType:
    """The real package `name` when it imports, else an empty stand-in (removed after the test)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        fake = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, fake)
        return fake


def _fake_comfy_module(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> None:
    parent = _importable_or_fake(monkeypatch, "comfy")
    module = types.ModuleType(f"comfy.{name}")
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, f"comfy.{name}", module)
    monkeypatch.setattr(parent, name, module, raising=False)


def test_identity_int_output_and_raise() -> None:
    marker = object()
    assert engine_nodes.TestIdentity().identity(marker) == (marker,)
    assert engine_nodes.TestIntOutput().output(7) == {"ui": {"value": [7]}, "result": (7,)}
    with pytest.raises(RuntimeError, match="^boom$"):
        engine_nodes.TestRaise().raise_error("boom")


def test_sleep_until_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    class Interrupted(Exception):
        pass

    calls = []

    def throw() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise Interrupted

    _fake_comfy_module(monkeypatch, "model_management", throw_exception_if_processing_interrupted=throw)
    node = engine_nodes.TestSleepUntilInterrupted()
    with pytest.raises(Interrupted):
        node.sleep_until_interrupted("v")
    assert len(calls) == 3
    with pytest.raises(TimeoutError):
        node.sleep_until_interrupted("v", max_seconds=0.0)


# --------------------------------------------------------------------------- fork nodes


@pytest.fixture
def pending(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    state: dict[str, bool] = {}
    _fake_comfy_module(monkeypatch, "lazy_helpers", is_input_pending=lambda name: state[name])
    return state


@pytest.mark.parametrize(
    ("switch", "state", "needed"),
    [
        (True, {"on_true": True, "on_false": True}, ["on_true"]),
        (False, {"on_true": True, "on_false": True}, ["on_false"]),
        (True, {"on_true": False, "on_false": True}, []),  # evaluated to None still counts
        (False, {"on_true": True, "on_false": False}, []),
    ],
)
def test_lazy_switch(switch: bool, state: dict[str, bool], needed: list[str], pending: dict[str, bool]) -> None:
    pending.update(state)
    node = fork_nodes.LazySwitch()
    assert node.check_lazy_status(switch, on_false=None, on_true=None) == needed
    assert node.execute(switch, on_false="f", on_true="t") == ("t" if switch else "f",)


@pytest.mark.parametrize(
    ("op", "lhs", "state", "needed"),
    [
        ("and", None, {"lhs": True, "rhs": True}, ["lhs"]),
        ("and", False, {"lhs": False, "rhs": True}, []),
        ("and", True, {"lhs": False, "rhs": True}, ["rhs"]),
        ("or", True, {"lhs": False, "rhs": True}, []),
        ("or", False, {"lhs": False, "rhs": True}, ["rhs"]),
        ("or", None, {"lhs": False, "rhs": True}, ["rhs"]),  # lhs evaluated to None
        ("eq", None, {"lhs": True, "rhs": True}, ["lhs", "rhs"]),
        ("add", 1, {"lhs": False, "rhs": False}, []),
    ],
)
def test_binary_operation_lazy(op: str, lhs: Any, state: dict[str, bool], needed: list[str], pending: dict) -> None:
    pending.update(state)
    assert fork_nodes.BinaryOperation().check_lazy_status(lhs=lhs, op=op, rhs=None) == needed


def test_lazy_nodes_fall_back_outside_an_engine_context(monkeypatch: pytest.MonkeyPatch) -> None:
    def outside(name: str) -> bool:
        raise LookupError(name)

    _fake_comfy_module(monkeypatch, "lazy_helpers", is_input_pending=outside)
    assert fork_nodes.LazySwitch().check_lazy_status(True, on_false=None, on_true=None) == ["on_true"]
    assert fork_nodes.LazySwitch().check_lazy_status(True, on_false=None, on_true=0) == []
    assert fork_nodes.BinaryOperation().check_lazy_status(lhs=True, op="and", rhs=None) == ["rhs"]


@pytest.mark.parametrize(
    ("lhs", "op", "rhs", "expected"),
    [(2, "add", 3, 5), (2, "eq", 2, True), (7, "floordiv", 2, 3), (True, "and", False, False), (0, "or", "x", "x")],
)
def test_binary_operation_execute(lhs: Any, op: str, rhs: Any, expected: Any) -> None:
    assert fork_nodes.BinaryOperation().execute(lhs, op, rhs) == (expected,)


def test_binary_operation_ops() -> None:
    ops = fork_nodes.BinaryOperation.INPUT_TYPES()["optional"]["op"]
    assert ops[1] == {"default": "eq"}
    assert {"eq", "add", "sub", "and", "or", "contains"} <= set(ops[0])
    assert "not_" not in ops[0] and "attrgetter" not in ops[0]


def test_image_request_parameter(tmp_path: Any) -> None:
    from PIL import Image

    node = fork_nodes.ImageRequestParameter()
    default = _img(0.5)
    assert node.execute(value="  ", default_if_empty=default) == (default, None)
    assert node.execute(value="") == (None, None)
    rgba = Image.new("RGBA", (3, 2), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (0, 255, 0, 255))
    rgba.save(tmp_path / "a.png")
    image, mask = node.execute(value=str(tmp_path / "a.png"))
    assert image.shape == (1, 2, 3, 3) and mask.shape == (1, 2, 3)
    assert image[0, 0, 0].tolist() == [0.0, 1.0, 0.0] and image[0, 1, 1].tolist() == [1.0, 0.0, 0.0]
    assert mask[0, 0, 0].item() == 0.0 and mask[0, 1, 1].item() == 1.0
    Image.new("RGB", (3, 2), (0, 0, 255)).save(tmp_path / "b.png")
    both, masks = node.execute(value=str(tmp_path / "*.png"))
    assert both.shape == (2, 2, 3, 3) and masks.shape == (2, 2, 3) and masks[1].abs().sum().item() == 0.0
    with pytest.raises(FileNotFoundError):
        node.execute(value=str(tmp_path / "missing.png"))
    with pytest.raises(ValueError, match="remote URLs"):
        node.execute(value="https://example.invalid/a.png")
