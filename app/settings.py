"""Settings: every `CUVEE_*` environment variable, validated at start."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from documents.database import database_name
from documents.encryption import DataKeys


class Settings(BaseSettings):
    """Runtime configuration; the defaults are the embedded mode (no services needed)."""

    model_config = SettingsConfigDict(env_prefix="CUVEE_", extra="ignore")

    mongodb_url: str = "memory://"
    mongodb_db: str | None = None  # database name; default: the URL's path, else "cuvee"
    search_url: str | None = None  # default: tantivy://<data_dir>/search
    search_namespace: str = "cuvee"  # Elasticsearch index/alias prefix
    redis_url: str | None = None  # default: redis://127.0.0.1:6379/0 if it answers, else in-process
    stream_prefix: str = ""  # prefix of every Redis key we write; default: derived from the store (below)
    data_dir: Path = Path(".cuvee")
    secret_key: SecretStr | None = None  # default: generated once and kept in the data dir
    # Encryption at rest of the embedded store's files (docs/security.md): 32 random bytes in base64; earlier
    # keys, comma-separated, stay readable until the next start has rewritten the files under the current one.
    data_key: SecretStr | None = None
    data_key_old: SecretStr | None = None
    tls_cert: Path | None = None  # `cuvee serve` answers HTTPS with this certificate (PEM) and tls_key
    tls_key: Path | None = None

    seed_demo: bool = True  # load the demo catalog on start when the catalog is empty
    run_worker: bool | None = None  # default: in-process worker only in the embedded mode
    snapshot_interval_s: float = Field(default=60.0, ge=0)
    token_ttl_s: int = Field(default=900, ge=60, le=86_400)
    abandoned_cart_hours: float = Field(default=24.0, gt=0)
    checkout_stale_s: float = Field(default=300.0, ge=30)  # a checkout claim this old died: give it back
    cors_origins: list[str] = Field(default_factory=list)
    # ISO 4217 codes the shop prices in; the first is its own (facet price ranges, search reports). A wine in
    # another currency is refused (422).
    currencies: list[str] = Field(default_factory=lambda: ["EUR"], min_length=1)
    events_maxlen: int = Field(default=1_000_000, ge=1_000)
    event_dedup_ttl_s: int = Field(default=86_400, ge=60)
    # Reverse proxies whose forwarding header is believed (addresses or networks, comma-separated or a JSON
    # list); none by default, so a header a client sends from the internet is ignored.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"  # the one the proxies set
    # Login throttle: free failures per (client address, account) and per address, then exponential backoff.
    login_free_failures: int = Field(default=5, ge=1)
    login_free_failures_per_address: int = Field(default=30, ge=1)
    login_backoff_cap_s: int = Field(default=900, ge=1)
    registrations_per_hour: int = Field(default=30, ge=1)  # successful sign-ups per client address
    events_per_minute: int = Field(default=6_000, ge=1)
    # Segment-compatible ingestion (/v1/batch, /v1/track …): one write key per storefront source, as
    # {"source name": "write key"}. A browser's write key is public: it names a source, never a user.
    segment_write_keys: dict[str, SecretStr] = Field(default_factory=dict)
    segment_consent_categories: list[str] = Field(default_factory=lambda: ["Analytics"])  # context.consent ids
    retrain_interval_s: float = Field(default=900.0, ge=0)
    # How long anything may hang (docs/security.md, "Timeouts"): one Redis or MongoDB call on a request path,
    # a request body arriving, and the backends answering at start-up (retried with backoff until then).
    redis_timeout_s: float = Field(default=1.0, gt=0, le=60)
    mongodb_timeout_s: float = Field(default=1.0, gt=0, le=60)
    body_timeout_s: float = Field(default=10.0, gt=0)
    startup_wait_s: float = Field(default=60.0, ge=0)
    log_level: str = "INFO"

    @field_validator("currencies")
    @classmethod
    def _iso_4217(cls, value: list[str]) -> list[str]:
        from app.schemas import MINOR_DIGITS

        unknown = [c for c in value if c not in MINOR_DIGITS]
        if unknown:
            raise ValueError(f"not ISO 4217 currencies this shop knows: {', '.join(unknown)}")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return json.loads(value) if value.startswith("[") else value.replace(",", " ").split()
        return value

    @model_validator(mode="after")
    def _derive_stream_prefix(self) -> Settings:
        """Two shops on one Redis must never share a consumer group: the default prefix names the store, the
        database name on a MongoDB server, a hash of the data directory in the embedded mode."""
        if not self.stream_prefix:
            if self.embedded:
                digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:10]
                self.stream_prefix = f"cuvee-{digest}"
            else:
                self.stream_prefix = self.mongodb_db or database_name(self.mongodb_url)
        return self

    @model_validator(mode="after")
    def _check_data_keys(self) -> Settings:
        self.data_keys()  # a malformed key stops start-up here, in one line naming the rule
        return self

    def data_keys(self) -> DataKeys:
        return DataKeys.from_text(
            self.data_key.get_secret_value() if self.data_key else None,
            self.data_key_old.get_secret_value() if self.data_key_old else None,
        )

    @property
    def embedded(self) -> bool:
        return self.mongodb_url.startswith("memory://")

    @property
    def worker_in_process(self) -> bool:
        return self.embedded if self.run_worker is None else self.run_worker

    @property
    def effective_search_url(self) -> str:
        return self.search_url or f"tantivy://{(self.data_dir / 'search').resolve()}"

    @property
    def snapshot_path(self) -> Path | None:
        return self.data_dir / "mongodb.snapshot" if self.embedded else None

    def resolved_secret(self) -> str:
        """The signing key: from settings, else generated once and saved in the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        return key
