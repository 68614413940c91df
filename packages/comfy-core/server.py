"""ComfyUI's ``server`` module, for custom node packs only (``from server import PromptServer``).

A compatibility shim shipped by comfy-core: ``PromptServer.instance`` always exists; see
:mod:`comfy.compat.prompt_server` for what ``send_sync`` and ``routes`` do here. New code should
not import this module.
"""

from comfy.compat.prompt_server import PromptServer, RouteDef, RouteTableDef, StaticDef

__all__ = ["PromptServer", "RouteDef", "RouteTableDef", "StaticDef"]
