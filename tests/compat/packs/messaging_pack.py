"""A pack whose node messages the browser while it runs (PromptServer.instance.send_sync)."""

from server import PromptServer


class Announce:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"default": "hi"})}, "hidden": {"node_id": "UNIQUE_ID"}}

    RETURN_TYPES = ()
    OUTPUT_NODE = True
    FUNCTION = "announce"

    def announce(self, text, node_id):
        server = PromptServer.instance
        server.send_sync("messaging_pack.announce", {"text": text, "node": node_id, "seen_node": server.last_node_id})
        server.send_progress_text(f"said {text}", node_id)
        return {"ui": {"text": [text]}}


NODE_CLASS_MAPPINGS = {"MsgAnnounce": Announce}
