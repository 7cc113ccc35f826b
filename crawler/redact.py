"""Secrets never reach a log line: values of secret settings, AWS secrets, URL passwords.

Scrapy logs the settings a run overrides (``-s NAME=VALUE``), and an error can
quote a URL with ``user:password@`` in it (a proxy, an S3-compatible endpoint).
:func:`redact_handlers` puts a filter on log handlers that masks, in every
record: the value of each setting whose name says it is secret (``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*``, ``*CREDENTIAL*``, ``*API_KEY*``), the standard AWS
secrets of the environment, and the password part of any URL.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_KEY|WEBHOOK", re.I)
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
              "SYRIA_ARCHIVE_WEBHOOK")
PROXY_ENV = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
             "all_proxy")
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:@/\s'\"]*:)[^@/\s'\"]+@", re.I)
MASK = "***"


def secret_values(settings: Any = None, environ: dict[str, str] | None = None) -> list[str]:
    """The secret strings of this process: to be masked wherever they would be written."""
    env = os.environ if environ is None else environ
    values = [env[name] for name in SECRET_ENV if env.get(name)]
    for name in PROXY_ENV:
        password = urlsplit(env.get(name) or "").password
        if password:
            values.append(password)
    if settings is not None:
        for name in list(settings.attributes if hasattr(settings, "attributes") else settings):
            if not SECRET_NAME.search(name):
                continue
            value = settings.get(name)
            if isinstance(value, str) and value:
                values.append(value)
    # Longest first, so that a secret containing another is masked whole.
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    text = URL_PASSWORD.sub(lambda m: m["head"] + MASK + "@", text)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def redact_handlers(handlers: Iterable[logging.Handler], settings: Any = None) -> None:
    secrets = secret_values(settings)
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(secrets))
