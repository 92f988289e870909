"""A bot's own look and its ratings: custom theme, css/head/js with a CSP that admits exactly
them, avatars and icons, and `POST /api/flag` (append-only)."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chatserve.bot.load import load
from chatserve.errors import ConfigError
from chatserve.ui.customize import builtin_theme_css


def only_problem(folder: Path, yaml: str) -> str:
    """The single problem `load` reports for a bot in `folder` with these extra keys."""
    folder.mkdir(exist_ok=True)
    (folder / "bot.py").write_text("def echo(m, h):\n    return m\n")
    path = folder / "bot.yaml"
    path.write_text(f"fn: bot.py:echo\n{yaml}\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    [problem] = caught.value.problems
    return f"{problem.path}: {problem.message}"


def test_custom_theme_becomes_css_for_both_schemes(client) -> None:
    http = client(
        """
        fn: bot.py:echo
        theme: {base: soft, primary: "#7c3aed", secondary: {light: "#eef", dark: "#223"},
                font: "Inter, sans-serif", radius: 14px}
        css: ".cs-header { letter-spacing: 1px; }"
        """
    )
    config = http.get("/api/config").json()
    assert config["theme"] == "soft"
    soft = builtin_theme_css("soft")
    assert config["theme_css"].startswith(soft)  # the base theme's rules, then the custom ones
    css = config["theme_css"][len(soft) :]
    assert "--cs-accent: #7c3aed;" in css
    assert "--cs-font: Inter, sans-serif;" in css
    assert "--cs-radius-sm: calc(14px / 2);" in css
    light, dark = css.split('[data-color-scheme="dark"]')
    assert "--cs-user-bg: #eef;" in light and "--cs-user-bg: #223;" in dark
    assert css.endswith(".cs-header { letter-spacing: 1px; }")


@pytest.mark.parametrize(
    ("theme", "message"),
    [
        ('{primary: "red; } body { display: none"}', "theme.primary: must be a CSS colour"),
        ('{font: "x; } * { color: red"}', "theme.font: must be a font stack"),
        ("{radius: 2vh}", "theme.radius: must be a length"),
        ("{base: neon}", "theme.base: must be one of"),
    ],
)
def test_theme_values_cannot_inject_css(tmp_path: Path, theme: str, message: str) -> None:
    assert only_problem(tmp_path, f"theme: {theme}").startswith(message)


def test_css_paths_head_and_js_reach_the_page_with_a_matching_csp(client, tmp_path: Path) -> None:
    (tmp_path / "extra.css").write_text("body { outline: 1px solid red; }")
    (tmp_path / "meta.html").write_text('<meta name="robots" content="noindex">')
    inline = "window.analytics = 1;"
    http = client(
        f"""
        fn: bot.py:echo
        css_paths: extra.css
        head: |
          <script src="https://cdn.example.com/a.js"></script>
          <script>{inline}</script>
          <link rel="stylesheet" href="https://fonts.example.com/css">
        head_paths: [meta.html]
        js: "() => document.body.classList.add('custom')"
        """
    )
    page = http.get("/")
    text = page.text
    assert "body { outline: 1px solid red; }" in http.get("/api/config").json()["theme_css"]
    csp = page.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"script-src 'self' https://cdn.example.com 'sha256-{digest}';" in csp
    assert "style-src 'self' 'unsafe-inline' https://fonts.example.com;" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "<!--chatserve:head-->" not in text  # the template's marker was filled
    assert '<meta name="robots" content="noindex">' in text
    assert '<script defer src="assets/custom.js?r=1">' in text
    script = http.get("/assets/custom.js?r=1")
    assert script.text == "(() => document.body.classList.add('custom'))();\n"
    assert script.headers["content-type"].startswith("text/javascript")


def test_without_customization_the_csp_stays_strict(client) -> None:
    csp = client("fn: bot.py:echo\n").get("/").headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "custom.js" not in client("fn: bot.py:echo\n").get("/").text


def test_media_origins_narrow_the_csp_to_the_listed_hosts(client) -> None:
    def csp(yaml: str) -> dict[str, str]:
        header = client(f"fn: bot.py:echo\n{yaml}").get("/").headers["content-security-policy"]
        return dict(part.strip().split(" ", 1) for part in header.split(";"))

    default = csp("")
    assert (default["img-src"], default["media-src"]) == (
        "'self' data: https: http:",
        "'self' https: http: blob:",
    )
    narrowed = csp(
        "allowed_media_origins: [https://images.example.com, http://localhost:9000]\n"
        "chatbot: {avatar_images: [null, https://avatars.example.org/bot.png]}\n"
    )
    hosts = "http://localhost:9000 https://avatars.example.org https://images.example.com"
    assert narrowed["img-src"] == f"'self' data: {hosts}"
    assert narrowed["media-src"] == f"'self' {hosts} blob:"
    none = csp("allowed_media_origins: []\n")
    assert (none["img-src"], none["media-src"]) == ("'self' data:", "'self' blob:")


@pytest.mark.parametrize("origin", ["https://images.example.com/cats", "*", "images.example.com"])
def test_media_origins_are_origins(tmp_path: Path, origin: str) -> None:
    assert only_problem(tmp_path, f'allowed_media_origins: ["{origin}"]') == (
        f"allowed_media_origins: an origin is scheme://host[:port] with no path, got {origin!r}"
    )


def test_custom_css_cannot_close_its_style_element(client) -> None:
    page = client('fn: bot.py:echo\ncss: "</style><script>alert(1)</script>"\n').get("/").text

    class Scripts(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.found = False, []

        def handle_starttag(self, tag, attrs) -> None:
            self.inside = tag == "script" and ("type", "application/json") not in attrs

        def handle_data(self, data) -> None:
            if self.inside:
                self.found.append(data)

    scripts = Scripts()
    scripts.feed(page)
    assert not [code for code in scripts.found if "alert" in code]


def test_avatars_and_icons_are_served_by_id(client, tmp_path: Path) -> None:
    (tmp_path / "me.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    http = client(
        """
        fn: bot.py:echo
        chatbot: {avatar_images: [me.png, "https://example.com/bot.png"]}
        examples: [a]
        example_labels: [The letter A]
        example_icons: [me.png]
        """
    )
    config = http.get("/api/config").json()
    user, bot = config["chatbot"]["avatar_images"]
    assert bot == "https://example.com/bot.png"
    assert user.startswith("api/files/")
    assert http.get("/" + user).content == b"\x89PNG\r\n\x1a\n"
    assert config["examples"][0]["label"] == "The letter A"
    assert config["examples"][0]["icon"] == user


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("css_paths: [../outside.css]", "css_paths[0]: file '../outside.css' is outside"),
        ("head_paths: [nope.html]", "head_paths[0]: file 'nope.html' not found"),
        ("examples: [a, b]\nexample_labels: [A]", "example_labels: needs one entry per example"),
    ],
)
def test_named_files_and_labels_are_checked(tmp_path: Path, yaml: str, message: str) -> None:
    (tmp_path / "outside.css").write_text("body {}")
    assert only_problem(tmp_path / "inner", yaml).startswith(message)
