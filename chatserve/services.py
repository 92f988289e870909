"""What the routes are given: the app's long-lived services, as one dependency (`services`).

One object, provided once and cached, because Litestar resolves several dependencies of a
handler in a task group per request, which costs more than the chat call it serves.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

from litestar.di import Provide

from chatserve.holder import BotHolder
from chatserve.observe.turns import TurnWatch
from chatserve.security.auth import Auth
from chatserve.security.quotas import Quotas
from chatserve.served import Served
from chatserve.stopping import RunningChats
from chatserve.store.conversations import Conversations
from chatserve.store.files import FileStore
from chatserve.store.flags import FlagStores
from chatserve.store.shared.backends import Backends


@dataclass
class Services:
    """The app's services; `executor` (the worker threads) is set when the app starts."""

    holder: BotHolder
    auth: Auth | None
    quotas: Quotas
    backends: Backends
    flag_stores: FlagStores
    conversations: Conversations
    """Saved conversations (`save_history: server`)."""
    chats: RunningChats = field(default_factory=RunningChats)
    watch: TurnWatch | None = None
    """What records each client's turn for metrics and traces; None when both are off."""
    executor: Executor = field(init=False)

    @property
    def served(self) -> Served:
        """What is served for the bot loaded now (it changes with each reload)."""
        return self.holder.current

    @property
    def files(self) -> FileStore:
        return self.holder.files

    def provide(self) -> dict[str, Provide]:
        """The app's dependencies: these services, as `services`."""
        return {"services": Provide(lambda: self, use_cache=True, sync_to_thread=False)}
