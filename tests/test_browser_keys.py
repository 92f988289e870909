"""One config key at a time in Chromium: each test asserts the key's visible effect on a real page
(and, where it is cheap, the default for contrast)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import expect, log, send
from helpers import BOT_PY, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Page

PNG = Path(__file__).resolve().parent.parent / "configs" / "assets" / "landscape.png"

KEYS_PY = (
    BOT_PY
    + """

HERE = pathlib.Path(__file__).resolve().parent


def styled(message, history):
    return (
        '<span style="color: rgb(255, 0, 0)">red text</span> '
        "<img src=x onerror='window.pwned=1'> <script>window.pwned=2</script>"
    )


def two(message, history):
    return ["first part", "second part"]


def picture(message, history):
    return chatserve.Image(str(HERE / "pic.png"))


def long(message, history):
    return "\\n\\n".join(f"line {i}" for i in range(80))


def long_stream(message, history):
    lines = []
    for i in range(60):
        time.sleep(0.04)
        lines.append(f"line {i}")
        yield "\\n\\n".join(lines)


def late(message, history):
    time.sleep(2)
    return "late reply"


CALLS = []


def slow_on_retry(message, history):
    CALLS.append(message)
    if len(CALLS) == 1:
        yield "first answer"
        return
    yield from slow(message, history)
"""
)


@pytest.fixture
def bot_py(tmp_path: Path) -> str:
    """This module's chat functions beside the shared ones, and the picture they show."""
    (tmp_path / "pic.png").write_bytes(PNG.read_bytes())
    return KEYS_PY


def height(page: Page) -> float:
    return log(page).bounding_box()["height"]


def clipboard(page: Page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


CLIPBOARD = {"permissions": ["clipboard-read", "clipboard-write"]}


# chatbot.height / min_height / max_height ------------------------------------------------------


def test_chatbot_height_fixes_the_message_list(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\nchatbot: {height: 300}\n", viewport={"width": 1000, "height": 900}
    )
    assert abs(height(page) - 300) <= 4  # the frame's border takes a pixel or two
    send(page, "hi")
    expect(log(page)).to_contain_text("echo: hi")
    assert abs(height(page) - 300) <= 4


def test_default_height_fills_the_window(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n", viewport={"width": 1000, "height": 900})
    assert height(page) > 500


def test_chatbot_min_height_wins_over_a_short_window(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\nchatbot: {min_height: 600}\n", viewport={"width": 1000, "height": 400}
    )
    assert height(page) >= 596


def test_chatbot_max_height_caps_a_tall_window(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\nchatbot: {max_height: 200}\n", viewport={"width": 1000, "height": 900}
    )
    assert height(page) <= 202


# chatbot message rendering and buttons ----------------------------------------------------------


def styled_reply(open_bot, yaml: str) -> tuple[Page, str]:
    page = open_bot(yaml)
    send(page, "x")
    red = log(page).get_by_text("red text")
    expect(red).to_be_visible()
    expect(log(page).locator("script")).to_have_count(0)
    expect(log(page).locator("[onerror]")).to_have_count(0)
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None  # neither the <script> nor onerror ran
    return page, red.evaluate("el => getComputedStyle(el).color")


def test_sanitize_html_false_keeps_styles_but_never_scripts(open_bot) -> None:
    _, color = styled_reply(open_bot, "fn: bot.py:styled\nchatbot: {sanitize_html: false}\n")
    assert color == "rgb(255, 0, 0)"


def test_sanitize_html_default_removes_scripts(open_bot) -> None:
    styled_reply(open_bot, "fn: bot.py:styled\n")


def test_sanitize_html_default_strips_styles(open_bot) -> None:
    _, color = styled_reply(open_bot, "fn: bot.py:styled\n")
    assert color != "rgb(255, 0, 0)"


def test_show_copy_button_false_removes_the_reply_copy(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nchatbot: {show_copy_button: false}\n")
    send(page, "hi")
    expect(log(page)).to_contain_text("echo: hi")
    expect(log(page).get_by_role("button", name="Retry")).to_be_visible()
    expect(log(page).get_by_role("button", name="Copy")).to_have_count(0)


def test_reply_has_a_copy_button_by_default(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n", **CLIPBOARD)
    send(page, "hi")
    expect(log(page)).to_contain_text("echo: hi")
    log(page).get_by_role("button", name="Copy").last.click()
    wait_until(lambda: clipboard(page) == "echo: hi (0 in history)")


def test_show_copy_all_button_copies_role_content_blocks(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nchatbot: {show_copy_all_button: true}\n", **CLIPBOARD)
    copy_all = page.get_by_role("button", name="Copy conversation")
    expect(copy_all).to_have_count(0)  # nothing to copy yet
    send(page, "hi")
    expect(log(page)).to_contain_text("echo: hi")
    copy_all.click()
    wait_until(lambda: clipboard(page) == "user: hi\n\nassistant: echo: hi (0 in history)")


def test_copy_all_button_is_off_by_default(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n")
    send(page, "hi")
    expect(log(page)).to_contain_text("echo: hi")
    expect(page.get_by_role("button", name="Copy conversation")).to_have_count(0)


def test_watermark_is_appended_to_copied_text(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\nchatbot: {show_copy_all_button: true, watermark: Made with chatserve}\n",
        **CLIPBOARD,
    )
    send(page, "hi")
    expect(log(page)).to_contain_text("echo: hi")
    log(page).get_by_role("button", name="Copy").last.click()
    wait_until(lambda: clipboard(page) == "echo: hi (0 in history)\n\nMade with chatserve")
    page.get_by_role("button", name="Copy conversation").click()
    copied = "user: hi\n\nassistant: echo: hi (0 in history)\n\nMade with chatserve"
    wait_until(lambda: clipboard(page) == copied)


@pytest.mark.parametrize(("grouped", "avatars"), [(True, 1), (False, 2)])
def test_group_consecutive_messages(open_bot, grouped: bool, avatars: int) -> None:
    page = open_bot(
        "fn: bot.py:two\nchatbot: {avatar_images: [null, pic.png], "
        f"group_consecutive_messages: {str(grouped).lower()}}}\n"
    )
    send(page, "x")
    expect(log(page)).to_contain_text("second part")
    shown = (
        log(page)
        .locator("img[src*='api/files/']")
        .evaluate_all(
            "els => els.filter(el => el.checkVisibility({visibilityProperty: true})).length"
        )
    )
    assert shown == avatars


@pytest.mark.parametrize("allowed", [True, False])
def test_allow_file_downloads(open_bot, allowed: bool) -> None:
    page = open_bot(
        f"fn: bot.py:picture\nchatbot: {{allow_file_downloads: {str(allowed).lower()}}}\n"
    )
    send(page, "x")
    expect(log(page).get_by_role("img")).to_be_visible()
    download = log(page).get_by_role("link", name=re.compile("^Download"))
    expect(download).to_have_count(1 if allowed else 0)


def test_resizable_adds_a_keyboard_operable_handle(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\nchatbot: {resizable: true}\n", viewport={"width": 1000, "height": 900}
    )
    handle = page.get_by_role("separator", name="Resize conversation")
    expect(handle).to_be_visible()
    before = height(page)
    handle.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    wait_until(lambda: round(before - height(page)) == 80)


def test_no_resize_handle_by_default(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n")
    expect(page.get_by_role("separator", name="Resize conversation")).to_have_count(0)


# textbox ---------------------------------------------------------------------------------------


def test_textbox_max_lines_stops_the_growth(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\ntextbox: {max_lines: 3}\n", viewport={"width": 1000, "height": 900}
    )
    box = page.get_by_label("Message")
    box.fill("a\nb\nc")
    three = box.bounding_box()["height"]
    box.fill("\n".join("abcdefgh"))
    assert box.bounding_box()["height"] <= three + 1
    assert box.evaluate("el => el.scrollHeight > el.clientHeight")


def test_textbox_grows_with_its_text_by_default(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n", viewport={"width": 1000, "height": 900})
    box = page.get_by_label("Message")
    box.fill("a\nb\nc")
    three = box.bounding_box()["height"]
    box.fill("\n".join("abcdefgh"))
    assert box.bounding_box()["height"] > three + 20


def test_textbox_stop_btn_text_shows_while_streaming(open_bot, tmp_path: Path) -> None:
    page = open_bot("fn: bot.py:slow\ntextbox: {stop_btn: Halt}\n")
    expect(page.get_by_role("button", name="Halt")).to_be_hidden()
    send(page, "go")
    halt = page.get_by_role("button", name="Halt")
    expect(halt).to_be_visible()
    expect(log(page)).to_contain_text("step 2")
    halt.click()
    expect(log(page)).to_contain_text("Stopped")
    expect(halt).to_be_hidden()
    wait_until((tmp_path / "closed.txt").exists)


def test_textbox_autofocus_false_overrides_top_level(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nautofocus: true\ntextbox: {autofocus: false}\n")
    page.wait_for_timeout(300)
    expect(page.get_by_label("Message")).not_to_be_focused()


def test_message_box_has_focus_by_default(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n")
    expect(page.get_by_label("Message")).to_be_focused()


# conversation actions --------------------------------------------------------------------------


def test_clear_empties_the_log(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n")
    send(page, "hi")
    expect(log(page)).to_contain_text("echo: hi")
    page.get_by_role("button", name="Clear").click()
    expect(log(page)).to_have_text("")
    expect(page.get_by_role("button", name="Clear")).to_be_hidden()
    send(page, "again")
    expect(log(page)).to_contain_text("echo: again")
    expect(log(page)).not_to_contain_text("echo: hi")


def test_stop_works_during_a_retry(open_bot, tmp_path: Path) -> None:
    page = open_bot("fn: bot.py:slow_on_retry\n")
    send(page, "question")
    expect(log(page)).to_contain_text("first answer")
    log(page).get_by_role("button", name="Retry").click()
    expect(log(page)).not_to_contain_text("first answer")
    expect(log(page).get_by_text("question", exact=True)).to_be_visible()  # back at once
    expect(log(page)).to_contain_text("step 2")
    page.get_by_role("button", name="Stop").click()
    expect(log(page)).to_contain_text("Stopped")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    wait_until((tmp_path / "closed.txt").exists)


def test_escape_stops_a_streaming_reply(open_bot, tmp_path: Path) -> None:
    page = open_bot("fn: bot.py:slow\n")
    send(page, "go")
    expect(log(page)).to_contain_text("step 2")
    log(page).click(position={"x": 5, "y": 5})  # focus away from the composer: "from anywhere"
    expect(page.get_by_label("Message")).not_to_be_focused()
    page.keyboard.press("Escape")
    expect(log(page)).to_contain_text("Stopped")
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    wait_until((tmp_path / "closed.txt").exists)
    stopped_at = log(page).inner_text()
    page.wait_for_timeout(300)
    assert log(page).inner_text() == stopped_at


# examples --------------------------------------------------------------------------------------


def test_example_icons_show_in_the_card(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nexamples: [Hello there]\nexample_icons: [pic.png]\n")
    card = page.get_by_role("button", name="Hello there")
    icon = card.locator("img")
    expect(icon).to_be_visible()
    expect(icon).to_have_attribute("src", re.compile("api/files/"))
    assert icon.evaluate("img => img.complete && img.naturalWidth > 0")


def test_multimodal_example_files_show_as_thumbnail_and_chips(open_bot, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    page = open_bot(
        "fn: bot.py:echo\nmultimodal: true\n"
        "textbox: {file_count: multiple}\n"
        "examples:\n  - {text: Describe these, files: [pic.png, notes.txt]}\n"
    )
    card = page.get_by_role("button", name=re.compile("Describe these"))
    expect(card.locator("img")).to_be_visible()
    expect(card.get_by_text("pic.png")).to_be_visible()
    expect(card.get_by_text("notes.txt")).to_be_visible()
    card.click()
    expect(log(page)).to_contain_text("echo: Describe these")
    expect(log(page).locator("img[src*='api/files/']")).not_to_have_count(0)  # the sent picture


# save_history ----------------------------------------------------------------------------------


def saved(page: Page, title: str):
    nav = page.get_by_role("navigation", name="Conversations")
    return nav.get_by_role("button", name=title, exact=True)


def test_saved_history_rename_and_delete(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nsave_history: true\n")
    nav = page.get_by_role("navigation", name="Conversations")
    send(page, "alpha question")
    expect(log(page)).to_contain_text("echo: alpha question")
    nav.get_by_role("button", name="New chat").click()
    send(page, "beta question")
    expect(log(page)).to_contain_text("echo: beta question")
    expect(saved(page, "alpha question")).to_be_visible()
    # An item's tools show on hover or focus (always on the current conversation).
    saved(page, "alpha question").hover()
    nav.get_by_role("button", name="Rename alpha question").click()
    name = nav.get_by_role("textbox", name="Conversation name")
    name.fill("My renamed chat")
    name.press("Enter")
    expect(saved(page, "My renamed chat")).to_be_visible()
    page.reload()
    expect(saved(page, "My renamed chat")).to_be_visible()
    expect(saved(page, "alpha question")).to_have_count(0)
    saved(page, "My renamed chat").hover()
    nav.get_by_role("button", name="Delete My renamed chat").click()
    expect(saved(page, "My renamed chat")).to_have_count(0)
    expect(saved(page, "beta question")).to_be_visible()
    page.reload()
    expect(saved(page, "beta question")).to_be_visible()
    expect(saved(page, "My renamed chat")).to_have_count(0)


def test_deleting_the_only_saved_conversation(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nsave_history: true\n")
    nav = page.get_by_role("navigation", name="Conversations")
    send(page, "alpha question")
    expect(log(page)).to_contain_text("echo: alpha question")
    nav.get_by_role("button", name="Delete alpha question").click()
    expect(saved(page, "alpha question")).to_have_count(0)
    expect(nav).to_contain_text("Your conversations will appear here.")


# layout and scrolling --------------------------------------------------------------------------

PAGE_SCROLLS = "document.scrollingElement.scrollHeight > window.innerHeight + 1"


def test_fill_height_false_lets_the_page_scroll(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:long\nfill_height: false\n", viewport={"width": 1000, "height": 800}
    )
    assert height(page) < 800 * 0.75  # not stretched to the window
    send(page, "x")
    expect(log(page)).to_contain_text("line 79")
    assert page.evaluate(PAGE_SCROLLS)
    assert height(page) > 800  # the list takes its natural height
    assert page.evaluate("window.scrollY") > 0  # and the page followed the reply


def test_fill_height_default_scrolls_inside_the_list(open_bot) -> None:
    page = open_bot("fn: bot.py:long\n", viewport={"width": 1000, "height": 800})
    send(page, "x")
    expect(log(page)).to_contain_text("line 79")
    assert not page.evaluate(PAGE_SCROLLS)
    assert height(page) < 800
    assert log(page).evaluate("el => el.scrollHeight > el.clientHeight")


def scroll_during_stream(page: Page) -> tuple[int, int]:
    send(page, "x")
    expect(log(page)).to_contain_text("line 15")
    early = log(page).evaluate("el => el.scrollTop")
    expect(page.get_by_role("button", name="Retry")).to_be_visible(timeout=15_000)
    return early, log(page).evaluate("el => el.scrollTop")


def test_autoscroll_false_keeps_the_scroll_position(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:long_stream\nautoscroll: false\n", viewport={"width": 1000, "height": 700}
    )
    early, late = scroll_during_stream(page)
    assert late == early
    assert log(page).evaluate("el => el.scrollHeight - el.clientHeight") > early + 200


def test_autoscroll_default_follows_the_reply(open_bot) -> None:
    page = open_bot("fn: bot.py:long_stream\n", viewport={"width": 1000, "height": 700})
    early, late = scroll_during_stream(page)
    assert late > early + 200
    assert log(page).evaluate("el => el.scrollHeight - el.clientHeight - el.scrollTop") < 50


ELAPSED = re.compile(r"^\d+\.\ds$")


@pytest.mark.parametrize(("mode", "shown"), [("hidden", False), ("full", True), ("minimal", True)])
def test_show_progress_while_waiting_for_the_first_token(open_bot, mode: str, shown: bool) -> None:
    page = open_bot(f"fn: bot.py:late\nshow_progress: {mode}\n")
    send(page, "x")
    expect(log(page).get_by_text("x", exact=True)).to_be_visible()
    elapsed = log(page).get_by_text(ELAPSED)
    if shown:
        expect(elapsed).to_be_visible()
        expect(elapsed).not_to_have_text("0.0s")  # it counts up
    else:
        page.wait_for_timeout(700)
        expect(elapsed).to_be_hidden()
        assert log(page).evaluate(
            "el => [...el.querySelectorAll('*')].every(n => !n.checkVisibility() "
            "|| !/^\\d+\\.\\ds$/.test(n.textContent.trim()))"
        )
    expect(log(page)).to_contain_text("late reply", timeout=10_000)
    expect(elapsed).to_have_count(0)


# accessibility ---------------------------------------------------------------------------------

RECORD_ANNOUNCEMENTS = """
() => {
  const status = [...document.querySelectorAll('[role=status]')].find(
    (el) => !el.closest('[role=log]'));
  window.announced = [];
  new MutationObserver(() => {
    const text = status.textContent.trim();
    if (text) window.announced.push(text);
  }).observe(status, {childList: true, characterData: true, subtree: true});
  const log = document.querySelector('[role=log]');
  window.liveWhileBusy = [];
  new MutationObserver(() => {
    if (log.getAttribute('aria-busy') === 'true') {
      window.liveWhileBusy.push(log.getAttribute('aria-live'));
    }
  }).observe(log, {attributes: true, childList: true, subtree: true, characterData: true});
}
"""


def test_completed_reply_is_announced_once(open_bot) -> None:
    page = open_bot("fn: bot.py:steady\n")
    page.evaluate(RECORD_ANNOUNCEMENTS)
    send(page, "x")
    expect(log(page)).to_have_attribute("aria-live", "off")
    expect(log(page)).to_have_attribute("aria-busy", "true")
    expect(log(page)).to_contain_text("word word")
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    expect(log(page)).to_have_attribute("aria-live", "polite")
    final = ("word " * 8).strip()
    wait_until(lambda: page.evaluate("window.announced") == [final])
    page.wait_for_timeout(300)
    assert page.evaluate("window.announced") == [final]
    assert set(page.evaluate("window.liveWhileBusy")) == {"off"}


# css_paths and head_paths ----------------------------------------------------------------------


def test_css_paths_and_head_paths_reach_the_page(open_bot, tmp_path: Path) -> None:
    (tmp_path / "extra.css").write_text("body { word-spacing: 7px; }\n")
    (tmp_path / "head.html").write_text('<meta name="chatserve-test" content="from head_paths">\n')
    page = open_bot("fn: bot.py:echo\ncss_paths: [extra.css]\nhead_paths: head.html\n")
    assert page.evaluate("getComputedStyle(document.body).wordSpacing") == "7px"
    expect(page.locator("head meta[name=chatserve-test]")).to_have_attribute(
        "content", "from head_paths"
    )


def test_no_custom_css_by_default(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\n")
    assert page.evaluate("getComputedStyle(document.body).wordSpacing") == "0px"
    expect(page.locator("head meta[name=chatserve-test]")).to_have_count(0)
