"""Requests to URLs a caller chose (webhook callbacks), made safe against server-side request forgery.

A callback URL is checked when the job is made and again at every delivery: https only (plain http
only to loopback, and only where the local stack allows loopback); no credentials in the URL; the
host resolved, and refused if any of its addresses is not a public one (private, loopback,
link-local, the metadata server 169.254.169.254, shared, reserved, multicast). The request then
goes to the address that was checked, not to a second lookup a rebinding DNS server could answer
differently, with the host name kept for the Host header and TLS; redirects are not followed.
"""
from __future__ import annotations

import contextvars
import ipaddress
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from common.core import tracing
from common.core.errors import BadRequest, Unavailable

Resolver = Callable[[str, int], list[str]]
METADATA = ipaddress.ip_address("169.254.169.254")
IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")  # special-purpose (RFC 6890), not all flagged private
RESOLVE_TIMEOUT_S = 5.0
MAX_RESPONSE_BYTES = 4096  # of a receiver's answer body: only its status matters
_NOT_PUBLIC = "the host {host} does not resolve to a public address"


class Refused(BadRequest):
    """A callback URL we will not call; the message says why."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"callback_url refused: {reason}", code="INVALID_CALLBACK_URL")
        self.reason = reason
        self.detail = detail or reason  # for our logs only: the class of address a name resolved to


class NoSuchHost(Refused):
    """The name does not resolve (NXDOMAIN): refused at creation; at delivery, a failed attempt."""


class Unresolved(Unavailable):
    """The host could not be looked up just now (DNS unreachable or slow): try again later."""

    def __init__(self, host: str, why: str):
        super().__init__(f"callback_url: the host {host} could not be resolved right now ({why}); retry",
                         retry_after_s=5, code="DNS_UNAVAILABLE")
        self.reason = f"DNS lookup failed ({why})"


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # with the query
    addresses: tuple[str, ...]  # every address the name had, all checked; the request tries them in order

    @property
    def address(self) -> str:
        return self.addresses[0]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the host name resolves to, IPv4 first (Cloud Run's default egress has no IPv6),
    each family in the resolver's own order; bounded by RESOLVE_TIMEOUT_S."""
    answers: queue.SimpleQueue = queue.SimpleQueue()

    def lookup() -> None:
        try:
            answers.put(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
            answers.put(exc)

    threading.Thread(target=lookup, name="resolve", daemon=True).start()
    try:
        infos = answers.get(timeout=RESOLVE_TIMEOUT_S)
    except queue.Empty:
        raise TimeoutError(f"no DNS answer in {RESOLVE_TIMEOUT_S:.0f} s") from None
    if isinstance(infos, BaseException):
        raise infos
    out: list[str] = []
    for family in (socket.AF_INET, socket.AF_INET6):
        out += [i[4][0] for i in infos if i[0] == family]
    return list(dict.fromkeys(out))


def check(url: str, *, allow_loopback: bool = False, resolve: Resolver | None = None) -> Target:
    """The URL as a pinned target; Refused naming the reason, or Unresolved when DNS cannot answer now."""
    if not isinstance(url, str) or len(url) > 2048:
        raise Refused("not a URL (at most 2048 characters)")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a URL ({exc})") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in ("https", "http") or not host:
        raise Refused("not an absolute http(s) URL")
    if "%" in host:
        raise Refused("zone identifiers are not allowed in the host")
    if not _is_ip(host):
        import idna

        try:  # UTS 46, as browsers and httpx map names (Python's "idna" codec maps faß.de to fass.de)
            host = idna.encode(host, uts46=True).decode("ascii").rstrip(".")
        except (idna.IDNAError, UnicodeError):
            raise Refused("the host is not a valid domain name") from None
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials in the URL are not allowed")
    if scheme != "https" and not allow_loopback:
        raise Refused("https is required")  # before any lookup: a name we will not call is not resolved
    port = port or (443 if scheme == "https" else 80)
    literal = _is_ip(host)
    try:
        addresses = [host] if literal else (resolve or system_resolver)(host, port)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise NoSuchHost(_NOT_PUBLIC.format(host=host)) from None
        raise Unresolved(host, type(exc).__name__) from None
    except (OSError, UnicodeError) as exc:
        raise Unresolved(host, type(exc).__name__) from None
    if not addresses:
        raise NoSuchHost(_NOT_PUBLIC.format(host=host))
    for raw in addresses:
        why = refusal(raw, allow_loopback)
        if why:
            # A literal address says its own class. A name gets the one answer it gets when it does
            # not resolve: telling "private" from "no such name" would map internal names.
            raise Refused(f"the host {host} is {why}" if literal else _NOT_PUBLIC.format(host=host), why)
    loopback_only = all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
    if scheme != "https" and not (allow_loopback and loopback_only):
        raise Refused("https is required")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))


def refusal(raw: str, allow_loopback: bool = False) -> str | None:
    """Why an address may not be called, or None for a public one."""
    ip = ipaddress.ip_address(raw.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    if mapped is not None:
        ip = mapped
    if ip == METADATA:
        return "the metadata server"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved or ip in IETF_PROTOCOL \
            or getattr(ip, "is_site_local", False):
        return "not a public address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def post(target: Target, body: bytes, headers: dict, timeout_s: float) -> int:
    """POST to a checked address (the next one when it refuses the connection), naming the host for
    HTTP and TLS; no redirects followed. Returns the status; the whole exchange, however slowly a
    receiver trickles it, is over within timeout_s (a TimeoutError past it)."""
    import httpx

    # A span of our own naming the host only: a receiver's URL may hold a secret of its own (?token=).
    with tracing.span("webhook.post", host=target.host) as sp:
        outcome: queue.SimpleQueue = queue.SimpleQueue()
        client = httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False)
        tracing.plain(client)

        def exchange() -> None:
            try:
                with client:
                    outcome.put(_exchange(client, target, body, headers, timeout_s))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
                outcome.put(exc)

        # In this context: the exchange's log lines belong to the job's delivery.
        threading.Thread(target=contextvars.copy_context().run, args=(exchange,), name="webhook-post",
                         daemon=True).start()
        try:
            result = outcome.get(timeout=timeout_s + 1)
        except queue.Empty:
            client.close()  # its socket closes: the thread's read fails now, not when the receiver stops
            raise TimeoutError(f"the receiver took over {timeout_s:.0f} s") from None
        if isinstance(result, BaseException):
            raise result
        tracing.answered(sp, result)
        return result


def _exchange(client, target: Target, body: bytes, headers: dict, timeout_s: float) -> int:
    import httpx

    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    # identity: what is read is what arrived (a compressed answer could inflate past any bound)
    headers = {**headers, "Host": host_header, "Accept-Encoding": "identity"}
    deadline = time.monotonic() + timeout_s
    for n, address in enumerate(target.addresses):
        literal = f"[{address}]" if ":" in address else address
        url = f"{target.scheme}://{literal}:{target.port}{target.path}"
        try:
            with client.stream("POST", url, content=body, headers=headers, extensions=extensions) as resp:
                read = 0
                for chunk in resp.iter_raw():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES or time.monotonic() > deadline:
                        break
                return resp.status_code
        except httpx.ConnectError:
            if n == len(target.addresses) - 1:
                raise
    raise AssertionError("unreachable")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
        return True
    except ValueError:
        return False
