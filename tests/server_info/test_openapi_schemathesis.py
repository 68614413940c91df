"""Property-based tests with schemathesis against our own `openapi.yaml`: requests generated from
the document, sent to a real server, and every answer checked against the document (no server
error, a documented status code, content type, headers and body schema).

Bounded: positive data only, the schema's examples and a few fuzzed cases per operation,
derandomized (the same cases every run), no example database. `/ws` is a websocket, not HTTP.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterator

import pytest
import schemathesis
import yaml
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from server_helpers import RunningServer

MAX_EXAMPLES = 12

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(
    yaml.safe_load(importlib.resources.files("comfy.api").joinpath("openapi.yaml").read_bytes())
).exclude(path="/ws")
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES, deterministic=True, database="none", allow_x00=True
)
schema.config.phases.update(phases=["examples", "fuzzing"])

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzzed_server(info_server: RunningServer) -> Iterator[RunningServer]:
    yield info_server


@schema.parametrize()
def test_server_conforms_to_openapi(case: schemathesis.Case, fuzzed_server: RunningServer) -> None:
    case.call_and_validate(base_url=fuzzed_server.url, checks=CHECKS, timeout=60)
