"""The typed client `comfy_api_client`, generated from `comfy/api/openapi.yaml` (issue 7).

Two things: the committed client is exactly what the pinned generator makes from the spec today
(the drift check), and it works against a real server on 127.0.0.1 (typed requests, typed answers).
"""

from __future__ import annotations

import importlib.util
import shutil
import time
import uuid
from pathlib import Path
from types import ModuleType

from server_helpers import RunningServer, image_prompt

from comfy_api_client import Client
from comfy_api_client.api.classic import get_history_entry_ui, get_prompt_ui, post_prompt_ui
from comfy_api_client.api.files import view_image_ui
from comfy_api_client.api.info import get_object_info_node_ui, get_object_info_ui
from comfy_api_client.api.jobs import get_job, list_jobs
from comfy_api_client.api.rest import generate, get_prompt
from comfy_api_client.models import (
    GeneratePrefer,
    GenerateResponse202,
    HistoryEntry,
    Node,
    Outputs,
    PostPromptUiResponse200,
    Prompt,
    PromptError,
    PromptInfo,
    PromptRequest,
    V1QueuePromptResponse,
    ValidationErrorDict,
)
from comfy_api_client.models.job import Job
from comfy_api_client.models.job_status import JobStatus
from comfy_api_client.types import File

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packages/comfy-remote/scripts/generate_client.py"
COMMITTED = ROOT / "packages/comfy-remote/comfy_api_client"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_client", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_client_matches_the_spec(tmp_path: Path) -> None:
    """Regenerate into a temporary folder: the committed client must be identical (run
    `make client` after changing openapi.yaml). The comparison itself must see a change."""
    generator = _load_script()
    fresh = tmp_path / "comfy_api_client"
    generator.generate(fresh)
    changed = generator.differences(COMMITTED, fresh)
    assert changed == [], f"comfy_api_client is stale after an openapi.yaml change: run `make client` ({changed})"

    edited = tmp_path / "edited"
    shutil.copytree(fresh, edited)
    (edited / "client.py").write_text((edited / "client.py").read_text() + "\n# edited\n")
    (edited / "extra.py").write_text("")
    assert generator.differences(fresh, edited) == ["extra.py", "client.py"]


def _wait_for_history(client: Client, prompt_id: str) -> HistoryEntry:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        history = get_history_entry_ui.sync(prompt_id, client=client)
        if history is not None and prompt_id in history:
            return history[prompt_id]
        time.sleep(0.02)
    raise AssertionError(f"prompt {prompt_id} did not finish")


async def test_typed_client_against_a_live_server(server: RunningServer) -> None:
    async with Client(base_url=server.url, raise_on_unexpected_status=True) as client:
        # the classic route: queue, then read the history
        prompt_id = str(uuid.uuid4())
        queued = await post_prompt_ui.asyncio(
            client=client,
            body=PromptRequest.from_dict({"prompt": image_prompt("typed-ui"), "client_id": "typed", "prompt_id": prompt_id}),
        )
        assert isinstance(queued, PostPromptUiResponse200)
        assert queued.prompt_id == prompt_id

        # /api/v1/prompts: run and wait, typed outputs
        response = await generate.asyncio(client=client, body=Prompt.from_dict(image_prompt("typed-rest")))
        assert isinstance(response, V1QueuePromptResponse)
        image = response.outputs["2"].images[0]  # type: ignore[index]
        assert image.filename.startswith("typed-rest") and image.type_.value == "output"
        assert len(response.urls) == 2

        # /view through the typed client: the PNG bytes
        picture = await view_image_ui.asyncio(client=client, filename=image.filename, subfolder=image.subfolder)
        assert isinstance(picture, File) and picture.payload.read().startswith(b"\x89PNG")

        # asynchronous: 202, then the result by id
        accepted = await generate.asyncio(
            client=client, body=Prompt.from_dict(image_prompt("typed-async")), prefer_header=GeneratePrefer.RESPOND_ASYNC
        )
        assert isinstance(accepted, GenerateResponse202)
        deadline = time.monotonic() + 60
        while (result := await get_prompt.asyncio_detailed(accepted.prompt_id, client=client)).status_code == 204:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert isinstance(result.parsed, Outputs)
        assert result.parsed["2"].images[0].filename.startswith("typed-async")  # type: ignore[index]

    with Client(base_url=server.url, raise_on_unexpected_status=True) as sync_client:
        entry = _wait_for_history(sync_client, prompt_id)
        assert entry.status.status_str.value == "success"
        assert entry.outputs["2"].images[0].filename.startswith("typed-ui")  # type: ignore[index]

        info = get_object_info_ui.sync(client=sync_client)
        assert info is not None and "StubImage" in info and "SaveImage" in info
        node = info["SaveImage"]
        assert isinstance(node, Node) and node.output_node is True
        assert "images" in node.input_.required
        single = get_object_info_node_ui.sync("StubImage", client=sync_client)
        assert single is not None and single["StubImage"].name == "StubImage"

        queue = get_prompt_ui.sync(client=sync_client)
        assert isinstance(queue, PromptInfo) and queue.exec_info.queue_remaining >= 0

        jobs = list_jobs.sync(client=sync_client, limit=50)
        assert jobs is not None
        ids = {job.id for job in jobs.jobs}
        assert prompt_id in ids
        job = get_job.sync(prompt_id, client=sync_client)
        assert isinstance(job, Job) and job.status == JobStatus.COMPLETED


def test_typed_errors(server: RunningServer) -> None:
    bad = image_prompt("typed-bad")
    bad["1"]["inputs"]["content"] = "NOT_A_COLOR"
    with Client(base_url=server.url) as client:
        rejected = generate.sync_detailed(client=client, body=Prompt.from_dict(bad))
        assert rejected.status_code == 400
        assert isinstance(rejected.parsed, ValidationErrorDict)
        assert rejected.parsed.type_ == "prompt_outputs_failed_validation"
        classic = post_prompt_ui.sync(client=client, body=PromptRequest.from_dict({"prompt": bad}))
        assert isinstance(classic, PromptError)
        assert classic.error.type_ == "prompt_outputs_failed_validation"
        assert "1" in classic.node_errors
        assert get_job.sync_detailed(str(uuid.uuid4()), client=client).status_code == 404


def test_typed_client_is_separate_from_the_aiohttp_client() -> None:
    """The typed client (httpx + attrs) is an extra: importing it never pulls in the aiohttp
    client or torch, and `comfy.client.aio_client` never imports it (see test_remote_fresh_venv)."""
    import subprocess
    import sys

    code = (
        "import sys, comfy_api_client.api.rest.generate, comfy_api_client.models.prompt;"
        "assert 'comfy.client.aio_client' not in sys.modules and 'torch' not in sys.modules;"
        "import comfy.client.aio_client;"
        "assert not [m for m in sys.modules if m.startswith('comfy_api_client.api.classic')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
