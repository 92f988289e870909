"""`chatserve test`: gather the cases of each config, run them here (or against a server),
update snapshots, and tell how it went."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chatserve.bot.load import load
from chatserve.errors import ConfigError, Problem
from chatserve.progress import progress_bar
from chatserve.testing.cases import TestCase, collect
from chatserve.testing.local import LocalBot
from chatserve.testing.report import Report
from chatserve.testing.run import CaseRun, Result, Target, run_all
from chatserve.testing.select import Matcher

STUCK_THREADS = 32
"""Sync chat functions stopped at their time budget that may still run, before the next ones
wait for a thread."""


@dataclass(frozen=True)
class Options:
    jobs: int = 1
    timeout: float = 60.0
    select: Matcher | None = None
    update: bool = False
    url: str | None = None
    token: str | None = None


@dataclass
class Verdict:
    """What a test command did: its report, and the files `--update` wrote."""

    report: Report
    updated: list[str]

    @property
    def stuck(self) -> bool:
        """A turn was stopped at its time budget: a chat function may still be running in a
        worker thread, which exiting must not wait for."""
        return any(run_.timed_out for result in self.report.results for run_ in result.runs)


def run(configs: list[str], options: Options, *, progress: bool = False) -> Verdict:
    """Load each config, run its cases, and (with `update`) write snapshot replies."""
    start = time.perf_counter()
    problems: dict[str, list[Problem]] = {}
    work: list[tuple[Target, TestCase]] = []
    # A thread per running sync function, and room for those a timeout left running (threads
    # are made only when needed).
    threads = options.jobs + STUCK_THREADS
    executor = ThreadPoolExecutor(threads, thread_name_prefix="chatserve-test")
    with tempfile.TemporaryDirectory(prefix="chatserve-test-") as data:
        for number, path in enumerate(configs):
            try:
                bot = load(path)
                cases = collect(bot)
            except ConfigError as exc:
                problems[path] = exc.problems
                continue
            target: Target
            if options.url is not None:
                from chatserve.testing.remote import RemoteBot

                target = RemoteBot(bot, options.url, options.token)
            else:
                target = LocalBot(bot, Path(data) / str(number), executor)
            work += [(target, case) for case in cases if _selected(case, options.select)]
        with _progress(sum(case.repeat for _, case in work), progress) as ran:
            results = asyncio.run(
                run_all(
                    work,
                    jobs=options.jobs,
                    timeout=options.timeout,
                    updating=options.update,
                    ran=ran,
                )
            )
    executor.shutdown(wait=False, cancel_futures=True)
    updated: list[str] = []
    if options.update:
        from chatserve.testing.snapshots import update

        updated = update(results)  # raises SnapshotError
    report = Report(results, problems, time.perf_counter() - start)
    return Verdict(report, updated)


def _selected(case: TestCase, select: Matcher | None) -> bool:
    return select is None or select(case.name)


@contextmanager
def _progress(total: int, shown: bool) -> Iterator[Callable[[Result, CaseRun], None]]:
    """A progress bar of runs on a terminal's standard error; nothing otherwise."""
    if not shown or not total or not sys.stderr.isatty():
        yield lambda result, run_: None
        return
    with progress_bar("Testing", total, keep=False) as advance:
        yield lambda result, run_: advance(result.case.name)
