"""`api_name`: the chat route's name, or `false` to keep the API out of sight."""

from __future__ import annotations

import httpx
import pytest
from browsing import expect, log, send
from helpers import wait_until

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError


def test_api_name_renames_the_chat_route(client) -> None:
    bot = client("fn: bot.py:echo\napi_name: ask\n")
    answer = bot.post("/api/ask", json={"message": "hi"})
    assert answer.json()["messages"][0]["content"] == "echo: hi (0 in history)"
    assert bot.post("/api/chat", json={"message": "hi"}).status_code == 404
    assert bot.get("/api/config").json()["api"]["chat"] == "api/ask"
    paths = bot.get("/schema/openapi.json").json()["paths"]
    assert "/api/ask" in paths
    assert "/api/chat" not in paths
    assert bot.get("/v1/models").json()["data"][0]["id"] == "bot"


def test_api_name_false_hides_the_api_but_keeps_the_page_working(client) -> None:
    bot = client("fn: bot.py:echo\napi_name: false\n")
    assert bot.get("/api/config").json()["api"]["chat"] == "api/chat"
    assert bot.post("/api/chat", json={"message": "hi"}).status_code == 200
    paths = bot.get("/schema/openapi.json").json()["paths"]
    assert "/api/chat" not in paths
    assert not [path for path in paths if path.startswith("/v1")]
    assert bot.get("/v1/models").status_code == 404
    completion = {"model": "bot", "messages": [{"role": "user", "content": "hi"}]}
    assert bot.post("/v1/chat/completions", json=completion).status_code == 404


@pytest.mark.parametrize("name", ["a/b", "has space", "", "../x"])
def test_api_name_is_one_path_segment(write_config, name: str) -> None:
    with pytest.raises(ConfigError, match="api_name"):
        load_config(write_config(f"fn: bot.py:echo\napi_name: '{name}'\n"))


def test_a_reload_keeps_the_route_and_says_a_restart_is_needed(write_config, live_server) -> None:
    config = write_config("fn: bot.py:echo\napi_name: ask\ntitle: One\n")
    server = live_server(config, "--reload")
    config.write_text("fn: bot.py:echo\napi_name: other\ntitle: Two\n")
    wait_until(lambda: httpx.get(f"{server.url}/api/config").json()["title"] == "Two")
    assert httpx.get(f"{server.url}/api/config").json()["api"]["chat"] == "api/ask"
    assert httpx.post(f"{server.url}/api/ask", json={"message": "hi"}).status_code == 200
    assert "take effect when the server restarts" in server.output()


def test_the_page_follows_the_renamed_route(open_bot) -> None:
    page = open_bot("fn: bot.py:echo\napi_name: ask\n")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    send(page, "hello")
    expect(log(page)).to_contain_text("echo: hello (0 in history)")
    assert page.url + "api/ask" in requests
