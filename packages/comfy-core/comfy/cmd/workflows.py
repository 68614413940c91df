"""`comfyui --workflows FILE ...|-`: run API-format workflows and print their outputs.

Each file (or standard input for `-`) may hold several JSON objects one after another. For
every workflow one JSON line goes to standard output: `{"prompt_id", "outputs"}` on success,
`{"error", "node_errors"}` (ComfyUI's `/prompt` error body) when it is rejected, or
`{"prompt_id", "error"}` with the `execution_error` data when a node fails. Logs go to standard
error. The exit status is 0 only when every workflow succeeded.

Workflows run through the embedded client (`comfy.client.embedded_comfy_client.Comfy`, from
`comfy-embedded`) when it is installed, else on a `PromptExecutor` directly
(:func:`run_workflows`).
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator
from typing import IO, Any

from comfy.execution import PromptExecutor, PromptValidationError

logger = logging.getLogger(__name__)


def _error_body(type_: str, message: str, details: str) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "details": details, "extra_info": {}}, "node_errors": {}}


def iter_json_objects(text: str, source: str) -> Iterator[Any]:
    """The JSON values in `text`, one after another (whitespace between them is allowed)."""
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise ValueError(f"{source}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
        yield value


def check_api_format(prompt: Any) -> str | None:
    """Why `prompt` is not an API-format workflow, or None."""
    if not isinstance(prompt, dict):
        return f"a workflow must be a JSON object of node id to node, not {type(prompt).__name__}"
    if "nodes" in prompt and "links" in prompt:
        return "this is a UI-format workflow; in ComfyUI use Save (API Format)"
    return None


def iter_workflows(sources: list[str], out: IO[str] = sys.stdout, stdin: IO[str] = sys.stdin) -> Iterator[Any]:
    """Every workflow of `sources`, in order. For a file that cannot be read, or JSON that does
    not parse, it prints the error line on `out` and yields `_READ_FAILED` instead."""
    for source in sources:
        try:
            text = stdin.read() if source == "-" else open(source, encoding="utf-8").read()
        except OSError as e:
            print(json.dumps(_error_body("invalid_prompt", "Cannot read the workflow file", str(e))), file=out, flush=True)
            yield _READ_FAILED
            continue
        prompts = iter_json_objects(text, "<stdin>" if source == "-" else source)
        while True:
            try:
                prompt = next(prompts)
            except StopIteration:
                break
            except ValueError as e:
                print(json.dumps(_error_body("invalid_prompt", "Cannot parse the workflow as JSON", str(e))), file=out, flush=True)
                yield _READ_FAILED
                break
            yield prompt


_READ_FAILED = object()
"""Yielded by :func:`iter_workflows` after it printed a read or parse error."""


def run_workflows(executor: PromptExecutor, sources: list[str], out: IO[str] = sys.stdout, stdin: IO[str] = sys.stdin) -> int:
    """Runs every workflow of `sources` on `executor`; returns the exit status."""
    status = 0
    for prompt in iter_workflows(sources, out, stdin):
        if prompt is _READ_FAILED or run_one(executor, prompt, out) != 0:
            status = 1
    return status


def run_one(executor: PromptExecutor, prompt: Any, out: IO[str]) -> int:
    problem = check_api_format(prompt)
    if problem is not None:
        print(json.dumps(_error_body("invalid_prompt", "Cannot execute the workflow", problem)), file=out, flush=True)
        return 1
    prompt_id = str(uuid.uuid4())
    try:
        outputs = executor.execute(prompt, prompt_id)
    except PromptValidationError as e:
        print(json.dumps({"error": e.error, "node_errors": e.node_errors}, default=str), file=out, flush=True)
        return 1
    if not executor.success:
        failure: dict[str, Any] = next((d for ev, d in reversed(executor.status_messages) if ev in ("execution_error", "execution_interrupted")), {})
        print(json.dumps({"prompt_id": prompt_id, "error": failure}, default=str), file=out, flush=True)
        return 1
    print(json.dumps({"prompt_id": prompt_id, "outputs": outputs}, default=str), file=out, flush=True)
    return 0


class _FailureRecorder:
    """A progress handler that keeps the last `execution_error` / `execution_interrupted` data."""

    def __init__(self) -> None:
        self.client_id = str(uuid.uuid4())
        self.failure: dict[str, Any] = {}

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        if event in ("execution_error", "execution_interrupted") and isinstance(data, dict):
            self.failure = data


async def run_workflows_embedded(client: Any, sources: list[str], out: IO[str] = sys.stdout, stdin: IO[str] = sys.stdin) -> int:
    """Runs every workflow of `sources` with an embedded client (a running `Comfy`); returns the exit status."""
    status = 0
    for prompt in iter_workflows(sources, out, stdin):
        if prompt is _READ_FAILED:
            status = 1
            continue
        problem = check_api_format(prompt)
        if problem is not None:
            print(json.dumps(_error_body("invalid_prompt", "Cannot execute the workflow", problem)), file=out, flush=True)
            status = 1
            continue
        prompt_id = str(uuid.uuid4())
        recorder = _FailureRecorder()
        try:
            outputs = await client.queue_prompt(prompt, prompt_id=prompt_id, progress_handler=recorder)
        except PromptValidationError as e:
            print(json.dumps({"error": e.error, "node_errors": e.node_errors}, default=str), file=out, flush=True)
            status = 1
            continue
        except Exception as e:
            failure = recorder.failure or {"prompt_id": prompt_id, "exception_message": str(e), "exception_type": type(e).__name__}
            logger.debug("workflow %s failed", prompt_id, exc_info=True)
            print(json.dumps({"prompt_id": prompt_id, "error": failure}, default=str), file=out, flush=True)
            status = 1
            continue
        print(json.dumps({"prompt_id": prompt_id, "outputs": outputs}, default=str), file=out, flush=True)
    return status
