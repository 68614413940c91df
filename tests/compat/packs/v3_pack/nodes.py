import asyncio

from comfy_api.latest import io, ui

FINGERPRINT_CALLS: list[int] = []
EXECUTED: list[str] = []


class LazyPick(io.ComfyNode):
    """Evaluates only the branch it returns (lazy inputs)."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="V3LazyPick",
            display_name="Lazy Pick (v3 pack)",
            category="v3_pack",
            inputs=[
                io.Boolean.Input("use_a", default=True),
                io.Int.Input("a", lazy=True),
                io.Int.Input("b", lazy=True),
            ],
            outputs=[io.Int.Output("picked")],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    def check_lazy_status(cls, use_a, a=None, b=None):
        EXECUTED.append(f"check:{cls.hidden.unique_id}")
        wanted = "a" if use_a else "b"
        return [wanted] if {"a": a, "b": b}[wanted] is None else []

    @classmethod
    def execute(cls, use_a, a=None, b=None) -> io.NodeOutput:
        EXECUTED.append(f"pick:{cls.hidden.unique_id}")
        return io.NodeOutput(a if use_a else b)


class CountUp(io.ComfyNode):
    """``0 .. n-1`` as a list output; refuses 3; fingerprints its input."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="V3CountUp",
            category="v3_pack",
            inputs=[io.Int.Input("n", default=2, min=0, max=10)],
            outputs=[io.Int.Output("items", is_output_list=True), io.Int.Output("count")],
        )

    @classmethod
    def validate_inputs(cls, n):
        return True if n != 3 else "three is not allowed"

    @classmethod
    def fingerprint_inputs(cls, n):
        FINGERPRINT_CALLS.append(n)
        return n

    @classmethod
    def execute(cls, n) -> io.NodeOutput:
        EXECUTED.append(f"count:{n}")
        return io.NodeOutput(list(range(n)), n)


class AsyncDouble(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="V3AsyncDouble",
            category="v3_pack",
            inputs=[io.Int.Input("value", force_input=True)],
            outputs=[io.Int.Output()],
        )

    @classmethod
    async def execute(cls, value) -> io.NodeOutput:
        await asyncio.sleep(0.01)
        return io.NodeOutput(value * 2)


class ShowText(io.ComfyNode):
    """An output node showing its input, tagged with its own id."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="V3ShowText",
            display_name="Show Text (v3 pack)",
            category="v3_pack",
            inputs=[io.AnyType.Input("value")],
            hidden=[io.Hidden.unique_id],
            is_output_node=True,
        )

    @classmethod
    def execute(cls, value) -> io.NodeOutput:
        has_prompt = isinstance(cls.hidden.prompt, dict)
        return io.NodeOutput(ui=ui.PreviewText(f"{value}@{cls.hidden.unique_id}:{has_prompt}"))


class PreviewV3(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="V3Preview",
            category="v3_pack",
            inputs=[io.Image.Input("images")],
            is_output_node=True,
        )

    @classmethod
    def execute(cls, images) -> io.NodeOutput:
        return io.NodeOutput(ui=ui.PreviewImage(images, cls=cls))
