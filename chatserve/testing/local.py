"""Cases run in this process: each turn through the turn engine the server uses (the same
argument checks, the same conversion of replies), with no server and no line to wait in."""

from __future__ import annotations

import traceback
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from chatserve.bot.load import Bot
from chatserve.bot.request import Request
from chatserve.config.inputs import UploadInput
from chatserve.errors import Error
from chatserve.http.wire import MultimodalMessage
from chatserve.store.files import FileRefused, FileStore, new_id
from chatserve.testing.cases import Step
from chatserve.testing.expect import Outcome
from chatserve.turn import Refused, Turn, arguments


class LocalBot:
    """A loaded bot whose files (the cases' and its replies') go to `data_dir`."""

    def __init__(self, bot: Bot, data_dir: Path, executor: Executor) -> None:
        self.bot = bot
        self.files = FileStore(data_dir, [bot.folder, *bot.allowed_paths()])
        self.executor = executor

    def conversation(self, inputs: list[Any]) -> LocalConversation:
        return LocalConversation(self, inputs)


class LocalConversation:
    """One run of a case: its own owner of files, and the history its turns make."""

    def __init__(self, target: LocalBot, inputs: list[Any]) -> None:
        self.target = target
        self.owner = new_id()
        self.history: list[dict[str, Any]] = []
        self.given = inputs
        self.inputs: list[Any] | None = None

    async def __aenter__(self) -> LocalConversation:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def say(self, step: Step) -> Outcome:
        """The turn's outcome; the history then holds the user's messages and the reply."""
        bot, files = self.target.bot, self.target.files
        try:  # the case's files, checked when gathered, may have gone since
            if self.inputs is None:
                specs = bot.config.additional_inputs
                self.inputs = [
                    self._refs(value) if isinstance(spec, UploadInput) else value
                    for spec, value in zip(specs, self.given, strict=True)
                ]
            ids = [files.register(path, self.owner).id for path in step.files]
        except FileRefused as exc:
            return Outcome(crash=f"a file of the case cannot be sent: {exc.message}")
        message = MultimodalMessage(step.text, ids) if bot.config.multimodal else step.text
        try:
            args = arguments(bot, files, self.owner, message, self.history, self.inputs)
        except Refused as exc:
            return Outcome(error=f"refused: {exc}")
        turn = Turn(
            bot, args, self.target.executor, files=files, owner=self.owner, caller=Request()
        )
        try:
            reply = await turn.final()
        except Error as exc:
            return Outcome(error=exc.message)
        except Exception as exc:
            return Outcome(crash=f"the chat function raised {_described(exc)}")
        self.history += step.said(ids)
        self.history += reply.messages
        return Outcome(reply.messages, reply.outputs or [])

    def _refs(self, value: Any) -> Any:
        """A file input's paths as the wire's refs, registered for this run's owner."""
        if value is None:
            return None
        if isinstance(value, list):
            return [self._refs(path) for path in value]
        return {"id": self.target.files.register(value, self.owner).id}


def _described(exc: Exception) -> str:
    """`TypeError: ... (bot.py:12)`: the exception and the line of the chat function's code
    (the last frame) it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
