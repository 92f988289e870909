"""How fast the page renders a streamed reply, measured in Chromium.

    python bench/ui_stream.py [--tokens 20000] [--rate 2000] [--turns 250]

Serves `bench/stream_bot.yaml` (a generator whose reply grows by one token per yield, paced to
`--rate` tokens per second; the server coalesces them into one update every ~15 ms) and
measures, in the page:
  1. a `--tokens`-token reply in an empty conversation;
  2. the same reply after `--turns` quick turns (2 x turns messages on the page).
For each: tokens per second from the first token on the page to the last, and the frame times
seen by a requestAnimationFrame loop meanwhile (median, p95, max) — a page that re-renders
everything per token shows it as long frames.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path

from servers import CHROMIUM_ARGS, Subject, launch

ROOT = Path(__file__).resolve().parent.parent
# Start counting frames and wait for the first and the last token of the reply to show.
MEASURE = """async (last) => {
    const log = document.querySelector('[role=log]');
    const frames = [];
    let previous = performance.now(), running = true;
    const tick = (now) => { frames.push(now - previous); previous = now;
                            if (running) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    const seen = (text) => new Promise((resolve) => {
        const check = () => log.textContent.includes(text) ? resolve(performance.now())
                                                          : setTimeout(check, 1);
        check();
    });
    const first = await seen('token0 token1');
    const end = await seen(last);
    running = false;
    return {seconds: (end - first) / 1000, frames};
}"""


async def measure(tokens: int, rate: float, turns: int) -> list[tuple[str, dict]]:
    from playwright.async_api import async_playwright

    os.environ["RATE"] = str(rate)
    config = ROOT / "bench" / "stream_bot.yaml"
    subject = Subject(
        "chatserve",
        lambda port: [sys.executable, "-m", "chatserve", "serve", str(config), "--port",
                      str(port), "--no-reload"],
    )  # fmt: skip
    results = []
    async with launch(subject, tokens) as server, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(server.url)
        results.append((f"{tokens:,}-token reply", await _reply(page, tokens)))
        await page.get_by_role("button", name="Clear").click()
        for _ in range(turns):  # short turns to build a long conversation
            await _send(page, "x")
            await page.get_by_role("button", name="Send").wait_for()
        results.append(
            (f"{tokens:,}-token reply after {2 * turns} messages", await _reply(page, tokens))
        )
        await browser.close()
    return results


async def _send(page, text: str) -> None:
    await page.get_by_label("Message").fill(text)
    await page.keyboard.press("Enter")


async def _reply(page, tokens: int) -> dict:
    measuring = asyncio.ensure_future(page.evaluate(MEASURE, f"token{tokens - 1}"))
    await asyncio.sleep(0.05)
    await _send(page, str(tokens))
    result = await measuring
    frames = sorted(result["frames"][1:]) or [0.0]
    return {
        "tokens_per_second": tokens / result["seconds"] if result["seconds"] else float("inf"),
        "seconds": result["seconds"],
        "frame_median": statistics.median(frames),
        "frame_p95": frames[max(0, round(0.95 * len(frames)) - 1)],
        "frame_max": frames[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--turns", type=int, default=250)
    args = parser.parse_args()
    results = asyncio.run(measure(args.tokens, args.rate, args.turns))
    print(f"The bot streams at {args.rate:,.0f} tokens/s.\n")
    print("| case | tokens/s on the page | seconds | frame median / p95 / max (ms) |")
    print("|---|---:|---:|---:|")
    for name, r in results:
        print(
            f"| {name} | {r['tokens_per_second']:,.0f} | {r['seconds']:.2f} | "
            f"{r['frame_median']:.1f} / {r['frame_p95']:.1f} / {r['frame_max']:.1f} |"
        )


if __name__ == "__main__":
    main()
