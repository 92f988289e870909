"""What is served for one loaded bot, built once per load: its page, its public config, the
page's Content-Security-Policy, its custom JavaScript and its example cache. A reload builds a
new `Served`, which the holder swaps in."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from chatserve.bot.load import Bot
from chatserve.config.models import Config
from chatserve.routes.docs import DOCS_PATH
from chatserve.store.examples import ExampleCache, example_cache
from chatserve.store.files import FileStore
from chatserve.store.shared.postgres import Postgres
from chatserve.ui.bundle import Asset, WebUI
from chatserve.ui.customize import customize
from chatserve.ui.public import public_config


@dataclass(frozen=True)
class Served:
    """A bot and what is derived from it, built once per load."""

    bot: Bot
    revision: int
    page: Asset
    public_config: bytes
    csp: str
    custom_js: Asset | None
    examples: ExampleCache | None


def build(
    bot: Bot,
    revision: int,
    *,
    webui: WebUI,
    files: FileStore,
    startup: Config,
    live: bool,
    database: Postgres | None = None,
) -> Served:
    """What to serve for `bot`, the config's `revision`th load. `startup` is the config the app
    was built from (its routes and sign-in stay until a restart); `live`, whether the page
    follows reloads; `database`, the one replicas share, if any."""
    custom = customize(bot, revision)
    config = public_config(bot, files, custom.css)
    config["revision"] = revision
    config["api"]["chat"] = startup.chat_path.lstrip("/")
    config["api"]["model"] = bot.model_id  # on `/v1/*`
    config["api"]["reference"] = DOCS_PATH.lstrip("/")
    # The "Use via API" panel: nothing to show once `api_name: false` took the API away.
    config["show_api"] = bot.config.show_api and startup.api_name is not False
    config["auth"] = startup.server.auth is not None
    config["api"]["events"] = "api/events" if live else None
    js = Asset.of(custom.js, "text/javascript") if custom.js else None
    page = webui.page(config, custom.head)
    examples = example_cache(bot, files, database)
    return Served(bot, revision, page, msgspec.json.encode(config), custom.csp, js, examples)
