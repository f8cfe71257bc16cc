"""kill -9 of a real `cuvee serve` on the embedded default loses nothing it answered 2xx for, and a second
server on the same data directory refuses to start in one line."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.e2e.served import DEADLINE_S, Server

pytestmark = pytest.mark.slow


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


def test_an_encrypted_store_survives_kill_9_and_refuses_a_wrong_key_in_one_line(tmp_path: Path) -> None:
    from documents.encryption import key_id, new_key, parse_key
    from documents.memory_snapshot import snapshot_key_id

    old, new = new_key(), new_key()
    server = Server(tmp_path, env={"CUVEE_DATA_KEY": old})
    try:
        server.wait_ready()
        email = f"{uuid4().hex[:10]}@example.com"
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post("/v1/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        server.kill()
    finally:
        server.stop()
    assert all(email.encode() not in p.read_bytes() for p in tmp_path.glob("mongodb.*"))
    before = {p.name: p.read_bytes() for p in tmp_path.glob("mongodb.*")}

    wrong = Server(tmp_path, env={"CUVEE_DATA_KEY": new})
    try:
        assert wrong.process.wait(timeout=DEADLINE_S) != 0
        output = wrong.process.stdout.read() if wrong.process.stdout else ""
    finally:
        wrong.stop()
    assert f"encrypted with data key id {key_id(parse_key(old)).hex()}" in output
    assert len(output.strip().splitlines()) == 1, output
    assert {p.name: p.read_bytes() for p in tmp_path.glob("mongodb.*")} == before

    rotated = Server(tmp_path, env={"CUVEE_DATA_KEY": new, "CUVEE_DATA_KEY_OLD": old})
    try:
        rotated.wait_ready()
        with httpx.Client(base_url=rotated.url, timeout=30) as http:
            assert http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
        assert snapshot_key_id(tmp_path / "mongodb.snapshot") == key_id(parse_key(new))
    finally:
        rotated.stop()
