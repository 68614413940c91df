"""Conditioning operations: the nodes, and what their options do inside guidance
(areas with feathered borders, masks, strengths, timestep ranges, batching) — checked with a fake
model whose answer for each entry is a known constant, so every blend can be computed by hand."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

import comfy_nodes_sd  # noqa: E402
from comfy_nodes_sd.nodes import cond_ops  # noqa: E402
from comfy_nodes_sd.sampling.model_sampling import DiscreteSchedule  # noqa: E402
from comfy_nodes_sd.sampling.model_wrapper import (  # noqa: E402
    convert_cond,
    process_conds,
    sampling_function,
)

NODES = comfy_nodes_sd.NODE_CLASS_MAPPINGS


def ctx(value: float, tokens: int = 77) -> Any:
    return torch.full((1, tokens, 8), float(value))


class ConstantModel:
    """apply_model answers, for each batch entry, the mean of its context everywhere."""

    def __init__(self) -> None:
        self.model_sampling = DiscreteSchedule()
        self.family = None
        self.calls: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def apply_model(self, x: Any, sigma: Any, context: Any, y: Any = None) -> Any:
        self.calls.append((tuple(x.shape), tuple(context.shape)))
        return torch.ones_like(x) * context.mean(dim=(1, 2)).reshape(-1, 1, 1, 1)


def guided(model: ConstantModel, positive: list[Any], negative: list[Any] | None, cfg: float, sigma: float = 1.0, size: int = 32) -> Any:
    noise = torch.zeros(1, 4, size, size)
    conds = {"positive": convert_cond(positive)}
    if negative is not None:
        conds["negative"] = convert_cond(negative)
    conds = process_conds(model, noise, conds, "cpu")  # type: ignore[arg-type]
    return sampling_function(model, noise, torch.tensor([sigma]), conds.get("negative"), conds["positive"], cfg)  # type: ignore[arg-type]


def feather(length: int, start: int, size: int, total: int) -> list[float]:
    """ComfyUI's border ramp of an area along one axis: up to 8 cells (a quarter of the area)."""
    f = [0.0] * total
    for i in range(start, start + size):
        f[i] = 1.0
    rr = min(8, size // 4)
    if start != 0:
        for t in range(rr):
            f[start + t] *= (t + 1) / rr
    if start + size < total:
        for t in range(rr):
            f[start + size - 1 - t] *= (t + 1) / rr
    return f


def test_area_blends_with_feathered_borders() -> None:
    model = ConstantModel()
    area_cond = cond_ops.ConditioningSetArea().append([[ctx(3.0), {}]], width=128, height=128, x=64, y=64, strength=1.0)[0]
    out = guided(model, [[ctx(1.0), {}]] + area_cond, None, cfg=1.0)
    rows, cols = feather(32, 8, 16, 32), feather(32, 8, 16, 32)
    expected = torch.tensor([[(1.0 + 3.0 * rows[r] * cols[c]) / (1.0 + rows[r] * cols[c]) for c in range(32)] for r in range(32)])
    assert torch.allclose(out[0, 0], expected, atol=1e-6)
    assert torch.allclose(out[0, 3], expected, atol=1e-6)
    assert sorted(model.calls) == [((1, 4, 16, 16), (1, 77, 8)), ((1, 4, 32, 32), (1, 77, 8))]


def test_area_percentage_and_strength() -> None:
    model = ConstantModel()
    cond = cond_ops.ConditioningSetAreaPercentage().append([[ctx(5.0), {}]], width=0.5, height=1.0, x=0.5, y=0.0, strength=2.0)[0]
    assert cond[0][1]["area"] == ("percentage", 1.0, 0.5, 0.0, 0.5)
    out = guided(model, [[ctx(1.0), {}]] + cond, None, cfg=1.0)
    cols = feather(32, 16, 16, 32)  # starts at column 16, touches the right edge
    expected = torch.tensor([(1.0 + 5.0 * 2.0 * cols[c]) / (1.0 + 2.0 * cols[c]) for c in range(32)])
    assert torch.allclose(out[0, 0, 5], expected, atol=1e-6)


def test_mask_with_strength_and_resizing() -> None:
    model = ConstantModel()
    mask = torch.zeros(64, 64)
    mask[:, 32:] = 1.0  # right half, at twice the latent's resolution: resized (bilinear) to 32×32
    cond = cond_ops.ConditioningSetMask().append([[ctx(3.0), {}]], mask=mask, set_cond_area="default", strength=0.5)[0]
    assert cond[0][1]["mask"].shape == (1, 64, 64) and cond[0][1]["mask_strength"] == 0.5
    out = guided(model, [[ctx(1.0), {}]] + cond, None, cfg=1.0)
    resized = torch.nn.functional.interpolate(mask.reshape(1, 1, 64, 64), size=(32, 32), mode="bilinear")[0, 0]
    m = resized * 0.5
    assert torch.allclose(out[0, 2], (1.0 + 3.0 * m) / (1.0 + m), atol=1e-6)


def test_mask_bounds_become_the_area() -> None:
    model = ConstantModel()
    mask = torch.zeros(32, 32)
    mask[4:8, 8:16] = 1.0
    cond = cond_ops.ConditioningSetMask().append([[ctx(3.0), {}]], mask=mask, set_cond_area="mask bounds", strength=1.0)[0]
    noise = torch.zeros(1, 4, 32, 32)
    conds = process_conds(model, noise, {"positive": convert_cond(cond)}, "cpu")  # type: ignore[arg-type]
    assert conds["positive"][0]["area"] == (8, 8, 4, 8)  # height at least 8 cells, from the box's top-left
    out = guided(model, [[ctx(1.0), {}]] + cond, None, cfg=1.0)
    assert ((1, 4, 8, 8), (1, 77, 8)) in model.calls
    assert torch.allclose(out[0, 0, 4:8, 8:16], torch.full((4, 8), 2.0))
    assert torch.allclose(out[0, 0, 8:12, 8:16], torch.ones(4, 8))  # in the area, outside the mask
    assert torch.allclose(out[0, 0, :4], torch.ones(4, 32))


def test_strength_weights_entries_and_cfg_mixes_sides() -> None:
    model = ConstantModel()
    strong = cond_ops.ConditioningSetAreaStrength().append([[ctx(5.0), {}]], strength=3.0)[0]
    out = guided(model, [[ctx(1.0), {}]] + strong, [[ctx(-1.0), {}]], cfg=7.0)
    cond = (1.0 + 3.0 * 5.0) / 4.0
    assert torch.allclose(out, torch.full_like(out, -1.0 + (cond + 1.0) * 7.0))
    assert model.calls == [((3, 4, 32, 32), (3, 77, 8))]  # one batch, negative first


def test_timestep_range_switches_an_entry_on_and_off() -> None:
    model = ConstantModel()
    late = cond_ops.ConditioningSetTimestepRange().set_range([[ctx(3.0), {}]], start=0.5, end=1.0)[0]
    assert late[0][1] == {"start_percent": 0.5, "end_percent": 1.0}
    ms = model.model_sampling
    half = ms.percent_to_sigma(0.5)
    early = guided(model, [[ctx(1.0), {}]] + late, None, cfg=1.0, sigma=half * 2)
    later = guided(model, [[ctx(1.0), {}]] + late, None, cfg=1.0, sigma=half / 2)
    assert torch.allclose(early, torch.ones_like(early))
    assert torch.allclose(later, torch.full_like(later, 2.0))


def test_contexts_of_different_lengths_batch_by_repetition() -> None:
    model = ConstantModel()
    concat = cond_ops.ConditioningConcat().concat([[ctx(2.0), {}]], [[ctx(4.0), {}]])[0]
    assert concat[0][0].shape == (1, 154, 8)
    out = guided(model, concat, [[ctx(1.0), {}]], cfg=2.0)
    assert model.calls == [((2, 4, 32, 32), (2, 154, 8))]
    assert torch.allclose(out, torch.full_like(out, 1.0 + (3.0 - 1.0) * 2.0))
    model.calls.clear()
    guided(model, [[ctx(2.0, 77 * 5), {}]], [[ctx(1.0), {}]], cfg=2.0)  # 5× the length: not batched
    assert len(model.calls) == 2


def test_an_area_gets_a_partner_on_the_other_side() -> None:
    model = ConstantModel()
    area_cond = cond_ops.ConditioningSetArea().append([[ctx(3.0), {}]], width=64, height=64, x=0, y=0, strength=1.0)[0]
    noise = torch.zeros(1, 4, 16, 16)
    conds = {"positive": convert_cond(area_cond), "negative": convert_cond([[ctx(-1.0), {}]])}
    out = process_conds(model, noise, conds, "cpu")  # type: ignore[arg-type]
    assert len(out["negative"]) == 2 and out["negative"][1]["area"] == (8, 8, 0, 0)
    assert float(out["negative"][1]["model_conds"]["c_crossattn"].cond.mean()) == -1.0


def test_zero_out_average_combine() -> None:
    pooled = torch.ones(1, 4)
    a = [[ctx(2.0), {"pooled_output": pooled}]]
    b = [[ctx(4.0, 154), {"pooled_output": pooled * 3}]]
    zero = cond_ops.ConditioningZeroOut().zero_out(a)[0]
    assert float(zero[0][0].abs().sum()) == 0 and float(zero[0][1]["pooled_output"].abs().sum()) == 0
    assert float(a[0][1]["pooled_output"].sum()) == 4.0  # the input is untouched
    avg = cond_ops.ConditioningAverage().addWeighted(a, b, 0.25)[0]
    assert avg[0][0].shape == (1, 77, 8) and torch.allclose(avg[0][0], torch.full((1, 77, 8), 0.25 * 2 + 0.75 * 4))
    assert torch.allclose(avg[0][1]["pooled_output"], torch.full((1, 4), 0.25 * 1 + 0.75 * 3))
    short = cond_ops.ConditioningAverage().addWeighted(b, a, 0.5)[0]  # from is shorter: zero padded
    assert torch.allclose(short[0][0][:, 77:], torch.full((1, 77, 8), 2.0))
    assert cond_ops.ConditioningCombine().combine(a, b)[0] == a + b


CONTRACTS = [
    ("ConditioningCombine", ["conditioning_1", "conditioning_2"], "combine", "conditioning", "Conditioning (Combine)"),
    ("ConditioningAverage", ["conditioning_to", "conditioning_from", "conditioning_to_strength"], "addWeighted", "conditioning", "Conditioning (Average)"),
    ("ConditioningConcat", ["conditioning_to", "conditioning_from"], "concat", "conditioning", "Conditioning (Concat)"),
    ("ConditioningSetArea", ["conditioning", "width", "height", "x", "y", "strength"], "append", "conditioning", "Conditioning (Set Area)"),
    ("ConditioningSetAreaPercentage", ["conditioning", "width", "height", "x", "y", "strength"], "append", "conditioning", "Conditioning (Set Area with Percentage)"),
    ("ConditioningSetAreaStrength", ["conditioning", "strength"], "append", "conditioning", None),
    ("ConditioningSetMask", ["conditioning", "mask", "strength", "set_cond_area"], "append", "conditioning", "Conditioning (Set Mask)"),
    ("ConditioningZeroOut", ["conditioning"], "zero_out", "advanced/conditioning", None),
    ("ConditioningSetTimestepRange", ["conditioning", "start", "end"], "set_range", "advanced/conditioning", None),
]


@pytest.mark.parametrize(("class_type", "inputs", "function", "category", "display"), CONTRACTS)
def test_contract(class_type: str, inputs: list[str], function: str, category: str, display: str | None) -> None:
    cls = NODES[class_type]
    assert list(cls.INPUT_TYPES()["required"]) == inputs
    assert cls.RETURN_TYPES == ("CONDITIONING",) and cls.FUNCTION == function and cls.CATEGORY == category
    assert comfy_nodes_sd.NODE_DISPLAY_NAME_MAPPINGS.get(class_type) == display


def test_control_and_gligen_say_they_are_not_supported() -> None:
    with pytest.raises(NotImplementedError, match="control"):
        convert_cond([[ctx(1.0), {"control": object()}]])
