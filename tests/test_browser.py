"""The web UI in Debian's Chromium, against a real server, used the way a person uses it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import expect, log, send
from helpers import wait_until

from chatserve.config.theme import THEMES

if TYPE_CHECKING:
    from playwright.sync_api import Page

WEB = Path(__file__).resolve().parent.parent / "web" / "src"


def test_page_shows_the_config(open_bot) -> None:
    page = open_bot(
        """
        fn: bot.py:echo
        title: Yes Man
        description: Ask **anything**
        chatbot: {placeholder: "<strong>Your Personal Yes-Man</strong>"}
        textbox: {placeholder: Ask me a yes or no question}
        examples: [Hello, "Am I cool?"]
        """,
    )
    expect(page).to_have_title("Yes Man")
    expect(page.get_by_role("heading", name="Yes Man")).to_be_visible()
    expect(page.locator("strong", has_text="anything")).to_be_visible()
    expect(page.locator("strong", has_text="Your Personal Yes-Man")).to_be_visible()
    message = page.get_by_label("Message")
    expect(message).to_have_attribute("placeholder", "Ask me a yes or no question")
    expect(message).to_be_focused()
    expect(page.get_by_role("button", name="Hello")).to_be_visible()
    expect(log(page)).to_be_attached()


def test_message_streams_and_stays(open_bot) -> None:
    page = open_bot("fn: bot.py:steady\n")
    send(page, "hello there")
    expect(log(page)).to_contain_text("hello there")
    # Mid-stream: part of the reply is shown, the log is busy and Stop replaces Send.
    expect(log(page)).to_contain_text("word word")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(log(page)).to_have_attribute("aria-busy", "true")
    expect(log(page)).to_contain_text(("word " * 8).strip())
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(log(page)).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_label("Message")).to_have_value("")


def test_history_goes_back_to_the_server(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n")
    send(page, "one")
    expect(log(page)).to_contain_text("echo: one (0 in history)")
    send(page, "two")
    expect(log(page)).to_contain_text("echo: two (2 in history)")


def test_stop_keeps_the_partial_reply_and_closes_the_function(open_bot, tmp_path: Path) -> None:
    page = open_bot("fn: bot.py:slow\n")
    send(page, "go")
    expect(log(page)).to_contain_text("step 2")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(log(page)).to_contain_text("step")
    wait_until((tmp_path / "closed.txt").exists)  # the generator's `finally` ran
    shown = log(page).inner_text()
    page.wait_for_timeout(300)
    assert log(page).inner_text() == shown, "the reply kept growing after Stop"


def test_clicking_an_example_sends_it(open_bot) -> None:
    page = open_bot('fn: bot.py:echo\nexamples: ["Am I cool?"]\n')
    page.get_by_role("button", name="Am I cool?").click()
    expect(log(page)).to_contain_text("echo: Am I cool? (0 in history)")
    expect(page.get_by_role("button", name="Am I cool?")).to_have_count(0)


def test_markdown_is_rendered(open_bot) -> None:
    page = open_bot("fn: bot.py:markdown\n")
    send(page, "x")
    expect(log(page).locator("li")).to_have_count(2)
    expect(log(page).locator("pre code")).to_contain_text("code")
    expect(log(page).get_by_role("heading", name="Title")).to_be_visible()


@pytest.mark.parametrize("fn", ["xss", "xss_stream"])
def test_message_html_is_sanitized_also_mid_stream(open_bot, fn: str) -> None:
    page = open_bot(f"fn: bot.py:{fn}\n")
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    send(page, "x")
    expect(log(page).locator("strong", has_text="bold")).to_be_visible()
    expect(log(page)).to_contain_text("click")
    page.wait_for_timeout(200)  # give an injected handler the chance to run
    assert page.evaluate("window.pwned") is None
    assert log(page).locator("script, [onerror], a[href^='javascript']").count() == 0
    assert dialogs == []


def test_chat_function_errors_are_shown_and_the_ui_recovers(open_bot) -> None:
    page = open_bot("fn: bot.py:refuse\n")
    send(page, "x")
    expect(log(page)).to_contain_text("I can't answer that.")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.get_by_label("Message")).to_be_editable()


def test_generic_failure_hides_internals(open_bot) -> None:
    page = open_bot("fn: bot.py:crash\n")
    send(page, "x")
    expect(log(page)).to_contain_text("Something went wrong")
    expect(log(page)).not_to_contain_text("secret")


def _background(page: Page) -> tuple[int, ...]:
    color = page.evaluate("getComputedStyle(document.body).backgroundColor")
    return tuple(int(part) for part in color[color.index("(") + 1 : -1].split(",")[:3])


def test_dark_mode_follows_the_system_and_the_toggle(open_bot) -> None:
    dark = open_bot("fn: bot.py:echo\n", color_scheme="dark")
    assert sum(_background(dark)) < 3 * 80, _background(dark)
    light = open_bot("fn: bot.py:echo\n", color_scheme="light")
    assert sum(_background(light)) > 3 * 200, _background(light)
    # The toggle overrides the system setting and survives a reload.
    toggle = light.get_by_role("button", name=re.compile("^Color scheme"))
    while toggle.get_attribute("aria-label") != "Color scheme: Dark":
        toggle.click()
    expect(light.locator("html")).to_have_attribute("data-color-scheme", "dark")
    _wait_until_dark(light)
    light.reload()
    expect(light.locator("html")).to_have_attribute("data-color-scheme", "dark")
    _wait_until_dark(light)


def _wait_until_dark(page: Page) -> None:
    # The page fades between schemes; give the transition time to end.
    wait_until(lambda: sum(_background(page)) < 3 * 80)


@pytest.mark.parametrize("theme", THEMES)
def test_each_theme_colours_the_page_and_the_page_carries_only_its_own(open_bot, theme) -> None:
    page = open_bot(f"fn: bot.py:echo\ntheme: {theme}\n")
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    stylesheet = WEB / ("themes.css" if theme == "default" else f"themes/{theme}.css")
    light_accent = re.search(r"--cs-accent: (#\w+);", stylesheet.read_text()).group(1)
    accent = "getComputedStyle(document.documentElement).getPropertyValue('--cs-accent')"
    assert page.evaluate(accent).strip() == light_accent
    html = page.content()
    assert [name for name in THEMES if f'[data-theme="{name}"]' in html] == (
        [] if theme == "default" else [theme]
    )


def test_usable_at_phone_width(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\ntitle: A rather long title for a small screen\n",
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    send(page, "https://example.com/" + "a-very-long-unbroken-url-segment" * 5)
    expect(log(page)).to_contain_text("echo:")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.get_by_label("Message").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740
