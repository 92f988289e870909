"""The page's words: every catalog says what English says, a bot's `language:` and `texts:` are
checked and reach the page, and the sign-in page speaks the visitor's language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import problems

from chatserve.config.loader import load_config
from chatserve.ui.texts import choose

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "web" / "src" / "texts"
CATALOGS = sorted(path.stem for path in SOURCES.glob("*.json"))


def catalog(tag: str) -> dict[str, str]:
    return json.loads((SOURCES / f"{tag}.json").read_text("utf-8"))


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{(\w+)\}", text))


def test_the_languages_are_the_ones_the_readme_promises() -> None:
    assert CATALOGS == ["de", "en", "es", "fr", "ja", "zh-Hans"]


@pytest.mark.parametrize("tag", [tag for tag in CATALOGS if tag != "en"])
def test_every_catalog_has_the_english_keys_and_placeholders(tag: str) -> None:
    english, words = catalog("en"), catalog(tag)
    assert sorted(set(english) - set(words)) == [], "missing"
    assert sorted(set(words) - set(english)) == [], "not in English"
    differing = {
        key: (english[key], words[key])
        for key in english
        if placeholders(english[key]) != placeholders(words[key])
    }
    assert differing == {}
    assert all(text.strip() for text in words.values())


def test_every_catalog_is_a_part_the_page_can_load() -> None:
    lazy = (ROOT / "web" / "src" / "lazy.js").read_text("utf-8")
    wired = re.findall(r'"texts:([\w-]+)": \[\(\) => import\("\./texts/([\w-]+)\.json"\)\]', lazy)
    assert sorted(wired) == [(tag, tag) for tag in CATALOGS if tag != "en"]


def test_texts_takes_the_pages_keys_only(tmp_path: Path) -> None:
    assert problems(
        tmp_path,
        """
        fn: bot.py:reply
        texts:
          composer.send: Go
          composer.sned: Go
          my.own: Hello
        """,
    ) == [
        "bot.yaml:4:3: texts.composer.sned: unknown text 'composer.sned'; "
        "did you mean 'composer.send'?",
        "bot.yaml:5:3: texts.my.own: unknown text 'my.own'; see \"Languages\" in the README",
    ]
    assert problems(tmp_path, "fn: bot.py:reply\ntexts: {history.new_chat: 3}\n") == [
        "bot.yaml:2:9: texts.history.new_chat: must be a string, got int 3"
    ]


def test_language_is_auto_or_a_language_tag(tmp_path: Path) -> None:
    assert load_config(_written(tmp_path, "fn: bot.py:reply\n")).language == "auto"
    for tag in ("de", "pt-BR", "zh-Hans", "sr-Latn-RS"):
        assert (
            load_config(_written(tmp_path, f"fn: bot.py:reply\nlanguage: {tag}\n")).language == tag
        )
    assert problems(tmp_path, "fn: bot.py:reply\nlanguage: German\n") == [
        "bot.yaml:2:1: language: must be 'auto' or a language tag such as 'de' or 'pt-BR', "
        "got 'German'"
    ]


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.yaml"
    path.write_text(text)
    return path


def test_the_page_gets_the_language_and_the_texts(client) -> None:
    http = client("fn: bot.py:echo\nlanguage: fr\ntexts: {composer.send: Go}\n")
    config = http.get("/api/config").json()
    assert config["language"] == "fr"
    assert config["texts"] == {"composer.send": "Go"}


@pytest.mark.parametrize(
    ("setting", "header", "chosen"),
    [
        ("auto", None, ("en", "en")),
        ("auto", "de-AT,de;q=0.9,en;q=0.8", ("de", "de")),
        ("auto", "pt-BR, fr;q=0.5, ja;q=0.7", ("ja", "ja")),  # no pt: the next most wanted
        ("auto", "zh-CN,zh;q=0.9", ("zh-Hans", "zh-Hans")),
        ("auto", "ja;q=0, it", ("en", "en")),  # q=0: not wanted at all
        ("auto", "*, garbage;q=x", ("en", "en")),
        ("fr", "de", ("fr", "fr")),  # the bot's language wins
        ("pt-BR", "de", ("pt-BR", "en")),  # no catalog: English words, the page says pt-BR
    ],
)
def test_the_language_chosen(setting: str, header: str | None, chosen: tuple[str, str]) -> None:
    assert choose(setting, header) == chosen


def signing_in(extra: str = "") -> str:
    """A bot with a sign-in page, and `extra` keys."""
    auth = "server: {auth: {users: [{username: ana, password: s3cret}]}}"
    return f"fn: bot.py:echo\ntitle: Privé\n{extra}{auth}\n"


def test_the_sign_in_page_speaks_the_visitors_language(client) -> None:
    http = client(signing_in())
    german = http.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in german.text
    assert "<title>Anmelden · Privé</title>" in german.text
    assert '<label for="username">Benutzername</label>' in german.text
    assert '<button type="submit">Anmelden</button>' in german.text
    wrong = http.post(
        "/login",
        data={"username": "ana", "password": "nope"},
        headers={"Accept-Language": "ja"},
    )
    assert wrong.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません。" in wrong.text
    english = http.get("/login")
    assert '<html lang="en">' in english.text
    assert "Sign in to continue." in english.text


def test_the_sign_in_page_follows_the_bots_language_and_texts(client) -> None:
    http = client(signing_in("language: es\ntexts: {login.submit: Entrar}\n"))
    page = http.get("/login", headers={"Accept-Language": "de"})
    assert '<html lang="es">' in page.text
    assert "Inicia sesión para continuar." in page.text
    assert '<button type="submit">Entrar</button>' in page.text
