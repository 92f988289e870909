"""A progress bar on standard error, for work someone at a terminal waits on: caching the
examples' answers, running a bot's cases (rich is imported only when one is shown)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(title: str, total: int, *, keep: bool) -> Iterator[Callable[[str], None]]:
    """A bar of `total` items; call what it yields with each item's label as it is done.
    `keep`: the bar stays on the terminal when done, else it is cleared."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=not keep) as bar:
        task = bar.add_task("", total=total)
        yield lambda label: bar.update(task, advance=1, description=escape(label[:50]))
