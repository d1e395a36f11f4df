"""Our own pace for everything the bot sends: below Telegram's limits, per chat and overall.

PTB's AIORateLimiter halts every request of the bot on one 429 and knows no per-chat limit
for private chats, so one person's burst stalled everyone. Here each chat has its own bucket,
and answers to people acting go before bulk messages (the outbox passes
`rate_limit_args=BULK`). Every request that Telegram's flood control counts passes here:
sends, edits, deletions and button answers. A 429 for a chat delays only that chat, unless
it came while we were spending the overall budget as fast as it refills: then it is taken to
be about the overall limit (Telegram does not say which) and holds every request, as PTB's
does. After a restart the buckets start from the sends of the last minute (`seed`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)
BULK = "bulk"
# Methods that put a message in a chat: what Telegram's flood limits count.
_SENDING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "sendLocation",
        "sendContact",
        "sendPoll",
    }
)
# Edits and deletions share their chat's flood control; a button's answer has no chat.
_PACED = _SENDING | {
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
    "deleteMessage",
    "deleteMessages",
    "answerCallbackQuery",
}
# Lookups put nothing in a chat: they count against the overall rate only (Telegram's ~30
# requests a second), not the chat's own. A check of every group of an import is thousands.
_LOOKUPS = frozenset({"getChat", "getChatMember"})
# A 429 for one chat while we spend the overall budget as fast as it refills is taken to be
# the overall limit, but holds the other chats this long at most (that chat waits it all).
GUESSED_OVERALL_WAIT = 5.0
_REPLY_RETRIES = 3  # an answer to someone acting waits out a 429 this often before giving up


@dataclass(frozen=True)
class Pace:
    """Telegram: ~30 messages/s overall, ~1/s per chat with short bursts, 20/min per group."""

    overall_per_second: float = 29.0  # a message a second of margin under Telegram's ~30
    overall_burst: float = 5.0
    chat_per_second: float = 1.0
    chat_burst: float = 3.0
    group_per_minute: float = 19.0


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = capacity, now

    def wait(self, now: float, cost: float) -> float:
        """Seconds until `cost` tokens are there (0: now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        missing = min(cost, self.capacity) - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate


class Pacer(BaseRateLimiter[str]):
    def __init__(self, pace: Pace | None = None, clock: Callable[[], float] = time.monotonic):
        self.pace = pace or Pace()
        self._clock = clock
        self._overall = _Bucket(self.pace.overall_burst, self.pace.overall_per_second, clock())
        self._chats: dict[int, _Bucket] = {}
        self._cooldown: dict[int | None, float] = {}  # chat (None: every chat) -> until
        self._recent: deque[float] = deque()  # when each request of the last second went
        self._replies_waiting = 0
        self._reply_line = asyncio.Lock()  # FIFO: asyncio's lock wakes waiters in order
        self._bulk_line = asyncio.Lock()
        self.retry_afters = 0  # 429s received: the pacing should make these rare faults

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    # --- the buckets ---------------------------------------------------------------------

    def _chat_bucket(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > 50_000:  # forget idle chats now and then: all are full again
                self._chats = {k: b for k, b in self._chats.items() if b.tokens < b.capacity}
            pace = self.pace
            if chat_id < 0:
                bucket = _Bucket(pace.group_per_minute, pace.group_per_minute / 60, now)
            else:
                bucket = _Bucket(pace.chat_burst, pace.chat_per_second, now)
            self._chats[chat_id] = bucket
        return bucket

    def ready_in(self, chat_id: int, cost: int = 1) -> float:
        """Seconds until a message to this chat may go; the sender picks chats that are ready."""
        now = self._clock()
        cooled = max(self._cooldown.get(chat_id, 0.0), self._cooldown.get(None, 0.0)) - now
        return max(cooled, self._chat_bucket(chat_id, now).wait(now, cost), 0.0)

    def _chat_wait(self, chat_id: int | None, cost: int) -> float:
        """Seconds until this chat may have another message (its pace, or a 429 for it)."""
        if chat_id is None:
            return 0.0
        now = self._clock()
        cooled = self._cooldown.get(chat_id, 0.0) - now
        return max(cooled, self._chat_bucket(chat_id, now).wait(now, cost))

    def _overall_wait(self, cost: int, bulk: bool) -> float:
        now = self._clock()
        wait = max(self._cooldown.get(None, 0.0) - now, self._overall.wait(now, cost))
        if bulk and self._replies_waiting:
            wait = max(wait, 0.01)  # someone acting is waiting for the same budget
        return wait

    async def _acquire(self, chat_id: int | None, cost: int, bulk: bool) -> None:
        """Wait for this chat's turn out of line (it delays nobody else), then for the overall
        budget in line: first come, first served, so no sender waits for ever behind luckier
        ones. Answers and bulk messages queue apart; bulk gives way while answers wait."""
        line = self._bulk_line if bulk else self._reply_line
        if not bulk:
            self._replies_waiting += 1
        try:
            while True:
                if (wait := self._chat_wait(chat_id, cost)) > 0:
                    await asyncio.sleep(wait)
                    continue
                async with line:
                    while (wait := self._overall_wait(cost, bulk)) > 0:
                        await asyncio.sleep(wait)
                    if self._chat_wait(chat_id, cost) > 0:
                        continue  # the chat's turn went to someone else meanwhile
                    self._overall.tokens -= cost
                    now = self._clock()
                    self._last_second(now)
                    self._recent.extend([now] * cost)
                    if chat_id is not None:
                        self._chats[chat_id].tokens -= cost
                    return
        finally:
            if not bulk:
                self._replies_waiting -= 1

    def seed(self, sends: Sequence[tuple[int, float]]) -> None:
        """Start the buckets from earlier sends, (chat, seconds ago) each: those of the last
        minute before a restart still count at Telegram."""
        now = self._clock()
        moments = sorted((now - ago, chat_id) for chat_id, ago in sends)
        if not moments:
            return
        pace = self.pace
        self._overall = _Bucket(pace.overall_burst, pace.overall_per_second, moments[0][0])
        for moment, chat_id in moments:
            for bucket in (self._overall, self._chat_bucket(chat_id, moment)):
                bucket.wait(moment, 0)  # filled up to that moment, then spent
                bucket.tokens = max(bucket.tokens - 1, 0.0)  # as low as a paced send leaves it

    def _last_second(self, now: float) -> int:
        """Requests made in the second before `now`."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        return len(self._recent)

    def _spending_fast(self) -> bool:
        """Whether the last second's requests came near the overall rate: a 429 then is
        taken to be about the overall limit."""
        return self._last_second(self._clock()) >= 0.8 * self.pace.overall_per_second

    def cool_down(self, chat_id: int | None, seconds: float) -> None:
        until = self._clock() + seconds
        self._cooldown[chat_id] = max(self._cooldown.get(chat_id, 0.0), until)

    # --- PTB's hook ----------------------------------------------------------------------

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict | list[dict]:
        chat_id = None if endpoint in _LOOKUPS else _chat_of(data)
        bulk = rate_limit_args == BULK
        paced = endpoint in _PACED or endpoint in _LOOKUPS
        cost = len(data.get("media") or ()) or 1 if endpoint == "sendMediaGroup" else 1
        for attempt in range(_REPLY_RETRIES + 1):
            if paced:
                await self._acquire(chat_id, cost, bulk)
            try:
                return await callback(*args, **kwargs)
            except BadRequest as error:
                # A button's answer Telegram no longer takes (it was answered before a restart
                # redelivered the tap, or it is over 15 minutes old): the tap's work goes on.
                if endpoint == "answerCallbackQuery" and "query is too old" in str(error).lower():
                    log.info("a button's answer came too late: %s", error)
                    return True
                raise
            except RetryAfter as error:
                self.retry_afters += 1
                seconds = error.retry_after.total_seconds()
                self.cool_down(chat_id, seconds)
                if chat_id is None:
                    self.cool_down(None, seconds)  # the overall limit: every request waits
                    log.warning("429 (overall): every request waits %.0f s", seconds)
                elif self._spending_fast():
                    # Probably the overall limit, but it came for one chat: the others wait
                    # a little only, as a group's minute-long wait would stall everyone.
                    everyone = min(seconds, GUESSED_OVERALL_WAIT)
                    self.cool_down(None, everyone)
                    log.warning(
                        "429 for chat %s at full pace: every request waits %.0f s",
                        chat_id,
                        everyone,
                    )
                else:
                    log.warning("429 for chat %s: waiting %.0f s", chat_id, seconds)
                if bulk or attempt == _REPLY_RETRIES:
                    raise  # the outbox reschedules its row; the others wait it out
        raise AssertionError("unreachable")


def _chat_of(data: dict[str, Any]) -> int | None:
    value = data.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None  # @channelname: no bucket of its own
