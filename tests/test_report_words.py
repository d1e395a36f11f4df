"""✎ Words on a report keeps the new words in the flow until ✓ Done: walking away loses none."""

from __future__ import annotations

from storage import reports
from tests.conftest import World
from tests.test_report import _candidate


async def _lenas_report(world: World):
    lena, _, _, group = await _candidate(world)
    await lena.send("/report")
    for label in ("Party lecture", "Today", "10"):
        await lena.tap(label)
    await lena.send("First words.")
    await lena.tap("✓ Done")
    await lena.tap("No photo ▶")
    return lena, group


async def _description(world: World, lena) -> str:
    rows = await world.db.fetch_all(
        "SELECT id FROM activity_reports WHERE author_id = ? ORDER BY id", (lena.id,)
    )
    return (await reports.get(world.db, rows[-1]["id"])).description


async def test_walking_away_from_new_words_leaves_the_saved_report_as_it_was(world: World):
    lena, group = await _lenas_report(world)
    await lena.tap("✅ Save")
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    await lena.tap("✎ Edit")
    await lena.tap("✎ Words")
    assert await _description(world, lena) == "First words."  # not blanked at the tap
    await lena.send("Half a thought")
    assert "Half a thought" in lena.last_reply.text  # shown as written so far
    assert await _description(world, lena) == "First words."
    await lena.send("/cancel")  # and she walks away
    await world.sb.settle()
    assert await _description(world, lena) == "First words."
    assert "First words." in card.text and "Half a thought" not in card.text
    # Written to the end, the words are stored at ✓ Done, and the card follows.
    await lena.tap("✎ Edit")
    await lena.tap("✎ Words")
    await lena.send("Better words.")
    await lena.send("And more.")
    await lena.tap("✓ Done")
    await world.sb.settle()
    assert await _description(world, lena) == "Better words.\n\nAnd more."
    assert "Better words." in card.text and "First words." not in card.text


async def test_a_draft_keeps_its_words_until_new_ones_are_done(world: World):
    lena, _ = await _lenas_report(world)
    await lena.tap("✎ Words")
    await lena.send("Other words.")
    assert await _description(world, lena) == "First words."
    await lena.tap("✓ Done")
    assert await _description(world, lena) == "Other words."
    assert "✅ Save" in [label for row in lena.last_reply.buttons for label, _ in row]
