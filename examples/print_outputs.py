"""Reads `comfyui --workflows` result lines on stdin, echoes them, and says where the images went.

Used by `make demo`; exits non-zero when a line reports an error.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        print(line, end="")
        result = json.loads(line)
        if "error" in result:
            status = 1
            continue
        for node_id, ui in result.get("outputs", {}).items():
            for image in ui.get("images", []):
                print(f"node {node_id} saved {image['abs_path']}")
            for text in ui.get("text", []):
                print(f"node {node_id} shows {text!r}")
    return status


if __name__ == "__main__":
    sys.exit(main())
