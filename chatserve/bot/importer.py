"""Import the chat function named by `fn`, with errors in uvicorn's importer style."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

_NOT_USER_CODE = (str(Path(__file__).parent), "<frozen importlib")

FORMAT = '"<module>:<function>" or "<file.py>:<function>"'


class ImportFromStringError(Exception):
    """`fn` could not be imported; the message says which part failed."""


def import_from_string(spec: str, base_dir: Path) -> Callable[..., Any]:
    """Import `pkg.module:func` (`base_dir` on `sys.path`) or `file.py:func` (in `base_dir`)."""
    module_part, _, attr_part = spec.partition(":")
    if not module_part or not attr_part:
        raise ImportFromStringError(f'Import string "{spec}" must be in format {FORMAT}.')
    if module_part.endswith(".py"):
        module = _import_file(module_part, base_dir)
    else:
        module = _import_module(module_part, base_dir)
    target: Any = module
    for name in attr_part.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise ImportFromStringError(
                f'Attribute "{attr_part}" not found in module "{module_part}".'
            ) from None
    if not callable(target):
        raise ImportFromStringError(f'"{spec}" is a {type(target).__name__}, not a function.')
    return target


def _import_module(name: str, base_dir: Path) -> Any:
    folder = str(base_dir)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name) and name[len(exc.name) :][:1] in ("", "."):
            raise ImportFromStringError(
                f'Could not import module "{name}" (looked in "{base_dir}" and on sys.path).'
            ) from None
        raise ImportFromStringError(_failure(name, exc)) from None
    except Exception as exc:
        raise ImportFromStringError(_failure(name, exc)) from None


def _import_file(relative: str, base_dir: Path) -> Any:
    path = (base_dir / relative).resolve()
    if not path.is_relative_to(base_dir.resolve()):
        raise ImportFromStringError(
            f'File "{relative}" is outside the config\'s folder; chat functions must live beside '
            "the config or below it."
        )
    if not path.is_file():
        raise ImportFromStringError(f'File "{relative}" not found in "{base_dir}".')
    # A unique module name per file keeps two bots' `bot.py` apart; the folder on sys.path
    # lets the file import its neighbours.
    name = f"chatserve_fn_{abs(hash(str(path))):x}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ImportFromStringError(_failure(relative, exc)) from None
    sys.modules[name] = module
    return module


def _failure(name: str, exc: BaseException) -> str:
    """One line naming the error and where in the user's code it happened."""
    if isinstance(exc, SyntaxError) and exc.filename:
        detail, filename, line = exc.msg, exc.filename, exc.lineno
    else:
        frames = traceback.extract_tb(exc.__traceback__)
        user = [f for f in frames if not f.filename.startswith(_NOT_USER_CODE)]
        detail = str(exc)
        filename, line = (user[-1].filename, user[-1].lineno) if user else ("", 0)
    where = f" ({Path(filename).name}, line {line})" if filename else ""
    return f'Importing "{name}" failed: {type(exc).__name__}: {detail}{where}'
