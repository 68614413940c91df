"""``GraphBuilder``, ``is_link`` and ``ExecutionBlocker`` (``spec/engine.md`` §0, §2.4, §3.6).

``GraphBuilder`` writes API-format prompts from code, and lets a node expand into a subgraph::

    g = GraphBuilder()
    image = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    g.node("SaveImage", images=image.out(0))
    prompt = g.finalize()

Node ids are ``prefix + local id``. A builder created without a prefix allocates one,
``"{root}.{call_index}.{graph_index}."``, from the *default prefix*: before each call of a node
function the executor runs ``GraphBuilder.set_default_prefix(unique_id, call_index, 0)``, and each
allocation increments ``graph_index``, so every expanded node gets a globally unique id. Outside
the executor the default is ``("", 0, 0)``: the first builder's ids are ``".0.0.1"``, ``".0.0.2"``…

ComfyUI kept that default in a class attribute; here it lives in a :class:`contextvars.ContextVar`,
so nodes running concurrently (threads, asyncio tasks) do not see each other's prefixes.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["is_link", "ExecutionBlocker", "GraphBuilder", "Node", "add_graph_prefix"]

_default_prefix: contextvars.ContextVar[tuple[str, int, int]] = contextvars.ContextVar(
    "comfy_graph_builder_default_prefix", default=("", 0, 0)
)


def is_link(obj: Any) -> bool:
    """True for a link ``[source_node_id: str, output_index: int | float]`` (a list, nothing else)."""
    return (
        isinstance(obj, list)
        and len(obj) == 2
        and isinstance(obj[0], str)
        and isinstance(obj[1], (int, float))
    )


class ExecutionBlocker:
    """Return this (as an output value) to block every node that consumes it.

    With a ``message`` the blocked consumer reports an ``execution_error`` carrying it (without
    failing the prompt); with ``None`` it is skipped silently. Prefer lazy inputs where they do.
    """

    __slots__ = ("message",)

    def __init__(self, message: str | None) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"ExecutionBlocker({self.message!r})"


class Node:
    """One node of a :class:`GraphBuilder` graph."""

    def __init__(self, id: str, class_type: str, inputs: dict[str, Any]) -> None:
        self.id = id
        self.class_type = class_type
        self.inputs = inputs
        self.override_display_id: str | None = None

    def out(self, index: int) -> list[Any]:
        """A link to this node's output ``index``: ``[self.id, index]``."""
        return [self.id, index]

    def set_input(self, key: str, value: Any) -> None:
        """Set input ``key``; a ``None`` value deletes it."""
        if value is None:
            self.inputs.pop(key, None)
        else:
            self.inputs[key] = value

    def get_input(self, key: str) -> Any:
        """Input ``key``'s value, or None."""
        return self.inputs.get(key)

    def set_override_display_id(self, override_display_id: str | None) -> None:
        """Report this node's progress and UI output under another node's id."""
        self.override_display_id = override_display_id

    def serialize(self) -> dict[str, Any]:
        """This node in API format (``override_display_id`` only when set)."""
        serialized: dict[str, Any] = {"class_type": self.class_type, "inputs": self.inputs}
        if self.override_display_id is not None:
            serialized["override_display_id"] = self.override_display_id
        return serialized

    def __repr__(self) -> str:
        return f"Node({self.id!r}, {self.class_type!r}, {self.inputs!r})"


class GraphBuilder:
    """Builds an API-format prompt; see the module docstring for the id scheme."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix: str = GraphBuilder.alloc_prefix() if prefix is None else prefix
        self.nodes: dict[str, Node] = {}
        self.id_gen = 1

    @classmethod
    def set_default_prefix(cls, prefix_root: str, call_index: int, graph_index: int = 0) -> None:
        """Set the current context's default prefix parts (the executor calls this per node call)."""
        _default_prefix.set((prefix_root, call_index, graph_index))

    @classmethod
    def alloc_prefix(
        cls, root: str | None = None, call_index: int | None = None, graph_index: int | None = None
    ) -> str:
        """Return ``"{root}.{call_index}.{graph_index}."`` (missing parts from the default) and
        advance the default ``graph_index`` by one."""
        default_root, default_call_index, default_graph_index = _default_prefix.get()
        if root is None:
            root = default_root
        if call_index is None:
            call_index = default_call_index
        if graph_index is None:
            graph_index = default_graph_index
        _default_prefix.set((default_root, default_call_index, default_graph_index + 1))
        return f"{root}.{call_index}.{graph_index}."

    def node(self, class_type: str, id: str | None = None, **kwargs: Any) -> Node:
        """Add a node (or return the existing one with that id); ids default to "1", "2", …"""
        if id is None:
            id = str(self.id_gen)
            self.id_gen += 1
        full_id = self.prefix + id
        existing = self.nodes.get(full_id)
        if existing is not None:
            return existing
        node = Node(full_id, class_type, kwargs)
        self.nodes[full_id] = node
        return node

    def lookup_node(self, id: str) -> Node | None:
        """The node with local id ``id``, or None."""
        return self.nodes.get(self.prefix + id)

    def remove_node(self, id: str) -> None:
        """Remove the node with local id ``id`` (KeyError when absent)."""
        del self.nodes[self.prefix + id]

    def replace_node_output(self, node_id: str, index: int, new_value: Any) -> None:
        """Point every input linked to output ``index`` of ``node_id`` at ``new_value``;
        ``None`` deletes those inputs."""
        full_id = self.prefix + node_id
        for node in self.nodes.values():
            for key, value in list(node.inputs.items()):
                if is_link(value) and value[0] == full_id and value[1] == index:
                    if new_value is None:
                        del node.inputs[key]
                    else:
                        node.inputs[key] = new_value

    def finalize(self) -> dict[str, dict[str, Any]]:
        """The graph in API format: ``{node_id: {"class_type", "inputs"[, "override_display_id"]}}``."""
        return {node_id: node.serialize() for node_id, node in self.nodes.items()}


def add_graph_prefix(
    graph: Mapping[str, Mapping[str, Any]], outputs: Sequence[Any], prefix: str
) -> tuple[dict[str, dict[str, Any]], tuple[Any, ...]]:
    """Prefix every node id of ``graph`` and every link (in the graph and in ``outputs``).

    Returns the new graph (nodes keep only ``class_type`` and ``inputs``) and the new outputs.
    """
    new_graph: dict[str, dict[str, Any]] = {}
    for node_id, node_info in graph.items():
        inputs: dict[str, Any] = {}
        for input_name, value in node_info.get("inputs", {}).items():
            inputs[input_name] = [prefix + value[0], value[1]] if is_link(value) else value
        new_graph[prefix + node_id] = {"class_type": node_info["class_type"], "inputs": inputs}
    new_outputs = tuple([prefix + out[0], out[1]] if is_link(out) else out for out in outputs)
    return new_graph, new_outputs
