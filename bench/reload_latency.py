"""Time from saving the YAML to the open page showing the change, over repeated edits.

    python bench/reload_latency.py [--edits 20]

Starts `chatserve` on a copy of `configs/bot.yaml` in a temporary folder, opens the page in
Debian's Chromium, then edits the title again and again. Each edit is timed from just before
the file is written (`time.time()` in this process) to the moment the page has applied the new
revision (a MutationObserver in the page stamps `performance.timeOrigin + performance.now()`):
both read the same machine clock. Prints the median, p95 and maximum in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from servers import CHROMIUM_ARGS, Subject, launch

ROOT = Path(__file__).resolve().parent.parent
WATCH_REVISION = """() => { window.applied = new Promise((resolve) => {
    const root = document.documentElement;
    const start = root.dataset.revision;
    new MutationObserver((_, observer) => {
        if (root.dataset.revision !== start && document.title.startsWith("Edit ")) {
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
        }
    }).observe(root, {attributes: true, attributeFilter: ["data-revision"]});
}); }"""


async def measure(edits: int) -> list[float]:
    from playwright.async_api import async_playwright

    folder = Path(tempfile.mkdtemp(prefix="chatserve-reload-"))
    for name in ("bot.yaml", "bot.py"):
        shutil.copy(ROOT / "configs" / name, folder / name)
    config = folder / "bot.yaml"
    original = config.read_text()
    subject = Subject(
        "chatserve",
        lambda port: [sys.executable, "-m", "chatserve", "serve", str(config), "--port", str(port)],
    )
    latencies = []
    try:
        async with launch(subject, tokens=0) as server, async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = await browser.new_page()
            await page.goto(server.url)
            for n in range(1, edits + 1):
                await page.wait_for_timeout(250)  # let the last edit settle, as between saves
                await page.evaluate(WATCH_REVISION)
                written = time.time() * 1000
                config.write_text(original.replace("title: chatserve demo", f"title: Edit {n}"))
                latencies.append(await page.evaluate("window.applied") - written)
            await browser.close()
    finally:
        shutil.rmtree(folder)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    latencies = sorted(asyncio.run(measure(parser.parse_args().edits)))
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"{len(latencies)} edits: median {statistics.median(latencies):.0f} ms, "
        f"p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
