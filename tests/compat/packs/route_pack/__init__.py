"""A pack that adds HTTP routes the way ComfyUI packs do (aiohttp's RouteTableDef API)."""

import os

from server import PromptServer

routes = PromptServer.instance.routes


@routes.get("/route_pack/hello")
async def hello(request):
    return {"hello": "world"}


@PromptServer.instance.routes.post("/route_pack/echo")
async def echo(request):
    return {"echo": await request.json()}


async def legacy(request):
    return {"legacy": True}


PromptServer.instance.app.router.add_get("/route_pack/legacy", legacy)
PromptServer.instance.routes.static("/route_pack/static", os.path.join(os.path.dirname(__file__), "static"))

NODE_CLASS_MAPPINGS = {}
WEB_DIRECTORY = "static"
