"""A bot's own CSS, `<head>` HTML and JavaScript, and the Content-Security-Policy that admits
exactly them: inline scripts in `head` by their SHA-256 hashes, external ones by origin."""

from __future__ import annotations

import base64
import functools
import hashlib
import html
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from chatserve.bot.load import Bot
from chatserve.config.theme import CustomTheme
from chatserve.paths import web_dir

CUSTOM_JS = "assets/custom.js"


@dataclass(frozen=True)
class Customization:
    css: str
    """The built-in theme (unless the default), the custom theme, `css` and `css_paths`, in
    that order."""
    head: str
    """What replaces the page's `<!--chatserve:head-->` marker."""
    js: bytes | None
    """`js` wrapped so that it runs once; served at `assets/custom.js`."""
    csp: str
    """The page's Content-Security-Policy."""


def customize(bot: Bot, revision: int) -> Customization:
    config, folder = bot.config, bot.folder
    custom = config.theme if isinstance(config.theme, CustomTheme) else None
    css = "\n".join(
        part
        for part in (
            builtin_theme_css(custom.base if custom else config.theme),
            custom.css() if custom else "",
            config.css or "",
            *((folder / name).read_text("utf-8") for name in config.css_paths),
        )
        if part
    )
    head_html = "\n".join(
        [config.head or "", *((folder / name).read_text("utf-8") for name in config.head_paths)]
    ).strip()
    js = f"({config.js})();\n".encode() if config.js else None
    parts = [f'<style id="chatserve-css">{_style_text(css)}</style>']
    if head_html:
        parts.append(head_html)
    if js is not None:
        parts.append(f'<script defer src="{CUSTOM_JS}?r={revision}"></script>')  # after parsing
    return Customization(css, "\n".join(parts), js, policy(head_html, _media_origins(bot)))


@functools.cache
def builtin_theme_css(name: str) -> str:
    """A built-in theme's rules; the default's are in the page's own stylesheet."""
    return "" if name == "default" else (web_dir() / "themes" / f"{name}.css").read_text("utf-8")


def policy(head_html: str, media_origins: list[str] | None = None) -> str:
    """The page's CSP: strict, widened only for what the config's `head` brings. Images, audio
    and video load from `media_origins` (and the server), or from any http(s) host if None."""
    found = _HeadScan()
    found.feed(head_html)
    scripts = " ".join(["'self'", *sorted(found.script_origins), *sorted(found.script_hashes)])
    styles = " ".join(["'self'", "'unsafe-inline'", *sorted(found.style_origins)])
    fonts = " ".join(["'self'", "data:", *sorted(found.style_origins | found.font_origins)])
    hosts = ["https:", "http:"] if media_origins is None else media_origins
    images = " ".join(["'self'", "data:", *hosts])
    media = " ".join(["'self'", *hosts, "blob:"])
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; font-src {fonts}; "
        f"img-src {images}; media-src {media}; "
        "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'self'"
    )


def _media_origins(bot: Bot) -> list[str] | None:
    """`allowed_media_origins`, and the hosts of the images the config itself names."""
    config = bot.config
    if config.allowed_media_origins is None:
        return None
    urls = [*(config.chatbot.avatar_images or ()), *(config.example_icons or ())]
    named = {origin for url in urls if url and (origin := _origin(url))}
    return sorted({*config.allowed_media_origins, *named})


def _style_text(css: str) -> str:
    # A stylesheet cannot close its own <style> element.
    return css.replace("</", "<\\/")


class _HeadScan(HTMLParser):
    """Collects what the `head` HTML loads, to admit exactly that in the CSP."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.script_origins: set[str] = set()
        self.script_hashes: set[str] = set()
        self.style_origins: set[str] = set()
        self.font_origins: set[str] = set()
        self._inline_script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "script":
            origin = _origin(attributes.get("src", ""))
            if origin:
                self.script_origins.add(origin)
            elif "src" not in attributes:
                self._inline_script = []
        elif tag == "link" and "stylesheet" in attributes.get("rel", "").split():
            origin = _origin(attributes.get("href", ""))
            if origin:
                self.style_origins.add(origin)
        elif tag == "link" and attributes.get("rel") == "preconnect":
            origin = _origin(attributes.get("href", ""))
            if origin:
                self.font_origins.add(origin)

    def handle_data(self, data: str) -> None:
        if self._inline_script is not None:
            self._inline_script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline_script is not None:
            digest = hashlib.sha256("".join(self._inline_script).encode()).digest()
            self.script_hashes.add(f"'sha256-{base64.b64encode(digest).decode()}'")
            self._inline_script = None


def _origin(url: str) -> str | None:
    parts = urlsplit(html.unescape(url))
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None
