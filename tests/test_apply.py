"""Stage 1, the application: a project lead writes it section by section and submits it."""

from __future__ import annotations

from bot.campaign_load import load_campaign
from storage import applications, orgs
from tests.conftest import World

CAMPAIGN = load_campaign()
TEXT_SECTIONS = [s for s in CAMPAIGN.sections if s.kind == "text"]


async def lead_of(world: World, code: str = "P-U1-01", name: str = "Lena"):
    return await world.join(name, "lead", code)


async def write_all(lead, *, budget: str = "12.5万") -> None:
    """Answer every section the quick way: one message and Done each, then the budget."""
    await lead.send("/apply")
    for section in TEXT_SECTIONS:
        await lead.send(f"Our {section.key}: <b>bold</b> & true 🙂")
        await lead.tap("✓ Done")
    await lead.send(budget)


async def test_a_lead_writes_submits_and_the_secretary_hears_of_it(world: World):
    await world.import_orgs([("U1", 3)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await lead_of(world)
    await lena.send("/apply")
    first = lena.last_reply.text
    assert "Section 1 of 11: Foundation of Party work" in first
    assert "Tap Done" in first
    await write_all(lena)
    # The budget is a number: saved and on to the optional attachments.
    assert "✓ Saved: 125,000" in lena.last_reply.text
    assert "Section 11 of 11: Supporting materials (optional)" in lena.last_reply.text
    await lena.send_photo(caption="meeting")
    await lena.send_document(b"%PDF-1.4", filename="plan.pdf", mime_type="application/pdf")
    assert "File 2 saved" in lena.last_reply.text
    await lena.tap("✓ Done")
    preview = lena.last_reply.text
    assert "Application: Project U1-01" in preview
    assert "Our foundation: <b>bold</b> & true 🙂" in preview  # stored and shown faithfully
    assert "📎 photo (meeting), plan.pdf" in preview
    await lena.tap("✅ Submit")
    assert "Submitted" in lena.last_reply.text
    assert "New application from Project U1-01" in sam.last_reply.text
    project = await orgs.project_by_code(world.db, "P-U1-01")
    application = await applications.of_project(world.db, project.id)
    assert application.status == "submitted"
    answers = await applications.answers(world.db, application.id)
    assert answers["budget"].amount == 125000
    assert len(answers["attachments"].files) == 2


async def test_back_skip_save_and_resume(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send("first answer")
    await lena.send("and a second message, same answer")
    await lena.tap("✓ Done")
    assert "Section 2 of 11" in lena.last_reply.text
    await lena.tap("◀ Back")
    section_one = lena.last_reply.text
    assert (
        "Section 1 of 11" in section_one and "first answer\n\nand a second message" in section_one
    )
    assert "Skip ▶" not in str(lena.last_reply.buttons)  # required: no Skip
    assert "◀ Back" not in str(lena.last_reply.buttons)  # the first section: nowhere back to
    await lena.tap("💾 Save and exit")
    assert "Send /apply any time" in lena.last_reply.text
    await lena.send("/apply")
    assert "Section 2 of 11" in lena.last_reply.text  # the first unfinished one


async def test_nonsense_budget_and_wrong_kinds_get_a_clear_retry(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send_photo()
    assert "This section takes text" in lena.last_reply.text
    await lena.send_sticker()
    assert "This section takes text" in lena.last_reply.text
    prompt = lena.replies()[-3]
    assert await world.tap_answer(lena, "✓ Done", prompt) == (
        "Nothing is saved in this section yet: send your answer first."
    )
    for section in TEXT_SECTIONS:
        await lena.send(f"{section.key} text")
        await lena.tap("✓ Done")
    for nonsense in ("a lot", "-5", "¥", "12.5万万", "🙂"):
        await lena.send(nonsense)
        assert "I couldn't read an amount" in lena.last_reply.text
    await lena.send_document(b"x", filename="budget.xlsx")
    assert "This section takes a number" in lena.last_reply.text
    await lena.send("125,000 元")
    assert "✓ Saved: 125,000" in lena.last_reply.text
    await lena.send("just text")  # attachments want files
    assert "This section takes photos or documents" in lena.last_reply.text
    assert await world.tap_answer(lena, "Skip ▶") is None
    assert "Tap ✎ and a section number" in lena.last_reply.text


async def test_long_html_like_and_edited_answers_are_kept_faithfully(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await lena.send("/apply")
    long_answer = ("党建引领 <script>&amp; “quotes” 🙂 " * 800)[:20_000]
    for start in range(0, 20_000, 4000):  # Telegram apps split long texts into messages
        await lena.send(long_answer[start : start + 4000])
    typo = await lena.send("a tpyo")
    await lena.edit(typo, "a typo, fixed")
    assert "Your edit is saved in “Foundation of Party work”" in lena.last_reply.text
    await lena.tap("✓ Done")
    project = await orgs.project_by_code(world.db, "P-U1-01")
    application = await applications.of_project(world.db, project.id)
    stored = (await applications.answers(world.db, application.id))["foundation"].text
    assert stored == "\n\n".join(
        [long_answer[i : i + 4000] for i in range(0, 20_000, 4000)] + ["a typo, fixed"]
    )
    await lena.tap("👁 Preview")
    shown = "".join(reply.text for reply in lena.replies()[-8:])
    assert len([r for r in lena.replies() if "Application: Project U1-01" in r.text]) == 1
    assert "<script>&amp; “quotes” 🙂" in shown  # escaped on the way out, intact on screen


async def submitted(world: World, code: str, name: str):
    lead = await world.join(name, "lead", code)
    await write_all(lead)
    await lead.tap("Skip ▶")
    await lead.tap("✅ Submit")
    assert "Submitted" in lead.last_reply.text, lead.last_reply.text
    return lead


async def nominated(world: World):
    """Unit U1 (20 projects) with secretary Sam, who nominated Lena's Project U1-01."""
    await world.import_orgs([("U1", 20)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await submitted(world, "P-U1-01", "Lena")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("⭐ Nominate")
    return sam, lena


async def test_the_secretary_nominates_within_quota_and_returns_with_a_comment(world: World):
    await world.import_orgs([("U1", 11)])  # 10% of 11, rounded up: 2 places
    sam = await world.join("Sam", "secretary", "U1")
    leads = [await submitted(world, f"P-U1-{i:02d}", f"Lead{i}") for i in (1, 2, 3)]
    await sam.send("/nominations")
    assert "Unit U1: 0 of 2 places used." in sam.last_reply.text
    await sam.tap("Project U1-01 · submitted")
    assert "Places used: 0 of 2" in sam.last_reply.text
    await sam.tap("⭐ Nominate")
    assert "⭐ Nominated." in sam.last_reply.text
    assert "was nominated by Unit U1" in leads[0].last_reply.text
    await sam.tap("◀ Back to the list")
    await sam.tap("Project U1-02 · submitted")
    await sam.tap("⭐ Nominate")
    await sam.tap("◀ Back to the list")
    await sam.tap("Project U1-03 · submitted")
    assert await world.tap_answer(sam, "⭐ Nominate") == (
        "No places left (2 of 2). Un-nominate another application first."
    )
    await sam.tap("↩ Return with a comment")
    await sam.send("Please add the budget breakdown <per quarter> & goals.")
    assert "Returned to the lead of Project U1-03" in sam.last_reply.text
    told = leads[2].last_reply.text
    assert "Please add the budget breakdown <per quarter> & goals." in told
    # The lead revises and resubmits.
    await leads[2].send("/apply")
    assert "Tap ✎ and a section number" in leads[2].last_reply.text  # all answered: preview
    await leads[2].tap("✎ 10")
    await leads[2].send("130000")
    assert "Application: Project U1-03" in leads[2].last_reply.text  # back to the preview
    await leads[2].tap("✅ Submit")
    assert "New application from Project U1-03" in sam.last_reply.text


async def test_every_decision_notice_has_a_button_to_its_application(world: World):
    sam, lena = await nominated(world)  # Sam was told of the submission, Lena of the nomination
    submitted_notice = next(r for r in sam.replies() if "New application from" in r.text)
    await sam.tap("📋 Open it", message=submitted_notice)
    assert sam.last_reply.text.startswith("Project U1-01\nUnit U1 · nominated by the unit")
    assert sam.last_reply.button_data("↩ Return with a comment") is None  # nominated now
    nominated_notice = lena.last_reply
    assert "was nominated" in nominated_notice.text
    await lena.tap("👁 Open the application", message=nominated_notice)
    assert "Application: Project U1-01" in lena.last_reply.text


async def test_submitting_settles_the_preview_and_the_lead_may_withdraw_and_resubmit(
    world: World,
):
    await world.import_orgs([("U1", 3)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await lead_of(world)
    await write_all(lena)
    await lena.tap("Skip ▶")
    preview = lena.last_reply
    await lena.tap("✅ Submit")
    settled = next(r for r in lena.replies() if r.message_id == preview.message_id)
    assert "Application: Project U1-01 — submitted" in settled.text
    assert settled.buttons == [] and "Tap ✎" not in settled.text  # no longer a draft to edit
    await lena.tap("↩ Withdraw", message=lena.last_reply)
    assert "is withdrawn and a draft again" in lena.last_reply.text
    await world.sb.settle()
    assert "was withdrawn by Lena for changes" in sam.last_reply.text
    await lena.tap("✍ Continue the application", message=lena.last_reply)
    assert "Application: Project U1-01 — draft" in lena.last_reply.text  # all answered
    await lena.tap("✅ Submit")
    project = await orgs.project_by_code(world.db, "P-U1-01")
    assert (await applications.of_project(world.db, project.id)).status == "submitted"


async def test_a_returned_application_notice_opens_it_for_revising(world: World):
    await world.import_orgs([("U1", 3)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await submitted(world, "P-U1-01", "Lena")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("↩ Return with a comment")
    await sam.send("Add the goals, please.")
    await world.sb.settle()
    notice = lena.last_reply
    assert "Revise it and submit it again." in notice.text
    await lena.tap("✎ Revise the application", message=notice)
    assert "Application: Project U1-01 — returned for changes" in lena.last_reply.text
    assert lena.last_reply.button_data("✎ 3")  # editable again
