"""`delete_cache`: old uploads and files go with their records; fresh files, the flag store,
examples in use and whatever a symlink points to stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from helpers import wait_until

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError
from chatserve.store.cleanup import sweep
from chatserve.store.files import FileStore

AGE = 60
"""The `age` of every sweep here; `make_old` puts files well beyond it."""


def make_old(path: Path) -> None:
    """Set the modification time of `path` and everything in it to two hours ago."""
    then = time.time() - 2 * 3600
    paths = [path]
    if path.is_dir() and not path.is_symlink():
        for folder, folders, files in os.walk(path):
            paths += [Path(folder, name) for name in folders + files]
    for item in paths:
        os.utime(item, (then, then), follow_symlinks=False)


def put(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_old_files_go_with_their_records_fresh_ones_stay(tmp_path: Path) -> None:
    data = tmp_path / ".chatserve"
    store = FileStore(data, [])
    old, fresh = store.write(b"old", "old.png", None), store.write(b"new", "new.png", None)
    make_old(old.path.parent)
    assert sweep(data, AGE) == 2  # the file and its record
    assert not old.path.parent.exists() and not (data / "registry" / f"{old.id}.json").exists()
    assert fresh.path.is_file() and (data / "registry" / f"{fresh.id}.json").is_file()
    assert store.get(old.id, None) is None
    assert store.get(fresh.id, None) == fresh


def test_a_record_goes_once_it_is_old_and_its_file_is_gone(tmp_path: Path) -> None:
    data, picture, example = tmp_path / ".chatserve", tmp_path / "cat.png", tmp_path / "ex.png"
    store = FileStore(data, [])
    picture.write_bytes(b"cat")
    example.write_bytes(b"example")
    copied = store.register(picture, "alice")  # copied into files/, under another id
    shown = store.public(example)  # named where it is
    for item in (data / "files", data / "registry"):
        make_old(item)
    assert sweep(data, AGE) == 2  # the copy and its record
    assert not copied.path.exists() and picture.is_file()
    assert store.get(copied.id, "alice") is None
    assert store.get(shown.id, None) == shown  # its file is still there
    again = store.register(picture, "alice")
    assert again.id != copied.id and again.path.read_bytes() == b"cat"


@pytest.mark.parametrize("flags", ["flagged", "uploads/flags", "uploads", "files/x/flags"])
def test_the_flag_store_is_never_deleted(tmp_path: Path, flags: str) -> None:
    data = tmp_path / ".chatserve"
    store = [put(data / flags / "flags.sqlite3"), put(data / flags / "files" / "ab12.png")]
    upload = put(data / "uploads" / "u1" / "cat.png")
    make_old(data)
    sweep(data, AGE, spared=data / flags)
    assert all(path.is_file() for path in store)
    assert upload.exists() == (flags == "uploads")


def test_examples_in_use_are_kept(tmp_path: Path) -> None:
    data = tmp_path / ".chatserve"
    used, unused = (
        put(data / "examples" / "k1" / "0.json"),
        put(data / "examples" / "k2" / "0.json"),
    )
    make_old(data)
    assert sweep(data, AGE, keep={"k1"}) == 1
    assert used.is_file() and not unused.parent.exists()


def test_a_symlink_is_removed_never_what_it_points_to(tmp_path: Path) -> None:
    data, outside = tmp_path / ".chatserve", tmp_path / "outside"
    secrets = [put(outside / "secret.txt"), put(outside / "folder" / "deep.txt")]
    links = [data / "uploads" / "u1" / "link.txt", data / "uploads" / "u2"]
    links[0].parent.mkdir(parents=True)
    links[0].symlink_to(outside / "secret.txt")
    links[1].symlink_to(outside / "folder", target_is_directory=True)
    (data / "files").symlink_to(outside, target_is_directory=True)  # never swept through
    make_old(outside)
    make_old(data)
    assert sweep(data, AGE) == 2
    assert not any(os.path.lexists(link) for link in links)
    assert all(path.is_file() for path in secrets)


def test_nothing_to_sweep(tmp_path: Path) -> None:
    assert sweep(tmp_path / "missing", AGE) == 0
    put(tmp_path / ".chatserve" / "uploads" / "u1" / "fresh.png")
    assert sweep(tmp_path / ".chatserve", AGE) == 0


def test_a_server_sweeps_at_start_up_and_then_every_frequency_seconds(
    write_config, live_server, tmp_path: Path
) -> None:
    path = write_config(
        """
        fn: bot.py:echo
        multimodal: true
        delete_cache: [1, 60]
        flagging_dir: .chatserve/uploads/flags
        """
    )
    data = tmp_path / ".chatserve"
    made, example = put(data / "files" / "f1" / "plot.png"), put(data / "examples" / "k1" / "a")
    stale = put(data / "registry" / "f0.json", '{"path": "/nowhere/plot.png"}')
    flags = put(data / "uploads" / "flags" / "flags.sqlite3")
    make_old(data)
    server = live_server(path)
    wait_until(lambda: "Deleted 3 old file(s) from .chatserve" in server.output())
    assert not made.exists() and not example.exists() and not stale.exists()
    assert flags.is_file()

    def upload(name: str) -> str:
        response = httpx.post(server.url + "/api/upload", files=[("files", (name, b"x"))])
        return response.json()["files"][0]["id"]

    old, fresh = upload("old.txt"), upload("fresh.txt")
    assert httpx.get(f"{server.url}/api/files/{old}").status_code == 200
    make_old(data / "uploads" / old)  # its record stays fresh: it goes with its upload
    wait_until(lambda: httpx.get(f"{server.url}/api/files/{old}").status_code == 404)
    assert not (data / "registry" / f"{old}.json").exists()
    assert httpx.get(f"{server.url}/api/files/{fresh}").text == "x"
    assert flags.is_file()
    assert "Deleted 2 old file(s) from .chatserve" in server.output()


def test_a_reload_starts_changes_and_stops_the_sweeps(
    write_config, live_server, tmp_path: Path
) -> None:
    path = write_config("fn: bot.py:echo\ndelete_cache: null\n")
    server = live_server(path)

    def reload(setting: str, revision: int) -> None:
        path.write_text(f"fn: bot.py:echo\ndelete_cache: {setting}\n")
        wait_until(lambda: httpx.get(server.url + "/api/config").json()["revision"] == revision)

    def old_file(name: str) -> Path:
        made = put(tmp_path / ".chatserve" / "files" / name / "a.txt")
        make_old(made.parent)
        return made

    first = old_file("f1")
    time.sleep(0.3)
    assert first.exists()  # null deletes nothing
    reload("[3600, 60]", 2)
    wait_until(lambda: not first.exists())  # the first sweep runs at once
    second = old_file("f2")
    reload("[1, 60]", 3)
    wait_until(lambda: not second.exists())  # a second after the last sweep, not an hour
    reload("null", 4)
    third = old_file("f3")
    time.sleep(1.5)
    assert third.exists()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("[0, 5]", "2:16: delete_cache[0]: must be greater than or equal to 1, got 0"),
        (
            "[5]",
            "2:1: delete_cache: must be [frequency, age] in seconds, such as [3600, 86400], "
            "got [5]",
        ),
        (
            '"x"',
            "2:1: delete_cache: must be [frequency, age] in seconds, such as [3600, 86400], "
            "got 'x'",
        ),
    ],
)
def test_delete_cache_must_be_frequency_and_age(tmp_path: Path, value: str, problem: str) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(f"fn: bot.py:echo\ndelete_cache: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}:{problem}"]


def test_delete_cache_is_off_unless_set(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: bot.py:echo\n")
    assert load_config(path).delete_cache is None
    path.write_text("fn: bot.py:echo\ndelete_cache: [3600, 86400]\n")
    assert load_config(path).delete_cache == [3600, 86400]
