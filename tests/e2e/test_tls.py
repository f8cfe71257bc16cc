"""Encryption in transit: `cuvee serve` answers HTTPS with the certificate it is given, and the app's Redis client
talks TLS to a `redis-server` that only listens with TLS (both with a throwaway CA made here)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.backends import BackendUnavailable, open_redis
from app.settings import Settings
from tests.e2e.served import DEADLINE_S, Server, free_port

pytestmark = pytest.mark.slow


@dataclass
class Certificates:
    ca: Path  # the CA's certificate: what a client trusts
    cert: Path  # the server's certificate for 127.0.0.1 and localhost, signed by the CA
    key: Path


def make_certificates(directory: Path) -> Certificates:
    now = datetime.now(UTC)

    def build(subject: str, issuer: x509.Name | None, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
        )

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        build("Cuvée test CA", None, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        build("127.0.0.1", ca.subject, server_key)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certs = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    certs.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certs.cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    certs.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    certs.key.chmod(0o600)
    return certs


def test_serve_answers_https_with_the_given_certificate_and_not_plain_http(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    server = Server(
        tmp_path / "data", args=("--ssl-certfile", str(certs.cert), "--ssl-keyfile", str(certs.key)), ca=certs.ca
    )
    try:
        server.wait_ready()
        answer = httpx.get(f"{server.url}/health/live", verify=ssl.create_default_context(cafile=certs.ca), timeout=60)
        assert answer.status_code == 200
        assert answer.headers["strict-transport-security"]
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{server.port}/health/live", timeout=60)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{server.url}/health/live", timeout=60)  # the system's CAs do not know ours
    finally:
        server.stop()


def test_serve_takes_the_certificate_from_the_settings(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    env = {"CUVEE_TLS_CERT": str(certs.cert), "CUVEE_TLS_KEY": str(certs.key)}
    server = Server(tmp_path / "data", env=env, ca=certs.ca)
    try:
        server.wait_ready()
        assert httpx.get(f"{server.url}/health/live", verify=server.verify, timeout=60).status_code == 200
    finally:
        server.stop()


class TlsRedis:
    """A `redis-server` of our own that listens only with TLS, on a free port, storing nothing on disk."""

    def __init__(self, directory: Path, certs: Certificates) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        tls = ["--tls-port", str(self.port), "--tls-cert-file", str(certs.cert), "--tls-key-file", str(certs.key)]
        tls += ["--tls-ca-cert-file", str(certs.ca), "--tls-auth-clients", "no"]
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                "0",
                *tls,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={certs.ca}"

    def wait_ready(self) -> None:
        import redis

        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                if "tls" in output.lower() and ("not" in output.lower() or "unknown" in output.lower()):
                    pytest.skip(f"this redis-server has no TLS support: {output.strip()[-200:]}")
                pytest.fail(f"redis-server exited: {output}")
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return
            except (redis.RedisError, OSError):
                time.sleep(0.1)
        pytest.fail(f"redis-server with TLS did not answer within {DEADLINE_S} s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=DEADLINE_S)
        if self.process.stdout:
            self.process.stdout.close()


async def test_the_redis_client_talks_tls_and_verifies_the_server(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    server = TlsRedis(tmp_path, certs)
    try:
        server.wait_ready()
        client, kind = await open_redis(Settings(redis_url=server.url, data_dir=tmp_path))
        try:
            assert kind.startswith("server rediss://")
            entry = await client.xadd("cuvee-tls:events", {"type": "wine_viewed", "wine_id": "w1"})
            [(read_id, fields)] = await client.xrange("cuvee-tls:events")
            assert (read_id, fields) == (entry, {b"type": b"wine_viewed", b"wine_id": b"w1"})
        finally:
            await client.aclose()

        plain = f"redis://127.0.0.1:{server.port}/0"
        with pytest.raises(BackendUnavailable, match="did not answer"):
            await open_redis(Settings(redis_url=plain, data_dir=tmp_path))
        unverified = f"rediss://127.0.0.1:{server.port}/0"  # our CA is not among the system's: refused
        with pytest.raises(BackendUnavailable, match="did not answer"):
            await open_redis(Settings(redis_url=unverified, data_dir=tmp_path))
    finally:
        server.stop()
