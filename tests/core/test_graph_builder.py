"""comfy_execution.graph_utils: is_link, GraphBuilder prefixes and editing, add_graph_prefix."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from comfy_execution.graph_utils import ExecutionBlocker, GraphBuilder, Node, add_graph_prefix, is_link


@pytest.fixture(autouse=True)
def fresh_default_prefix() -> Iterator[None]:
    GraphBuilder.set_default_prefix("", 0, 0)
    yield
    GraphBuilder.set_default_prefix("", 0, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["4", 0], True),
        (["4", 1.0], True),
        (["a.0.0.1", 2], True),
        (("4", 0), False),
        (["4"], False),
        (["4", 0, 1], False),
        ([4, 0], False),
        (["4", "0"], False),
        ({"__value__": ["4", 0]}, False),
        ("4", False),
        (None, False),
    ],
)
def test_is_link(value: Any, expected: bool) -> None:
    assert is_link(value) is expected


@pytest.mark.parametrize(
    ("default", "prefixes"),
    [
        pytest.param(None, [".0.0.", ".0.1.", ".0.2."], id="no-default"),
        pytest.param(("5", 0, 0), ["5.0.0.", "5.0.1.", "5.0.2."], id="node-5-call-0"),
        pytest.param(("5", 3, 2), ["5.3.2.", "5.3.3.", "5.3.4."], id="call-3-from-graph-2"),
    ],
)
def test_default_prefix_allocation(default: tuple[str, int, int] | None, prefixes: list[str]) -> None:
    if default is not None:
        GraphBuilder.set_default_prefix(*default)
    assert [GraphBuilder().prefix for _ in prefixes] == prefixes


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "r.1.0."),
        ({"root": "x"}, "x.1.0."),
        ({"call_index": 7}, "r.7.0."),
        ({"graph_index": 9}, "r.1.9."),
    ],
)
def test_alloc_prefix_overrides(kwargs: dict[str, Any], expected: str) -> None:
    GraphBuilder.set_default_prefix("r", 1, 0)
    assert GraphBuilder.alloc_prefix(**kwargs) == expected
    assert GraphBuilder.alloc_prefix() == "r.1.1."


@pytest.mark.parametrize(
    ("prefix", "ids"),
    [
        pytest.param(None, [".0.0.1", ".0.0.2", ".0.0.named"], id="default"),
        pytest.param("", ["1", "2", "named"], id="empty-prefix"),
        pytest.param("p.", ["p.1", "p.2", "p.named"], id="explicit"),
    ],
)
def test_node_ids(prefix: str | None, ids: list[str]) -> None:
    g = GraphBuilder(prefix=prefix)
    nodes = [g.node("A"), g.node("B"), g.node("C", id="named")]
    assert [n.id for n in nodes] == ids
    assert list(g.finalize()) == ids


def test_finalize_and_links() -> None:
    g = GraphBuilder(prefix="")
    image = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    save = g.node("SaveImage", images=image.out(0), filename_prefix="x")
    save.set_override_display_id("99")
    assert g.finalize() == {
        "1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 64, "width": 64, "batch_size": 1}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}, "override_display_id": "99"},
    }


def test_node_with_existing_id_is_returned() -> None:
    g = GraphBuilder(prefix="")
    first = g.node("A", id="x", v=1)
    assert g.node("B", id="x", v=2) is first
    assert first.class_type == "A" and first.inputs == {"v": 1}


@pytest.mark.parametrize(
    ("key", "value", "expected_inputs"),
    [
        ("b", 3, {"a": 1, "b": 3}),
        ("a", 5, {"a": 5}),
        ("a", None, {}),
        ("missing", None, {"a": 1}),
    ],
)
def test_set_input(key: str, value: Any, expected_inputs: dict[str, Any]) -> None:
    node = Node("1", "A", {"a": 1})
    node.set_input(key, value)
    assert node.inputs == expected_inputs
    assert node.get_input(key) == expected_inputs.get(key)


def test_lookup_and_remove_node() -> None:
    g = GraphBuilder(prefix="p.")
    node = g.node("A")
    assert g.lookup_node("1") is node
    assert g.lookup_node("2") is None
    g.remove_node("1")
    assert g.lookup_node("1") is None and g.finalize() == {}
    with pytest.raises(KeyError):
        g.remove_node("1")


@pytest.mark.parametrize(
    ("index", "new_value", "expected"),
    [
        pytest.param(0, ["p.9", 1], {"x": ["p.9", 1], "y": ["p.1", 1], "z": 3}, id="relink"),
        pytest.param(0, 42, {"x": 42, "y": ["p.1", 1], "z": 3}, id="constant"),
        pytest.param(0, None, {"y": ["p.1", 1], "z": 3}, id="delete"),
        pytest.param(1, None, {"x": ["p.1", 0], "z": 3}, id="other-slot"),
        pytest.param(2, None, {"x": ["p.1", 0], "y": ["p.1", 1], "z": 3}, id="unused-slot"),
    ],
)
def test_replace_node_output(index: int, new_value: Any, expected: dict[str, Any]) -> None:
    g = GraphBuilder(prefix="p.")
    source = g.node("A")
    sink = g.node("B", x=source.out(0), y=source.out(1), z=3)
    g.replace_node_output("1", index, new_value)
    assert sink.inputs == expected


def test_add_graph_prefix() -> None:
    graph = {
        "1": {"class_type": "A", "inputs": {"v": 1}, "override_display_id": "x"},
        "2": {"class_type": "B", "inputs": {"a": ["1", 0], "lst": ["1", 0, 2]}},
    }
    new_graph, outputs = add_graph_prefix(graph, [["2", 0], 5], "n.")
    assert new_graph == {
        "n.1": {"class_type": "A", "inputs": {"v": 1}},
        "n.2": {"class_type": "B", "inputs": {"a": ["n.1", 0], "lst": ["1", 0, 2]}},
    }
    assert outputs == (["n.2", 0], 5)


def test_default_prefix_is_per_thread() -> None:
    GraphBuilder.set_default_prefix("main", 0, 0)
    results: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)

    def worker(name: str) -> None:
        GraphBuilder.set_default_prefix(name, 1, 0)
        barrier.wait()
        results[name] = [GraphBuilder().prefix for _ in range(3)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": ["a.1.0.", "a.1.1.", "a.1.2."], "b": ["b.1.0.", "b.1.1.", "b.1.2."]}
    assert GraphBuilder().prefix == "main.0.0."


def test_default_prefix_is_per_task() -> None:
    async def node_call(name: str) -> list[str]:
        GraphBuilder.set_default_prefix(name, 0, 0)
        first = GraphBuilder().prefix
        await asyncio.sleep(0)
        return [first, GraphBuilder().prefix]

    async def main() -> list[list[str]]:
        return list(await asyncio.gather(node_call("a"), node_call("b")))

    assert asyncio.run(main()) == [["a.0.0.", "a.0.1."], ["b.0.0.", "b.0.1."]]


@pytest.mark.parametrize("message", ["blocked", None])
def test_execution_blocker(message: str | None) -> None:
    assert ExecutionBlocker(message).message == message
