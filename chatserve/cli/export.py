"""`chatserve flags`: the flag store as CSV (safe to open in a spreadsheet) or JSON Lines."""

from __future__ import annotations

import csv
import datetime
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import msgspec

from chatserve.bot.load import data_dir, flagging_dir
from chatserve.config.loader import load_config
from chatserve.store.flags import Flag, FlagStore
from chatserve.store.shared.backends import connected

CSV_COLUMNS = (
    "time",
    "action",
    "option",
    "message_index",
    "message",
    "conversation",
    "inputs",
    "files",
    "config_hash",
    "client",
    "user",
    "id",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RELATIVE = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class BadSince(ValueError):
    pass


def export(config_path: str, fmt: str, since: str | None, output: str | None) -> tuple[int, str]:
    """Write the flags of a config's store to `output` (standard output if None) as `fmt`
    (`csv` or `jsonl`); the number written and where the store is."""
    config = load_config(config_path)
    start = since_time(since) if since else None
    folder = Path(config_path).resolve().parent
    shared = connected(config, data_dir(config, folder))
    store = shared.flags(flagging_dir(config, folder)) or FlagStore(flagging_dir(config, folder))
    write = write_csv if fmt == "csv" else write_jsonl
    try:
        if output is None:
            return write(store.flags(start), sys.stdout), store.where
        with open(output, "w", newline="", encoding="utf-8") as out:
            return write(store.flags(start), out), store.where
    finally:
        store.close()
        shared.close()


def since_time(text: str, now: datetime.datetime | None = None) -> str:
    """`--since` as the ISO 8601 UTC time flags are stored with.

    Accepts an age (`30m`, `24h`, `7d`, `2w`), a date (`2026-11-01`) or a date and time
    (`2026-11-01T09:30`, UTC unless it names its offset).
    """
    now = now or datetime.datetime.now(datetime.UTC)
    relative = _RELATIVE.match(text.strip())
    if relative:
        amount, unit = relative.groups()
        moment = now - datetime.timedelta(**{_UNITS[unit]: int(amount)})
    else:
        try:
            moment = datetime.datetime.fromisoformat(text.strip())
        except ValueError:
            raise BadSince(
                f"{text!r} is not a time: use an age such as 24h or 7d, a date such as "
                "2026-11-01, or a date and time such as 2026-11-01T09:30."
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def write_jsonl(flags: Iterable[Flag], out: TextIO) -> int:
    count = 0
    for flag in flags:
        out.write(msgspec.json.encode(flag.record()).decode() + "\n")
        count += 1
    return count


def write_csv(flags: Iterable[Flag], out: TextIO) -> int:
    """One row per flag; JSON in the structured columns; cells a spreadsheet would run as a
    formula start with `'`."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for flag in flags:
        record = flag.record()
        record["message"] = reply_text(flag.message)
        record["files"] = " ".join(f["path"] or f["name"] for f in flag.files)
        writer.writerow(_cell(record[column]) for column in CSV_COLUMNS)
        count += 1
    return count


def reply_text(messages: list[dict[str, Any]]) -> str:
    """A reply as text: its messages' text, files by name, one per line."""
    lines = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            lines.append(content)
        elif isinstance(content.get("file"), dict):
            lines.append(f"[{content.get('component', 'file')}: {content['file'].get('name')}]")
        else:
            lines.append(f"[{content.get('component', 'content')}]")
    return "\n".join(lines)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        value = msgspec.json.encode(value).decode()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
