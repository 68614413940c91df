"""The official ComfyUI frontend, served by our server, in headless Chromium (Playwright).

One page is loaded for the module (a load costs 10–30 s of CPU) and the tests act on it in
order, as a user would: the page loads cleanly, the node library holds our nodes, a workflow
is saved and a setting changed (both land on disk), then the text-to-image flow runs from the
Run button to the image, and the API JSON that "Export (API)" downloads runs unchanged through
the embedded client and `POST /api/v1/prompts`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import RunningServer
from webui_helpers import CHECKPOINT, LOAD_TIMEOUT_MS, PageLog, open_ui, requires_frontend
from webui_workflows import txt2img_workflow

pytestmark = [pytest.mark.slow, requires_frontend]

ALLOWED_HTTP_ERRORS = ("404 GET {origin}/api/userdata/comfy.templates.json",)
"""ComfyUI's own answer for a user file that does not exist; the frontend asks for its node
templates file and treats 404 as "none yet" (it reports any other status as an error)."""


def _unexpected(log: PageLog) -> list[str]:
    allowed = {entry.format(origin=log.origin) for entry in ALLOWED_HTTP_ERRORS}
    http = [e for e in log.http_errors if e not in allowed]
    allowed_urls = [a.split(" ", 2)[2] for a in allowed]
    console = [e for e in log.console_errors if not any(e.startswith("Failed to load resource: the server responded with a status of 404") and url in e for url in allowed_urls)]
    return http + console + [f"page error: {e}" for e in log.page_errors]


@pytest.fixture(scope="module")
def loaded(browser: Any, ui_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, PageLog]]:
    """The UI loaded once for the module: its page and what it reported."""
    context, page, log = open_ui(browser, ui_server.url)
    # the websocket events the page receives, as the UI's own api object dispatches them
    page.evaluate(
        """() => {
        const api = window.comfyAPI.api.api;
        window.__events = [];
        for (const type of ['status', 'execution_start', 'executing', 'progress', 'executed', 'execution_success', 'execution_error'])
            api.addEventListener(type, (e) => window.__events.push({type, detail: e.detail ?? null}));
        // preview frames arrive as binary messages; the page gets them as Blobs
        api.addEventListener('b_preview', (e) => window.__events.push({type: 'b_preview', detail: {size: e.detail?.size ?? 0, mime: e.detail?.type ?? ''}}));
        }"""
    )
    yield page, log
    shots = tmp_path_factory.mktemp("webui-screenshots")
    try:
        page.screenshot(path=str(shots / "final.png"))
    finally:
        context.close()


def test_page_loads_without_errors_from_our_server(loaded: tuple[Any, PageLog], ui_server: RunningServer) -> None:
    page, log = loaded
    assert page.title().endswith("ComfyUI")
    assert page.evaluate("() => window.comfyAPI.api.api.socket?.readyState") == 1  # the /ws socket is open
    assert _unexpected(log) == []


def test_node_library_shows_our_nodes_with_inputs_defaults_and_combos(loaded: tuple[Any, PageLog]) -> None:
    page, log = loaded
    types = page.evaluate("() => Object.keys(window.LiteGraph.registered_node_types)")
    for class_type in ("CheckpointLoaderSimple", "CLIPTextEncode", "KSampler", "VAEDecode", "EmptyLatentImage", "SaveImage", "StubImage"):
        assert class_type in types
    widgets = page.evaluate(
        """(names) => Object.fromEntries(names.map((name) => {
            const node = window.LiteGraph.createNode(name);
            return [name, Object.fromEntries(node.widgets.map((w) => [w.name, {value: w.value, values: w.options?.values ?? null}]))];
        }))""",
        ["KSampler", "CheckpointLoaderSimple", "EmptyLatentImage"],
    )
    ksampler = widgets["KSampler"]
    assert ksampler["steps"]["value"] == 20 and ksampler["cfg"]["value"] == 8 and ksampler["denoise"]["value"] == 1
    assert "euler" in ksampler["sampler_name"]["values"] and "karras" in ksampler["scheduler"]["values"]
    assert widgets["CheckpointLoaderSimple"]["ckpt_name"]["values"] == [CHECKPOINT]  # models/checkpoints/
    assert widgets["EmptyLatentImage"]["width"]["value"] == 512
    # the node library panel lists them by category, with their display names
    page.get_by_role("button", name="Node Library (n)").click()
    library = page.locator(".side-bar-panel, .sidebar-content-container").first
    library.get_by_text("sampling", exact=True).first.wait_for(timeout=15_000)
    page.get_by_role("button", name="Node Library (n)").click()
    assert _unexpected(log) == []


def _menu(page: Any, *path: str) -> None:
    """Click through the app menu: Menu → path[0] (hovered) → … → path[-1]."""
    page.get_by_role("button", name="Menu", exact=True).click()
    for item in path[:-1]:
        page.get_by_role("menuitem", name=item, exact=True).first.hover()
    page.get_by_role("menuitem", name=path[-1], exact=True).first.click()


def _answer_prompt_dialog(page: Any, value: str) -> None:
    """Fill the frontend's file-name prompt and confirm it."""
    field = page.locator("[role=dialog] input[type=text]").last
    field.wait_for(timeout=15_000)
    field.fill(value)
    field.press("Enter")
    field.wait_for(state="detached", timeout=15_000)


def test_saved_workflows_and_settings_persist_under_the_user_directory(loaded: tuple[Any, PageLog], ui_server: RunningServer) -> None:
    page, log = loaded
    user_dir = ui_server.workspace / "user" / "default"
    page.evaluate("async (wf) => { await window.app.loadGraphData(wf) }", txt2img_workflow(CHECKPOINT))
    _menu(page, "File", "Save As")
    _answer_prompt_dialog(page, "my txt2img")
    saved = user_dir / "workflows" / "my txt2img.json"
    _wait_for(page, lambda: saved.is_file())
    workflow = json.loads(saved.read_text())
    assert sorted(n["type"] for n in workflow["nodes"]) == sorted(
        ["CheckpointLoaderSimple", "EmptyLatentImage", "CLIPTextEncode", "CLIPTextEncode", "KSampler", "VAEDecode", "SaveImage"]
    )
    listed = httpx.get(ui_server.url + "/api/userdata", params={"dir": "workflows"}).json()
    assert "my txt2img.json" in listed

    page.evaluate("async () => { await window.app.extensionManager.setting.set('Comfy.Graph.ZoomSpeed', 1.25) }")
    settings_file = user_dir / "comfy.settings.json"
    _wait_for(page, lambda: settings_file.is_file() and json.loads(settings_file.read_text()).get("Comfy.Graph.ZoomSpeed") == 1.25)
    assert _unexpected(log) == []


def _wait_for(page: Any, predicate: Any, timeout: float = 30.0) -> None:
    """Poll `predicate` (a check of the server's disk) while the page keeps running."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        page.wait_for_timeout(50)


def test_queue_from_the_ui_shows_progress_and_the_image_then_the_exported_api_json_runs_unchanged(
    loaded: tuple[Any, PageLog], ui_server: RunningServer, tmp_path: Path
) -> None:
    page, log = loaded
    page.evaluate("async (wf) => { await window.app.loadGraphData(wf) }", txt2img_workflow(CHECKPOINT, prefix="webui_e2e"))
    page.evaluate("() => { window.__events.length = 0 }")

    page.get_by_role("button", name="Run", exact=True).click()
    image = page.locator("img[src*='/view?'][src*='webui_e2e']").first
    image.wait_for(timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img')].some((i) => i.src.includes('webui_e2e') && i.complete && i.naturalWidth === 64)",
        timeout=30_000,
    )
    events = page.evaluate("() => window.__events")
    types = [e["type"] for e in events]
    assert "execution_start" in types and "execution_success" in types, types
    previews = [e["detail"] for e in events if e["type"] == "b_preview"]
    assert previews and all(p["size"] > 0 and p["mime"].startswith("image/") for p in previews), previews  # KSampler's latent previews
    progress = [e["detail"] for e in events if e["type"] == "progress"]
    assert [(p["value"], p["max"]) for p in progress if p["node"] == "3"] == [(1, 2), (2, 2)]  # KSampler's 2 steps
    executing = [e["detail"] for e in events if e["type"] == "executing"]
    assert "3" in executing and "9" in executing and executing[-1] is None
    executed = next(e["detail"] for e in events if e["type"] == "executed")
    (saved,) = executed["output"]["images"]
    assert (ui_server.workspace / "output" / saved["filename"]).is_file()
    src = image.get_attribute("src") or ""
    assert httpx.get(src if src.startswith("http") else ui_server.url + src).headers["content-type"] == "image/png"

    # Export (API) from the menu: the frontend names the file, the browser downloads it
    with page.expect_download(timeout=30_000) as download_info:
        _menu(page, "File", "Export (API)")
        _answer_prompt_dialog(page, "txt2img_api")
    exported = tmp_path / "txt2img_api.json"
    download_info.value.save_as(exported)
    prompt = json.loads(exported.read_text())
    assert prompt == page.evaluate("async () => (await window.app.graphToPrompt()).output")
    assert {node["class_type"] for node in prompt.values()} >= {"CheckpointLoaderSimple", "KSampler", "SaveImage"}
    assert prompt["4"]["inputs"]["ckpt_name"] == CHECKPOINT

    # the same JSON, unchanged, through the embedded client ...
    outputs = _in_thread(_run_embedded(ui_server.workspace, prompt))  # Playwright holds this thread's loop
    assert outputs["9"]["images"][0]["filename"].startswith("webui_e2e")

    # ... and through POST /api/v1/prompts
    response = httpx.post(ui_server.url + "/api/v1/prompts", content=exported.read_bytes(), headers={"content-type": "application/json", "accept": "image/png"}, timeout=300)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png" and response.content.startswith(b"\x89PNG")
    assert _unexpected(log) == []


def _in_thread(coroutine: Any) -> Any:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=600)


async def _run_embedded(workspace: Path, prompt: dict[str, Any]) -> dict[str, Any]:
    from comfy.cli_args_types import Configuration
    from comfy.client.embedded_comfy_client import Comfy

    configuration = Configuration()
    configuration.cwd = str(workspace)
    async with Comfy(configuration) as client:
        return await client.queue_prompt(prompt)
