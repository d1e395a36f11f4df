"""A reviewer's tap on the scoring card, and the process killed (kill -9) after the tap's
write and before the card's edit: the restarted bot handles the update again, which changes
nothing more, and the card shows what is stored."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.sandbox import Sandbox
from handlers.review import BUTTONS
from tests.conftest import TOKEN, org_csv
from tests.test_restart import BotProcess, replied, until

CARD = "SELECT criterion, draft, submitted FROM review_scores ORDER BY criterion"


@contextlib.asynccontextmanager
async def bot_assessing(tmp_path, projects: int) -> AsyncIterator[tuple]:
    """The bot in its own process inside the assessment, unit U1's `projects` candidates."""
    async with bot_in_stage(tmp_path, projects, assessing=True) as running:
        yield running


@contextlib.asynccontextmanager
async def bot_in_stage(tmp_path, projects: int, **stage: bool) -> AsyncIterator[tuple]:
    """The bot in its own process inside a later stage (`stage`: BotProcess's flag for it),
    unit U1's `projects` projects accepted as candidates."""
    async with Sandbox(token=TOKEN) as sb:
        sb.settle_timeout = 20  # a cold Python start is part of each step here
        admin = sb.user("Ada", language_code="en")
        bot = BotProcess(sb, tmp_path, admin, **stage)
        await bot.start()
        try:
            await admin.send("/import")
            await admin.send_document(
                org_csv([("U1", projects)]), filename="o.csv", mime_type="text/csv"
            )
            await until(replied(admin, "Imported"))
            stamp = datetime.now(UTC).isoformat()
            with sqlite3.connect(bot.db_path) as db:  # the organiser's decision, as made
                db.execute(
                    "INSERT INTO applications"
                    " (project_id, status, created_by, created_at, updated_at)"
                    " SELECT id, 'accepted', ?, ?, ? FROM projects",
                    (admin.id, stamp, stamp),
                )
            yield sb, bot, admin
        finally:
            if bot.process.returncode is None:
                await bot.kill()
        assert sb.problems == []


async def joined(sb, admin, name: str, role: str, code: str = "", language_code: str = "en"):
    """Someone who opened the admin's invitation for `role` (scoped to `code`)."""
    before = len(admin.replies())
    await admin.send(f"/invite {role} {code}".strip())
    await until(lambda: len(admin.replies()) > before and "start=" in admin.last_reply.text)
    link = admin.last_reply.text.split("start=")[1].split()[0]
    person = sb.user(name, language_code=language_code)
    await person.send(f"/start {link}")
    await until(lambda: person.replies() != [])
    return person


@pytest.fixture
async def assessing(tmp_path):
    async with bot_assessing(tmp_path, 1) as running:
        yield running


async def _killed_between_write_and_edit(sb, bot, user, card, data: str) -> None:
    """Tap `data` on `card`; the edit hangs in the network, and the process dies there."""
    sb.hold("editMessageText")
    await user.tap_data(card, data, wait=False)
    await sb.wait_request("editMessageText", timeout=20)  # the tap's write is committed
    await bot.kill()
    sb.release("editMessageText")
    await bot.start()


async def test_killed_between_a_tap_and_its_card_edit_the_card_shows_it_once(assessing):
    sb, bot, admin = assessing
    rita = await joined(sb, admin, "Rita", "reviewer")
    await admin.send("/assign")
    await until(lambda: admin.last_reply.button_data("✅ Confirm") is not None)
    await admin.tap("✅ Confirm", message=admin.last_reply)
    await until(lambda: bot.query("SELECT COUNT(*) FROM reviews") == [(1,)])
    ((review_id,),) = bot.query("SELECT id FROM reviews")
    await rita.send("/review")
    await until(replied(rita, "Weighted total"))
    card = rita.last_reply
    assert "1. Ideological leadership ×1: –" in card.text

    await _killed_between_write_and_edit(
        sb, bot, rita, card, BUTTONS.data("score", review_id, "ideology", 7)
    )
    await until(lambda: "1. Ideological leadership ×1: 7/10" in card.text)
    await sb.settle(timeout=30)
    assert bot.query(CARD) == [("ideology", 7, None)]
    assert bot.query("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == [(0,)]

    # The other five, then ✅ Submit killed the same way: submitted once, audited once.
    # (each tap waits for its card, as a person does: quicker taps queue behind the edits' pace)
    keys = ("mechanism", "standards", "cohesion", "integration", "renewal")
    for n, key in enumerate(keys, start=1):
        await rita.tap_data(card, BUTTONS.data("score", review_id, key, 8))
        await until(lambda n=n: f"Weighted total: {7 + 8 * n} of 60" in card.text)
    await _killed_between_write_and_edit(sb, bot, rita, card, BUTTONS.data("submit", review_id))
    await until(lambda: "✅ Submitted. You can change it until" in card.text)
    await sb.settle(timeout=30)
    assert bot.query("SELECT state FROM reviews") == [("submitted",)]
    assert [row[2] for row in bot.query(CARD)] == [8, 7, 8, 8, 8, 8]
    audited = "SELECT action, COUNT(*) FROM audit_log WHERE action LIKE 'review.%' GROUP BY action"
    assert bot.query(audited) == [("review.assign", 1), ("review.submit", 1)]
    assert await bot.terminate() == 0
