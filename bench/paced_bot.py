"""The paced benchmark's chat functions: a model's pace without a model.

Both wait `DELAY` seconds (default 0.04) before each of `TOKENS` tokens (default 50) and yield
the whole reply so far, as Gradio chat functions do: "token0", "token0 token1", … A message
that is a number asks for that many tokens instead (`bench/paced.py` warms a server up with
"1"). `reply` awaits `asyncio.sleep` on the server's loop; `reply_sync` calls `time.sleep` in
one of chatserve's worker threads.
"""

import asyncio
import os
import time


def pace(message):
    """How many tokens to send, and the seconds to wait before each."""
    count = int(message) if message.isdigit() else int(os.environ.get("TOKENS", "50"))
    return count, float(os.environ.get("DELAY", "0.04"))


def grown(text, index):
    """The reply so far with token `index` appended."""
    return f"{text} token{index}" if text else f"token{index}"


async def reply(message, history):
    count, delay = pace(message)
    text = ""
    for index in range(count):
        await asyncio.sleep(delay)
        text = grown(text, index)
        yield text


def reply_sync(message, history):
    count, delay = pace(message)
    text = ""
    for index in range(count):
        time.sleep(delay)
        text = grown(text, index)
        yield text
