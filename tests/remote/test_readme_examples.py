"""The README's remote and typed-client examples, run as written against a live server.

Only the server address is replaced (``http://localhost:8188`` → the test server) and ``prompt``
is given (a StubImage → SaveImage workflow whose SaveImage node is "9", as in ComfyUI's default).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from server_helpers import RunningServer

ROOT = Path(__file__).resolve().parents[2]


def readme_blocks(path: Path, section: str) -> list[str]:
    """The ```python blocks of ``section`` (a heading line) up to the next heading of its level."""
    text = path.read_text(encoding="utf-8")
    level = section.split(" ", 1)[0]
    start = text.index(section + "\n")
    following = re.search(rf"^{re.escape(level)} ", text[start + len(section) :], re.MULTILINE)
    body = text[start : start + len(section) + (following.start() if following else len(text))]
    return re.findall(r"```python\n(.*?)```", body, re.DOTALL)


def make_prompt(prefix: str) -> dict[str, Any]:
    return {
        "1": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


async def run_block(code: str, server: RunningServer, prompt: dict[str, Any]) -> dict[str, Any]:
    """Run a README block (top-level ``await`` allowed) and return its variables."""
    code = code.replace("http://localhost:8188", server.url)
    source = "async def __example(prompt):\n" + textwrap.indent(code, "    ") + "\n    return locals()\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, "README example", "exec"), namespace)
    result: dict[str, Any] = await namespace["__example"](prompt)
    return result


async def test_root_readme_remote_and_typed_examples(server: RunningServer) -> None:
    remote, typed = readme_blocks(ROOT / "README.md", "### Remote client and typed clients")
    variables = await run_block(remote, server, make_prompt("readme-remote"))
    assert variables["png_image_bytes"].startswith(b"\x89PNG")
    assert variables["outputs"]["9"]["images"][0]["filename"].startswith("readme-remote")
    assert {job["status"] for job in variables["jobs"]["jobs"]} == {"completed"}

    from comfy_api_client.models import V1QueuePromptResponse

    variables = await run_block(typed, server, make_prompt("readme-typed"))
    assert isinstance(variables["response"], V1QueuePromptResponse)


async def test_comfy_remote_readme_typed_example(server: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = readme_blocks(ROOT / "packages/comfy-remote/README.md", "### The typed client (`comfy_api_client`)")
    (typed,) = blocks
    variables = await run_block(typed, server, make_prompt("readme-remote-typed"))
    assert capsys.readouterr().out.startswith("readme-remote-typed")
    assert "StubImage" in variables["nodes"]
