"""A bot for bench/ui_stream.py: a message "N" gets N tokens at `RATE` tokens per second."""

import os
import time


def reply(message, history):
    """Each yield is the whole reply so far, `token0 token1 …`; other messages get 3 tokens."""
    tokens = int(message) if message.strip().isdigit() else 3
    rate = float(os.environ.get("RATE", "2000"))
    start, text = time.perf_counter(), ""
    for i in range(tokens):
        text = f"{text} token{i}" if text else f"token{i}"
        delay = start + (i + 1) / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield text
