"""Flood limits as token buckets, so that a bot which floods gets Telegram's 429."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Limits:
    enabled: bool = True
    overall_per_second: float = 30.0  # across all chats
    chat_burst: float = 10.0  # per chat: short bursts allowed...
    chat_per_second: float = 1.0  # ...then about one message a second
    group_per_minute: float = 20.0  # per group or supergroup
    # Bucket levels are compared with this much slack, so that a client-side limiter with the
    # same rates (PTB's AIORateLimiter) is never refused because of clock rounding.
    slack: float = 0.05


class _Bucket:
    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate  # tokens per second
        self.tokens = capacity
        self.stamp = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, slack: float) -> float:
        """Seconds until one token is available (0 if it is now)."""
        missing = 1.0 - slack - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate


class RateLimiter:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[tuple, _Bucket] = {}

    def _bucket(self, key: tuple, capacity: float, rate: float, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or (bucket.capacity, bucket.rate) != (capacity, rate):
            # New bucket, or a test changed the limits: start full with the new settings.
            bucket = self._buckets[key] = _Bucket(capacity, rate, now)
        bucket.refill(now)
        return bucket

    def acquire(self, chat_id: int, is_group: bool) -> int:
        """Take one message slot; returns 0, or the retry_after seconds if refused."""
        limits = self.limits
        if not limits.enabled:
            return 0
        now = self._clock()
        buckets = [
            self._bucket(("all",), limits.overall_per_second, limits.overall_per_second, now),
            self._bucket(("chat", chat_id), limits.chat_burst, limits.chat_per_second, now),
        ]
        if is_group:
            rate = limits.group_per_minute / 60.0
            buckets.append(self._bucket(("group", chat_id), limits.group_per_minute, rate, now))
        wait = max(bucket.wait(limits.slack) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return 0
