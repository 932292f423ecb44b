"""Fetching web pages and feeds safely: scheme check, SSRF guard, size and time limits.

Every address a request connects to is checked: host names are resolved by a resolver that
refuses private, loopback, link-local, multicast, reserved and unspecified addresses (so a DNS
answer cannot change between the check and the connection), literal IP hosts are checked before
the request, the peer address of the open connection is checked again, and redirects are
followed by hand so each hop goes through the same checks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from summaries.errors import FetchError

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Client errors that say "not now" rather than "never": timeout, too early, too many requests.
_TEMPORARY_STATUSES = frozenset({408, 425, 429})
# What briefbot can read: web pages, plain text and feeds. Anything else (images, PDFs, video)
# is refused before its body is read.
ACCEPTED_CONTENT_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "text/xml",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/feed+xml",
        "application/feed+json",
        "application/json",
    }
)
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/feed+json,"
    "application/xml;q=0.9,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"
)
_ALLOW_HINT = "(set fetch.allow_private to allow)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for every fetch.

    Attributes:
        allow_private: Allow private, loopback and link-local addresses (tests, intranet feeds).
        max_bytes: Largest body read, checked on Content-Length and while streaming.
        timeout_s: Total time for the fetch, redirects included.
        max_redirects: Most redirects followed.
        user_agent: Sent with every request.
        allow_networks: Networks (CIDR strings) allowed even when `allow_private` is False,
            e.g. ("10.1.2.0/24",) for one intranet host.
    """

    allow_private: bool = False
    max_bytes: int = 5_000_000
    timeout_s: float = 15.0
    max_redirects: int = 5
    user_agent: str = "briefbot/0.1 (+https://github.com/briefbot)"
    allow_networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class FetchResult:
    """What a fetch returned.

    Attributes:
        url: Final URL after redirects.
        status: HTTP status of the final response (200, or 304 when not modified).
        body: Response body (empty when not modified).
        content_type: Media type without parameters, lower case ("" when the server sent none).
        charset: Charset from the Content-Type header, when given.
        etag: ETag header, for the next conditional request.
        last_modified: Last-Modified header, for the next conditional request.
        not_modified: True when the server answered 304 to a conditional request.
    """

    url: str
    status: int
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool


def check_url(url: str) -> None:
    """Check that `url` is an absolute http(s) URL with a host.

    Args:
        url: The URL as given by the user or a redirect.

    Raises:
        FetchError: With a one-line reason when the URL cannot be fetched.
    """
    if not url or any(c.isspace() for c in url.strip()):
        raise FetchError(f"refused: {url!r} is not a valid URL")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"refused: {url} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = scheme or "no scheme"
        raise FetchError(f"refused: {url} uses {shown}; only http and https URLs can be fetched")
    if not parts.hostname:
        raise FetchError(f"refused: {url} has no host name")
    if parts.username or parts.password:
        raise FetchError(f"refused: {url} contains credentials")
    if port == 0:
        raise FetchError(f"refused: {url} has an invalid port")


def address_refusal(address: str, policy: FetchPolicy) -> str | None:
    """Why `address` may not be connected to under `policy`, or None when it may.

    Args:
        address: An IPv4 or IPv6 address (IPv4-mapped IPv6 addresses are judged as IPv4).
        policy: The fetch policy.

    Returns:
        A phrase such as "a loopback address", or None when the address is allowed.
    """
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if policy.allow_private:
        return None
    for network in policy.allow_networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return None
        except ValueError:
            log.warning("ignoring invalid fetch.allow_networks entry %r", network)
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return None


class _GuardedResolver(AbstractResolver):
    """Resolves host names and refuses the answer when it holds a forbidden address.

    The connector connects only to addresses this resolver returned, so the check holds for the
    address actually used (no gap for DNS rebinding between check and connect).
    """

    def __init__(self, policy: FetchPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            reason = address_refusal(result["host"], self._policy)
            if reason is not None:
                raise FetchError(
                    f"refused: {host} resolves to {result['host']}, {reason} {_ALLOW_HINT}"
                )
        return results

    async def close(self) -> None:
        await self._inner.close()


async def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """Fetch a web page or feed within the policy's limits.

    Args:
        url: Absolute http(s) URL.
        policy: Address, size, time and redirect limits.
        etag: ETag of the copy already held (conditional GET).
        last_modified: Last-Modified of the copy already held (conditional GET).

    Returns:
        The final response. A 304 answer gives `not_modified=True` and an empty body.

    Raises:
        FetchError: One line saying why: refused address or scheme, too many redirects, too
            large, timed out, connection failure, HTTP error status or unsupported content type.
    """
    check_url(url)
    headers = {"User-Agent": policy.user_agent, "Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    connector = aiohttp.TCPConnector(resolver=_GuardedResolver(policy), use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=policy.timeout_s)
    try:
        async with (
            asyncio.timeout(policy.timeout_s),
            aiohttp.ClientSession(
                connector=connector, timeout=timeout, trust_env=False, auto_decompress=True
            ) as session,
        ):
            return await _fetch_following(session, url, policy, headers)
    except TimeoutError:
        raise FetchError(
            f"timed out after {policy.timeout_s:g} s fetching {url}", temporary=True
        ) from None
    except FetchError:
        raise
    except aiohttp.InvalidURL as exc:
        raise FetchError(f"refused: {url} is not a valid URL ({exc})") from None
    except aiohttp.ClientConnectorDNSError:
        host = urlsplit(url).hostname
        raise FetchError(f"could not resolve host {host} for {url}", temporary=True) from None
    except aiohttp.ClientConnectorError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise FetchError(
            f"could not connect to {exc.host}:{exc.port} for {url}: {reason}", temporary=True
        ) from None
    except aiohttp.ClientPayloadError as exc:
        raise FetchError(f"broken response from {url}: {_one_line(exc)}", temporary=True) from None
    except aiohttp.ClientError as exc:
        raise FetchError(f"could not fetch {url}: {_one_line(exc)}", temporary=True) from None


async def _fetch_following(
    session: aiohttp.ClientSession, url: str, policy: FetchPolicy, headers: dict[str, str]
) -> FetchResult:
    current = url
    for hop in range(policy.max_redirects + 1):
        check_url(current)
        _check_literal_host(current, policy, redirected=hop > 0)
        async with session.get(current, headers=headers, allow_redirects=False) as resp:
            _check_peer(resp, current, policy)
            if resp.status in _REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    raise FetchError(
                        f"HTTP {resp.status} redirect without a Location for {current}"
                    )
                target = urljoin(current, location)
                log.debug("redirect %s -> %s", current, target)
                try:
                    check_url(target)
                except FetchError as exc:
                    raise FetchError(f"refused redirect from {current}: {exc}") from None
                current = target
                continue
            return await _read_response(resp, current, policy)
    raise FetchError(f"too many redirects (more than {policy.max_redirects}) fetching {url}")


def _check_literal_host(url: str, policy: FetchPolicy, *, redirected: bool) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: checked by the resolver
    reason = address_refusal(host, policy)
    if reason is not None:
        where = f"redirect to {url}: " if redirected else ""
        raise FetchError(f"refused: {where}{host} is {reason} {_ALLOW_HINT}")


def _check_peer(resp: aiohttp.ClientResponse, url: str, policy: FetchPolicy) -> None:
    """Check the address of the connection actually used (defence in depth)."""
    connection = resp.connection
    transport = connection.transport if connection is not None else None
    peer: Any = transport.get_extra_info("peername") if transport is not None else None
    if not peer:
        return
    reason = address_refusal(str(peer[0]), policy)
    if reason is not None:
        raise FetchError(f"refused: {url} connected to {peer[0]}, {reason} {_ALLOW_HINT}")


async def _read_response(
    resp: aiohttp.ClientResponse, url: str, policy: FetchPolicy
) -> FetchResult:
    etag = resp.headers.get("ETag")
    last_modified = resp.headers.get("Last-Modified")
    content_type = (resp.content_type or "").lower() if "Content-Type" in resp.headers else ""
    charset = resp.charset.lower() if resp.charset else None
    if resp.status == 304:
        return FetchResult(url, 304, b"", content_type, charset, etag, last_modified, True)
    if resp.status >= 400:
        reason = resp.reason or ""
        raise FetchError(
            f"HTTP {resp.status} {reason} for {url}".replace("  ", " "),
            temporary=resp.status >= 500 or resp.status in _TEMPORARY_STATUSES,
            kind="page unavailable",
        )
    if resp.status >= 300 or resp.status < 200:
        raise FetchError(
            f"HTTP {resp.status} {resp.reason or ''} for {url} (no content)",
            kind="page unavailable",
        )
    if content_type and content_type not in ACCEPTED_CONTENT_TYPES:
        raise FetchError(f"refused: {url} is {content_type}, not a web page, text or feed")
    limit = policy.max_bytes
    if resp.content_length is not None and resp.content_length > limit:
        raise FetchError(
            f"refused: {url} is too large: {format_size(resp.content_length)} (limit {format_size(limit)})"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise FetchError(
                f"refused: {url} is too large: more than {format_size(limit)} (limit {format_size(limit)})"
            )
        chunks.append(chunk)
    return FetchResult(
        url=str(resp.url),
        status=resp.status,
        body=b"".join(chunks),
        content_type=content_type,
        charset=charset,
        etag=etag,
        last_modified=last_modified,
        not_modified=False,
    )


def format_size(n: int) -> str:
    """A byte count for messages: "5.0 MB", "2.0 kB" or "512 bytes".

    Args:
        n: Number of bytes.

    Returns:
        The size in the largest fitting decimal unit.
    """
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or exc.__class__.__name__
