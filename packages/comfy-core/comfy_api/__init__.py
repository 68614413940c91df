"""ComfyUI's public node API (`comfy_api.latest`), as far as the engine provides it."""
