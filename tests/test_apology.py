"""The apology for an unexpected error says nothing was lost only when it is true."""

from __future__ import annotations

import logging

from handlers import start, ui
from storage import invitations, roles
from tests.conftest import World

LOST = "what you sent was not saved"
KEPT = "Nothing you sent was lost"


async def test_a_failure_before_the_commit_says_it_was_not_saved(world: World, monkeypatch, caplog):
    payload = await world.invite_link(world.admin, "reviewer")
    lena = world.sb.user("Lena")
    await lena.send("/start")

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug inside the transaction")

    monkeypatch.setattr(start.invitations, "redeem", broken)
    with caplog.at_level(logging.ERROR, logger="pacesetter.errors"):
        await lena.send(f"/start {payload}")
    assert LOST in lena.last_reply.text and KEPT not in lena.last_reply.text
    assert await roles.of_user(world.db, lena.id) == []  # indeed not saved
    monkeypatch.undo()
    await lena.send(f"/start {payload}")  # so trying again works
    assert "You are now a reviewer" in lena.last_reply.text


async def test_a_failure_after_the_commit_says_nothing_was_lost(world: World, monkeypatch, caplog):
    payload = await world.invite_link(world.admin, "reviewer")
    lena = world.sb.user("Lena")
    await lena.send("/start")  # her menu is set now: the next one is set after the commit

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug after the commit")

    monkeypatch.setattr(ui, "refresh_menu", broken)
    with caplog.at_level(logging.ERROR, logger="pacesetter.errors"):
        await lena.send(f"/start {payload}")
    assert KEPT in lena.last_reply.text
    assert [g.role for g in await roles.of_user(world.db, lena.id)] == ["reviewer"]
    code = payload.removeprefix("inv_")
    assert (await invitations.by_code(world.db, code)).used_by == lena.id
