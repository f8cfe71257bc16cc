"""A real `cuvee serve` in a subprocess on a free port, for the end-to-end tests that need one."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from tests.conftest import REDIS_URL

DEADLINE_S = 120.0  # start-up on a loaded 2-core machine; a condition is polled, never a fixed sleep


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`env` adds to (or overrides) the server's environment; `ca` is the CA file of an HTTPS server."""

    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = (), ca: Path | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"
        self.verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
        env = {
            **os.environ,
            "CUVEE_DATA_DIR": str(data_dir),
            "CUVEE_SEED_DEMO": "false",
            "CUVEE_REDIS_URL": REDIS_URL,
            "CUVEE_STREAM_PREFIX": f"cuvee-test:{uuid4().hex[:10]}",
            "CUVEE_SECRET_KEY": "crash-test-secret-0123456789abcdef0123456789abcdef",
            "CUVEE_LOG_LEVEL": "WARNING",
            "CUVEE_RETRAIN_INTERVAL_S": "0",
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stdout.read() if self.process.stdout else ""
            try:
                if httpx.get(f"{self.url}/health/live", timeout=2, verify=self.verify).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"server did not start within {DEADLINE_S} s")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=DEADLINE_S)
        if self.process.stdout:
            self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process.stdout:
            self.process.stdout.close()
