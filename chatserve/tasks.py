"""Background work that runs as long as the server does (sweeps, example answers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any


@asynccontextmanager
async def running(background: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `background` as a task while the server runs; cancel it on shutdown."""
    task = asyncio.create_task(background)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
