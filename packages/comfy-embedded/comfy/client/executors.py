"""Where the embedded client runs prompts: threads (`ContextVarExecutor`) or spawned processes
(`ProcessPoolExecutor`), and which configurations need processes (``spec/api.md`` §2.1).

`ProcessPoolExecutor` always uses the ``spawn`` start method. Unlike ComfyUI's, its children send
progress events and previews back to the parent: every pool owns an event channel (a
``SimpleQueue`` its children inherit) read by one parent thread, which hands each event to the
handler registered for its call; and a small table of interrupt requests the children poll, so
cancelling a call interrupts the prompt running in the child.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import itertools
import logging
import multiprocessing
import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "MODEL_MANAGEMENT_ARGS",
    "requires_process_pool_executor",
    "is_default_option",
    "ContextVarExecutor",
    "ProcessPoolExecutor",
]

logger = logging.getLogger(__name__)

MODEL_MANAGEMENT_ARGS: frozenset[str] = frozenset(
    {
        # devices and VRAM modes
        "cpu", "directml", "deterministic", "lowvram", "novram", "highvram", "gpu_only",
        "reserve_vram", "disable_smart_memory", "disable_pinned_memory", "async_offload",
        "disable_async_offload", "force_non_blocking", "force_channels_last", "disable_ipex_optimize",
        # precision
        "force_fp32", "force_fp16", "force_bf16", "supports_fp8_compute", "fast",
        "fp32_unet", "fp64_unet", "bf16_unet", "fp16_unet", "fp8_e4m3fn_unet", "fp8_e5m2_unet", "fp8_e8m0fnu_unet",
        "fp8_e4m3fn_text_enc", "fp8_e5m2_text_enc", "fp16_text_enc", "bf16_text_enc", "fp32_text_enc",
        "cpu_vae", "fp16_vae", "bf16_vae", "fp32_vae",
        # attention
        "disable_xformers", "use_split_cross_attention", "use_quad_cross_attention", "force_upcast_attention",
        "use_sage_attention", "use_flash_attention",
    }
)  # fmt: skip
"""Configuration keys that change how models are placed and computed. Model plugins read them once,
when they first load, so a client whose configuration changes one of them runs its prompts in
child processes (ComfyUI's list; ``use_pytorch_cross_attention`` is the default and left out)."""


@functools.lru_cache(maxsize=1)
def _core_defaults() -> dict[str, Any]:
    from comfy.cli_args import default_configuration

    return dict(default_configuration())


def is_default_option(key: str, value: Any) -> bool:
    """Is ``value`` the default of option ``key`` (off, for options only plugins define)?"""
    defaults = _core_defaults()
    if key in defaults:
        return bool(value == defaults[key])
    # Options that plugins add (--lowvram, --fp16-vae, ...) default to off: False, None, 0 or empty.
    return not value


def requires_process_pool_executor(configuration: Mapping[str, Any] | None) -> bool:
    """True when ``configuration`` sets a :data:`MODEL_MANAGEMENT_ARGS` key to a non-default value."""
    if not configuration:
        return False
    return any(key in configuration and not is_default_option(key, configuration[key]) for key in MODEL_MANAGEMENT_ARGS)


class ContextVarExecutor(concurrent.futures.ThreadPoolExecutor):
    """A thread pool that runs every submitted call in a copy of the submitter's contextvars."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)


_tokens = itertools.count(1)


def next_token() -> int:
    """A call id unique in this process (never 0), naming a call's events and interrupt requests."""
    return next(_tokens)


class ProcessPoolExecutor(concurrent.futures.ProcessPoolExecutor):
    """A ``spawn`` process pool whose children can report events and be interrupted.

    ``max_workers`` defaults to 1. Children are reused (``max_tasks_per_child=None``), so the
    node caches they hold carry over between prompts. ``initializer(*initargs)`` runs in every
    child after the pool's own set-up.
    """

    INTERRUPT_SLOTS = 64
    """How many interrupt requests may be pending at once."""

    def __init__(
        self,
        max_workers: int | None = 1,
        initializer: Callable[..., Any] | None = None,
        initargs: tuple[Any, ...] = (),
        *,
        max_tasks_per_child: int | None = None,
    ) -> None:
        from comfy.client import worker

        context = multiprocessing.get_context("spawn")
        self._events = context.SimpleQueue()
        self._interrupts = context.Array("q", self.INTERRUPT_SLOTS)
        super().__init__(
            max_workers=max_workers,
            mp_context=context,
            initializer=worker.child_init,
            initargs=(self._events, self._interrupts, initializer, initargs),
            max_tasks_per_child=max_tasks_per_child,
        )
        self._handlers: dict[int, tuple[Any, threading.Event]] = {}
        self._handlers_lock = threading.Lock()
        self._reader: threading.Thread | None = None

    # -- events -----------------------------------------------------------------------------

    def register(self, token: int, handler: Any) -> threading.Event:
        """Send the events of call ``token`` to ``handler.send_sync``; the event is set when the
        child has sent the call's last event (or :meth:`unregister` gives up on it)."""
        done = threading.Event()
        with self._handlers_lock:
            self._handlers[token] = (handler, done)
            if self._reader is None:
                self._reader = threading.Thread(target=self._read_events, name="comfy-process-events", daemon=True)
                self._reader.start()
        return done

    def unregister(self, token: int) -> None:
        with self._handlers_lock:
            entry = self._handlers.pop(token, None)
        if entry is not None:
            entry[1].set()

    def _read_events(self) -> None:
        from comfy.client.worker import END_OF_EVENTS

        while True:
            try:
                message = self._events.get()
            except (EOFError, OSError):
                return
            except Exception:
                logger.exception("could not read an event from a child process")
                continue
            if message is None:
                return
            token, event, data, sid = message
            if event == END_OF_EVENTS:
                self.unregister(token)
                continue
            with self._handlers_lock:
                entry = self._handlers.get(token)
            if entry is not None:
                entry[0].send_sync(event, data, sid)

    # -- interrupts -------------------------------------------------------------------------

    def request_interrupt(self, token: int) -> None:
        """Ask the child running call ``token`` to interrupt it (before it starts: not to run it)."""
        with self._interrupts.get_lock():
            slots = self._interrupts.get_obj()
            if token in slots[:]:
                return
            for i in range(len(slots)):
                if slots[i] == 0:
                    slots[i] = token
                    return
        logger.warning("more than %d interrupt requests pending; call %d is not interrupted", self.INTERRUPT_SLOTS, token)

    def clear_interrupt(self, token: int) -> None:
        with self._interrupts.get_lock():
            slots = self._interrupts.get_obj()
            for i in range(len(slots)):
                if slots[i] == token:
                    slots[i] = 0

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        reader = self._reader
        if reader is not None and reader.is_alive():
            self._events.put(None)
            if wait:
                reader.join(timeout=10)
