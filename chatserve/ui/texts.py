"""The page's words: the catalogs the web UI is built with (`web/src/texts/<language>.json`,
shipped in `texts/` of the built UI). The server reads them to check a bot's `texts:` keys, to
list the keys in the JSON Schema and to word the sign-in page in the visitor's language."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from chatserve.paths import web_dir

ENGLISH = "en"

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@functools.cache
def catalogs() -> dict[str, dict[str, str]]:
    """Every catalog (key → text) by its language tag: `en`, `de`, `zh-Hans`, ..."""
    folder = web_dir() / "texts"
    return {
        path.stem: json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json"))
    }


def english() -> dict[str, str]:
    """The English catalog: every key the page has, with its text."""
    found = catalogs().get(ENGLISH)
    if found is None:
        raise RuntimeError(
            f"The web UI's texts are missing ({web_dir() / 'texts' / 'en.json'} not found); "
            "rebuild it with `npm --prefix web ci && npm --prefix web run build`."
        )
    return found


def fill(text: str, **values: Any) -> str:
    """`text` with its `{name}` placeholders replaced by `values` (others stay as written)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), text)


def _catalog_for(tag: str) -> str | None:
    """The catalog of `tag`'s language (its primary subtag), if there is one."""
    primary = tag.split("-")[0].lower()
    return next((name for name in catalogs() if name.split("-")[0] == primary), None)


def choose(language: str, accept_language: str | None) -> tuple[str, str]:
    """(the `lang` of the page, its catalog): as the web page chooses, with `Accept-Language`
    standing in for the browser's languages. A set `language` is the page's `lang` whatever
    catalog there is for it; `auto` takes the first accepted language with a catalog."""
    if language != "auto":
        return language, _catalog_for(language) or ENGLISH
    for tag in _accepted(accept_language or ""):
        found = _catalog_for(tag)
        if found:
            return found, found
    return ENGLISH, ENGLISH


def words(
    language: str, accept_language: str | None, texts: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """(the `lang` of the page, key → text): the chosen catalog over English, `texts` on top."""
    tag, name = choose(language, accept_language)
    return tag, {**english(), **catalogs()[name], **texts}


def _accepted(header: str) -> list[str]:
    """The languages of an `Accept-Language` header, most wanted first (`q=0` ones left out)."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]
