"""Additional inputs: their config (Gradio's component names and options) and the server-side check
of every value a client sends for them."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from chatserve.config.base import ConfigModel

Scalar = str | int | float | bool
Choice = Scalar | list[Scalar]


class InvalidInput(ValueError):
    """A value does not match its input's declaration."""


class _Input(ConfigModel):
    label: str | None = None
    """Shown above the control. Default: the chat function's parameter name."""

    info: str | None = None
    """Helper text shown under the label."""

    position: Literal["accordion", "above"] = "accordion"
    """`accordion`: in the "Additional inputs" accordion under the chat (Gradio's default);
    `above`: above the chat (like a component rendered earlier in a surrounding `gr.Blocks`)."""

    @model_validator(mode="after")
    def _default_is_valid(self) -> _Input:
        try:
            self.check(self.default())
        except InvalidInput as exc:
            raise ValueError(f"value {exc}") from None
        return self

    def default(self) -> Any:
        """The value used when a client sends none."""
        return self.value  # type: ignore[attr-defined]

    def check(self, value: Any) -> Any:
        """The value to pass to the chat function; raises InvalidInput."""
        raise NotImplementedError

    def public(self) -> dict[str, Any]:
        """What the browser needs to draw the control."""
        return {**self.model_dump(), "value": self.default()}


class TextboxInput(_Input):
    type: Literal["textbox"] = "textbox"
    """A text field."""
    value: str = ""
    """Initial text."""
    placeholder: str | None = None
    """Hint shown when empty."""
    lines: int = Field(1, ge=1, le=50)
    """Visible lines."""
    max_length: int | None = Field(None, ge=1)
    """Longest text accepted, in characters."""

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidInput(f"must be text, got {_describe(value)}")
        if self.max_length is not None and len(value) > self.max_length:
            raise InvalidInput(f"is {len(value)} characters long; the limit is {self.max_length}")
        return value


class NumberInput(_Input):
    type: Literal["number"] = "number"
    """A number field."""
    value: float | int = 0
    """Initial number."""
    minimum: float | int | None = None
    """Smallest number accepted."""
    maximum: float | int | None = None
    """Largest number accepted."""
    step: float | int | None = None
    """Increment of the arrows in the browser."""

    def check(self, value: Any) -> float | int:
        return _number_in_range(value, self.minimum, self.maximum)


class SliderInput(_Input):
    type: Literal["slider"] = "slider"
    """A slider over a range of numbers."""
    minimum: float | int = 0
    """Left end of the slider."""
    maximum: float | int = 100
    """Right end of the slider."""
    step: float | int = Field(1, gt=0)
    """Increment between values."""
    value: float | int | None = None
    """Initial value. Default: `minimum`."""

    @model_validator(mode="before")
    @classmethod
    def _ordered(cls, data: Any) -> Any:
        low, high = (data.get(k, d) for k, d in (("minimum", 0), ("maximum", 100)))
        if isinstance(low, int | float) and isinstance(high, int | float) and low >= high:
            raise ValueError(f"minimum ({low}) must be below maximum ({high})")
        return data

    def default(self) -> float | int:
        return self.minimum if self.value is None else self.value

    def check(self, value: Any) -> float | int:
        return _number_in_range(value, self.minimum, self.maximum)


class CheckboxInput(_Input):
    type: Literal["checkbox"] = "checkbox"
    """A single checkbox."""
    value: bool = False
    """Initially ticked."""

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise InvalidInput(f"must be true or false, got {_describe(value)}")
        return value


class _ChoiceInput(_Input):
    choices: list[Choice] = Field(min_length=1)
    """The options: plain values, or `[label, value]` pairs to show a label other than the value."""

    @field_validator("choices")
    @classmethod
    def _pairs(cls, choices: list[Choice]) -> list[Choice]:
        for choice in choices:
            if isinstance(choice, list) and len(choice) != 2:
                raise ValueError(f"a choice must be a value or a [label, value] pair, got {choice}")
        return choices

    def values(self) -> list[Scalar]:
        return [c[1] if isinstance(c, list) else c for c in self.choices]

    def one_of(self, value: Any) -> Scalar:
        if value not in self.values() or isinstance(value, list):
            raise InvalidInput(f"{_describe(value)} is not one of the choices {self.values()}")
        return value

    def public(self) -> dict[str, Any]:
        pairs = [c if isinstance(c, list) else [str(c), c] for c in self.choices]
        return {**super().public(), "choices": pairs}


class DropdownInput(_ChoiceInput):
    type: Literal["dropdown"] = "dropdown"
    """A drop-down list of choices."""
    value: Choice | None = None
    """Initial choice (a list of them with `multiselect`). Default: none."""
    multiselect: bool = False
    """Allow choosing several; the chat function then gets a list."""

    def check(self, value: Any) -> Any:
        if self.multiselect:
            return _subset(self, value)
        return None if value is None else self.one_of(value)


class RadioInput(_ChoiceInput):
    type: Literal["radio"] = "radio"
    """Radio buttons: one of the choices."""
    value: Scalar | None = None
    """Initial choice. Default: none."""

    def check(self, value: Any) -> Any:
        return None if value is None else self.one_of(value)


class CheckboxGroupInput(_ChoiceInput):
    type: Literal["checkboxgroup"] = "checkboxgroup"
    """Checkboxes: any of the choices."""
    value: list[Scalar] = []
    """Initially ticked choices."""

    def check(self, value: Any) -> list[Scalar]:
        return _subset(self, value)


AdditionalInput = Annotated[
    TextboxInput
    | NumberInput
    | SliderInput
    | CheckboxInput
    | DropdownInput
    | RadioInput
    | CheckboxGroupInput,
    Field(discriminator="type"),
]
INPUT_TYPES = ("textbox", "number", "slider", "checkbox", "dropdown", "radio", "checkboxgroup")


class Accordion(ConfigModel):
    label: str = "Additional inputs"
    """The accordion's title."""
    open: bool = False
    """Start open."""


def _number_in_range(value: Any, minimum: float | None, maximum: float | None) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"must be a number, got {_describe(value)}")
    if not _fits_a_float(value):
        raise InvalidInput(f"must be a number between -1.8e308 and 1.8e308, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise InvalidInput(f"{value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise InvalidInput(f"{value} is above the maximum {maximum}")
    return value


def _fits_a_float(value: float | int) -> bool:
    """Whether a float holds `value`, as browsers and most code will make it one: an int past
    1.8e308 does not fit (and `math.isfinite` raises on it), nor does infinity."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _subset(field: _ChoiceInput, value: Any) -> list[Scalar]:
    if not isinstance(value, list):
        raise InvalidInput(f"must be a list of choices, got {_describe(value)}")
    return [field.one_of(item) for item in value]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
