"""fetch() against a real server on 127.0.0.1, and the address guard."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from ingest_server import LocalServer

from summaries.errors import FetchError
from summaries.ingest.fetch import (
    FetchPolicy,
    _GuardedResolver,
    address_refusal,
    check_url,
    fetch,
)

LOCAL = FetchPolicy(allow_private=True, timeout_s=5)
HINT = "(set fetch.allow_private to allow)"


async def test_fetches_page_with_metadata(server: LocalServer) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body="<p>Grüße</p>".encode("iso-8859-1"),
            headers={
                "Content-Type": "text/html; charset=ISO-8859-1",
                "ETag": '"v1"',
                "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
            },
        )

    url = server.add("/page", handler)

    result = await fetch(url, LOCAL)

    assert result.status == 200
    assert result.body == "<p>Grüße</p>".encode("iso-8859-1")
    assert result.content_type == "text/html"
    assert result.charset == "iso-8859-1"
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert result.not_modified is False
    assert server.requests[0].headers["User-Agent"] == LOCAL.user_agent


async def test_conditional_get_gives_not_modified(server: LocalServer) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-None-Match") == '"v7"':
            return web.Response(status=304, headers={"ETag": '"v7"'})
        return web.Response(text="<rss/>", content_type="application/rss+xml")

    url = server.add("/feed", handler)

    result = await fetch(url, LOCAL, etag='"v7"')

    assert result.not_modified is True
    assert result.status == 304
    assert result.body == b""
    assert result.etag == '"v7"'


async def test_follows_relative_redirects_to_final_url(server: LocalServer) -> None:
    server.page("/final", "<p>here</p>")

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/final")

    url = server.add("/old", redirect)

    result = await fetch(url, LOCAL)

    assert result.url == server.url("/final")
    assert result.body == b"<p>here</p>"


async def test_too_many_redirects(server: LocalServer) -> None:
    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/loop")

    url = server.add("/loop", loop)

    with pytest.raises(FetchError) as err:
        await fetch(url, FetchPolicy(allow_private=True, max_redirects=2))
    assert str(err.value) == f"too many redirects (more than 2) fetching {url}"


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error"), (403, "Forbidden")]
)
async def test_http_errors(server: LocalServer, status: int, reason: str) -> None:
    url = server.page("/err", "nope", status=status)

    with pytest.raises(FetchError) as err:
        await fetch(url, LOCAL)
    assert str(err.value) == f"HTTP {status} {reason} for {url}"


@pytest.mark.parametrize(
    ("status", "temporary"), [(503, True), (500, True), (429, True), (404, False), (410, False)]
)
async def test_http_errors_say_whether_trying_again_may_work(
    server: LocalServer, status: int, temporary: bool
) -> None:
    url = server.page("/err", "nope", status=status)

    with pytest.raises(FetchError) as err:
        await fetch(url, LOCAL)
    assert err.value.temporary is temporary
    assert err.value.kind == "page unavailable"


async def test_refuses_unsupported_content_type(server: LocalServer) -> None:
    url = server.page("/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")

    with pytest.raises(FetchError) as err:
        await fetch(url, LOCAL)
    assert str(err.value) == f"refused: {url} is image/png, not a web page, text or feed"
    assert (err.value.temporary, err.value.kind) == (False, "refused")


async def test_size_cap_on_content_length(server: LocalServer) -> None:
    url = server.page("/big", "x" * 5000, content_type="text/plain")

    with pytest.raises(FetchError) as err:
        await fetch(url, FetchPolicy(allow_private=True, max_bytes=1000))
    assert str(err.value) == f"refused: {url} is too large: 5.0 kB (limit 1.0 kB)"


async def test_size_cap_while_streaming(server: LocalServer) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"y" * 1000)
        await response.write_eof()
        return response

    url = server.add("/stream", endless)

    with pytest.raises(FetchError) as err:
        await fetch(url, FetchPolicy(allow_private=True, max_bytes=10_000))
    assert str(err.value) == f"refused: {url} is too large: more than 10.0 kB (limit 10.0 kB)"


async def test_timeout(server: LocalServer) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3)
        return web.Response(text="late")

    url = server.add("/slow", slow)

    with pytest.raises(FetchError) as err:
        await fetch(url, FetchPolicy(allow_private=True, timeout_s=0.2))
    assert str(err.value) == f"timed out after 0.2 s fetching {url}"
    assert err.value.temporary is True


async def test_connection_refused_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens on it once closed
    url = f"http://127.0.0.1:{port}/"

    with pytest.raises(FetchError) as err:
        await fetch(url, LOCAL)
    assert str(err.value).startswith(f"could not connect to 127.0.0.1:{port} for {url}: ")
    assert "\n" not in str(err.value)
    assert err.value.temporary is True  # a server that is down may come back


async def test_default_policy_refuses_loopback_ip(server: LocalServer) -> None:
    server.page("/", "<p>secret</p>")

    with pytest.raises(FetchError) as err:
        await fetch(server.url("/"), FetchPolicy())
    assert str(err.value) == f"refused: 127.0.0.1 is a loopback address {HINT}"
    assert server.requests == []


async def test_default_policy_refuses_localhost_after_resolving(server: LocalServer) -> None:
    server.page("/", "<p>secret</p>")

    with pytest.raises(FetchError) as err:
        await fetch(server.url("/", host="localhost"), FetchPolicy())
    message = str(err.value)
    assert message.startswith("refused: localhost resolves to ")
    assert message.endswith(f", a loopback address {HINT}")
    assert server.requests == []


@pytest.mark.parametrize("target", ["http://127.0.0.2:{port}/admin", "http://[::1]:{port}/admin"])
async def test_redirect_to_private_address_is_refused(server: LocalServer, target: str) -> None:
    # Only the test server's own address is allowed: the first hop passes, the redirect may not.
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",))
    location = target.format(port=server.port)

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    url = server.add("/go", redirect)

    with pytest.raises(FetchError) as err:
        await fetch(url, policy)
    host = "127.0.0.2" if "127.0.0.2" in location else "::1"
    assert str(err.value) == f"refused: redirect to {location}: {host} is a loopback address {HINT}"
    assert [r.path for r in server.requests] == ["/go"]


async def test_redirect_to_other_scheme_is_refused(server: LocalServer) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("file:///etc/passwd")

    url = server.add("/go", redirect)

    with pytest.raises(FetchError) as err:
        await fetch(url, LOCAL)
    assert str(err.value) == (
        f"refused redirect from {url}: refused: file:///etc/passwd uses file; "
        "only http and https URLs can be fetched"
    )


class _Rebinding(AbstractResolver):
    """DNS that answers with a public address first and a private one afterwards."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self.answers.pop(0)
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": family,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


async def test_resolver_checks_every_answer_it_hands_to_the_connector() -> None:
    resolver = _GuardedResolver(FetchPolicy(), _Rebinding(["93.184.216.34", "10.0.0.5"]))

    first = await resolver.resolve("news.example", 80)
    with pytest.raises(FetchError) as err:
        await resolver.resolve("news.example", 80)

    assert [r["host"] for r in first] == ["93.184.216.34"]
    assert str(err.value) == f"refused: news.example resolves to 10.0.0.5, a private address {HINT}"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("172.16.5.4", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a non-public address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_address_refusal(address: str, reason: str | None) -> None:
    assert address_refusal(address, FetchPolicy()) == reason


def test_allow_private_and_allow_networks() -> None:
    assert address_refusal("10.1.2.3", FetchPolicy(allow_private=True)) is None
    assert address_refusal("10.1.2.3", FetchPolicy(allow_networks=("10.1.2.0/24",))) is None
    assert address_refusal("10.1.3.3", FetchPolicy(allow_networks=("10.1.2.0/24",))) == (
        "a private address"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "ftp://example.com/a",
            "refused: ftp://example.com/a uses ftp; only http and https URLs can be fetched",
        ),
        (
            "file:///etc/passwd",
            "refused: file:///etc/passwd uses file; only http and https URLs can be fetched",
        ),
        (
            "example.com/news",
            "refused: example.com/news uses no scheme; only http and https URLs can be fetched",
        ),
        ("http:///nohost", "refused: http:///nohost has no host name"),
        (
            "http://user:pw@example.com/",
            "refused: http://user:pw@example.com/ contains credentials",
        ),
        (
            "http://example.com:99999/",
            "refused: http://example.com:99999/ is not a valid URL (Port out of range 0-65535)",
        ),
        ("http://exa mple.com/", "refused: 'http://exa mple.com/' is not a valid URL"),
    ],
)
def test_check_url(url: str, message: str) -> None:
    with pytest.raises(FetchError) as err:
        check_url(url)
    assert str(err.value) == message


def test_check_url_accepts_http_and_https() -> None:
    check_url("https://example.com/news?id=1")
    check_url("http://[2001:db8::1]:8080/feed.xml")
