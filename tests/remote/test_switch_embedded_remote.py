"""One script, two clients: switching between embedded and remote is one line (issue 7).

The same script body runs with ``Comfy()`` (embedded, in this process) and with
``AsyncRemoteComfyClient`` (a real server on 127.0.0.1); the notifications (events in order, the
keys of each event's data) and the outputs must be the same.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from server_helpers import RunningServer

from comfy.client.aio_client import AsyncRemoteComfyClient
from comfy.client.embedded_comfy_client import Comfy


def make_prompt(prefix: str) -> dict[str, Any]:
    """StubImage(batch of 3) → TestAsyncBatchProcessing (a progress step per image) → SaveImage."""
    return {
        "1": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 6, "width": 6, "batch_size": 3}},
        "2": {"class_type": "TestAsyncBatchProcessing", "inputs": {"images": ["1", 0], "process_time_per_item": 0.01}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


def failing_prompt(message: str) -> dict[str, Any]:
    return {
        "1": {"class_type": "TestRaise", "inputs": {"message": message}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }


def _shape(value: Any) -> Any:
    """A notification's data without its values: keys (recursively for progress_state's nodes)."""
    if isinstance(value, dict):
        return {key: _shape(item) if key == "nodes" else type(item).__name__ for key, item in value.items()}
    return type(value).__name__


async def script(client: Any, prompt: dict[str, Any]) -> tuple[list[tuple[Any, Any]], Any]:
    """A user's script body: it does not know which client it has."""
    task = client.queue_with_progress(prompt)
    events = []
    async for notification in task.progress():
        events.append((notification.event, _shape(notification.data)))
    response = await task.get()
    return events, response


async def failing_script(client: Any, prompt: dict[str, Any]) -> list[Any]:
    task = client.queue_with_progress(prompt)
    events = []
    with pytest.raises(RuntimeError):
        async for notification in task.progress():
            events.append(notification.event)
    return events


def _without_paths(outputs: dict[str, Any]) -> dict[str, Any]:
    return {node: {key: [{k: v for k, v in item.items() if k != "abs_path"} for item in items] for key, items in output.items()} for node, output in outputs.items()}


async def test_the_same_script_runs_embedded_and_remote(server: RunningServer, workspace: Path) -> None:
    prefix = f"switch-{uuid.uuid4().hex[:8]}"
    message = f"switch failure {uuid.uuid4().hex}"

    async with Comfy() as client:  # embedded
        embedded_events, embedded = await script(client, make_prompt(prefix))
        embedded_failure = await failing_script(client, failing_prompt(message))

    async with AsyncRemoteComfyClient(server_address=server.url) as client:  # remote: the only changed line
        remote_events, remote = await script(client, make_prompt(prefix))
        remote_failure = await failing_script(client, failing_prompt(message))

    assert [event for event, _ in remote_events] == [event for event, _ in embedded_events]
    assert remote_events == embedded_events
    assert sum(1 for event, _ in remote_events if event == "progress") == 3
    assert _without_paths(remote.outputs) == _without_paths(embedded.outputs)
    assert remote.outputs["3"]["images"][0]["filename"].startswith(prefix)
    assert embedded.urls == [] and len(remote.urls) == 3
    assert remote_failure == embedded_failure
    assert remote_failure[0] == "execution_start" and remote_failure[-1] == "execution_error"
