"""The live prompt seen by nodes (`DYNPROMPT`), and the graph errors, under ComfyUI's names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from comfy.execution.errors import DependencyCycleError, NodeInputError, NodeNotFoundError
from comfy_execution.graph_utils import ExecutionBlocker

__all__ = ["DependencyCycleError", "DynamicPrompt", "ExecutionBlocker", "NodeInputError", "NodeNotFoundError"]


class DynamicPrompt:
    """The prompt as submitted plus the ephemeral nodes that expansion added while it runs."""

    def __init__(self, original_prompt: Mapping[str, Any]) -> None:
        self.original_prompt = original_prompt
        self.ephemeral_prompt: dict[str, Any] = {}
        self.ephemeral_parents: dict[str, str] = {}
        self.ephemeral_display: dict[str, str] = {}

    def get_node(self, node_id: str) -> Any:
        if node_id in self.ephemeral_prompt:
            return self.ephemeral_prompt[node_id]
        if node_id in self.original_prompt:
            return self.original_prompt[node_id]
        raise NodeNotFoundError(f"Node {node_id} not found")

    def has_node(self, node_id: str) -> bool:
        return node_id in self.original_prompt or node_id in self.ephemeral_prompt

    def add_ephemeral_node(self, node_id: str, node_info: Any, parent_id: str, display_id: str) -> None:
        self.ephemeral_prompt[node_id] = node_info
        self.ephemeral_parents[node_id] = parent_id
        self.ephemeral_display[node_id] = display_id

    def get_real_node_id(self, node_id: str) -> str:
        while node_id in self.ephemeral_parents:
            node_id = self.ephemeral_parents[node_id]
        return node_id

    def get_parent_node_id(self, node_id: str) -> str | None:
        return self.ephemeral_parents.get(node_id)

    def get_display_node_id(self, node_id: str) -> str:
        while node_id in self.ephemeral_display:
            display = self.ephemeral_display[node_id]
            if display == node_id:
                break
            node_id = display
        return node_id

    def all_node_ids(self) -> set[str]:
        return set(self.original_prompt) | set(self.ephemeral_prompt)

    def get_original_prompt(self) -> Mapping[str, Any]:
        return self.original_prompt
