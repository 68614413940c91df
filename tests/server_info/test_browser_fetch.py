"""The seed's browser `fetch` snippet, verbatim, in headless Chromium against a real server.

The snippet posts to `http://localhost:8188/api/v1/prompts` and shows the PNG it gets back in an
`<img>`. The page that runs it is served by the server itself (a node pack's web folder,
`/extensions/seed_pages/...`), so it is on the snippet's origin; Chromium maps
`localhost:8188` to the test server's real port (`--host-resolver-rules`).

- As written, the snippet's workflow is a lone `CheckpointLoaderSimple` (the seed elides the
  rest): the server answers 400 (no output node) and the snippet still runs to its end.
- With its `// ... (include the rest of the workflow)` line replaced by the rest of a workflow
  (an image saved by `SaveImage`), the page shows the PNG the server made.
- From another origin the POST is refused (no `--enable-cors-header`), as upstream ComfyUI
  refuses it; with `--enable-cors-header` it works.

Chromium comes from Debian's `chromium` package (`.ci/run` installs it); without it these tests
are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from headless_chromium import HeadlessChromium, find_chromium
from info_helpers import EXTENSION
from server_helpers import RunningServer

CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable (Debian: apt-get install chromium; .ci/run installs it)"),
]

SNIPPET = """\
async function generateImage() {
  const prompt = "a man walking on the beach";
  const workflow = {
    "4": {
      "inputs": {
        "ckpt_name": "sd_xl_base_1.0.safetensors"
      },
      "class_type": "CheckpointLoaderSimple"
    },
    // ... (include the rest of the workflow)
  };

  const response = await fetch('http://localhost:8188/api/v1/prompts', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Accept': 'image/png'
    },
    body: JSON.stringify({prompt: workflow})
  });

  const blob = await response.blob();
  const imageUrl = URL.createObjectURL(blob);
  const img = document.createElement('img');
  // load image into the DOM
  img.src = imageUrl;
  document.body.appendChild(img);
}

generateImage().catch(console.error);
"""
"""The seed's snippet (seed/000_*.txt, "Javascript (Browser)"), indentation restored."""

ELISION = "    // ... (include the rest of the workflow)\n"

REST_OF_WORKFLOW = """\
    "5": {
      "inputs": {"width": 24, "height": 16, "batch_size": 1, "color": 16711680},
      "class_type": "EmptyImage"
    },
    "9": {
      "inputs": {"images": ["5", 0], "filename_prefix": "browser"},
      "class_type": "SaveImage"
    },
"""

# Runs before the snippet (in its own script element): records what fetch returned and what was
# logged as an error, without touching the snippet's text.
PRELUDE = """\
window.__responses = [];
window.__errors = [];
const __fetch = window.fetch;
window.fetch = async (...args) => {
  const response = await __fetch(...args);
  window.__responses.push({status: response.status, type: response.headers.get('content-type')});
  return response;
};
const __error = console.error;
console.error = (...args) => { window.__errors.push(args.map(String).join(' ')); __error(...args); };
"""

OUTCOME = """\
new Promise((resolve) => {
  const deadline = Date.now() + 60000;
  (function poll() {
    const img = document.querySelector('img');
    const settled = (img && img.complete) || window.__errors.length > 0;
    if (settled || Date.now() > deadline) {
      resolve({
        timed_out: !settled,
        origin: location.origin,
        image: img ? {width: img.naturalWidth, height: img.naturalHeight, blob: img.src.startsWith('blob:')} : null,
        responses: window.__responses,
        errors: window.__errors,
      });
      return;
    }
    setTimeout(poll, 25);
  })();
})
"""


def page(script: str) -> str:
    return f"<!doctype html>\n<html><head><meta charset='utf-8'><title>seed</title></head><body>\n<script>\n{PRELUDE}</script>\n<script>\n{script}</script>\n</body></html>\n"


def run_page(server: RunningServer, extension_dir: Path, name: str, script: str, page_origin: str = "http://localhost:8188") -> dict[str, Any]:
    (extension_dir / name).write_text(page(script))
    port = server.url.rsplit(":", 1)[1]
    assert CHROMIUM is not None
    with HeadlessChromium(CHROMIUM, host_rules=f"MAP localhost:8188 127.0.0.1:{port}") as browser:
        browser.open(f"{page_origin}/extensions/{EXTENSION}/{name}")
        outcome: dict[str, Any] = browser.evaluate(OUTCOME, timeout=90)
    assert not outcome["timed_out"], outcome
    return outcome


def test_snippet_is_the_seeds() -> None:
    """The snippet above is the seed's text (compared line by line, indentation aside)."""
    seeds = sorted((Path(__file__).resolve().parents[3] / "shared" / "seed").glob("000_*.txt"))
    if not seeds:
        pytest.skip("the seed text (../shared/seed) is not beside this checkout")
    seed_lines = [line.strip() for line in seeds[0].read_text(encoding="utf-8").splitlines() if line.strip()]
    snippet_lines = [line.strip() for line in SNIPPET.splitlines() if line.strip()]
    start = seed_lines.index(snippet_lines[0])
    assert seed_lines[start : start + len(snippet_lines)] == snippet_lines


@pytest.fixture
def browser_server(small_server: Any) -> Iterator[RunningServer]:
    yield small_server()


def test_verbatim_snippet_runs(browser_server: RunningServer, extension_dir: Path) -> None:
    outcome = run_page(browser_server, extension_dir, "verbatim.html", SNIPPET)
    assert outcome["origin"] == "http://localhost:8188"
    # the elided workflow has no output node: the server refuses it, the snippet still completes
    assert outcome["responses"] == [{"status": 400, "type": "application/json"}]
    assert outcome["errors"] == []
    assert outcome["image"] == {"width": 0, "height": 0, "blob": True}


def test_completed_snippet_shows_the_png(browser_server: RunningServer, extension_dir: Path) -> None:
    registry = browser_server.state.registry
    if "CheckpointLoaderSimple" not in registry:
        pytest.skip("the snippet's CheckpointLoaderSimple needs comfy-nodes-sd")
    script = SNIPPET.replace(ELISION, REST_OF_WORKFLOW)
    assert script != SNIPPET
    outcome = run_page(browser_server, extension_dir, "completed.html", script)
    assert outcome["responses"] == [{"status": 200, "type": "image/png"}], outcome
    assert outcome["errors"] == []
    assert outcome["image"] == {"width": 24, "height": 16, "blob": True}
    saved = sorted((browser_server.workspace / "output").glob("browser_*.png"))
    assert [p.name for p in saved] == ["browser_00001_.png"]


def test_cross_origin_page_is_refused_without_cors(browser_server: RunningServer, extension_dir: Path) -> None:
    # the same page, loaded from http://127.0.0.1:<port>: another origin than localhost:8188
    script = SNIPPET.replace(ELISION, REST_OF_WORKFLOW)
    outcome = run_page(browser_server, extension_dir, "cross.html", script, page_origin=browser_server.url)
    assert outcome["responses"] == [] and outcome["image"] is None
    assert any("Failed to fetch" in error for error in outcome["errors"]), outcome
    assert not list((browser_server.workspace / "output").glob("browser_*.png"))


def test_cross_origin_page_works_with_cors(small_server: Any, extension_dir: Path) -> None:
    server: RunningServer = small_server(enable_cors_header="*")
    if "CheckpointLoaderSimple" not in server.state.registry:
        pytest.skip("the snippet's CheckpointLoaderSimple needs comfy-nodes-sd")
    script = SNIPPET.replace(ELISION, REST_OF_WORKFLOW)
    outcome = run_page(server, extension_dir, "cross_cors.html", script, page_origin=server.url)
    assert outcome["responses"] == [{"status": 200, "type": "image/png"}], outcome
    assert outcome["image"] == {"width": 24, "height": 16, "blob": True}

