"""Gradio-level UI options in Chromium: each key's visible effect on a real page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import expect, log, send
from helpers import wait_until

from chatserve.store.flags import FlagStore

if TYPE_CHECKING:
    from playwright.sync_api import Page


def css_var(page: Page, name: str) -> str:
    script = f"getComputedStyle(document.documentElement).getPropertyValue('{name}').trim()"
    return page.evaluate(script)


def test_custom_theme_css_and_js(open_bot) -> None:
    page = open_bot(
        'fn: bot.py:echo\ntheme: {base: ocean, primary: "#ff0055", radius: 3px}\n'
        'css: "body { letter-spacing: 0.5px; }"\n'
        "js: \"() => document.body.classList.add('custom-js-ran')\"\n"
    )
    expect(page.locator("html")).to_have_attribute("data-theme", "ocean")
    assert css_var(page, "--cs-accent") == "#ff0055"
    assert css_var(page, "--cs-radius") == "3px"
    assert page.evaluate("getComputedStyle(document.body).letterSpacing") == "0.5px"
    expect(page.locator("body")).to_have_class("custom-js-ran")


def test_markdown_code_highlighting_and_math(open_bot) -> None:
    page = open_bot("fn: bot.py:markdown\n")
    send(page, "x")
    expect(log(page).locator("strong", has_text="bold")).to_be_visible()
    expect(log(page).locator("br")).not_to_have_count(0)  # line_breaks
    expect(log(page).locator(".katex")).not_to_have_count(0)
    code = log(page).locator("pre code")
    expect(code.locator("span")).not_to_have_count(0)  # highlighted tokens


def test_render_markdown_off_and_no_math(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:markdown\nchatbot: {render_markdown: false, latex_delimiters: []}\n"
    )
    send(page, "x")
    expect(log(page)).to_contain_text("**bold**")
    expect(log(page).locator("strong")).to_have_count(0)
    expect(log(page).locator(".katex")).to_have_count(0)


def test_panel_layout_avatars_and_rtl(open_bot, tmp_path: Path) -> None:
    png = Path(__file__).resolve().parent.parent / "configs" / "assets" / "landscape.png"
    (tmp_path / "me.png").write_bytes(png.read_bytes())
    page = open_bot(
        "fn: bot.py:echo\nchatbot: {layout: panel, avatar_images: [me.png, null], rtl: true}\n"
    )
    send(page, "hello")
    expect(log(page)).to_contain_text("echo: hello")
    expect(log(page).locator("img[src*='api/files/']")).not_to_have_count(0)
    assert log(page).evaluate("el => getComputedStyle(el).direction") == "rtl" or (
        log(page).locator("[dir=rtl]").count() > 0
    )


def test_textbox_lines_counter_and_button_text(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\ntextbox: {lines: 3, max_length: 20, submit_btn: Ask}\n")
    box = page.get_by_label("Message")
    expect(box).to_have_attribute("rows", "3")
    box.fill("x" * 19)
    expect(page.get_by_text("19/20")).to_be_visible()
    expect(page.get_by_role("button", name="Ask")).to_be_visible()


def test_retry_undo_and_edit(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\neditable: true\n")
    send(page, "first")
    expect(log(page)).to_contain_text("echo: first (0 in history)")
    send(page, "second")
    expect(log(page)).to_contain_text("echo: second (2 in history)")
    page.get_by_role("button", name="Retry").click()
    expect(log(page).get_by_text("echo: second (2 in history)")).to_have_count(1)
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_label("Message")).to_have_value("second")
    expect(log(page)).not_to_contain_text("echo: second")
    page.get_by_role("button", name="Edit").first.click()
    editor = log(page).get_by_role("textbox")
    editor.fill("changed")
    log(page).get_by_role("button", name="Save").click()
    expect(log(page)).to_contain_text("echo: changed (0 in history)")
    expect(log(page)).not_to_contain_text("echo: first")


def test_examples_labels_and_fill_only(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:echo\nexamples: [the long example text]\nexample_labels: [Short]\n"
        "run_examples_on_click: false\n"
    )
    page.get_by_role("button", name="Short").click()
    expect(page.get_by_label("Message")).to_have_value("the long example text")
    expect(log(page)).not_to_contain_text("echo:")


def test_thumbs_and_flag_menu_are_recorded(open_bot, tmp_path: Path) -> None:
    page = open_bot(
        "fn: bot.py:echo\nflagging_mode: manual\nflagging_options: [Like, Dislike, Wrong]\n"
        "additional_inputs: [{type: slider, label: Heat, value: 3}]\n"
    )
    send(page, "rate me")
    expect(log(page)).to_contain_text("echo: rate me")
    like = log(page).get_by_role("button", name="Like", exact=True)
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")  # taken back
    log(page).get_by_role("button", name="Flag").click()
    page.get_by_role("menuitemradio", name="Wrong").click()
    store = FlagStore(tmp_path / ".chatserve" / "flagged")
    wait_until(lambda: len(list(store.flags())) == 3)
    flags = [flag.record() for flag in store.flags()]
    store.close()
    assert [(f["option"], f["action"]) for f in flags] == [
        ("Like", "flag"),
        (None, "undo"),
        ("Wrong", "flag"),
    ]
    assert flags[0]["message"] == [{"role": "assistant", "content": "echo: rate me (0 in history)"}]
    assert flags[0]["inputs"] == [3]  # the values the reply was made with
    assert len({f["id"] for f in flags}) == 3  # a fresh id per click


def test_saved_history_survives_a_reload(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nsave_history: true\n")
    send(page, "remember me")
    expect(log(page)).to_contain_text("echo: remember me")
    page.reload()
    page.get_by_role("button", name="remember me").click()
    expect(log(page)).to_contain_text("echo: remember me")


def test_fill_width_and_hidden_progress(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\nfill_width: true\n", viewport={"width": 1600, "height": 900})
    width = log(page).bounding_box()["width"]
    assert width > 1200


def test_no_horizontal_overflow_at_phone_size(open_bot) -> None:
    page = open_bot(
        "fn: bot.py:markdown\nsave_history: true\nflagging_mode: manual\neditable: true\n",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    send(page, "x")
    expect(log(page).locator("strong")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize(("spacing", "gap"), [("sm", 16.8), ("lg", 33.6)])
def test_custom_theme_spacing(open_bot, spacing: str, gap: float) -> None:
    page = open_bot(f"fn: bot.py:echo\ntheme: {{spacing: {spacing}}}\n")
    send(page, "one")
    send(page, "two")
    expect(log(page)).to_contain_text("echo: two")
    turns = log(page).locator(":scope > * > *")
    first, second = turns.nth(0).bounding_box(), turns.nth(1).bounding_box()
    assert second["y"] - (first["y"] + first["height"]) == pytest.approx(gap, abs=0.5)


FILES_PY = """
def describe(message, history):
    return f"{message['text']} with {len(message['files'])} file(s)"
"""


def test_edit_keeps_the_turns_files_and_can_be_stopped(open_bot) -> None:
    png = Path(__file__).resolve().parent.parent / "configs" / "assets" / "landscape.png"
    page = open_bot("fn: bot.py:describe\nmultimodal: true\neditable: true\n", bot_py=FILES_PY)
    page.locator("input[type=file]").set_input_files(str(png))
    send(page, "look")
    expect(log(page)).to_contain_text("look with 1 file(s)")
    log(page).get_by_role("button", name="Edit").click()
    log(page).get_by_role("textbox").fill("look again")
    log(page).get_by_role("button", name="Save").click()
    expect(log(page)).to_contain_text("look again with 1 file(s)")
    expect(log(page)).not_to_contain_text("look with 1 file(s)")


def test_a_running_edit_can_be_stopped(open_bot) -> None:
    page = open_bot("fn: bot.py:slow\neditable: true\n")
    send(page, "first")
    expect(log(page)).to_contain_text("step 1")
    page.get_by_role("button", name="Stop").click()
    log(page).get_by_role("button", name="Edit").click()
    log(page).get_by_role("textbox").fill("edited")
    log(page).get_by_role("button", name="Save").click()
    expect(log(page)).to_contain_text("step 1")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    shown = log(page).inner_text()
    page.wait_for_timeout(300)
    assert log(page).inner_text() == shown


CACHED_PY = """
import pathlib

CALLS = pathlib.Path(__file__).with_name("calls.txt")


def story(message, history):
    with CALLS.open("a") as calls:
        calls.write(message + "\\n")
    text = ""
    for n in range(60):
        text += f"word{n} "
        yield text
"""


def test_a_cached_example_answers_at_once_as_a_quick_stream(open_bot, tmp_path: Path) -> None:
    page = open_bot(
        "fn: bot.py:story\nexamples: [Tell me a story]\ncache_examples: true\n"
        "run_examples_on_click: false\n",  # cached answers are shown anyway
        bot_py=CACHED_PY,
    )
    # Record the reply's length at every frame, to see it grow.
    page.evaluate(
        """() => { window.lengths = [];
        const tick = () => { const reply = document.querySelector('.cs-replies');
        window.lengths.push(reply ? reply.textContent.length : 0); requestAnimationFrame(tick); };
        tick(); }"""
    )
    page.get_by_role("button", name="Tell me a story").click()
    expect(log(page)).to_contain_text("word59", timeout=2000)
    lengths = page.evaluate("window.lengths")
    partial = {n for n in lengths if 0 < n < max(lengths)}
    assert len(partial) >= 3  # replayed in steps, not pasted in one go
    assert (tmp_path / "calls.txt").read_text() == "Tell me a story\n"  # only at start-up
