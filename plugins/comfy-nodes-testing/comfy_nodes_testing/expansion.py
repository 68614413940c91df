"""Nodes that expand into subgraphs (`{"expand": ..., "result": ...}`) built with `GraphBuilder`.

They cover: a cycle created by expansion, mixing plain and expanding returns across list items,
a sampling pipeline inside an expansion, parallel async sleeps inside an expansion, and output
nodes created by an expansion (the executed-node-id checks).
"""

from __future__ import annotations

from typing import Any, ClassVar

from .tools import graph_builder

CATEGORY = "Testing/Nodes"


def _expansion(result: tuple, graph: Any) -> dict[str, Any]:
    return {"result": result, "expand": graph.finalize()}


class TestDynamicDependencyCycle:
    """Expands into two lazy mixes that depend on each other (the engine must report a cycle)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"input1": ("IMAGE",), "input2": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "dynamic_dependency_cycle"
    CATEGORY = CATEGORY

    def dynamic_dependency_cycle(self, input1: Any, input2: Any) -> dict[str, Any]:
        g = graph_builder()
        mask = g.node("StubMask", value=0.5, height=512, width=512, batch_size=1)
        mix1 = g.node("TestLazyMixImages", image1=input1, mask=mask.out(0))
        mix2 = g.node("TestLazyMixImages", image1=mix1.out(0), image2=input2, mask=mask.out(0))
        mix1.set_input("image2", mix2.out(0))
        return _expansion((mix2.out(0),), g)


class TestMixedExpansionReturns:
    """Per list item: <=0.1 a plain tuple, <=0.2 a result dict, else an expansion mixing at 0.3."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"input1": ("FLOAT",)}}

    RETURN_TYPES = ("IMAGE", "IMAGE")
    FUNCTION = "mixed_expansion_returns"
    CATEGORY = CATEGORY

    def mixed_expansion_returns(self, input1: float) -> Any:
        import torch

        white_image = torch.ones([1, 512, 512, 3])
        if input1 <= 0.1:
            return (torch.ones([1, 512, 512, 3]) * 0.1, white_image)
        if input1 <= 0.2:
            return {"result": (torch.ones([1, 512, 512, 3]) * 0.2, white_image)}
        g = graph_builder()
        mask = g.node("StubMask", value=0.3, height=512, width=512, batch_size=1)
        black = g.node("StubImage", content="BLACK", height=512, width=512, batch_size=1)
        white = g.node("StubImage", content="WHITE", height=512, width=512, batch_size=1)
        mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
        return _expansion((mix.out(0), white_image), g)


class TestSamplingInExpansion:
    """Expands into CLIPTextEncode x2 -> EmptyLatentImage -> KSampler -> VAEDecode (needs a model)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "clip": ("CLIP",),
                "vae": ("VAE",),
                "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}),
                "steps": ("INT", {"default": 20, "min": 1, "max": 100}),
                "cfg": ("FLOAT", {"default": 7.0, "min": 0.0, "max": 30.0}),
                "prompt": ("STRING", {"multiline": True, "default": "a beautiful landscape with mountains and trees"}),
                "negative_prompt": ("STRING", {"multiline": True, "default": "blurry, bad quality, worst quality"}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "sampling_in_expansion"
    CATEGORY = CATEGORY

    def sampling_in_expansion(
        self, model: Any, clip: Any, vae: Any, seed: int, steps: int, cfg: float, prompt: str, negative_prompt: str
    ) -> dict[str, Any]:
        g = graph_builder()
        positive = g.node("CLIPTextEncode", text=prompt, clip=clip)
        negative = g.node("CLIPTextEncode", text=negative_prompt, clip=clip)
        latent = g.node("EmptyLatentImage", width=512, height=512, batch_size=1)
        sampler = g.node(
            "KSampler",
            model=model,
            positive=positive.out(0),
            negative=negative.out(0),
            latent_image=latent.out(0),
            seed=seed,
            steps=steps,
            cfg=cfg,
            sampler_name="euler_ancestral",
            scheduler="normal",
        )
        decoded = g.node("VAEDecode", samples=sampler.out(0), vae=vae)
        return _expansion((decoded.out(0),), g)


class TestParallelSleep:
    """Output node expanding into three TestSleep nodes averaged by TestVariadicAverage."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        sleep = ("FLOAT", {"default": 0.5, "min": 0.0, "max": 10.0, "step": 0.01})
        return {
            "required": {
                "image1": ("IMAGE",),
                "image2": ("IMAGE",),
                "image3": ("IMAGE",),
                "sleep1": sleep,
                "sleep2": sleep,
                "sleep3": sleep,
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "parallel_sleep"
    CATEGORY = "experimental"
    OUTPUT_NODE = True

    def parallel_sleep(
        self,
        image1: Any,
        image2: Any,
        image3: Any,
        sleep1: float,
        sleep2: float,
        sleep3: float,
        unique_id: str | None = None,
    ) -> dict[str, Any]:
        g = graph_builder()
        sleeps = [
            g.node("TestSleep", value=image, seconds=seconds)
            for image, seconds in ((image1, sleep1), (image2, sleep2), (image3, sleep3))
        ]
        blend = g.node("TestVariadicAverage", input1=sleeps[0].out(0), input2=sleeps[1].out(0), input3=sleeps[2].out(0))
        return _expansion((blend.out(0),), g)


class TestDynamicAsyncGeneration:
    """Expands into num_async_nodes TestSleep nodes (alternating image1/image2) and averages them."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image1": ("IMAGE",),
                "image2": ("IMAGE",),
                "num_async_nodes": ("INT", {"default": 3, "min": 1, "max": 10}),
                "sleep_duration": ("FLOAT", {"default": 0.2, "min": 0.1, "max": 1.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "generate_async_workflow"
    CATEGORY = "_for_testing/async"

    def generate_async_workflow(
        self, image1: Any, image2: Any, num_async_nodes: int, sleep_duration: float
    ) -> dict[str, Any]:
        g = graph_builder()
        sleeps = [
            g.node("TestSleep", value=image1 if i % 2 == 0 else image2, seconds=sleep_duration)
            for i in range(num_async_nodes)
        ]
        if len(sleeps) == 1:
            final = sleeps[0]
        else:
            averaged = {f"input{i}": node.out(0) for i, node in enumerate(sleeps, start=1)}
            final = g.node("TestVariadicAverage", **averaged)
        return _expansion((final.out(0),), g)


class TestExecutedNodeIdsChild:
    """Output node that only reports its value in the UI (created by TestExecutedNodeIdsExpander)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("STRING", {"default": "expanded-child"})}}

    RETURN_TYPES = ()
    FUNCTION = "emit"
    CATEGORY = CATEGORY
    OUTPUT_NODE = True

    def emit(self, value: str) -> dict[str, Any]:
        return {"ui": {"values": [value]}}


class TestExecutedNodeIdsExpander:
    """Always-changed output node that expands into one TestExecutedNodeIdsChild."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("STRING", {"default": "expanded-child"})}}

    RETURN_TYPES = ()
    FUNCTION = "expand"
    CATEGORY = CATEGORY
    OUTPUT_NODE = True

    @classmethod
    def IS_CHANGED(cls, **kwargs: Any) -> float:
        return float("NaN")

    def expand(self, value: str) -> dict[str, Any]:
        g = graph_builder()
        g.node("TestExecutedNodeIdsChild", value=value)
        return _expansion((), g)


class TestExecutedNodeIdsBlocking:
    """Async output node that sets `started_event` then waits on `release_event` (set by the test)."""

    started_event: ClassVar[Any] = None
    release_event: ClassVar[Any] = None

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {}}

    RETURN_TYPES = ()
    FUNCTION = "block"
    CATEGORY = CATEGORY
    OUTPUT_NODE = True

    async def block(self) -> dict[str, Any]:
        if self.started_event is None or self.release_event is None:
            raise RuntimeError("TestExecutedNodeIdsBlocking needs started_event and release_event set by the test")
        self.started_event.set()
        await self.release_event.wait()
        return {"ui": {"completed": [True]}}


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestDynamicDependencyCycle": TestDynamicDependencyCycle,
    "TestMixedExpansionReturns": TestMixedExpansionReturns,
    "TestSamplingInExpansion": TestSamplingInExpansion,
    "TestParallelSleep": TestParallelSleep,
    "TestDynamicAsyncGeneration": TestDynamicAsyncGeneration,
    "TestExecutedNodeIdsChild": TestExecutedNodeIdsChild,
    "TestExecutedNodeIdsExpander": TestExecutedNodeIdsExpander,
    "TestExecutedNodeIdsBlocking": TestExecutedNodeIdsBlocking,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestDynamicDependencyCycle": "Dynamic Dependency Cycle",
    "TestMixedExpansionReturns": "Mixed Expansion Returns",
    "TestSamplingInExpansion": "Sampling In Expansion",
    "TestParallelSleep": "Test Parallel Sleep",
    "TestDynamicAsyncGeneration": "Test Dynamic Async Generation",
    "TestExecutedNodeIdsChild": "Executed Node IDs Child",
    "TestExecutedNodeIdsExpander": "Executed Node IDs Expander",
    "TestExecutedNodeIdsBlocking": "Executed Node IDs Blocking",
}
