"""Callback data: one encoder and one parser for every flow's buttons.

A flow declares its buttons once: a prefix, and for each action a short wire code and the
types of its arguments (`int`: an id; `str`: a key such as a section or a role). Data looks
like `ap:d:7:budget`. Parsing checks the prefix, the action and every argument, so forged or
stale data comes back as None; what the ids name is still checked against the database and
the tapper's role by the flow.

Each action has one handler, declared beside it with `@BUTTONS.on("accept")`; the handler
takes the update, the context and the action's arguments as declared. Where the state of a
draft, not the button, decides what a tap does, several actions may share one handler that
takes the whole Tap: `@BUTTONS.on("save", "finish", tap=True)`. The set's one CallbackQueryHandler
(`guards.tapped(BUTTONS)`) parses a tap and calls that handler; `check()`, run when the app
is assembled and by the tests, fails on an action with no handler, a handler for no action,
or two handlers for one.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

LIMIT = 64  # bytes of callback_data Telegram accepts
# Row ids and pages: 12 digits are a trillion rows. Keys: campaign keys and role names (24
# characters at most, as the campaign file allows) and locale codes.
_ID = re.compile(r"[0-9]{1,12}")
_KEY = re.compile(r"[a-z][a-z0-9_-]{0,23}")
LONGEST = {int: 10**12 - 1, str: "k" * 24}  # the largest argument of each type

ALL: list[Buttons] = []  # every declared set, for the test that checks them all

Handler = Callable[..., Awaitable[Any]]  # (update, ctx, *the action's arguments)
H = TypeVar("H", bound=Handler)


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
        self.handlers: dict[str, Handler] = {}
        self._whole: set[str] = set()  # actions whose handler takes the Tap itself
        self._claims: list[str] = []  # every action a handler was declared for, repeats kept
        ALL.append(self)

    def on(self, *actions: str, tap: bool = False) -> Callable[[H], H]:
        """Declare `handler` as what a tap on these actions does; with `tap`, it is given
        the Tap rather than the action's arguments."""

        def wrap(handler: H) -> H:
            for action in actions:
                self._claims.append(action)
                self.handlers.setdefault(action, handler)
                if tap:
                    self._whole.add(action)
            return handler

        return wrap

    async def dispatch(self, tap: Tap, *context: Any) -> None:
        """Call the action's handler with `context` (the update and ctx) first."""
        handler = self.handlers[tap.action]
        if tap.action in self._whole:
            await handler(*context, tap)
        else:
            await handler(*context, *tap.args)

    def problems(self) -> list[str]:
        """What is wrong between the declared actions and their handlers."""
        found = [
            f"{self.prefix}:{a} has no handler" for a in self.actions if a not in self.handlers
        ]
        found += [
            f"{self.prefix}:{a} is not declared" for a in self.handlers if a not in self.actions
        ]
        twice = sorted({a for a in self._claims if self._claims.count(a) > 1})
        found += [f"{self.prefix}:{a} has two handlers" for a in twice]
        return found

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


def check(sets: Iterable[Buttons] | None = None) -> None:
    """Every declared action has exactly one handler, and every handler a declared action."""
    problems = [p for buttons in (ALL if sets is None else sets) for p in buttons.problems()]
    if problems:
        raise ValueError("buttons: " + "; ".join(problems))


def command_of(data: str | None) -> str | None:
    """The command whose screen a button (stale or not) belongs to, if it has one."""
    prefix = (data or "").split(":", 1)[0]
    return next((b.command for b in ALL if b.prefix == prefix), None)
