"""chatserve's log: where it goes, in which format, and no control characters in it, whatever a
client or a chat function sent.

A request path, a header or an exception's message can hold them: a raw CR or LF forges a
second log line, an ESC sequence rewrites the terminal of whoever reads the log. So every
record of a chatserve logger is escaped before any handler formats it, however the app is
served (`chatserve serve`, or `create_app` under another ASGI server and its log setup).

Lines are text (`INFO      method=POST path=/api/chat ...`) or JSON (one object per line, with
the time, the level, the request's id and the access line's fields as keys).
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
from types import TracebackType

from chatserve.http.requestid import current

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

NAME = "chatserve"
"""The logger chatserve's modules write to; `chatserve.access` and any other below it too."""

LEVEL_VARIABLE, FORMAT_VARIABLE = "CHATSERVE_LOG_LEVEL", "CHATSERVE_LOG_FORMAT"


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the request's
    id while one is handled, an access line's fields, and a traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current.get()
        if request is not None:
            entry["request_id"] = request
        entry.update(getattr(record, "fields", {}))
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry)


def handler(fmt: str) -> logging.Handler:
    """A handler writing to standard error in `fmt` (`text` or `json`)."""
    written = logging.StreamHandler(sys.stderr)
    text = logging.Formatter("%(levelname)-9s %(message)s")
    written.setFormatter(JsonLines() if fmt == "json" else text)
    return written


def configure(level: str, fmt: str) -> None:
    """`chatserve serve`'s log: every logger (uvicorn's too) at `level`, in `fmt`."""
    logging.basicConfig(level=level.upper(), handlers=[handler(fmt)], force=True)
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # "1 change detected" is noise
    escape_log_lines()


def ensure_output() -> None:
    """Under a server that set up no logging of its own (plain uvicorn, gunicorn, Hypercorn),
    chatserve's lines go to standard error as `chatserve serve` writes them, at the level and
    in the format of `CHATSERVE_LOG_LEVEL` and `CHATSERVE_LOG_FORMAT`; else they go where the
    server's set-up sends them."""
    chatserve = logging.getLogger(NAME)
    if not chatserve.handlers and not logging.getLogger().handlers:
        chatserve.addHandler(handler(os.environ.get(FORMAT_VARIABLE, "text")))
        level = os.environ.get(LEVEL_VARIABLE, "info").upper()
        chatserve.setLevel(level if level in logging.getLevelNamesMapping() else logging.INFO)
        chatserve.propagate = False
    escape_log_lines()


def escape(text: str, *, keep: str = "") -> str:
    """`text` with every unprintable character (but those in `keep`) escaped as in Python
    literals: `\\r`, `\\n`, `\\x1b`, `\\u2028`."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char in keep else char.encode("unicode_escape").decode()
        for char in text
    )


class EscapeControlCharacters(logging.Filter):
    """Escapes a record's message and arguments into one line. A traceback keeps its own line
    breaks, while the exception messages in it are escaped like the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken call: the handler reports it, as logging always does
        record.msg, record.args = escape(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _traceback(record.exc_info)
        return True


def escape_log_lines() -> None:
    """Install `EscapeControlCharacters` on every chatserve logger (once)."""
    names = [
        name
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and name.startswith(f"{NAME}.")
    ]
    for logger in map(logging.getLogger, [NAME, *names]):
        if not any(isinstance(known, EscapeControlCharacters) for known in logger.filters):
            logger.addFilter(EscapeControlCharacters())


def _traceback(exc_info: ExcInfo) -> str:
    text = logging.Formatter().formatException(exc_info)
    exc, seen = exc_info[1], set()
    while exc is not None and id(exc) not in seen:  # the exception, and what led to it
        seen.add(id(exc))
        message = _message(exc)
        if not message.isprintable():
            text = text.replace(message, escape(message))
        exc = exc.__cause__ or exc.__context__
    return escape(text, keep="\n")


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return ""  # the traceback says "<exception str() failed>"
