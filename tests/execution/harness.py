"""Test harness for engine semantics, after ComfyUI's `tests/execution/common.py`.

`did_run(node)` ⇔ an `executing` event named the node; `was_cached(node)` ⇔ the node was in
`execution_cached`; any `execution_error` event raises `Exception(event_data)`, so
`e.args[0]` is the message dict; validation failures raise `PromptValidationError`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from comfy.execution import PromptExecutor
from comfy_execution.graph_utils import GraphBuilder

CACHE_CONFIGS: dict[str, dict[str, Any]] = {
    "classic": {"cache": "classic"},
    "lru0": {"cache": "lru", "lru_size": 0},
    "lru100": {"cache": "lru", "lru_size": 100},
    "none": {"cache": "none"},
}


class RecordingHandler:
    """Progress handler that records every event, as a client with an id would receive them."""

    def __init__(self, client_id: str = "test-client") -> None:
        self.client_id = client_id
        self.events: list[tuple[Any, Any, Any]] = []

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        self.events.append((event, data, sid))


@dataclass
class RunResult:
    prompt_id: str
    outputs: dict[str, Any]
    events: list[tuple[Any, Any, Any]] = field(default_factory=list)

    def _id(self, node: Any) -> str:
        return node if isinstance(node, str) else node.id

    def did_run(self, node: Any) -> bool:
        nid = self._id(node)
        return any(e == "executing" and d.get("node") == nid for e, d, _ in self.events)

    def was_cached(self, node: Any) -> bool:
        nid = self._id(node)
        return any(e == "execution_cached" and nid in d["nodes"] for e, d, _ in self.events)

    def was_executed(self, node: Any) -> bool:
        return self.did_run(node) or self.was_cached(node)

    def get_output(self, node: Any) -> dict[str, Any]:
        return self.outputs[self._id(node)]

    def get_images(self, node: Any) -> list[np.ndarray]:
        return [np.array(Image.open(img["abs_path"])) for img in self.get_output(node)["images"]]

    def get_values(self, node: Any) -> list[Any]:
        return self.get_output(node)["value"]

    def events_named(self, name: str) -> list[dict[str, Any]]:
        return [d for e, d, _ in self.events if e == name]


class Client:
    """Runs prompts on one executor and collects the events of each run."""

    def __init__(self, executor: PromptExecutor, handler: RecordingHandler) -> None:
        self.executor = executor
        self.handler = handler

    def run(self, graph: GraphBuilder | dict[str, Any], partial_execution_targets: list[str] | None = None, raise_on_error: bool = True) -> RunResult:
        prompt = graph.finalize() if isinstance(graph, GraphBuilder) else graph
        self.handler.events = []
        prompt_id = str(uuid.uuid4())
        outputs = self.executor.execute(
            prompt, prompt_id, {"client_id": self.handler.client_id}, execute_outputs=partial_execution_targets
        )
        result = RunResult(prompt_id, outputs, list(self.handler.events))
        if raise_on_error:
            for event, data, _ in result.events:
                if event == "execution_error":
                    raise Exception(data)
        return result


def uniform_value(image: np.ndarray) -> int:
    """The single value of a uniform image (asserts it is uniform)."""
    assert image.min() == image.max(), f"image is not uniform: {image.min()}..{image.max()}"
    return int(image.min())


def warm_up(client: Client) -> None:
    """One small run first, so that timings exclude first-use costs (importing torch, PNG)."""
    g = GraphBuilder(prefix="warmup")
    image = g.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    sleep = g.node("TestSleep", value=image.out(0), seconds=0.0)
    g.node("PreviewImage", images=sleep.out(0))
    client.run(g)
