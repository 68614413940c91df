"""Helpers for nodes with lazy inputs."""

from __future__ import annotations

from comfy.execution.context import current_node_context


def is_input_pending(*input_names: str) -> bool | tuple[bool, ...]:
    """Whether each named input of the running node is a link whose source has not run yet.

    With one name returns a bool, with several a tuple. Inputs that are constants, absent, or
    whose source has a result (even `None`) are not pending, so a branch that really produced
    `None` counts as evaluated.
    """
    ctx = current_node_context()
    results = []
    for name in input_names:
        pending = False
        if ctx is not None and ctx.run is not None:
            source = ctx.run.input_source(ctx.node_id, name)
            pending = source is not None and not ctx.run.is_available(source)
        results.append(pending)
    return results[0] if len(results) == 1 else tuple(results)
