"""The committed web/dist/ is exactly what web/ builds to, and stays within the page budget."""

import gzip
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
DIST = WEB / "dist"
REBUILD = "npm --prefix web ci && npm --prefix web run build"
PAGE_BUDGET_GZIP = 60 * 1024


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


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


def test_page_has_the_server_markers_and_relative_assets():
    html = (DIST / "index.html").read_text(encoding="utf-8")
    assert html.count("__CHATSERVE_TITLE__") == 1
    assert html.count('data-theme="__CHATSERVE_THEME__"') == 1
    config_block = '<script id="chatserve-config" type="application/json">__CHATSERVE_CONFIG__'
    assert html.count(config_block + "</script>") == 1
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    # Relative asset URLs keep the page working behind a path prefix; nothing comes from a CDN.
    assets = [url for url in urls if not url.startswith("data:")]
    assert sorted(Path(a).suffix for a in assets) == [".css", ".js"]
    for asset in assets:
        assert re.fullmatch(r"assets/app-[0-9a-f]{10}\.(?:js|css)", asset), asset
        assert (DIST / asset).is_file(), asset
    # The CSP allows no inline script: the only inline <script> is the JSON data block.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' id="chatserve-config" type="application/json"']


def test_page_weight_is_within_budget():
    total = sum(len(gzip.compress(data, 9)) for data in _files(DIST).values())
    assert total <= PAGE_BUDGET_GZIP, f"web/dist/ is {total} bytes gzipped, over {PAGE_BUDGET_GZIP}"
