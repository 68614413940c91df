"""Queue tuples, execution status, binary event types, executor protocol helpers, error types."""

from __future__ import annotations

import pickle
import struct
from typing import Any

import pytest

from comfy.api import errors
from comfy.component_model.executor_types import (
    ExecutorToClientProgress,
    UnencodedPreviewImageMessage,
    encode_text_for_progress,
)
from comfy.component_model.queue_types import (
    BinaryEventTypes,
    ExecutionError,
    ExecutionStatus,
    QueueDict,
    QueueItem,
    QueueTuple,
    TaskInvocation,
)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (BinaryEventTypes.PREVIEW_IMAGE, 1),
        (BinaryEventTypes.UNENCODED_PREVIEW_IMAGE, 2),
        (BinaryEventTypes.TEXT, 3),
        (BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, 4),
    ],
)
def test_binary_event_types(member: BinaryEventTypes, value: int) -> None:
    assert member == value
    assert BinaryEventTypes(value) is member
    assert struct.pack(">I", member) == struct.pack(">I", value)


@pytest.mark.parametrize(
    ("status", "error_details", "expected"),
    [
        (ExecutionStatus("success", True, []), None, {"status_str": "success", "completed": True, "messages": []}),
        (
            ExecutionStatus("error", False, ["execution_error: boom"]),
            {"node_id": "3"},
            {"status_str": "error", "completed": False, "messages": ["execution_error: boom"], "error_details": {"node_id": "3"}},
        ),
    ],
)
def test_execution_status_as_dict(status: ExecutionStatus, error_details: Any, expected: dict[str, Any]) -> None:
    as_dict = status.as_dict(error_details)
    assert as_dict == expected
    assert as_dict["messages"] is not status.messages


@pytest.mark.parametrize(
    ("kwargs", "text", "messages"),
    [
        ({}, "", []),
        ({"status": ExecutionStatus("error", False, ["a", "b"])}, "a,b", ["a", "b"]),
        ({"exceptions": [ValueError("x"), KeyError("y")]}, "x,'y'", ["x", "'y'"]),
    ],
)
def test_execution_error(kwargs: dict[str, Any], text: str, messages: list[str]) -> None:
    err = ExecutionError("p1", **kwargs)
    assert isinstance(err, RuntimeError)
    assert str(err) == text
    assert err.status.messages == messages
    assert err.as_task_invocation() == TaskInvocation("p1", {}, err.status)
    restored = pickle.loads(pickle.dumps(err))
    assert str(restored) == text and restored.task_id == "p1"


@pytest.mark.parametrize(
    ("extra_data", "expected_sensitive", "expected_extra_keys"),
    [
        ({"client_id": "c"}, {}, {"client_id", "create_time"}),
        ({"client_id": "c", "api_key_comfy_org": "k", "auth_token_comfy_org": "t"}, {"api_key_comfy_org": "k", "auth_token_comfy_org": "t"}, {"client_id", "create_time"}),
        (None, {}, {"create_time"}),
    ],
)
def test_queue_dict_moves_sensitive_keys(extra_data: Any, expected_sensitive: dict[str, str], expected_extra_keys: set[str]) -> None:
    item = QueueDict((1.0, "p1", {"1": {}}, extra_data))
    assert item.sensitive == expected_sensitive
    assert set(item.extra_data or {}) == expected_extra_keys
    assert item["prompt_id"] == item.prompt_id == "p1"
    assert item.queue_tuple == QueueTuple(1.0, "p1", {"1": {}}, item.extra_data, None, expected_sensitive)


def test_queue_items_sort_by_priority() -> None:
    items = [QueueItem((p, f"id{p}", {})) for p in (3.0, -1.0, 2.0)]
    assert [i.prompt_id for i in sorted(items)] == ["id-1.0", "id2.0", "id3.0"]


@pytest.mark.parametrize(
    ("node_id", "text", "expected"),
    [
        ("5", "hi", b"\x00\x00\x00\x015hi"),
        ("12", b"\xff", b"\x00\x00\x00\x0212\xff"),
        ("é", "ü", b"\x00\x00\x00\x02\xc3\xa9\xc3\xbc"),
    ],
)
def test_encode_text_for_progress(node_id: str, text: Any, expected: bytes) -> None:
    assert encode_text_for_progress(node_id, text) == expected


class RecordingHandler(ExecutorToClientProgress):
    def __init__(self) -> None:
        self.client_id = "client"
        self.last_node_id = None
        self.last_prompt_id = None
        self.sent: list[tuple[Any, Any, Any]] = []

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        self.sent.append((event, data, sid))


def test_protocol_defaults() -> None:
    handler = RecordingHandler()
    handler.send_progress_text("hello", "7", sid="s")
    assert handler.sent == [(BinaryEventTypes.TEXT, encode_text_for_progress("7", "hello"), "s")]
    assert handler.receive_all_progress_notifications is False
    assert handler.sockets_metadata == {"__unimplemented": True}
    handler.queue_updated()  # a no-op by default
    assert len(handler.sent) == 1


def test_unencoded_preview_defaults() -> None:
    message = UnencodedPreviewImageMessage("JPEG", object())
    assert (message.max_size, message.node_id, message.task_id) == (512, "", "")


@pytest.mark.parametrize("error_type", errors.VALIDATION_ERROR_TYPES)
def test_validation_error_types(error_type: str) -> None:
    assert errors.validation_error(error_type, "m") == {"type": error_type, "message": "m", "details": "", "extra_info": {}}


@pytest.mark.parametrize(
    "required",
    ["invalid_prompt", "prompt_no_outputs", "prompt_outputs_failed_validation", "value_not_in_list", "no_prompt", "dependency_cycle"],
)
def test_validation_error_types_include(required: str) -> None:
    assert required in errors.VALIDATION_ERROR_TYPES


def test_unknown_validation_error_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown validation error type"):
        errors.validation_error("nope", "m")
