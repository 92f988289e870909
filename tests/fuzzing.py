"""What the fuzz tests share: the bot they fuzz, hypothesis settings, numbers past every
limit, and a tally of examples that fails with how many failed, and how.

Budgets are fixed and generation is derandomized: every run tries the same examples.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from typing import Any

from conftest import LiveServer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from chatserve.turn import GENERIC_FAILURE

BOT_PY = """
def answer(message, history, *inputs):
    files = message["files"]
    return (
        f"{message['text']} ({len(history)} in history, {len(files)} files)",
        repr(inputs),
        {"inputs": list(inputs), "history": len(history)},
        files[0] if files else None,
    )
"""

CONFIG = """
fn: bot.py:answer
title: Fuzz
multimodal: true
textbox: {file_count: multiple}
additional_inputs:
  - textbox
  - number
  - {type: slider, minimum: -5, maximum: 5, step: 0.5}
  - checkbox
  - {type: dropdown, choices: [a, 1, 2.5]}
  - {type: radio, choices: [x, [Why, y]]}
  - {type: checkboxgroup, choices: [p, q]}
additional_outputs: [markdown, json, image]
flagging_mode: manual
save_history: server
server:  # quotas out of the way, so examples reach the code behind them
  quotas: {uploads_per_minute: 1000000, flags_per_minute: 1000000}
"""

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)

HUGE = st.one_of(
    st.sampled_from([309, 400, 4000]).map(lambda digits: 10**digits),
    st.sampled_from([-(10**400), 2**64, -(2**63) - 1, float("inf"), float("nan")]),
)
"""Numbers past what a float, JSON or a 64-bit integer can hold."""

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), HUGE, st.floats(), st.text(max_size=8)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)

_EXCEPTION_LINE = re.compile(r"^(?:\w+\.)*\w*(?:Error|Exception)\b.*$", re.MULTILINE)


class Tally:
    """The examples tried and the problems they caused; fails with how many failed, and how."""

    def __init__(self) -> None:
        self.examples = 0
        self.failures: list[str] = []
        self.kinds: Counter[str] = Counter()

    def record(self, example: str, problems: list[str]) -> None:
        self.examples += 1
        if problems:
            self.failures.append(f"{example[:400]}\n  -> {problems[0][:300]}")
            self.kinds.update({problem[:150] for problem in problems})

    def check(self) -> None:
        print(f"{self.examples} examples, {len(self.failures)} failed")  # shown by pytest -rP
        kinds = "\n".join(f"{count:4} x {kind}" for kind, count in self.kinds.most_common())
        first = "\n".join(self.failures[:3])
        assert not self.failures, (
            f"{len(self.failures)} of {self.examples} examples failed.\n{kinds}\n"
            f"First ones:\n{first}"
        )


class ServerLog:
    """The errors a server logged since the last look."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.seen = len(server.output())

    def new_errors(self) -> list[str]:
        text = self.server.output()
        new, self.seen = text[self.seen :], len(text)
        return [f"logged {line}" for line in _EXCEPTION_LINE.findall(new)] + [
            f"logged {line}" for line in new.splitlines() if "ERROR" in line
        ]


def logged(record: logging.LogRecord) -> str:
    """A log record, with the exception it carries."""
    error = record.exc_info[1] if record.exc_info else None
    return f"logged {record.getMessage()}: {type(error).__name__}: {str(error)[:100]}"


def shown(value: Any) -> str:
    try:
        return repr(value)
    except ValueError:  # an int too long for str()
        return f"<{type(value).__name__} holding an int too long to show>"


def problems_of(http: TestClient, path: str, body: bytes) -> list[str]:
    """What went wrong with one request: a 5xx, an error the app let escape, or a stream that
    ended in the generic failure (the stream's 500) or without `done`."""
    try:
        response = http.post(path, content=body, headers={"Content-Type": "application/json"})
    except Exception as exc:
        return [f"{path}: escaped {type(exc).__name__}: {exc}"]
    if response.status_code >= 500:
        return [f"{path}: {response.status_code} {response.text[:100]}"]
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        return []
    if path.startswith("/v1"):
        broken = '"server_error"' in response.text
    else:
        names = re.findall(r"^event: (\w+)$", response.text, re.MULTILINE)
        broken = names[-1:] != ["done"] or _GENERIC_FAILURE_EVENT in response.text
    return [f"{path} (stream): {response.text[-200:]}"] if broken else []


_GENERIC_FAILURE_EVENT = "event: error\ndata: " + json.dumps(
    {"message": GENERIC_FAILURE}, separators=(",", ":")
)
