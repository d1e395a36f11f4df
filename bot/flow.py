"""Multi-step flows, declared.

A flow names its steps; each step says what a typed message must carry to be taken (text, an
amount, a file, or nothing at all: a step that waits for a button), what someone who sends
something else is told, and how long the prompt waits. The flow says who may be in it and
during which stage. Where each person is lives in SQLite (`storage.flows`), so a restart
loses no one; `judge` decides what becomes of a message from the declaration alone, and the
dispatcher in `handlers/flow_input.py` acts on the verdict.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.applications import stage_phase
from bot.rules import typed_budget

if TYPE_CHECKING:
    from telegram import Message

    from bot.access import Actor
    from bot.campaign import Campaign
    from storage.flows import Position

# A typed comment or reason answers the prompt just shown, not one from yesterday.
PROMPT_EXPIRY = timedelta(minutes=30)


class Accepts(enum.Flag):
    """What a typed message carries; a step takes a message carrying any of its kinds."""

    BUTTONS_ONLY = 0
    TEXT = enum.auto()
    NUMBER = enum.auto()  # text that states an amount (bot.rules.typed_budget)
    PHOTO = enum.auto()
    DOCUMENT = enum.auto()
    VIDEO = enum.auto()
    FILE = PHOTO | DOCUMENT | VIDEO


def carried(message: Message) -> Accepts:
    kinds = Accepts.BUTTONS_ONLY
    if message.text:
        kinds |= Accepts.TEXT
        if typed_budget(message.text) is not None:
            kinds |= Accepts.NUMBER
    if message.photo:
        kinds |= Accepts.PHOTO
    if message.document:
        kinds |= Accepts.DOCUMENT
    if message.video:
        kinds |= Accepts.VIDEO
    return kinds


@dataclass(frozen=True)
class Step:
    accepts: Accepts
    wrong_input: str  # the template that says what this step wants instead
    take: Callable[..., Awaitable[None]] | None = None  # (update, ctx) for a taken message
    expires: timedelta | None = None  # None: the step waits for ever
    max_chars: int | None = None  # a single typed message longer than this is refused
    too_long: str = "nominate/comment_too_long"


@dataclass(frozen=True)
class StageGuard:
    """Input is taken only while `stage` is open; before and after, people are told so."""

    stage: str
    before: str  # template keys, given the stage
    after: str

    def refusal(self, campaign: Campaign, now: datetime) -> str | None:
        phase = stage_phase(campaign, self.stage, now)
        return None if phase == "open" else self.before if phase == "before" else self.after


@dataclass(frozen=True)
class Flow:
    name: str
    # The steps by name, or a function from a step's name to it (a campaign's sections).
    steps: Mapping[str, Step] | Callable[[Campaign, str], Step | None]
    allowed: Callable[[Actor], bool] | None = None  # a person who lost the role leaves the flow
    stage: StageGuard | None = None
    # Extra context for the wrong-input and too-long replies (the section, its buttons, …).
    context: Callable[..., Awaitable[dict[str, Any]]] | None = None
    # A prompt that ends when its person acts elsewhere: a tap of any button for which this
    # says False (the callback data) ends the flow before the tap is handled, so a reason
    # typed later can't land on what was asked about earlier. None: taps leave it waiting.
    own_tap: Callable[[str | None], bool] | None = None

    def step(self, campaign: Campaign, name: str) -> Step | None:
        if isinstance(self.steps, Mapping):
            return self.steps.get(name)
        return self.steps(campaign, name)


def left_by_tap(flow: Flow, data: str | None) -> bool:
    """Whether a tap (its callback data) by someone in `flow` takes them out of it."""
    return flow.own_tap is not None and not flow.own_tap(data)


class Verdict(enum.Enum):
    TAKE = "take"
    STALE = "stale"  # the step no longer exists (the campaign changed): the flow ends
    NOT_ALLOWED = "not_allowed"  # the role is gone: the flow ends
    EXPIRED = "expired"  # the prompt waited too long: the flow ends, the text is not used
    STAGE_SHUT = "stage_shut"  # before the stage opens or after it closes: the flow ends
    WRONG_INPUT = "wrong_input"  # the flow stays where it is
    TOO_LONG = "too_long"  # the flow stays where it is

    @property
    def ends_flow(self) -> bool:
        return self in (Verdict.STALE, Verdict.NOT_ALLOWED, Verdict.EXPIRED, Verdict.STAGE_SHUT)


def judge(
    flow: Flow,
    step: Step | None,
    position: Position,
    kinds: Accepts,
    length: int,
    actor: Actor,
    campaign: Campaign,
    now: datetime,
) -> Verdict:
    """What becomes of a typed message from someone at `position` in `flow`."""
    if step is None:
        return Verdict.STALE
    if flow.allowed is not None and not flow.allowed(actor):
        return Verdict.NOT_ALLOWED
    if step.expires is not None and now - position.updated_at > step.expires:
        return Verdict.EXPIRED
    if flow.stage is not None and flow.stage.refusal(campaign, now) is not None:
        return Verdict.STAGE_SHUT
    if not kinds & step.accepts:
        return Verdict.WRONG_INPUT
    if step.max_chars is not None and length > step.max_chars:
        return Verdict.TOO_LONG
    return Verdict.TAKE
