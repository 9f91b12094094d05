"""Starts one of our servers as a real process on a loopback port and waits for its READY line.

    with ServerProcess(bare_module(publish_endpoint=True), env={"DRAIN_GRACE_S": "6"}) as server:
        httpx.get(server.url + "/health")          # stopped (SIGTERM) on the way out

    server = ServerProcess(example_app(publish_endpoint=True), cwd=tmp_path, event_log=str(tmp_path / "events.jsonl"))
    url = server.start()     # port 0: a free one, kept from then on
    server.stop()            # SIGTERM; SIGKILL if it is still there after stop_timeout
    server.start()           # the same port again: clients see a restart of the same server

Every server here prints `READY http://127.0.0.1:<port>` as its first stdout line once it
listens, and nothing else on stdout. Stdlib only, so every suite can use it; servers.mjs
is its twin for Node.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"READY (http://127\.0\.0\.1:(\d+))\n")


def bare_module(publish_endpoint: bool = False, python: str = sys.executable) -> list[str]:
    """`python -m ws_bridge_server`: the bridge alone; `publish_endpoint` adds the test publish endpoint."""
    return [python, "-m", "ws_bridge_server", *(["--publish-endpoint"] if publish_endpoint else [])]


def example_app(publish_endpoint: bool = False, python: str = sys.executable) -> list[str]:
    """The example game server (examples/server/app.py): the bridge mounted in an app;
    `publish_endpoint` adds the test publish endpoint. Its operator routes (/stats, /admin/*)
    are on only with ADMIN_TOKEN in its environment."""
    return [python, str(REPO / "examples" / "server" / "app.py"), *(["--publish-endpoint"] if publish_endpoint else [])]


def _read_lines(stream: IO[str], into: list[str], first_line: threading.Event | None = None) -> None:
    """Collects `stream` line by line until EOF; sets `first_line` once the first one (or EOF) is in."""
    if first_line is not None:
        into.append(stream.readline())  # "" at EOF: the process ended without a word
        first_line.set()
    into.extend(stream)


class ServerProcess:
    """`command` (bare_module(), example_app(), or any command that takes our servers' --host and
    --port options and prints the READY line) as a process on `port` (0: a free one).

    `event_log` and `redis` pass --event-log PATH (the file store) and --redis URL (the Redis
    store; replicas on one Redis share the rooms). `env` is added to this process's environment.
    """

    def __init__(self, command: Sequence[str], *, port: int = 0, event_log: str | None = None,
                 redis: str | None = None, env: Mapping[str, str] | None = None, cwd: Path | str | None = None,
                 ready_timeout: float = 60.0, stop_timeout: float = 30.0) -> None:
        self.command = list(command)
        self.port, self.event_log, self.redis = port, event_log, redis
        self.env, self.cwd = dict(env or {}), cwd
        # Generous: a cold import of FastAPI and uvicorn on a busy 2-core machine takes seconds.
        self.ready_timeout, self.stop_timeout = ready_timeout, stop_timeout
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._readers: list[threading.Thread] = []

    @property
    def proc(self) -> subprocess.Popen[str]:
        """The process of the latest start(), for a test that signals or waits for it itself."""
        if self._proc is None:
            raise RuntimeError("the server was never started")
        return self._proc

    def args(self) -> list[str]:
        args = [*self.command, "--host", HOST, "--port", str(self.port)]
        if self.event_log:
            args += ["--event-log", self.event_log]
        if self.redis:
            args += ["--redis", self.redis]
        return args

    def start(self) -> str:
        """Starts it and returns its URL once it printed READY; a start that fails kills it (SIGKILL)."""
        proc = self._proc = subprocess.Popen(
            self.args(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.cwd,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
        )
        # Read on threads, so a chatty server never blocks on a full pipe and its output is
        # there for a failure message at any time.
        self._stdout, self._stderr, first_line = [], [], threading.Event()
        assert proc.stdout is not None and proc.stderr is not None
        self._readers = [
            threading.Thread(target=_read_lines, args=(proc.stdout, self._stdout, first_line), daemon=True),
            threading.Thread(target=_read_lines, args=(proc.stderr, self._stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        answered = first_line.wait(self.ready_timeout)
        line = self._stdout[0] if self._stdout else ""
        m = READY.fullmatch(line)
        if not m:
            # A server that never said READY (hung, slow or failing) is still ours to stop.
            self.stop(signal.SIGKILL)
            why = (f"printed {line!r} instead of READY" if line else "exited without a word on stdout") if answered \
                else f"printed no READY within {self.ready_timeout:g} s"
            raise RuntimeError(f"{' '.join(self.args())} {why}; stderr:\n{self.stderr()[-3000:]}")
        self.url, self.port = m.group(1), int(m.group(2))
        return self.url

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Sends `sig` unless it has exited, then waits (SIGKILL after stop_timeout); afterwards
        its output is complete. Stopping a stopped server does nothing."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=self.stop_timeout)
        for reader in self._readers:
            reader.join(self.stop_timeout)
        if not any(reader.is_alive() for reader in self._readers):
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()

    def stdout_after_ready(self) -> str:
        """What it printed on stdout after its READY line, so far."""
        return "".join(self._stdout[1:])

    def stderr(self) -> str:
        """What it printed on stderr, so far."""
        return "".join(self._stderr)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
