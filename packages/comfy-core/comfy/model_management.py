"""Interrupting the running prompt (the part of ComfyUI's `comfy.model_management` that the
engine owns; model loading lives in the model plugins).

The flag is process-wide, as in ComfyUI: `interrupt_current_processing()` asks the running prompt
to stop; the engine checks it between nodes, before every node call, in `check_lazy_status` and
in every `ProgressBar` update, and resets it when a prompt starts.
"""

from __future__ import annotations

import threading

from comfy.execution.errors import InterruptProcessingException

__all__ = [
    "InterruptProcessingException",
    "interrupt_current_processing",
    "processing_interrupted",
    "throw_exception_if_processing_interrupted",
]

_interrupted = threading.Event()


def interrupt_current_processing(value: bool = True) -> None:
    """Sets (or clears) the interrupt flag."""
    if value:
        _interrupted.set()
    else:
        _interrupted.clear()


def processing_interrupted() -> bool:
    """Is an interrupt pending?"""
    return _interrupted.is_set()


def throw_exception_if_processing_interrupted() -> None:
    """Raises `InterruptProcessingException` (and clears the flag) if an interrupt is pending."""
    if _interrupted.is_set():
        _interrupted.clear()
        raise InterruptProcessingException()
