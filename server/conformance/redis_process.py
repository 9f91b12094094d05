"""A real `redis-server` (Debian's) on a free loopback port in a temp dir, for the Redis store's cases.

    redis = RedisProcess(tmp_dir, aof=True)   # AOF with appendfsync always: what deploy/redis.conf ships
    url = redis.start()                        # redis://127.0.0.1:<port>/0
    redis.restart()                            # same port, same dir: what survives is what was persisted
    redis.stop()

Without `redis-server` on PATH, `require_redis_server()` fails the run under CI=true (.ci/run
installs it) and skips with a printed warning elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import warnings
from pathlib import Path

import pytest

START_TIMEOUT_S = 30.0  # bounds a failing start only


def require_redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        message = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run does this)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        # A warning, so the run's summary says it whatever pytest captures.
        warnings.warn(f"{message}: the Redis store's cases are skipped", stacklevel=2)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisProcess:
    """`extra` is added to the command line (a cluster node's options, say)."""

    def __init__(self, workdir: Path, aof: bool = True, extra: tuple[str, ...] = ()) -> None:
        self.workdir, self.aof, self.extra = workdir, aof, extra
        self.binary = require_redis_server()
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
                "--save", "", *persistence, *self.extra, "--daemonize", "no", "--logfile", str(self.workdir / "redis.log")]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers_ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.workdir / "redis.log"
                raise RuntimeError(f"redis-server did not start: {log.read_text()[-2000:] if log.exists() else ''}")
            time.sleep(0.02)
        return self.url

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args: str) -> bytes:
        """One command over a plain socket (inline protocol): a test's CLIENT KILL, CONFIG ..."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall((" ".join(args) + "\r\n").encode())
            return s.recv(65536)

    def readers(self) -> int:
        """How many ws-bridge reader connections are subscribed right now."""
        return self.command("CLIENT", "LIST", "TYPE", "pubsub").count(b"name=ws-bridge-reader")

    def wait_for_readers(self, n: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.readers() < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {n} ws-bridge readers subscribed to Redis")
            time.sleep(0.01)

    def restart(self) -> str:
        """A crash and a start on the same port and directory (SIGKILL: nothing is flushed on the way out)."""
        self.stop(kill=True)
        return self.start()

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc = None
