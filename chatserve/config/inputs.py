"""Additional inputs: their config (Gradio's component names and options) and the server-side check
of every value a client sends for them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from chatserve.config.base import ConfigModel
from chatserve.config.sizes import ByteSize, parse_size
from chatserve.store.files import accepts

if TYPE_CHECKING:
    from chatserve.store.files import StoredFile

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

    def argument(self, value: Any) -> Any:
        """What the chat function gets for a checked value: the value itself, mostly."""
        return value

    def public(self) -> dict[str, Any]:
        """What the browser needs to draw the control."""
        return {**self.model_dump(), "value": self.default()}

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the values `check` accepts (`{}`: any value; `check` decides)."""
        return {}


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

    def schema(self) -> dict[str, Any]:
        return _present(type="string", maxLength=self.max_length)

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

    def schema(self) -> dict[str, Any]:
        return _present(type="number", minimum=self.minimum, maximum=self.maximum)

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

    def schema(self) -> dict[str, Any]:
        return _present(type="number", minimum=self.minimum, maximum=self.maximum)

    def check(self, value: Any) -> float | int:
        return _number_in_range(value, self.minimum, self.maximum)


class CheckboxInput(_Input):
    type: Literal["checkbox"] = "checkbox"
    """A single checkbox."""
    value: bool = False
    """Initially ticked."""

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

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

    def schema(self) -> dict[str, Any]:
        """One of the choices, or null (none chosen)."""
        return {"enum": [*self.values(), None]}

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

    def schema(self) -> dict[str, Any]:
        return _any_of(self) if self.multiselect else super().schema()

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

    def schema(self) -> dict[str, Any]:
        return _any_of(self)

    def check(self, value: Any) -> list[Scalar]:
        return _subset(self, value)


FILE_KINDS = ("image", "audio", "video", "text")


def valid_file_types(value: list[str] | None) -> list[str] | None:
    """Gradio's `file_types`: kinds (`image`, ...) or extensions (`.pdf`); raises ValueError."""
    for item in value or ():
        if item not in FILE_KINDS and not re.fullmatch(r"\.[A-Za-z0-9]+", item):
            raise ValueError(
                f"{item!r} is neither a kind ({', '.join(FILE_KINDS)}) nor an extension "
                "such as '.pdf'"
            )
    return value


class UploadInput(_Input):
    """A file input's value on the wire is a file ref `{"id": ...}` (an upload's id, or an
    example file's), null for none; a list of refs with `file_count: multiple`. The chat
    function gets paths."""

    file_count: Literal["single", "multiple"] = "single"
    """One file, or several (the chat function then gets a list)."""
    max_file_size: ByteSize | None = None
    """The largest file accepted. Default: `server.max_upload_size`."""

    @field_validator("max_file_size")
    @classmethod
    def _size(cls, value: int | str | None) -> int | None:
        return None if value is None else parse_size(value)

    @field_validator("file_types", check_fields=False)
    @classmethod
    def _file_types(cls, value: list[str] | None) -> list[str] | None:
        return valid_file_types(value)

    def accepted(self) -> list[str] | None:
        return self.file_types  # type: ignore[attr-defined,no-any-return]

    def default(self) -> Any:
        return [] if self.file_count == "multiple" else None

    def check(self, value: Any) -> Any:
        """The refs, their shape checked (the files are found per client by `resolve`)."""
        if self.file_count == "single":
            return None if value is None else _ref(value)
        if not isinstance(value, list):
            raise InvalidInput(f"must be a list of files, got {_describe(value)}")
        return [_ref(item) for item in value]

    def schema(self) -> dict[str, Any]:
        """A file ref, or a `data:` URL the MCP route stores as an upload before the check."""
        ref = {
            "anyOf": [
                {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
                {"type": "string", "pattern": "^data:", "description": "a data: URL"},
            ]
        }
        if self.file_count == "multiple":
            return {"type": "array", "items": ref}
        return {"anyOf": [ref, {"type": "null"}]}

    def ids(self, value: Any) -> list[str]:
        """The file ids a checked value names."""
        refs = value if isinstance(value, list) else [] if value is None else [value]
        return [ref["id"] for ref in refs]

    def resolve(self, value: Any, find: Callable[[str], StoredFile], limit: int) -> Any:
        """The chat function's value: each named file's path, its type and size checked
        (`limit`: the size limit when the config sets none). `find` raises for an id this
        client may not use."""
        paths = []
        for file_id in self.ids(value):
            stored = find(file_id)
            largest = self.max_file_size or limit
            if stored.size > largest:
                raise InvalidInput(f"{stored.name!r} is larger than the limit of {largest:,} bytes")
            accept = self.accepted()
            if accept and not accepts(accept, stored.name, stored.mime_type):
                raise InvalidInput(
                    f"{stored.name!r} is not an accepted file type ({', '.join(accept)})"
                )
            paths.append(str(stored.path))
        return paths if self.file_count == "multiple" else (paths[0] if paths else None)


class FileInput(UploadInput):
    type: Literal["file"] = "file"
    """A file drop zone (Gradio's `gr.File`); the chat function gets the file's path."""
    file_types: list[str] | None = None
    """The files accepted, as kinds (`image`, `audio`, `video`, `text`) or extensions
    (`.pdf`). Default: any file."""


class ImageInput(UploadInput):
    type: Literal["image"] = "image"
    """An image drop zone with a preview (Gradio's `gr.Image`)."""
    file_types: list[str] | None = ["image"]
    """The files accepted. Default: any image."""
    format: Literal["filepath", "pil"] = "filepath"
    """What the chat function gets: the image's path, or a `PIL.Image.Image` (needs Pillow)."""

    @model_validator(mode="after")
    def _pillow(self) -> ImageInput:
        if self.format == "pil":
            from chatserve.store.shared.extras import MissingExtra, client

            try:
                client("PIL.Image")
            except MissingExtra as exc:
                raise ValueError(f"format: pil {exc}") from None
        return self

    def argument(self, value: Any) -> Any:
        if self.format == "filepath" or value is None:
            return value
        from PIL import Image

        def load(path: str) -> Any:
            with Image.open(path) as image:
                image.load()
                return image

        return [load(path) for path in value] if isinstance(value, list) else load(value)


AdditionalInput = Annotated[
    TextboxInput
    | NumberInput
    | SliderInput
    | CheckboxInput
    | DropdownInput
    | RadioInput
    | CheckboxGroupInput
    | FileInput
    | ImageInput,
    Field(discriminator="type"),
]
INPUT_TYPES = (
    "textbox",
    "number",
    "slider",
    "checkbox",
    "dropdown",
    "radio",
    "checkboxgroup",
    "file",
    "image",
)


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


def _any_of(field: _ChoiceInput) -> dict[str, Any]:
    return {"type": "array", "items": {"enum": field.values()}}


def _present(**keywords: Any) -> dict[str, Any]:
    """A schema of the keywords that are set."""
    return {key: value for key, value in keywords.items() if value is not None}


def _subset(field: _ChoiceInput, value: Any) -> list[Scalar]:
    if not isinstance(value, list):
        raise InvalidInput(f"must be a list of choices, got {_describe(value)}")
    return [field.one_of(item) for item in value]


def _ref(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise InvalidInput(f"must be a file as {{'id': ...}}, got {_describe(value)}")
    return {"id": value["id"]}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
