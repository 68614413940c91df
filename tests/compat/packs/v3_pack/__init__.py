"""A V3 pack: io.ComfyNode classes registered through an async ``comfy_entrypoint``."""

from typing_extensions import override

from comfy_api.latest import ComfyExtension, io

from .nodes import AsyncDouble, CountUp, LazyPick, PreviewV3, ShowText


class V3PackExtension(ComfyExtension):
    @override
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return [LazyPick, CountUp, AsyncDouble, ShowText, PreviewV3]


async def comfy_entrypoint() -> V3PackExtension:
    return V3PackExtension()
