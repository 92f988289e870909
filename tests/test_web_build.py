"""The committed web/dist/ is exactly what web/ builds to, and the page stays within its budget.

The budget counts what a first visit loads: index.html and everything it references (the
stylesheet, the scripts and, transitively, the module chunks they import statically). Parts the
page loads only when needed (`import()`ed chunks and their stylesheets: code highlighting, math
with its fonts, and the parts for additional inputs/outputs, uploads, saved conversations and
feedback) are listed separately and do not count.

The web UI's DOM-free modules have unit tests in web/test/ (Node's built-in test runner); they
run here, so the suite fails when one of them does.
"""

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.server  # npm and node run as child processes

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
DIST = WEB / "dist"
REBUILD = "npm --prefix web ci && npm --prefix web run build"
PAGE_BUDGET_GZIP = 60 * 1024


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _eager(dist: Path) -> list[str]:
    """index.html, what it references, and the chunks those modules import statically."""
    html = (dist / "index.html").read_text(encoding="utf-8")
    found = ["index.html"]
    queue = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if not u.startswith("data:")]
    while queue:
        name = queue.pop(0)
        if name in found:
            continue
        found.append(name)
        if name.endswith(".js"):
            code = (dist / name).read_text(encoding="utf-8")
            imports = re.findall(r'(?:\bfrom|\bimport)\s*"\./([\w.-]+\.js)"', code)
            queue += [f"{Path(name).parent.as_posix()}/{dep}" for dep in imports]
    return found


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} failed with exit code {proc.returncode}\n"
        f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )


def test_committed_dist_matches_a_fresh_build(tmp_path):
    npm = shutil.which("npm")
    node = shutil.which("node")
    assert npm and node, (
        "node and npm (Node 20+) are needed to rebuild web/ and compare with web/dist/"
    )

    work = tmp_path / "web"
    work.mkdir()
    for name in ("package.json", "package-lock.json", "build.mjs"):
        shutil.copy2(WEB / name, work / name)
    shutil.copytree(WEB / "src", work / "src")
    out = tmp_path / "dist"
    _run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], work)
    _run([npm, "run", "build", "--", "--outdir", str(out)], work)

    built, committed = _files(out), _files(DIST)
    stale = f"web/dist/ is out of date with web/src/; regenerate it with: {REBUILD}"
    assert sorted(built) == sorted(committed), (
        f"{stale}\nbuilt: {sorted(built)}\ncommitted: {sorted(committed)}"
    )
    differing = sorted(name for name in built if built[name] != committed[name])
    assert not differing, f"{stale}\ndiffering files: {differing}"


def test_web_unit_tests_pass():
    """The DOM-free modules of the web UI (the conversation and its data) pass web/test/."""
    node = shutil.which("node")
    assert node, "node (Node 20+) is needed to run the web UI's unit tests (node --test web/test/)"
    _run([node, "--test", "web/test/"], ROOT)


def test_page_has_the_server_markers_and_relative_assets():
    html = (DIST / "index.html").read_text(encoding="utf-8")
    assert html.count("__CHATSERVE_TITLE__") == 1
    assert html.count('data-theme="__CHATSERVE_THEME__"') == 1
    config_block = '<script id="chatserve-config" type="application/json">__CHATSERVE_CONFIG__'
    assert html.count(config_block + "</script>") == 1
    # The server puts the bot's CSS, `head` and `js` here: last in <head>, so custom CSS wins.
    assert html.count("<!--chatserve:head-->") == 1
    assert re.search(r"<!--chatserve:head-->\s*</head>", html)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    # Relative asset URLs keep the page working behind a path prefix; nothing comes from a CDN.
    assets = [url for url in urls if not url.startswith("data:")]
    patterns = [
        r"assets/app-[0-9a-f]{10}\.css",  # the stylesheet
        r"assets/scheme-[0-9a-f]{10}\.js",  # the colour scheme, before the first paint
        r"assets/app-[0-9A-Z]{8}\.js",  # the app (a module)
        r"assets/chunk-[0-9A-Z]{8}\.js",  # modules it imports (preloaded)
    ]
    for asset in assets:
        assert any(re.fullmatch(p, asset) for p in patterns), asset
        assert (DIST / asset).is_file(), asset
    assert sorted(Path(a).suffix for a in assets).count(".css") == 1
    assert html.count('<script type="module" src="assets/app-') == 1
    # The CSP allows no inline script: the only inline <script> is the JSON data block.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' id="chatserve-config" type="application/json"']


def test_page_weight_is_within_budget():
    eager = {name: _gzip_size((DIST / name).read_bytes()) for name in _eager(DIST)}
    lazy = {name: _gzip_size(data) for name, data in _files(DIST).items() if name not in eager}
    total = sum(eager.values())
    listing = "\n".join(
        [f"  {size:>7,}  {name}" for name, size in eager.items()]
        + [f"lazy (gzip bytes, not counted): {sum(lazy.values()):,}"]
        + [f"  {size:>7,}  {name}" for name, size in sorted(lazy.items())]
    )
    print(f"page (gzip bytes): {total:,}\n{listing}")
    assert total <= PAGE_BUDGET_GZIP, (
        f"the page is {total:,} bytes gzipped, over {PAGE_BUDGET_GZIP:,}:\n{listing}"
    )


def test_highlighter_and_math_load_only_when_needed():
    eager = _eager(DIST)
    code = {name: (DIST / name).read_text(encoding="utf-8") for name in eager}
    everything = {
        n: d.decode("utf-8", "replace") for n, d in _files(DIST).items() if n.endswith(".js")
    }
    for library in ("Includes highlight.js", "Includes KaTeX"):
        assert not [name for name, text in code.items() if library in text], library
        # ... yet shipped, in a chunk the page imports on demand.
        holders = [name for name, text in everything.items() if library in text]
        assert len(holders) == 1, (library, holders)
        chunk = Path(holders[0]).name
        assert any(f'import("./{chunk}")' in text for text in code.values()), chunk
    fonts = [name for name in _files(DIST) if name.endswith(".woff2")]
    assert fonts and not [name for name in fonts if name in eager]
