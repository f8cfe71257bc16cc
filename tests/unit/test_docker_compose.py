"""docker-compose.yml cannot be run here (no Docker engine): check its shape instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# What production must set explicitly; everything else has a production-safe default.
PRODUCTION_REQUIRED = {
    "mongodb_url",
    "search_url",
    "redis_url",
    "data_dir",
    "secret_key",
    "run_worker",
    "seed_demo",
    "stream_prefix",
    "search_namespace",
    "cors_origins",
}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_a_healthcheck_or_dependency() -> None:
    services = compose()["services"]
    assert set(services) == {"mongo", "elasticsearch", "redis", "api", "worker"}
    for name in ("mongo", "elasticsearch", "redis", "api"):
        assert "healthcheck" in services[name], name
    assert services["mongo"]["image"].startswith("mongo:8")
    assert services["elasticsearch"]["image"].split(":")[-1].startswith("9.")
    assert "--appendonly" in services["redis"]["command"]
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "false"
    for name in ("api", "worker"):
        assert services[name]["build"] == "."
        assert set(services[name]["depends_on"]) == {"mongo", "elasticsearch", "redis"}
    assert services["worker"]["command"] == ["cuvee", "worker"]


def test_compose_keeps_data_in_named_volumes() -> None:
    doc = compose()
    assert set(doc["volumes"]) >= {"mongo-data", "es-data", "redis-data"}
    assert any(v.startswith("mongo-data:") for v in doc["services"]["mongo"]["volumes"])
    assert any(v.startswith("es-data:") for v in doc["services"]["elasticsearch"]["volumes"])
    assert any(v.startswith("redis-data:") for v in doc["services"]["redis"]["volumes"])


def test_the_api_gets_every_variable_production_needs_and_no_unknown_one() -> None:
    env = compose()["services"]["api"]["environment"]
    known = {f"CUVEE_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= known, set(env) - known
    assert {f"CUVEE_{name.upper()}" for name in PRODUCTION_REQUIRED} <= set(env)
    assert env["CUVEE_MONGODB_URL"].startswith("mongodb://mongo:")
    assert env["CUVEE_SEARCH_URL"].startswith("http://elasticsearch:")
    assert env["CUVEE_REDIS_URL"].startswith("redis://redis:")


def test_the_dockerfile_installs_the_package_and_serves_the_api() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in text
    assert '"cuvee", "serve"' in text
