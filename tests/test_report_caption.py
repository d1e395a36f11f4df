"""A report card under a photo fits Telegram's caption limit, whatever the names and words."""

from __future__ import annotations

from messages.split import visible_length
from tests.conftest import World
from tests.test_highlights import MARK, _unit_with_report
from tests.test_report import _candidate

LONG_NAME = "Project " + "长" * 190  # the import takes names of up to 200 characters


async def test_a_long_name_and_wide_characters_still_make_a_card_that_fits(world: World):
    _, mei, _, group = await _candidate(world)
    async with world.db.transaction(world.clock.now) as tx:
        await tx.execute("UPDATE projects SET name = ? WHERE code = 'P-U1-01'", (LONG_NAME,))
    # 600 emoji: within the 700 characters a caption's description is cut at, but each
    # counts two UTF-16 units, and the name is long.
    await mei.send_media_group([("photo", None)] * 2, caption="🎉" * 600)
    for label in ("📝 Report it", "Themed Party day", "Yesterday", "20", "✅ Save"):
        await mei.tap(label)
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    assert card.kind == "photo" and LONG_NAME in card.text
    assert "🎉🎉..." in card.text and "报告人：Mei" in card.text  # cut, not dropped
    assert visible_length(card.text) <= 1024
    assert world.sb.rejections == []  # the sandbox refuses a caption over 1,024


async def test_a_highlight_line_added_to_a_full_caption_still_fits(world: World):
    *_, sam, group, unit_chat = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    report_id = int(card.button_data(MARK).split(":")[-1])
    async with world.db.transaction(world.clock.now) as tx:
        await tx.execute("UPDATE projects SET name = ? WHERE code = 'P-U1-01'", (LONG_NAME,))
        await tx.execute(
            "UPDATE activity_reports SET description = ? WHERE id = ?", ("🎉" * 600, report_id)
        )
    await sam.tap(MARK, message=card)
    await world.sb.settle()
    [post] = [m for m in world.sb.messages(unit_chat) if "亮点" in m.text]
    for message in (card, post):
        assert "⭐ 亮点，由Sam选出" in message.text and visible_length(message.text) <= 1024
    assert world.sb.rejections == []


async def test_a_card_without_a_photo_fits_a_message(world: World):
    lena, _, _, group = await _candidate(world)
    await lena.send("/report")
    for label in ("Party lecture", "Today", "10"):
        await lena.tap(label)
    await lena.send("🎉" * 2500)  # within the 3,000 characters a report takes: 5,000 units
    await lena.tap("✓ Done")
    await lena.tap("No photo ▶")
    await lena.tap("✅ Save")
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    assert card.kind == "text" and "🎉🎉..." in card.text
    assert visible_length(card.text) <= 4096
    assert world.sb.rejections == []
