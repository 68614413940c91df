"""List utilities: the ACCUMULATION value (`{"accum": [...]}`) and list-producing nodes.

These exercise INPUT_IS_LIST / OUTPUT_IS_LIST mapping; none of them touches torch.
"""

from __future__ import annotations

from typing import Any

from .tools import VariantSupport

CATEGORY = "Testing/Lists"
NUM_LIST_SOCKETS = 10

Accumulation = dict[str, list[Any]]


def _accumulation() -> tuple[str]:
    return ("ACCUMULATION",)


@VariantSupport()
class TestAccumulateNode:
    """Appends to_add to an accumulation (a new one when none is linked)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"to_add": ("*",)},
            "optional": {"accumulation": _accumulation()},
        }

    RETURN_TYPES = ("ACCUMULATION",)
    FUNCTION = "accumulate"
    CATEGORY = CATEGORY

    def accumulate(self, to_add: Any, accumulation: Accumulation | None = None) -> tuple[Accumulation]:
        if accumulation is None:
            return ({"accum": [to_add]},)
        return ({"accum": accumulation["accum"] + [to_add]},)


@VariantSupport()
class TestAccumulationHeadNode:
    """Splits off the first item: (rest, first); an empty accumulation gives (itself, None)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"accumulation": _accumulation()}}

    RETURN_TYPES = ("ACCUMULATION", "*")
    FUNCTION = "accumulation_head"
    CATEGORY = CATEGORY

    def accumulation_head(self, accumulation: Accumulation) -> tuple[Any, Any]:
        accum = accumulation["accum"]
        if not accum:
            return (accumulation, None)
        return ({"accum": accum[1:]}, accum[0])


class TestAccumulationTailNode:
    """Splits off the last item: (rest, last); an empty accumulation gives (None, itself)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"accumulation": _accumulation()}}

    RETURN_TYPES = ("ACCUMULATION", "*")
    FUNCTION = "accumulation_tail"
    CATEGORY = CATEGORY

    def accumulation_tail(self, accumulation: Accumulation) -> tuple[Any, Any]:
        accum = accumulation["accum"]
        if not accum:
            # ComfyUI's order, kept for parity: the empty case swaps the two slots.
            return (None, accumulation)
        return ({"accum": accum[:-1]}, accum[-1])


@VariantSupport()
class TestAccumulationToListNode:
    """Emits the accumulated items as a list output (one downstream call per item)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"accumulation": _accumulation()}}

    RETURN_TYPES = ("*",)
    OUTPUT_IS_LIST = (True,)
    FUNCTION = "accumulation_to_list"
    CATEGORY = CATEGORY

    def accumulation_to_list(self, accumulation: Accumulation) -> tuple[list[Any]]:
        return (accumulation["accum"],)


@VariantSupport()
class TestListToAccumulationNode:
    """Collects a whole list input (INPUT_IS_LIST) into one accumulation."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"list": ("*",)}}

    RETURN_TYPES = ("ACCUMULATION",)
    INPUT_IS_LIST = (True,)
    FUNCTION = "list_to_accumulation"
    CATEGORY = CATEGORY

    def list_to_accumulation(self, list: list[Any]) -> tuple[Accumulation]:  # noqa: A002
        return ({"accum": list},)


@VariantSupport()
class TestAccumulationGetLengthNode:
    """The number of accumulated items."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"accumulation": _accumulation()}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "accumlength"
    CATEGORY = CATEGORY

    def accumlength(self, accumulation: Accumulation) -> tuple[int]:
        return (len(accumulation["accum"]),)


@VariantSupport()
class TestAccumulationGetItemNode:
    """The accumulated item at index (Python indexing, negatives count from the end)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "accumulation": _accumulation(),
                "index": ("INT", {"default": 0, "step": 1}),
            },
        }

    RETURN_TYPES = ("*",)
    FUNCTION = "get_item"
    CATEGORY = CATEGORY

    def get_item(self, accumulation: Accumulation, index: int) -> tuple[Any]:
        return (accumulation["accum"][index],)


@VariantSupport()
class TestAccumulationSetItemNode:
    """A copy of the accumulation with the item at index replaced by value."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "accumulation": _accumulation(),
                "index": ("INT", {"default": 0, "step": 1}),
                "value": ("*",),
            },
        }

    RETURN_TYPES = ("ACCUMULATION",)
    FUNCTION = "set_item"
    CATEGORY = CATEGORY

    def set_item(self, accumulation: Accumulation, index: int, value: Any) -> tuple[Accumulation]:
        new_accum = list(accumulation["accum"])
        new_accum[index] = value
        return ({"accum": new_accum},)


@VariantSupport()
class TestMakeListNode:
    """Builds a list output from value1..value9, in socket order, skipping unconnected sockets."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"value1": ("*",)},
            "optional": {f"value{i}": ("*",) for i in range(1, NUM_LIST_SOCKETS)},
        }

    RETURN_TYPES = ("*",)
    FUNCTION = "make_list"
    OUTPUT_IS_LIST = (True,)
    CATEGORY = CATEGORY

    def make_list(self, **kwargs: Any) -> tuple[list[Any]]:
        return ([kwargs[f"value{i}"] for i in range(NUM_LIST_SOCKETS) if f"value{i}" in kwargs],)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestAccumulateNode": TestAccumulateNode,
    "TestAccumulationHeadNode": TestAccumulationHeadNode,
    "TestAccumulationTailNode": TestAccumulationTailNode,
    "TestAccumulationToListNode": TestAccumulationToListNode,
    "TestListToAccumulationNode": TestListToAccumulationNode,
    "TestAccumulationGetLengthNode": TestAccumulationGetLengthNode,
    "TestAccumulationGetItemNode": TestAccumulationGetItemNode,
    "TestAccumulationSetItemNode": TestAccumulationSetItemNode,
    "TestMakeListNode": TestMakeListNode,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestAccumulateNode": "Accumulate",
    "TestAccumulationHeadNode": "Accumulation Head",
    "TestAccumulationTailNode": "Accumulation Tail",
    "TestAccumulationToListNode": "Accumulation to List",
    "TestListToAccumulationNode": "List to Accumulation",
    "TestAccumulationGetLengthNode": "Accumulation Get Length",
    "TestAccumulationGetItemNode": "Accumulation Get Item",
    "TestAccumulationSetItemNode": "Accumulation Set Item",
    "TestMakeListNode": "Make List",
}
