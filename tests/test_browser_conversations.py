"""Saved conversations (`save_history: server`) in Chromium: chat, reload, find it in the panel,
open it on a second device signed in as the same user, search, rename, delete, at phone width,
ratings and inputs' values restored, Download all and Delete all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from browsing import expect, log, send

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

PRIVATE = """
title: Travel helper
fn: bot.py:echo
save_history: server
flagging_mode: manual
additional_inputs:
  - {type: slider, label: Days, minimum: 1, maximum: 14, value: 3}
additional_inputs_accordion: {label: Trip, open: true}
server:
  auth:
    users:
      - {username: ana, password: ana-secret}
      - {username: ben, password: ben-secret}
"""
OPEN = "fn: bot.py:echo\nsave_history: server\n"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def panel(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Conversations")


def saved(page: Page, title: str) -> Locator:
    return panel(page).get_by_role("button", name=title, exact=True)


def signed_in(new_page: Callable[..., Page], url: str, user: str, **context) -> Page:
    page = new_page(**context)
    page.goto(url)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(f"{user}-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Message")).to_be_visible()
    return page


def chat(page: Page, text: str) -> None:
    send(page, text)
    expect(log(page)).to_contain_text(f"echo: {text}")


def test_a_conversation_follows_its_user_to_a_second_device(
    write_config, live_server, new_page
) -> None:
    url = live_server(write_config(PRIVATE)).url
    laptop = signed_in(new_page, url, "ana")
    chat(laptop, "Plan a trip to Rome")
    expect(saved(laptop, "Plan a trip to Rome")).to_be_visible()
    laptop.reload()
    expect(saved(laptop, "Plan a trip to Rome")).to_be_visible()
    expect(log(laptop)).not_to_contain_text("echo:")  # a reload starts a new chat

    phone = signed_in(new_page, url, "ana")  # a second device: its own cookies, the same user
    saved(phone, "Plan a trip to Rome").click()
    expect(log(phone)).to_contain_text("echo: Plan a trip to Rome (0 in history)")
    chat(phone, "With kids")
    expect(log(phone)).to_contain_text("echo: With kids (2 in history)")  # it went on

    laptop.reload()
    saved(laptop, "Plan a trip to Rome").click()
    expect(log(laptop)).to_contain_text("echo: With kids (2 in history)")
    expect(saved(laptop, "Plan a trip to Rome")).to_have_count(1)  # one conversation, two devices

    ben = signed_in(new_page, url, "ben")  # another user sees none of it
    expect(panel(ben)).to_contain_text("Your conversations will appear here.")
    expect(saved(ben, "Plan a trip to Rome")).to_have_count(0)


def test_ratings_and_inputs_come_back_with_the_conversation(
    write_config, live_server, new_page
) -> None:
    url = live_server(write_config(PRIVATE)).url
    page = signed_in(new_page, url, "ana")
    days = page.get_by_role("slider", name="Days")
    for _ in range(6):
        days.press("ArrowRight")
    expect(days).to_have_value("9")
    chat(page, "Pack for Lisbon")
    page.get_by_role("button", name="Like", exact=True).click()
    expect(page.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    page.reload()
    expect(page.get_by_role("slider", name="Days")).to_have_value("3")
    saved(page, "Pack for Lisbon").click()
    expect(log(page)).to_contain_text("echo: Pack for Lisbon")
    expect(page.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_role("slider", name="Days")).to_have_value("9")


def test_search_rename_and_delete(open_bot) -> None:
    page = open_bot(OPEN)
    for text in ("alpha: Rome in May", "beta: 100% sure?", "gamma: snake_case"):
        panel(page).get_by_role("button", name="New chat").click()
        chat(page, text)
    search = panel(page).get_by_role("searchbox", name="Search conversations")
    search.fill("BETA")
    expect(saved(page, "beta: 100% sure?")).to_be_visible()
    expect(saved(page, "alpha: Rome in May")).to_have_count(0)
    expect(panel(page).get_by_role("heading", name="Results")).to_be_visible()
    search.fill("_")  # not a wildcard
    expect(panel(page).get_by_role("listitem")).to_have_count(1)
    expect(saved(page, "gamma: snake_case")).to_be_visible()
    search.fill("no such words")
    expect(panel(page)).to_contain_text("No conversation has “no such words”.")
    panel(page).get_by_role("button", name="Clear search").click()
    expect(saved(page, "alpha: Rome in May")).to_be_visible()
    expect(search).to_have_value("")

    saved(page, "alpha: Rome in May").hover()
    panel(page).get_by_role("button", name="Rename alpha: Rome in May").click()
    name = panel(page).get_by_role("textbox", name="Conversation name")
    name.fill("Rome, with kids")
    name.press("Enter")
    expect(saved(page, "Rome, with kids")).to_be_visible()
    saved(page, "beta: 100% sure?").hover()
    panel(page).get_by_role("button", name="Delete beta: 100% sure?").click()
    expect(saved(page, "beta: 100% sure?")).to_have_count(0)
    page.reload()
    expect(saved(page, "Rome, with kids")).to_be_visible()
    expect(saved(page, "beta: 100% sure?")).to_have_count(0)
    expect(saved(page, "gamma: snake_case")).to_be_visible()


def test_at_phone_width_the_panel_is_a_drawer(open_bot, tmp_path: Path) -> None:
    page = open_bot(OPEN, **PHONE)
    chat(page, "first on the phone")
    page.get_by_role("button", name="Show conversations").click()
    expect(panel(page)).to_be_visible()
    panel(page).get_by_role("button", name="New chat").click()
    expect(panel(page)).to_be_hidden()  # the drawer gets out of the way
    chat(page, "second on the phone")
    page.get_by_role("button", name="Show conversations").click()
    panel(page).get_by_role("searchbox", name="Search conversations").fill("first")
    expect(saved(page, "second on the phone")).to_have_count(0)
    saved(page, "first on the phone").click()
    expect(panel(page)).to_be_hidden()
    expect(log(page)).to_contain_text("echo: first on the phone")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways
    page.screenshot(path=tmp_path / "phone.png")


def test_download_all_then_delete_all(open_bot, tmp_path: Path) -> None:
    page = open_bot(OPEN)
    for text in ("one to keep", "two to keep"):
        panel(page).get_by_role("button", name="New chat").click()
        chat(page, text)
    with page.expect_download() as download:
        panel(page).get_by_role("link", name="Download all").click()
    assert download.value.suggested_filename == "conversations.json"
    path = tmp_path / "conversations.json"
    download.value.save_as(path)
    exported = json.loads(path.read_text())
    assert [c["title"] for c in exported["conversations"]] == ["two to keep", "one to keep"]
    assert (
        exported["conversations"][0]["messages"][1]["content"] == "echo: two to keep (0 in history)"
    )

    panel(page).get_by_role("button", name="Delete all").click()
    confirm = panel(page).get_by_role("alertdialog", name="Delete all")
    expect(confirm).to_contain_text("This cannot be undone.")
    confirm.get_by_role("button", name="Cancel").click()
    expect(saved(page, "one to keep")).to_be_visible()  # nothing happened
    panel(page).get_by_role("button", name="Delete all").click()
    confirm.get_by_role("button", name="Delete them all").click()
    expect(panel(page)).to_contain_text("Your conversations will appear here.")
    expect(log(page)).not_to_contain_text("echo:")  # the open one went too
    page.reload()
    expect(panel(page)).to_contain_text("Your conversations will appear here.")
    expect(panel(page).get_by_role("button", name="Download all")).to_have_count(0)


def test_a_cap_reached_is_said_in_the_chat(open_bot) -> None:
    page = open_bot(OPEN + "server: {quotas: {conversations: 1}}\n")
    chat(page, "the only one")
    panel(page).get_by_role("button", name="New chat").click()
    send(page, "one too many")
    expect(log(page)).to_contain_text("delete some to start a new one")
