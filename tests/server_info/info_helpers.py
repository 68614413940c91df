"""Helpers of the file and info route tests: the prepared workspace and registry (see conftest)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from server_helpers import make_registry  # noqa: E402

from comfy.nodes.registry import NodeRegistry  # noqa: E402

EXTENSION = "seed_pages"


def png_bytes(size: tuple[int, int], color: tuple[int, ...], mode: str = "RGBA", text: dict[str, str] | None = None) -> bytes:
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    image = Image.new(mode, size, color)
    info = None
    if text:
        info = PngInfo()
        for key, value in text.items():
            info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def prepare_workspace(root: Path) -> None:
    for folder in ("input", "output/sub", "temp", "outside", "models/checkpoints", "models/embeddings/sub"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "output" / "red.png").write_bytes(png_bytes((8, 6), (255, 0, 0, 128), text={"prompt": "{}"}))
    (root / "output" / "sub" / "blue.png").write_bytes(png_bytes((4, 4), (0, 0, 255), mode="RGB"))
    (root / "input" / "green.png").write_bytes(png_bytes((5, 5), (0, 255, 0), mode="RGB"))
    (root / "temp" / "preview.png").write_bytes(png_bytes((3, 3), (9, 9, 9), mode="RGB"))
    (root / "output" / "page.html").write_text("<script>alert(1)</script>")
    (root / "output" / "data.json").write_text('{"a": 1}')
    (root / "outside" / "secret.png").write_bytes(png_bytes((2, 2), (1, 2, 3), mode="RGB"))
    (root / "output" / "link_out.png").symlink_to(root / "outside" / "secret.png")
    (root / "models" / "checkpoints" / "tiny.safetensors").write_bytes(b"\0" * 8)
    (root / "models" / "embeddings" / "a.pt").write_bytes(b"\0")
    (root / "models" / "embeddings" / "sub" / "b.safetensors").write_bytes(b"\0")
    (root / "models" / "embeddings" / "notes.txt").write_text("not an embedding")


def info_registry(extension_dir: Path) -> NodeRegistry:
    registry = make_registry()
    try:
        import comfy_nodes_sd

        registry.NODE_CLASS_MAPPINGS["CheckpointLoaderSimple"] = comfy_nodes_sd.NODE_CLASS_MAPPINGS["CheckpointLoaderSimple"]
    except (ImportError, KeyError):
        pass
    registry.EXTENSION_WEB_DIRS[EXTENSION] = str(extension_dir)
    return registry
