"""Every return shape of SPEC §3 as wire messages, with real files in a real store."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import matplotlib
import pytest
from helpers import parse_sse

import chatserve
from chatserve.bot.replies import Replies, ReplyError
from chatserve.config.outputs import AdditionalOutput
from chatserve.store.files import FileRefused, FileStore

matplotlib.use("Agg")


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "data", [])


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    return path


def replies(store: FileStore, owner: str | None = "alice", **kw) -> Replies:
    return Replies(store, owner, **kw)


def file_of(message: dict) -> dict:
    content = message["content"]
    return content["file"]


def test_text_and_lists(store: FileStore) -> None:
    convert = replies(store)
    assert convert.messages("hi") == [{"role": "assistant", "content": "hi"}]
    assert convert.messages(["a", "b"]) == [
        {"role": "assistant", "content": "a"},
        {"role": "assistant", "content": "b"},
    ]
    assert convert.messages(None) == []


def test_message_dict_keeps_metadata_and_options_and_forces_the_role(store: FileStore) -> None:
    [message] = replies(store).messages(
        {
            "role": "user",
            "content": "x",
            "metadata": {"title": "Thinking", "id": 1, "status": "pending"},
            "options": [{"value": "Yes"}],
        }
    )
    assert message == {
        "role": "assistant",
        "content": "x",
        "metadata": {"title": "Thinking", "id": 1, "status": "pending"},
        "options": [{"value": "Yes"}],
    }


def test_chat_message_dataclass(store: FileStore) -> None:
    [message] = replies(store).messages(
        chatserve.ChatMessage("done", metadata={"title": "Tool", "parent_id": "a"})
    )
    assert message == {
        "role": "assistant",
        "content": "done",
        "metadata": {"title": "Tool", "parent_id": "a"},
    }


@pytest.mark.parametrize(
    "shape",
    [
        lambda p: {"role": "assistant", "content": {"path": str(p)}},
        lambda p: {"path": str(p)},  # Gradio: KeyError 'text'
        lambda p: (str(p),),  # Gradio 5.x worked, 6.x AttributeError
        lambda p: p,  # a pathlib.Path
        lambda p: {"role": "assistant", "content": (str(p),)},
    ],
    ids=["message-dict", "bare-path-dict", "one-tuple", "pathlib", "tuple-content"],
)
def test_file_shapes(store: FileStore, picture: Path, shape) -> None:
    [message] = replies(store).messages(shape(picture))
    data = file_of(message)
    assert data["name"] == "cat.png"
    assert data["mime_type"] == "image/png"
    assert data["url"] == f"api/files/{data['id']}"
    kept = store.get(data["id"], "alice").path
    assert kept.is_relative_to(store.data_dir) and kept.read_bytes() == picture.read_bytes()
    assert store.get(data["id"], "mallory") is None


def test_a_returned_file_is_copied_once_per_version(store: FileStore, picture: Path) -> None:
    first = store.register(picture, "alice")
    assert store.register(picture, "alice") == first
    assert store.register(picture, "bob").path == first.path  # one copy, one id per client
    picture.write_bytes(b"a new picture")
    second = store.register(picture, "alice")
    assert second.id != first.id and second.path.read_bytes() == b"a new picture"
    assert first.path.read_bytes() != b"a new picture"  # what the first reply showed stays


def test_same_file_keeps_its_id_across_yields(store: FileStore, picture: Path) -> None:
    convert = replies(store)
    assert file_of(convert.messages((str(picture),))[0]) == file_of(
        convert.messages({"path": str(picture)})[0]
    )


def test_alt_text(store: FileStore, picture: Path) -> None:
    [message] = replies(store).messages((str(picture), "A cat"))
    assert message["content"]["alt_text"] == "A cat"
    [image] = replies(store).messages(chatserve.Image(str(picture), alt_text="Cat"))
    assert image["content"]["alt_text"] == "Cat"


@pytest.mark.parametrize(
    ("component", "kind"),
    [
        (chatserve.Image, "image"),
        (chatserve.Audio, "audio"),
        (chatserve.Video, "video"),
        (chatserve.File, "file"),
    ],
)
def test_file_components(store: FileStore, picture: Path, component, kind: str) -> None:
    [message] = replies(store).messages(component(str(picture)))
    assert message["content"]["component"] == kind
    assert message["content"]["file"]["name"] == "cat.png"


def test_urls_are_passed_to_the_browser_not_fetched(store: FileStore) -> None:
    url = "https://github.com/gradio-app/gradio/raw/main/test/test_files/audio_sample.wav"
    [message] = replies(store).messages(chatserve.Audio(url))
    assert message["content"] == {
        "component": "audio",
        "file": {
            "id": None,
            "url": url,
            "name": "audio_sample.wav",
            "mime_type": "audio/x-wav",
            "size": None,
        },
    }
    with pytest.raises(FileRefused, match="only http and https"):
        replies(store).messages({"path": "javascript://alert(1)"})


def test_html_component(store: FileStore) -> None:
    [message] = replies(store).messages(chatserve.HTML("<b>hi</b>"))
    assert message["content"] == {"component": "html", "html": "<b>hi</b>"}


def test_gallery(store: FileStore, picture: Path) -> None:
    [message] = replies(store).messages(chatserve.Gallery([str(picture), (str(picture), "again")]))
    items = message["content"]["items"]
    assert [item.get("caption") for item in items] == [None, "again"]
    assert items[0]["file"]["id"] == items[1]["file"]["id"]


def test_matplotlib_plot_is_rendered_once_per_run(store: FileStore) -> None:
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().plot([1, 2, 3])
    convert = replies(store)
    [first] = convert.messages(chatserve.Plot(figure))
    [again] = convert.messages(chatserve.Plot(figure))
    assert first == again
    stored = store.get(first["content"]["file"]["id"], "alice")
    assert stored.mime_type == "image/png"
    assert stored.path.read_bytes().startswith(b"\x89PNG")


def test_rich_display_protocol(store: FileStore) -> None:
    class Svg:
        def _repr_svg_(self):
            return "<svg xmlns='http://www.w3.org/2000/svg'/>"

    class Html:
        def _repr_html_(self):
            return "<div>plot</div><script>draw()</script>"

    [svg] = replies(store).messages(chatserve.Plot(Svg()))
    assert svg["content"]["file"]["mime_type"] == "image/svg+xml"
    [html] = replies(store).messages(chatserve.Plot(Html()))
    stored = store.get(html["content"]["file"]["id"], "alice")
    assert stored.sandboxed_html and stored.mime_type == "text/html"


def test_multimodal_style_dict(store: FileStore, picture: Path) -> None:
    result = replies(store).messages({"text": "look", "files": [str(picture)]})
    assert [type(m["content"]).__name__ for m in result] == ["dict", "str"]


def test_file_outside_the_allowed_places_is_refused(store: FileStore, tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="may not serve \\('passwd'\\)"):
        replies(store).messages({"path": "/etc/passwd"})
    link = tmp_path / "data" / "innocent.txt"
    link.parent.mkdir(parents=True)
    os.symlink("/etc/passwd", link)
    with pytest.raises(FileRefused, match="may not serve"):
        replies(store).messages((str(link),))
    with pytest.raises(FileRefused, match="does not exist"):
        replies(store).messages((str(tmp_path / "missing.png"),))


def test_allowed_paths_extend_the_places(tmp_path: Path, monkeypatch) -> None:
    # Everything under tmp_path is in the system temp dir, which is allowed; move that away.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "system-temp"))
    assets = tmp_path / "assets"
    assets.mkdir()
    picture = assets / "landscape.png"
    picture.write_bytes(b"png")
    with pytest.raises(FileRefused):
        replies(FileStore(tmp_path / "data", [])).messages((str(picture),))
    [message] = replies(FileStore(tmp_path / "data", [assets])).messages((str(picture),))
    assert message["content"]["file"]["name"] == "landscape.png"


def test_unknown_objects_are_refused(store: FileStore) -> None:
    with pytest.raises(ReplyError, match="got object"):
        replies(store).messages(object())


URL_PLACES = {
    "message content": lambda url: {"role": "assistant", "content": {"path": url}},
    "bare path dict": lambda url: {"path": url},
    "one-tuple": lambda url: (url,),
    "tuple with alt text": lambda url: (url, "alt"),
    "image": chatserve.Image,
    "audio": chatserve.Audio,
    "video": chatserve.Video,
    "file": chatserve.File,
    "chat message": lambda url: chatserve.ChatMessage(chatserve.File(url)),
    "gallery item": lambda url: chatserve.Gallery([url]),
    "gallery caption pair": lambda url: chatserve.Gallery([(url, "caption")]),
    "gallery component": lambda url: chatserve.Gallery([chatserve.Image(url)]),
    "multimodal files": lambda url: {"text": "look", "files": [url]},
}


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/cat.png", "http://[::1"])
@pytest.mark.parametrize("place", URL_PLACES.values(), ids=URL_PLACES.keys())
def test_every_place_a_file_goes_refuses_urls_other_than_http(store, place, url: str) -> None:
    with pytest.raises(FileRefused, match="only http and https URLs"):
        replies(store).messages(place(url))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript://alert(1)"])
def test_an_image_output_refuses_urls_other_than_http(store: FileStore, url: str) -> None:
    convert = replies(store, outputs=[AdditionalOutput(type="image")])
    for value in (url, chatserve.Image(url)):
        with pytest.raises(FileRefused, match="only http and https URLs"):
            convert.split(("hi", value))


HUGE = 10**5000  # more digits than str() converts


UNSHOWABLE = {
    "gallery of a number": chatserve.Gallery(5),
    "image of nothing": chatserve.Image(None),
    "files that are a number": {"text": "look", "files": 3},
    "files that are nothing": {"text": "look", "files": [None]},
    "metadata that is a list": {"content": "x", "metadata": ["not", "a", "dict"]},
    "metadata holding an object": {"content": "x", "metadata": {"when": object()}},
    "metadata holding a huge int": {"content": "x", "metadata": {"n": HUGE}},
    "options that are strings": {"content": "x", "options": ["yes"]},
    "an option without a value": chatserve.ChatMessage("x", options=[{"label": "no value"}]),
    "html of a huge int": chatserve.HTML(HUGE),
    "a huge int as caption": chatserve.Gallery([("https://example.com/a.png", HUGE)]),
    "a path with a NUL": {"path": "a\x00b"},
}


@pytest.mark.parametrize("reply", UNSHOWABLE.values(), ids=UNSHOWABLE.keys())
def test_a_reply_chatserve_cannot_show_is_an_error_for_the_chat(store, reply) -> None:
    with pytest.raises(chatserve.Error) as refused:
        replies(store).messages(reply)
    assert refused.value.message


@pytest.mark.parametrize(
    ("kind", "value"),
    [("json", {"when": object()}), ("json", HUGE), ("markdown", HUGE)],
    ids=["json-object", "json-huge-int", "markdown-huge-int"],
)
def test_an_output_chatserve_cannot_show_is_an_error_for_the_chat(store, kind, value) -> None:
    convert = replies(store, outputs=[AdditionalOutput(type=kind)])
    with pytest.raises(ReplyError):
        convert.split(("hi", value))


def test_a_reply_chatserve_cannot_show_is_an_error_event_not_a_crash(client, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        stream = client("fn: bot.py:odd\n").post("/api/chat", json={"message": "x", "stream": True})
    events = parse_sse(stream.text)
    assert events[0][0] == "error" and "must return text" in events[0][1]["message"]
    assert "must return text, a message dict" in caplog.text  # for whoever runs the bot
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_outputs_are_split_from_the_reply(store: FileStore, picture: Path) -> None:
    outputs = [
        AdditionalOutput(type="markdown"),
        AdditionalOutput(type="json"),
        AdditionalOutput(type="image"),
    ]
    convert = replies(store, outputs=outputs)
    response, values = convert.split(("hi", "**bold**", {"a": [1]}, str(picture)))
    assert response == "hi"
    assert values[:2] == ["**bold**", {"a": [1]}]
    assert values[2]["name"] == "cat.png"
    assert convert.split("no outputs this time") == ("no outputs this time", None)
