"""Fixtures for engine-semantics tests: an executor with the testing and base node packs, per cache policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import CACHE_CONFIGS, Client, RecordingHandler

from comfy.execution import PromptExecutor
from comfy.nodes.registry import NodeRegistry
from comfy_execution.graph_utils import GraphBuilder
import comfy_nodes_base
import comfy_nodes_testing


@pytest.fixture(scope="session")
def testing_nodes() -> NodeRegistry:
    """The testing pack plus the base nodes the suites use (SaveImage, PreviewImage, RebatchImages)."""
    overlap = set(comfy_nodes_testing.NODE_CLASS_MAPPINGS) & set(comfy_nodes_base.NODE_CLASS_MAPPINGS)
    assert not overlap, f"defined by both packs: {sorted(overlap)}"
    return NodeRegistry(
        {**comfy_nodes_base.NODE_CLASS_MAPPINGS, **comfy_nodes_testing.NODE_CLASS_MAPPINGS},
        {**comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS, **comfy_nodes_testing.NODE_DISPLAY_NAME_MAPPINGS},
    )


@pytest.fixture(params=list(CACHE_CONFIGS), ids=list(CACHE_CONFIGS))
def cache_config(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def client(testing_nodes: NodeRegistry, cache_config: str, workspace: Path) -> Iterator[Client]:
    handler = RecordingHandler()
    executor = PromptExecutor(testing_nodes, handler=handler, **CACHE_CONFIGS[cache_config])
    yield Client(executor, handler)
    executor.close()


@pytest.fixture
def builder(request: pytest.FixtureRequest) -> GraphBuilder:
    return GraphBuilder(prefix=request.node.name)
