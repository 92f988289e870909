"""`/schema`: the API reference page, and the OpenAPI document it shows (JSON and YAML).

The page is Swagger UI, bundled into the web UI's `dist/` at build time (`web/src/docs/`), so it
works offline and under a CSP that admits only this app's scripts. Litestar's own pages are not
served: they load unpinned scripts from CDNs and put the title into their HTML unescaped.
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import State
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin
from litestar.response import Redirect

from chatserve.config.theme import CustomTheme

DOCS_PATH = "/schema"
DOCS_TEMPLATE = "docs.html"
"""The page's template in the web UI's files; the server fills its `__CHATSERVE_*__` markers."""

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self'"
)
"""No inline script, no eval, nothing from elsewhere; "Try it out" calls this app only."""

OLD_PAGES = ("swagger", "redoc", "elements", "rapidoc", "stoplight", "scalar")
"""Where Litestar's own pages were: links to them lead to this page."""


class DocsPage(OpenAPIRenderPlugin):
    """The page at `/schema`, with the current config's title (escaped) and theme."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, State], openapi_schema: dict[str, Any]) -> bytes:
        holder = request.app.state.services.holder
        config = holder.current.bot.config
        theme = config.theme.base if isinstance(config.theme, CustomTheme) else config.theme
        # The page's URLs are relative, so they work behind any path prefix; Litestar also
        # serves it at `/schema/`, one level further from the app's root.
        app_root = ".." if request.scope.get("raw_path", b"").endswith(b"/") else "."
        template = holder.webui.assets[DOCS_TEMPLATE].body.decode("utf-8")
        return (
            template.replace("__CHATSERVE_TITLE__", html.escape(config.title or "chatserve"))
            .replace("__CHATSERVE_THEME__", html.escape(theme))
            .replace("__CHATSERVE_ROOT__", app_root)
            .encode("utf-8")
        )

    def receive_router(self, router: Router) -> None:
        router.register(old_page)


@get([f"/{name}" for name in OLD_PAGES], include_in_schema=False, sync_to_thread=False)
def old_page(request: Request[Any, Any, Any]) -> Redirect:
    """A link to one of Litestar's pages: this one took their place."""
    return Redirect(f"{request.scope.get('root_path', '')}{DOCS_PATH}", status_code=302)


def docs_plugins() -> list[OpenAPIRenderPlugin]:
    """The page at `/schema`, the document at `/schema/openapi.json` and `.yaml`."""
    return [DocsPage(), JsonRenderPlugin(), YamlRenderPlugin()]


def docs_router() -> Router:
    """Where the plugins' routes go: every answer under `/schema` carries the page's CSP."""
    return Router(
        DOCS_PATH,
        route_handlers=[],
        include_in_schema=False,
        response_headers={"Content-Security-Policy": DOCS_CSP},
    )
