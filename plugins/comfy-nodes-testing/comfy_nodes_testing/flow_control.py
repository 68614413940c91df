"""Loops by node expansion (while / for) and the ExecutionBlocker node.

A loop is a `TestWhileLoopOpen` ... body ... `TestWhileLoopClose` pair joined by a raw
FLOW_CONTROL link. When the close node's condition holds, it clones every node between the open
and close nodes (reading the live graph through DYNPROMPT) into an expansion whose own close
clone, named "Recurse", decides the next iteration. Clones keep the original ids as display ids,
so UI updates land on the nodes the user placed. Output nodes hanging off the loop body are
cloned too, so their side effects repeat every iteration. `TestForLoopOpen`/`TestForLoopClose`
expand into a while loop counting `remaining` down to zero.
"""

from __future__ import annotations

from typing import Any

from .tools import VariantSupport, execution_blocker, graph_builder, is_link, output_node_classes

CATEGORY = "Testing/Flow"
NUM_FLOW_SOCKETS = 5
RECURSE_ID = "Recurse"


def _initial_values(kwargs: dict[str, Any], first: int = 0) -> list[Any]:
    return [kwargs.get(f"initial_value{i}") for i in range(first, NUM_FLOW_SOCKETS)]


def _link_sources(dynprompt: Any, node_id: str) -> list[str]:
    inputs = dynprompt.get_node(node_id).get("inputs") or {}
    return [value[0] for value in inputs.values() if is_link(value)]


def explore_dependencies(node_id: str, dynprompt: Any, upstream: dict[str, list[str]]) -> None:
    """Fill `upstream` (parent id -> dependent ids) with every ancestor edge of `node_id`.

    Iterative, but visits and appends in exactly the order of ComfyUI's recursive version.
    """
    # frame: [node id, iterator over its link sources, parent whose exploration is in progress]
    stack: list[list[Any]] = [[node_id, iter(_link_sources(dynprompt, node_id)), None]]
    while stack:
        frame = stack[-1]
        if frame[2] is not None:
            upstream[frame[2]].append(frame[0])
            frame[2] = None
        for parent_id in frame[1]:
            if parent_id not in upstream:
                upstream[parent_id] = []
                frame[2] = parent_id
                stack.append([parent_id, iter(_link_sources(dynprompt, parent_id)), None])
                break
            upstream[parent_id].append(frame[0])
        else:
            stack.pop()


def collect_contained(node_id: str, upstream: dict[str, list[str]], contained: dict[str, bool]) -> None:
    """Mark in `contained` every node downstream of `node_id` within `upstream` (pre-order DFS)."""
    stack = [iter(upstream.get(node_id, ()))]
    while stack:
        for child_id in stack[-1]:
            if child_id not in contained:
                contained[child_id] = True
                stack.append(iter(upstream.get(child_id, ())))
                break
        else:
            stack.pop()


def _all_node_ids(dynprompt: Any) -> list[str]:
    ids = dynprompt.all_node_ids() if hasattr(dynprompt, "all_node_ids") else dynprompt.get_original_prompt()
    if isinstance(ids, (set, frozenset)):
        return sorted(ids)  # a deterministic clone order
    return list(ids)


def collect_body_outputs(
    dynprompt: Any, contained: dict[str, bool], close_id: str, classes: dict[str, type] | None
) -> list[str]:
    """Output nodes outside `contained` fed by the loop body, directly or through such output nodes.

    Output nodes fed by the close node itself are left out: they consume the loop's result.
    """
    if not classes:
        return []
    candidates: dict[str, list[str]] = {}
    for node_id in _all_node_ids(dynprompt):
        if node_id in contained:
            continue
        class_def = classes.get(dynprompt.get_node(node_id).get("class_type"))
        if class_def is None or getattr(class_def, "OUTPUT_NODE", False) is not True:
            continue
        sources = _link_sources(dynprompt, node_id)
        if close_id not in sources:
            candidates[node_id] = sources
    found: list[str] = []
    sources_in_loop = set(contained)
    sources_in_loop.discard(close_id)
    changed = True
    while changed:
        changed = False
        for node_id, sources in candidates.items():
            if node_id not in sources_in_loop and any(source in sources_in_loop for source in sources):
                found.append(node_id)
                sources_in_loop.add(node_id)
                changed = True
    return found


@VariantSupport()
class TestWhileLoopOpen:
    """Loop head: passes initial_value0..4 through next to a stub FLOW_CONTROL token."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"condition": ("BOOLEAN", {"default": True})},
            "optional": {f"initial_value{i}": ("*",) for i in range(NUM_FLOW_SOCKETS)},
        }

    RETURN_TYPES = tuple(["FLOW_CONTROL"] + ["*"] * NUM_FLOW_SOCKETS)
    RETURN_NAMES = tuple(["FLOW_CONTROL"] + [f"value{i}" for i in range(NUM_FLOW_SOCKETS)])
    FUNCTION = "while_loop_open"
    CATEGORY = CATEGORY

    def while_loop_open(self, condition: bool, **kwargs: Any) -> tuple[Any, ...]:
        return tuple(["stub"] + _initial_values(kwargs))


@VariantSupport()
class TestWhileLoopClose:
    """Loop tail: returns its values when condition is false, else expands one more iteration."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "flow_control": ("FLOW_CONTROL", {"rawLink": True}),
                "condition": ("BOOLEAN", {"forceInput": True}),
            },
            "optional": {f"initial_value{i}": ("*",) for i in range(NUM_FLOW_SOCKETS)},
            "hidden": {"dynprompt": "DYNPROMPT", "unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = tuple(["*"] * NUM_FLOW_SOCKETS)
    RETURN_NAMES = tuple([f"value{i}" for i in range(NUM_FLOW_SOCKETS)])
    FUNCTION = "while_loop_close"
    CATEGORY = CATEGORY

    def while_loop_close(
        self, flow_control: Any, condition: Any, dynprompt: Any = None, unique_id: str | None = None, **kwargs: Any
    ) -> Any:
        if not condition:
            return tuple(_initial_values(kwargs))
        if dynprompt is None or unique_id is None:
            raise RuntimeError("TestWhileLoopClose needs the DYNPROMPT and UNIQUE_ID hidden inputs")

        upstream: dict[str, list[str]] = {}
        explore_dependencies(unique_id, dynprompt, upstream)
        open_node = flow_control[0]
        contained: dict[str, bool] = {}
        collect_contained(open_node, upstream, contained)
        contained[unique_id] = True
        contained[open_node] = True
        for node_id in collect_body_outputs(dynprompt, contained, unique_id, output_node_classes()):
            contained[node_id] = True

        def clone_id(node_id: str) -> str:
            return RECURSE_ID if node_id == unique_id else node_id

        graph = graph_builder()
        for node_id in contained:
            original = dynprompt.get_node(node_id)
            graph.node(original["class_type"], clone_id(node_id)).set_override_display_id(node_id)
        for node_id in contained:
            original = dynprompt.get_node(node_id)
            node = graph.lookup_node(clone_id(node_id))
            for key, value in (original.get("inputs") or {}).items():
                if is_link(value) and value[0] in contained:
                    node.set_input(key, graph.lookup_node(clone_id(value[0])).out(value[1]))
                else:
                    node.set_input(key, value)
        new_open = graph.lookup_node(open_node)
        for i in range(NUM_FLOW_SOCKETS):
            key = f"initial_value{i}"
            new_open.set_input(key, kwargs.get(key))
        my_clone = graph.lookup_node(RECURSE_ID)
        return {
            "result": tuple(my_clone.out(i) for i in range(NUM_FLOW_SOCKETS)),
            "expand": graph.finalize(),
        }


@VariantSupport()
class TestExecutionBlockerNode:
    """Passes input through, or blocks downstream execution (with a message when verbose)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "input": ("*",),
                "block": ("BOOLEAN",),
                "verbose": ("BOOLEAN", {"default": False}),
            },
        }

    RETURN_TYPES = ("*",)
    RETURN_NAMES = ("output",)
    FUNCTION = "execution_blocker"
    CATEGORY = CATEGORY

    def execution_blocker(self, input: Any, block: bool, verbose: bool) -> tuple[Any]:  # noqa: A002
        if block:
            return (execution_blocker("Blocked Execution" if verbose else None),)
        return (input,)


@VariantSupport()
class TestForLoopOpen:
    """For-loop head: `remaining` iterations left (the hidden initial_value0 overrides it in clones)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"remaining": ("INT", {"default": 1, "min": 0, "max": 100000, "step": 1})},
            "optional": {f"initial_value{i}": ("*",) for i in range(1, NUM_FLOW_SOCKETS)},
            "hidden": {"initial_value0": ("*",)},
        }

    RETURN_TYPES = tuple(["FLOW_CONTROL", "INT"] + ["*"] * (NUM_FLOW_SOCKETS - 1))
    RETURN_NAMES = tuple(["flow_control", "remaining"] + [f"value{i}" for i in range(1, NUM_FLOW_SOCKETS)])
    FUNCTION = "for_loop_open"
    CATEGORY = CATEGORY

    def for_loop_open(self, remaining: int, **kwargs: Any) -> dict[str, Any]:
        graph = graph_builder()
        if "initial_value0" in kwargs:
            remaining = kwargs["initial_value0"]
        carried = {f"initial_value{i}": kwargs.get(f"initial_value{i}") for i in range(1, NUM_FLOW_SOCKETS)}
        graph.node("TestWhileLoopOpen", condition=remaining, initial_value0=remaining, **carried)
        return {
            "result": tuple(["stub", remaining] + _initial_values(kwargs, first=1)),
            "expand": graph.finalize(),
        }


@VariantSupport()
class TestForLoopClose:
    """For-loop tail: expands into subtract-1 -> TestToBoolNode -> TestWhileLoopClose."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"flow_control": ("FLOW_CONTROL", {"rawLink": True})},
            "optional": {f"initial_value{i}": ("*", {"rawLink": True}) for i in range(1, NUM_FLOW_SOCKETS)},
        }

    RETURN_TYPES = tuple(["*"] * (NUM_FLOW_SOCKETS - 1))
    RETURN_NAMES = tuple([f"value{i}" for i in range(1, NUM_FLOW_SOCKETS)])
    FUNCTION = "for_loop_close"
    CATEGORY = CATEGORY

    def for_loop_close(self, flow_control: Any, **kwargs: Any) -> dict[str, Any]:
        graph = graph_builder()
        while_open = flow_control[0]
        sub = graph.node("TestIntMathOperation", operation="subtract", a=[while_open, 1], b=1)
        cond = graph.node("TestToBoolNode", value=sub.out(0))
        carried = {f"initial_value{i}": kwargs.get(f"initial_value{i}") for i in range(1, NUM_FLOW_SOCKETS)}
        while_close = graph.node(
            "TestWhileLoopClose",
            flow_control=flow_control,
            condition=cond.out(0),
            initial_value0=sub.out(0),
            **carried,
        )
        return {
            "result": tuple(while_close.out(i) for i in range(1, NUM_FLOW_SOCKETS)),
            "expand": graph.finalize(),
        }


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestWhileLoopOpen": TestWhileLoopOpen,
    "TestWhileLoopClose": TestWhileLoopClose,
    "TestExecutionBlocker": TestExecutionBlockerNode,
    "TestForLoopOpen": TestForLoopOpen,
    "TestForLoopClose": TestForLoopClose,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestWhileLoopOpen": "While Loop Open",
    "TestWhileLoopClose": "While Loop Close",
    "TestExecutionBlocker": "Execution Blocker",
    "TestForLoopOpen": "For Loop Open",
    "TestForLoopClose": "For Loop Close",
}
