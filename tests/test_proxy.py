"""Behind a real nginx under `/bot/`, configured with the README's own `location` blocks: the
page, streaming, live reload, files, forwarded headers and signing in all work through it."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from browsing import api_snippet, expect, log, open_api_panel, run_snippet, send
from helpers import wait_until
from proxying import Nginx

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
PNG = ROOT / "configs" / "assets" / "landscape.png"

PROXY_PY = """
import time
from pathlib import Path
from typing import TYPE_CHECKING

import chatserve


def reply(message, history, request: chatserve.Request):
    text, files = message["text"], message["files"]
    if files:
        yield [f"got {len(files)} file(s)", (files[0],)]
    elif text == "picture":
        yield ["a picture:", (str(Path(__file__).with_name("picture.png")),)]
    elif text == "who":
        yield f"client {request.client}"
    else:
        for i in range(1, 6):
            time.sleep(0.2)
            yield "word " * i
"""

BOT_YAML = """
fn: bot.py:reply
title: Before
multimodal: true
server: {root_path: /bot, forwarded_allow_ips: [127.0.0.1], allowed_hosts: [bot.example]}
"""


def readme_locations(upstream_port: int) -> str:
    """The nginx example (`deploy/nginx.conf`, shown in the README), pointed at the chatserve
    under test."""
    block = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "http://127.0.0.1:8000/" in block
    return block.replace("http://127.0.0.1:8000/", f"http://127.0.0.1:{upstream_port}/")


@pytest.fixture
def nginx(tmp_path: Path, nginx_with: Nginx) -> Callable[[str], str]:
    """Start nginx in front of a chatserve URL; returns the proxy's URL (without `/bot`)."""

    def start(upstream: str) -> str:
        locations = readme_locations(int(upstream.rsplit(":", 1)[1]))
        server = f"    server {{\n        listen 127.0.0.1:{{port}};\n{locations}    }}\n"
        return nginx_with(f"    access_log {tmp_path / 'access.log'};\n{server}", "/bot/healthz")

    return start


@pytest.fixture
def bot(write_config, live_server, nginx) -> tuple[str, Path]:
    """chatserve with live reload behind nginx: the bot's public URL and its config file."""
    config = write_config(BOT_YAML, bot_py=PROXY_PY)
    shutil.copy(PNG, config.with_name("picture.png"))
    return nginx(live_server(config).url) + "/bot/", config


def watch_failures(page: Page) -> list[str]:
    """Requests of the page that failed or answered with an error, as they happen."""
    failures: list[str] = []
    page.on("requestfailed", lambda request: failures.append(f"failed {request.url}"))
    page.on(
        "response",
        lambda response: (
            failures.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return failures


def test_the_page_streams_reloads_and_uploads_under_a_sub_path(
    bot, new_page, tmp_path: Path
) -> None:
    url, config = bot
    page = new_page()
    failures = watch_failures(page)
    response = page.goto(url.removesuffix("/"))
    assert response is not None and response.url == url  # /bot → /bot/
    expect(page.get_by_role("heading", name="Before")).to_be_visible()
    accent = "getComputedStyle(document.documentElement).getPropertyValue('--cs-accent')"
    assert page.evaluate(accent).strip()  # the stylesheet applies

    send(page, "hi")
    shown: set[str] = set()

    def finished() -> bool:
        text = log(page).inner_text()
        shown.add(text)
        return "word word word word word" in text

    wait_until(finished, timeout=10)
    assert len({text for text in shown if "word" in text}) > 1  # it grew in steps
    page.screenshot(path=tmp_path / "proxied.png")

    page.evaluate("window.notReloaded = true")
    config.write_text(BOT_YAML.replace("title: Before", "title: After"))
    expect(page.get_by_role("heading", name="After")).to_be_visible()
    expect(page).to_have_title("After")
    assert page.evaluate("window.notReloaded") is True

    page.locator("input[type=file]").set_input_files(str(PNG))
    send(page, "look")
    expect(log(page)).to_contain_text("got 1 file(s)")
    images = log(page).locator("img[src*='api/files/']")
    expect(images).to_have_count(2)  # the upload, and the bot's reply with it
    for image in images.all():
        wait_until(lambda image=image: image.evaluate("img => img.complete"))
        assert image.evaluate("img => img.naturalWidth") > 0
    sources = [image.evaluate("img => img.src") for image in images.all()]
    assert all(source.startswith(url + "api/files/") for source in sources), sources
    page.screenshot(path=tmp_path / "uploaded.png")
    assert failures == []


def test_the_api_streams_and_believes_the_proxy(bot) -> None:
    url, _ = bot
    origin = url.removesuffix("/bot/")
    arrivals = []
    request = {"message": "hi", "stream": True}
    with httpx.stream("POST", url + "api/chat", json=request, timeout=10) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line in ("event: message", "event: delta"):
                arrivals.append(time.monotonic())
    assert len(arrivals) >= 3
    assert arrivals[-1] - arrivals[0] > 0.4  # nginx passed the events on as they came

    # nginx appends its peer (127.0.0.1, trusted) to X-Forwarded-For; the client is the one before.
    answer = httpx.post(
        url + "api/chat",
        json={"message": "who"},
        headers={"X-Forwarded-For": "203.0.113.7"},
        timeout=10,
    )
    assert answer.json()["messages"][0]["content"] == "client 203.0.113.7"

    completion = httpx.post(
        url + "v1/chat/completions",
        json={"model": "before", "messages": [{"role": "user", "content": "picture"}]},
        timeout=10,
    )
    text = completion.json()["choices"][0]["message"]["content"]
    [link] = re.findall(r"\]\((\S+)\)", text)
    assert link.startswith(f"{origin}/bot/api/files/"), text
    served = httpx.get(link, timeout=10)
    assert served.status_code == 200 and served.content == PNG.read_bytes()

    upload = httpx.post(url + "api/upload", files={"files": ("a.txt", b"hello")}, timeout=10)
    [file] = upload.json()["files"]
    assert httpx.get(url + file["url"], timeout=10).text == "hello"

    schema = httpx.get(url + "schema/openapi.json", timeout=10).json()
    assert "/api/chat" in schema["paths"]
    assert schema["servers"] == [{"url": "/bot"}]  # where "Try it out" and clients send requests

    page = httpx.get(url, timeout=10)
    assert re.search(r"chatserve_client=\S+; HttpOnly; Path=/bot;", page.headers["set-cookie"])


def test_the_api_panels_snippets_call_the_bot_under_its_sub_path(
    bot, new_page, tmp_path: Path
) -> None:
    """What the "Use via API" panel shows works as pasted through the proxy, and its
    commented-out upload works too once uncommented."""
    url, _ = bot
    page = new_page()
    page.goto(url)
    open_api_panel(page)
    curl, python, openai = (api_snippet(page, name) for name in ("curl", "python", "openai"))
    assert f"curl {url}api/chat" in curl
    reply = "word word word word word"
    assert reply in run_snippet("curl", curl, tmp_path)
    assert run_snippet("python", python, tmp_path).strip().endswith(reply)
    assert run_snippet("openai", openai, tmp_path).strip().endswith(reply)

    shutil.copy(PNG, tmp_path / "photo.png")
    [upload] = [line for line in curl.splitlines() if "api/upload" in line]
    uploaded = run_snippet("curl", upload.removeprefix("#").strip(), tmp_path)
    assert '"name":"photo.png"' in uploaded
    lines = python.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# Files:"))
    end = next(i for i, line in enumerate(lines) if line.startswith("with httpx.stream"))
    with_files = [*lines[:start], *(line[2:] for line in lines[start + 1 : end]), *lines[end:]]
    assert run_snippet("python", "\n".join(with_files), tmp_path).strip() == "got 1 file(s)"


def test_the_proxy_passes_on_the_host_the_browser_named(bot) -> None:
    url, _ = bot
    # A page under a rebound name reaches nginx, which passes the name on: chatserve refuses it.
    rebound = httpx.get(url + "api/config", headers={"Host": "evil.example"}, timeout=10)
    assert rebound.status_code == 400
    assert "evil.example" in rebound.json()["error"]["message"]
    named = {"Host": "bot.example", "Origin": "http://bot.example"}
    assert httpx.post(url + "api/chat", json={"message": "hi"}, headers=named).status_code == 200
    completion = httpx.post(
        url + "v1/chat/completions",
        json={"model": "before", "messages": [{"role": "user", "content": "picture"}]},
        headers={"Host": "bot.example"},
        timeout=10,
    )
    text = completion.json()["choices"][0]["message"]["content"]
    assert "](http://bot.example/bot/api/files/" in text, text


AUTH_YAML = """
fn: bot.py:reply
title: Private
multimodal: true
server:
  root_path: /bot
  forwarded_allow_ips: [127.0.0.1]
  auth: {users: [{username: ana, password: open-sesame}]}
"""


def test_signing_in_through_the_proxy(write_config, live_server, nginx, new_page) -> None:
    url = nginx(live_server(write_config(AUTH_YAML, bot_py=PROXY_PY)).url) + "/bot/"
    assert httpx.get(url, headers={"Accept": "text/html"}).headers["location"] == "/bot/login"

    page = new_page()
    failures = watch_failures(page)
    page.goto(url)
    assert page.url == url + "login"
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill("open-sesame")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="Sign in").click()
    assert posted.value.status == 303
    cookie = posted.value.header_value("set-cookie") or ""
    assert cookie.startswith("chatserve_session=") and re.search(r"Path=/bot(;|$)", cookie), cookie
    [session] = [c for c in page.context.cookies() if c["name"] == "chatserve_session"]
    assert session["path"] == "/bot"
    expect(page.get_by_role("heading", name="Private")).to_be_visible()
    assert page.url == url
    send(page, "hi")
    expect(log(page)).to_contain_text("word word word word word")
    assert failures == []
