"""File and image additional inputs: config, uploads per input, owners, limits, examples, and
the OpenAI-compatible route's file ids and `data:` URLs."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import httpx2
import jsonschema
import openai
import pytest
from helpers import problems, run_async
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from chatserve.security.clients import COOKIE

REPORT_PY = """
from pathlib import Path


def describe(value):
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(describe(item) for item in value) + "]"
    if isinstance(value, str):
        return f"{Path(value).name}:{Path(value).stat().st_size}"
    return f"{type(value).__name__}:{value.size[0]}x{value.size[1]}"


def report(message, history, doc, photo):
    return f"{message}: doc={describe(doc)} photo={describe(photo)}"
"""

INPUTS = """
fn: bot.py:report
additional_inputs:
  - {type: file, label: Document, file_types: [.txt, .pdf], file_count: multiple}
  - {type: image, label: Photo, max_file_size: 2kB}
"""


def png(width: int = 3, height: int = 2) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def http(client):
    def make(text: str = INPUTS):
        chat = client(text, bot_py=REPORT_PY)
        chat.get("/")  # the page hands out the client cookie
        return chat

    return make


def upload(chat, index: int, name: str, content: bytes) -> httpx.Response:
    return chat.post(f"/api/upload?input={index}", files=[("files", (name, content, "x/y"))])


def uploaded(chat, index: int, name: str, content: bytes) -> dict:
    response = upload(chat, index, name, content)
    assert response.status_code == 200, response.text
    return {"id": response.json()["files"][0]["id"]}


def ask(chat, inputs: list) -> tuple[int, str]:
    response = chat.post("/api/chat", json={"message": "hi", "inputs": inputs})
    body = response.json()
    return response.status_code, (
        body["messages"][0]["content"] if response.status_code == 200 else body["error"]["message"]
    )


def test_the_function_gets_paths_of_the_clients_uploads(http) -> None:
    chat = http()
    notes, paper = uploaded(chat, 0, "notes.txt", b"12345"), uploaded(chat, 0, "a.pdf", b"%PDF")
    photo = uploaded(chat, 1, "cat.png", png())
    assert ask(chat, [[notes, paper], photo]) == (
        200,
        f"hi: doc=[notes.txt:5, a.pdf:4] photo=cat.png:{len(png())}",
    )
    assert ask(chat, []) == (200, "hi: doc=[] photo=none")


def test_pil_format_hands_over_an_image(http) -> None:
    chat = http(INPUTS.replace("max_file_size: 2kB", "format: pil"))
    photo = uploaded(chat, 1, "cat.png", png(5, 4))
    assert ask(chat, [[], photo]) == (200, "hi: doc=[] photo=PngImageFile:5x4")


def test_another_clients_file_id_is_refused(http) -> None:
    chat = http()
    photo = uploaded(chat, 1, "cat.png", png())
    chat.cookies.set(COOKIE, "B" * 22)
    assert ask(chat, [[], photo]) == (422, f"Unknown file id {photo['id']!r}.")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/etc/passwd", "Input 2 (Photo): must be a file as {'id': ...}, got '/etc/passwd'."),
        ({"path": "/etc/passwd"}, "Input 2 (Photo): must be a file as {'id': ...}, got {'path'"),
        ([{"id": "x"}], "Input 2 (Photo): must be a file as {'id': ...}, got [{'id': 'x'}]."),
    ],
)
def test_a_value_must_be_a_file_ref(http, value, message) -> None:
    status, text = ask(http(), [[], value])
    assert (status, text[: len(message)]) == (422, message)


def test_types_and_sizes_are_checked_on_upload_and_again_on_use(http) -> None:
    chat = http()
    assert upload(chat, 1, "notes.txt", b"text").status_code == 415
    assert upload(chat, 0, "cat.png", png()).status_code == 415
    assert upload(chat, 1, "big.png", png() + b"0" * 2000).status_code == 413
    assert upload(chat, 2, "cat.png", png()).status_code == 403  # no such file input
    assert chat.post("/api/upload", files=[("files", ("a.txt", b"x"))]).status_code == 403
    # A file uploaded for one input does not slip into another with other rules.
    notes = uploaded(chat, 0, "notes.txt", b"x")
    status, text = ask(chat, [[], notes])
    assert (status, text) == (
        422,
        "Input 2 (Photo): 'notes.txt' is not an accepted file type (image).",
    )
    big = INPUTS.replace("file_types: [.txt, .pdf], ", "")
    chat = http(big)
    large = uploaded(chat, 0, "large.png", png() + b"0" * 3000)
    status, text = ask(chat, [[], large])
    assert status == 422
    assert text == "Input 2 (Photo): 'large.png' is larger than the limit of 2,000 bytes."


def test_the_page_gets_the_limits_and_example_files(http, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("examples")
    (tmp_path / "cat.png").write_bytes(png())
    chat = http(INPUTS + "examples:\n  - [Read, [notes.txt], cat.png]\n  - [Nothing, [], null]\n")
    config = chat.get("/api/config").json()
    doc, photo = config["additional_inputs"]
    assert (doc["type"], doc["file_count"], doc["file_types"]) == (
        "file",
        "multiple",
        [".txt", ".pdf"],
    )
    assert (doc["max_file_size"], photo["max_file_size"]) == (50_000_000, 2000)
    assert photo["file_types"] == ["image"]
    row, empty = config["examples"]
    [notes], cat = row["inputs"]
    assert (notes["name"], cat["name"], cat["mime_type"]) == ("notes.txt", "cat.png", "image/png")
    assert empty["inputs"] == [[], None]
    # The page sends the example files back by id: anyone may use them.
    chat.cookies.set(COOKIE, "B" * 22)
    refs = [[{"id": notes["id"]}], {"id": cat["id"]}]
    assert ask(chat, refs) == (200, f"hi: doc=[notes.txt:8] photo=cat.png:{len(png())}")


def test_cached_examples_with_files(write_config, live_server, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("examples")
    (tmp_path / "cat.png").write_bytes(png())
    config = write_config(
        INPUTS.replace("max_file_size: 2kB", "format: pil")
        + "cache_examples: true\nexamples: [[Read, [notes.txt], cat.png]]\n",
        bot_py=REPORT_PY,
    )
    server = live_server(config)
    [example] = httpx.get(server.url + "/api/config").json()["examples"]
    [notes], cat = example["inputs"]
    inputs = [[{"id": notes["id"]}], {"id": cat["id"]}]
    answer = httpx.post(server.url + "/api/chat", json={"message": "Read", "inputs": inputs})
    assert answer.headers["chatserve-cache"] == "hit"
    assert (
        answer.json()["messages"][0]["content"] == "Read: doc=[notes.txt:8] photo=PngImageFile:3x2"
    )


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ("  - {type: file, file_types: [pdf]}", "'pdf' is neither a kind"),
        ("  - {type: file, file_count: many}", "must be one of 'single' or 'multiple', got 'many'"),
        ("  - {type: image, max_file_size: lots}", "lots"),
        ("  - {type: image, format: jpeg}", "must be one of 'filepath' or 'pil', got 'jpeg'"),
    ],
)
def test_declarations_are_checked(tmp_path: Path, inputs: str, expected: str) -> None:
    (tmp_path / "bot.py").write_text(REPORT_PY)
    [problem] = problems(tmp_path, f"fn: bot.py:report\nadditional_inputs:\n{inputs}\n")
    assert problem.startswith("bot.yaml:3:") and expected in problem, problem


def test_example_rows_must_name_files_that_exist_and_fit(tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(REPORT_PY)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path.parent / "outside.txt").write_text("x")
    found = problems(
        tmp_path,
        INPUTS
        + "examples:\n"
        + "  - [a, [missing.pdf], null]\n"
        + "  - [b, [], notes.txt]\n"
        + "  - [c, [../outside.txt], null]\n"
        + "  - [d, [], [notes.txt]]\n",
    )
    assert found == [
        "bot.yaml:6:9: examples[0][1]: file 'missing.pdf' not found",
        "bot.yaml:7:13: examples[1][2]: file 'notes.txt' is not an accepted file type (image)",
        "bot.yaml:8:9: examples[2][1]: file '../outside.txt' is outside the config's folder and "
        "server.allowed_paths",
        "bot.yaml:9:13: examples[3][2]: value must be a file name or null, got ['notes.txt']",
    ]


OPENAI = INPUTS.replace("fn: bot.py:report", "title: Reporter\nfn: bot.py:report")


def data_url(content: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


@pytest.fixture
def server(write_config, live_server):
    return live_server(write_config(OPENAI, bot_py=REPORT_PY), "--no-reload")


def complete(server, inputs: list) -> openai.types.chat.ChatCompletion:
    with openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0) as api:
        return api.chat.completions.create(
            model="reporter",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"inputs": inputs},
        )


def test_openai_route_takes_data_urls_and_file_ids(server) -> None:
    text = data_url(b"hello", "text/plain")
    reply = complete(server, [[text, text], data_url(png())])
    assert (
        reply.choices[0].message.content
        == f"hi: doc=[input.txt:5, input.txt:5] photo=input.png:{len(png())}"
    )
    response = httpx.post(
        server.url + "/api/upload?input=1", files=[("files", ("cat.png", png(), "image/png"))]
    )
    photo = {"id": response.json()["files"][0]["id"]}  # a cookieless upload: anyone's
    reply = complete(server, [[], photo])
    assert reply.choices[0].message.content == f"hi: doc=[] photo=cat.png:{len(png())}"


@pytest.mark.parametrize(
    ("inputs", "status", "message"),
    [
        ([[], data_url(b"text", "text/plain")], 415, "'input.txt' is not an accepted file type"),
        ([[], data_url(png() + b"0" * 2000)], 413, "is larger than the limit of 2,000 bytes"),
        ([[], "data:image/png;base64,@@@"], 400, "A data: URL's base64 is malformed."),
        ([[], "data:image/png,rawbytes"], 400, "A file must be {'id': ...} or a base64 URL"),
        ([[data_url(b"%PDF", "application/pdf")], data_url(b"x" * 9000)], 413, "larger"),
    ],
)
def test_openai_route_refuses_bad_data_urls(
    server, tmp_path: Path, inputs, status, message
) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        complete(server, inputs)
    assert caught.value.status_code == status
    assert message in caught.value.body["message"]
    uploads = tmp_path / ".chatserve" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # nothing kept of a refusal


def test_openai_route_refuses_another_clients_file(server) -> None:
    response = httpx.post(
        server.url + "/api/upload?input=1",
        files=[("files", ("cat.png", png(), "image/png"))],
        cookies={COOKIE: "A" * 22},
    )
    photo = {"id": response.json()["files"][0]["id"]}
    with pytest.raises(openai.BadRequestError) as caught:
        complete(server, [[], photo])
    assert caught.value.body["message"] == f"Unknown file id {photo['id']!r}."


def test_pil_format_without_pillow_is_a_config_error(write_config) -> None:
    config = write_config(INPUTS.replace("max_file_size: 2kB", "format: pil"), bot_py=REPORT_PY)
    script = (
        "import sys; sys.modules['PIL'] = None  # as if Pillow were not installed\n"
        "from chatserve.bot.load import load\n"
        f"load({str(config)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode != 0
    assert (
        "additional_inputs[1]: format: pil needs the PIL.Image package, which is not installed: "
        "pip install 'chatserve[pil]'"
    ) in result.stderr


def test_data_urls_count_against_the_upload_quota(write_config, live_server, tmp_path) -> None:
    config = write_config(OPENAI + "server:\n  quotas: {uploads_per_minute: 2}\n", bot_py=REPORT_PY)
    server = live_server(config, "--no-reload")
    text = data_url(b"hello", "text/plain")
    complete(server, [[text, text]])
    with pytest.raises(openai.RateLimitError) as caught:
        complete(server, [[text]])
    assert "2 files per minute" in caught.value.body["message"]
    assert len(list((tmp_path / ".chatserve" / "uploads").iterdir())) == 2


def test_the_mcp_tool_takes_data_urls_as_the_openai_route_does(
    write_config, live_server, tmp_path: Path
) -> None:
    server = live_server(write_config(OPENAI, bot_py=REPORT_PY), "--no-reload", "--mcp")

    async def use() -> tuple[Any, ...]:
        async with (
            httpx2.AsyncClient() as http,
            streamable_http_client(server.url + "/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            [tool] = (await session.list_tools()).tools
            text = data_url(b"hello", "text/plain")
            sent = {"message": "hi", "doc": [text, text], "photo": data_url(png())}
            good = await session.call_tool("reporter", sent)
            wrong_type = {"message": "hi", "photo": data_url(b"text", "text/plain")}
            return tool, good, await session.call_tool("reporter", wrong_type)

    tool, good, refused = run_async(use)
    photo = jsonschema.Draft202012Validator(tool.input_schema["properties"]["photo"])
    assert photo.is_valid(data_url(png())) and photo.is_valid({"id": "x"})
    assert not good.is_error
    assert (
        good.content[0].text == f"hi: doc=[input.txt:5, input.txt:5] photo=input.png:{len(png())}"
    )
    assert refused.is_error
    assert "'input.txt' is not an accepted file type" in refused.content[0].text  # as on /v1
    uploads = tmp_path / ".chatserve" / "uploads"
    assert len(list(uploads.iterdir())) == 3  # the good call's three; nothing of the refusal
