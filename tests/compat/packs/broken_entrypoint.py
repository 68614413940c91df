from comfy_api.latest import ComfyExtension


class Broken(ComfyExtension):
    async def get_node_list(self):
        raise RuntimeError("this extension cannot list its nodes")


async def comfy_entrypoint():
    return Broken()
