"""What route handlers are given, by name (Litestar's dependency injection), instead of reaching
into the app's state: the bot being served right now, read once per request (a running stream
keeps the bot it started with), and the services that live as long as the app."""

from __future__ import annotations

from concurrent.futures import Executor

from litestar.datastructures import State
from litestar.di import Provide

from chatserve.auth import Auth
from chatserve.flagstore import FlagStores
from chatserve.holder import BotHolder
from chatserve.quotas import Quotas
from chatserve.served import Served


def _served(state: State) -> Served:
    return state.holder.current


def _holder(state: State) -> BotHolder:
    return state.holder


def _executor(state: State) -> Executor:
    return state.executor


def _quotas(state: State) -> Quotas:
    return state.quotas


def _flag_stores(state: State) -> FlagStores:
    return state.flag_stores


def _auth(state: State) -> Auth | None:
    return state.auth


DEPENDENCIES = {
    name: Provide(provider, sync_to_thread=False)
    for name, provider in {
        "served": _served,
        "holder": _holder,
        "executor": _executor,
        "quotas": _quotas,
        "flag_stores": _flag_stores,
        "auth": _auth,
    }.items()
}
