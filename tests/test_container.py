"""`deploy/Dockerfile`, checked without a Docker engine: its build context, its copies, the
wheel its build stage makes, and its final stage's command served from that wheel alone.

Where `docker info` works, the image is also built for real.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
Stage = list[tuple[str, str]]


def stages() -> list[Stage]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments), continuations joined."""
    result: list[Stage] = []
    for line in re.sub(r"\\\n", "", (ROOT / "deploy" / "Dockerfile").read_text()).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, arguments = line.strip().partition(" ")
            if name == "FROM":
                result.append([])
            result[-1].append((name, arguments.strip()))
    return result


def last(stage: Stage, instruction: str) -> str:
    return [arguments for name, arguments in stage if name == instruction][-1]


def copy(source: Path, target: Path, ignore=None) -> None:
    """Copy a file to `target`, or a folder's content into `target`, as COPY does."""
    if source.is_dir():
        shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def build_context(folder: Path) -> Path:
    """The files `.dockerignore` lets through: none (`*`), then `!path`, less `**/name`."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*", ".dockerignore should list what goes in, not what stays out"
    dropped = [pattern.removeprefix("**/") for pattern in patterns if pattern.startswith("**/")]
    for pattern in patterns[1:]:
        if pattern.startswith("!"):
            copy(ROOT / pattern[1:], folder / pattern[1:], shutil.ignore_patterns(*dropped))
    return folder


def lay_out(stage: Stage, context: Path, root: Path) -> Path:
    """Carry out a stage's COPYs from the build context under `root`; return its WORKDIR."""
    workdir = root

    def inside(path: str) -> Path:
        return (root if path.startswith("/") else workdir) / path.lstrip("/")

    for name, arguments in stage:
        if name == "WORKDIR":
            workdir = inside(arguments)
        elif name == "COPY" and not arguments.startswith("--from="):
            *sources, destination = arguments.split()
            for source in map(context.joinpath, sources):
                into = destination.endswith("/") and source.is_file()
                copy(source, inside(destination) / source.name if into else inside(destination))
    return workdir


def run(*command: str | Path, timeout: float = 120, **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=timeout, **options
    )


def docker_engine() -> bool:
    return bool(shutil.which("docker")) and run("docker", "info").returncode == 0


def test_the_image_builds_installs_and_serves_the_demo(
    tmp_path: Path, live_server, monkeypatch
) -> None:
    build, final = stages()
    user = last(final, "USER").split(":")[0]
    assert user.isdigit() and user != "0", "run as a fixed, non-root uid"
    assert last(final, "EXPOSE") == "8000"
    health = json.loads(last(final, "HEALTHCHECK").partition("CMD ")[2])
    assert health[0] == "python" and "'http://127.0.0.1:8000/healthz'" in health[-1]

    context = build_context(tmp_path / "context")
    source = lay_out(build, context, tmp_path / "build")
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "-q")
    wheels = tmp_path / "wheels"
    built = run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("chatserve-*.whl")
    site = tmp_path / "site"
    installed = run(*pip, "install", "--no-deps", "--target", site, wheel)
    assert installed.returncode == 0, installed.stderr

    # From here on chatserve comes from the wheel alone, as in the image.
    monkeypatch.setenv("PYTHONPATH", str(site))
    bot = lay_out(final, context, tmp_path / "image")
    probe = "import chatserve.paths as p; print(p.web_dir()); print(p.schema_path())"
    assert run(sys.executable, "-c", probe, cwd=bot).stdout.split() == [
        str(site / "chatserve" / "web"),
        str(site / "chatserve" / "schemas" / "chatserve.schema.json"),
    ]
    configs = sorted(path.name for path in bot.glob("*.yaml"))
    checked = run(site / "bin" / "chatserve", "validate", *configs, cwd=bot)
    assert (checked.returncode, checked.stdout) == (0, f"{len(configs)} file(s) valid\n")

    command = json.loads(last(final, "CMD"))
    assert command[:2] == ["chatserve", "serve"]
    config = bot / command[2]
    server = live_server(config, *command[3:], "--host", "127.0.0.1")
    page = httpx.get(server.url + "/")
    title = yaml.safe_load(config.read_text())["title"]
    assert page.status_code == 200 and f"<title>{title}</title>" in page.text
    script = re.search(r'src="(assets/app-[\w-]+\.js)"', page.text)
    assert script and httpx.get(f"{server.url}/{script[1]}").status_code == 200

    check = [sys.executable, *health[1:-1], health[-1].replace("http://127.0.0.1:8000", server.url)]
    assert run(*check).returncode == 0
    server.process.terminate()
    server.process.wait()
    assert run(*check).returncode != 0, "the healthcheck fails when the server is down"

    if docker_engine():
        image = run(
            "docker", "build", "--quiet", "-f", ROOT / "deploy" / "Dockerfile", ROOT, timeout=900
        )
        assert image.returncode == 0, image.stderr
        run("docker", "image", "rm", image.stdout.strip())
