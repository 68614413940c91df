"""Data types shared by the engine, its clients and its transports (stdlib only).

* :mod:`comfy.component_model.queue_types` — queue tuples, execution status, binary event types.
* :mod:`comfy.component_model.executor_types` — the progress-handler protocol and event payloads.
* :mod:`comfy.component_model.make_mutable` — turn frozen prompts back into dicts and lists.
"""
