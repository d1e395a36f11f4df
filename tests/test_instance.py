"""One bot per database: a second `pacesetter run` stops at once and the first runs on."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.instance import AlreadyRunning, InstanceLock
from tests.test_restart import replied, running, until  # noqa: F401 (the fixture)


async def test_a_second_bot_on_the_same_database_stops_with_one_line_and_the_first_runs_on(
    running,  # noqa: F811
):
    _, bot, admin = running
    outbox_before = bot.query("SELECT id, state, attempts FROM outbox ORDER BY id")
    second = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env={**bot.env, "PACESETTER_LOG_LEVEL": "INFO"},  # as a service runs it
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(second.communicate(), timeout=30)
    assert second.returncode == 2
    assert out == b""
    assert err.decode().splitlines() == [
        f"pacesetter: {bot.db_path.resolve()} is in use by a running pacesetter"
        f" (pid {bot.process.pid}) (PACESETTER_DB); stop it first"
    ]
    # The first never noticed: it answers, and nothing of its outbox was touched.
    assert bot.process.returncode is None
    assert bot.query("SELECT id, state, attempts FROM outbox ORDER BY id") == outbox_before
    await admin.send("/whoami")
    await until(replied(admin, f"(id {admin.id})"))
    assert await bot.terminate() == 0


def test_the_lock_is_free_again_once_released(tmp_path):
    first = InstanceLock(tmp_path / "bot.db")
    first.acquire()
    with pytest.raises(AlreadyRunning) as refused:
        InstanceLock(tmp_path / "bot.db").acquire()
    assert refused.value.db_path == (tmp_path / "bot.db").resolve()
    first.release()
    again = InstanceLock(tmp_path / "bot.db")
    again.acquire()  # a stopped (or dead) bot leaves nothing behind that blocks the next
    again.release()
    InstanceLock(tmp_path / "other.db").acquire()  # another database is another bot
