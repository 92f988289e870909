"""The `chatserve` command: a thin skin over the Python API; heavy imports wait for a command."""

from __future__ import annotations

import difflib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from chatserve import __version__

FORMATS = ("text", "json", "github")
TEST_FORMATS = (*FORMATS, "junit")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")

F = TypeVar("F", bound=Callable[..., Any])


class DefaultGroup(click.Group):
    """`chatserve CONFIG` means `chatserve serve CONFIG`; a mistyped command that is no file
    gets a suggestion."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            close = difflib.get_close_matches(args[0], list(self.commands), n=1)
            if close and not Path(args[0]).exists():
                ctx.fail(f"No such command {args[0]!r}. Did you mean {close[0]!r}?")
            args.insert(0, "serve")
        return super().resolve_command(ctx, args)


def _load_env_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        from dotenv import load_dotenv

        load_dotenv(value, override=False)  # what the environment already says wins


config_files = click.argument(
    "configs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False)
)

env_file = click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False),
    is_eager=True,  # first: the other options and the config's ${VAR}s may come from it
    expose_value=False,
    callback=_load_env_file,
    help="Read KEY=VALUE lines into the environment first (for ${VAR}s and CHATSERVE_*).",
)


def _implementation(option: str, plain: str, fast: str, what: str) -> Callable[[F], F]:
    """One of uvicorn's choices of implementation: `auto` is the fast one when installed, and
    asking for it when it is not is a usage error."""

    def installed(ctx: click.Context, param: click.Parameter, value: str) -> str:
        if value == fast and importlib.util.find_spec(fast) is None:
            raise click.BadParameter(f"{fast} is not installed (pip install {fast}).")
        return value

    return click.option(
        option,
        type=click.Choice(["auto", plain, fast]),
        default="auto",
        show_default=True,
        envvar=f"CHATSERVE_{option.lstrip('-').upper()}",
        show_envvar=True,
        callback=installed,
        help=f"{what}; auto is {fast} when installed.",
    )


@click.group(
    cls=DefaultGroup,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "CHATSERVE"},
    epilog="""\b
Examples:
  chatserve bot.yaml                  serve it on http://127.0.0.1:8000
  chatserve bot.yaml --port 9000      another port (or PORT=9000)
  chatserve validate configs/*.yaml   check configs, as CI does
  chatserve init my-bot               start a new bot

Every option can come from the environment: CHATSERVE_<OPTION> for `serve`
(CHATSERVE_PORT, CHATSERVE_HOST, ...), CHATSERVE_<COMMAND>_<OPTION> for the others.""",
)
@click.version_option(__version__, prog_name="chatserve")
def main() -> None:
    """Turn one YAML file into a chat web app.

    `chatserve CONFIG` is short for `chatserve serve CONFIG`.
    """


@main.command(
    epilog="""\b
Examples:
  chatserve serve bot.yaml --host 0.0.0.0 --no-reload   in a container
  PORT=8080 chatserve serve bot.yaml                     as platforms set the port"""
)
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@env_file
@click.option(
    "--host",
    envvar="CHATSERVE_HOST",
    show_envvar=True,
    help="Interface to bind. Default: server.host, else 127.0.0.1.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    envvar=["CHATSERVE_PORT", "PORT"],
    show_envvar=True,
    help="Port. Default: server.port (8000).",
)
@click.option(
    "--reload/--no-reload",
    default=True,
    show_default=True,
    envvar="CHATSERVE_RELOAD",
    show_envvar=True,
    help="Reload when the config or the chat function's code changes.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    envvar="CHATSERVE_WORKERS",
    show_envvar=True,
    help="Processes serving the same config (more than 1 turns reload off).",
)
@_implementation("--loop", "asyncio", "uvloop", "Event loop")
@_implementation("--http", "h11", "httptools", "HTTP/1.1 parser")
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS),
    default="info",
    show_default=True,
    envvar="CHATSERVE_LOG_LEVEL",
    show_envvar=True,
    help="The least a line must matter to be written (info: one line per request).",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    envvar="CHATSERVE_LOG_FORMAT",
    show_envvar=True,
    help="Lines of text, or one JSON object per line (with each request's id).",
)
@click.option(
    "--mcp",
    is_flag=True,
    envvar="CHATSERVE_MCP",
    show_envvar=True,
    help="Serve the bot as an MCP tool at /mcp too (as `mcp: true` does).",
)
def serve(
    config: str,
    host: str | None,
    port: int | None,
    reload: bool,
    workers: int,
    loop: str,
    http: str,
    log_level: str,
    log_format: str,
    mcp: bool,
) -> None:
    """Serve the bot described by CONFIG."""
    from chatserve.errors import ConfigError
    from chatserve.server import run

    try:
        run(
            config,
            host=host,
            port=port,
            reload=reload and workers == 1,
            workers=workers,
            loop=loop,
            http=http,
            log_level=log_level,
            log_format=log_format,
            mcp=mcp,
        )
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@main.command()
@config_files
@env_file
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    envvar="CHATSERVE_VALIDATE_FORMAT",
)
@click.option("--no-import", is_flag=True, help="Do not import `fn` (faster; checks less).")
@click.option(
    "--configs-only",
    is_flag=True,
    help="Skip files that are not chatserve configs: check only *.chatserve.yaml files and those "
    "with the schema comment or a top-level `fn:` key (for pre-commit hooks).",
)
def validate(configs: tuple[str, ...], fmt: str, no_import: bool, configs_only: bool) -> None:
    """Check config files; print every problem; exit 1 if any file is invalid."""
    from chatserve.cli.validate import check, looks_like_config, report, stale_schemas

    if configs_only:
        configs = tuple(path for path in configs if looks_like_config(path))
    results = {path: check(path, import_fn=not no_import) for path in configs}
    click.echo(report(results, fmt), nl=False)
    for note in stale_schemas(configs):  # on stderr: the report stays machine-readable
        click.echo(note, err=True)
    sys.exit(1 if any(results.values()) else 0)


@main.command(
    epilog="""\b
Examples:
  chatserve test bot.yaml                       run the bot's cases here
  chatserve test configs/*.yaml --jobs 4        four at a time
  chatserve test bot.yaml -k "greet and not slow"
  chatserve test bot.yaml --url https://bot.example.com   against a running server
  chatserve test bot.yaml --update              write snapshot cases' replies
  chatserve test --format github --junit-xml report.xml configs/*.yaml   in CI

Exit status: 0 every case passed, 1 a case failed or a config has problems,
2 a usage error, 5 no cases to run."""
)
@config_files
@env_file
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TEST_FORMATS),
    default="text",
    show_default=True,
    help="How to report (github: annotations at the failing turn's line).",
)
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write a JUnit XML report to this file (for CI dashboards).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Runs at a time.",
)
@click.option(
    "-k",
    "keyword",
    metavar="EXPRESSION",
    help="Run the cases whose names match (words joined by and, or, not; as pytest's -k).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds a turn may take when its case sets no max_seconds.",
)
@click.option(
    "--update",
    is_flag=True,
    help="Write each `snapshot: true` case's current replies as its turns' `equals`.",
)
@click.option(
    "--url",
    metavar="URL",
    help="Run the cases against the server at URL (through "
    "its chat API) instead of in this process.",
)
@click.option(
    "--token",
    envvar="CHATSERVE_TOKEN",
    show_envvar=True,
    help="With --url: a bearer token of server.auth.tokens.",
)
@click.option(
    "--configs-only",
    is_flag=True,
    help="Skip files that are not chatserve configs "
    "and configs without cases (for pre-commit hooks).",
)
def test(
    configs: tuple[str, ...],
    fmt: str,
    junit_xml: str | None,
    jobs: int,
    keyword: str | None,
    timeout: float,
    update: bool,
    url: str | None,
    token: str | None,
    configs_only: bool,
) -> None:
    """Run the test cases of bots: their `tests:` and the examples with `expect:`."""
    import os

    from chatserve.cli.test import Options, run
    from chatserve.cli.validate import looks_like_config
    from chatserve.testing.cases import configs_naming, is_tests_file
    from chatserve.testing.report import render
    from chatserve.testing.select import BadExpression, selector
    from chatserve.testing.snapshots import SnapshotError

    if url is not None and len(configs) > 1:
        raise click.UsageError("--url tests one config: the bot that server serves.")
    # A tests file's cases run with the config that names it.
    for path in configs:
        if is_tests_file(path) and not configs_naming(path):
            name = os.path.basename(path)
            click.echo(f"note: no config beside {path} names it (tests: {name})", err=True)
    configs = tuple(
        dict.fromkeys(
            config
            for path in configs
            for config in (configs_naming(path) if is_tests_file(path) else [path])
        )
    )
    if configs_only:
        configs = tuple(path for path in configs if looks_like_config(path))
    try:
        select = selector(keyword) if keyword else None
    except BadExpression as exc:
        raise click.BadParameter(str(exc), param_hint="-k") from None
    options = Options(jobs, timeout, select, update, url, token)
    try:
        outcome = run(list(configs), options, progress=fmt == "text")
    except SnapshotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    report = outcome.report
    click.echo(render(report, fmt, color=fmt == "text" and sys.stdout.isatty()), nl=False)
    if junit_xml:
        Path(junit_xml).write_text(render(report, "junit"), encoding="utf-8")
    for path in outcome.updated:
        click.echo(f"updated {path}", err=True)
    code = 0 if report.passed else 1
    if not report.results and not report.problems and not configs_only:
        hint = (
            f"none matches -k {keyword!r}"
            if keyword
            else "add tests: to a config, or expect: to an example"
        )
        click.echo(f"no cases to run: {hint}", err=True)
        code = 5
    sys.stdout.flush()
    if outcome.stuck:  # a chat function still running in a thread: do not wait for it
        os._exit(code)
    sys.exit(code)


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
def init(folder: str) -> None:
    """Write a working bot (bot.yaml, bot.py and the schema for editors) into FOLDER."""
    from pathlib import Path

    from chatserve.cli.init import AlreadyThere
    from chatserve.cli.init import init as scaffold

    try:
        written = scaffold(Path(folder))
    except AlreadyThere as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: chatserve {Path(folder) / 'bot.yaml'}")


@main.command()
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("csv", "jsonl")),
    default="csv",
    show_default=True,
    envvar="CHATSERVE_FLAGS_FORMAT",
)
@click.option(
    "--since",
    metavar="WHEN",
    help="Only flags from then on: an age (24h, 7d), a date (2026-11-01) or a time (UTC).",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write here, not to standard output."
)
def flags(config: str, fmt: str, since: str | None, output: str | None) -> None:
    """Export the ratings users gave the replies (flagging_mode: manual)."""
    from chatserve.cli.export import BadSince, export
    from chatserve.errors import ConfigError

    try:
        count, store = export(config, fmt, since, output)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except BadSince as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    click.echo(f"{count} flag(s) from {store}", err=True)


@main.command()
@click.option(
    "--write",
    "target",
    type=click.Path(dir_okay=False, writable=True),
    help="Write it to this file (such as the chatserve.schema.json `init` made) instead.",
)
@click.option(
    "--tests",
    is_flag=True,
    help="The schema of a tests file (the one a config's `tests:` names) instead.",
)
def schema(target: str | None, tests: bool) -> None:
    """Print the JSON Schema of config files, or refresh a copy of it after an upgrade."""
    from pathlib import Path

    from chatserve.config.schema import schema_text

    if target is None:
        click.echo(schema_text(tests=tests), nl=False)
        return
    Path(target).write_text(schema_text(tests=tests))
    click.echo(f"wrote {target}", err=True)


@main.command("hash-password")
def hash_password_command() -> None:
    """Print a scrypt hash of a password for `server.auth.users[].password` (read from standard
    input, or asked for twice at a terminal). Run it again for hashes of an older cost."""
    from chatserve.security.passwords import hash_password

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.UsageError("The password is empty.")
    click.echo(hash_password(password))
