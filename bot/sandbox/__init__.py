"""A local Telegram Bot API server for end-to-end tests and `pacesetter demo`.

The unmodified bot talks to it over HTTP exactly as to api.telegram.org; tests drive scripted
users (`alice.send("/start")`, `alice.tap("Yes")`) and read what the bot sent back.
"""

from .errors import SandboxError
from .limits import Limits
from .sandbox import Sandbox
from .world import BotMessage, SandboxChat, SandboxUser

__all__ = ["BotMessage", "Limits", "Sandbox", "SandboxChat", "SandboxError", "SandboxUser"]
