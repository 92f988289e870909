"""Cases run against a server (`chatserve test --url`): each turn through its chat API, as any
client sends one; files uploaded first. Each run is a client of its own (its own cookie), so
runs never see each other's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from chatserve.bot.load import Bot
from chatserve.config.inputs import UploadInput
from chatserve.security.clients import COOKIE
from chatserve.store.files import new_id
from chatserve.testing.cases import Step
from chatserve.testing.expect import Outcome


class RemoteBot:
    """The bot a server at `url` serves (its config is the one the cases come from)."""

    def __init__(self, bot: Bot, url: str, token: str | None = None) -> None:
        self.bot = bot
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def conversation(self, inputs: list[Any]) -> RemoteConversation:
        return RemoteConversation(self, inputs)


class RemoteConversation:
    """One run of a case: an HTTP client with its own cookie, and the history so far."""

    def __init__(self, target: RemoteBot, inputs: list[Any]) -> None:
        self.target = target
        self.given = inputs
        self.inputs: list[Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.client = httpx.AsyncClient(
            base_url=target.url,
            headers=target.headers,
            cookies={COOKIE: new_id()},
            timeout=None,  # the runner times each turn
        )

    async def __aenter__(self) -> RemoteConversation:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.aclose()

    async def say(self, step: Step) -> Outcome:
        try:
            return await self._say(step)
        except _Refused as exc:
            return Outcome(error=f"refused: {exc}")
        except _Broken as exc:
            return Outcome(crash=str(exc))
        except httpx.HTTPError as exc:
            return Outcome(crash=f"no answer from {self.target.url}: {exc!r}")

    async def _say(self, step: Step) -> Outcome:
        bot = self.target.bot
        if self.inputs is None:
            self.inputs = await self._input_refs()
        ids = await self._upload(step.files)
        message: Any = {"text": step.text, "files": ids} if bot.config.multimodal else step.text
        body = {"message": message, "history": self.history, "inputs": self.inputs}
        answer = await self.client.post(bot.config.chat_path, json=body)
        if answer.status_code == 422:
            return Outcome(error=_message(answer))
        messages, outputs = _data(answer, "messages"), _data(answer, "outputs")
        self.history += step.said(ids)
        self.history += messages
        return Outcome(messages, outputs)

    async def _input_refs(self) -> list[Any]:
        """The inputs' values, a file input's files uploaded for it (`?input=N`)."""
        values = []
        for index, (spec, value) in enumerate(
            zip(self.target.bot.config.additional_inputs, self.given, strict=True)
        ):
            if isinstance(spec, UploadInput) and value is not None:
                paths = value if isinstance(value, list) else [value]
                refs = [{"id": i} for i in await self._upload([Path(p) for p in paths], index)]
                value = refs if isinstance(value, list) else refs[0]
            values.append(value)
        return values

    async def _upload(self, paths: list[Path], input_index: int | None = None) -> list[str]:
        if not paths:
            return []
        params = {} if input_index is None else {"input": input_index}
        files = [("files", (path.name, path.read_bytes())) for path in paths]
        answer = await self.client.post("/api/upload", params=params, files=files)
        if answer.status_code in (413, 415, 422):  # the files, refused as a turn is here
            raise _Refused(f"uploading {', '.join(p.name for p in paths)}: {_message(answer)}")
        return [file["id"] for file in _data(answer, "files")]


class _Refused(Exception):
    pass


class _Broken(Exception):
    pass


def _data(answer: httpx.Response, key: str) -> list[Any]:
    """The list at `key` of the API's JSON answer (none: empty). Raises _Broken for any other
    answer: an error status (no token, the server broke), or not the API (a wrong `--url`)."""
    if answer.status_code != 200:
        raise _Broken(f"HTTP {answer.status_code} from the server: {_message(answer)}")
    try:
        value = answer.json().get(key) or []
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, list):
        shown = answer.text[:200]
        raise _Broken(f"{answer.request.url} did not answer as chatserve's API: {shown!r}")
    return value


def _message(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200] or answer.reason_phrase
