"""`QueuePromptWithProgress`: a running prompt whose notifications can be iterated.

``client.queue_with_progress(prompt)`` returns one. ``progress()`` yields every
``ProgressNotification(event, data, sid)`` of the run in order; it stops when the prompt succeeds
and raises the prompt's exception when it fails. ``await task.get()`` (or ``await task``) gives
the ``V1QueuePromptResponse``.

The class lives in comfy-api (``comfy.client.progress_task``), shared with the remote and the
distributed clients; this module keeps the reference's import path.
"""

from __future__ import annotations

from comfy.client.progress_task import ProgressQueueHandler, QueuePromptWithProgress

__all__ = ["QueuePromptWithProgress", "ProgressQueueHandler"]
