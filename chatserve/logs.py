"""chatserve's log lines carry no control characters, whatever a client or a chat function sent.

A request path, a header or an exception's message can hold them: a raw CR or LF forges a
second log line, an ESC sequence rewrites the terminal of whoever reads the log. So every
record of a chatserve logger is escaped before any handler formats it, however the app is
served (`chatserve serve`, or `create_app` under another ASGI server and its log setup).
"""

from __future__ import annotations

import logging
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

NAME = "chatserve"
"""The logger chatserve's modules write to; `chatserve.access` and any other below it too."""


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
