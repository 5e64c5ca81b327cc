"""A safety net: personal data that reaches a log record is redacted (the default policy: everything).

Two hooks, because of how ``logging`` works: a *record factory* (``install``) sees every record any
logger creates, whichever handler (pytest's caplog, uvicorn's, CloudWatch's stdout) prints it; a
``RedactingFilter`` on a Powertools ``Logger`` also sees the structured ``extra`` keys, which are
set after the factory runs. The request path redacts at the entry, so this should find nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from mastra.privacy.redact import redact_text

#: Record attributes that are logging's own, never user data.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed format string is logging's to report, not ours
        return
    cleaned = redact_text(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:  # a traceback's messages may quote user input too
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))


class RedactingFilter(logging.Filter):
    """Redacts the message and string ``extra`` values of every record it sees (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _clean(record)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact_text(value))
        return True


_installed = False


def install() -> None:
    """Redact every log record's message from now on, in this process (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _clean(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _redact_values(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_values(v) for v in value]
    return value


def powertools(logger: Any) -> Any:
    """``logger`` (a Powertools ``Logger``) with a ``RedactingFilter`` and its formatter's output
    redacted too (keys from ``append_keys`` live in the formatter, past any filter); returns it."""
    logger.addFilter(RedactingFilter())
    formatter = getattr(logger, "registered_formatter", None)
    serialize = getattr(formatter, "serialize", None)
    if serialize is not None:
        formatter.serialize = lambda log: serialize(_redact_values(log))  # type: ignore[union-attr]
    return logger
