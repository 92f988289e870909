"""What browser tests share: Playwright's `expect`, the message list, sending a message, the
"Use via API" panel's snippets.

Playwright is imported when a browser test first asserts, not when a module imports this
one: modules that keep browser tests beside in-process ones still load without Playwright.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import APIResponse, Locator, Page


def expect(actual: Page | Locator | APIResponse, message: str | None = None):
    """Playwright's `expect`: assertions that retry until they hold or time out."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, message)


def log(page: Page) -> Locator:
    """The message list."""
    return page.get_by_role("log")


def send(page: Page, text: str) -> None:
    """Type a message and press Send, as a person would."""
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


def open_api_panel(page: Page) -> None:
    """Click "Use via API" and wait for its panel."""
    page.get_by_role("button", name="Use via API").click()
    expect(page.get_by_role("dialog", name="Use this bot via its API")).to_be_visible()


def api_snippet(page: Page, client: str) -> str:
    """The code the API panel shows on `client`'s tab (`curl`, `python`, `openai`), as a person
    would copy it."""
    code = page.locator(f'[role=tabpanel][data-client="{client}"] pre code')
    return code.text_content() or ""


def run_snippet(client: str, code: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run an API panel's snippet as pasted (curl in `sh`, the others with this interpreter,
    which has httpx and openai); return what it printed."""
    command = ["sh", "-c", code] if client == "curl" else [sys.executable, "-c", code]
    done = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"the {client} snippet failed:\n{code}\n---\n{output}"
    return done.stdout
