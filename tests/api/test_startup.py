"""Start-up: backends chosen by configuration, a one-line failure naming a backend that is down, the demo
catalog on first start, and embedded data that survive a restart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.backends import BackendUnavailable
from app.cli import cli
from app.main import create_app
from documents import Wine
from tests.conftest import make_settings, running
from tests.factories import make_wine


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
    env = {"CUVEE_DATA_DIR": str(tmp_path), "CUVEE_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = CliRunner().invoke(cli, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["Error: Redis at redis://127.0.0.1:1/0 did not answer: start it or fix CUVEE_REDIS_URL"]


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
