"""`/schema`: one API reference page, bundled in the wheel, that works offline under a strict
CSP and shows a hostile title as text; Litestar's CDN pages are gone."""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pytest
from browsing import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "web" / "dist"

HOSTILE = "</title><script>window.pwned=1</script><img src=x onerror=window.pwned=2>"
HOSTILE_CONFIG = f'fn: bot.py:echo\ntitle: "{HOSTILE}"\n'
OLD_PAGES = [
    "/schema/swagger",
    "/schema/redoc",
    "/schema/elements",
    "/schema/rapidoc",
    "/schema/stoplight",
    "/schema/scalar",
    "/schema/oauth2-redirect.html",
]
"""Where Litestar's own pages were (or would be, with other plugins)."""

DOCS_BUDGET_GZIP = 512 * 1024
"""The API reference page's files, gzipped (Swagger UI is most of it)."""


def page_assets(page_html: str) -> list[str]:
    """The page's own files, as it names them (relative to the page)."""
    return re.findall(r'(?:src|href)="(\.\.?/assets/[^"]+)"', page_html)


def template_assets() -> list[str]:
    """The page's own files, as paths in the web UI's files (`assets/...`)."""
    template = (DIST / "docs.html").read_text(encoding="utf-8")
    return re.findall(r'(?:src|href)="__CHATSERVE_ROOT__/(assets/[^"]+)"', template)


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


# In-process: the responses


def test_the_page_has_a_strict_csp_and_the_title_escaped(client) -> None:
    http = client(HOSTILE_CONFIG)
    page = http.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no CDN
    assert policy["connect-src"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]
    assert HOSTILE not in page.text
    assert f"<title>API · {html.escape(HOSTILE)}</title>" in page.text
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []  # no inline scripts
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing from elsewhere


def test_the_openapi_document_is_still_served(client) -> None:
    http = client(HOSTILE_CONFIG)
    document = http.get("/schema/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == HOSTILE  # data, not markup: the page escapes it
    assert "/api/chat" in document.json()["paths"]
    yaml = http.get("/schema/openapi.yaml")
    assert yaml.status_code == 200
    assert "/api/chat:" in yaml.text


@pytest.mark.parametrize("path", OLD_PAGES)
def test_the_old_pages_lead_to_the_new_one_or_nowhere(client, path: str) -> None:
    answer = client(HOSTILE_CONFIG).get(path, follow_redirects=False)
    assert (answer.status_code, answer.headers.get("location")) in {(302, "/schema"), (404, None)}
    assert "<script" not in answer.text


def test_the_page_and_its_assets_behind_root_path(client) -> None:
    http = client(HOSTILE_CONFIG + "server: {root_path: /bot}\n")
    for page_path in ("/schema", "/schema/"):
        page = http.get(page_path)
        assets = page_assets(page.text)
        assert len(assets) == 3, page.text  # stylesheet, colour scheme script, Swagger UI
        for asset in assets:
            # As the browser resolves it at the public address, and as the proxy forwards it.
            public = urlsplit(urljoin(f"https://example.org/bot{page_path}", asset)).path
            assert public.startswith("/bot/assets/"), (page_path, asset)
            answer = http.get(public.removeprefix("/bot"))
            assert answer.status_code == 200, asset
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert answer.headers["x-content-type-options"] == "nosniff"
        spec = re.search(r'data-openapi="([^"]+)"', page.text)[1]
        assert urljoin(f"https://example.org/bot{page_path}", spec).endswith(
            "/bot/schema/openapi.json"
        )
    assert http.get("/schema/openapi.json").json()["servers"] == [{"url": "/bot"}]
    moved = http.get("/schema/swagger", follow_redirects=False)
    assert moved.headers["location"] == "/bot/schema"


def test_the_page_needs_a_login_like_the_rest(client) -> None:
    http = client("fn: bot.py:echo\nserver: {auth: {users: [{username: a, password: pw}]}}\n")
    page = http.get("/schema", headers={"Accept": "text/html"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/schema")
    for path in ["/schema", "/schema/openapi.json", *(f"/{name}" for name in template_assets())]:
        assert http.get(path).status_code == 401, path
    form = {"username": "a", "password": "pw", "next": "/schema"}
    signed_in = http.post("/login", data=form, follow_redirects=False)
    assert signed_in.headers["location"] == "/schema"
    assert http.get("/schema").status_code == 200
    assert http.get("/schema/openapi.json").status_code == 200


def test_the_page_ships_in_dist_apart_from_the_chat_page() -> None:
    template = (DIST / "docs.html").read_text(encoding="utf-8")
    assert template.count("__CHATSERVE_THEME__") == 1
    assert "__CHATSERVE_TITLE__" in template
    assets = template_assets()
    assert len(assets) == 3
    weight = sum(len(gzip.compress((DIST / name).read_bytes(), 9)) for name in assets)
    print(f"API reference page (gzip bytes): {weight:,}")
    assert weight <= DOCS_BUDGET_GZIP
    chat_page = (DIST / "index.html").read_text(encoding="utf-8")
    docs_only = [name for name in assets if name not in chat_page]
    assert len(docs_only) == 2  # Swagger UI and its stylesheet; the scheme script is shared
    for name in DIST.joinpath("assets").glob("*.js"):
        if f"assets/{name.name}" not in assets:
            code = name.read_text(encoding="utf-8")
            assert not [doc for doc in docs_only if Path(doc).name in code], name


# In Chromium: what a person sees


def watch(page: Page) -> tuple[list[str], list[str]]:
    """Requests the page makes (anything off loopback is refused) and CSP complaints."""
    requests: list[str] = []
    complaints: list[str] = []

    def route(route) -> None:
        requests.append(route.request.url)
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            route.abort()

    def console(message) -> None:
        if "Content Security Policy" in message.text:
            complaints.append(message.text)

    page.route("**/*", route)
    page.on("console", console)
    return requests, complaints


def operation(page: Page, path: str):
    return page.locator(".opblock-summary", has=page.locator(f'[data-path="{path}"]'))


def test_no_script_runs_from_the_title_on_any_docs_path(
    write_config, live_server, new_page
) -> None:
    server = live_server(write_config(HOSTILE_CONFIG))
    page = new_page()
    requests, complaints = watch(page)
    for path in ["/schema", "/schema/", *OLD_PAGES]:
        answer = page.goto(server.url + path)
        if urlsplit(page.url).path in {"/schema", "/schema/"}:  # the page, or moved to it
            expect(page.locator(".docs-title")).to_have_text(HOSTILE)
            expect(page.locator(".swagger-ui .info .title")).to_contain_text(HOSTILE)
            assert page.title() == f"API · {HOSTILE}"
            expect(operation(page, "/api/chat")).to_be_visible()
        else:
            assert answer.status == 404, (path, page.url)
        assert page.evaluate("window.pwned") is None, path
    assert not [url for url in requests if not url.startswith(server.url)]
    assert complaints == []


def test_the_page_works_offline_and_tries_the_api(write_config, live_server, new_page) -> None:
    server = live_server(write_config("fn: bot.py:echo\ntitle: Echo\n"))
    page = new_page()
    requests, complaints = watch(page)
    page.goto(server.url + "/schema")
    chat = operation(page, "/api/chat")
    expect(chat.locator(".opblock-summary-description")).to_have_text("Chat")
    chat.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    answer = page.locator(".live-responses-table .response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(answer.locator(".response-col_description")).to_contain_text("echo: Hi")
    assert requests and not [url for url in requests if not url.startswith(server.url)]
    assert complaints == []


def test_without_the_api_the_page_lists_what_is_left(write_config, live_server, new_page) -> None:
    server = live_server(write_config("fn: bot.py:echo\napi_name: false\n"))
    page = new_page()
    page.goto(server.url + "/schema")
    expect(operation(page, "/api/config")).to_be_visible()
    expect(operation(page, "/healthz")).to_be_visible()
    expect(operation(page, "/api/chat")).to_have_count(0)
    expect(page.locator('.opblock-summary [data-path^="/v1/"]')).to_have_count(0)
