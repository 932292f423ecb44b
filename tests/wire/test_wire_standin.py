"""The stand-in itself: it must refuse what Discord refuses, with Discord's error bodies, or the
scenario tests could not fail. Raw HTTP and websocket requests, no bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from standin import (
    BRIEFINGS,
    CLOSED_DMS,
    HIDDEN,
    READ_ONLY,
    DiscordStandIn,
    Interaction,
    Session,
)

TOKEN = "standin-token"
PING = {
    "name": "ping",
    "description": "Answer with pong",
    "options": [{"type": 3, "name": "text", "description": "What to say", "autocomplete": True}],
}


@pytest.fixture
async def discord() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn(TOKEN) as standin:
        standin.sessions["s"] = Session("s", (0, 1))  # a bot "away": events are kept for it
        yield standin


@pytest.fixture
async def http(discord: DiscordStandIn) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession(discord.api_base_url + "/", headers=headers) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.request(method, path.lstrip("/"), json=body) as response:
        data = await response.json(content_type=None) if response.status != 204 else None
        return response.status, data, response


async def post(http: aiohttp.ClientSession, body: dict[str, Any]) -> tuple[int, Any]:
    status, data, _ = await call(http, "POST", f"/channels/{BRIEFINGS}/messages", body)
    return status, data


def form(path: str, code: str) -> dict[str, Any]:
    node: dict[str, Any] = {"_errors": [{"code": code}]}
    for key in reversed(path.split(".")):
        node = {key: node}
    return node


def _shape(errors: dict[str, Any]) -> dict[str, Any]:
    """Errors with only their codes (messages are for people)."""
    out: dict[str, Any] = {}
    for key, value in errors.items():
        if key == "_errors":
            out[key] = [{"code": e["code"]} for e in value]
        else:
            out[key] = _shape(value)
    return out


# ------------------------------------------------------------------------------ messages


async def test_json_answers_carry_exactly_application_json(http: aiohttp.ClientSession) -> None:
    _, _, response = await call(http, "GET", "/users/@me")
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"content": "x" * 2001}, "content", "BASE_TYPE_MAX_LENGTH"),
        ({"embeds": [{"title": "t"}] * 11}, "embeds", "BASE_TYPE_MAX_LENGTH"),
        ({"embeds": [{"title": "t" * 257}]}, "embeds.0.title", "BASE_TYPE_MAX_LENGTH"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description", "BASE_TYPE_MAX_LENGTH"),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
            "embeds.0.fields",
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]},
            "embeds.0.fields.0.name",
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            "embeds.0.fields.0.value",
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"footer": {"text": "f" * 2049}}]},
            "embeds.0.footer.text",
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"author": {"name": "a" * 257}}]},
            "embeds.0.author.name",
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"description": "d" * 3500}, {"description": "e" * 2501}]},
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
        ),
    ],
)
async def test_messages_over_discords_limits_are_invalid_form_bodies(
    http: aiohttp.ClientSession, body: dict[str, Any], path: str, code: str
) -> None:
    status, data = await post(http, body)
    assert (status, data["code"], data["message"]) == (400, 50035, "Invalid Form Body")
    assert _shape(data["errors"]) == form(path, code)


async def test_limits_are_counted_in_utf16_units(http: aiohttp.ClientSession) -> None:
    assert (await post(http, {"content": "😀" * 1000}))[0] == 200  # 2,000 units
    assert (await post(http, {"content": "😀" * 1000 + "x"}))[0] == 400


async def test_an_empty_message_is_refused(http: aiohttp.ClientSession) -> None:
    status, data = await post(http, {"content": "   ", "embeds": []})
    assert (status, data) == (400, {"message": "Cannot send an empty message", "code": 50006})


async def test_exactly_at_the_limits_is_accepted(
    http: aiohttp.ClientSession, discord: DiscordStandIn
) -> None:
    embeds = [{"title": "t" * 256, "description": "d" * 2744}, {"description": "e" * 3000}]
    status, data = await post(http, {"content": "c" * 2000, "embeds": embeds})
    assert status == 200 and data["content"] == "c" * 2000
    assert [m.content for m in discord.channel_messages(BRIEFINGS)] == ["c" * 2000]


# ------------------------------------------------------------------------------ access


@pytest.mark.parametrize(
    ("channel", "status", "code", "message"),
    [
        (HIDDEN, 403, 50001, "Missing Access"),
        (READ_ONLY, 403, 50013, "Missing Permissions"),
        (123, 404, 10003, "Unknown Channel"),
    ],
)
async def test_posting_where_the_bot_may_not(
    http: aiohttp.ClientSession, channel: int, status: int, code: int, message: str
) -> None:
    got, data, _ = await call(http, "POST", f"/channels/{channel}/messages", {"content": "hi"})
    assert (got, data) == (status, {"message": message, "code": code})


async def test_a_user_who_does_not_accept_dms(http: aiohttp.ClientSession) -> None:
    _, dm, _ = await call(http, "POST", "/users/@me/channels", {"recipient_id": str(CLOSED_DMS)})
    status, data, _ = await call(http, "POST", f"/channels/{dm['id']}/messages", {"content": "x"})
    assert (status, data) == (403, {"message": "Cannot send messages to this user", "code": 50007})
    status, data, _ = await call(http, "GET", "/users/999")
    assert (status, data) == (404, {"message": "Unknown User", "code": 10013})


async def test_requests_without_the_bot_token_are_unauthorized(discord: DiscordStandIn) -> None:
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{discord.api_base_url}/users/@me") as response:
            assert response.status == 401
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}


async def test_a_rate_limit_answers_429_with_discords_headers(
    http: aiohttp.ClientSession, discord: DiscordStandIn
) -> None:
    discord.rate_limit("POST", rf"/channels/{BRIEFINGS}/messages", times=1, retry_after=0.5)
    status, data, response = await call(
        http, "POST", f"/channels/{BRIEFINGS}/messages", {"content": "x"}
    )
    assert status == 429
    assert data == {"message": "You are being rate limited.", "retry_after": 0.5, "global": False}
    assert response.headers["Retry-After"] == "1"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Reset-After"] == "0.500"
    assert response.headers["Via"]
    again, _, _ = await call(http, "POST", f"/channels/{BRIEFINGS}/messages", {"content": "x"})
    assert again == 429 and discord.early_retries() == 1  # came back too soon


# ------------------------------------------------------------------------------ interactions


async def _interaction(discord: DiscordStandIn, http: aiohttp.ClientSession) -> Interaction:
    status, _, _ = await call(http, "PUT", "/applications/4242/commands", [PING])
    assert status == 200
    return await discord.command("ping", text="hello")


async def callback(
    discord: DiscordStandIn, ix: Interaction, body: dict[str, Any]
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        url = f"{discord.api_base_url}/interactions/{ix.id}/{ix.token}/callback?with_response=1"
        async with session.post(url, json=body) as response:
            return response.status, await response.json()


async def follow_up(
    discord: DiscordStandIn, ix: Interaction, body: dict[str, Any]
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        url = f"{discord.api_base_url}/webhooks/4242/{ix.token}?wait=1"
        async with session.post(url, json=body) as response:
            return response.status, await response.json()


async def test_an_interaction_is_answered_once(
    discord: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    ix = await _interaction(discord, http)
    assert (await follow_up(discord, ix, {"content": "early"}))[1]["code"] == 10015
    status, data = await callback(discord, ix, {"type": 4, "data": {"content": "pong"}})
    assert status == 200 and data["interaction"]["response_message_loading"] is False
    status, data = await callback(discord, ix, {"type": 4, "data": {"content": "again"}})
    assert (status, data) == (
        400,
        {"message": "Interaction has already been acknowledged.", "code": 40060},
    )
    assert [m.content for m in ix.messages] == ["pong"]


async def test_an_interaction_answered_after_3_seconds_is_unknown(
    discord: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    ix = await _interaction(discord, http)
    discord.advance(3.1)
    status, data = await callback(discord, ix, {"type": 5})
    assert (status, data) == (404, {"message": "Unknown interaction", "code": 10062})
    assert ix.acked_at is None and ix.refused == [("callback", 10062)]


async def test_follow_ups_edit_the_thinking_message_then_stop_after_15_minutes(
    discord: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    ix = await _interaction(discord, http)
    await callback(discord, ix, {"type": 5, "data": {"flags": 0}})
    assert [m.loading for m in discord.ever_public(BRIEFINGS)] == [True]  # "thinking…" for all
    status, first = await follow_up(discord, ix, {"content": "done", "flags": 64})
    assert status == 200 and first["id"] == str(ix.original.id)  # type: ignore[union-attr]
    assert [(m.content, m.ephemeral) for m in ix.messages] == [("done", False)]  # flag ignored
    status, _ = await follow_up(discord, ix, {"content": "only you", "flags": 64})
    assert [(m.content, m.ephemeral) for m in ix.messages][-1] == ("only you", True)
    discord.advance(15 * 60 + 1)
    status, data = await follow_up(discord, ix, {"content": "late"})
    assert (status, data) == (401, {"message": "Invalid Webhook Token", "code": 50027})


async def test_autocomplete_choices_follow_discords_rules(
    discord: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    await call(http, "PUT", "/applications/4242/commands", [PING])
    many = await discord.autocomplete("ping", "text", "p")
    choices = [{"name": f"c{n}", "value": f"c{n}"} for n in range(26)]
    status, data = await callback(discord, many, {"type": 8, "data": {"choices": choices}})
    assert status == 400 and _shape(data["errors"]) == form("data.choices", "BASE_TYPE_MAX_LENGTH")
    long = await discord.autocomplete("ping", "text", "p")
    status, data = await callback(
        discord, long, {"type": 8, "data": {"choices": [{"name": "n" * 101, "value": "v"}]}}
    )
    assert _shape(data["errors"]) == form("data.choices.0.name", "BASE_TYPE_BAD_LENGTH")


async def test_commands_are_checked_as_discord_checks_them(http: aiohttp.ClientSession) -> None:
    bad = [
        {"name": "Brief", "description": "Upper case"},
        {"name": "ok", "description": "x" * 101},
        {
            "name": "order",
            "description": "Required after optional",
            "options": [
                {"type": 3, "name": "a", "description": "a"},
                {"type": 3, "name": "b", "description": "b", "required": True},
            ],
        },
    ]
    status, data, _ = await call(http, "PUT", "/applications/4242/commands", bad)
    assert status == 400 and data["code"] == 50035
    assert _shape(data["errors"]) == {
        "0": {"name": {"_errors": [{"code": "APPLICATION_COMMAND_INVALID_NAME"}]}},
        "1": {"description": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH"}]}},
        "2": {
            "options": {
                "1": {
                    "required": {
                        "_errors": [{"code": "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"}]
                    }
                }
            }
        },
    }


# ------------------------------------------------------------------------------ gateway


@pytest.mark.parametrize(
    ("token", "intents", "close_code"),
    [("wrong", 4097, 4004), (TOKEN, 4097 | (1 << 15), 4014)],
)
async def test_identify_is_refused_with_discords_close_codes(
    discord: DiscordStandIn, token: str, intents: int, close_code: int
) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(discord.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
        await ws.send_json({"op": 2, "d": {"token": token, "intents": intents, "properties": {}}})
        await ws.receive()
        assert ws.close_code == close_code
