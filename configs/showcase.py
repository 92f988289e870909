"""Every kind of reply chatserve shows, in one conversation: thoughts, an image, audio, a file,
a chart, a gallery, HTML and preset options; plus additional inputs and an output panel."""

import math
import struct
import tempfile
import time
import wave
from pathlib import Path

import chatserve

ASSETS = Path(__file__).parent / "assets"


class BarChart:
    """A tiny chart object: anything with `_repr_svg_` can be a chatserve.Plot."""

    def __init__(self, values):
        self.values = values

    def _repr_svg_(self):
        width, height, gap = 360, 160, 12
        bar = (width - gap * (len(self.values) + 1)) / len(self.values)
        top = max(self.values)
        bars = "".join(
            f'<rect x="{gap + i * (bar + gap):.0f}" y="{height - 20 - v / top * 120:.0f}" '
            f'width="{bar:.0f}" height="{v / top * 120:.0f}" rx="4" fill="#6366f1"/>'
            for i, v in enumerate(self.values)
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
            f'<rect width="100%" height="100%" fill="#f8fafc"/>{bars}</svg>'
        )


def tone(seconds=1.0, frequency=440.0, rate=16000):
    """A short sine tone as a WAV file in the temp dir (always servable)."""
    path = Path(tempfile.gettempdir()) / f"chatserve-tone-{int(frequency)}.wav"
    if not path.exists():
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            samples = (
                int(12000 * math.sin(2 * math.pi * frequency * n / rate))
                for n in range(int(seconds * rate))
            )
            out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def report(rows):
    path = Path(tempfile.gettempdir()) / "chatserve-report.csv"
    path.write_text("step,seconds\n" + "".join(f"{name},{sec}\n" for name, sec in rows))
    return path


def reply(message, history, style, detail, show_media):
    """Stream a short "agent" run: thoughts first, then the answer and its attachments."""
    plan = chatserve.ChatMessage(
        content="1. Read the question\n2. Find an image\n3. Draw a chart",
        metadata={"title": "Planning", "id": "plan", "status": "pending"},
    )
    yield [plan], {"status": "planning", "style": style}
    time.sleep(0.4)
    plan.metadata = {"title": "Planning", "id": "plan", "status": "done", "duration": 0.4}
    search = chatserve.ChatMessage(
        content="Found `assets/landscape.png`",
        metadata={"title": "Searched the assets", "parent_id": "plan", "log": "1 result"},
    )
    answer = f"Here is a **{style}** answer to: *{message}*"
    if detail > 1:
        answer += "\n\n" + "\n".join(f"- point {i}" for i in range(1, detail + 1))
    messages = [plan, search, answer]
    if show_media:
        messages += [
            chatserve.Image(str(ASSETS / "landscape.png"), alt_text="A generated landscape"),
            chatserve.Audio(str(tone())),
            {"path": str(report([("plan", 0.4), ("answer", 0.1)]))},
            chatserve.Plot(BarChart([3, 5, 2, 8, 6])),
        ]
    messages.append(
        {
            "role": "assistant",
            "content": "Want another one?",
            "options": [{"value": "Again, please", "label": "Again"}, {"value": "No, thanks"}],
        }
    )
    yield messages, {"status": "done", "style": style, "messages": len(messages)}
