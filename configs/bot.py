"""The demo bot: streams a Markdown reply with a heading, a list, a table and code."""

import re
import time

TOKEN_DELAY = 0.02  # seconds between tokens, so the streaming is visible

TEMPLATE = """\
### You said: {message}

Here is what this demo can show while it streams:

1. **Markdown**, rendered and sanitized as each token arrives
2. Lists, `inline code` and [links](https://example.com)
3. Tables and fenced code blocks

| turn | messages so far |
|-----:|----------------:|
| {turn} | {count} |

```python
def reply(message, history):
    for token in answer(message):
        yield token  # each yield is the whole reply so far
```

> Edit `configs/bot.py` to make it your own.
"""


HAIKU = """\
*Indented with care,*
*one colon out of its place —*
*the loader points: line 12.*
"""


def reply(message, history):
    """Yield the reply a token at a time; each yield is the whole reply so far."""
    if "haiku" in message.lower():
        text = HAIKU
    else:
        text = TEMPLATE.format(
            message=message.strip() or "(nothing)",
            turn=sum(1 for m in history if m["role"] == "user") + 1,
            count=len(history),
        )
    tokens = [*re.findall(r"\s*\S+", text), "\n"]
    so_far = ""
    for token in tokens:
        so_far += token
        time.sleep(TOKEN_DELAY)
        yield so_far
