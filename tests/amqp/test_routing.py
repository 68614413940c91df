"""Workers with different node sets share one cluster; a prompt goes only to a worker that has
every node it uses, whether the client picks the capability queue or a worker routes it from the
base queue (what a client that knows nothing of the cluster, e.g. a STOMP browser, publishes to)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import aiormq
import pytest
from amqp_support import WorkerProcess, node_pack
from pamqp.commands import Basic

from comfy.distributed import wire
from comfy.distributed.client import DistributedComfyClient

pytestmark = [pytest.mark.amqp, pytest.mark.slow]

ONLY_ON_B = '''
class OnlyOnB:
    """Doubles an integer (exists on one worker only)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 1})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "run"
    CATEGORY = "testing"

    def run(self, value):
        return (value * 2,)


NODE_CLASS_MAPPINGS = {"OnlyOnB": OnlyOnB}
'''


def special(value: int) -> dict[str, dict[str, object]]:
    return {
        "1": {"class_type": "OnlyOnB", "inputs": {"value": value}},
        "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
    }


async def test_prompts_go_to_workers_that_have_their_nodes(amqp_uri: str, queue_name: str, start_worker: Callable[..., list[WorkerProcess]]) -> None:
    (plain,) = start_worker(1)
    (extended,) = start_worker(1, prepare=node_pack("only_on_b", ONLY_ON_B))
    async with DistributedComfyClient(amqp_uri, queue_name) as client:
        workers = await client.wait_for_workers(2)
        by_pid = {w.worker_id: w for w in workers}
        b = next(w for w in workers if f"-{extended.pid}-" in w.worker_id)
        a = next(w for w in workers if f"-{plain.pid}-" in w.worker_id)
        assert "OnlyOnB" in b.nodes and "OnlyOnB" not in a.nodes and a.queue != b.queue
        assert "OnlyOnB" in await client.node_schemas() and set(by_pid) == {a.worker_id, b.worker_id}

        results = await asyncio.gather(*(client.queue_prompt_result(special(i), timeout=60) for i in range(6)))
        assert [r.outputs["2"]["value"] for r in results] == [[2 * i] for i in range(6)]
        assert {r.worker_id for r in results} == {b.worker_id}

        # a job on the base queue, in the reference's body shape: routed by whichever worker takes it
        connection = await aiormq.connect(amqp_uri)
        try:
            channel = await connection.channel()
            reply = await channel.queue_declare("", exclusive=True, auto_delete=True)
            answers: asyncio.Queue[dict[str, object]] = asyncio.Queue()

            async def on_reply(message: aiormq.abc.DeliveredMessage) -> None:
                if message.header.properties.message_type == wire.RESULT:
                    await answers.put(json.loads(message.body))

            await channel.basic_consume(reply.queue, on_reply, no_ack=True)
            for i in range(4):
                body = {"request": {"prompt_id": f"routed-{i}", "prompt": special(10 + i)}}
                await channel.basic_publish(
                    json.dumps(body).encode(),
                    routing_key=queue_name,
                    properties=Basic.Properties(content_type="application/json", correlation_id=f"routed-{i}", reply_to=reply.queue),
                )
            routed = [await asyncio.wait_for(answers.get(), 60) for _ in range(4)]
        finally:
            await connection.close()
        assert sorted(r["prompt_id"] for r in routed) == [f"routed-{i}" for i in range(4)]  # type: ignore[type-var]
        assert {r["worker_id"] for r in routed} == {b.worker_id}
        assert all(r["status"]["status_str"] == "success" for r in routed)  # type: ignore[index]

        # a prompt both can run may go to either; the plain worker still works
        common = {"1": {"class_type": "TestIntOutput", "inputs": {"value": 1}}}
        assert await client.queue_prompt(common) == {"1": {"value": [1]}}
