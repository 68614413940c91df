"""Console progress bars for `comfyui --workflows`: each node's `progress` events as a tqdm bar on stderr.

ComfyUI's console shows a tqdm bar while a sampler runs; here every node that reports progress
(checkpoint loading, sampling steps, tiled VAE passes, ...) gets one, labelled with its node id,
drawn from the same `progress` events that API clients receive. A bar closes when its node reaches
its total or another node starts. tqdm is optional (comfy-core does not depend on it): without it,
or with `TQDM_DISABLE=1`, nothing is drawn.
"""

from __future__ import annotations

import sys
from typing import IO, Any

__all__ = ["ConsoleProgress", "with_console_progress"]


class ConsoleProgress:
    """A progress handler (`send_sync(event, data, sid)`) that draws bars and passes every event on
    to `inner` (when given)."""

    client_id = "console"

    def __init__(self, stream: IO[str] | None = None, inner: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.inner = inner
        self._bars: dict[tuple[Any, Any], Any] = {}
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        self._tqdm = tqdm

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        if self.inner is not None:
            self.inner.send_sync(event, data, sid)
        if self._tqdm is None or not isinstance(data, dict):
            return
        if event == "progress":
            self._progress(data)
        elif event == "executing":
            self._close_all(except_node=data.get("node"))
        elif event in ("execution_success", "execution_error", "execution_interrupted"):
            self._close_all()

    def _progress(self, data: dict[str, Any]) -> None:
        key = (data.get("prompt_id"), data.get("node"))
        value, total = data.get("value", 0), data.get("max", 0)
        bar = self._bars.get(key)
        if bar is None:
            if value >= total > 0 and total == 1:
                return  # a one-step report (a cache hit): nothing to watch
            bar = self._tqdm(total=total, desc=f"#{key[1]}", file=self.stream, leave=True, dynamic_ncols=True)
            self._bars[key] = bar
        if total and bar.total != total:
            bar.total = total
        bar.update(max(0, value - bar.n))
        if total and value >= total:
            bar.close()
            del self._bars[key]

    def _close_all(self, except_node: Any = None) -> None:
        for key in [k for k in self._bars if k[1] != except_node or except_node is None]:
            self._bars.pop(key).close()


class _ClientWithConsole:
    """An embedded client whose `queue_prompt` also feeds a :class:`ConsoleProgress`."""

    def __init__(self, client: Any, stream: IO[str] | None) -> None:
        self._client = client
        self._stream = stream

    async def queue_prompt(self, prompt: Any, *args: Any, progress_handler: Any = None, **kwargs: Any) -> Any:
        handler = ConsoleProgress(self._stream, inner=progress_handler)
        if progress_handler is not None and getattr(progress_handler, "client_id", None) is not None:
            handler.client_id = progress_handler.client_id
        return await self._client.queue_prompt(prompt, *args, progress_handler=handler, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def with_console_progress(client: Any, stream: IO[str] | None = None) -> Any:
    """`client` (a running embedded `Comfy`) with console bars for every prompt it queues."""
    return _ClientWithConsole(client, stream)
