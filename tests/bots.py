"""The chat functions tests serve: `write_config` puts a copy of this file beside each test's
config as `bot.py` (a test that needs a function of its own passes it as `bot_py`)."""

import asyncio
import pathlib
import time

import chatserve


def echo(message, history, *inputs):
    text = message["text"] if isinstance(message, dict) else message
    return f"echo: {text} ({len(history)} in history)"


def stream(message, history):
    for i in range(1, 6):
        yield "word " * i


def paced(message, history):
    for i in range(1, 6):
        time.sleep(0.05)
        yield "word " * i


async def async_paced(message, history):
    for i in range(1, 6):
        await asyncio.sleep(0.05)
        yield "word " * i


def steady(message, history):
    for i in range(1, 9):
        time.sleep(0.2)
        yield "word " * i


def flood(message, history):
    reply = ""
    for i in range(5000):
        reply += f"t{i} "
        yield reply


async def async_flood(message, history):
    reply = ""
    for i in range(5000):
        reply += f"t{i} "
        await asyncio.sleep(0)  # lets the response run between yields
        yield reply


async def async_echo(message, history):
    await asyncio.sleep(0)
    return "async: " + message


async def async_stream(message, history):
    for i in range(1, 4):
        await asyncio.sleep(0)
        yield "tick " * i


def refuse(message, history):
    raise chatserve.Error("I can't answer that.")


def crash(message, history):
    raise RuntimeError("secret internal detail")


def partial_then_crash(message, history):
    yield "partial"
    raise RuntimeError("secret internal detail")


def markdown(message, history):
    return (
        "# Title\n\n**bold** line one\nline two\n\n- a\n- b\n\n"
        "```python\ndef code():\n    return 1\n```\n\n$$x^2$$"
    )


def picture(message, history):
    """A reply with a file: `NAME.png` beside this file, its bytes naming the message."""
    text = message["text"] if isinstance(message, dict) else message
    path = pathlib.Path(__file__).with_name(f"{text}.png")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + text.encode())
    return [f"here is {text}", {"path": str(path)}]


def xss(message, history):
    return (
        "<img src=x onerror='window.pwned=1'> <script>window.pwned=2</script> "
        "[click](javascript:window.pwned=3) **bold**"
    )


def xss_stream(message, history):
    payload = xss(message, history)
    for end in range(1, len(payload) + 1, 3):
        time.sleep(0.005)
        yield payload[:end]
    yield payload


def odd(message, history):
    return object()


def mutate(message, history):
    history.append({"role": "user", "content": "injected"})
    return str(len(history))


async def async_slow(message, history):
    try:
        for i in range(1000):
            await asyncio.sleep(0.05)
            yield f"step {i}"
    finally:
        with open("closed.txt", "w") as f:
            f.write("closed")


async def async_burst_then_slow(message, history):
    """Five steps at once (coalesced), then one every 50 ms (each sent as it comes); as many
    steps as the message says, else 1,000."""
    try:
        for i in range(int(message) if message.isdigit() else 1000):
            await asyncio.sleep(0 if i < 5 else 0.05)
            yield "step " * (i + 1)
    finally:
        with open("closed.txt", "w") as f:
            f.write("closed")


def slow(message, history):
    try:
        for i in range(1000):
            time.sleep(0.05)
            yield f"step {i}"
    finally:
        with open("closed.txt", "w") as f:
            f.write("closed")
