"""What the benchmarks share: timing a person's action until the bot's answer is on screen.

The bot confirms an update once it is stored, before it answers it, so a sandbox action
returns early; these helpers wait for what the person would see: a new message in their
chat, or the answer to the button they tapped.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time

from bot.sandbox import Sandbox, SandboxUser


async def _until(predicate, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("no answer from the bot")
        await asyncio.sleep(0.002)


def _screen(sb: Sandbox, user: SandboxUser) -> tuple:
    """What the person sees change: a new message, or the last one edited (a flow's live
    message is edited in place as answers arrive)."""
    shown = sb.messages(user.id)
    last = shown[-1] if shown else None
    return len(shown), last and (last.html, repr(last.buttons))


async def sends(sb: Sandbox, user: SandboxUser, text: str, timeout: float = 60) -> float:
    """Seconds from sending `text` until the bot's answer to this person is on screen."""
    before = _screen(sb, user)
    started = time.perf_counter()
    await user.send(text, wait=False)
    await _until(lambda: _screen(sb, user) != before, timeout)
    return time.perf_counter() - started


async def taps(
    sb: Sandbox,
    user: SandboxUser,
    label: str,
    *,
    message: bool = True,
    until_button: str | None = None,
    timeout: float = 60,
) -> float:
    """Seconds from tapping a button until Telegram shows the bot's answer to it (and, with
    `message`, the new message the tap brings; with `until_button`, until a message with that
    button is there: the last of a screen sent in several parts)."""
    before = len(sb.messages(user.id))
    started = time.perf_counter()
    query = await user.tap(label, wait=False)

    def answered() -> bool:
        done = sb.callback_answer(query["id"]) is not None
        if until_button is not None:
            new = sb.messages(user.id)[before:]
            return done and any(m.button_data(until_button) for m in new)
        return done and (not message or len(sb.messages(user.id)) > before)

    await _until(answered, timeout)
    return time.perf_counter() - started


async def sends_document(
    sb: Sandbox, user: SandboxUser, data: bytes, filename: str, timeout: float = 120
) -> float:
    """Seconds from sending a file until the bot's answer says it was imported (the bot says
    it is working first, then edits that message into the outcome)."""
    before = len(sb.messages(user.id))
    started = time.perf_counter()
    await user.send_document(data, filename=filename, mime_type="text/csv", wait=False)
    await _until(lambda: any("Imported" in m.text for m in sb.messages(user.id)[before:]), timeout)
    return time.perf_counter() - started


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[math.ceil(len(ordered) * 0.95) - 1]  # nearest rank: never below the median
    return (
        f"n={len(ordered)} p50={statistics.median(ordered) * 1000:.1f} ms "
        f"p95={p95 * 1000:.1f} ms max={ordered[-1] * 1000:.1f} ms"
    )
