"""config/*.toml + environment secrets -> one frozen Settings, validated at start."""

from __future__ import annotations

import ipaddress
import logging
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from summaries.config import CoreConfig
from summaries.errors import InvalidInput
from summaries.ingest.fetch import FetchPolicy
from summaries.summarize import ALGORITHMS

log = logging.getLogger(__name__)

TOKEN_ENV = "BRIEFBOT_DISCORD_TOKEN"
CONFIG_ENV = "BRIEFBOT_CONFIG"
DEFAULT_CONFIG = Path("config/briefbot.toml")


@dataclass(frozen=True)
class Settings:
    """Everything briefbot is told at start.

    The Discord token only ever comes from the environment (BRIEFBOT_DISCORD_TOKEN); it is
    kept out of `repr` so it cannot end up in a log line.
    """

    db_path: Path | str = Path("briefbot.db")  # a SQLite file, or a postgresql:// URL
    core: CoreConfig = field(default_factory=CoreConfig)
    discord_token: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    digest_grace_s: int = 3 * 3600
    when_nothing_new: Literal["line", "silent"] = "line"
    feed_jitter_s: int = 30
    lease_s: int = 30
    digest_claim_s: int = 90
    log_level: str = "INFO"
    config_path: Path | None = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None


_KNOWN: dict[str, set[str]] = {
    "store": {"path", "url"},
    "fetch": {
        "allow_private",
        "allow_networks",
        "max_bytes",
        "timeout_s",
        "max_redirects",
        "user_agent",
    },
    "summaries": {
        "summary_words",
        "story_words",
        "new_words",
        "max_stories",
        "default_since_hours",
        "algorithm",
        "max_file_bytes",
    },
    "feeds": {"interval_s", "max_backoff_s", "flag_after_s", "jitter_s"},
    "digests": {"grace_s", "when_nothing_new"},
    "discord": {"dev_guild_id", "api_base_url", "gateway_url"},
    "scheduler": {"lease_s", "claim_s"},
    "log": {"level"},
}


def load_settings(
    config_path: str | Path | None = None,
    *,
    db_path: str | Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Read the TOML config (optional) and the environment.

    Precedence: `--db` over `[store] url` / `path`; the config file is `--config`, else
    $BRIEFBOT_CONFIG, else config/briefbot.toml when it exists, else built-in defaults.

    Raises:
        InvalidInput: One clear line naming the file, section and key that is wrong.
    """
    env = os.environ if environ is None else environ
    path: Path | None = None
    if config_path is not None:
        path = Path(config_path)
        if not path.is_file():
            raise InvalidInput(f"config file {path} does not exist")
    elif env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
        if not path.is_file():
            raise InvalidInput(f"config file {path} (from ${CONFIG_ENV}) does not exist")
    elif DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise InvalidInput(f"config file {path} is not valid TOML: {err}") from err
    settings = _from_dict(data, str(path) if path else "defaults")
    token = (env.get(TOKEN_ENV) or "").strip() or None
    settings = replace(settings, discord_token=token, config_path=path)
    if db_path is not None:
        settings = replace(settings, db_path=database_target(str(db_path), "--db"))
    return settings


def database_target(value: str, where: str) -> Path | str:
    """A `--db` / `[store]` value: a PostgreSQL URL (checked: no password in it) or a path.

    Raises:
        InvalidInput: For a URL with a password (it belongs in $BRIEFBOT_DB_PASSWORD) or
            without a database name.
    """
    from summaries.store import is_postgres_url, sqlite_path

    value = value.strip()
    if not value:
        raise InvalidInput(f"{where}: the database is empty: give a file path or a URL")
    if is_postgres_url(value):
        from summaries.pgstore import check_url

        try:
            return check_url(value)
        except InvalidInput as err:
            raise InvalidInput(f"{where}: {err}") from None
    if "://" in value:
        raise InvalidInput(
            f"{where}: {value.split('://', 1)[0]}:// is not a database briefbot knows: use a "
            "SQLite file path or postgresql://user@host:port/database"
        )
    return Path(sqlite_path(value))


def _networks(values: list[Any], where: str) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(str(value), strict=False)))
        except ValueError:
            raise InvalidInput(
                f"{where}: fetch.allow_networks has {value!r}, not a network such as 10.1.2.0/24"
            ) from None
    return tuple(out)


def _endpoint(value: str, schemes: tuple[str, ...], key: str, where: str) -> str | None:
    """A Discord endpoint override: empty means Discord itself."""
    value = value.strip()
    if not value:
        return None
    parsed = urlsplit(value)
    if parsed.scheme not in schemes or not parsed.hostname or parsed.query or parsed.fragment:
        raise InvalidInput(
            f"{where}: discord.{key} must be a {' or '.join(s + '://' for s in schemes)} URL "
            f"without query, got {value!r}"
        )
    return value.rstrip("/") if key == "api_base_url" else value


def _from_dict(data: dict[str, Any], where: str) -> Settings:
    for section, values in data.items():
        if section not in _KNOWN:
            raise InvalidInput(f"{where}: unknown section [{section}]")
        if not isinstance(values, dict):
            raise InvalidInput(f"{where}: [{section}] must be a table")
        for key in values:
            if key not in _KNOWN[section]:
                if key in ("token", "discord_token"):
                    raise InvalidInput(
                        f"{where}: secrets are not read from config files; set ${TOKEN_ENV}"
                    )
                raise InvalidInput(f"{where}: unknown setting {section}.{key}")

    def get(section: str, key: str, kind: type, default: Any) -> Any:
        value = data.get(section, {}).get(key, default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidInput(f"{where}: {section}.{key} must be {kind.__name__}, got {value!r}")
        return value

    def positive(section: str, key: str, default: int) -> int:
        value = int(get(section, key, int, default))
        if value <= 0:
            raise InvalidInput(f"{where}: {section}.{key} must be > 0, got {value}")
        return value

    base = CoreConfig()
    fetch = FetchPolicy(
        allow_private=get("fetch", "allow_private", bool, base.fetch.allow_private),
        allow_networks=_networks(get("fetch", "allow_networks", list, []), where),
        max_bytes=positive("fetch", "max_bytes", base.fetch.max_bytes),
        timeout_s=float(get("fetch", "timeout_s", float, float(base.fetch.timeout_s))),
        max_redirects=int(get("fetch", "max_redirects", int, base.fetch.max_redirects)),
        user_agent=get("fetch", "user_agent", str, base.fetch.user_agent),
    )
    algorithm = get("summaries", "algorithm", str, base.algorithm or "briefbot")
    if algorithm not in ALGORITHMS:
        raise InvalidInput(
            f"{where}: summaries.algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}"
        )
    core = CoreConfig(
        fetch=fetch,
        summary_words=positive("summaries", "summary_words", base.summary_words),
        story_words=positive("summaries", "story_words", base.story_words),
        new_words=positive("summaries", "new_words", base.new_words),
        max_stories=positive("summaries", "max_stories", base.max_stories),
        default_since_hours=positive("summaries", "default_since_hours", base.default_since_hours),
        feed_interval_s=positive("feeds", "interval_s", base.feed_interval_s),
        feed_max_backoff_s=positive("feeds", "max_backoff_s", base.feed_max_backoff_s),
        feed_flag_after_s=positive("feeds", "flag_after_s", base.feed_flag_after_s),
        max_file_bytes=positive("summaries", "max_file_bytes", base.max_file_bytes),
        algorithm=algorithm,
    )
    when_nothing_new = get("digests", "when_nothing_new", str, "line")
    if when_nothing_new not in ("line", "silent"):
        raise InvalidInput(f'{where}: digests.when_nothing_new must be "line" or "silent"')
    guild = get("discord", "dev_guild_id", int, 0)
    api_base_url = _endpoint(
        get("discord", "api_base_url", str, ""), ("http", "https"), "api_base_url", where
    )
    gateway_url = _endpoint(
        get("discord", "gateway_url", str, ""), ("ws", "wss"), "gateway_url", where
    )
    level = str(get("log", "level", str, "INFO")).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise InvalidInput(f"{where}: log.level must be DEBUG, INFO, WARNING or ERROR")
    store = data.get("store", {})
    if "url" in store and "path" in store:
        raise InvalidInput(f"{where}: set either store.path or store.url, not both")
    if "url" in store:
        target = database_target(get("store", "url", str, ""), f"{where}: store.url")
    else:
        target = Path(get("store", "path", str, "briefbot.db"))
    return Settings(
        db_path=target,
        core=core,
        dev_guild_id=guild or None,
        digest_grace_s=positive("digests", "grace_s", 3 * 3600),
        when_nothing_new=when_nothing_new,
        feed_jitter_s=int(get("feeds", "jitter_s", int, 30)),
        lease_s=positive("scheduler", "lease_s", 30),
        digest_claim_s=positive("scheduler", "claim_s", 90),
        log_level=level,
        discord_api_base_url=api_base_url,
        discord_gateway_url=gateway_url,
    )
