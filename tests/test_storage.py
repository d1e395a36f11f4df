"""Storage: migrations, pragmas, transactions and the repositories' rules."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest

from storage import audit, chats, flows, inbox, orgs, outbox, people, roles, visitors
from storage.db import Database, NestedTransaction, migrations
from storage.orgs import OrgRow
from storage.outbox import BULK, Outgoing

NOW = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)


def _seen(user_id: int = 1, in_private: bool = True) -> people.Seen:
    return people.Seen(user_id, "Ann", None, "ann", "en", in_private=in_private)


async def _person(db: Database, user_id: int = 1) -> None:
    async with db.transaction(NOW) as tx:
        await people.remember(tx, _seen(user_id), None)


async def test_a_database_made_by_migration_1_is_upgraded_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    old = await Database.open(path, migrate_upto=1)
    assert await old.user_version() == 1
    await _person(old)
    async with old.transaction(NOW) as tx:
        await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit one", "P1", "Project one")], None)
    await old.close()

    db = await Database.open(path)
    try:
        assert await db.user_version() == len(migrations()) >= 2
        assert (await people.get(db, 1)).first_name == "Ann"
        assert [u.code for u in await orgs.units(db)] == ["U1"]
        async with db.transaction(NOW) as tx:
            await flows.begin(tx, 1, "import")  # a table migration 2 added
        assert (await flows.current(db, 1)).flow == "import"
    finally:
        await db.close()


async def test_pragmas_wal_and_foreign_keys(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        assert (await db.fetch_value("PRAGMA journal_mode")) == "wal"
        assert (await db.fetch_value("PRAGMA foreign_keys")) == 1
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction(NOW) as tx:
                await tx.execute(
                    "INSERT INTO projects (unit_id, code, name, created_at, updated_at)"
                    " VALUES (999, 'X', 'x', 'now', 'now')"
                )
    finally:
        await db.close()


async def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        await _person(db)
        with pytest.raises(RuntimeError):
            async with db.transaction(NOW) as tx:
                await roles.grant(tx, 1, "admin")
                raise RuntimeError("boom")
        assert await roles.of_user(db, 1) == []
        assert await audit.entries(db, action="role.grant") == []
    finally:
        await db.close()


async def test_reads_see_committed_data_only(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        await _person(db)
        async with db.transaction(NOW) as tx:
            await roles.grant(tx, 1, "reviewer")
            assert await roles.of_user(db, 1) == []  # the reader: not yet committed
            assert len(await roles.of_user(tx, 1)) == 1
        assert len(await roles.of_user(db, 1)) == 1
    finally:
        await db.close()


async def test_a_role_is_granted_once_and_audited(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        await _person(db)
        async with db.transaction(NOW) as tx:
            await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit", "P1", "Proj")], None)
        project = await orgs.project_by_code(db, "P1")
        async with db.transaction(NOW) as tx:
            assert await roles.grant(tx, 1, "lead", project_id=project.id, granted_by=7)
            assert not await roles.grant(tx, 1, "lead", project_id=project.id, granted_by=7)
            assert await roles.grant(tx, 1, "admin")
            assert not await roles.grant(tx, 1, "admin")
        grants = await roles.of_user(db, 1)
        assert {(g.role, g.unit_id, g.project_name) for g in grants} == {
            ("admin", None, None),
            ("lead", project.unit_id, "Proj"),
        }
        entries = await audit.entries(db, action="role.grant")
        assert [(e.actor_id, e.detail["role"]) for e in entries] == [(7, "lead"), (None, "admin")]
    finally:
        await db.close()


async def test_group_upgrade_moves_bindings_once(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        async with db.transaction(NOW) as tx:
            await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit", "P1", "Proj", -42)], None)
            await chats.record_status(tx, -42, "group", "Proj chat", False, "member", None)
        async with db.transaction(NOW) as tx:
            assert await chats.migrate(tx, -42, -1000000000042, "Proj chat")
        async with db.transaction(NOW) as tx:
            assert not await chats.migrate(tx, -42, -1000000000042, "Proj chat")
        assert await chats.binding(db, -42) is None
        moved = await chats.binding(db, -1000000000042)
        assert moved.project_id is not None and moved.bot_present
        assert (await chats.get(db, -42)).migrated_to == -1000000000042
    finally:
        await db.close()


async def test_the_inbox_keeps_updates_until_handled_and_forgets_them_later(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        batch = [inbox.Received(5, 1, {"update_id": 5}), inbox.Received(6, 2, {"update_id": 6})]
        async with db.transaction(NOW) as tx:
            assert await inbox.store(tx, batch) == [5, 6]
        assert [r.update_id for r in await inbox.unhandled(db)] == [5, 6]
        async with db.transaction(NOW) as tx:
            await inbox.mark_handled(tx, 5)
            assert await inbox.store(tx, batch) == [6]  # 5 redelivered: dropped
        assert await inbox.was_handled(db, 5) and not await inbox.was_handled(db, 6)
        async with db.transaction(NOW + timedelta(days=3)) as tx:
            await inbox.mark_handled(tx, 6)
            assert await inbox.forget_handled_before(tx, NOW + timedelta(days=1)) == 1
        assert not await inbox.was_handled(db, 5) and await inbox.was_handled(db, 6)
    finally:
        await db.close()


async def test_a_transaction_opened_inside_another_raises_at_once(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        async with db.transaction(NOW):
            with pytest.raises(NestedTransaction):
                async with asyncio.timeout(1), db.transaction(NOW):
                    pass
        # Another task simply waits its turn.
        async with db.transaction(NOW):
            other = asyncio.ensure_future(_person(db, 2))
            await asyncio.sleep(0.01)
            assert not other.done()
        await other
        assert await people.get(db, 2) is not None
    finally:
        await db.close()


async def test_a_transaction_needs_an_aware_clock(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        with pytest.raises(ValueError, match="naive"):
            async with db.transaction(datetime(2026, 1, 1)):
                pass
    finally:
        await db.close()


async def test_insert_returns_the_id_of_the_row_an_upsert_wrote(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        sql = (
            "INSERT INTO units (code, name, created_at, updated_at) VALUES (?, ?, 'x', 'x')"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name"
        )
        async with db.transaction(NOW) as tx:
            first = await tx.insert(sql, ("A", "a"))
            second = await tx.insert(sql, ("B", "b"))
            again = await tx.insert(sql, ("A", "a2"))  # updated, not inserted: still A's id
            ignored = await tx.insert(
                "INSERT OR IGNORE INTO units (code, name, created_at, updated_at)"
                " VALUES ('B', 'b', 'x', 'x')"
            )
        assert (first, second, again, ignored) == (1, 2, 1, None)
    finally:
        await db.close()


async def test_storage_stamps_rows_with_the_callers_clock(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        await _person(db)
        async with db.transaction(NOW) as tx:
            await roles.grant(tx, 1, "reviewer")
        (entry,) = await audit.entries(db, action="role.grant")
        assert entry.at == NOW
        assert await db.fetch_value("SELECT granted_at FROM roles") == NOW.isoformat(
            timespec="microseconds"
        )
    finally:
        await db.close()


async def test_the_database_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    path = tmp_path / "t.db"
    path.write_bytes(b"")
    os.chmod(path, 0o644)  # made by an older version
    db = await Database.open(path)
    try:
        await _person(db)
        for name in ("t.db", "t.db-wal", "t.db-shm"):
            mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
            assert mode & 0o077 == 0, (name, oct(mode))
    finally:
        await db.close()


async def test_outbox_rows_are_written_once_per_key_and_offered_in_order_per_chat(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        rows = [
            Outgoing("c1", "k", 10, {"text": "one"}),
            Outgoing("c1", "k", 10, {"text": "two"}, part=1),
            Outgoing("c1", "k", -20, {"text": "group"}, priority=BULK),
            Outgoing("c2", "k", 11, {"text": "other"}),
        ]
        async with db.transaction(NOW) as tx:
            await outbox.enqueue(tx, rows)
            await outbox.enqueue(tx, rows)  # a redelivered update writes nothing new
        assert await db.fetch_value("SELECT COUNT(*) FROM outbox") == 4
        due = await outbox.due(db, NOW, limit=10)
        # One per chat (its first), private before bulk.
        assert [(r.chat_id, r.payload["text"]) for r in due] == [
            (10, "one"),
            (11, "other"),
            (-20, "group"),
        ]
        async with db.transaction(NOW) as tx:
            assert await outbox.claim(tx, due[0].id)
            assert not await outbox.claim(tx, due[0].id)
        # While "one" is in flight, "two" waits.
        assert 10 not in [r.chat_id for r in await outbox.due(db, NOW, limit=10)]
        async with db.transaction(NOW) as tx:
            await outbox.sent(tx, due[0].id)
        assert (await outbox.due(db, NOW, limit=10))[0].payload["text"] == "two"
    finally:
        await db.close()


async def test_a_renewed_row_is_due_again_with_its_new_words_even_in_flight(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:

        def progress(text: str) -> list[Outgoing]:
            return [Outgoing("progress:c", "k", 10, {"text": text}, method="editMessageText")]

        async with db.transaction(NOW) as tx:
            await outbox.renew(tx, progress("0 of 9"))
        [row] = await outbox.due(db, NOW, limit=10)
        async with db.transaction(NOW) as tx:  # renewed between being found and claimed
            await outbox.renew(tx, progress("1 of 9"))
        async with db.transaction(NOW) as tx:
            claimed = await outbox.claim(tx, row.id)
            assert claimed.payload["text"] == "1 of 9"  # what goes out: the newest words
            await outbox.sent(tx, row.id)
            await outbox.renew(tx, progress("5 of 9"))
        [again] = await outbox.due(db, NOW, limit=10)
        assert (again.id, again.payload["text"], again.attempts) == (row.id, "5 of 9", 0)
        async with db.transaction(NOW) as tx:
            await outbox.claim(tx, row.id)
            await outbox.renew(tx, progress("7 of 9"))  # in flight: it goes out again after
        assert await db.fetch_value("SELECT state FROM outbox WHERE id = ?", (row.id,)) == (
            "sending"
        )
        assert not await outbox.due(db, NOW, limit=10)
        async with db.transaction(NOW) as tx:
            await outbox.sent(tx, row.id)
        [after] = await outbox.due(db, NOW, limit=10)
        assert (after.id, after.payload["text"]) == (row.id, "7 of 9")
        async with db.transaction(NOW) as tx:
            await outbox.claim(tx, row.id)
            await outbox.sent(tx, row.id)
        assert not await outbox.due(db, NOW, limit=10)  # once: done
        # Refused in flight, an edit with newer words waiting tries those once more.
        async with db.transaction(NOW) as tx:
            await outbox.renew(tx, progress("8 of 9"))
            await outbox.claim(tx, row.id)
            await outbox.renew(tx, progress("9 of 9"))
            await outbox.failed(tx, row.id, "refused: message can't be edited")
        [retried] = await outbox.due(db, NOW, limit=10)
        assert (retried.id, retried.payload["text"]) == (row.id, "9 of 9")
        async with db.transaction(NOW) as tx:
            await outbox.claim(tx, row.id)
            await outbox.failed(tx, row.id, "refused: message can't be edited")
        assert not await outbox.due(db, NOW, limit=10)
        assert await db.fetch_value("SELECT COUNT(*) FROM outbox") == 1
        # A new message in flight is not sent twice: its renewal waits for the next one.
        card = [Outgoing("card:c", "k", 11, {"text": "first"}, method="sendMessage")]
        async with db.transaction(NOW) as tx:
            await outbox.renew(tx, card)
        [sending] = await outbox.due(db, NOW, limit=10)
        async with db.transaction(NOW) as tx:
            await outbox.claim(tx, sending.id)
            card[0].payload["text"] = "second"
            await outbox.renew(tx, card)
            await outbox.sent(tx, sending.id, 5)
        assert not await outbox.due(db, NOW, limit=10)
        [row] = await outbox.rows_of(db, "card:c")
        assert (row.payload["text"], row.state) == ("first", "sent")
    finally:
        await db.close()


async def test_an_upgrade_keeps_the_old_groups_binding_over_one_for_the_new_id(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        rows = [OrgRow(2, "U1", "Unit", "P1", "One", -42), OrgRow(3, "U1", "Unit", "P2", "Two")]
        async with db.transaction(NOW) as tx:
            await orgs.import_rows(tx, rows, None)
            p2 = await orgs.project_by_code(tx, "P2")
            await chats.bind(tx, -100777, 0, unit_id=None, project_id=p2.id, by=1)
            await chats.migrate(tx, -42, -100777, "chat")
        moved = await chats.binding(db, -100777)
        assert moved.project_id == (await orgs.project_by_code(db, "P1")).id
        assert await db.fetch_value("SELECT COUNT(*) FROM chat_bindings") == 1
    finally:
        await db.close()


async def test_people_changes_are_audited(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        seen = _seen(9)
        assert seen.changes(None) and seen.opens_private(None)
        async with db.transaction(NOW) as tx:
            person = await people.remember(tx, seen, None)
        assert person.private_chat
        assert not seen.changes(person) and not seen.opens_private(person)
        async with db.transaction(NOW) as tx:
            await people.set_locale(tx, 9, "zh-Hant")
            await people.set_blocked(tx, 9, True)
            await people.set_blocked(tx, 9, True)
        blocked = await people.get(db, 9)
        assert seen.opens_private(blocked)
        async with db.transaction(NOW) as tx:
            await people.remember(tx, seen, blocked)
        actions = [e.action for e in await audit.entries(db, subject="person:9")]
        assert actions == ["person.join", "person.locale", "person.blocked", "person.unblocked"]
    finally:
        await db.close()


async def test_a_single_statement_write_takes_one_statement_and_commits_it(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        batch = [inbox.Received(7, 1, {"update_id": 7})]
        async with db.statement(NOW) as tx:
            assert await inbox.store(tx, batch) == [7]
        assert [r.payload for r in await inbox.unhandled(db)] == [{"update_id": 7}]
        async with db.statement(NOW) as tx:
            await inbox.mark_handled(tx, 7)
            with pytest.raises(RuntimeError, match=r"db\.transaction"):
                await inbox.mark_handled(tx, 7)
        assert await inbox.was_handled(db, 7)
        async with db.statement(NOW) as tx:
            assert await inbox.store(tx, batch) == []  # handled: dropped when given again
            with pytest.raises(NestedTransaction):
                async with db.transaction(NOW):
                    pass
    finally:
        await db.close()


async def test_a_visitor_is_read_with_roles_and_flow_in_one_statement(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        assert await visitors.get(db, 1) is None
        await _person(db)
        alone = await visitors.get(db, 1)
        assert alone.person.first_name == "Ann" and alone.grants == () and alone.flow is None
        async with db.transaction(NOW) as tx:
            await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit one", "P1", "Project one")], None)
            unit = (await orgs.units(tx))[0]
            project = await orgs.project_by_code(tx, "P1")
            await roles.grant(tx, 1, "secretary", unit_id=unit.id)
            await roles.grant(tx, 1, "lead", project_id=project.id)
            await flows.begin(tx, 1, "apply", "budget", app=3)
        seen = await visitors.get(db, 1)
        assert list(seen.grants) == await roles.of_user(db, 1)
        assert [g.role for g in seen.grants] == ["lead", "secretary"]
        assert (seen.flow.flow, seen.flow.step, seen.flow.data) == ("apply", "budget", {"app": 3})
        assert seen.flow.updated_at == NOW
    finally:
        await db.close()
