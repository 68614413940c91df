"""A headless Chromium driven over the DevTools protocol (CDP), just enough for page tests.

`HeadlessChromium(host_rules=...)` starts `chromium --headless` with a private profile and a
DevTools port, `open(url)` loads a page and waits for its load event, `evaluate(expression)`
runs JavaScript in it (awaiting a returned promise) and returns the value. `--host-resolver-rules`
lets a test serve `http://localhost:8188` (the address the seed's browser snippet hard-codes)
from a server on any port.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from typing import Any

from websockets.sync.client import ClientConnection, connect

__all__ = ["HeadlessChromium", "find_chromium"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class HeadlessChromium:
    def __init__(self, executable: str, *, host_rules: str | None = None, timeout: float = 30.0) -> None:
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        argv = [
            executable,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
        ]
        if host_rules:
            argv.append(f"--host-resolver-rules={host_rules}")
        argv.append("about:blank")
        self._stderr = open(os.path.join(self.profile, "stderr.log"), "wb")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr)
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        self._socket: ClientConnection | None = None
        try:
            self._socket = connect(self._devtools_url(timeout), max_size=None, open_timeout=timeout).__enter__()
        except BaseException:
            self.close()
            raise
        self.session: str | None = None

    def _devtools_url(self, timeout: float) -> str:
        active_port = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}: {self.log()[-2000:]}")
            try:
                with open(active_port) as f:
                    lines = f.read().splitlines()
            except FileNotFoundError:
                lines = []
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise TimeoutError(f"chromium did not open its DevTools port: {self.log()[-2000:]}")

    def log(self) -> str:
        with open(os.path.join(self.profile, "stderr.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 60.0, session: bool = True) -> dict[str, Any]:
        """Send a CDP command (to the page's session unless `session=False`) and return its result."""
        assert self._socket is not None
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self._socket.recv(timeout=max(0.0, deadline - time.monotonic())))
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result") or {})
            if "method" in reply:
                self._events.append(reply)

    def _wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        assert self._socket is not None
        for index, event in enumerate(self._events):
            if event.get("method") == name:
                return self._events.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self._socket.recv(timeout=max(0.0, deadline - time.monotonic())))
            if reply.get("method") == name:
                return reply
            if "method" in reply:
                self._events.append(reply)

    def open(self, url: str, *, timeout: float = 30.0) -> None:
        """Open `url` in a new tab and wait for its load event."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Page.navigate", {"url": url})
        self._wait_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str, *, timeout: float = 60.0) -> Any:
        """The value of `expression` in the page (a returned promise is awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True, "timeout": int(timeout * 1000)},
            timeout=timeout + 5,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page exception: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        if self._socket is not None:
            try:
                self.call("Browser.close", session=False, timeout=5)
            except Exception:
                pass
            self._socket.close()
            self._socket = None
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> HeadlessChromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
