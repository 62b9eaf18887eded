"""The security options of the web service, typed and validated once in ``create_app``.

Each option is read from the Flask config passed to ``create_app``, else from the environment
variable of the same name (so ``coopmap serve --production`` and gunicorn pick them up), else
the default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geo.errors import InvalidParameter

_SOURCE = re.compile(r"^('self'|'none'|https?://[A-Za-z0-9.*-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?|[A-Za-z0-9.*-]+(:\d+)?)$")
_RATE = re.compile(r"^\s*\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class SecurityOptions:
    """What an operator may change about access, headers and limits."""

    cookie_secure: bool = True
    """``COOPMAP_COOKIE_SECURE``: send the session cookie over HTTPS only (set 0 for local http)."""
    frame_ancestors: str = "'self'"
    """``COOPMAP_FRAME_ANCESTORS``: CSP sources allowed to embed the pages, space-separated."""
    rate_limit: str = "300 per minute"
    """``COOPMAP_RATE_LIMIT``: per token (or per client address for the public); "off" disables."""
    login_rate_limit: str = "10 per minute"
    """``COOPMAP_LOGIN_RATE_LIMIT``: login attempts per client address."""
    auth_failure_limit: str = "10 per minute"
    """``COOPMAP_AUTH_FAILURE_LIMIT``: failed authentications (unknown bearer token, wrong login
    token) per client address; past it, requests that present credentials get 429."""
    redis_url: str = ""
    """``COOPMAP_REDIS_URL``: ``redis://host:port/db`` shared by every server: rate limits and
    failed-authentication counts are counted there, across servers. Empty: per worker process."""
    rate_limit_storage: str = ""
    """``COOPMAP_RATE_LIMIT_STORAGE``: flask-limiter storage URI; default ``COOPMAP_REDIS_URL``
    when set, else ``memory://`` (per worker process)."""
    proxy_hops: int = 0
    """``COOPMAP_PROXY_HOPS``: reverse proxies in front whose X-Forwarded-* headers are trusted."""
    base_url: str = ""
    """``COOPMAP_BASE_URL``: the public address of the service (``https://maps.example.org`` or
    ``https://example.org/coopmap``, its proxy stripping the path); absolute links (OGC ``links``,
    snapshot permalinks, ``Link``/``Location`` headers) are built on it, never on the request's
    Host header. Empty: the request's host (development, tests). Set it in production."""

    @property
    def rate_limit_enabled(self) -> bool:
        return self.rate_limit.strip().lower() != "off"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def security_options(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> SecurityOptions:
    """Read and validate the options; a bad value raises ``InvalidParameter`` naming it."""
    env = os.environ if environ is None else environ
    defaults = SecurityOptions()

    def raw(name: str, default: object) -> object:
        if config.get(name) is not None:
            return config[name]
        return env.get(name, default)

    return SecurityOptions(
        cookie_secure=_bool("COOPMAP_COOKIE_SECURE", raw("COOPMAP_COOKIE_SECURE", defaults.cookie_secure)),
        frame_ancestors=_ancestors(str(raw("COOPMAP_FRAME_ANCESTORS", defaults.frame_ancestors))),
        rate_limit=_rate("COOPMAP_RATE_LIMIT", str(raw("COOPMAP_RATE_LIMIT", defaults.rate_limit))),
        login_rate_limit=_rate("COOPMAP_LOGIN_RATE_LIMIT",
                               str(raw("COOPMAP_LOGIN_RATE_LIMIT", defaults.login_rate_limit))),
        auth_failure_limit=_rate("COOPMAP_AUTH_FAILURE_LIMIT",
                                 str(raw("COOPMAP_AUTH_FAILURE_LIMIT", defaults.auth_failure_limit))),
        redis_url=_redis_url(str(raw("COOPMAP_REDIS_URL", "") or "")),
        rate_limit_storage=str(raw("COOPMAP_RATE_LIMIT_STORAGE", "") or raw("COOPMAP_REDIS_URL", "") or "memory://"),
        proxy_hops=_int("COOPMAP_PROXY_HOPS", raw("COOPMAP_PROXY_HOPS", defaults.proxy_hops)),
        base_url=_base_url(str(raw("COOPMAP_BASE_URL", defaults.base_url) or "")),
    )


def _redis_url(value: str) -> str:
    value = value.strip()
    if value and not re.match(r"^(redis|rediss|unix)://", value):
        raise InvalidParameter("COOPMAP_REDIS_URL", value, "use redis://host:port/db (or rediss://, unix://)")
    return value


def _bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise InvalidParameter(name, value, "use 1/0, true/false, yes/no or on/off")


def _int(name: str, value: object) -> int:
    try:
        number = int(str(value))
    except ValueError as exc:
        raise InvalidParameter(name, value, "use a whole number") from exc
    if not 0 <= number <= 5:
        raise InvalidParameter(name, value, "use 0 to 5 proxies")
    return number


def _ancestors(value: str) -> str:
    sources = value.split()
    bad = [s for s in sources if not _SOURCE.match(s)]
    if not sources or bad:
        raise InvalidParameter("COOPMAP_FRAME_ANCESTORS", value,
                               "use space-separated CSP sources such as 'self' https://intranet.example")
    return " ".join(sources)


_BASE_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")


def _base_url(value: str) -> str:
    value = value.strip()
    if value and not _BASE_URL.match(value):
        raise InvalidParameter("COOPMAP_BASE_URL", value,
                               "use http(s)://host[:port][/path], without query or fragment")
    return value.rstrip("/")


def _rate(name: str, value: str) -> str:
    if value.strip().lower() == "off":
        return "off"
    for part in value.split(";"):
        if not _RATE.match(part):
            raise InvalidParameter(name, value, "use a rate such as '300 per minute' or '10/second', or 'off'")
    return value
