"""`chatserve init`: a working bot to start from, with the schema beside it for editors."""

from __future__ import annotations

from pathlib import Path

from chatserve.config.schema import schema_text

BOT_YAML = """\
# yaml-language-server: $schema=chatserve.schema.json
# Serve with `chatserve bot.yaml`; edits to this file and to bot.py show up in the open page.
fn: bot.py:reply
title: My bot
description: A streaming bot. Edit `bot.py` to give it a brain.
examples:
  - text: Hello!
    expect: {contains: "You said: Hello!"}  # `chatserve test bot.yaml` checks it
  - What can you do?
tests:
  - name: counts the messages of the chat
    turns:
      - user: Hi
        expect: {contains: message 1 of our chat}
      - user: Again
        expect: {contains: message 2 of our chat, max_seconds: 5}
"""

BOT_PY = '''\
"""The chat function: `reply(message, history)` returns or yields the answer."""

import time


def reply(message, history):
    """Stream the answer word by word; each yield is the whole answer so far.

    `history` holds the conversation so far as OpenAI-style messages
    (`{"role": "user" | "assistant", "content": ...}`), ready to pass to an LLM client.
    """
    answer = f"You said: {message}. This is message {len(history) // 2 + 1} of our chat."
    so_far = ""
    for word in answer.split(" "):
        so_far = f"{so_far} {word}" if so_far else word
        time.sleep(0.05)
        yield so_far
'''

FILES = {"bot.yaml": BOT_YAML, "bot.py": BOT_PY}


class AlreadyThere(Exception):
    """`init` never overwrites a file."""


def init(folder: Path) -> list[Path]:
    """Write `bot.yaml`, `bot.py` and `chatserve.schema.json` into `folder`."""
    files = {**FILES, "chatserve.schema.json": schema_text()}
    existing = [name for name in FILES if (folder / name).exists()]
    if existing:
        raise AlreadyThere(f"{', '.join(existing)} already exist(s) in {folder}; nothing written.")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        (folder / name).write_text(text)
        written.append(folder / name)
    return written
