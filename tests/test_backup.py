"""`pacesetter backup FILE`: a consistent copy of the live database while a writer writes,
readable by its owner only, never over an existing file unless --force."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime

from bot import cli
from storage.db import Database

NOW = datetime(2027, 9, 1, tzinfo=UTC)


async def test_a_backup_taken_while_a_writer_writes_is_whole_and_private(
    tmp_path, monkeypatch, capsys
):
    path = tmp_path / "live.db"
    db = await Database.open(path)
    async with db.transaction(NOW) as tx:
        await tx.execute_many(
            "INSERT INTO audit_log (at, action, subject, detail) VALUES (?, 'seed', 's', ?)",
            [(NOW.isoformat(), "x" * 200) for _ in range(20_000)],
        )
    await db.close()
    stop, written = threading.Event(), []

    def writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        while not stop.is_set():
            conn.execute(
                "INSERT INTO audit_log (at, action, subject) VALUES (?, 'live', 's')",
                (NOW.isoformat(),),
            )
            written.append(1)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    while len(written) < 20:  # the writer is under way before the copy starts
        await asyncio.sleep(0.001)
    monkeypatch.setenv("PACESETTER_DB", str(path))
    target = tmp_path / "copy.db"
    try:
        assert await asyncio.to_thread(cli.main, ["backup", str(target)]) == 0
        during = len(written)
        while len(written) < during + 20:  # and still writing after it
            await asyncio.sleep(0.001)
    finally:
        stop.set()
        thread.join()
    assert capsys.readouterr().out.startswith(f"{target}: ")
    assert target.stat().st_mode & 0o777 == 0o600
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    live = copy.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'live'").fetchone()[0]
    assert copy.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'seed'").fetchone() == (
        20_000,
    )
    assert 20 <= live < len(written)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()
    assert not (tmp_path / "copy.db-wal").exists()


async def test_a_backup_refuses_to_overwrite_a_file_unless_forced(tmp_path, monkeypatch, capsys):
    path = tmp_path / "live.db"
    await (await Database.open(path)).close()
    monkeypatch.setenv("PACESETTER_DB", str(path))
    target = tmp_path / "copy.db"
    target.write_bytes(b"keep me")
    target.chmod(0o644)
    assert await asyncio.to_thread(cli.main, ["backup", str(target)]) == 1
    assert "exists: pass --force" in capsys.readouterr().err
    assert target.read_bytes() == b"keep me"
    assert await asyncio.to_thread(cli.main, ["backup", "--force", str(target)]) == 0
    assert target.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
