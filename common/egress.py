"""Requests to URLs a caller chose (webhook callbacks), made safe against server-side request forgery.

A callback URL is checked when the job is made and again at every delivery: https only (plain http
only to loopback, and only where the local stack allows loopback); no credentials in the URL; the
host resolved, and refused if any of its addresses is not a public one (private, loopback,
link-local, the metadata server 169.254.169.254, shared, reserved, multicast). The request then
goes to the address that was checked, not to a second lookup a rebinding DNS server could answer
differently, with the host name kept for the Host header and TLS; redirects are not followed.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from common.errors import BadRequest

Resolver = Callable[[str, int], list[str]]
METADATA = ipaddress.ip_address("169.254.169.254")


class Refused(BadRequest):
    """A callback URL we will not call; the message says why."""

    def __init__(self, reason: str):
        super().__init__(f"callback_url refused: {reason}", code="INVALID_CALLBACK_URL")
        self.reason = reason


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # with the query
    address: str  # the checked address the request is pinned to


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def check(url: str, *, allow_loopback: bool = False, resolve: Resolver = system_resolver) -> Target:
    """The URL as a pinned target, or Refused naming the reason."""
    if not isinstance(url, str) or len(url) > 2048:
        raise Refused("not a URL (at most 2048 characters)")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a URL ({exc})") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("https", "http") or not host:
        raise Refused("not an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials in the URL are not allowed")
    if scheme != "https" and not allow_loopback:
        raise Refused("https is required")  # before any lookup: a name we will not call is not resolved
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = [host] if _is_ip(host) else resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"the host {host} does not resolve ({type(exc).__name__})") from None
    if not addresses:
        raise Refused(f"the host {host} does not resolve")
    for raw in addresses:
        why = refusal(raw, allow_loopback)
        if why:
            raise Refused(f"the host {host} resolves to {raw}, {why}")
    loopback_only = all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
    if scheme != "https" and not (allow_loopback and loopback_only):
        raise Refused("https is required")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def refusal(raw: str, allow_loopback: bool = False) -> str | None:
    """Why an address may not be called, or None for a public one."""
    ip = ipaddress.ip_address(raw.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    if mapped is not None:
        ip = mapped
    if ip == METADATA:
        return "the metadata server"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "not a public address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def post(target: Target, body: bytes, headers: dict, timeout_s: float):
    """POST to the checked address, naming the host for HTTP and TLS; no redirects are followed."""
    import httpx

    literal = f"[{target.address}]" if ":" in target.address else target.address
    url = f"{target.scheme}://{literal}:{target.port}{target.path}"
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
        return client.post(url, content=body, headers={**headers, "Host": host_header},
                           extensions={"sni_hostname": target.host} if target.scheme == "https" else None)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
        return True
    except ValueError:
        return False
