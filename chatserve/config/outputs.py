"""Additional outputs: panels beside the chat, filled by returning `(reply, *values)`."""

from __future__ import annotations

from typing import Literal

from chatserve.config.base import ConfigModel

OUTPUT_TYPES = ("markdown", "code", "json", "html", "image")


class AdditionalOutput(ConfigModel):
    type: Literal[OUTPUT_TYPES]  # type: ignore[valid-type]
    """What the panel shows: `markdown`, `code`, `json`, `html` (sanitized) or `image`."""

    label: str | None = None
    """The panel's title. Default: the output's type and number."""

    language: str | None = None
    """For `code`: the language, shown with the code."""
