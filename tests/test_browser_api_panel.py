"""The "Use via API" panel (`show_api`): a footer link opens ready-to-paste curl, httpx and
openai snippets for the bot, and each one, pasted as it is, gets the bot's reply from a real
server: curl in a shell, the Python ones with this interpreter (which has httpx and openai)."""

from __future__ import annotations

import json
from pathlib import Path

from browsing import api_snippet as snippet
from browsing import expect, open_api_panel
from browsing import run_snippet as run

SETTINGS_PY = """
def settings(message, history, style, detail, media, persona):
    yield f"{message} "
    yield f"{message} style={style} detail={detail} media={media} persona={persona}"
"""

SETTINGS_YAML = """
title: Settings bot
fn: bot.py:settings
additional_inputs:
  - {type: radio, label: Style, choices: [concise, friendly, formal], value: friendly}
  - {type: slider, label: Detail, minimum: 1, maximum: 5, step: 1, value: 2}
  - {type: checkbox, label: Show media, value: true}
  - {type: textbox, label: Persona, value: 'Ann''s "best" — ok'}
"""

PERSONA = 'Ann\'s "best" — ok'
REPLY = f"Hello! style=friendly detail=2 media=True persona={PERSONA}"
"""What the snippets print: the example message, with the inputs' defaults (quotes and all)."""

TOKEN = "a-token-of-sixteen-chars-or-more"

CLIPBOARD = ["clipboard-read", "clipboard-write"]


def test_the_panel_shows_snippets_that_get_the_bots_reply(open_bot, tmp_path: Path) -> None:
    page = open_bot(SETTINGS_YAML, bot_py=SETTINGS_PY, permissions=CLIPBOARD)
    url = page.url.removesuffix("/")
    open_api_panel(page)
    dialog = page.get_by_role("dialog")
    tabs = dialog.get_by_role("tab")
    expect(tabs).to_have_text(["curl", "Python", "OpenAI"])
    expect(tabs.first).to_be_focused()
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    expect(dialog.get_by_role("tabpanel")).to_have_count(1)  # the others are hidden
    shown = dialog.get_by_role("tabpanel")
    expect(shown.get_by_text(f"{url}/api/chat", exact=True)).to_be_visible()
    expect(dialog.get_by_text("No token needed")).to_be_visible()
    expect(dialog.get_by_role("link", name="Full API reference")).to_have_attribute(
        "href", f"{url}/schema"
    )
    inputs = dialog.locator(".cs-api-input")
    expect(inputs).to_have_count(4)
    expect(inputs.first).to_contain_text("Style")
    expect(inputs.first).to_contain_text('"friendly"')

    curl, python, openai = (snippet(page, name) for name in ("curl", "python", "openai"))
    assert f"curl {url}/api/chat" in curl
    assert (
        r"""-d '{
    "message": "Hello!",
    "history": [],
    "inputs": ["friendly", 2, true, "Ann'\''s \"best\" — ok"]
  }'"""
        in curl
    )
    assert "Authorization" not in curl + python + openai
    assert f'url = "{url}/api/chat"' in python
    assert r""""inputs": ["friendly", 2, True, "Ann's \"best\" — ok"],""" in python
    assert "# Style, Detail, Show media, Persona" in python
    assert f'base_url="{url}/v1"' in openai
    assert 'model="settings-bot"' in openai
    assert 'extra_body={"inputs": ["friendly", 2, True, "Ann' in openai

    # Copy puts the snippet on the clipboard, exactly.
    dialog.get_by_role("button", name="Copy code").click()
    assert page.evaluate("navigator.clipboard.readText()") == curl
    dialog.get_by_role("button", name="Copy URL").click()
    assert page.evaluate("navigator.clipboard.readText()") == f"{url}/api/chat"

    # The arrow keys move between the tabs.
    tabs.first.focus()
    page.keyboard.press("ArrowRight")
    expect(dialog.get_by_role("tab", name="Python")).to_be_focused()
    expect(dialog.get_by_role("tabpanel")).to_have_attribute("data-client", "python")
    page.keyboard.press("End")
    expect(dialog.get_by_role("tab", name="OpenAI")).to_have_attribute("aria-selected", "true")
    expect(shown.get_by_text(f"{url}/v1", exact=True)).to_be_visible()

    # Escape closes the panel, and only the panel; focus goes back to the link.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Use via API")).to_be_focused()

    assert json.loads(run("curl", curl, tmp_path))["messages"][0]["content"] == REPLY
    assert run("python", python, tmp_path).strip() == REPLY
    assert run("openai", openai, tmp_path).strip() == REPLY


def test_the_snippets_send_a_token_when_the_bot_needs_one(
    write_config, live_server, new_page, tmp_path: Path
) -> None:
    config = write_config(
        SETTINGS_YAML
        + f"""
server:
  auth:
    users: [{{username: alice, password: wonderland}}]
    tokens: [{{name: ci, token: {TOKEN}}}]
""",
        bot_py=SETTINGS_PY,
    )
    server = live_server(config)
    page = new_page()
    page.goto(server.url)
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("wonderland")
    page.get_by_role("button", name="Sign in").click()
    open_api_panel(page)
    expect(page.get_by_role("dialog").locator(".cs-api-note")).to_contain_text("CHATSERVE_TOKEN")

    curl, python, openai = (snippet(page, name) for name in ("curl", "python", "openai"))
    assert '-H "Authorization: Bearer $CHATSERVE_TOKEN"' in curl
    assert 'headers = {"Authorization": f"Bearer {os.environ[\'CHATSERVE_TOKEN\']}"}' in python
    assert 'api_key=os.environ["CHATSERVE_TOKEN"]' in openai
    token = {"CHATSERVE_TOKEN": TOKEN}
    assert json.loads(run("curl", curl, tmp_path, token))["messages"][0]["content"] == REPLY
    assert run("python", python, tmp_path, token).strip() == REPLY
    assert run("openai", openai, tmp_path, token).strip() == REPLY
    # The header is what lets them in.
    refused = run("curl", curl.replace("$CHATSERVE_TOKEN", "wrong"), tmp_path, token)
    assert "The bearer token is not valid." in refused


def test_show_api_false_hides_the_link_and_a_reload_follows(write_config, open_bot) -> None:
    hidden = "show_api: false\n" + SETTINGS_YAML
    config = write_config(hidden, bot_py=SETTINGS_PY)
    page = open_bot(config)
    link = page.get_by_role("button", name="Use via API")
    expect(link).to_have_count(0)

    config.write_text(SETTINGS_YAML)
    expect(page.locator("html")).to_have_attribute("data-revision", "2")
    open_api_panel(page)

    # An open panel shows the new config's snippets.
    config.write_text(SETTINGS_YAML.replace("value: friendly", "value: formal"))
    expect(page.locator("html")).to_have_attribute("data-revision", "3")
    expect(page.get_by_role("dialog").locator("pre code").first).to_contain_text(
        '"inputs": ["formal", 2, true, '
    )

    config.write_text(hidden)
    expect(page.locator("html")).to_have_attribute("data-revision", "4")
    expect(page.get_by_role("dialog")).to_have_count(0)  # closed: no longer in the page's tree
    expect(link).to_have_count(0)


def test_the_page_is_told_whether_and_what_to_show(client) -> None:
    shown = client("title: Yes Man\nfn: bot.py:echo\n").get("/api/config").json()
    assert shown["show_api"] is True
    assert shown["api"] | {"model": "yes-man", "reference": "schema"} == shown["api"]
    for setting in ("show_api: false", "api_name: false"):
        hidden = client(f"fn: bot.py:echo\n{setting}\n").get("/api/config").json()
        assert hidden["show_api"] is False, setting
