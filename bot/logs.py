"""Keep Slack tokens out of logs, whatever a library decides to print."""

from __future__ import annotations

import logging
import re

TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")


def redact(text: str) -> str:
    return TOKEN.sub(lambda m: f"{m.group(1)}-(redacted)", text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message with tokens masked; attach to handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def redact_tokens() -> None:
    """Install :class:`RedactTokens` on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
