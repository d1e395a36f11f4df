"""The admins' ✅ on /select's confirmation, and the process killed (kill -9) after the write
and before the confirmation's edit: the restarted bot handles the update again, which records
nothing more, and every notice of the selection is delivered exactly once."""

from __future__ import annotations

import pytest

from tests.test_restart import until
from tests.test_review_restart import _killed_between_write_and_edit, bot_assessing, joined

CONFIRM = "✅ Confirm the pacesetters"


@pytest.fixture
async def assessing(tmp_path):
    """The bot in its own process inside the assessment, U1's two projects candidates."""
    async with bot_assessing(tmp_path, 2) as running:
        yield running


async def test_killed_between_the_confirm_and_its_edit_recorded_and_told_once(assessing):
    sb, bot, admin = assessing
    lena = await joined(sb, admin, "Lena", "lead", "P-U1-01", "zh-hans")
    sam = await joined(sb, admin, "Sam", "secretary", "U1")
    group = sb.group("P-U1-01 branch", creator=admin)
    await sb.add_bot(group, by=admin)
    await admin.send("/bind P-U1-01", chat=group)
    await until(lambda: sb.messages(group.id) != [])
    await sb.settle(timeout=30)
    heard = {who: len(sb.messages(who)) for who in (lena.id, sam.id, group.id)}

    await admin.send("/select P-U1-01")
    await until(lambda: admin.last_reply.button_data(CONFIRM) is not None)
    confirm = admin.last_reply
    await _killed_between_write_and_edit(sb, bot, admin, confirm, confirm.button_data(CONFIRM))
    await until(lambda: confirm.text.startswith("✅ Recorded: 1 pacesetter."))
    await sb.settle(timeout=30)
    assert bot.query("SELECT COUNT(*) FROM pacesetter_rounds") == [(1,)]
    assert bot.query("SELECT p.code FROM pacesetters s JOIN projects p ON p.id = s.project_id") == [
        ("P-U1-01",)
    ]
    audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'pacesetters.select'"
    assert bot.query(audited) == [(1,)]
    new = {who: sb.messages(who)[heard[who] :] for who in heard}
    assert [m.text.split("\n")[0] for m in new[lena.id]] == ["🏅 入选本次活动党建标杆："]
    [note] = new[sam.id]
    assert note.text.startswith("🏅 Selected as a pacesetter of the campaign:\n• Project U1-01")
    assert "Not selected as a pacesetter this time:\n• Project U1-02" in note.text
    assert [m.text.split("\n")[0] for m in new[group.id]] == ["🏅 入选本次活动党建标杆："]
    assert bot.query("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == [(0,)]
    assert await bot.terminate() == 0
