"""Helpers of the AMQP tests: a private RabbitMQ node, worker processes, topology clean-up.

- :class:`PrivateBroker`: a ``rabbitmq-server`` of its own (node name, ports, mnesia and log
  folders in a temporary directory); :meth:`PrivateBroker.restart` stops and starts the RabbitMQ
  application (every connection drops, the port closes, durable queues recover from disk).
- :class:`WorkerProcess`: one ``comfyui-worker`` process with its own workspace (no shared disk),
  health port and log file; :meth:`WorkerProcess.wait_healthy` polls ``/health``.
- :func:`delete_cluster` removes every queue and exchange of a test's queue name;
  :func:`teardown_cluster` stops a fixture's workers first and adds their capability queues.
- ``PREVIEW_PACK`` / ``HIDDEN_PACK``: custom node packs for :func:`node_pack` / :func:`node_packs`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

SYSTEM_URI = os.environ.get("COMFY_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
WORKER_SCRIPT = Path(sys.executable).with_name("comfyui-worker")


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, also when an event loop runs in this thread
    (then in a helper thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def broker_answers(uri: str, timeout: float = 3.0) -> bool:
    """True when an AMQP connection to ``uri`` opens."""
    import aiormq

    async def probe() -> bool:
        try:
            connection = await asyncio.wait_for(aiormq.connect(uri), timeout)
        except Exception:
            return False
        await connection.close()
        return True

    return run_sync(probe)


def rabbitmq_available() -> bool:
    return (RABBITMQ_BIN / "rabbitmq-server").exists() or shutil.which("rabbitmq-server") is not None


class PrivateBroker:
    """A RabbitMQ node of this test session only (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.dist_port = free_port()
        self.name = f"comfytest{os.getpid()}x{self.port}@localhost"
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None
        for sub in ("mnesia", "log"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "enabled_plugins").write_text("[].\n")
        (root / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.root / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.root / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.root / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(self.root / "rabbitmq"),
            RABBITMQ_FEATURE_FLAGS_FILE=str(self.root / "feature_flags"),
            HOME=str(self.root),
        )
        return env

    def start(self, timeout: float = 120.0) -> None:
        server = RABBITMQ_BIN / "rabbitmq-server"
        command = [str(server)] if server.exists() else ["rabbitmq-server"]
        with open(self.root / "server.out", "ab") as log:
            self.process = subprocess.Popen(command, env=self._env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait(True, timeout)

    def _wait(self, up: bool, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: {(self.root / 'server.out').read_text()[-2000:]}")
            if port_open(self.port) == up and (not up or broker_answers(self.uri, 2)):
                return
            time.sleep(0.2)
        raise TimeoutError(f"the private broker did not become {'ready' if up else 'unreachable'} within {timeout} s")

    def _ctl(self, *args: str) -> None:
        ctl = RABBITMQ_BIN / "rabbitmqctl"
        command = [str(ctl) if ctl.exists() else "rabbitmqctl", "-n", self.name, *args]
        subprocess.run(command, env=self._env(), check=True, capture_output=True, timeout=120)

    def stop_app(self) -> None:
        """Stop the RabbitMQ application: connections drop and the port closes."""
        self._ctl("stop_app")
        self._wait(False, 60)

    def start_app(self) -> None:
        self._ctl("start_app")
        self._wait(True, 120)

    def close_connections(self) -> None:
        """Drop every client connection (the broker stays up)."""
        self._ctl("close_all_connections", "dropped by the test")

    def restart(self) -> None:
        self.stop_app()
        self.start_app()

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


class WorkerProcess:
    """One ``comfyui-worker`` subprocess (see the module docstring)."""

    def __init__(
        self,
        uri: str,
        queue_name: str,
        workspace: Path,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        prepare: Callable[[Path], None] | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.uri = uri
        self.queue_name = queue_name
        self.workspace = workspace
        self.health_port = free_port()
        workspace.mkdir(parents=True, exist_ok=True)
        if prepare is not None:
            prepare(workspace)
        self.log_path = workspace / "worker.log"
        # comfyui-worker's own tuning option: heartbeats every second, so tests see workers soon
        program = list(command) if command is not None else [str(WORKER_SCRIPT), "--heartbeat-seconds", "1"]
        program += [
            f"--distributed-queue-connection-uri={uri}",
            "--distributed-queue-name",
            queue_name,
            "--health-port",
            str(self.health_port),
            "--cwd",
            str(workspace),
            *args,
        ]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(program, stdout=self._log, stderr=subprocess.STDOUT, env=full_env, cwd=str(workspace))

    @property
    def pid(self) -> int:
        return self.process.pid

    def health(self) -> tuple[int, str] | None:
        """``(status, body)`` of ``GET /health``, or None when nothing answers."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/health", timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except (urllib.error.URLError, OSError):
            return None

    def wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log()}")
            answer = self.health()
            if answer is not None and answer[0] == 200:
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker not healthy within {timeout} s:\n{self.log()}")

    def capability_queue(self) -> str | None:
        """The capability queue the worker logged (the whole log: a long run pushes the line out
        of :meth:`log`'s tail, and the queue would outlive the test)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return None
        match = re.search(r"consuming (\S+)", text)
        return match.group(1) if match else None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: dies mid-job without acking."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait(30)

    def terminate(self, timeout: float = 60.0) -> int:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate(15)
        self._log.close()


def start_workers(
    uri: str,
    queue_name: str,
    root: Path,
    count: int,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    prepare: Callable[[Path], None] | None = None,
    started: list[WorkerProcess] | None = None,
) -> list[WorkerProcess]:
    """Start ``count`` workers at once and wait until each is healthy (``prepare(workspace)``
    runs first, e.g. to put a custom node pack into ``workspace/custom_nodes``).

    Each worker goes into ``started`` as soon as its process exists, so that a caller's teardown
    stops it and deletes its capability queue even when waiting fails; without ``started`` a
    failure stops the workers here (their queues are then the caller's ``delete_cluster``'s)."""
    existing = len(list(root.glob("worker*"))) if root.exists() else 0
    workers: list[WorkerProcess] = []
    try:
        for i in range(count):
            worker = WorkerProcess(uri, queue_name, root / f"worker{existing + i}", args, env, prepare)
            workers.append(worker)
            if started is not None:
                started.append(worker)
        for worker in workers:
            worker.wait_healthy()
    except BaseException:
        if started is None:
            for worker in workers:
                worker.stop()
        raise
    return workers


def teardown_cluster(uri: str, queue_name: str, workers: Iterable[WorkerProcess]) -> None:
    """Stop ``workers`` and delete the cluster's queue family from the broker: ``Q``, ``Q.dead``,
    the workers' ``Q.nodes.*`` and the exchanges ``Q.dlx``, ``Q.progress``, ``Q.cluster``."""
    workers = list(workers)
    for worker in workers:
        worker.stop()
    delete_cluster(uri, queue_name, [q for q in (w.capability_queue() for w in workers) if q])


def delete_cluster(uri: str, queue_name: str, extra_queues: Iterable[str] = ()) -> None:
    """Delete a test cluster's queues (base, dead letters, capability queues) and exchanges."""
    import aiormq

    async def delete() -> None:
        try:
            connection = await asyncio.wait_for(aiormq.connect(uri), 10)
        except Exception:
            return
        try:
            for queue in {queue_name, f"{queue_name}.dead", *extra_queues}:
                channel = await connection.channel()
                with contextlib.suppress(Exception):
                    await channel.queue_delete(queue)
            for suffix in ("dlx", "progress", "cluster"):
                channel = await connection.channel()
                with contextlib.suppress(Exception):
                    await channel.exchange_delete(f"{queue_name}.{suffix}")
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    run_sync(delete)


PREVIEW_PACK = '''
"""A custom node that reports a preview frame through its progress bar (pillow only)."""
from PIL import Image
from comfy.utils import ProgressBar


class SendPreview:
    """Reports one progress step with an RGB preview of the given size, then returns the size."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"size": ("INT", {"default": 32, "min": 1, "max": 4096})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "run"
    CATEGORY = "testing"

    def run(self, size):
        bar = ProgressBar(2)
        bar.update_absolute(1, 2, ("PNG", Image.new("RGB", (size, size), (200, 10, 10)), 512))
        bar.update_absolute(2, 2, ("JPEG", Image.new("RGB", (size, size // 2), (10, 200, 10)), 512))
        return (size,)


NODE_CLASS_MAPPINGS = {"SendPreview": SendPreview}
'''


def node_pack(name: str, source: str) -> Callable[[Path], None]:
    """A ``prepare`` that writes ``source`` as ``workspace/custom_nodes/<name>/__init__.py``."""

    def prepare(workspace: Path) -> None:
        pack = workspace / "custom_nodes" / name
        pack.mkdir(parents=True, exist_ok=True)
        (pack / "__init__.py").write_text(source)

    return prepare


HIDDEN_PACK = '''
"""A custom node that shows what reached the worker of ComfyUI's extra_data (its hidden inputs)."""
import json


class ShowHidden:
    """Output node: ``text`` is the JSON of its hidden inputs (``null`` for what did not arrive)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"salt": ("INT", {"default": 0})},
            "hidden": {"auth_token": "AUTH_TOKEN_COMFY_ORG", "api_key": "API_KEY_COMFY_ORG", "pnginfo": "EXTRA_PNGINFO"},
        }

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    CATEGORY = "testing"

    def run(self, salt, auth_token=None, api_key=None, pnginfo=None):
        seen = {"auth_token": auth_token, "api_key": api_key, "pnginfo": pnginfo}
        return {"ui": {"text": [json.dumps(seen, sort_keys=True)]}}


NODE_CLASS_MAPPINGS = {"ShowHidden": ShowHidden}
'''


def node_packs(**sources: str) -> Callable[[Path], None]:
    """A ``prepare`` that writes several packs (``name=source``), as :func:`node_pack` does one."""
    prepares = [node_pack(name, source) for name, source in sources.items()]

    def prepare(workspace: Path) -> None:
        for write in prepares:
            write(workspace)

    return prepare
