"""Running cases: every run of every case (`repeat`) at most `jobs` at a time, each turn in
its time budget, a run stopped at its first turn that misses (the next turns would build on a
reply they do not expect)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatserve.bot.load import Bot
from chatserve.config.source import Key
from chatserve.testing.cases import Step, TestCase, output_labels
from chatserve.testing.expect import Outcome, misses


class Conversation(Protocol):
    """One run of a case against a bot, here or on a server."""

    async def __aenter__(self) -> Conversation: ...
    async def __aexit__(self, *exc_info: object) -> None: ...
    async def say(self, step: Step) -> Outcome: ...


class Target(Protocol):
    bot: Bot

    def conversation(self, inputs: list[Any]) -> Conversation: ...


@dataclass(frozen=True)
class Miss:
    """A turn that did not come to what was expected."""

    turn: int
    """0-based."""
    at: Key
    message: str


@dataclass
class CaseRun:
    """One run of a case: its misses (none: it passed), its time, each turn's reply text."""

    misses: list[Miss] = field(default_factory=list)
    seconds: float = 0.0
    replies: list[str | None] = field(default_factory=list)
    """Each turn's reply text (None: the turn failed), for `--update`."""
    timed_out: bool = False
    """A turn was stopped at its time budget (its chat function may still be running)."""

    @property
    def passed(self) -> bool:
        return not self.misses


@dataclass
class Result:
    """A case and its runs."""

    case: TestCase
    runs: list[CaseRun] = field(default_factory=list)

    @property
    def passes(self) -> int:
        return sum(run.passed for run in self.runs)

    @property
    def passed(self) -> bool:
        return self.passes >= self.case.pass_rate * self.case.repeat - 1e-9

    @property
    def flaky(self) -> bool:
        """Some runs passed and some did not."""
        return 0 < self.passes < len(self.runs)

    @property
    def seconds(self) -> float:
        return sum(run.seconds for run in self.runs)


async def run_all(
    work: list[tuple[Target, TestCase]],
    *,
    jobs: int = 1,
    timeout: float = 60.0,
    updating: bool = False,
    ran: Callable[[Result, CaseRun], None] = lambda result, run: None,
) -> list[Result]:
    """Every run of every case, `jobs` at a time; `ran` is told of each run as it ends.
    `updating`: a snapshot case's `equals` are not checked (its replies become them)."""
    slots = asyncio.Semaphore(jobs)
    results = [Result(case) for _, case in work]

    async def one(target: Target, result: Result) -> None:
        async with slots:
            run = await _run(target, result.case, timeout, updating and result.case.snapshot)
        result.runs.append(run)
        ran(result, run)

    async with asyncio.TaskGroup() as group:
        for (target, case), result in zip(work, results, strict=True):
            for _ in range(case.repeat):
                group.create_task(one(target, result))
    return results


async def _run(target: Target, case: TestCase, timeout: float, snapshot: bool) -> CaseRun:
    run = CaseRun()
    outputs = output_labels(target.bot)
    async with target.conversation(case.inputs) as conversation:
        for number, step in enumerate(case.steps):
            expect = step.expect
            if snapshot and expect is not None and expect.equals is not None:
                expect = expect.model_copy(update={"equals": None})
            budget = (expect and expect.max_seconds) or timeout  # --timeout: the others'
            outcome = await _timed(conversation.say(step), budget)
            run.seconds += outcome.seconds
            run.timed_out = run.timed_out or outcome.timed_out
            failed = outcome.error or outcome.crash or outcome.timed_out
            run.replies.append(None if failed else outcome.text)
            found = misses(expect, outcome, outputs)
            if found:
                at = (*step.at, "expect") if step.expect is not None else step.at
                run.misses = [
                    Miss(number, (*at, *key) if key else step.at, message) for key, message in found
                ]
                break
    return run


async def _timed(saying: Any, budget: float) -> Outcome:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(budget):
            outcome: Outcome = await saying
    except TimeoutError:
        return Outcome(seconds=budget, timed_out=True)
    outcome.seconds = time.perf_counter() - start
    return outcome
