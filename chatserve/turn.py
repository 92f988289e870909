"""One turn of a conversation, whoever asks for it: the chat route (JSON or events), the
OpenAI-compatible route (completions) and the example cache. Each prepares the chat function's
arguments here and runs the turn here; they only format what it yields.

Running a turn: wait for its slot in line (`concurrency_limit`), call the chat function, turn
each reply into wire messages and output values, then stop the function and give the slot back,
however the turn ends (done, failed, or its client gone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from litestar import Request as HTTPRequest

from chatserve.bot.history import History, UnknownFile
from chatserve.bot.queue import Ticket
from chatserve.bot.replies import Message, Replies, ReplyError
from chatserve.bot.request import Conversation, Request, from_http
from chatserve.bot.runner import Run
from chatserve.config.inputs import InvalidInput
from chatserve.errors import Error
from chatserve.http.wire import MultimodalMessage
from chatserve.security.clients import owner_of
from chatserve.store.files import FileRefused, FileStore

if TYPE_CHECKING:
    from chatserve.bot.load import Bot
    from chatserve.observe.turns import TurnWatch
    from chatserve.services import Services

logger = logging.getLogger("chatserve")

GENERIC_FAILURE = "Something went wrong while answering. The server log has the details."


class Refused(ValueError):
    """What a client sent cannot make a turn: a file id it may not use, a message of the wrong
    shape, an input value its declaration refuses."""


class Reply(NamedTuple):
    """A reply as clients get it: this turn's messages, and the additional outputs' values
    (None when this reply set none). A tuple: one is made per token."""

    messages: list[Message]
    outputs: list[Any] | None


@dataclass(frozen=True)
class Arguments:
    """What the chat function is called with, in the seed's shapes: `fn(message, history,
    *inputs)`."""

    message: Any
    history: list[Any]
    inputs: list[Any]


def arguments(
    bot: Bot,
    files: FileStore,
    owner: str | None,
    message: str | MultimodalMessage,
    history: list[dict[str, Any]],
    inputs: list[Any],
) -> Arguments:
    """The arguments of a client's turn: its message (text, or `{text, files: [paths]}`), its
    history (files as `(path,)` tuples; pairs with `type: tuples`) and the checked values of
    the additional inputs. Raises Refused."""
    resolver = History(files, owner)
    try:
        argument = message_argument(bot, message, resolver)
        past = (
            resolver.pairs(history)
            if bot.config.chatbot.type == "tuples"
            else resolver.messages(history)
        )
        checked = bot.check_inputs(inputs, resolver.file)
    except (UnknownFile, InvalidInput) as exc:
        raise Refused(str(exc)) from None
    return Arguments(argument, past, checked)


def message_argument(bot: Bot, message: str | MultimodalMessage, history: History) -> Any:
    """The `message` argument: a string, or `{"text", "files": [paths]}` for multimodal bots."""
    if not bot.config.multimodal:
        if not isinstance(message, str):
            raise InvalidInput("This bot takes text messages; send `message` as a string.")
        return message
    if isinstance(message, str):
        return {"text": message, "files": []}
    if bot.config.textbox.file_count == "single" and len(message.files) > 1:
        raise InvalidInput(f"This bot takes one file per message, got {len(message.files)}.")
    return {"text": message.text, "files": [history.path(file_id) for file_id in message.files]}


def queued(
    request: HTTPRequest[Any, Any, Any],
    services: Services,
    bot: Bot,
    args: Arguments,
    conversation: Conversation | None = None,
) -> Turn:
    """A client's turn, in line for a slot (`concurrency_limit`); raises QueueFull when the
    line is full. `conversation`: the saved one it belongs to, which the chat function may
    name."""
    return Turn(
        bot,
        args,
        services.executor,
        files=services.files,
        owner=owner_of(request),
        caller=(_caller(request, conversation) if bot.request_parameter is not None else Request()),
        ticket=services.holder.line.join(),
        watch=services.watch,
    )


def _caller(request: HTTPRequest[Any, Any, Any], conversation: Conversation | None) -> Request:
    """What the chat function may see of the HTTP request (a `chatserve.Request` parameter;
    made only for a function that asks for it)."""
    client = request.client.host if request.client else None
    scope = request.scope
    return from_http(
        scope.get("user"), client, request.headers, conversation, claims=scope.get("auth")
    )


class Turn:
    """A turn ready to run: the chat function's arguments, who the reply's files belong to,
    its place in line (None: it runs at once, as the example cache does), and what watches
    it for metrics and traces (None: nothing, at no cost)."""

    def __init__(
        self,
        bot: Bot,
        args: Arguments,
        executor: Executor,
        *,
        files: FileStore,
        owner: str | None,
        caller: Request,
        ticket: Ticket | None = None,
        watch: TurnWatch | None = None,
    ) -> None:
        self.bot = bot
        self.args = args
        self.executor = executor
        self.replies = Replies(files, owner, list(bot.config.additional_outputs))
        self.caller = caller
        self.ticket = ticket
        self.watched = None if watch is None else watch.joined(self)

    async def positions(self) -> AsyncIterator[int]:
        """This turn's place in line (1 = next) each time it changes, until its slot is free."""
        if self.ticket is not None:
            async for position in self.ticket.positions():
                yield position

    async def updates(self, interval: float = 0.0) -> AsyncIterator[Reply]:
        """The reply each time the function produced a new one, the last one final, at most
        one every `interval` seconds (a stream's coalescing: the newest reply is taken, the
        ones in between are never converted)."""
        async with self.streaming() as run:
            async for value in run.updates(interval):
                yield self.reply(value)

    def streaming(self) -> AbstractAsyncContextManager[Run]:
        """The run of a streamed turn, for a caller that converts its values itself (`reply`)
        rather than through `updates`: one generator fewer for each value."""
        return self._running(stream=True)

    async def final(self) -> Reply:
        """The final reply only (the replies before it are not converted)."""
        async with self._running(stream=False) as run:
            return self.reply(await run.result())

    def release(self) -> None:
        """Give the slot back (safe to call again): the turn ended, or its client left before
        it ran."""
        if self.ticket is not None:
            self.ticket.release()

    def _running(self, stream: bool) -> AbstractAsyncContextManager[Run]:
        if self.watched is None:
            return self._run()
        return self.watched.around(self._run(), stream)

    @asynccontextmanager
    async def _run(self) -> AsyncIterator[Run]:
        run = None
        try:
            if self.ticket is not None:
                await self.ticket.wait()
            inputs = self.args.inputs
            if self.bot.opens_images:  # decoding images is slow: not on the event loop
                inputs = await asyncio.to_thread(self.bot.fn_inputs, inputs)
            args = (self.args.message, self.args.history, *inputs)
            run = Run(self.bot.fn_for(self.caller), self.bot.kind, args, self.executor)
            yield run
        finally:
            if run is not None:
                await run.stop()
            self.release()

    def reply(self, value: Any) -> Reply:
        """A value of the chat function as clients get it."""
        response, outputs = self.replies.split(value)
        return Reply(self.replies.messages(response), outputs)


def failure_message(exc: Exception, fn_name: str) -> tuple[bool, str]:
    """What the client is told when a turn fails, and whether the failure is the client's to
    read (a `chatserve.Error`, a file or reply chatserve refused: its own words) rather than a
    crash (a generic message; the traceback goes to the log)."""
    if isinstance(exc, Error):
        if isinstance(exc, FileRefused | ReplyError):  # the bot's doing: its author reads the log
            logger.warning("%s", exc.message)
        return True, exc.message
    logger.error("The chat function %s failed", fn_name, exc_info=exc)
    return False, GENERIC_FAILURE
