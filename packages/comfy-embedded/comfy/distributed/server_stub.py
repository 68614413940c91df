"""`ServerStub`: the progress handler that receives nothing (the embedded client's default)."""

from __future__ import annotations

import uuid
from typing import Optional

from comfy.component_model.executor_types import SendSyncData, SendSyncEvent, SocketsMetadataType

__all__ = ["ServerStub"]


class ServerStub:
    """An ``ExecutorToClientProgress`` that drops every notification; ``client_id`` is random.

    The embedded client recognises it and does not even produce the events for it.
    """

    def __init__(self) -> None:
        self.client_id: Optional[str] = str(uuid.uuid4())
        self.last_node_id: Optional[str] = None
        self.last_prompt_id: Optional[str] = None

    @property
    def receive_all_progress_notifications(self) -> bool:
        return False

    @property
    def sockets_metadata(self) -> SocketsMetadataType:
        return {"__unimplemented": True}

    def send_sync(self, event: SendSyncEvent, data: SendSyncData, sid: Optional[str] = None) -> None:
        return None

    def send_progress_text(self, text: str | bytes | bytearray, node_id: str, sid: Optional[str] = None) -> None:
        return None

    def queue_updated(self, queue_remaining: Optional[int] = None) -> None:
        return None

    def __repr__(self) -> str:
        return f"ServerStub(client_id={self.client_id!r})"
