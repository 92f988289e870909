"""Live reload on a real server with real files: edits, broken edits, code edits, bursts."""

from __future__ import annotations

import queue
import random
import time
from pathlib import Path

import httpx
import pytest
from helpers import EventReader, parse_sse, wait_until


def config(server) -> dict:
    return httpx.get(server.url + "/api/config").json()


def chat(server, message: str = "hi") -> str:
    response = httpx.post(server.url + "/api/chat", json={"message": message}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["messages"][0]["content"]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_good_edit_is_served_without_a_restart(write_config, live_server) -> None:
    path = write_config("fn: bot.py:echo\ntitle: Before\n")
    server = live_server(path)
    events = EventReader(server.url + "/api/events?revision=1")
    replace(path, "Before", "After")
    name, data, event_id = events.next()
    assert (name, event_id, data["revision"], data["config"]["title"]) == (
        "reload",
        "2",
        2,
        "After",
    )
    assert config(server)["title"] == "After"
    assert "<title>After</title>" in httpx.get(server.url).text
    events.close()


def test_a_broken_edit_keeps_the_old_bot_serving(write_config, live_server) -> None:
    path = write_config("fn: bot.py:echo\ntitle: Before\n")
    server = live_server(path)
    events = EventReader(server.url + "/api/events?revision=1")
    path.write_text("fn: bot.py:echo\ntitle: Broken\ntitel: oops\n")
    name, data, _ = events.next()
    assert name == "error"
    assert data["revision"] == 1
    assert data["problems"] == [
        {
            "file": "bot.yaml",  # never the server's own path
            "line": 3,
            "column": 1,
            "path": "titel",
            "message": "unknown key 'titel'; did you mean 'title'?",
        }
    ]
    assert chat(server) == "echo: hi (0 in history)"
    assert (config(server)["title"], config(server)["revision"]) == ("Before", 1)
    assert f"{path}:3:1: titel: unknown key 'titel'" in server.output()
    assert "Still serving revision 1." in server.output()
    path.write_text("fn: bot.py:echo\ntitle: Fixed\n")
    name, data, _ = events.next()
    assert (name, data["config"]["title"]) == ("reload", "Fixed")
    events.close()


def test_a_broken_server_edit_tells_the_page_only_to_see_the_log(
    write_config, live_server, monkeypatch
) -> None:
    secret = "marker-5f1c secret value"
    monkeypatch.setenv("CHATSERVE_TEST_SECRET", secret)
    path = write_config("fn: bot.py:echo\ntitle: Before\n")
    server = live_server(path)
    events = EventReader(server.url + "/api/events?revision=1")
    path.write_text(
        "fn: bot.py:echo\n"
        "titel: oops\n"
        "server:\n"
        "  port: ${CHATSERVE_TEST_SECRET}\n"
        "  root_path: /x/${CHATSERVE_TEST_SECRET}\n"
        "  forwarded_allow_ips: ${HOME}\n"
    )
    name, data, _ = events.next()
    assert name == "error"
    assert data["problems"] == [
        {
            "file": "bot.yaml",
            "line": 2,
            "column": 1,
            "path": "titel",
            "message": "unknown key 'titel'; did you mean 'title'?",
        },
        {
            "file": "bot.yaml",
            "line": 4,
            "column": 3,
            "path": "server",
            "message": "server settings changed: see the log",
        },
    ]
    replace(path, "titel", "title")
    name, data, _ = events.next()
    assert (name, [p["message"] for p in data["problems"]]) == (
        "error",
        ["server settings changed: see the log"],
    )
    events.close()
    log = server.output()
    assert (
        f"{path}:4:3: server.port: must be an integer, got the value of ${{CHATSERVE_TEST_SECRET}}"
        in log
    )
    assert f"{path}:5:3: server.root_path: must be a path such as '/bot'" in log
    assert (
        f"{path}:6:3: server.forwarded_allow_ips: must be a list, got the value of ${{HOME}}" in log
    )
    assert secret not in log


def test_a_stream_running_across_an_edit_completes(write_config, live_server) -> None:
    path = write_config("fn: bot.py:steady\ntitle: Before\n")
    server = live_server(path)
    with httpx.stream(
        "POST", server.url + "/api/chat", json={"message": "x", "stream": True}, timeout=10
    ) as response:
        chunks = []
        for text in response.iter_text():
            chunks.append(text)
            if len(chunks) == 1:
                path.write_text("fn: bot.py:echo\ntitle: After\n")
    events = parse_sse("".join(chunks))
    assert events[-1][1]["messages"] == [{"role": "assistant", "content": "word " * 8}]
    wait_until(lambda: config(server)["title"] == "After")
    assert chat(server) == "echo: hi (0 in history)"


def test_an_fn_edit_takes_effect(write_config, live_server, tmp_path: Path) -> None:
    server = live_server(write_config("fn: bot.py:echo\n"))
    replace(tmp_path / "bot.py", 'return f"echo: ', 'return f"edited: ')
    assert wait_until(lambda: chat(server).startswith("edited: "))


def test_a_neighbour_module_edit_takes_effect(write_config, live_server, tmp_path) -> None:
    (tmp_path / "words.py").write_text("WORD = 'first'\n")
    bot = "from words import WORD\n\n\ndef reply(message, history):\n    return WORD\n"
    server = live_server(write_config("fn: bot.py:reply\n", bot_py=bot))
    assert chat(server) == "first"
    (tmp_path / "words.py").write_text("WORD = 'second'\n")
    assert wait_until(lambda: chat(server) == "second")


def test_fifty_rapid_saves_leave_the_server_healthy(write_config, live_server) -> None:
    path = write_config("fn: bot.py:echo\ntitle: T0\n")
    server = live_server(path)
    for n in range(1, 51):
        if n % 10 == 5:
            path.write_text("fn: bot.py:echo\ntitle: [unclosed\n")  # a broken save now and then
        else:
            path.write_text(f"fn: bot.py:echo\ntitle: T{n}\n")
        time.sleep(random.uniform(0, 0.01))
    wait_until(lambda: config(server)["title"] == "T50")
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    assert chat(server) == "echo: hi (0 in history)"
    assert "Traceback" not in server.output()


def test_reconnects_catch_up_with_last_event_id(write_config, live_server) -> None:
    path = write_config("fn: bot.py:echo\ntitle: One\n")
    server = live_server(path)
    replace(path, "One", "Two")
    wait_until(lambda: config(server)["revision"] == 2)
    behind = EventReader(server.url + "/api/events", headers={"Last-Event-ID": "1"})
    name, data, event_id = behind.next()
    assert (name, event_id, data["config"]["title"]) == ("reload", "2", "Two")
    current = EventReader(server.url + "/api/events", headers={"Last-Event-ID": "2"})
    with pytest.raises(queue.Empty):
        current.next(timeout=0.5)
    behind.close()
    current.close()


def test_no_reload_means_no_watcher_and_no_events(write_config, live_server) -> None:
    path = write_config("fn: bot.py:echo\ntitle: Fixed\n")
    server = live_server(path, "--no-reload")
    assert httpx.get(server.url + "/api/events").status_code == 404
    assert config(server)["api"]["events"] is None
    path.write_text("fn: bot.py:echo\ntitle: Changed\n")
    time.sleep(0.5)
    assert config(server)["title"] == "Fixed"


def test_workers_serve_the_same_config_and_share_files(write_config, live_server) -> None:
    path = write_config(
        "fn: bot.py:echo\nmultimodal: true\ntitle: Many\n",
        bot_py="def echo(message, history):\n    return {'path': message['files'][0]}\n",
    )
    server = live_server(path, "--workers", "2")
    assert config(server)["api"]["events"] is None
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for _ in range(10):  # fresh connections land on either worker
            upload = httpx.post(
                server.url + "/api/upload", files=[("files", ("a.txt", b"hi", "text/plain"))]
            )
            file_id = upload.json()["files"][0]["id"]
            reply = httpx.post(
                server.url + "/api/chat", json={"message": {"text": "", "files": [file_id]}}
            )
            assert reply.status_code == 200, reply.text
            served = reply.json()["messages"][0]["content"]["file"]["id"]
            assert client.get(f"/api/files/{served}").text == "hi"


def test_a_css_file_edit_reloads(write_config, live_server, tmp_path: Path) -> None:
    (tmp_path / "styles").mkdir()
    css = tmp_path / "styles" / "brand.css"
    css.write_text("body { color: red; }")
    server = live_server(write_config("fn: bot.py:echo\ncss_paths: [styles/brand.css]\n"))
    assert config(server)["theme_css"] == "body { color: red; }"
    css.write_text("body { color: blue; }")
    wait_until(lambda: config(server)["theme_css"] == "body { color: blue; }")
