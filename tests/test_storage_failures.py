"""A write that can't be made (a full disk) is not confirmed, and is made once it can be."""

from __future__ import annotations

import logging

from bot.outage import retry_delay
from tests.conftest import World, org_csv, told, until

UNLIMITED = 1_073_741_823  # SQLite's largest max_page_count


async def _disk_full(world: World, spare_pages: int = 0) -> None:
    """The bot's database may not grow (beyond a few pages): what a full disk looks like."""
    writer = world.runner.db._writer  # the limit is a setting of the connection that writes
    async with writer.execute("PRAGMA page_count") as cursor:
        (pages,) = await cursor.fetchone()
    await writer.execute(f"PRAGMA max_page_count = {pages + spare_pages}")


async def _disk_freed(world: World) -> None:
    await world.runner.db._writer.execute(f"PRAGMA max_page_count = {UNLIMITED}")


async def test_an_update_that_cant_be_stored_is_not_confirmed_and_is_stored_later(
    world: World, caplog
):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    caplog.set_level(logging.ERROR, logger="bot.polling")
    await _disk_full(world)
    await lena.send("党建引领 " * 2000, wait=False)  # ~10 kB: it needs new pages
    await until(lambda: "could not store updates" in caplog.text, 5, "a failed store")
    assert world.sb.pending_count() == 1  # not confirmed: Telegram keeps it
    assert not lena.last_reply.text.startswith("✓ Saved")
    await _disk_freed(world)
    await until(lambda: lena.last_reply.text.startswith("✓ Saved"), 10, "the answer saved")
    await world.sb.settle()
    assert world.sb.pending_count() == 0
    assert told(lena, "✓ Saved", world.sb) == 1


async def test_a_handler_that_cant_write_tells_once_and_retries_until_it_can(world: World):
    await world.admin.send("/import")
    await _disk_full(world, spare_pages=2)  # room for the update itself, not for the import
    await world.admin.send_document(
        org_csv([(f"U{i}", 20) for i in range(100)]),
        filename="big.csv",
        mime_type="text/csv",
        wait=False,
    )
    await until(lambda: told(world.admin, "couldn't save that", world.sb), 10, "the apology")
    assert told(world.admin, "Imported", world.sb) == 0
    await _disk_freed(world)
    await until(lambda: told(world.admin, "Imported", world.sb), 15, "the import")
    await world.sb.settle()
    assert told(world.admin, "couldn't save that", world.sb) == 1  # told once, not per retry
    assert told(world.admin, "Imported <b>2000</b> rows", world.sb) == 0  # text, not html
    assert told(world.admin, "Imported 2000 rows", world.sb) == 1


async def test_while_nothing_can_be_stored_each_person_hears_once_and_the_admins_hear_of_it(
    world: World,
):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    await _disk_full(world)
    await lena.send("党建引领 " * 2000, wait=False)  # not stored, so not even handled...
    await until(lambda: told(lena, "couldn't save that", world.sb), 10, "the notice")
    await lena.send("培育创建 " * 2000, wait=False)  # ... nor is her next message
    world.clock.advance(seconds=31)  # the outage lasts: now the admins want to know
    await until(
        lambda: told(world.admin, "cannot write to its database", world.sb), 15, "the admins"
    )
    assert told(lena, "couldn't save that", world.sb) == 1  # once, not per message or retry
    await _disk_freed(world)
    await until(lambda: told(world.admin, "can write to its database again", world.sb), 15)
    await until(lambda: world.sb.pending_count() == 0, 15, "both messages stored")
    await world.sb.settle()
    assert lena.last_reply.text.startswith("✓ Saved (20002 characters")  # both, once each
    assert told(lena, "couldn't save that", world.sb) == 1
    assert told(world.admin, "cannot write to its database", world.sb) == 1
    assert told(world.admin, "can write to its database again", world.sb) == 1


async def test_a_short_lock_out_is_no_news_to_the_admins(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    await _disk_full(world)
    await lena.send("党建引领 " * 2000, wait=False)
    await until(lambda: told(lena, "couldn't save that", world.sb), 10, "the notice")
    await _disk_freed(world)  # within the 30 s: a backup or an import held the lock
    await until(lambda: lena.last_reply.text.startswith("✓ Saved"), 15, "the answer saved")
    await world.sb.settle()
    assert told(world.admin, "database", world.sb) == 0
    # A later outage tells her again: what she was told belonged to the last one.
    await _disk_full(world)
    await lena.send("培育创建 " * 2000, wait=False)
    await until(lambda: told(lena, "couldn't save that", world.sb) == 2, 10, "the second notice")
    await _disk_freed(world)
    await world.sb.settle(timeout=15)


def test_writes_are_retried_soon_while_people_wait():
    delays, delay = [], None
    for _ in range(6):
        delay = retry_delay(delay)
        delays.append(delay)
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]  # not growing to a minute
