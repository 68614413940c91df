"""What clients get back: output file records, the `/api/v1/prompts` response, progress notifications.

``spec/api.md`` §1.2 and §2.3. ``comfy.client`` is a namespace package shared by several
distributions (``comfy-api`` ships this module, ``comfy-embedded`` the embedded client,
``comfy-remote`` the HTTP client), so there is no ``comfy/client/__init__.py``. Stdlib only.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, NamedTuple, NotRequired, Optional, TypedDict

from comfy.component_model.executor_types import SendSyncData, SendSyncEvent

__all__ = ["FileOutput", "Output", "V1QueuePromptResponse", "ProgressNotification"]


class FileOutput(TypedDict, total=False):
    """A file an output node wrote, as it appears in ``outputs[node_id]["images"]``."""

    filename: str
    """The file name, e.g. ``"ComfyUI_00001_.png"``."""
    subfolder: str
    """``""`` or the directory part of the filename prefix (``"sub/name"`` -> ``"sub"``)."""
    type: Literal["output", "input", "temp"]
    """``"output"`` for SaveImage, ``"temp"`` for PreviewImage."""
    abs_path: str
    """The absolute path on the machine that ran the node."""
    name: NotRequired[str]


class Output(TypedDict, total=False):
    """One node's ui outputs (other output nodes add other keys: ``text``, ``value``, ...)."""

    images: list[FileOutput]
    latents: list[FileOutput]
    videos: list[FileOutput]


@dataclasses.dataclass
class V1QueuePromptResponse:
    """The result of ``queue_prompt_api`` (and the JSON body of ``POST /api/v1/prompts``)."""

    urls: list[str]
    """URLs of the output files; always empty for the embedded client."""
    outputs: dict[str, Output]
    """Node id -> that node's ui outputs."""
    prompt_id: str


class ProgressNotification(NamedTuple):
    """One event of a running prompt, as ``queue_with_progress(...).progress()`` yields it.

    ``event`` is the event name (``"executing"``, ``"progress"``, ...) or a
    :class:`~comfy.component_model.queue_types.BinaryEventTypes` member; for
    ``PREVIEW_IMAGE_WITH_METADATA`` ``data`` is ``(UnencodedPreviewImageMessage, metadata)``.
    """

    event: SendSyncEvent
    data: SendSyncData
    sid: Optional[str] = None
