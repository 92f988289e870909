"""Fuzzing the checks of `chatserve test`: whatever a bot replies (any messages, any output
values, JSON or not) and whatever a case expects, checking says what missed, a line each, and
never fails itself."""

from __future__ import annotations

from typing import Any

from fuzzing import FUZZ, JSON
from hypothesis import given
from hypothesis import strategies as st

from chatserve.config.cases import Expect
from chatserve.testing.expect import QUOTED, Outcome, misses, plain

TEXT = st.text(max_size=30)

FILE = st.fixed_dictionaries(
    {"name": TEXT, "mime_type": st.sampled_from(["image/png", "audio/wav", "text/csv", ""])}
)

CONTENT = st.one_of(
    TEXT,
    JSON,
    st.fixed_dictionaries({"file": FILE}),
    st.fixed_dictionaries({"component": st.just("gallery"), "items": st.lists(JSON, max_size=2)}),
)

MESSAGE = st.fixed_dictionaries(
    {"role": st.just("assistant"), "content": CONTENT},
    optional={"metadata": st.one_of(JSON, st.fixed_dictionaries({"title": JSON}))},
)

OUTCOME = st.builds(
    Outcome,
    messages=st.lists(MESSAGE, max_size=4),
    outputs=st.lists(JSON, max_size=2),
    error=st.none() | TEXT,
    seconds=st.floats(0, 100),
)

SCHEMAS = st.sampled_from(
    [{"type": "object", "required": ["a"]}, {"type": "array"}, {"const": 1}, {}]
)

EXPECTATION: dict[str, st.SearchStrategy[Any]] = {
    "contains": TEXT | st.lists(TEXT, max_size=2),
    "not_contains": TEXT | st.lists(TEXT, max_size=2),
    "matches": st.sampled_from(["^a", "(?i)yes", r"\d+", ".*"]),
    "equals": TEXT,
    "json_schema": SCHEMAS,
    "files": st.integers(0, 3)
    | st.fixed_dictionaries({"type": st.sampled_from(["image", ".csv"])}),
    "thought": st.booleans() | TEXT,
    "error": st.booleans() | TEXT,
    "max_seconds": st.floats(0.01, 50),
}


@st.composite
def expectations(draw: st.DrawFn) -> Expect:
    keys = draw(st.lists(st.sampled_from(sorted(EXPECTATION)), unique=True, max_size=4))
    given = {key: draw(EXPECTATION[key]) for key in keys}
    if draw(st.booleans()):
        given["any_of"] = draw(st.lists(TEXT | st.just({"contains": "a"}), min_size=1, max_size=2))
    if draw(st.booleans()):
        given["outputs"] = {"Panel": {"json_schema": draw(SCHEMAS), "contains": draw(TEXT)}}
    return Expect.model_validate(given)


@given(expect=st.none() | expectations(), outcome=OUTCOME)
@FUZZ
def test_checking_any_reply_against_any_expectation_says_what_missed(
    expect: Expect | None, outcome: Outcome
) -> None:
    found = misses(expect, outcome, ["Panel"])
    for key, message in found:
        assert isinstance(key, tuple) and isinstance(message, str) and message
        assert "\n" not in message.replace("\\n", "")  # quoted with repr: one line each
    wants_error = expect is not None and expect.error not in (None, False)
    if outcome.error is not None and not wants_error:
        assert found == [((), f"the turn failed: {plain(outcome.error)}")]
    if outcome.error is None and wants_error:
        assert [key for key, _ in found] == [("error",)]
    if expect is not None and outcome.error is None and not wants_error and expect.equals:
        assert (("equals",) in [key for key, _ in found]) == (
            outcome.text.strip() != expect.equals.strip()
        )


def test_a_long_reply_is_quoted_short() -> None:
    outcome = Outcome([{"role": "assistant", "content": "x" * 10_000}])
    [(key, message)] = misses(Expect(contains="y"), outcome, [])
    assert key == ("contains",)
    assert len(message) < 2 * QUOTED + 80
