"""Output caching (spec §5): full and partial re-runs, IS_CHANGED, structural cache keys."""

from __future__ import annotations

import pytest
from harness import Client, uniform_value

from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def caches(client: Client) -> bool:
    return client.executor.cache_policy != "none"


def _mix_graph(g: GraphBuilder) -> dict[str, object]:
    black = g.node("StubImage", content="BLACK", **SIZE)
    noise = g.node("StubImage", content="NOISE", **SIZE)
    mask = g.node("StubMask", value=0.5, **SIZE)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=noise.out(0), mask=mask.out(0))
    save = g.node("SaveImage", images=mix.out(0), filename_prefix="cache")
    return {"black": black, "noise": noise, "mask": mask, "mix": mix, "save": save}


def test_full_cache(client: Client, builder: GraphBuilder) -> None:
    nodes = _mix_graph(builder)
    first = client.run(builder)
    second = client.run(builder)
    for name, node in nodes.items():
        assert first.did_run(node), name
        assert second.did_run(node) is not caches(client), name
    if caches(client):
        assert set(second.events_named("execution_cached")[0]["nodes"]) == {n.id for n in nodes.values()}
        assert first.get_images(nodes["save"])[0].tolist() == second.get_images(nodes["save"])[0].tolist()


def test_partial_cache_when_a_constant_changes(client: Client, builder: GraphBuilder) -> None:
    nodes = _mix_graph(builder)
    client.run(builder)
    nodes["mask"].inputs["value"] = 0.4
    second = client.run(builder)
    for name in ("black", "noise"):
        assert second.did_run(nodes[name]) is not caches(client), name
    for name in ("mask", "mix", "save"):
        assert second.did_run(nodes[name]), f"{name} is downstream of the change"


def test_custom_is_changed_nan_vs_false(client: Client, builder: GraphBuilder) -> None:
    """IS_CHANGED False caches; NaN (should_change=True) never compares equal, so it re-runs."""
    g = builder
    # Creating the nodes in this order once caused a bug in ComfyUI.
    save = g.node("SaveImage", filename_prefix="changed")
    is_changed = g.node("TestCustomIsChanged", should_change=False)
    image = g.node("StubImage", content="BLACK", **SIZE)
    save.set_input("images", is_changed.out(0))
    is_changed.set_input("image", image.out(0))

    result1 = client.run(g)
    result2 = client.run(g)
    is_changed.set_input("should_change", True)
    result3 = client.run(g)
    result4 = client.run(g)

    assert result1.did_run(is_changed)
    assert result2.did_run(is_changed) is not caches(client)
    assert result3.did_run(is_changed), "is_changed changed from False to NaN"
    assert result4.did_run(is_changed), "NaN is never equal to itself"
    assert result4.did_run(save), "downstream of an always-changed node re-runs"
    assert result4.did_run(image) is not caches(client), "upstream of it stays cached"


def test_is_changed_sees_only_constants(client: Client, builder: GraphBuilder) -> None:
    """TestIsChangedWithConstants' IS_CHANGED gets image=None (links are not resolved), so its
    fingerprint is the constant value and the second run is cached."""
    g = builder
    source = g.node("StubConstantImage", value=0.5, **SIZE)
    scaled = g.node("TestIsChangedWithConstants", image=source.out(0), value=0.5)
    preview = g.node("PreviewImage", images=scaled.out(0))

    for run in range(2):
        result = client.run(g)
        [image] = result.get_images(preview)
        assert uniform_value(image) == 63, "0.5 * 0.5 = 0.25"
        if run == 1:
            assert result.did_run(scaled) is not caches(client)


def test_is_changed_is_called_with_constants_only(
    client: Client, builder: GraphBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comfy_nodes_testing.specific import TestIsChangedWithConstants

    calls: list[dict[str, object]] = []
    original = TestIsChangedWithConstants.IS_CHANGED

    def recording(cls: type, image: object, value: float) -> object:
        calls.append({"image": image, "value": value})
        return original(image=image, value=value)

    monkeypatch.setattr(TestIsChangedWithConstants, "IS_CHANGED", classmethod(recording))
    g = builder
    source = g.node("StubConstantImage", value=0.5, **SIZE)
    g.node("TestIsChangedWithConstants", image=source.out(0), value=0.5)
    client.run(g.finalize() | {"extra": {"class_type": "PreviewImage", "inputs": {"images": [g.prefix + "2", 0]}}})
    assert calls == [{"image": None, "value": 0.5}], "once per prompt, links as None"


def test_is_changed_value_change_reruns(client: Client, builder: GraphBuilder) -> None:
    g = builder
    source = g.node("StubConstantImage", value=0.5, **SIZE)
    scaled = g.node("TestIsChangedWithConstants", image=source.out(0), value=0.5)
    preview = g.node("PreviewImage", images=scaled.out(0))
    client.run(g)
    scaled.inputs["value"] = 1.0
    result = client.run(g)
    assert result.did_run(scaled)
    assert result.did_run(source) is not caches(client)
    assert uniform_value(result.get_images(preview)[0]) == 127


def test_output_reuse(client: Client, builder: GraphBuilder) -> None:
    """One source feeding two outputs runs once; both outputs get its image."""
    g = builder
    source = g.node("StubImage", content="BLACK", **SIZE)
    save1 = g.node("SaveImage", images=source.out(0), filename_prefix="reuse_a")
    save2 = g.node("SaveImage", images=source.out(0), filename_prefix="reuse_b")
    result = client.run(g)
    assert len(result.get_images(save1)) == 1
    assert len(result.get_images(save2)) == 1
    runs = [d["node"] for d in result.events_named("executing")]
    assert runs.count(source.id) == 1


def test_identical_sub_dags_share_one_entry(client: Client, builder: GraphBuilder) -> None:
    """Cache keys are structural (spec §5.2, quirk 4): of two identical chains in one prompt,
    the second one's nodes are cache hits and do not run; without a cache both run."""
    g = builder
    chains = []
    for prefix in ("dag_a", "dag_b"):
        source = g.node("StubConstantImage", value=0.5, **SIZE)
        scaled = g.node("TestIsChangedWithConstants", image=source.out(0), value=0.5)
        save = g.node("SaveImage", images=scaled.out(0), filename_prefix=prefix)
        chains.append((source, scaled, save))

    result = client.run(g)

    runs = [d["node"] for d in result.events_named("executing")]
    for position in (0, 1):
        ran = sum(runs.count(chain[position].id) for chain in chains)
        assert ran == (1 if caches(client) else 2), f"position {position}: {runs}"
    for _, _, save in chains:
        [image] = result.get_images(save)
        assert uniform_value(image) == 63


def test_different_sub_dags_do_not_share(client: Client, builder: GraphBuilder) -> None:
    g = builder
    saves = []
    for value in (0.5, 1.0):
        source = g.node("StubConstantImage", value=value, **SIZE)
        saves.append(g.node("SaveImage", images=source.out(0), filename_prefix=f"dag_{value}"))
    result = client.run(g)
    assert [uniform_value(result.get_images(s)[0]) for s in saves] == [127, 255]


@pytest.mark.parametrize(
    ("cache_config", "a_cached_on_return"),
    [("classic", False), ("lru0", False), ("lru100", True), ("none", False)],
)
def test_a_b_a(client: Client, builder: GraphBuilder, cache_config: str, a_cached_on_return: bool) -> None:
    """Classic keeps only the current graph's results (quirk 5); LRU(100) keeps older ones."""
    g = builder
    source = g.node("StubConstantImage", value=0.25, **SIZE)
    save = g.node("SaveImage", images=source.out(0), filename_prefix="aba")
    client.run(g)
    source.inputs["value"] = 0.75
    assert client.run(g).did_run(source)
    source.inputs["value"] = 0.25
    result = client.run(g)
    assert result.did_run(source) is not a_cached_on_return
    assert uniform_value(result.get_images(save)[0]) == 63


def test_cached_outputs_are_returned(client: Client, builder: GraphBuilder) -> None:
    """A fully cached re-run still returns the output's ui (spec quirk 12, fixed)."""
    g = builder
    source = g.node("StubImage", content="BLACK", **SIZE)
    save = g.node("SaveImage", images=source.out(0), filename_prefix="cached_out")
    client.run(g)
    result = client.run(g)
    assert save.id in result.outputs
    assert len(result.get_images(save)) == 1


def test_unique_id_nodes_do_not_share_entries(client: Client, builder: GraphBuilder) -> None:
    """A class with a hidden UNIQUE_ID input keys on its node id (spec §5.2): two otherwise
    identical TestSleep nodes both run."""
    g = builder
    source = g.node("StubInt", value=1)
    sleeps = [g.node("TestSleep", value=source.out(0), seconds=0.0) for _ in range(2)]
    outs = [g.node("TestIntOutput", value=s.out(0)) for s in sleeps]
    result = client.run(g)
    assert all(result.did_run(s) for s in sleeps)
    assert [result.get_values(o) for o in outs] == [[1], [1]]


def test_node_instances_persist_across_prompts(client: Client, builder: GraphBuilder) -> None:
    """The objects cache keeps a node's instance while its id and class stay (PreviewImage's
    random file suffix is per instance); the none policy makes new instances every run."""
    g = builder
    source = g.node("StubConstantImage", value=0.25, **SIZE)
    preview = g.node("PreviewImage", images=source.out(0))
    first = client.run(g).get_output(preview)["images"][0]["filename"]
    source.inputs["value"] = 0.75
    second = client.run(g).get_output(preview)["images"][0]["filename"]
    same_suffix = first.rsplit("_", 2)[0] == second.rsplit("_", 2)[0]
    assert same_suffix is caches(client), (first, second)
