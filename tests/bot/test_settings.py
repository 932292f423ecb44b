"""Configuration: TOML file + environment, validated with one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import TOKEN_ENV, load_settings
from summaries.errors import InvalidInput

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "briefbot.example.toml"


def test_the_example_config_loads_with_its_documented_defaults() -> None:
    settings = load_settings(EXAMPLE, environ={})
    assert settings.db_path == Path("briefbot.db")
    assert settings.core.fetch.allow_private is False
    assert settings.core.summary_words == 120
    assert settings.core.story_words == 250
    assert settings.digest_grace_s == 10800
    assert settings.when_nothing_new == "line"
    assert settings.dev_guild_id is None
    assert settings.discord_token is None


def test_the_token_comes_from_the_environment_and_never_shows_in_repr() -> None:
    settings = load_settings(EXAMPLE, environ={TOKEN_ENV: " secret-token "})
    assert settings.discord_token == "secret-token"
    assert "secret-token" not in repr(settings)


def test_a_token_in_the_config_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text('[discord]\ntoken = "abc"\n', encoding="utf-8")
    with pytest.raises(
        InvalidInput, match=r"secrets are not read from config files; set \$BRIEFBOT_DISCORD_TOKEN"
    ):
        load_settings(path, environ={})


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[fetch]\nmax_bytes = -1\n", "fetch.max_bytes must be > 0, got -1"),
        ('[fetch]\nallow_private = "yes"\n', "fetch.allow_private must be bool, got 'yes'"),
        ('[summaries]\nalgorithm = "magic"\n', "summaries.algorithm must be one of briefbot, "),
        (
            '[digests]\nwhen_nothing_new = "loud"\n',
            'digests.when_nothing_new must be "line" or "silent"',
        ),
        ('[store]\npth = "x.db"\n', "unknown setting store.pth"),
        ('[storage]\npath = "x.db"\n', "unknown section [storage]"),
        ("[store\n", "is not valid TOML"),
    ],
)
def test_a_bad_setting_names_the_file_and_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_settings(path, environ={})
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_db_option_overrides_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[store]\npath = "from-config.db"\n', encoding="utf-8")
    assert load_settings(path, environ={}).db_path == Path("from-config.db")
    assert load_settings(path, db_path="cli.db", environ={}).db_path == Path("cli.db")


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"config file .*nope\.toml does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_discord_endpoints_default_to_discord_and_can_point_at_a_stand_in(tmp_path: Path) -> None:
    assert load_settings(EXAMPLE, environ={}).discord_api_base_url is None
    path = tmp_path / "standin.toml"
    path.write_text(
        '[discord]\napi_base_url = "http://127.0.0.1:8300/api/v10/"\n'
        'gateway_url = "ws://127.0.0.1:8300/"\n',
        encoding="utf-8",
    )
    settings = load_settings(path, environ={})
    assert settings.discord_api_base_url == "http://127.0.0.1:8300/api/v10"
    assert settings.discord_gateway_url == "ws://127.0.0.1:8300/"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("api_base_url", "ftp://x/api", "discord.api_base_url must be a http:// or https:// URL"),
        ("gateway_url", "http://x/", "discord.gateway_url must be a ws:// or wss:// URL"),
        ("gateway_url", "ws:///", "discord.gateway_url must be a ws:// or wss:// URL"),
    ],
)
def test_a_bad_discord_endpoint_is_refused(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[discord]\n{key} = "{value}"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_settings(path, environ={})
