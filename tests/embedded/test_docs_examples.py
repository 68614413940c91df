"""The reference documentation's embedded examples (hiddenswitch/ComfyUI ``docs/embedded.md``),
on the testing nodes instead of a Stable Diffusion checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comfy.api.components.schema.prompt import Prompt
from comfy.cli_args import default_configuration
from comfy.client.embedded_comfy_client import Comfy
from comfy_execution.graph_utils import GraphBuilder


def build_graph(content: str = "WHITE") -> GraphBuilder:
    """The docs' ``build_graph``, shaped the same: sources, a node mixing them, SaveImage."""
    builder = GraphBuilder()

    black = builder.node(
        "StubImage",
        content="BLACK",
        height=64,
        width=64,
        batch_size=1,
    )

    other = builder.node(
        "StubImage",
        content=content,
        height=64,
        width=64,
        batch_size=1,
    )

    mask = builder.node(
        "StubMask",
        value=0.5,
        height=64,
        width=64,
        batch_size=1,
    )

    mix = builder.node(
        "TestLazyMixImages",
        image1=black.out(0),
        image2=other.out(0),
        mask=mask.out(0),
    )

    builder.node(
        "SaveImage",
        filename_prefix="ComfyUI_API",
        images=mix.out(0),
    )

    return builder


async def test_building_workflows_programmatically(workspace: Path) -> None:
    builder = build_graph()
    prompt = builder.finalize()  # Returns the same dict format as the JSON workflow

    async with Comfy() as client:
        outputs = await client.queue_prompt(prompt)

    save_image_node_id = next(key for key in prompt if prompt[key]["class_type"] == "SaveImage")
    path = outputs[save_image_node_id]["images"][0]["abs_path"]
    assert Path(path).parent == workspace / "output"
    with Image.open(path) as png:
        assert png.size == (64, 64) and png.getpixel((0, 0)) in ((127, 127, 127), (128, 128, 128))


def make_workflow(i: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "StubInt", "inputs": {"value": i}},
        "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}, "_meta": {"title": f"workflow {i}"}},
    }


@pytest.mark.slow
async def test_running_multiple_workflows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(3):
        (tmp_path / "my_workflows").mkdir(exist_ok=True)
        (tmp_path / "my_workflows" / f"w{i}.json").write_text(json.dumps(make_workflow(i)))
    monkeypatch.chdir(tmp_path)

    # --- the docs, unchanged ---
    config = default_configuration()
    config.novram = True

    workflow_dir = Path("./my_workflows")

    async with Comfy(configuration=config) as client:
        for workflow_path in sorted(workflow_dir.glob("*.json")):
            workflow = json.loads(workflow_path.read_text())
            prompt = Prompt.validate(workflow)
            outputs = await client.queue_prompt(prompt)
            print(f"{workflow_path.name}: {outputs}")
    # --- end of the docs ---

    assert capsys.readouterr().out.splitlines() == [f"w{i}.json: {{'2': {{'value': [{i}]}}}}" for i in range(3)]
