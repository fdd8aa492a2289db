"""Keep secrets out of logs, exceptions and reprs.

The Verisure API puts `user`, `pwd` and `hash` in the query string of every
URL; MiOS and Visonic carry tokens in headers. Anything that formats a URL or
headers for a human goes through here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"

SECRET_PARAMS = frozenset(
    {
        "user",
        "pwd",
        "password",
        "hash",
        "code",
        "pin",
        "pincode",
        "user_code",
        "sha1password",
        "mmssession",
        "mmsauth",
        "mmsauthsig",
        "token",
        "session-token",
        "user-token",
        "user_token",
        "session_token",
        "identity",
        "identitysignature",
        "authorization",
        "cookie",
        "set-cookie",
        "key",
    }
)


def is_secret_name(name: str) -> bool:
    return name.lower() in SECRET_PARAMS


def redact_url(url: object) -> str:
    """Return `url` with every secret query parameter and userinfo replaced."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs], safe="*()")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class SecretFilter(logging.Filter):
    """A logging filter that replaces known secret values in every record.

    Providers register their secrets (passwords, hashes, tokens) as they learn
    them; any log line that happens to contain one shows `***` instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._compiled: tuple[re.Pattern[str] | None, int] = (None, 0)
        """The pattern and how many secrets it covers, set in one assignment (threads scrub too): it is compiled
        again when a text is scrubbed after new ones came (a login registers several, one at a time; compiling on
        each cost ~5 ms with nothing to scrub yet)."""

    def add(self, secrets: Iterable[str | None]) -> None:
        for secret in secrets:
            if secret and len(secret) >= 3:
                self._secrets.add(secret)

    def clear(self) -> None:
        """Forget every registered secret (tests start each case clean)."""
        self._secrets.clear()
        self._compiled = (None, 0)

    def _current(self) -> re.Pattern[str] | None:
        pattern, covered = self._compiled
        if len(self._secrets) != covered:  # secrets are only added (or all cleared)
            ordered = sorted(self._secrets, key=len, reverse=True)  # a copy first: safe while another thread adds
            pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None
            self._compiled = (pattern, len(ordered))
        return pattern

    def scrub(self, text: str) -> str:
        pattern = self._current()
        if pattern is None:
            return text
        return pattern.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._current() is not None:
            message = record.getMessage()
            record.msg = self.scrub(message)
            record.args = None
            if record.exc_text:
                record.exc_text = self.scrub(record.exc_text)
        return True


SECRET_FILTER = SecretFilter()


def register_secrets(*secrets: str | None) -> None:
    """Tell the global log filter about values that must never be printed."""
    SECRET_FILTER.add(secrets)


def scrub(text: str) -> str:
    return SECRET_FILTER.scrub(text)


def install_log_filter(logger: logging.Logger | None = None) -> None:
    target = logger or logging.getLogger()
    if SECRET_FILTER not in target.filters:
        target.addFilter(SECRET_FILTER)
    for handler in target.handlers:
        if SECRET_FILTER not in handler.filters:
            handler.addFilter(SECRET_FILTER)
