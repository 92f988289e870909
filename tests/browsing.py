"""What browser tests share: Playwright's `expect`, the message list, sending a message.

Playwright is imported when a browser test first asserts, not when a module imports this
one: modules that keep browser tests beside in-process ones still load without Playwright.
"""

from __future__ import annotations

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
