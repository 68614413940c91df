"""Smoke semantics: a run, a cached re-run, events in order."""

from __future__ import annotations

import numpy as np
from harness import Client

from comfy_execution.graph_utils import GraphBuilder


def test_save_image_then_full_cache(client: Client, builder: GraphBuilder) -> None:
    image = builder.node("StubImage", content="WHITE", height=8, width=8, batch_size=1)
    save = builder.node("SaveImage", images=image.out(0), filename_prefix="basics")
    first = client.run(builder)
    assert first.did_run(image) and first.did_run(save)
    [png] = first.get_images(save)
    assert png.shape == (8, 8, 3) and (png == 255).all()
    second = client.run(builder)
    if client.executor.cache_policy == "none":
        assert second.did_run(image) and second.did_run(save)
        assert second.get_output(save)["images"][0]["filename"] == "basics_00002_.png"
    else:
        assert not second.did_run(image) and not second.did_run(save)
        assert second.was_cached(image) and second.was_cached(save)
        assert second.get_output(save) == first.get_output(save), "cached ui is returned (quirk 12 fixed)"


def test_event_order(client: Client, builder: GraphBuilder) -> None:
    value = builder.node("StubInt", value=3)
    out = builder.node("TestIntOutput", value=value.out(0))
    result = client.run(builder)
    names = [e for e, _, _ in result.events if e != "progress_state"]
    assert names == ["execution_start", "execution_cached", "executing", "executing", "executed", "execution_success"]
    assert result.get_values(out) == [3]
    assert np.all(result.events_named("executing")[-1]["node"] == out.id)
