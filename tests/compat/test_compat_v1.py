"""Running workflows through a V1 pack that uses ComfyUI's modules (folder_paths, nodes, comfy.utils …)."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from comfy.execution import PromptExecutor
from comfy.nodes.registry import NodeRegistry

CLIENT = "compat-client"


def _scale_and_save(size: int = 4) -> dict[str, dict[str, object]]:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 6, "batch_size": 2, "color": 0xFF0000}},
        "2": {"class_type": "V1ScaleToSquare", "inputs": {"image": ["1", 0], "size": size}},
        "3": {"class_type": "V1SaveSquare", "inputs": {"images": ["2", 0], "filename_prefix": "v1_pack/square"}},
    }


def test_v1_pack_workflow(registry: NodeRegistry, compat_workspace: Path, recorder_factory: type) -> None:
    handler = recorder_factory()
    executor = PromptExecutor(registry, handler=handler)
    outputs = executor.execute(_scale_and_save(), extra_data={"client_id": CLIENT})
    images = outputs["3"]["images"]
    assert [(i["subfolder"], i["type"]) for i in images] == [("v1_pack", "output")] * 2
    for image in images:
        path = compat_workspace / "output" / image["subfolder"] / image["filename"]
        with Image.open(path) as picture:
            assert picture.size == (4, 4)
            assert picture.getpixel((0, 0))[:3] == (255, 0, 0)
    # the node's own message reached the executor's handler, addressed to the prompt's client
    assert [(e, d, sid) for e, d, sid in handler.events if e == "v1_pack.scaled"] == [
        ("v1_pack.scaled", {"node": "2", "size": 4}, CLIENT)
    ]
    progress = [d for d in handler.of("progress") if d["node"] == "2"]
    assert [(p["value"], p["max"]) for p in progress] == [(1, 2), (2, 2)]


def test_v1_pack_validation_uses_its_input_types(registry: NodeRegistry, compat_workspace: Path) -> None:
    result = PromptExecutor(registry).validate(_scale_and_save(size=0))
    assert not result.valid
    assert [e["type"] for e in result.node_errors["2"]["errors"]] == ["value_smaller_than_min"]


def test_folder_paths_in_a_pack(registry: NodeRegistry, compat_workspace: Path) -> None:
    prompt = {"1": {"class_type": "V1WorkspaceInfo", "inputs": {"folder": "checkpoints"}}}
    outputs = PromptExecutor(registry).execute(prompt)
    assert outputs["1"]["text"] == ["models|output|tiny.safetensors|True"]


def test_execution_blocker_and_graph_builder_in_a_pack(registry: NodeRegistry, compat_workspace: Path, recorder_factory: type) -> None:
    prompt = {
        "1": {"class_type": "V1MaybeBlock", "inputs": {"value": 41, "block": False}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        "3": {"class_type": "V1MaybeBlock", "inputs": {"value": 1, "block": True}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["3", 0]}},
    }
    outputs = PromptExecutor(registry).execute(prompt)
    assert outputs["2"] == {"text": ["42"]}, "the expanded PrimitiveInt computed the result"
    assert "4" not in outputs, "a blocked output node produces nothing"


def test_send_sync_with_the_handler_client_id(registry: NodeRegistry, compat_workspace: Path, recorder_factory: type) -> None:
    handler = recorder_factory(client_id="from-handler")
    prompt = {"1": {"class_type": "MsgAnnounce", "inputs": {"text": "hello"}}}
    outputs = PromptExecutor(registry, handler=handler).execute(prompt)
    assert outputs == {"1": {"text": ["hello"]}}
    assert [(d, sid) for e, d, sid in handler.events if e == "messaging_pack.announce"] == [
        ({"text": "hello", "node": "1", "seen_node": "1"}, "from-handler")
    ]
    texts = [d for e, d, _ in handler.events if e == 3]  # BinaryEventTypes.TEXT
    node_len = int.from_bytes(texts[0][:4], "big")
    assert (texts[0][4 : 4 + node_len], texts[0][4 + node_len :]) == (b"1", b"said hello")
    assert os.path.isdir(compat_workspace / "output")
