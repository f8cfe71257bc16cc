"""The client address: which forwarding header is believed, from whom, and how proxies write addresses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from app.client_address import address_bucket, client_address
from app.settings import Settings


def scope(peer: str | None, headers: list[tuple[str, str]], **settings: Any) -> Any:
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(**settings)))
    return {
        "type": "http",
        "client": (peer, 4000) if peer else None,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "app": app,
    }


PROXIES = {"trusted_proxies": ["10.0.0.0/8", "192.0.2.1"]}


def test_a_forwarding_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address(scope("203.0.113.9", [("X-Forwarded-For", "198.51.100.1")])) == "203.0.113.9"
    assert client_address(scope("203.0.113.9", [("X-Forwarded-For", "198.51.100.1")], **PROXIES)) == "203.0.113.9"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("X-Forwarded-For", "198.51.100.1")], "198.51.100.1"),
        # the client wrote the left part itself; the right-most untrusted hop is what our proxy saw
        ([("X-Forwarded-For", "6.6.6.6, 198.51.100.1, 10.1.1.1")], "198.51.100.1"),
        ([("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.1")], "198.51.100.1"),
        ([("X-Forwarded-For", "198.51.100.1:5555")], "198.51.100.1"),
        ([("X-Forwarded-For", "[2001:db8::7]:5555")], "2001:db8::7"),
        ([("X-Forwarded-For", "2001:db8::7")], "2001:db8::7"),
        ([("X-Forwarded-For", "10.2.2.2, 192.0.2.1")], "10.2.2.2"),  # only proxies: the left-most of them
        ([("X-Forwarded-For", "198.51.100.1, not-an-address")], "10.0.0.5"),  # junk: believe nothing further
        ([], "10.0.0.5"),
    ],
)
def test_a_trusted_proxy_names_the_client(headers: list[tuple[str, str]], expected: str) -> None:
    assert client_address(scope("10.0.0.5", headers, **PROXIES)) == expected


def test_the_forwarded_header_is_read_only_when_configured() -> None:
    headers = [
        ("Forwarded", 'for=6.6.6.6, for="[2001:db8::9]:4711";proto=https;by=10.0.0.5'),
        ("X-Forwarded-For", "198.51.100.1"),
    ]
    assert client_address(scope("10.0.0.5", headers, **PROXIES, forwarded_header="forwarded")) == "2001:db8::9"
    assert client_address(scope("10.0.0.5", headers, **PROXIES)) == "198.51.100.1"


def test_an_ipv4_mapped_peer_is_matched_against_ipv4_networks() -> None:
    assert client_address(scope("::ffff:10.0.0.5", [("X-Forwarded-For", "198.51.100.1")], **PROXIES)) == (
        "198.51.100.1"
    )


def test_a_missing_peer_is_unknown() -> None:
    assert client_address(scope(None, [("X-Forwarded-For", "198.51.100.1")], **PROXIES)) == "unknown"


def test_trusted_proxies_are_read_comma_separated_or_as_json() -> None:
    assert [str(n) for n in Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1").trusted_proxies] == [  # type: ignore[arg-type]
        "10.0.0.0/8",
        "192.0.2.1/32",
    ]
    assert [str(n) for n in Settings(trusted_proxies='["::1"]').trusted_proxies] == ["::1/128"]  # type: ignore[arg-type]
    assert Settings().trusted_proxies == []


def test_limits_count_an_ipv6_client_by_its_64() -> None:
    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_bucket("198.51.100.1") == "198.51.100.1"
    assert address_bucket("::ffff:198.51.100.1") == "198.51.100.1"
    assert address_bucket("unknown") == "unknown"
