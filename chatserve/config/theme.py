"""A custom theme from YAML, and the CSS it becomes: values for the UI's `--cs-*` properties.

Every value is checked before it reaches CSS, so a theme cannot smuggle in rules of its own.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from chatserve.config.base import ConfigModel

THEMES = ("default", "soft", "ocean", "citrus", "glass", "monochrome", "origin", "base")

_COLOR = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|(rgb|rgba|hsl|hsla|oklch)\([0-9.,%/ a-z-]{1,60}\))$"
)
_FONT = re.compile(r"^[A-Za-z0-9 ,'\"-]{1,200}$")
_LENGTH = re.compile(r"^(0|\d+(\.\d+)?(px|em|rem))$")
# Specificity (0,3,1) beats every built-in theme rule (at most 0,3,0), whichever theme is the base.
_LIGHT = "html:root[data-theme][data-color-scheme]"
_DARK = 'html:root[data-theme][data-color-scheme="dark"]'


class Colors(ConfigModel):
    light: str
    """The colour in light mode."""
    dark: str
    """The colour in dark mode."""


Color = Annotated[
    str | Colors,
    Field(description="A CSS colour (`#7c3aed`, `rgb(...)`, a name) or `{light, dark}`."),
]


class CustomTheme(ConfigModel):
    """A built-in theme with some of its colours, fonts and corners changed."""

    base: Literal[THEMES] = "default"  # type: ignore[valid-type]
    """The built-in theme to start from."""
    primary: Color | None = None
    """Accent: the Send button, links, focus rings, active states."""
    secondary: Color | None = None
    """The user's message bubbles."""
    neutral: Color | None = None
    """Raised surfaces: the message box, example cards, thoughts."""
    font: str | None = None
    """Font stack for text, e.g. `"Inter, sans-serif"`."""
    font_mono: str | None = None
    """Font stack for code."""
    radius: str | None = None
    """Corner radius of bubbles, the message box and cards, e.g. `16px`; small corners are half."""
    spacing: Literal["sm", "md", "lg"] | None = None
    """Room between and inside messages: `sm` (compact), `md` (as designed) or `lg` (airy)."""

    @field_validator("primary", "secondary", "neutral")
    @classmethod
    def _colors(cls, value: str | Colors | None) -> str | Colors | None:
        for color in (value.light, value.dark) if isinstance(value, Colors) else (value,):
            if color is not None and not _COLOR.match(color):
                raise ValueError(f"must be a CSS colour such as '#7c3aed', got {color!r}")
        return value

    @field_validator("font", "font_mono")
    @classmethod
    def _font(cls, value: str | None) -> str | None:
        if value is not None and not _FONT.match(value):
            raise ValueError(f"must be a font stack such as 'Inter, sans-serif', got {value!r}")
        return value

    @field_validator("radius")
    @classmethod
    def _radius(cls, value: str | None) -> str | None:
        if value is not None and not _LENGTH.match(value):
            raise ValueError(f"must be a length such as '12px' or '1rem', got {value!r}")
        return value

    def css(self) -> str:
        """Rules that set the theme's `--cs-*` properties in light and in dark mode."""
        light: dict[str, str] = {}
        dark: dict[str, str] = {}
        for field, properties in _COLOR_PROPERTIES.items():
            value = getattr(self, field)
            if value is None:
                continue
            both = value if isinstance(value, Colors) else Colors(light=value, dark=value)
            for prop in properties:
                light[prop], dark[prop] = both.light, both.dark
        if self.font:
            light["--cs-font"] = light["--cs-font-heading"] = self.font
        if self.font_mono:
            light["--cs-font-mono"] = self.font_mono
        if self.radius:
            light["--cs-radius"] = self.radius
            light["--cs-radius-sm"] = f"calc({self.radius} / 2)"
        if self.spacing:
            light["--cs-space"] = _SPACING[self.spacing]
        rules = [_rule(_LIGHT, light)]
        dark_only = {k: v for k, v in dark.items() if light.get(k) != v}
        if dark_only:
            rules.append(_rule(_DARK, dark_only))
        return "\n".join(rule for rule in rules if rule)


_COLOR_PROPERTIES = {
    "primary": ("--cs-accent", "--cs-accent-hover", "--cs-link", "--cs-focus"),
    "secondary": ("--cs-user-bg",),
    "neutral": ("--cs-surface",),
}


_SPACING = {"sm": "0.7", "md": "1", "lg": "1.4"}


def _rule(selector: str, properties: dict[str, str]) -> str:
    if not properties:
        return ""
    body = "".join(f"  {name}: {value};\n" for name, value in properties.items())
    return f"{selector} {{\n{body}}}"
