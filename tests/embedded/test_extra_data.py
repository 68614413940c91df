"""`Comfy.queue_prompt(..., extra_data=...)`: ComfyUI's per-prompt ``extra_data`` reaches the nodes.

``extra_pnginfo`` is what the ComfyUI frontend sends as ``extra_data.extra_pnginfo`` (the workflow);
SaveImage writes each of its keys into the PNG's text chunks. The keyword is optional (the
reference's signature stays valid) and the caller's dict is never changed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comfy.cli_args_types import Configuration
from comfy.client.embedded_comfy_client import Comfy

IMAGE = {
    "1": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "extra/test"}},
}
WORKFLOW = {"id": "wf-extra-data", "nodes": [{"id": 1, "type": "StubImage"}, {"id": 2, "type": "SaveImage"}], "links": [], "version": 0.4}


def png_text(outputs: dict[str, Any]) -> dict[str, str]:
    """The text chunks of the one image SaveImage (node "2") wrote."""
    (image,) = outputs["2"]["images"]
    with Image.open(image["abs_path"]) as png:
        png.load()
        return dict(png.text)


async def test_extra_pnginfo_is_written_into_the_png(workspace: Path) -> None:
    extra_data = {"extra_pnginfo": {"workflow": WORKFLOW, "note": "hello"}}
    given = copy.deepcopy(extra_data)
    async with Comfy() as client:
        outputs = await client.queue_prompt(IMAGE, extra_data=given)
        plain = await client.queue_prompt(json.loads(json.dumps(IMAGE).replace("extra/test", "extra/plain")))
    assert given == extra_data  # not changed
    text = png_text(outputs)
    assert json.loads(text["workflow"]) == WORKFLOW and json.loads(text["note"]) == "hello"
    assert json.loads(text["prompt"]) == IMAGE
    # without extra_data (the reference's call) only the prompt is written
    assert "workflow" not in png_text(plain) and json.loads(png_text(plain)["prompt"])["2"]["inputs"]["filename_prefix"] == "extra/plain"


async def test_queue_prompt_api_and_queue_with_progress_pass_extra_data(workspace: Path) -> None:
    async with Comfy() as client:
        response = await client.queue_prompt_api(IMAGE, extra_data={"extra_pnginfo": {"workflow": WORKFLOW}})
        task = client.queue_with_progress(
            json.loads(json.dumps(IMAGE).replace("extra/test", "extra/progress")), extra_data={"extra_pnginfo": {"workflow": {"id": "p"}}}
        )
        events = [n.event async for n in task.progress()]
        streamed = await task.get()
    assert json.loads(png_text(response.outputs)["workflow"]) == WORKFLOW
    assert json.loads(png_text(streamed.outputs)["workflow"]) == {"id": "p"}
    assert events[-1] == "execution_success"


async def test_client_id_wins_over_extra_datas(workspace: Path) -> None:
    """``client_id`` is the keyword's (or the handler's), as in ComfyUI where the server sets it."""

    class Recorder:
        client_id = "handler-id"

        def __init__(self) -> None:
            self.sids: set[Any] = set()

        def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
            self.sids.add(sid)

    recorder = Recorder()
    int_prompt = {"1": {"class_type": "StubInt", "inputs": {"value": 3}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
    async with Comfy() as client:
        outputs = await client.queue_prompt(int_prompt, progress_handler=recorder, extra_data={"client_id": "spoofed"})
    assert outputs == {"2": {"value": [3]}}
    assert recorder.sids == {"handler-id"}


@pytest.mark.slow
async def test_extra_pnginfo_in_a_process_pool_child(configuration: Configuration) -> None:
    async with Comfy(configuration, executor="ProcessPoolExecutor") as client:
        outputs = await client.queue_prompt(IMAGE, extra_data={"extra_pnginfo": {"workflow": WORKFLOW}})
    assert Path(outputs["2"]["images"][0]["abs_path"]).is_relative_to(Path(str(configuration.cwd)))
    assert json.loads(png_text(outputs)["workflow"]) == WORKFLOW
