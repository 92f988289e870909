"""Live reload in Chromium: the page follows the YAML without a reload click."""

from __future__ import annotations

from pathlib import Path

from browsing import expect, log, send


def test_a_good_edit_shows_up_without_a_reload_click(write_config, open_bot) -> None:
    path = write_config("fn: bot.py:echo\ntitle: Before\nexamples: [one]\n")
    page = open_bot(path)
    send(page, "kept")
    expect(log(page)).to_contain_text("echo: kept")
    page.evaluate("window.notReloaded = true")
    path.write_text("fn: bot.py:echo\ntitle: After\ntheme: ocean\n")
    expect(page.get_by_role("heading", name="After")).to_be_visible()
    expect(page).to_have_title("After")
    expect(page.locator("html")).to_have_attribute("data-theme", "ocean")
    expect(page.locator("html")).to_have_attribute("data-revision", "2")
    accent = "getComputedStyle(document.documentElement).getPropertyValue('--cs-accent')"
    assert page.evaluate(accent).strip() == "#0369a1"  # ocean's rules came with the reload
    assert page.evaluate("window.notReloaded") is True  # applied in place
    expect(log(page)).to_contain_text("echo: kept")  # the conversation stays


def test_a_broken_edit_shows_the_overlay_and_the_old_app_answers(write_config, open_bot) -> None:
    path = write_config("fn: bot.py:echo\ntitle: Good\n")
    page = open_bot(path)
    path.write_text("fn: bot.py:echo\ntitle: Good\ntheme: blue\n")
    overlay = page.get_by_role("alert")
    expect(overlay).to_contain_text("bot.yaml:3:1: theme: must be one of")
    expect(overlay).to_contain_text("got 'blue'")
    send(page, "still there?")
    expect(log(page)).to_contain_text("echo: still there? (0 in history)")
    path.write_text("fn: bot.py:echo\ntitle: Fixed\n")
    expect(page.get_by_role("heading", name="Fixed")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_the_overlay_can_be_dismissed(write_config, open_bot) -> None:
    path = write_config("fn: bot.py:echo\n")
    page = open_bot(path)
    path.write_text("fn: bot.py:echo\ntitel: x\n")
    expect(page.get_by_role("alert")).to_contain_text("did you mean 'title'?")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_a_stream_running_across_an_edit_finishes(write_config, open_bot) -> None:
    path = write_config("fn: bot.py:steady\ntitle: A\n")
    page = open_bot(path)
    send(page, "go")
    expect(log(page)).to_contain_text("word word")
    path.write_text("fn: bot.py:steady\ntitle: B\n")
    expect(page.get_by_role("heading", name="B")).to_be_visible()
    expect(log(page)).to_contain_text(("word " * 8).strip())
    expect(page.get_by_role("button", name="Send")).to_be_visible()


def test_new_inputs_appear_and_reach_the_new_function(
    write_config, open_bot, tmp_path: Path
) -> None:
    path = write_config("fn: bot.py:echo\n")
    page = open_bot(path)
    (tmp_path / "bot.py").write_text(
        "def echo(message, history, tone):\n    return f'{tone}: {message}'\n"
    )
    path.write_text(
        "fn: bot.py:echo\nadditional_inputs:\n  - {type: textbox, label: Tone, value: calm}\n"
        "additional_inputs_accordion: {label: Settings, open: true}\n"
    )
    expect(page.get_by_label("Tone")).to_have_value("calm")
    send(page, "hello")
    expect(log(page)).to_contain_text("calm: hello")
