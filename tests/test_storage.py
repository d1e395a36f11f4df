"""Storage: migrations, pragmas, transactions and the repositories' rules."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from storage import audit, chats, flows, orgs, people, roles, updates
from storage.db import Database, migrations
from storage.orgs import OrgRow


async def _person(db: Database, user_id: int = 1) -> None:
    await people.remember(db, user_id, "Ann", None, "ann", "en", in_private=True)


async def test_a_database_made_by_migration_1_is_upgraded_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    old = await Database.open(path, migrate_upto=1)
    assert await old.user_version() == 1
    await _person(old)
    async with old.transaction() as tx:
        await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit one", "P1", "Project one")], None)
    await old.close()

    db = await Database.open(path)
    try:
        assert await db.user_version() == len(migrations()) >= 2
        assert (await people.get(db, 1)).first_name == "Ann"
        assert [u.code for u in await orgs.units(db)] == ["U1"]
        await flows.begin(db, 1, "import")  # a table migration 2 added
        assert (await flows.current(db, 1)).flow == "import"
    finally:
        await db.close()


async def test_pragmas_wal_and_foreign_keys(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        assert (await db.fetch_value("PRAGMA journal_mode")) == "wal"
        assert (await db.fetch_value("PRAGMA foreign_keys")) == 1
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
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
            async with db.transaction() as tx:
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
        async with db.transaction() as tx:
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
        async with db.transaction() as tx:
            await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit", "P1", "Proj")], None)
        project = await orgs.project_by_code(db, "P1")
        async with db.transaction() as tx:
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
        async with db.transaction() as tx:
            await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit", "P1", "Proj", -42)], None)
            await chats.record_status(tx, -42, "group", "Proj chat", False, "member", None)
        async with db.transaction() as tx:
            assert await chats.migrate(tx, -42, -1000000000042, "Proj chat")
        async with db.transaction() as tx:
            assert not await chats.migrate(tx, -42, -1000000000042, "Proj chat")
        assert await chats.binding(db, -42) is None
        moved = await chats.binding(db, -1000000000042)
        assert moved.project_id is not None and moved.bot_present
        assert (await chats.get(db, -42)).migrated_to == -1000000000042
    finally:
        await db.close()


async def test_handled_updates_are_remembered(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        assert not await updates.was_handled(db, 5)
        await updates.mark_handled(db, 5)
        await updates.mark_handled(db, 5)
        assert await updates.was_handled(db, 5)
        async with db.transaction() as tx:
            await tx.execute(
                "UPDATE processed_updates SET handled_at = '2020-01-01T00:00:00+00:00'"
            )
        await updates.mark_handled(db, 6)
        assert await updates.forget_older_than(db, timedelta(days=2)) == 1
        assert not await updates.was_handled(db, 5) and await updates.was_handled(db, 6)
    finally:
        await db.close()


async def test_an_upgrade_keeps_the_old_groups_binding_over_one_for_the_new_id(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        rows = [OrgRow(2, "U1", "Unit", "P1", "One", -42), OrgRow(3, "U1", "Unit", "P2", "Two")]
        async with db.transaction() as tx:
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
        person, first = await people.remember(db, 9, "Ann", None, None, "en", in_private=True)
        assert first and person.private_chat
        assert (await people.remember(db, 9, "Ann", None, None, "en", in_private=True))[1] is False
        await people.set_locale(db, 9, "zh-Hant")
        await people.set_blocked(db, 9, True)
        await people.set_blocked(db, 9, True)
        assert (await people.remember(db, 9, "Ann", None, None, "en", in_private=True))[1] is True
        actions = [e.action for e in await audit.entries(db, subject="person:9")]
        assert actions == ["person.join", "person.locale", "person.blocked", "person.unblocked"]
    finally:
        await db.close()
