"""The benchmark's chat function: a fast token stream with no model behind it.

`bench/run.py` serves this through chatserve and compares it with the bare Litestar endpoint in
`bench/floor.py`, which streams the same text. The function never sleeps, so the numbers measure
the server, not the bot. `TOKENS` (default 200) sets the length of the reply.
"""

import os


def reply(message, history):
    """Yield the reply so far, one token longer each time, up to "token0 token1 … token{N-1}"."""
    tokens = int(os.environ.get("TOKENS", "200"))
    text = ""
    for i in range(tokens):
        text = f"{text} token{i}" if text else f"token{i}"
        yield text
