"""Telegram's failures on demand: error answers, floods, slow answers and dropped connections.

A test adds rules through `sb.faults` (a `Faults`); the server asks `Faults.take()` once per
request, after any hold, and the first live rule that matches decides how that request fails.
Every fault served is recorded in `Faults.served`, not in `Sandbox.rejections`: a test that
configures a fault expects it, and `rejections` stays for refusals the bot caused itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar, TypeVar

from .errors import ApiError, SandboxError


@dataclass(kw_only=True)
class Rule:
    method: str | None = None  # lower-case; None: any method
    chat_id: int | None = None  # None: any request; else only requests with this chat_id
    times: int | None = None  # faults left to serve; None: until cleared
    until: float | None = None  # clock time at which the rule ends; None: no end
    kind: ClassVar[str]

    def live(self, now: float) -> bool:
        return (self.times is None or self.times > 0) and (self.until is None or now < self.until)

    def matches(self, method: str, chat_id: object) -> bool:
        if self.method is not None and self.method != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


class Refusal(Rule):
    """A rule answered with an error envelope."""

    def error(self, now: float) -> ApiError:
        raise NotImplementedError


@dataclass(kw_only=True)
class ErrorReply(Refusal):
    """An error envelope, e.g. a 5xx, a 403 for one chat, a 401 on getUpdates."""

    status: int
    description: str
    parameters: dict | None = None
    kind: ClassVar[str] = "error"

    def error(self, now: float) -> ApiError:
        return ApiError(self.status, self.description, self.parameters)


@dataclass(kw_only=True)
class FloodWait(Refusal):
    """429 with retry_after: fixed, or else the seconds left of the rule's window."""

    retry_after: int | None = None
    kind: ClassVar[str] = "flood"

    def error(self, now: float) -> ApiError:
        wait = self.retry_after
        if wait is None:
            assert self.until is not None  # Faults.flood() makes sure
            wait = max(1, math.ceil(self.until - now))  # Telegram sends whole seconds
        return ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})


@dataclass(kw_only=True)
class SlowReply(Rule):
    """The answer comes `delay` seconds late; a client that waits less times out."""

    delay: float
    applied: bool  # True: the request takes effect before the delay (a timed-out send delivered)
    kind: ClassVar[str] = "timeout"


@dataclass(kw_only=True)
class DropConnection(Rule):
    """The TCP connection closes without an answer."""

    applied: bool  # True: the request takes effect before the connection drops
    kind: ClassVar[str] = "drop"


RuleT = TypeVar("RuleT", bound=Rule)


@dataclass(frozen=True)
class ServedFault:
    method: str
    chat_id: int | None
    kind: str  # "error", "flood", "timeout" or "drop"
    status: int | None  # the HTTP status of an error or flood answer
    at: float  # Faults.clock() when served


class Faults:
    """The fault rules of one sandbox, and the faults it has served.

    Rules are tried in the order they were added; `times` counts down on each fault served, and
    `seconds` ends a rule that long after it was added. Methods match case-insensitively, and
    getUpdates is a method like the others (it has no chat_id, so per-chat rules skip it).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # tests may replace it to end a window without sleeping
        self.rules: list[Rule] = []
        self.served: list[ServedFault] = []

    def error(
        self,
        method: str,
        status: int = 500,
        description: str | None = None,
        *,
        parameters: dict | None = None,
        chat_id: int | None = None,
        times: int | None = None,
        seconds: float | None = None,
    ) -> ErrorReply:
        """Answer `method` with this error (description: the status's phrase, as Telegram's
        5xx, 401 and 404 say it)."""
        if status < 400:
            raise SandboxError(f"{status} is not an error status")
        if description is None:
            description = HTTPStatus(status).phrase
        rule = ErrorReply(status=status, description=description, parameters=parameters)
        return self._add(rule, method=method, chat_id=chat_id, times=times, seconds=seconds)

    def forbidden(
        self,
        chat_id: int,
        detail: str = "bot was blocked by the user",
        *,
        method: str | None = None,
        times: int | None = None,
        seconds: float | None = None,
    ) -> ErrorReply:
        """403 for requests to one chat (every method that names it, unless `method` is set)."""
        rule = ErrorReply(status=403, description=f"Forbidden: {detail}")
        return self._add(rule, method=method, chat_id=chat_id, times=times, seconds=seconds)

    def flood(
        self,
        chat_id: int,
        *,
        seconds: float | None = None,
        retry_after: int | None = None,
        method: str | None = None,
        times: int | None = None,
    ) -> FloodWait:
        """429 for requests to one chat, for `times` requests and/or `seconds`; retry_after is
        the seconds left of the window unless given."""
        if seconds is None and retry_after is None:
            raise SandboxError("a flood needs seconds or retry_after")
        rule = FloodWait(retry_after=retry_after)
        return self._add(rule, method=method, chat_id=chat_id, times=times, seconds=seconds)

    def timeout(
        self,
        method: str,
        delay: float,
        *,
        applied: bool,
        chat_id: int | None = None,
        times: int | None = None,
        seconds: float | None = None,
    ) -> SlowReply:
        """Answer `delay` seconds late. applied=True: the request takes effect at once (a send
        that times out is still delivered); False: only if the client is still waiting."""
        if delay <= 0:
            raise SandboxError("a timeout needs a positive delay")
        rule = SlowReply(delay=delay, applied=applied)
        return self._add(rule, method=method, chat_id=chat_id, times=times, seconds=seconds)

    def drop(
        self,
        method: str,
        *,
        applied: bool,
        chat_id: int | None = None,
        times: int | None = None,
        seconds: float | None = None,
    ) -> DropConnection:
        """Close the connection without an answer, after applying the request or instead."""
        rule = DropConnection(applied=applied)
        return self._add(rule, method=method, chat_id=chat_id, times=times, seconds=seconds)

    def _add(
        self,
        rule: RuleT,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = None,
        seconds: float | None = None,
    ) -> RuleT:
        if method is not None:
            _check_method(method)
            rule.method = method.lower()
        if times is not None and times < 1:
            raise SandboxError("times must be at least 1 (or None: until cleared)")
        rule.chat_id, rule.times = chat_id, times
        if seconds is not None:
            rule.until = self.clock() + seconds
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule; what was served stays on record."""
        self.rules.clear()

    def take(self, method: str, params: dict) -> Rule | None:
        """The rule this request fails by, if any, counted and recorded as served."""
        now = self.clock()
        self.rules[:] = [rule for rule in self.rules if rule.live(now)]
        chat_id = params.get("chat_id")
        for rule in self.rules:
            if rule.matches(method, chat_id):
                break
        else:
            return None
        if rule.times is not None:
            rule.times -= 1
        status = rule.error(now).status if isinstance(rule, Refusal) else None
        served_chat = chat_id if isinstance(chat_id, int) else None
        self.served.append(ServedFault(method, served_chat, rule.kind, status, now))
        return rule


def _check_method(method: str) -> None:
    from .methods import METHODS  # methods imports the sandbox module, which imports this one

    if method.lower() != "getupdates" and method.lower() not in METHODS:
        raise SandboxError(f"no Bot API method {method!r} in the sandbox")
