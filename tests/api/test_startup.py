"""Start-up: backends chosen by configuration, a one-line failure naming a backend that is down, the demo
catalog on first start, and embedded data that survive a restart."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.backends import BackendUnavailable, open_backends
from app.cli import cli, wait_for_backends
from app.main import create_app
from documents import Wine
from tests.conftest import make_settings, running
from tests.factories import make_wine
from tests.fuzz.conftest import free_port


async def test_an_unreachable_mongodb_fails_start_up_naming_it(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, mongodb_url="mongodb://127.0.0.1:1/cuvee"))
    with pytest.raises(BackendUnavailable, match=re.escape("MongoDB at mongodb://127.0.0.1:1/cuvee did not answer")):
        async with running(app):
            pass


async def test_an_unreachable_redis_fails_start_up_naming_it(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    with pytest.raises(BackendUnavailable, match=re.escape("Redis at redis://127.0.0.1:1/0 did not answer")):
        async with running(app):
            pass


def test_serve_refuses_to_start_with_one_line_when_redis_is_down(tmp_path: Path) -> None:
    env = {"CUVEE_DATA_DIR": str(tmp_path), "CUVEE_REDIS_URL": "redis://127.0.0.1:1/0", "CUVEE_STARTUP_WAIT_S": "0"}
    result = CliRunner().invoke(cli, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["Error: Redis at redis://127.0.0.1:1/0 did not answer: start it or fix CUVEE_REDIS_URL"]


@pytest.mark.timing
def test_serve_waits_for_redis_with_backoff_then_says_what_to_do(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"CUVEE_DATA_DIR": str(tmp_path), "CUVEE_REDIS_URL": "redis://127.0.0.1:1/0", "CUVEE_STARTUP_WAIT_S": "2.5"}
    with caplog.at_level(logging.WARNING, logger="cuvee.cli"):
        result = CliRunner().invoke(cli, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    waits = [r.getMessage() for r in caplog.records if r.name == "cuvee.cli"]
    assert waits[0].startswith("waiting for Redis at redis://127.0.0.1:1/0: ")
    assert waits[0].endswith("; retrying in 1 s")
    assert all(w.endswith(" s") and "retrying in" in w for w in waits)
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert lines == [
        "Error: Redis at redis://127.0.0.1:1/0 did not answer: start it or fix CUVEE_REDIS_URL "
        "(gave up after 2.5 s: CUVEE_STARTUP_WAIT_S)"
    ]


class StartRedisWhenWaitedFor(logging.Handler):
    """Starts a redis-server on `port` the first time start-up says it is waiting (so it surely waited)."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.procs: list[subprocess.Popen[bytes]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not self.procs and record.getMessage().startswith(f"waiting for Redis at redis://127.0.0.1:{self.port}/0"):
            command = [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
            self.procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))


@pytest.mark.timing
async def test_start_up_waits_for_a_redis_that_comes_up_later(tmp_path: Path) -> None:
    starter = StartRedisWhenWaitedFor(free_port())
    settings = make_settings(tmp_path, redis_url=f"redis://127.0.0.1:{starter.port}/0")
    logger = logging.getLogger("cuvee.cli")
    logger.addHandler(starter)
    try:
        backends = await wait_for_backends(lambda: open_backends(settings), 60)  # generous: Redis starts at once
        assert await backends.redis.ping()
        await backends.close()
    finally:
        logger.removeHandler(starter)
        for proc in starter.procs:
            proc.kill()
            proc.wait()
    assert starter.procs, "start-up returned before Redis was there"


async def test_the_embedded_mode_keeps_its_data_across_a_graceful_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mongodb_db="persist")
    async with running(create_app(settings)):
        await make_wine(name="Kept Across Restarts").insert()
    async with running(create_app(settings)) as client:
        body = (await client.get("/v1/wines")).json()
    assert [w["name"] for w in body["items"]] == ["Kept Across Restarts"]


async def test_the_first_start_loads_the_demo_catalog_and_indexes_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, seed_demo=True)
    async with running(create_app(settings)) as client:
        listed = (await client.get("/v1/wines", params={"per_page": 1})).json()
        ready = await client.get("/health/ready")
        indexed = await client.app.state.services.backends.search.count()
        wines = await Wine.find({}).count()
    assert listed["total"] >= 1000
    assert ready.status_code == 200
    assert indexed == wines >= 1000


def test_serve_refuses_a_certificate_without_its_key_in_one_line(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not read: the check comes first")
    result = CliRunner().invoke(
        cli, ["serve", "--port", "1", "--ssl-certfile", str(cert)], env={"CUVEE_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["Error: HTTPS needs both a certificate and its key (--ssl-certfile and --ssl-keyfile)"]
