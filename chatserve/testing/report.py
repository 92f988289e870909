"""The results of `chatserve test` as text (a line per case, a table per config), JSON,
GitHub annotations (at the line of the turn that missed) or JUnit XML (for CI dashboards)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chatserve.errors import Problem, workflow_command
from chatserve.testing.run import CaseRun, Miss, Result


@dataclass
class Report:
    """What a test command found: each case's result, and the configs it could not load."""

    results: list[Result]
    problems: dict[str, list[Problem]]
    """Per config file: why its cases could not be gathered."""
    seconds: float = 0.0
    """The whole command's time (cases run side by side with `--jobs`)."""

    @property
    def passed(self) -> bool:
        return not self.problems and all(result.passed for result in self.results)

    def summary(self) -> dict[str, int]:
        return {
            "cases": len(self.results),
            "passed": sum(r.passed for r in self.results),
            "failed": sum(not r.passed for r in self.results),
            "flaky": sum(r.flaky for r in self.results),
            "broken_configs": len(self.problems),
        }

    def summary_line(self) -> str:
        counts = self.summary()
        parts = [f"{counts['passed']} passed", f"{counts['failed']} failed"]
        if counts["flaky"]:
            parts.append(f"{counts['flaky']} flaky")
        if counts["broken_configs"]:
            parts.append(f"{counts['broken_configs']} config(s) with problems")
        return f"{', '.join(parts)} in {self.seconds:.2f} s"


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in `fmt`: text, json, github or junit."""
    if fmt == "json":
        return json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(f"{line}\n" for line in github(report))
    if fmt == "junit":
        return junit(report)
    return text(report, color=color)


def failed_run(result: Result) -> CaseRun | None:
    """The run a failure is shown from: the first that missed."""
    return next((run for run in result.runs if not run.passed), None)


def place(result: Result, miss: Miss) -> tuple[str, int, int]:
    """The file, line and column of what missed."""
    return (result.case.file, *result.case.locate(miss.at))


def where(result: Result, miss: Miss) -> str:
    return ":".join(map(str, place(result, miss)))


def by_config(results: list[Result]) -> dict[str, list[Result]]:
    """The results of each config, in the order they came."""
    grouped: dict[str, list[Result]] = {}
    for result in results:
        grouped.setdefault(result.case.config, []).append(result)
    return grouped


def _verdict(result: Result) -> str:
    if len(result.runs) == 1:
        return "PASS" if result.passed else "FAIL"
    rate = f"{result.passes}/{len(result.runs)} runs passed, {result.case.pass_rate:.0%} needed"
    return f"{'PASS' if result.passed else 'FAIL'} ({rate})"


def _misses(result: Result) -> Iterator[tuple[Miss, str]]:
    """Each miss of the run a failure (or flakiness) is shown from, as `turn N: message`."""
    run = failed_run(result)
    for miss in run.misses if run else ():
        turns = len(result.case.steps)
        turn = f"turn {miss.turn + 1} of {turns}: " if turns > 1 else ""
        yield miss, f"{turn}{miss.message}"


def text(report: Report, *, color: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color, width=120, soft_wrap=True)
    for file, problems in report.problems.items():
        console.print(f"[bold red]ERROR[/] {escape(file)}: its cases could not be gathered")
        for problem in problems:
            console.print(f"      {escape(str(problem))}")
    for result in report.results:
        style = "green" if result.passed else "bold red"
        flaky = " [yellow]flaky[/]" if result.flaky else ""
        console.print(
            f"[{style}]{escape(_verdict(result))}[/]{flaky}  {escape(result.case.config)}  "
            f"{escape(result.case.name)}  [dim]{result.seconds:.2f} s[/]"
        )
        if not result.passed or result.flaky:
            for miss, message in _misses(result):
                console.print(f"      {escape(where(result, miss))}: {escape(message)}")
    if report.results:
        console.print()
        console.print(_table(report))
        console.print()
    for result in filter(lambda result: result.flaky, report.results):
        runs = f"{result.passes} of {len(result.runs)} runs passed"
        console.print(
            f"[yellow]flaky[/]  {escape(result.case.config)}  {escape(result.case.name)}: {runs}"
        )
    console.print(report.summary_line())
    return "".join(f"{line.rstrip()}\n" for line in out.getvalue().splitlines())


def _table(report: Report) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in ("config", "cases", "passed", "failed", "flaky", "time"):
        table.add_column(column, justify="left" if column == "config" else "right")
    for config, results in by_config(report.results).items():
        table.add_row(
            escape(config),
            str(len(results)),
            str(sum(r.passed for r in results)),
            str(sum(not r.passed for r in results)),
            str(sum(r.flaky for r in results)),
            f"{sum(r.seconds for r in results):.2f} s",
        )
    return table


def as_json(report: Report) -> dict[str, object]:
    cases = []
    for result in report.results:
        case = result.case
        line, column = case.locate()
        misses = [
            dict(zip(("file", "line", "column"), place(result, m), strict=True))
            | {"turn": m.turn + 1, "message": m.message}
            for m, _ in _misses(result)
        ]
        cases.append(
            {
                "config": case.config,
                "name": case.name,
                "file": case.file,
                "line": line,
                "column": column,
                "passed": result.passed,
                "flaky": result.flaky,
                "runs": len(result.runs),
                "passes": result.passes,
                "pass_rate": case.pass_rate,
                "seconds": round(result.seconds, 4),
                "misses": misses,
            }
        )
    problems = [p.as_dict() for found in report.problems.values() for p in found]
    return {
        "passed": report.passed,
        "summary": report.summary() | {"seconds": round(report.seconds, 3)},
        "problems": problems,
        "cases": cases,
    }


def github(report: Report) -> Iterator[str]:
    """Workflow commands: an error at each broken config's problem and each failed case's
    missed turn, a warning at each flaky case that passed; then the summary."""
    for problems in report.problems.values():
        yield from (problem.annotation() for problem in problems)
    for result in report.results:
        if result.passed and not result.flaky:
            continue
        level = "error" if not result.passed else "warning"
        title = f"chatserve test: {result.case.name}"
        if result.flaky:
            title += f" (flaky: {result.passes}/{len(result.runs)} runs passed)"
        for miss, message in _misses(result):
            yield workflow_command(level, *place(result, miss), title, message)
    yield report.summary_line()


def junit(report: Report) -> str:
    """JUnit XML: a test suite per config, a test case per case (a failure: the missed turn's
    place and message), a suite with an error for each config that could not be loaded."""
    root = ET.Element("testsuites", name="chatserve test")
    for file, problems in report.problems.items():
        suite = ET.SubElement(root, "testsuite", name=file, tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname=file, name="config", file=file)
        text = "\n".join(str(problem) for problem in problems)
        ET.SubElement(case, "error", message=problems[0].message, type="config").text = text
    for config, results in by_config(report.results).items():
        failures = sum(not r.passed for r in results)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=config,
            tests=str(len(results)),
            failures=str(failures),
            errors="0",
            skipped="0",
            time=f"{sum(r.seconds for r in results):.3f}",
        )
        for result in results:
            _junit_case(suite, result)
    counts = report.summary()
    root.set("tests", str(counts["cases"] + counts["broken_configs"]))
    root.set("failures", str(counts["failed"]))
    root.set("errors", str(counts["broken_configs"]))
    root.set("time", f"{report.seconds:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _junit_case(suite: ET.Element, result: Result) -> None:
    case = result.case
    line, _ = case.locate()
    element = ET.SubElement(
        suite,
        "testcase",
        classname=case.config,
        name=case.name,
        file=case.file,
        line=str(line),
        time=f"{result.seconds:.3f}",
    )
    found = [f"{where(result, miss)}: {message}" for miss, message in _misses(result)]
    if not result.passed:
        runs = f"\n{_verdict(result)}" if len(result.runs) > 1 else ""
        failure = ET.SubElement(element, "failure", message=found[0], type="expectation")
        failure.text = "\n".join(found) + runs
    elif result.flaky:
        ET.SubElement(element, "system-out").text = f"flaky: {_verdict(result)}\n" + "\n".join(
            found
        )
