"""File and image inputs in the browser: choose, drop and paste, previews, checks before the
upload, the reply that used them, and example rows with files."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from browsing import api_snippet as snippet
from browsing import expect, log, open_api_panel, send
from browsing import run_snippet as run
from playwright.sync_api import Page

PNG = Path(__file__).resolve().parent.parent / "configs" / "assets" / "landscape.png"

REPORT_PY = """
from pathlib import Path

from PIL import Image


def report(message, history, documents, photo):
    names = ", ".join(f"{Path(p).name} ({Path(p).stat().st_size} bytes)" for p in documents)
    seen = f"{photo.width}x{photo.height} px image" if photo else "no image"
    return f"**{message}** — documents: {names or 'none'}; photo: {seen}"
"""

CONFIG = """
fn: bot.py:report
additional_inputs:
  - type: file
    label: Documents
    info: Notes or PDFs
    file_types: [.txt, .pdf]
    file_count: multiple
  - {type: image, label: Photo, format: pil, max_file_size: 1MiB}
additional_inputs_accordion: {label: Files, open: true}
"""


def drop(page: Page, target: str, name: str, content: str, kind: str) -> None:
    """Drop a file made in the page on `target`, as a person dragging it from their desktop."""
    data = page.evaluate_handle(
        "([name, content, kind]) => { const t = new DataTransfer();"
        " t.items.add(new File([content], name, {type: kind})); return t; }",
        [name, content, kind],
    )
    zone = page.locator(target)
    zone.dispatch_event("dragover", {"dataTransfer": data})
    zone.dispatch_event("drop", {"dataTransfer": data})


def fill(page: Page) -> None:
    drop(page, ".cs-field-file .cs-dropzone", "notes.txt", "twelve bytes", "text/plain")
    page.locator(".cs-field-file input[type=file]").set_input_files(
        files=[{"name": "terms.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 terms"}]
    )
    page.locator(".cs-field-image input[type=file]").set_input_files(str(PNG))
    expect(page.get_by_role("button", name="Remove notes.txt")).to_be_visible()
    expect(page.get_by_role("button", name="Remove terms.pdf")).to_be_visible()
    expect(page.locator(".cs-field-image .cs-chip-image img")).to_be_visible()  # the preview


def test_files_and_an_image_reach_the_function(open_bot) -> None:
    page = open_bot(CONFIG, bot_py=REPORT_PY)
    expect(page.get_by_text("Drop an image here, paste it or click to choose")).to_be_visible()
    expect(page.get_by_text(".txt, .pdf · up to 50 MB")).to_be_visible()
    fill(page)
    expect(page.locator(".cs-field-image .cs-dropzone")).to_be_hidden()  # one image: replaced
    send(page, "Check these")
    expect(log(page)).to_contain_text(
        "documents: notes.txt (12 bytes), terms.pdf (14 bytes); photo: 480x300 px image"
    )
    page.get_by_role("button", name="Remove notes.txt").click()
    page.get_by_role("button", name="Remove landscape.png").click()
    expect(page.locator(".cs-field-image .cs-dropzone")).to_be_visible()
    send(page, "Again")
    expect(log(page)).to_contain_text("documents: terms.pdf (14 bytes); photo: no image")


def test_wrong_types_and_sizes_are_refused_before_uploading(open_bot) -> None:
    page = open_bot(CONFIG, bot_py=REPORT_PY)
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if "api/upload" in r.url else None)
    drop(page, ".cs-field-image .cs-dropzone", "notes.txt", "text", "text/plain")
    expect(page.locator(".cs-field-image")).to_contain_text(
        "notes.txt is not an accepted file type (image)."
    )
    drop(page, ".cs-field-image .cs-dropzone", "huge.png", "0" * 1_100_000, "image/png")
    expect(page.locator(".cs-field-image")).to_contain_text(
        "huge.png is larger than the 1 MB limit."
    )
    assert uploads == []


def test_a_pasted_image_is_attached(open_bot) -> None:
    page = open_bot(CONFIG, bot_py=REPORT_PY, permissions=["clipboard-read", "clipboard-write"])
    page.evaluate(
        """async (png) => {
            const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
            const image = new Blob([bytes], {type: "image/png"});
            await navigator.clipboard.write([new ClipboardItem({"image/png": image})]);
        }""",
        base64.b64encode(PNG.read_bytes()).decode(),
    )
    page.locator(".cs-field-image .cs-dropzone").focus()
    page.keyboard.press("Control+V")
    expect(page.locator(".cs-field-image .cs-chip-image img")).to_be_visible()


def test_example_rows_with_files(open_bot, tmp_path: Path) -> None:
    shutil.copy(PNG, tmp_path / "landscape.png")
    (tmp_path / "brief.txt").write_text("a short brief")
    page = open_bot(
        CONFIG + "examples:\n  - [From the example, [brief.txt], landscape.png]\n", bot_py=REPORT_PY
    )
    row = page.get_by_role("row", name="From the example")
    expect(row).to_contain_text("brief.txt")
    expect(row.locator("img")).to_be_visible()  # the image's thumbnail
    row.click()
    expect(log(page)).to_contain_text("documents: brief.txt (13 bytes); photo: 480x300 px image")
    expect(page.get_by_role("button", name="Remove brief.txt")).to_be_visible()  # the row's files


def test_the_api_panel_says_how_to_fill_file_inputs(open_bot, tmp_path: Path) -> None:
    page = open_bot("title: Reporter\n" + CONFIG, bot_py=REPORT_PY)
    url = page.url.removesuffix("/")
    open_api_panel(page)
    curl, python, openai = (snippet(page, name) for name in ("curl", "python", "openai"))
    for code in (curl, python):
        assert (
            f'# Documents: upload the file to {url}/api/upload?input=0, then put {{"id": "<id>"}} '
            "in its place in inputs"
        ) in code
        assert f"# Photo: upload the file to {url}/api/upload?input=1" in code
    assert (
        '# Photo: a data: URL (data:image/png;base64,...) or an upload\'s {"id": "<id>"}' in openai
    )
    expected = "**Hello!** — documents: none; photo: no image"
    assert json.loads(run("curl", curl, tmp_path))["messages"][0]["content"] == expected
    assert run("python", python, tmp_path).strip() == expected
    assert run("openai", openai, tmp_path).strip() == expected


def test_send_waits_for_a_file_inputs_upload(open_bot) -> None:
    page = open_bot(CONFIG, bot_py=REPORT_PY)
    held = []
    page.route("**/api/upload?input=1", lambda route: held.append(route))
    page.get_by_label("Message").fill("Wait for it")
    page.locator(".cs-field-image input[type=file]").set_input_files(str(PNG))
    expect(page.get_by_role("progressbar", name="Uploading landscape.png")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    held[0].continue_()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.get_by_role("button", name="Send").click()
    expect(log(page)).to_contain_text("photo: 480x300 px image")
