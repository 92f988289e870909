"""Seeking in Chromium: a reply's video asks `GET /api/files/{id}` for the part it seeks to
with `Range`, and plays from there; audio is served in parts too (what Safari insists on).

The video is made at test time, in the page: Chromium encodes canvas frames with WebCodecs
(VP8) and `webm` below puts them in a WebM file with a duration and cues, as a seekable file
from any encoder has them.
"""

from __future__ import annotations

import base64
import math
import struct
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from browsing import expect, log, send

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Response

SEEK_PY = """
from pathlib import Path


def media(message, history):
    return {"path": str(Path(__file__).with_name(message))}
"""

WIDTH, HEIGHT, FPS, SECONDS = 320, 240, 25, 8

ENCODE = """
async ([width, height, fps, seconds]) => {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  const frames = [];
  const encoder = new VideoEncoder({
    output: (chunk) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      let text = "";
      for (const byte of data) text += String.fromCharCode(byte);
      frames.push([chunk.timestamp, chunk.type === "key", btoa(text)]);
    },
    error: (error) => { throw error; },
  });
  encoder.configure({ codec: "vp8", width, height, bitrate: 4_000_000, framerate: fps });
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < fps * seconds; i++) {
    context.fillStyle = `hsl(${(i * 7) % 360} 80% 50%)`;
    context.fillRect(0, 0, width, height);
    for (let k = 0; k < 300; k++) {  // noise, so the file is large enough to be fetched in parts
      context.fillStyle = `rgb(${random() * 255} ${random() * 255} ${random() * 255})`;
      context.fillRect(random() * width, random() * height, 8, 8);
    }
    const frame = new VideoFrame(canvas, { timestamp: Math.round((i * 1e6) / fps) });
    encoder.encode(frame, { keyFrame: i % fps === 0 });
    frame.close();
  }
  await encoder.flush();
  return frames;
}
"""
"""VP8 frames of a noisy, changing picture: [timestamp (µs), keyframe?, base64 data]."""


def element(element_id: int, payload: bytes) -> bytes:
    """One EBML element: its id, its size (always 8 bytes long), its payload."""
    size = (1 << 56) | len(payload)  # the 8-byte form: an element's length never depends on it
    name = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return name + size.to_bytes(8, "big") + payload


def uint(element_id: int, value: int) -> bytes:
    return element(element_id, value.to_bytes(8, "big"))


def webm(frames: list[tuple[int, bool, bytes]], width: int, height: int, seconds: float) -> bytes:
    """A WebM file of VP8 frames: one cluster per keyframe, cues pointing at each, and the
    duration in the header, so a player can seek without reading the file up to there.
    Element ids and layout are Matroska's (matroska.org, "Element Specification")."""
    clusters: list[tuple[int, bytes]] = []  # (time in ms, cluster)
    for timestamp, key, data in frames:
        time = timestamp // 1000
        if key:
            clusters.append((time, uint(0xE7, time)))  # the cluster's time
        start, body = clusters[-1]
        block = b"\x81" + struct.pack(">hB", time - start, 0x80 if key else 0) + data
        clusters[-1] = (start, body + element(0xA3, block))  # a SimpleBlock
    header = element(  # EBML: version 1, DocType "webm" version 2
        0x1A45DFA3,
        uint(0x4286, 1)
        + uint(0x42F7, 1)
        + uint(0x42F2, 4)
        + uint(0x42F3, 8)
        + element(0x4282, b"webm")
        + uint(0x4287, 2)
        + uint(0x4285, 2),
    )
    info = element(  # Info: time scale, duration, who wrote it
        0x1549A966,
        uint(0x2AD7B1, 1_000_000)  # times in milliseconds
        + element(0x4489, struct.pack(">d", seconds * 1000))
        + element(0x4D80, b"chatserve tests")
        + element(0x5741, b"chatserve tests"),
    )
    video = element(0xE0, uint(0xB0, width) + uint(0xBA, height))
    track = element(  # track 1, a video, VP8
        0xAE, uint(0xD7, 1) + uint(0x73C5, 1) + uint(0x83, 1) + element(0x86, b"V_VP8") + video
    )
    tracks = element(0x1654AE6B, track)
    cluster_elements = [element(0x1F43B675, body) for _, body in clusters]

    def cues(positions: list[int]) -> bytes:
        """Cues: a cluster's time and its position from the start of the segment's data."""
        points = b"".join(
            element(0xBB, uint(0xB3, time) + element(0xB7, uint(0xF7, 1) + uint(0xF1, position)))
            for (time, _), position in zip(clusters, positions, strict=True)
        )
        return element(0x1C53BB6B, points)

    first = len(info) + len(tracks) + len(cues([0] * len(clusters)))  # positions: fixed width
    positions = []
    for cluster in cluster_elements:
        positions.append(first)
        first += len(cluster)
    segment = info + tracks + cues(positions) + b"".join(cluster_elements)
    return header + element(0x18538067, segment)


def make_video(page: Page, path: Path) -> None:
    """Encode the video in the page (WebCodecs needs a secure context, as 127.0.0.1 is)."""
    frames = page.evaluate(ENCODE, [WIDTH, HEIGHT, FPS, SECONDS])
    decoded = [(timestamp, key, base64.b64decode(data)) for timestamp, key, data in frames]
    path.write_bytes(webm(decoded, WIDTH, HEIGHT, SECONDS))


def make_tone(path: Path, seconds: float = 2.0, rate: int = 8000) -> None:
    """Two seconds of a 440 Hz tone as a WAV file."""
    wave_at = (math.sin(2 * math.pi * 440 * n / rate) for n in range(int(seconds * rate)))
    samples = (int(12000 * value) for value in wave_at)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))


def media_responses(page: Page) -> list[Response]:
    """The responses to `/api/files/` requests the page makes from now on."""
    seen: list[Response] = []
    page.on("response", lambda response: "/api/files/" in response.url and seen.append(response))
    return seen


def shown(page: Page, name: str, tag: str) -> Locator:
    """Send the name of a file the bot returns; its `<video>` or `<audio>`, metadata loaded."""
    send(page, name)
    player = log(page).locator(tag)
    expect(player).to_have_count(1)
    page.wait_for_function(f"({tag}) => {tag}.readyState >= 1", arg=player.element_handle())
    return player


def range_start(header: str) -> int:
    """The first byte a `Range: bytes=N-` header asks for."""
    return int(header.removeprefix("bytes=").split("-")[0])


def test_a_video_seeks_with_a_range_request_answered_206(open_bot, tmp_path: Path) -> None:
    page = open_bot("fn: bot.py:media\n", bot_py=SEEK_PY)
    make_video(page, tmp_path / "clip.webm")
    size = (tmp_path / "clip.webm").stat().st_size
    responses = media_responses(page)
    video = shown(page, "clip.webm", "video")
    assert video.evaluate("(video) => video.duration") == SECONDS
    loaded = len(responses)
    target = SECONDS * 0.75
    video.evaluate(
        """(video, target) => new Promise((resolve, reject) => {
          video.addEventListener("seeked", resolve, { once: true });
          video.addEventListener("error", () => reject(video.error.message), { once: true });
          video.currentTime = target;
        })""",
        target,
    )
    page.wait_for_function("(video) => video.readyState >= 2", arg=video.element_handle())
    state = video.evaluate(
        "(video) => ({ time: video.currentTime, error: video.error, seeking: video.seeking })"
    )
    assert state == {"time": target, "error": None, "seeking": False}
    asked = [(r.request.headers.get("range"), r.status) for r in responses]
    assert asked[0] == ("bytes=0-", 206), asked
    for response in responses:
        assert response.status == 206, asked
        assert response.headers["accept-ranges"] == "bytes"
        first = range_start(response.request.headers["range"])
        assert response.headers["content-range"] == f"bytes {first}-{size - 1}/{size}"
    # The seek fetched the part it needs, past the middle, instead of reading up to there.
    after_seek = [r.request.headers["range"] for r in responses[loaded:]]
    starts = [range_start(header) for header in after_seek]
    assert any(size // 2 < start < size for start in starts), (asked, size)


def test_audio_is_served_in_parts(open_bot, tmp_path: Path) -> None:
    page = open_bot("fn: bot.py:media\n", bot_py=SEEK_PY)
    make_tone(tmp_path / "tone.wav")
    size = (tmp_path / "tone.wav").stat().st_size
    responses = media_responses(page)
    player = shown(page, "tone.wav", "audio")
    first = responses[0]
    assert (first.request.headers.get("range"), first.status) == ("bytes=0-", 206)
    assert first.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    url = player.evaluate("(audio) => audio.src")
    whole = page.request.get(url)
    assert whole.status == 200 and whole.headers["accept-ranges"] == "bytes"
    part = page.request.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status == 206
    assert part.headers["content-range"] == f"bytes 1000-1999/{size}"
    assert part.body() == (tmp_path / "tone.wav").read_bytes()[1000:2000]
