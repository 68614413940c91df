"""A single-file pack mixing a V1 mapping with a synchronous V3 ``comfy_entrypoint``."""

from comfy_api.latest import ComfyExtension, io

LOADED: list[str] = []


class Greeting(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="ExtGreeting",
            display_name="Greeting (extension pack)",
            inputs=[io.String.Input("name", default="world"), io.Combo.Input("style", options=["plain", "loud"])],
            outputs=[io.String.Output()],
        )

    @classmethod
    def execute(cls, name, style):
        text = f"hello {name}"
        return (text.upper() if style == "loud" else text,)


class Legacy:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"forceInput": True})}}

    RETURN_TYPES = ("STRING",)
    FUNCTION = "run"

    def run(self, text):
        return (text + "!",)


class GreetingExtension(ComfyExtension):
    async def on_load(self):
        LOADED.append("on_load")

    async def get_node_list(self):
        return [Greeting]


def comfy_entrypoint():
    return GreetingExtension()


NODE_CLASS_MAPPINGS = {"ExtLegacy": Legacy}
