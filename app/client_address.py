"""The client's address: the TCP peer, or what a trusted reverse proxy says the client was.

Rate limits, the login throttle and the audit log all use `client_address`, so one configuration
(`CUVEE_TRUSTED_PROXIES`, `CUVEE_FORWARDED_HEADER`) decides whom a forwarding header is believed from.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from litestar.types import Scope

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
UNKNOWN = "unknown"


def client_address(scope: Scope) -> str:
    """The address a request came from. A forwarding header counts only when the TCP peer is a trusted proxy:
    then the client is the right-most address in it that is not itself a trusted proxy (every proxy appends the
    peer it saw, so what lies left of that may be anything the client wrote)."""
    client = scope.get("client")
    peer = _parse(client[0]) if client else None
    if peer is None:
        return UNKNOWN
    settings = scope["app"].state.settings
    trusted: Sequence[IPNetwork] = settings.trusted_proxies
    if not _within(peer, trusted):
        return str(peer)
    header = settings.forwarded_header.encode()
    values = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name.lower() == header]
    hops = _forwarded_for(values) if header == b"forwarded" else _x_forwarded_for(values)
    return str(_rightmost_untrusted(peer, hops, trusted))


def _rightmost_untrusted(peer: IPAddress, hops: list[str], trusted: Sequence[IPNetwork]) -> IPAddress:
    found = peer
    for raw in reversed(hops):
        address = _parse(raw)
        if address is None:  # junk a trusted proxy would never write: believe nothing further left
            return found
        found = address
        if not _within(address, trusted):
            return address
    return found  # every hop is a proxy of ours: the left-most is the closest thing to a client


def _x_forwarded_for(values: Iterable[str]) -> list[str]:
    return [hop.strip() for value in values for hop in value.split(",")]


def _forwarded_for(values: Iterable[str]) -> list[str]:
    """The `for=` of each element of RFC 7239 `Forwarded` headers, in order."""
    hops: list[str] = []
    for value in values:
        for element in value.split(","):
            pairs = (pair.partition("=") for pair in element.split(";"))
            hops.extend(v.strip().strip('"') for k, _, v in pairs if k.strip().lower() == "for")
    return hops


def _parse(raw: str) -> IPAddress | None:
    """An address as proxies write it: bare, `1.2.3.4:port`, `[v6]` or `[v6]:port`."""
    raw = raw.strip()
    if raw.startswith("["):
        raw = raw[1:].partition("]")[0]
    elif raw.count(":") == 1:
        raw = raw.partition(":")[0]
    try:
        return ipaddress.ip_address(raw)
    except ValueError:
        return None


def _within(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == n.version and address in n for n in networks)


def address_bucket(address: str) -> str:
    """The key an address's limits are counted under: an IPv6 client gets a whole /64 (one subscriber's
    usual allocation), so hopping through its addresses gains nothing."""
    parsed = _parse(address)
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is None:
        return str(IPv6Network((parsed, 64), strict=False))
    return str(parsed.ipv4_mapped if isinstance(parsed, IPv6Address) else parsed or address)
