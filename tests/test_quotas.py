"""`server.quotas`: how much a client, and all clients together, may write into the data dir
through uploads and flags, and the free-disk floor below which nothing more is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from litestar import Request

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError
from chatserve.security.quotas import client_key
from chatserve.security.ratelimit import RateLimit

MiB = 1024 * 1024
REPLY = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]

WRITES = """\
fn: bot.py:echo
multimodal: true
flagging_mode: manual
server:
  quotas:
"""


def writes(**quotas: object) -> str:
    """A bot that takes uploads and flags, with these `server.quotas`."""
    return WRITES + "".join(f"    {key}: {value}\n" for key, value in quotas.items())


def upload(http: httpx.Client, size: int = 10, name: str = "notes.txt") -> httpx.Response:
    return http.post("/api/upload", files=[("files", (name, b"x" * size, "text/plain"))])


def flag(http: httpx.Client, history: list[dict] = REPLY) -> httpx.Response:
    return http.post("/api/flag", json={"history": history, "index": 1, "option": "Like"})


def uploads_left(tmp_path: Path) -> list[str]:
    """What the uploads folder holds: one folder per stored upload, each with its file."""
    folder = tmp_path / ".chatserve" / "uploads"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def assert_refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]


def test_uploads_past_the_rate_get_429_dropping_cookies_or_not(client) -> None:
    http = client(writes(uploads_per_minute=3))
    for _ in range(3):
        assert upload(http).status_code == 200
        http.cookies.clear()  # a fresh browser id changes nothing: the address is the client
    refused = upload(http)
    assert_refused(refused, 429, "3 files per minute")
    assert 1 <= int(refused.headers["retry-after"]) <= 20  # the next slot, not the whole minute
    assert f"Try again in {refused.headers['retry-after']} s" in refused.json()["error"]["message"]


def test_more_files_in_one_request_than_a_minute_allows_is_413(client, tmp_path: Path) -> None:
    http = client(writes(uploads_per_minute=3))
    files = [("files", (f"{i}.txt", b"x", "text/plain")) for i in range(4)]
    assert_refused(http.post("/api/upload", files=files), 413, "4 files")
    assert uploads_left(tmp_path) == []
    assert upload(http).status_code == 200  # nothing was taken for the refused request


def test_the_byte_quota_charges_what_was_written(client, tmp_path: Path) -> None:
    http = client(writes(client_bytes_per_hour="3MiB"))
    assert upload(http, MiB + MiB // 2, "first.txt").status_code == 200
    refused = upload(http, 5 * MiB, "second.txt")
    assert_refused(refused, 429, "bytes per hour")
    # Two 1 MiB chunks of the second file were written before the quota ran out: 0.5 MiB over
    # a budget of 3 MiB an hour is paid back in 10 minutes. Charging all 5 MiB would be 70.
    assert 590 <= int(refused.headers["retry-after"]) <= 601
    [folder, file] = uploads_left(tmp_path)
    assert file == f"{folder}/first.txt"  # the refused upload left neither file nor folder


def test_flag_floods_get_429(client) -> None:
    http = client(writes(flags_per_minute=2))
    assert [flag(http).status_code for _ in range(2)] == [200, 200]
    refused = flag(http)
    assert_refused(refused, 429, "2 ratings per minute")
    assert int(refused.headers["retry-after"]) >= 1


def test_flags_count_against_the_byte_quota(client) -> None:
    http = client(writes(client_bytes_per_hour="10KB"))
    long_reply = [REPLY[0], {"role": "assistant", "content": "y" * 15_000}]
    assert flag(http, long_reply).status_code == 200  # written while some was left: now owed
    assert_refused(flag(http, long_reply), 429, "bytes per hour")


def test_files_a_flag_copies_count_against_the_byte_quota(client) -> None:
    http = client(writes(client_bytes_per_hour="1536KiB"))
    file_id = upload(http, MiB).json()["files"][0]["id"]
    shown = [{"role": "user", "content": {"file": {"id": file_id}}}, REPLY[1]]
    assert flag(http, shown).status_code == 200  # a copy into the flag store: 2 MiB written
    assert_refused(flag(http), 429, "bytes per hour")


def test_with_auth_each_user_has_a_quota_of_their_own(client) -> None:
    tokens = [("ann", "ann-token-0123456789"), ("bob", "bob-token-0123456789")]
    auth = "  auth:\n    tokens:\n" + "".join(
        f"      - {{name: {name}, token: {token}}}\n" for name, token in tokens
    )
    http = client(writes(uploads_per_minute=1).replace("  quotas:", auth + "  quotas:"))
    ann, bob = ({"Authorization": f"Bearer {token}"} for _, token in tokens)
    files = [("files", ("a.txt", b"a", "text/plain"))]
    assert http.post("/api/upload", files=files, headers=ann).status_code == 200
    assert http.post("/api/upload", files=files, headers=ann).status_code == 429
    assert http.post("/api/upload", files=files, headers=bob).status_code == 200


def test_the_global_quota_spans_clients_and_answers_507(
    write_config, live_server, tmp_path: Path
) -> None:
    config = writes(uploads_per_minute=2, client_bytes_per_hour="1GB", bytes_per_hour="2MiB")
    server = live_server(write_config(config))
    one = httpx.Client(base_url=server.url)
    two = httpx.Client(  # another client address on the loopback network
        base_url=server.url, transport=httpx.HTTPTransport(local_address="127.0.0.2")
    )
    with one, two:
        assert [upload(one).status_code for _ in range(2)] == [200, 200]
        assert upload(one).status_code == 429  # the first client's rate...
        assert upload(two, MiB + MiB // 2).status_code == 200  # ...is not the second's
        refused = upload(two, 2 * MiB)
        assert_refused(refused, 507, "all clients")
        assert int(refused.headers["retry-after"]) >= 1
        assert_refused(flag(one), 507, "all clients")
    assert len(uploads_left(tmp_path)) == 2 * 3  # three uploads, a folder and a file each


def test_below_the_disk_floor_nothing_is_written_but_chats_answer(client, tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    http = client(writes(min_free_disk=2 * free + 10**12))
    assert_refused(upload(http), 507, "low on disk space")
    assert_refused(flag(http), 507, "low on disk space")
    assert uploads_left(tmp_path) == []
    assert not (tmp_path / ".chatserve" / "flagged" / "flags.sqlite3").exists()
    chat = http.post("/api/chat", json={"message": "still there?"})
    assert chat.status_code == 200, chat.text


FILE_REPLIES = """
import pathlib

import chatserve


class Drawing:
    def _repr_svg_(self):
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"


def reply(message, history):
    if message == "copy":
        path = pathlib.Path(__file__).with_name("notes.txt")
        path.write_text("notes")
        return (str(path),)
    if message == "plot":
        return chatserve.Plot(Drawing())
    return "just text"
"""


def test_below_the_disk_floor_reply_files_are_not_kept_but_chats_go_on(
    client, tmp_path: Path
) -> None:
    free = shutil.disk_usage(tmp_path).free
    http = client(
        f"fn: bot.py:reply\nserver: {{quotas: {{min_free_disk: {2 * free + 10**12}}}}}\n",
        bot_py=FILE_REPLIES,
    )
    for message in ("copy", "plot"):
        answer = http.post("/api/chat", json={"message": message})
        assert answer.status_code == 422
        assert answer.json()["error"]["message"] == (
            "The server is low on disk space: a file of this reply was not kept."
        )
    assert not (tmp_path / ".chatserve" / "files").exists()
    assert http.post("/api/chat", json={"message": "text"}).json()["messages"][0]["content"] == (
        "just text"
    )


def test_a_client_is_an_address_and_ipv6_counts_by_its_64_network() -> None:
    def key(host: str) -> str:
        return client_key(Request({"type": "http", "client": (host, 5000), "headers": []}))

    assert key("2001:db8::1") == key("2001:db8::ffff:1") == "address:2001:db8::/64"
    assert key("2001:db8:0:1::1") != key("2001:db8::1")
    assert key("10.0.0.1") != key("10.0.0.2")
    assert key("::ffff:10.0.0.1") == key("10.0.0.1")  # IPv4 through a dual-stack socket


def test_a_rate_limit_forgets_its_oldest_keys_past_its_bound() -> None:
    limit = RateLimit(1, period=3600, max_keys=100)
    assert limit.take("first") == 0
    assert limit.take("first") > 0
    for n in range(1000):  # an attacker with many addresses
        limit.take(f"address {n}")
    assert len(limit) == 100
    assert limit.take("first") == 0  # forgotten: memory stays bounded, the global quota holds


def test_spending_past_the_budget_is_a_debt_paid_back_over_time() -> None:
    limit = RateLimit(100, period=100)
    limit.spend("client", 150)
    assert 50 < limit.wait("client") <= 51  # back to one unit left: 51 s at 1 unit per second
    assert limit.take("client") > 0


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("uploads_per_minute: 0", "greater than or equal to 1"),
        ("client_bytes_per_hour: lots", "a size such as '10MB'"),
        ("min_free_disk: -1", "must be a positive number of bytes"),
    ],
)
def test_quota_settings_are_checked(write_config, setting: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(write_config(WRITES + f"    {setting}\n"))
    assert "server.quotas." + setting.split(":")[0] in str(caught.value)


def test_a_disk_floor_of_zero_turns_the_check_off(write_config) -> None:
    config = load_config(write_config(writes(min_free_disk=0)))
    assert config.server.quotas.min_free_disk == 0
