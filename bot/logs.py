"""Logging set-up: quiet the HTTP libraries and redact bot tokens from every record."""

from __future__ import annotations

import logging
import re

# A bot token wherever it appears: in a URL (/bot123:ABC/getMe) or on its own.
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{8,}")


class RedactTokens(logging.Filter):
    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<token>")
        return _TOKEN.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        # Render once, redact, and freeze the result so no handler re-renders the raw args.
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def setup_logging(level: int, *secrets: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    install_redaction(handler, *secrets)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def install_redaction(handler: logging.Handler, *secrets: str) -> None:
    handler.addFilter(RedactTokens(*secrets))
    # httpx logs every request URL, token included, at INFO; APScheduler says at INFO what it
    # will do once started, which reads as noise before an error that stops the bot.
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
