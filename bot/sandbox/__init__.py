"""A local Telegram Bot API server for end-to-end tests and `pacesetter demo`.

The unmodified bot talks to it over HTTP exactly as to api.telegram.org; tests drive scripted
users (`alice.send("/start")`, `alice.tap("Yes")`) and read what the bot sent back.
`sb.faults` makes chosen requests fail the way Telegram's do (see faults.py).
"""

from .errors import SandboxError
from .faults import Faults, ServedFault
from .limits import Limits
from .sandbox import Sandbox
from .world import BotMessage, SandboxChat, SandboxUser

__all__ = [
    "BotMessage",
    "Faults",
    "Limits",
    "Sandbox",
    "SandboxChat",
    "SandboxError",
    "SandboxUser",
    "ServedFault",
]
