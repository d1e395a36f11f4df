"""Callback data: one encoder and one parser for every flow's buttons.

A flow declares its buttons once: a prefix, and for each action a short wire code and the
types of its arguments (`int`: an id; `str`: a key such as a section or a role). Data looks
like `ap:d:7:budget`. Parsing checks the prefix, the action and every argument, so forged or
stale data comes back as None; what the ids name is still checked against the database and
the tapper's role by the flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LIMIT = 64  # bytes of callback_data Telegram accepts
# Row ids and pages: 12 digits are a trillion rows. Keys: campaign keys and role names (24
# characters at most, as the campaign file allows) and locale codes.
_ID = re.compile(r"[0-9]{1,12}")
_KEY = re.compile(r"[a-z][a-z0-9_-]{0,23}")
LONGEST = {int: 10**12 - 1, str: "k" * 24}  # the largest argument of each type

ALL: list[Buttons] = []  # every declared set, for the test that checks them all


@dataclass(frozen=True)
class Tap:
    action: str
    args: tuple[Any, ...]


class Buttons:
    def __init__(
        self, prefix: str, command: str | None = None, **actions: tuple[str, tuple[type, ...]]
    ) -> None:
        self.prefix = prefix
        self.command = command  # where the buttons come from: named when one is out of date
        self.actions = actions
        self._by_code = {code: name for name, (code, _) in actions.items()}
        if len(self._by_code) != len(actions):
            raise ValueError(f"{prefix}: two actions share a wire code")
        self.pattern = rf"^{re.escape(prefix)}:"
        ALL.append(self)

    def data(self, action: str, *args: Any) -> str:
        code, types = self.actions[action]
        if len(args) != len(types) or not all(map(isinstance, args, types)):
            raise TypeError(f"{self.prefix}:{action} takes {types}, got {args!r}")
        data = ":".join([self.prefix, code, *map(str, args)])
        if len(data.encode()) > LIMIT:
            raise ValueError(f"callback data over {LIMIT} bytes: {data!r}")
        return data

    def parse(self, data: str | None) -> Tap | None:
        parts = (data or "").split(":")
        if len(parts) < 2 or parts[0] != self.prefix or parts[1] not in self._by_code:
            return None
        action = self._by_code[parts[1]]
        _, types = self.actions[action]
        if len(parts) - 2 != len(types):
            return None
        args = []
        for text, kind in zip(parts[2:], types, strict=True):
            if kind is int and _ID.fullmatch(text):
                args.append(int(text))
            elif kind is str and _KEY.fullmatch(text):
                args.append(text)
            else:
                return None
        return Tap(action, tuple(args))


def command_of(data: str | None) -> str | None:
    """The command whose screen a button (stale or not) belongs to, if it has one."""
    prefix = (data or "").split(":", 1)[0]
    return next((b.command for b in ALL if b.prefix == prefix), None)
