"""`GET /login`, `POST /login` and `POST /logout`: the web page's way in and out with
`server.auth`. The login page is one self-contained HTML document (no scripts, no assets), in
the bot's `language:` (or the browser's, from `Accept-Language`), with its `texts:`: a password
form for `users`, a "Sign in with ..." link for `oidc` (see `routes.oidc`), or both."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.response import Redirect

from chatserve.security.auth import SESSION_COOKIE, Auth, client_address, login_url
from chatserve.services import Services
from chatserve.ui.texts import fill, words

LOGIN_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@get("/login", include_in_schema=False)
async def login_page(
    request: Request[Any, Any, State], services: NamedDependency[Services]
) -> Response[str]:
    auth_of(services)
    return sign_in_page(request, services, request.query_params.get("next", "/"))


@post("/login", include_in_schema=False, opt={"body": "application/x-www-form-urlencoded"})
async def log_in(
    request: Request[Any, Any, State], services: NamedDependency[Services]
) -> Response[Any]:
    auth = auth_of(services)
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_path = str(form.get("next", "/"))
    address = client_address(request)
    try:
        user = await auth.sign_in(username, password, address, services.executor)
    except TooManyRequestsException as refused:
        return too_many(request, services, next_path, refused, username)
    if user is None:
        return sign_in_page(
            request, services, next_path, username=username, error=("login.wrong", {}), status=401
        )
    response = Redirect(local_url(request, next_path), status_code=303)
    response.set_cookie(
        auth.session_cookie(request, auth.sessions.new(user), auth.config.session_max_age)
    )
    return response


@post("/logout", include_in_schema=False, opt={"body": "application/x-www-form-urlencoded"})
async def log_out(
    request: Request[Any, Any, State], services: NamedDependency[Services]
) -> Response[Any]:
    """End this session, or with `everywhere` in the form every session of its user; a user
    who signed in through the OpenID provider is then sent to sign out there too, if it says
    where (and comes back to the login page)."""
    auth = auth_of(services)
    form = await request.form()
    session = auth.sessions.check(request.cookies.get(SESSION_COOKIE))
    if session is not None and form.get("everywhere"):
        auth.sessions.end_all(session.username)
    elif session is not None:
        auth.sessions.end(session)
    response: Response[Any] = Redirect(login_url(request), status_code=303)
    if session is not None and session.id_token is not None and auth.provider is not None:
        back = absolute_url(request, "/login")
        provider = await auth.provider.logout_url(session.id_token, back)
        if provider is not None:
            response = _leaving(request, services, provider)
    response.set_cookie(auth.session_cookie(request, "", max_age=0))
    return response


def _leaving(request: Request[Any, Any, State], services: Services, url: str) -> Response[str]:
    """A page that goes on to `url` (the provider's end of session) by itself. Not a redirect:
    the chat page's Content-Security-Policy (`form-action 'self'`) stops a form's redirect to
    another site."""
    auth = auth_of(services).config
    assert auth.oidc is not None
    lang, texts = _words(request, services)
    label = auth.oidc.label or texts["login.oidc_sso"]
    link = PROVIDER.format(
        separator="", href=html.escape(url), text=html.escape(texts["login.continue"])
    )
    return _document(
        services,
        (lang, texts),
        lead=fill(texts["login.signing_out"], label=label),
        body=link,
        head=f'<meta http-equiv="refresh" content="0; url={html.escape(url)}">',
    )


def auth_of(services: Services) -> Auth:
    """The app's `server.auth`; 404 for a bot without it."""
    auth = services.auth
    if auth is None:
        raise NotFoundException("This bot has no login (server.auth is not set).")
    return auth


def local_url(request: Request[Any, Any, Any], path: str) -> str:
    """Where to go after signing in: a path of this app, never another site."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        path = "/"
    return f"{request.scope.get('root_path', '')}{path}"


def absolute_url(request: Request[Any, Any, Any], path: str) -> str:
    """`path` of this app as a full URL, as the browser reached the app (the provider sends
    the browser back to it)."""
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}{path}"


def too_many(
    request: Request[Any, Any, State],
    services: Services,
    next_path: str,
    refused: TooManyRequestsException,
    username: str = "",
) -> Response[str]:
    """The sign-in page saying how long to wait (429)."""
    wait = {"seconds": (refused.headers or {}).get("Retry-After", "1")}
    return sign_in_page(
        request,
        services,
        next_path,
        username=username,
        error=("login.too_many", wait),
        status=429,
        headers=refused.headers,
    )


def sign_in_page(
    request: Request[Any, Any, State],
    services: Services,
    next_path: str,
    *,
    username: str = "",
    error: tuple[str, dict[str, str]] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """The sign-in page; `error` is the key of the text to show (and its values)."""
    auth = auth_of(services).config
    lang, texts = _words(request, services)
    alert = (
        f'<p class="error" role="alert">{html.escape(fill(texts[error[0]], **error[1]))}</p>'
        if error
        else ""
    )
    form = (
        FORM.format(
            action=html.escape(_relative(request, "/login")),
            username_label=html.escape(texts["login.username"]),
            password=html.escape(texts["login.password"]),
            submit=html.escape(texts["login.submit"]),
            username=html.escape(username),
            next=html.escape(next_path),
            autofocus_user="" if username else " autofocus",
            autofocus_password=" autofocus" if username else "",
        )
        if auth.users
        else ""
    )
    provider = ""
    if auth.oidc is not None:
        label = auth.oidc.label or texts["login.oidc_sso"]
        provider = PROVIDER.format(
            separator=f'<p class="or">{html.escape(texts["login.or"])}</p>' if form else "",
            href=html.escape(_relative(request, f"/login/oidc?next={quote(next_path)}")),
            text=html.escape(fill(texts["login.oidc"], label=label)),
        )
    body = f"{alert}\n  {form}\n  {provider}"
    return _document(services, (lang, texts), texts["login.lead"], body, status, headers)


def _relative(request: Request[Any, Any, State], path: str) -> str:
    """`path` of this app as a link from the page being answered: relative, as the chat
    page's links are, so that it works under any prefix a proxy serves the bot under."""
    depth = request.scope.get("path_template", "/").count("/") - 1
    return "../" * depth + path.lstrip("/")


def _words(request: Request[Any, Any, State], services: Services) -> tuple[str, dict[str, str]]:
    """(the page's `lang`, its words): the bot's `language:` or the browser's."""
    config = services.served.bot.config
    return words(config.language, request.headers.get("accept-language"), config.texts)


def _document(
    services: Services,
    language: tuple[str, dict[str, str]],
    lead: str,
    body: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    head: str = "",
) -> Response[str]:
    """A page of the sign-in's own, in `language`: the bot's title, `lead`, then `body`
    (HTML)."""
    lang, texts = language
    title = services.served.bot.config.title or "chatserve"
    page = PAGE.format(
        lang=html.escape(lang),
        head=head,
        page_title=html.escape(fill(texts["login.title"], title=title)),
        title=html.escape(title),
        lead=html.escape(lead),
        body=body,
    )
    return Response(
        page,
        status_code=status,
        media_type="text/html",
        headers={
            "Content-Security-Policy": LOGIN_CSP,
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
{head}
<title>{page_title}</title>
<style>
  :root {{ --bg: #f6f7f9; --card: #fff; --text: #1f2328; --muted: #59636e; --line: #d1d9e0;
          --accent: #f97316; --accent-text: #fff; --error: #b42318; }}
  @media (prefers-color-scheme: dark) {{
    :root {{ --bg: #0f1115; --card: #171a21; --text: #e6e8eb; --muted: #9aa4b2; --line: #2c313a;
            --error: #ff8a80; }}
  }}
  * {{ box-sizing: border-box; }}
  body {{ margin: 0; min-height: 100dvh; display: grid; place-items: center; padding: 1rem;
         background: var(--bg); color: var(--text);
         font: 16px/1.5 ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif; }}
  main {{ width: 100%; max-width: 22rem; background: var(--card); border: 1px solid var(--line);
         border-radius: 14px; padding: 2rem 1.75rem; box-shadow: 0 8px 30px rgb(0 0 0 / 0.06); }}
  h1 {{ margin: 0 0 0.25rem; font-size: 1.4rem; }}
  p.lead {{ margin: 0 0 1.5rem; color: var(--muted); font-size: 0.95rem; }}
  label {{ display: block; font-weight: 600; font-size: 0.9rem; margin: 1rem 0 0.35rem; }}
  input {{ width: 100%; padding: 0.6rem 0.75rem; font: inherit; color: inherit;
          background: transparent; border: 1px solid var(--line); border-radius: 8px; }}
  input:focus {{ outline: 2px solid var(--accent); outline-offset: 1px;
                border-color: transparent; }}
  button {{ width: 100%; margin-top: 1.5rem; padding: 0.65rem; font: inherit; font-weight: 600;
           color: var(--accent-text); background: var(--accent); border: 0; border-radius: 8px;
           cursor: pointer; }}
  button:hover {{ filter: brightness(1.05); }}
  .error {{ margin: 0 0 0.5rem; padding: 0.6rem 0.75rem; border-radius: 8px; font-size: 0.9rem;
           color: var(--error); border: 1px solid currentColor; }}
  a.provider {{ display: block; margin-top: 1.5rem; padding: 0.6rem; text-align: center;
               font-weight: 600; color: inherit; text-decoration: none;
               border: 1px solid var(--line); border-radius: 8px; }}
  a.provider:hover {{ border-color: var(--accent); }}
  a.provider:focus-visible {{ outline: 2px solid var(--accent); outline-offset: 1px; }}
  p.or {{ display: flex; align-items: center; gap: 0.75rem; margin: 1.25rem 0 -0.5rem;
         color: var(--muted); font-size: 0.85rem; }}
  p.or::before, p.or::after {{ content: ""; flex: 1; border-top: 1px solid var(--line); }}
</style>
</head>
<body>
<main>
  <h1>{title}</h1>
  <p class="lead">{lead}</p>
  {body}
</main>
</body>
</html>
"""

FORM = """<form method="post" action="{action}">
    <input type="hidden" name="next" value="{next}">
    <label for="username">{username_label}</label>
    <input id="username" name="username" autocomplete="username" value="{username}"
      required{autofocus_user}>
    <label for="password">{password}</label>
    <input id="password" name="password" type="password" autocomplete="current-password"
      required{autofocus_password}>
    <button type="submit">{submit}</button>
  </form>"""

PROVIDER = """{separator}
  <a class="provider" href="{href}">{text}</a>"""
