"""Rich replies, files, additional inputs and outputs, and the queue, in Chromium against the
shipped configs/ bots."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import expect, log, send
from helpers import SlotHolder

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PNG = CONFIGS / "assets" / "landscape.png"


def test_showcase_renders_every_kind_of_reply(open_bot, tmp_path: Path) -> None:
    page = open_bot(CONFIGS / "showcase.yaml", viewport={"width": 1280, "height": 1000})
    expect(page.get_by_text("Answer settings")).to_be_visible()
    expect(page.get_by_label("Detail")).to_be_visible()  # the accordion starts open
    page.get_by_role("row", name="Show me everything").click()
    expect(log(page).get_by_role("button", name="Again")).to_be_visible(timeout=15_000)
    chat = log(page)
    expect(chat.get_by_role("img", name="A generated landscape")).to_be_visible()
    expect(chat.locator("audio")).to_have_count(1)
    expect(chat.get_by_role("link", name="chatserve-report.csv")).to_be_visible()
    expect(chat.get_by_text("Planning")).to_be_visible()
    chat.get_by_text("Planning").click()  # done thoughts start collapsed, as in Gradio
    expect(chat.get_by_text("Searched the assets")).to_be_visible()
    expect(chat.locator("img[src*='api/files/']")).to_have_count(2)  # photo and chart
    expect(chat.get_by_role("button", name="No, thanks")).to_be_visible()
    expect(page.get_by_text('"status": "done"')).to_be_visible()
    # The nested thought sits inside its parent.
    parent = chat.locator("details", has_text="Planning").first
    expect(parent.get_by_text("Searched the assets")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "showcase.png"), full_page=True)


def test_option_click_sends_its_value(open_bot) -> None:
    page = open_bot(CONFIGS / "options.yaml")
    page.get_by_role("button", name="Write a Python function").click()
    page.get_by_role("button", name="Yes", exact=True).click()
    expect(log(page)).to_contain_text("Great!")
    expect(log(page)).to_contain_text("Yes, that's correct.")


def test_thought_goes_from_pending_to_done(open_bot) -> None:
    page = open_bot(CONFIGS / "thoughts.yaml")
    page.get_by_role("button", name="What's the weather in New York?").click()
    expect(log(page)).to_contain_text("Used tool Weather API")
    expect(log(page)).to_contain_text("The weather API says it is 20 degrees")
    expect(log(page)).to_contain_text("Response")


def test_multimodal_attach_and_count(open_bot) -> None:
    page = open_bot(CONFIGS / "count_images.yaml")
    page.locator("input[type=file]").set_input_files([str(PNG), str(PNG)])
    expect(page.get_by_role("button", name="Remove landscape.png")).to_have_count(2)
    send(page, "two pictures")
    expect(log(page)).to_contain_text("You just uploaded 2 images, total uploaded: 2")
    expect(log(page).locator("img[src*='api/files/']")).to_have_count(2)
    page.locator("input[type=file]").set_input_files(str(PNG))
    page.get_by_role("button", name="Send").click()
    expect(log(page)).to_contain_text("You just uploaded 1 images, total uploaded: 3")


def test_dropping_a_file_attaches_it(open_bot) -> None:
    page = open_bot(CONFIGS / "count_images.yaml")
    data = page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array([137, 80, 78, 71])], "dropped.png",
                                        {type: "image/png"}));
            return transfer;
        }"""
    )
    target = page.locator("body")
    target.dispatch_event("dragenter", {"dataTransfer": data})
    target.dispatch_event("dragover", {"dataTransfer": data})
    target.dispatch_event("drop", {"dataTransfer": data})
    expect(page.get_by_role("button", name="Remove dropped.png")).to_be_visible()


def test_additional_inputs_reach_the_function(open_bot) -> None:
    page = open_bot(CONFIGS / "system_prompt.yaml")
    page.get_by_text("Additional inputs").click()
    page.get_by_label("System Prompt").fill("Be brief")
    slider = page.get_by_label("Tokens")
    slider.focus()
    page.keyboard.press("End")
    send(page, "hi")
    expect(log(page)).to_contain_text("System prompt: Be brief")


def test_example_row_sets_the_inputs(open_bot) -> None:
    page = open_bot(CONFIGS / "system_prompt.yaml")
    page.get_by_role("row", name="What is YAML?").click()
    expect(log(page)).to_contain_text("System prompt: You answer in haiku.")


def test_inputs_rendered_above_the_chat(open_bot) -> None:
    page = open_bot(CONFIGS / "system_prompt_above.yaml")
    prompt = page.get_by_label("System Prompt").bounding_box()
    chat = log(page).bounding_box()
    assert prompt is not None and chat is not None
    assert prompt["y"] < chat["y"]


@pytest.mark.parametrize("name", ["music", "file_dict"])
def test_audio_replies_get_a_player(open_bot, name: str) -> None:
    page = open_bot(CONFIGS / f"{name}.yaml")
    send(page, "Queen")
    player = log(page).locator("audio")
    expect(player).to_have_count(1)
    assert player.get_attribute("src").endswith("audio_sample.wav")


def test_queue_position_is_shown(open_bot) -> None:
    page = open_bot("fn: bot.py:slow\nconcurrency_limit: 1\n")
    with SlotHolder(page.url):
        send(page, "me next")
        expect(log(page)).to_contain_text("Waiting in line: 1")
    expect(log(page)).to_contain_text("step 1")


MORE_PY = """
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

import chatserve

TMP = Path(tempfile.mkdtemp())
(TMP / "clip.mp4").write_bytes(b"\\x00\\x00\\x00\\x18ftypmp42")
(TMP / "notes.txt").write_text("hello")
(TMP / "a.png").write_bytes(open(%r, "rb").read())


def more(message, history, model, temperature, tools):
    figure = Figure(figsize=(3, 2))
    figure.add_subplot().plot([1, 3, 2])
    return [
        f"model={model} temperature={temperature} tools={tools}",
        chatserve.Video(str(TMP / "clip.mp4")),
        chatserve.HTML("<em>emphasis</em><img src=x onerror='window.pwned=1'>"),
        chatserve.Gallery([str(TMP / "a.png"), (str(TMP / "a.png"), "again")]),
        chatserve.Plot(figure),
        chatserve.File(str(TMP / "notes.txt")),
        (str(TMP / "a.png"), "a tuple picture"),
    ]
"""

MORE_YAML = """
fn: bot.py:more
additional_inputs:
  - {type: dropdown, label: Model, choices: [small, large], value: small}
  - {type: number, label: Temperature, minimum: 0, maximum: 2, value: 0.7}
  - {type: checkboxgroup, label: Tools, choices: [search, code]}
additional_inputs_accordion: {label: Settings, open: true}
"""


def test_more_components_and_input_types(open_bot) -> None:
    page = open_bot(MORE_YAML, bot_py=MORE_PY % str(PNG), viewport={"width": 1280, "height": 1600})
    page.get_by_label("Model").select_option("large")
    page.get_by_label("Temperature").fill("1.5")
    page.get_by_label("code").check()
    send(page, "show")
    chat = log(page)
    expect(chat).to_contain_text("model=large temperature=1.5 tools=['code']")
    expect(chat.locator("video")).to_have_count(1)
    expect(chat.locator("em", has_text="emphasis")).to_be_visible()
    assert chat.locator("[onerror]").count() == 0
    assert page.evaluate("window.pwned") is None
    expect(chat.get_by_text("again")).to_be_visible()  # the gallery caption
    expect(chat.get_by_role("link", name="notes.txt")).to_be_visible()
    expect(chat.get_by_role("img", name="a tuple picture")).to_be_visible()
    # gallery (2), matplotlib plot, tuple picture
    expect(chat.locator("img[src*='api/files/']")).to_have_count(4)
