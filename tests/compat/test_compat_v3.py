"""Running workflows through V3 ``io.ComfyNode`` packs loaded by ``comfy_entrypoint``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comfy.execution import PromptExecutor, PromptValidationError
from comfy.nodes.registry import NodeRegistry
from comfy_api.latest import io, ui

CLIENT = "v3-client"


def test_list_output_async_nodes_and_hidden_unique_id(registry: NodeRegistry, recorder_factory: type) -> None:
    prompt = {
        "1": {"class_type": "V3CountUp", "inputs": {"n": 4}},
        "2": {"class_type": "V3AsyncDouble", "inputs": {"value": ["1", 0]}},
        "3": {"class_type": "V3ShowText", "inputs": {"value": ["2", 0]}},
        "4": {"class_type": "V3ShowText", "inputs": {"value": ["1", 1]}},
    }
    handler = recorder_factory()
    outputs = PromptExecutor(registry, handler=handler).execute(prompt, extra_data={"client_id": CLIENT})
    assert outputs["3"] == {"text": ["0@3:True", "2@3:True", "4@3:True", "6@3:True"]}, "one async call per list item"
    assert outputs["4"] == {"text": ["4@4:True"]}
    executed = {d["node"]: d["output"] for d in handler.of("executed")}
    assert executed["3"] == outputs["3"]


def test_lazy_inputs_evaluate_only_the_chosen_branch(registry: NodeRegistry, pack_module: Any, recorder_factory: type) -> None:
    prompt = {
        "1": {"class_type": "V3CountUp", "inputs": {"n": 1}},
        "2": {"class_type": "V3CountUp", "inputs": {"n": 2}},
        "3": {"class_type": "V3LazyPick", "inputs": {"use_a": False, "a": ["1", 1], "b": ["2", 1]}},
        "4": {"class_type": "V3ShowText", "inputs": {"value": ["3", 0]}},
    }
    handler = recorder_factory()
    outputs = PromptExecutor(registry, handler=handler).execute(prompt, extra_data={"client_id": CLIENT})
    assert outputs["4"] == {"text": ["2@4:True"]}
    assert "1" not in handler.executing(), "the unused lazy branch never runs"
    executed = pack_module("v3_pack").nodes.EXECUTED
    assert executed == ["check:3", "count:2", "check:3", "pick:3"], "check_lazy_status sees cls.hidden too"


def test_validate_inputs(registry: NodeRegistry) -> None:
    prompt = {
        "1": {"class_type": "V3CountUp", "inputs": {"n": 3}},
        "2": {"class_type": "V3ShowText", "inputs": {"value": ["1", 1]}},
    }
    with pytest.raises(PromptValidationError):
        PromptExecutor(registry).execute(prompt)
    errors = PromptExecutor(registry).validate(prompt).node_errors["1"]["errors"]
    assert [(e["type"], e["details"]) for e in errors] == [("custom_validation_failed", "n - three is not allowed")]
    over_max = PromptExecutor(registry).validate({**prompt, "1": {"class_type": "V3CountUp", "inputs": {"n": 11}}})
    assert over_max.valid, "as in ComfyUI, an input validate_inputs names skips the min/max checks"


def test_fingerprint_inputs_and_caching(registry: NodeRegistry, pack_module: Any, recorder_factory: type) -> None:
    prompt = {
        "1": {"class_type": "V3CountUp", "inputs": {"n": 2}},
        "2": {"class_type": "V3ShowText", "inputs": {"value": ["1", 1]}},
    }
    handler = recorder_factory(client_id=CLIENT)
    executor = PromptExecutor(registry, handler=handler)
    executor.execute(prompt)
    first = handler.executing()
    handler.events.clear()
    executor.execute(prompt)
    assert first == ["1", "2"] and handler.executing() == [], "same fingerprint: fully cached"
    assert pack_module("v3_pack").nodes.FINGERPRINT_CALLS == [2, 2]


def test_ui_preview_image_and_output_node_metadata(registry: NodeRegistry, compat_workspace: Path) -> None:
    prompt = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 5, "height": 3, "batch_size": 1, "color": 0x00FF00}},
        "2": {"class_type": "V3Preview", "inputs": {"images": ["1", 0]}},
    }
    outputs = PromptExecutor(registry).execute(prompt, extra_data={"extra_pnginfo": {"workflow": {"id": 1}}})
    [image] = outputs["2"]["images"]
    assert (image["type"], image["subfolder"]) == ("temp", "")
    assert outputs["2"]["animated"] == [False]
    with Image.open(compat_workspace / "temp" / image["filename"]) as picture:
        assert picture.size == (5, 3) and picture.getpixel((0, 0)) == (0, 255, 0)
        assert '"class_type": "V3Preview"' in picture.info["prompt"]
        assert picture.info["workflow"] == '{"id": 1}'


def test_mixed_v1_and_v3_pack(registry: NodeRegistry) -> None:
    prompt = {
        "1": {"class_type": "ExtGreeting", "inputs": {"name": "pack", "style": "loud"}},
        "2": {"class_type": "ExtLegacy", "inputs": {"text": ["1", 0]}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }
    assert PromptExecutor(registry).execute(prompt)["3"] == {"text": ["HELLO PACK!"]}
    bad = {**prompt, "1": {"class_type": "ExtGreeting", "inputs": {"name": "pack", "style": "quiet"}}}
    errors = PromptExecutor(registry).validate(bad).node_errors["1"]["errors"]
    assert [e["type"] for e in errors] == ["value_not_in_list"], "V3 combo options are validated"


# --- V3 classes defined in the test: return shapes, expansion, blocking --------------------------


class Shapes(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="Shapes",
            inputs=[io.Combo.Input("kind", options=["none", "tuple", "dict", "blocker", "block", "expand"])],
            outputs=[io.Int.Output()],
            enable_expand=True,
        )

    @classmethod
    def execute(cls, kind: str) -> Any:
        from comfy_execution.graph import ExecutionBlocker
        from comfy_execution.graph_utils import GraphBuilder

        if kind == "none":
            return None
        if kind == "tuple":
            return (5,)
        if kind == "dict":
            return {"result": (6,), "ui": {"text": ["dict"]}}
        if kind == "blocker":
            return ExecutionBlocker(None)
        if kind == "block":
            return io.NodeOutput(block_execution="stop here")
        graph = GraphBuilder()
        node = graph.node("PrimitiveInt", value=9)
        return io.NodeOutput(node.out(0), expand=graph.finalize())


class NotExpandable(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(node_id="NotExpandable", outputs=[io.Int.Output()])

    @classmethod
    def execute(cls) -> io.NodeOutput:
        return io.NodeOutput(1, expand={})


class Sink(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(node_id="Sink", inputs=[io.Int.Input("value")], is_output_node=True)

    @classmethod
    def execute(cls, value: int) -> io.NodeOutput:
        return io.NodeOutput(ui=ui.PreviewText(str(value)))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("tuple", {"2": {"text": ["5"]}, "1": None}),
        ("dict", {"2": {"text": ["6"]}, "1": {"text": ["dict"]}}),
        ("expand", {"2": {"text": ["9"]}, "1": None}),
        ("blocker", {"2": None, "1": None}),
        ("block", {"2": None, "1": None}),
    ],
)
def test_return_shapes(registry: NodeRegistry, recorder_factory: type, kind: str, expected: dict[str, Any]) -> None:
    nodes = {**registry.NODE_CLASS_MAPPINGS, "Shapes": Shapes, "Sink": Sink}
    prompt = {"1": {"class_type": "Shapes", "inputs": {"kind": kind}}, "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}
    handler = recorder_factory(client_id=CLIENT)
    outputs = PromptExecutor(nodes, handler=handler).execute(prompt)
    assert {k: outputs.get(k) for k in expected} == expected
    errors = handler.of("execution_error")
    assert [e["exception_message"] for e in errors] == (["Execution Blocked: stop here"] if kind == "block" else [])
    assert handler.of("execution_success")


def test_expand_without_enable_expand_fails(recorder_factory: type) -> None:
    prompt = {"1": {"class_type": "NotExpandable", "inputs": {}}, "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}
    handler = recorder_factory(client_id=CLIENT)
    PromptExecutor({"NotExpandable": NotExpandable, "Sink": Sink}, handler=handler).execute(prompt)
    [error] = handler.of("execution_error")
    assert error["node_id"] == "1" and "enable_expand" in error["exception_message"]


def test_calls_are_stateless() -> None:
    prompt = {"1": {"class_type": "Shapes", "inputs": {"kind": "tuple"}}, "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}
    PromptExecutor({"Shapes": Shapes, "Sink": Sink}).execute(prompt)
    assert Sink.hidden is None and "hidden" not in Sink.__dict__, "hidden values live on a per-call clone"


def test_v1_face_of_a_v3_class() -> None:
    assert Shapes.RETURN_TYPES == ["INT"] and Shapes.FUNCTION == "EXECUTE_NORMALIZED"
    assert Sink.OUTPUT_NODE is True and Sink.INPUT_TYPES()["hidden"] == {
        "prompt": ("PROMPT",),
        "extra_pnginfo": ("EXTRA_PNGINFO",),
    }
    out = Shapes.EXECUTE_NORMALIZED(kind="dict")
    assert isinstance(out, io.NodeOutput) and out.args == (6,) and out.ui == {"text": ["dict"]}
    clone = Sink.PREPARE_CLASS_CLONE({"hidden_inputs": {io.Hidden.unique_id: "7"}})
    assert issubclass(clone, Sink) and clone.hidden.unique_id == "7" and clone.hidden.prompt is None
