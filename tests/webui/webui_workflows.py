"""The classic ComfyUI text-to-image workflow in the web UI's own (litegraph) format, the graph
a user gets by loading ComfyUI's original default workflow: CheckpointLoaderSimple → two
CLIPTextEncode → KSampler (on EmptyLatentImage) → VAEDecode → SaveImage.

Widget values are listed in each node's input order, as the frontend saves them (KSampler's
seed is followed by its "control after generate" value).
"""

from __future__ import annotations

from typing import Any

POSITIVE = "beautiful scenery nature glass bottle landscape, purple galaxy bottle"
NEGATIVE = "text, watermark"


def _node(node_id: int, type_: str, pos: tuple[int, int], inputs: list[tuple[str, str, int]], outputs: list[tuple[str, str, list[int]]], widgets: list[Any], order: int) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": type_,
        "pos": list(pos),
        "size": [320, 120],
        "flags": {},
        "order": order,
        "mode": 0,
        "inputs": [{"name": name, "type": kind, "link": link} for name, kind, link in inputs],
        "outputs": [{"name": name, "type": kind, "links": links, "slot_index": i} for i, (name, kind, links) in enumerate(outputs)],
        "properties": {"Node name for S&R": type_},
        "widgets_values": widgets,
    }


def txt2img_workflow(ckpt_name: str, *, width: int = 64, height: int = 64, steps: int = 2, seed: int = 42, prefix: str = "webui") -> dict[str, Any]:
    """The workflow (UI format) with `ckpt_name` in its checkpoint loader, small by default."""
    nodes = [
        _node(4, "CheckpointLoaderSimple", (26, 474), [], [("MODEL", "MODEL", [1]), ("CLIP", "CLIP", [3, 5]), ("VAE", "VAE", [8])], [ckpt_name], 0),
        _node(5, "EmptyLatentImage", (473, 609), [], [("LATENT", "LATENT", [2])], [width, height, 1], 1),
        _node(6, "CLIPTextEncode", (415, 186), [("clip", "CLIP", 3)], [("CONDITIONING", "CONDITIONING", [4])], [POSITIVE], 2),
        _node(7, "CLIPTextEncode", (413, 389), [("clip", "CLIP", 5)], [("CONDITIONING", "CONDITIONING", [6])], [NEGATIVE], 3),
        _node(
            3,
            "KSampler",
            (863, 186),
            [("model", "MODEL", 1), ("positive", "CONDITIONING", 4), ("negative", "CONDITIONING", 6), ("latent_image", "LATENT", 2)],
            [("LATENT", "LATENT", [7])],
            [seed, "fixed", steps, 8.0, "euler", "normal", 1.0],
            4,
        ),
        _node(8, "VAEDecode", (1209, 188), [("samples", "LATENT", 7), ("vae", "VAE", 8)], [("IMAGE", "IMAGE", [9])], [], 5),
        _node(9, "SaveImage", (1451, 189), [("images", "IMAGE", 9)], [], [prefix], 6),
    ]
    links = [
        [1, 4, 0, 3, 0, "MODEL"],
        [2, 5, 0, 3, 3, "LATENT"],
        [3, 4, 1, 6, 0, "CLIP"],
        [4, 6, 0, 3, 1, "CONDITIONING"],
        [5, 4, 1, 7, 0, "CLIP"],
        [6, 7, 0, 3, 2, "CONDITIONING"],
        [7, 3, 0, 8, 0, "LATENT"],
        [8, 4, 2, 8, 1, "VAE"],
        [9, 8, 0, 9, 0, "IMAGE"],
    ]
    return {"last_node_id": 9, "last_link_id": 9, "nodes": nodes, "links": links, "groups": [], "config": {}, "extra": {}, "version": 0.4}
