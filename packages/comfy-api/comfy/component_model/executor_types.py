"""The progress-handler protocol and the payloads of engine events (``spec/api.md`` §1.4, §2.4, §3).

:class:`ExecutorToClientProgress` is what the executor talks to: the embedded client's handler,
the HTTP server, the AMQP relay. Events are sent with ``send_sync(event, data, sid)``; ``event`` is
an event name (``"executing"``, ``"progress"``, …) or a
:class:`~comfy.component_model.queue_types.BinaryEventTypes` member, and ``data`` is one of the
TypedDicts below (``engine.md`` §6.1), a preview message or packed bytes.

Stdlib only: a preview's ``pil_image`` is typed ``Any`` so this module never imports pillow.
"""

from __future__ import annotations

import struct
from typing import Any, Literal, NamedTuple, NotRequired, Optional, Protocol, TypedDict, Union

from comfy.api.errors import ValidationErrorType

from .queue_types import BinaryEventTypes

__all__ = [
    "FormattedValue",
    "ExecInfo",
    "QueueInfo",
    "StatusMessage",
    "ExecutionStartMessage",
    "ExecutionCachedMessage",
    "ExecutingMessage",
    "ExecutedMessage",
    "ProgressMessage",
    "ActiveNodeProgressState",
    "ProgressStateMessage",
    "ExecutionSuccessMessage",
    "ExecutionErrorMessage",
    "ExecutionInterruptedMessage",
    "DependencyExecutionErrorMessage",
    "UnencodedPreviewImageMessage",
    "PreviewImageMetadata",
    "PreviewImageWithMetadataMessage",
    "SendSyncEvent",
    "SendSyncData",
    "SocketsMetadata",
    "DefaultSocketsMetadata",
    "SocketsMetadataType",
    "ExecutorToClientProgress",
    "encode_text_for_progress",
    "ExceptionTypes",
    "ValidationErrorExtraInfoDict",
    "ValidationErrorDict",
    "NodeErrorsDictValue",
    "NodeErrorsDict",
    "ValidationTuple",
    "ValidateInputsTuple",
]

FormattedValue = Union[str, int, bool, float, None]
"""A value as shown in error reports (``current_inputs``)."""


# --- event payloads (engine.md §6.1) ---------------------------------------------------------


class ExecInfo(TypedDict):
    queue_remaining: int


class QueueInfo(TypedDict):
    exec_info: ExecInfo


class StatusMessage(TypedDict):
    """``"status"``: the queue changed (server and distributed only)."""

    status: QueueInfo
    sid: NotRequired[str]


class ExecutionStartMessage(TypedDict):
    """``"execution_start"``: a prompt began."""

    prompt_id: str
    timestamp: NotRequired[int]


class ExecutionCachedMessage(TypedDict):
    """``"execution_cached"``: these nodes' outputs come from the cache."""

    nodes: list[str]
    prompt_id: str
    timestamp: NotRequired[int]


class ExecutingMessage(TypedDict):
    """``"executing"``: a node is about to run; ``node`` is None at the end of a prompt (server only)."""

    node: Optional[str]
    display_node: NotRequired[str]
    prompt_id: NotRequired[str]
    output: NotRequired[dict]
    sid: NotRequired[str]


class ExecutedMessage(TypedDict):
    """``"executed"``: a node produced ``ui`` output (also sent for cached nodes)."""

    node: str
    display_node: str
    output: Optional[dict]
    prompt_id: str


class ProgressMessage(TypedDict):
    """``"progress"``: one step of a node's progress bar."""

    value: float
    max: float
    prompt_id: Optional[str]
    node: Optional[str]
    output: NotRequired[dict]
    sid: NotRequired[str]


class ActiveNodeProgressState(TypedDict):
    """One node's entry in ``"progress_state"``."""

    value: float
    max: float
    state: Literal["pending", "running", "finished", "error"]
    node_id: str
    prompt_id: str
    display_node_id: str
    parent_node_id: Optional[str]
    real_node_id: str


class ProgressStateMessage(TypedDict):
    """``"progress_state"``: the started and finished nodes of a prompt (pending ones left out)."""

    prompt_id: str
    nodes: dict[str, ActiveNodeProgressState]


class ExecutionSuccessMessage(TypedDict):
    """``"execution_success"``: the prompt finished and no node failed."""

    prompt_id: str
    timestamp: NotRequired[int]


class ExecutionErrorMessage(TypedDict):
    """``"execution_error"``: a node raised (or an ``ExecutionBlocker`` carried a message)."""

    prompt_id: str
    node_id: str
    node_type: str
    executed: list[str]
    exception_message: str
    exception_type: str
    traceback: list[str]
    current_inputs: Union[list[Any], dict[str, list[FormattedValue]]]
    current_outputs: list[str]
    timestamp: NotRequired[int]


class ExecutionInterruptedMessage(TypedDict):
    """``"execution_interrupted"``: the prompt was interrupted (broadcast)."""

    prompt_id: str
    node_id: str
    node_type: str
    executed: list[str]
    timestamp: NotRequired[int]


class DependencyExecutionErrorMessage(TypedDict):
    """The error of a prompt whose links form a cycle."""

    node_id: str
    exception_message: str
    exception_type: Literal["graph.DependencyCycleError"]
    traceback: list[Any]
    current_inputs: list[Any]


# --- previews (api.md §3.2) ------------------------------------------------------------------


class UnencodedPreviewImageMessage(NamedTuple):
    """A preview frame before encoding; ``pil_image`` is a ``PIL.Image.Image``."""

    format: Literal["JPEG", "PNG"]
    pil_image: Any
    max_size: int = 512
    node_id: str = ""
    task_id: str = ""


class PreviewImageMetadata(TypedDict):
    """Which node a preview belongs to (sent with ``PREVIEW_IMAGE_WITH_METADATA``)."""

    node_id: str
    prompt_id: str
    display_node_id: str
    parent_node_id: Optional[str]
    real_node_id: str
    image_type: NotRequired[str]


PreviewImageWithMetadataMessage = tuple[UnencodedPreviewImageMessage, PreviewImageMetadata]
"""``data`` of a ``BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA`` event: ``(unencoded, metadata)``."""

SendSyncEvent = Union[
    Literal[
        "status",
        "execution_start",
        "execution_cached",
        "executing",
        "progress",
        "progress_state",
        "executed",
        "execution_success",
        "execution_error",
        "execution_interrupted",
    ],
    BinaryEventTypes,
    str,
    None,
]

SendSyncData = Union[
    StatusMessage,
    ExecutionStartMessage,
    ExecutionCachedMessage,
    ExecutingMessage,
    ExecutedMessage,
    ProgressMessage,
    ProgressStateMessage,
    ExecutionSuccessMessage,
    ExecutionErrorMessage,
    ExecutionInterruptedMessage,
    DependencyExecutionErrorMessage,
    UnencodedPreviewImageMessage,
    PreviewImageWithMetadataMessage,
    bytes,
    bytearray,
    str,
    dict,
    None,
]


class SocketsMetadata(TypedDict):
    """What one connected client supports."""

    feature_flags: dict[str, Any]


DefaultSocketsMetadata = TypedDict("DefaultSocketsMetadata", {"__unimplemented": Literal[True]})
"""The default ``sockets_metadata``: "assume every feature is supported"."""

SocketsMetadataType = Union[dict[str, SocketsMetadata], DefaultSocketsMetadata]


def encode_text_for_progress(node_id: str, text: str | bytes | bytearray) -> bytes:
    """Pack a ``BinaryEventTypes.TEXT`` payload: ``uint32 BE len(node_id) || node_id || text`` (UTF-8)."""
    node_id_bytes = node_id.encode("utf-8")
    text_bytes = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return struct.pack(">I", len(node_id_bytes)) + node_id_bytes + text_bytes


class ExecutorToClientProgress(Protocol):
    """What the executor needs from whoever receives its notifications (``api.md`` §2.4).

    ``send_sync`` is called from the worker thread. ``client_id`` gates the lifecycle events:
    the executor sends them only when it is set. ``comfy.distributed.server_stub.ServerStub``
    is the no-op implementation.
    """

    client_id: Optional[str]
    last_node_id: Optional[str]
    last_prompt_id: Optional[str]

    @property
    def receive_all_progress_notifications(self) -> bool:
        """True to receive progress updates besides the lifecycle events."""
        return False

    @property
    def sockets_metadata(self) -> SocketsMetadataType:
        """Per-client feature flags; the default means "every feature is supported"."""
        return {"__unimplemented": True}

    def send_sync(self, event: SendSyncEvent, data: SendSyncData, sid: Optional[str] = None) -> None:
        """Deliver one event (``sid`` None: to everyone, or to ``client_id`` by convention)."""
        ...

    def send_progress_text(self, text: str | bytes | bytearray, node_id: str, sid: Optional[str] = None) -> None:
        """Send streamed text from a node as a ``BinaryEventTypes.TEXT`` packet."""
        self.send_sync(BinaryEventTypes.TEXT, encode_text_for_progress(node_id, text), sid)

    def queue_updated(self, queue_remaining: Optional[int] = None) -> None:
        """The local queue changed (the server sends a ``"status"`` event)."""
        return None


# --- validation results (api.md §1.4) --------------------------------------------------------

ExceptionTypes = ValidationErrorType
"""The ``type`` strings of validation errors (see :mod:`comfy.api.errors`)."""


class ValidationErrorExtraInfoDict(TypedDict, total=False):
    exception_type: str
    traceback: list[str]
    dependent_outputs: list[str]
    class_type: str
    input_name: str
    input_config: Any
    received_value: Any
    received_type: Any
    linked_node: Any
    exception_message: str
    node_errors: dict[str, "NodeErrorsDictValue"]


class ValidationErrorDict(TypedDict):
    """``{"type", "message", "details", "extra_info"}``."""

    type: str
    message: str
    details: str
    extra_info: Union[ValidationErrorExtraInfoDict, dict[str, Any]]


class NodeErrorsDictValue(TypedDict):
    """One node's entry in ``node_errors``."""

    errors: list[ValidationErrorDict]
    dependent_outputs: list[str]
    class_type: str


NodeErrorsDict = dict[str, NodeErrorsDictValue]
"""``node_errors``: node id -> its own validation errors."""


class ValidationTuple(NamedTuple):
    """The result of validating a prompt: valid if at least one output node is valid."""

    valid: bool
    error: Optional[Union[ValidationErrorDict, DependencyExecutionErrorMessage]]
    good_output_node_ids: list[str]
    node_errors: Union[list[Any], NodeErrorsDict]


class ValidateInputsTuple(NamedTuple):
    """The result of validating one node's inputs."""

    valid: bool
    errors: list[ValidationErrorDict]
    unique_id: str
