"""Uploads and file serving over HTTP: opaque ids, owners, types, sizes, and refusals."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import httpx
import pytest
from helpers import parse_sse
from hypothesis import given
from hypothesis import strategies as st

from chatserve.http.byteranges import Unsatisfiable, byte_range
from chatserve.routes.files import open_no_follow
from chatserve.security.clients import COOKIE
from chatserve.store.files import MAX_NAME_BYTES

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
DIGITS = bytes(range(48, 58)) * 100  # 1,000 bytes: "0123456789" over and over

FILES_PY = """
def describe(message, history):
    files = ", ".join(message["files"])
    past = [m["content"] for m in history if isinstance(m["content"], tuple)]
    return f"text={message['text']!r} files=[{files}] past={past}"


def passwd(message, history):
    return {"path": "/etc/passwd"}


def url(message, history):
    return {"path": message}
"""

MULTIMODAL = "fn: bot.py:describe\nmultimodal: true\ntextbox: {file_count: multiple}\n"


@pytest.fixture
def files_client(client):
    def make(text: str = MULTIMODAL):
        http = client(text, bot_py=FILES_PY)
        http.get("/")  # the page hands out the client cookie
        return http

    return make


def upload(http, name: str = "cat.png", content: bytes = PNG, mime: str = "image/png"):
    return http.post("/api/upload", files=[("files", (name, content, mime))])


def uploaded_id(http, **kw) -> str:
    response = upload(http, **kw)
    assert response.status_code == 200, response.text
    return response.json()["files"][0]["id"]


def switch_client(http, value: str = "B" * 22) -> None:
    http.cookies.set(COOKIE, value)


def test_upload_stores_under_a_random_name_and_answers_an_id(files_client, tmp_path: Path) -> None:
    http = files_client()
    response = upload(http)
    [stored] = response.json()["files"]
    assert set(stored) == {"id", "name", "size", "mime_type", "url"}
    assert (stored["name"], stored["size"], stored["mime_type"]) == ("cat.png", 72, "image/png")
    assert len(stored["id"]) >= 22  # 128 random bits
    assert stored["url"] == f"api/files/{stored['id']}"
    [folder] = (tmp_path / ".chatserve" / "uploads").iterdir()
    assert folder.name == stored["id"]
    assert (folder / "cat.png").read_bytes() == PNG


def test_the_chat_function_gets_real_paths_and_history_tuples(files_client, tmp_path) -> None:
    http = files_client()
    first, second = uploaded_id(http), uploaded_id(http, name="dog.png")
    history = [{"role": "user", "content": {"file": {"id": first, "url": "ignored"}}}]
    response = http.post(
        "/api/chat", json={"message": {"text": "hi", "files": [second]}, "history": history}
    )
    assert response.status_code == 200, response.text
    text = response.json()["messages"][0]["content"]
    uploads = tmp_path / ".chatserve" / "uploads"
    assert f"files=[{uploads / second / 'dog.png'}]" in text
    assert f"past=[('{uploads / first / 'cat.png'}',)]" in text


def test_another_clients_upload_id_is_refused(files_client) -> None:
    http = files_client()
    file_id = uploaded_id(http)
    switch_client(http)
    response = http.post("/api/chat", json={"message": {"text": "x", "files": [file_id]}})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("Unknown file id")
    assert http.get(f"/api/files/{file_id}").status_code == 404
    history = [{"role": "user", "content": {"file": {"id": file_id}}}]
    assert http.post("/api/chat", json={"message": "x", "history": history}).status_code == 422


@pytest.mark.parametrize(
    "content",
    [
        {"component": "gallery"},
        {"component": "gallery", "items": ["/etc/passwd"]},
        {"component": "image", "file": "/etc/passwd"},
        {"component": "sparkles"},
        {"file": {"url": "http://[::1"}},
        ["not", "a", "message"],
    ],
)
def test_malformed_history_content_is_422(files_client, content) -> None:
    history = [{"role": "assistant", "content": content}]
    response = files_client().post("/api/chat", json={"message": "x", "history": history})
    assert response.status_code == 422


@pytest.mark.parametrize("raw", ["/etc/passwd", "../../etc/passwd", "uploads/x/cat.png"])
def test_raw_paths_are_never_accepted(files_client, raw: str) -> None:
    http = files_client()
    response = http.post("/api/chat", json={"message": {"text": "x", "files": [raw]}})
    assert response.status_code == 422
    for content in ({"file": {"path": raw}}, {"file": {"url": raw}}, {"path": raw}):
        history = [{"role": "user", "content": content}]
        assert http.post("/api/chat", json={"message": "x", "history": history}).status_code == 422
    assert http.get(f"/api/files/{raw}").status_code == 404


def test_uploads_are_served_inline_only_when_harmless(files_client) -> None:
    http = files_client()
    picture = http.get(f"/api/files/{uploaded_id(http)}")
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["content-disposition"].startswith("inline")
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert picture.headers["content-security-policy"].startswith("sandbox")
    page = http.get(
        f"/api/files/{uploaded_id(http, name='x.html', content=b'<script>', mime='text/html')}"
    )
    assert page.headers["content-disposition"].startswith("attachment")
    assert page.headers["content-security-policy"].startswith("sandbox;")


@pytest.mark.parametrize(
    ("name", "claimed", "served", "disposition"),
    [
        ("cat.png", "text/html", "image/png", "inline"),
        ("evil.png.html", "image/png", "application/octet-stream", "attachment"),
        ("app.js", "text/javascript", "application/octet-stream", "attachment"),
        ("app.mjs", "text/javascript", "application/octet-stream", "attachment"),
        ("page.htm", "text/html", "application/octet-stream", "attachment"),
        ("style.css", "text/css", "application/octet-stream", "attachment"),
        ("drawing.svg", "image/svg+xml", "image/svg+xml", "attachment"),
        ("notes", "text/html", "application/octet-stream", "attachment"),
    ],
)
def test_types_come_from_the_servers_allowlist_never_the_client(
    files_client, name: str, claimed: str, served: str, disposition: str
) -> None:
    http = files_client()
    [stored] = upload(http, name=name, content=b"<script>", mime=claimed).json()["files"]
    assert stored["mime_type"] == served
    response = http.get(f"/api/files/{stored['id']}")
    assert response.headers["content-type"].split(";")[0] == served
    assert response.headers["content-disposition"].startswith(disposition)


def test_a_claimed_type_with_control_characters_never_reaches_a_header(
    write_config, live_server
) -> None:
    server = live_server(write_config(MULTIMODAL, bot_py=FILES_PY), "--no-reload")
    with httpx.Client(base_url=server.url) as http:
        files = [("files", ("notes", b"hello", "text/html\x01\r\nX-Evil: 1"))]
        [stored] = http.post("/api/upload", files=files).json()["files"]
        # A control character in a header makes h11 drop the connection instead of answering.
        response = http.get(f"/api/files/{stored['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "x-evil" not in response.headers


@pytest.mark.parametrize("name", ["猫" * 86 + ".png", "a" * 300 + ".txt", "é" * 200])
def test_long_names_are_cut_to_a_byte_limit_keeping_the_extension(
    files_client, tmp_path: Path, name: str
) -> None:
    response = upload(files_client(), name=name)
    assert response.status_code == 200, response.text
    [stored] = response.json()["files"]
    kept = stored["name"]
    assert len(kept.encode()) <= MAX_NAME_BYTES
    assert Path(kept).suffix == Path(name).suffix
    assert name.startswith(Path(kept).stem)
    [folder] = (tmp_path / ".chatserve" / "uploads").iterdir()
    assert (folder / kept).read_bytes() == PNG


def test_a_failed_write_leaves_no_folder_behind(write_config, live_process, tmp_path) -> None:
    """A write past the file size limit fails as a full disk would: what was begun is removed."""
    big = tmp_path / "big.bin"
    big.write_bytes(b"0" * 300_000)
    config = write_config(
        MULTIMODAL.replace("describe", "big"),
        bot_py=FILES_PY + f"\n\ndef big(message, history):\n    return {{'path': {str(big)!r}}}\n",
    )
    serve = [sys.executable, "-m", "chatserve", "serve", str(config), "--port", "{port}"]
    server = live_process(["prlimit", "--fsize=200000", *serve, "--no-reload"], tmp_path)
    with httpx.Client(base_url=server.url) as http:
        upload_response = http.post("/api/upload", files=[("files", ("a.bin", big.read_bytes()))])
        chat_response = http.post("/api/chat", json={"message": "x"})
    assert upload_response.status_code == 507
    assert upload_response.json()["error"]["message"] == (
        "The server's disk is full; try again later."
    )
    assert chat_response.status_code != 200
    data = tmp_path / ".chatserve"
    assert [p for kind in ("uploads", "files") for p in (data / kind).glob("*")] == []


def test_served_files_are_opened_without_following_a_link(tmp_path: Path) -> None:
    """What closes the gap between `FileStore.get` checking a path and the response opening it."""
    (tmp_path / "passwd.png").symlink_to("/etc/passwd")
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        open_no_follow(tmp_path / "passwd.png")


def test_a_file_deleted_while_it_is_served_is_served_whole(write_config, live_server, tmp_path):
    """A sweep or a cleared cache may delete a file between a response's headers and its end."""
    server = live_server(write_config(MULTIMODAL, bot_py=FILES_PY))
    content = DIGITS * 3000  # 3 MB: several chunks
    with httpx.Client(base_url=server.url) as http:
        http.get("/")
        file_id = uploaded_id(http, name="digits.bin", content=content, mime="text/plain")
        with http.stream("GET", f"/api/files/{file_id}") as response:
            [path] = (tmp_path / ".chatserve" / "uploads" / file_id).iterdir()
            path.unlink()
            assert response.read() == content
        assert http.get(f"/api/files/{file_id}").status_code == 404


def test_a_symlink_planted_in_the_data_dir_is_not_followed(files_client, tmp_path) -> None:
    http = files_client()
    link_id, folder_id = uploaded_id(http), uploaded_id(http)
    uploads = tmp_path / ".chatserve" / "uploads"
    (uploads / link_id / "cat.png").unlink()
    (uploads / link_id / "cat.png").symlink_to("/etc/passwd")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "cat.png").write_text("a secret")
    shutil.rmtree(uploads / folder_id)
    (uploads / folder_id).symlink_to(elsewhere)
    for file_id in (link_id, folder_id):
        assert http.get(f"/api/files/{file_id}").status_code == 404
        history = [{"role": "user", "content": {"file": {"id": file_id}}}]
        assert http.post("/api/chat", json={"message": "x", "history": history}).status_code == 422


def test_file_types_and_sizes_are_enforced(files_client) -> None:
    http = files_client(
        "fn: bot.py:describe\nmultimodal: true\ntextbox: {file_types: [image, .pdf], "
        "max_file_size: 100}\n"
    )
    assert upload(http, name="a.pdf", content=b"%PDF", mime="application/pdf").status_code == 200
    refused = upload(http, name="a.txt", content=b"hi", mime="text/plain")
    assert refused.status_code == 415
    assert "not an accepted file type (image, .pdf)" in refused.json()["error"]["message"]
    too_big = upload(http, content=PNG * 2)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["message"] == "'cat.png' is larger than the limit of 100 bytes."


def test_a_request_refused_part_way_keeps_none_of_its_files(files_client, tmp_path) -> None:
    http = files_client(
        "fn: bot.py:describe\nmultimodal: true\n"
        "textbox: {file_count: multiple, file_types: [.txt]}\n"
    )
    files = [("files", ("a.txt", b"first")), ("files", ("b.exe", b"second"))]
    response = http.post("/api/upload", files=files)
    assert response.status_code == 415
    data = tmp_path / ".chatserve"
    assert list((data / "uploads").iterdir()) == []
    assert list((data / "registry").glob("*.json")) == []


def test_a_multipart_body_without_files_is_422(files_client) -> None:
    empty = b"--edge--\r\n"
    headers = {"Content-Type": "multipart/form-data; boundary=edge"}
    response = files_client().post("/api/upload", content=empty, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Send files in the multipart field 'files'."


def test_file_count_single_allows_one_file(files_client) -> None:
    http = files_client("fn: bot.py:describe\nmultimodal: true\n")
    ids = [uploaded_id(http), uploaded_id(http)]
    response = http.post("/api/chat", json={"message": {"text": "x", "files": ids}})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "This bot takes one file per message, got 2."


def test_uploads_need_a_multimodal_bot(files_client) -> None:
    http = files_client("fn: bot.py:describe\n")
    assert upload(http).status_code == 403
    response = http.post("/api/chat", json={"message": {"text": "x", "files": []}})
    assert response.status_code == 422


def test_cross_site_upload_is_refused(files_client) -> None:
    http = files_client()
    response = http.post(
        "/api/upload",
        files=[("files", ("a.png", PNG, "image/png"))],
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x.png", "http://[::1"])
def test_a_bot_url_of_another_scheme_is_the_same_clear_error(
    files_client, caplog, url: str
) -> None:
    http = files_client("fn: bot.py:url\n")
    response = http.post("/api/chat", json={"message": url})
    assert response.status_code == 422
    assert "only http and https URLs" in response.json()["error"]["message"]
    events = parse_sse(http.post("/api/chat", json={"message": url, "stream": True}).text)
    assert events[0][0] == "error" and "only http and https URLs" in events[0][1]["message"]
    messages = [{"role": "user", "content": url}]
    completion = http.post("/v1/chat/completions", json={"model": "bot", "messages": messages})
    assert completion.status_code == 400
    assert "only http and https URLs" in completion.json()["error"]["message"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_bot_file_outside_allowed_places_is_a_clear_error(files_client, caplog) -> None:
    http = files_client("fn: bot.py:passwd\n")
    response = http.post("/api/chat", json={"message": "x"})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "may not serve ('passwd')" in message
    assert "server.allowed_paths" in message
    events = parse_sse(http.post("/api/chat", json={"message": "x", "stream": True}).text)
    assert events[0][0] == "error" and "may not serve" in events[0][1]["message"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=990-", 990, 999),
        ("bytes=-5", 995, 999),
        ("bytes=500-99999", 500, 999),  # clipped to the file
        ("bytes=-5000", 0, 999),
        (" bytes=3-3 ", 3, 3),
    ],
)
def test_a_range_of_a_file_is_served_as_206(files_client, header: str, first: int, last: int):
    http = files_client()
    file_id = uploaded_id(http, name="clip.mp4", content=DIGITS, mime="video/mp4")
    whole = http.get(f"/api/files/{file_id}")
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    part = http.get(f"/api/files/{file_id}", headers={"Range": header})
    assert part.status_code == 206
    assert part.content == DIGITS[first : last + 1]
    assert part.headers["content-range"] == f"bytes {first}-{last}/1000"
    assert part.headers["content-length"] == str(last - first + 1)
    assert part.headers["etag"] == whole.headers["etag"]
    assert part.headers["content-type"] == "video/mp4"
    assert part.headers["content-security-policy"] == whole.headers["content-security-policy"]


@pytest.mark.parametrize(
    "header", ["bytes=5-3", "bytes=0-1,5-6", "items=0-9", "bytes=x-9", "bytes=-", "bytes=²-9"]
)
def test_ranges_chatserve_does_not_serve_get_the_whole_file(files_client, header: str) -> None:
    http = files_client()
    file_id = uploaded_id(http, name="clip.mp4", content=DIGITS, mime="video/mp4")
    response = http.get(f"/api/files/{file_id}", headers={"Range": header.encode()})
    assert response.status_code == 200
    assert response.content == DIGITS


def test_a_range_past_the_end_is_416(files_client) -> None:
    http = files_client()
    file_id = uploaded_id(http, name="clip.mp4", content=DIGITS, mime="video/mp4")
    for header in ("bytes=1000-", "bytes=-0"):
        response = http.get(f"/api/files/{file_id}", headers={"Range": header})
        assert response.status_code == 416
        assert response.headers["content-range"] == "bytes */1000"
        assert response.json()["error"]["message"] == (
            "The requested range is outside the file (1,000 bytes)."
        )


def test_if_range_serves_the_part_only_of_the_same_version(files_client) -> None:
    http = files_client()
    file_id = uploaded_id(http, name="clip.mp4", content=DIGITS, mime="video/mp4")
    etag = http.get(f"/api/files/{file_id}").headers["etag"]
    same = http.get(f"/api/files/{file_id}", headers={"Range": "bytes=0-1", "If-Range": etag})
    assert same.status_code == 206 and same.content == b"01"
    other = {"Range": "bytes=0-1", "If-Range": '"another-version"'}
    changed = http.get(f"/api/files/{file_id}", headers=other)
    assert changed.status_code == 200 and changed.content == DIGITS


@given(
    header=st.from_regex(r"bytes=[0-9]{0,5}-[0-9]{0,5}", fullmatch=True),
    size=st.integers(0, 20_000),
)
def test_a_parsed_range_always_lies_within_the_file(header: str, size: int) -> None:
    try:
        part = byte_range(header, size)
    except Unsatisfiable:
        return
    if part is not None:
        first, last = part
        assert 0 <= first <= last < size
