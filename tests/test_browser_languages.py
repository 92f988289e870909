"""The page in the visitor's language, in Chromium: chosen from the browser's languages (or the
bot's `language:`), with the bot's own `texts:` on top, and switched live when the YAML changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import expect, log

if TYPE_CHECKING:
    from playwright.sync_api import Page

LANGUAGES = {
    # locale: (<html lang>, the message box's name, its placeholder, Send, the hint, Retry, Clear)
    "en-US": (
        "en",
        "Message",
        "Type a message…",
        "Send",
        "Enter to send, Shift + Enter for a new line",
        "Retry",
        "Clear",
    ),
    "de-DE": (
        "de",
        "Nachricht",
        "Nachricht eingeben…",
        "Senden",
        "Eingabe zum Senden, Umschalt + Eingabe für eine neue Zeile",
        "Erneut versuchen",
        "Leeren",
    ),
    "fr-FR": (
        "fr",
        "Message",
        "Écrivez un message…",
        "Envoyer",
        "Entrée pour envoyer, Maj + Entrée pour aller à la ligne",
        "Réessayer",
        "Effacer",
    ),
    "es-ES": (
        "es",
        "Mensaje",
        "Escribe un mensaje…",
        "Enviar",
        "Intro para enviar, Mayús + Intro para una nueva línea",
        "Reintentar",
        "Borrar",
    ),
    "zh-CN": (
        "zh-Hans",
        "消息",
        "输入消息…",
        "发送",
        "Enter 发送，Shift + Enter 换行",  # noqa: RUF001 (a Chinese comma)
        "重试",
        "清空",
    ),
    "ja-JP": (
        "ja",
        "メッセージ",
        "メッセージを入力…",
        "送信",
        "Enter で送信、Shift + Enter で改行",
        "再試行",
        "クリア",
    ),
}


@pytest.fixture
def open_in(
    write_config: Callable[..., Path], live_server: Callable[..., object], new_page
) -> Callable[..., Page]:
    """Serve a config (YAML text or a file) and open it in a browser whose language is
    `locale` (its `navigator.languages` and `Accept-Language`)."""

    def open_page(config: str | Path, locale: str) -> Page:
        path = config if isinstance(config, Path) else write_config(config)
        page = new_page(locale=locale)
        page.goto(live_server(path).url)
        return page

    return open_page


@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_page_speaks_the_browsers_language(open_in, locale: str) -> None:
    lang, message, placeholder, send, hint, retry, clear = LANGUAGES[locale]
    page = open_in("fn: bot.py:echo\n", locale)
    box = page.get_by_role("textbox", name=message, exact=True)
    expect(box).to_have_attribute("placeholder", placeholder)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator(".cs-hint")).to_have_text(hint)
    box.fill("hello")
    page.get_by_role("button", name=send, exact=True).click()
    expect(log(page)).to_contain_text("echo: hello (0 in history)")
    expect(page.get_by_role("button", name=retry, exact=True)).to_be_attached()
    expect(page.get_by_role("button", name=clear, exact=True)).to_be_visible()


def test_the_bots_language_wins_over_the_browsers(open_in) -> None:
    page = open_in("fn: bot.py:echo\nlanguage: fr\n", "de-DE")
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Envoyer")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_a_browser_language_without_a_catalog_falls_back_in_order(open_in) -> None:
    page = open_in("fn: bot.py:echo\n", "pt-BR")  # and nothing else: English
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_texts_override_the_catalog(open_in) -> None:
    page = open_in(
        """
        fn: bot.py:echo
        texts:
          composer.message: Frage
          composer.send: Los
        """,
        "de-DE",
    )
    box = page.get_by_role("textbox", name="Frage", exact=True)
    expect(box).to_have_attribute("placeholder", "Nachricht eingeben…")  # the rest is German
    box.fill("hallo")
    page.get_by_role("button", name="Los", exact=True).click()
    expect(log(page)).to_contain_text("echo: hallo")


def test_a_language_set_for_a_language_without_a_catalog(open_in) -> None:
    """The page says it is in that language; what `texts:` does not give is English."""
    page = open_in(
        "fn: bot.py:echo\nlanguage: ar\ntexts: {composer.send: إرسال}\n",
        "en-US",
    )
    expect(page.get_by_role("button", name="إرسال")).to_be_visible()
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_a_new_language_applies_live_and_the_conversation_stays(write_config, open_in) -> None:
    path = write_config("fn: bot.py:echo\n")
    page = open_in(path, "en-US")
    page.get_by_label("Message").fill("kept")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("button", name="Retry")).to_be_attached()
    page.evaluate("window.notReloaded = true")

    path.write_text("fn: bot.py:echo\nlanguage: ja\ntexts: {composer.stop: やめる}\n")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("textbox", name="メッセージ")).to_be_visible()
    expect(page.locator(".cs-hint")).to_have_text("Enter で送信、Shift + Enter で改行")
    # Labels made before the change follow it too: the reply's buttons, the header's.
    expect(page.get_by_role("button", name="再試行")).to_be_attached()
    expect(page.get_by_role("button", name="クリア")).to_be_visible()
    expect(log(page)).to_contain_text("echo: kept")
    assert page.evaluate("window.notReloaded") is True

    path.write_text("fn: bot.py:echo\n")  # back to the browser's language
    expect(page.get_by_role("button", name="Retry")).to_be_attached()
    expect(page.locator("html")).to_have_attribute("lang", "en")
