"""A fix from the preview shows the changed section and the application in short, not the
whole application again (real sections run to 500–2,000 characters each)."""

from __future__ import annotations

from tests.conftest import World
from tests.test_apply import TEXT_SECTIONS, lead_of, submitted


def _long(key: str, length: int) -> str:
    return (f"{key}：党建引领，项目一线攻坚克难。" * 200)[:length]


async def _long_application(world: World):
    """Lena's draft, every text section 1,500–2,000 characters, at the preview."""
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await lena.send("/apply")
    for index, section in enumerate(TEXT_SECTIONS):
        await lena.send(_long(section.key, 1500 + 50 * index))
        await lena.tap("✓ Done")
    await lena.send("12.5万")
    before = len(lena.replies())
    await lena.tap("Skip ▶")
    assert len(lena.replies()) - before >= 4  # the whole application: many messages
    return lena


async def test_a_fix_sends_the_changed_section_and_a_short_status(world: World):
    lena = await _long_application(world)
    await lena.tap("✎ 3")
    await lena.send("补充：我们的业绩成果见附件。")
    before = len(lena.replies())
    await lena.tap("✓ Done")
    sent = lena.replies()[before:]
    assert 1 <= len(sent) <= 2
    text = "\n".join(m.text for m in sent)
    assert "✓ Saved. Section 3 now reads:\n3. Achievements" in text
    assert "补充：我们的业绩成果见附件。" in text
    assert "Application: Project U1-01 — draft" in text
    assert "✓ 1. Foundation of Party work" in text and "○ 11. Supporting materials" in text
    assert "2. Experience and practices：" not in text  # the other sections' text is not sent
    labels = [label for row in sent[-1].buttons for label, _ in row]
    assert labels == [*(f"✎ {i}" for i in range(1, 12)), "👁 Preview", "✅ Submit"]
    # The full preview is one tap away, and submitting from it works as before.
    await lena.tap("👁 Preview", message=sent[-1])
    assert "Tap ✎ and a section number" in lena.last_reply.text
    await lena.tap("✅ Submit")
    assert "Submitted" in lena.last_reply.text


async def test_a_fixed_budget_and_a_skipped_section_answer_in_one_message(world: World):
    lena = await _long_application(world)
    await lena.tap("✎ 10")
    before = len(lena.replies())
    await lena.send("130000")
    sent = lena.replies()[before:]
    assert len(sent) == 1
    assert "Section 10 now reads:\n10. Budget\n130,000 yuan" in sent[0].text
    assert "Still missing" not in sent[0].text
    await lena.tap("✎ 11", message=sent[0])  # another fix, from the short status
    before = len(lena.replies())
    await lena.tap("Skip ▶")
    sent = lena.replies()[before:]
    assert len(sent) == 1 and "○ 11. Supporting materials (skipped)" in sent[0].text
    await lena.tap("✅ Submit", message=sent[0])
    assert "Submitted" in lena.last_reply.text


async def test_a_fix_after_the_unit_returned_it_keeps_the_units_comment_in_view(world: World):
    await world.import_orgs([("U1", 3)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await submitted(world, "P-U1-01", "Lena")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("↩ Return with a comment")
    await sam.send("Please raise the budget & say why.")
    await lena.send("/apply")
    await lena.tap("✎ 10")
    await lena.send("150000")
    fixed = lena.last_reply.text
    assert "Section 10 now reads:\n10. Budget\n150,000 yuan" in fixed
    assert "↩ Your unit's comment: Please raise the budget & say why." in fixed
