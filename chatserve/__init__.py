"""chatserve: one YAML file becomes a production chat web app."""

from chatserve.bot.components import HTML, Audio, ChatMessage, File, Gallery, Image, Plot, Video
from chatserve.bot.request import Request
from chatserve.errors import ConfigError, Error

__version__ = "0.1.0"
__all__ = [
    "HTML",
    "Audio",
    "ChatMessage",
    "ConfigError",
    "Error",
    "File",
    "Gallery",
    "Image",
    "Plot",
    "Request",
    "Video",
    "__version__",
    "create_app",
    "load",
]


def __getattr__(name: str):
    # The Python API is imported on first use so that `import chatserve` (done by every
    # chat function that raises `chatserve.Error`) and `chatserve --help` stay fast.
    if name == "load":
        from chatserve.bot.load import validated_config

        return validated_config
    if name == "create_app":
        from chatserve.app import create_app

        return create_app
    raise AttributeError(f"module 'chatserve' has no attribute {name!r}")
