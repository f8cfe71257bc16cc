"""kill -9 of a real `cuvee serve` on the embedded default loses nothing it answered 2xx for, and a second
server on the same data directory refuses to start in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from tests.conftest import PASSWORD, REDIS_URL

pytestmark = pytest.mark.slow
DEADLINE_S = 120.0  # start-up on a loaded 2-core machine; a condition is polled, never a fixed sleep


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "CUVEE_DATA_DIR": str(data_dir),
            "CUVEE_SEED_DEMO": "false",
            "CUVEE_REDIS_URL": REDIS_URL,
            "CUVEE_STREAM_PREFIX": f"cuvee-test:{uuid4().hex[:10]}",
            "CUVEE_SECRET_KEY": "crash-test-secret-0123456789abcdef0123456789abcdef",
            "CUVEE_LOG_LEVEL": "WARNING",
            "CUVEE_RETRAIN_INTERVAL_S": "0",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port)],
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
                if httpx.get(f"{self.url}/health/live", timeout=2).status_code == 200:
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


def test_kill_9_right_after_the_answers_loses_no_sign_up(tmp_path: Path) -> None:
    server = Server(tmp_path)
    try:
        server.wait_ready()
        emails = [f"{uuid4().hex[:10]}@example.com" for _ in range(5)]
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for email in emails:
                answer = http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
                assert answer.status_code == 201, answer.text
        server.kill()  # the very moment after the last 2xx: no snapshot was written since the start
    finally:
        server.stop()

    restarted = Server(tmp_path)
    try:
        restarted.wait_ready()
        with httpx.Client(base_url=restarted.url, timeout=30) as http:
            for email in emails:
                assert http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
            again = http.post("/v1/auth/register", json={"email": emails[0], "password": PASSWORD})
            assert again.status_code == 409
    finally:
        restarted.stop()


def test_a_second_server_on_a_data_directory_in_use_refuses_in_one_line(tmp_path: Path) -> None:
    first = Server(tmp_path)
    try:
        first.wait_ready()
        second = Server(tmp_path)
        try:
            assert second.process.wait(timeout=DEADLINE_S) != 0
            output = second.process.stdout.read() if second.process.stdout else ""
        finally:
            second.stop()
        assert f"started by pid {first.process.pid}" in output  # granian's worker, started by `cuvee serve`
        assert len(output.strip().splitlines()) == 1, output
    finally:
        first.stop()
