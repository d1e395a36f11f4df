"""Stage 1 decisions: quotas, the nomination race, the organiser's acceptance, deadlines."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest

from handlers.selection import BUTTONS
from storage import applications, orgs
from tests.conftest import World
from tests.test_apply import TEXT_SECTIONS, nominated, submitted


async def _application(world: World, code: str):
    project = await orgs.project_by_code(world.db, code)
    return await applications.of_project(world.db, project.id)


@pytest.mark.parametrize(("projects", "places"), [(1, 1), (5, 1), (10, 1), (11, 2), (25, 3)])
async def test_quota_boundaries(world: World, projects: int, places: int):
    await world.import_orgs([("U1", projects)])
    sam = await world.join("Sam", "secretary", "U1")
    count = min(projects, places + 1)
    for i in range(1, count + 1):
        await submitted(world, f"P-U1-{i:02d}", f"Lead{i}")
    await sam.send("/nominations")
    assert f"Unit U1: 0 of {places} place" in sam.last_reply.text
    answers = []
    for i in range(1, count + 1):
        await sam.send("/nominations")
        await sam.tap(f"Project U1-{i:02d} · submitted")
        answers.append(await world.tap_answer(sam, "⭐ Nominate"))
    nominated = [a for a in answers if a is None]
    assert len(nominated) == places
    if count > places:
        assert answers[-1] == (
            f"No places left ({places} of {places}). Un-nominate another application first."
        )
    assert await applications.places_used(world.db, 1) == places


async def test_two_secretaries_tapping_at_once_cannot_exceed_the_quota(world: World):
    await world.import_orgs([("U1", 10)])  # one place
    sam = await world.join("Sam", "secretary", "U1")
    sue = await world.join("Sue", "secretary", "U1")
    await submitted(world, "P-U1-01", "Lead1")
    await submitted(world, "P-U1-02", "Lead2")
    menus = []
    for secretary, project in ((sam, "Project U1-01"), (sue, "Project U1-02")):
        await secretary.send("/nominations")
        await secretary.tap(f"{project} · submitted")
        menus.append(secretary.last_reply)
    first, second = await asyncio.gather(
        sam.tap("⭐ Nominate", message=menus[0], wait=False),
        sue.tap("⭐ Nominate", message=menus[1], wait=False),
    )
    await world.sb.settle()
    answers = [world.sb.callback_answer(q["id"]).get("text") for q in (first, second)]
    assert sorted(answers, key=str) == sorted(
        [None, "No places left (1 of 1). Un-nominate another application first."], key=str
    )
    assert await applications.places_used(world.db, 1) == 1


async def test_organiser_accepts_and_declines_and_everyone_is_told_in_their_language(
    world: World,
):
    await world.import_orgs([("U1", 20), ("U2", 5), ("U3", 5)])
    sam = await world.join("Sam", "secretary", "U1", language_code="zh-hans")
    lead1 = await submitted(world, "P-U1-01", "Lead1")
    lead2 = await submitted(world, "P-U1-02", "Lead2")
    await submitted(world, "P-U3-01", "Lead3")
    for project in ("Project U1-01", "Project U1-02"):
        await sam.send("/nominations")
        await sam.tap(f"{project} · 已提交")
        await sam.tap("⭐ 推荐")
    await world.admin.send("/applications")
    overview = world.admin.last_reply.text
    # Every unit, the silent ones first; each count named for what it means.
    assert overview.index("Nothing sent yet by 1 unit: Unit U2") < overview.index("• Unit U1")
    assert "• Unit U1: 2 nominated; places used 2 of 2" in overview
    assert "• Unit U3: 1 waiting for the unit; places used 0 of 1" in overview
    assert "2 nominations waiting for your decision" in overview
    before = len(world.admin.replies())
    await world.admin.tap("Project U1-01")
    card = world.admin.last_reply
    assert len(world.admin.replies()) == before + 1  # one compact card, not the whole text
    assert card.text.startswith("Project U1-01\nUnit U1 · nominated by the unit\n")
    assert "Budget: 125,000 yuan" in card.text and "All required sections answered" in card.text
    assert [label for row in card.buttons for label, _ in row] == [
        "✅ Accept as a candidate",
        "✖ Decline with a reason",
        "📄 Full text",
        "▶ Next: Project U1-02",
    ]
    await world.admin.tap("✅ Accept as a candidate")
    await world.admin.tap("✅ Yes, accept")
    assert world.admin.last_reply.message_id == card.message_id  # edited in place
    assert "Accepted: Project U1-01 is a candidate" in world.admin.last_reply.text
    assert "1 more nomination is waiting for your decision." in world.admin.last_reply.text
    assert "was accepted by the campaign admins" in lead1.last_reply.text
    assert "Project U1-01" in sam.last_reply.text and "活动管理员" in sam.last_reply.text
    await world.admin.tap("▶ Next: Project U1-02")  # the next one, in the same message
    assert world.admin.last_reply.message_id == card.message_id
    assert world.admin.last_reply.text.startswith("Project U1-02\n")
    await world.admin.tap("✖ Decline with a reason")
    await world.admin.send("Too close to <U1-01> & similar.")
    assert "Decline <b>Project" not in world.admin.last_reply.text  # plain as shown
    assert "with this reason?" in world.admin.last_reply.text
    await world.admin.tap("✖ Yes, decline")
    decided = world.admin.last_reply
    assert "Declined" in decided.text
    assert "No more nominations are waiting for your decision." in decided.text
    assert "Comment: Too close to <U1-01> & similar." in decided.text
    assert not any(label.startswith("▶ Next") for row in decided.buttons for label, _ in row)
    assert "Too close to <U1-01> & similar." in lead2.last_reply.text
    assert (await _application(world, "P-U1-01")).status == "accepted"
    assert (await _application(world, "P-U1-02")).status == "declined"
    await world.admin.send("/applications")
    assert "• Unit U1: 1 accepted, 1 declined; places used 1 of 2" in world.admin.last_reply.text


async def test_the_full_text_comes_on_request_split_between_sections(world: World):
    await world.import_orgs([("U1", 20)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    # Sections of about 1,800 characters: two fit in a message, three don't.
    for section in TEXT_SECTIONS:
        await lena.send(f"{section.key}：" + "党建引领，" * 360)
        await lena.tap("✓ Done")
    await lena.send("12.5万")
    await lena.tap("Skip ▶")
    await lena.tap("✅ Submit")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    card = sam.last_reply
    before = len(sam.replies())
    await sam.tap("📄 Full text")
    shown = sam.replies()[before:]
    texts, again = [reply.text for reply in shown[:-1]], shown[-1]
    assert len(texts) >= 2 and texts[0].startswith("Application: Project U1-01")
    for part in texts[1:]:
        assert re.match(r"\d+\. ", part), part[:40]  # each part starts with a section
    assert "Project U1-01\nUnit U1 · submitted" in again.text  # the card again, under the text
    assert "⭐ Nominate" in [label for row in again.buttons for label, _ in row]
    old = next(r for r in sam.replies() if r.message_id == card.message_id)
    assert old.buttons == []  # the first card no longer acts


async def test_after_the_deadline_submissions_and_nominations_are_refused_until_extended(
    world: World,
):
    await world.import_orgs([("U1", 10)])
    sam = await world.join("Sam", "secretary", "U1")
    await submitted(world, "P-U1-01", "Lead1")
    late = await world.join("Late", "lead", "P-U1-02")
    await late.send("/apply")
    world.clock.now = datetime(2027, 1, 16, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, 14 h late
    await late.send("/apply")
    refused = "The application deadline passed on 15 Jan 18:00"
    assert refused in late.replies()[-2].text
    assert "Application: Project U1-02 — draft" in late.last_reply.text  # still readable
    assert late.last_reply.buttons == []
    await sam.send("/nominations")
    assert "nominations are closed" in sam.last_reply.text
    await sam.tap("Project U1-01 · submitted")
    assert (await world.tap_answer(sam, "⭐ Nominate")).startswith(refused)

    await late.send("/extend apply 2027-01-20 18:00")
    assert "Only campaign admins" in late.last_reply.text
    # Earlier than the deadline, and past: asked as what it is.
    await world.admin.send("/extend apply 2027-01-14 18:00")
    assert world.admin.last_reply.text.startswith("⚠ 14 Jan 18:00 has already passed")
    await world.admin.tap("⚠ Yes, bring it forward")
    extended, report = world.admin.replies()[-2:]
    assert "is now 14 Jan 18:00" in extended.text and "open again" not in extended.text
    # The one with something left to do (Late's draft; Sam's waiting submission) were told,
    # not Lead1, whose application is with the unit; the admin hears how it went.
    assert report.text == "📣 The announcement is out. People told: 2. Group chats: 0."
    assert "closed early" in late.last_reply.text
    await world.admin.send("/extend apply 2026-11-01 18:00")
    assert "must come after" in world.admin.last_reply.text
    await world.admin.send("/extend apply tomorrow")
    assert "I can't use “tomorrow” as a deadline" in world.admin.last_reply.text
    await world.admin.send("/extend apply 2027-01-20 18:00")
    await world.admin.tap("✅ Move the deadline")
    assert "is now 20 Jan 18:00" in world.admin.replies()[-2].text
    await world.sb.settle()
    assert "The deadline of Application and selection is now 20 Jan 18:00. It is open again" in (
        sam.last_reply.text
    )
    # Each notice leads to what is left to do: the unit's list, the lead's application.
    assert "Closed early" not in sam.last_reply.text
    await sam.tap("📋 Applications waiting", message=sam.last_reply)
    assert "Unit U1: 0 of 1 place used." in sam.last_reply.text
    await late.tap("✍ Continue the application", message=late.last_reply)
    assert "Section 1 of 11" in late.last_reply.text
    await world.restart()  # the extension is kept in SQLite
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    assert await world.tap_answer(sam, "⭐ Nominate") is None


async def test_every_refusal_is_clear_and_changes_nothing(world: World):
    await world.import_orgs([("U1", 10), ("U2", 10)])
    sam = await world.join("Sam", "secretary", "U1")
    rita = await world.join("Rita", "secretary", "U2")
    lead1 = await submitted(world, "P-U1-01", "Lead1")
    lead2 = await world.join("Lead2", "lead", "P-U1-02")
    member = await world.join("Mo", "member", "P-U1-01")
    app1 = await _application(world, "P-U1-01")

    await member.send("/nominations")
    assert "Nominations are made by unit secretaries" in member.last_reply.text
    await member.send("/apply")
    assert "Applications are written by project leads" in member.last_reply.text
    await sam.send("/applications")
    assert "Only campaign admins" in sam.last_reply.text
    await lead1.send("/extend apply 2027-01-20 18:00")
    assert "Only campaign admins" in lead1.last_reply.text

    # Another unit's secretary, with forged buttons naming U1's application.
    await rita.send("/nominations")
    menu = rita.last_reply
    for data in (f"nm:n:{app1.id}", f"nm:a:{app1.id}", f"nm:r:{app1.id}", "nm:l:1:0"):
        assert await world.answer_to(rita, menu, data) == "You are not allowed to do that."
    # The lead of another project, with forged application buttons.
    await lead2.send("/apply")
    menu = lead2.last_reply
    for data in (
        f"ap:v:{app1.id}",
        f"ap:u:{app1.id}",
        f"ap:w:{app1.id}",
        f"ap:o:{app1.project_id}",
    ):
        assert await world.answer_to(lead2, menu, data) == "You are not allowed to do that."
    # A member forging the organiser's buttons.
    for data in (f"sl:y:{app1.id}", f"sl:n:{app1.id}"):
        await member.send("/help")
        answer = await world.answer_to(member, member.last_reply, data)
        assert answer == "You are not allowed to do that."
    # Garbage and stale data.
    own = await _application(world, "P-U1-02")
    for data in (
        f"ap:d:{own.id}:nosuchsection",
        f"ap:zz:{own.id}",
        "nm:n:abc",
        "sl:y",
        "ap:d:999999:foundation",
        f"ap:s:{own.id}:budget",
    ):
        command = {"ap": "apply", "nm": "nominations", "sl": "applications"}[data[:2]]
        assert await world.answer_to(lead2, menu, data) == (
            f"This button is out of date. Send /{command} for a current one."
        )
    assert (await _application(world, "P-U1-01")).status == "submitted"
    assert (
        await world.db.fetch_value(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'application.%'"
            " AND actor_id IN (?, ?, ?)",
            (rita.id, lead2.id, member.id),
        )
        == 1
    )  # only Lead2's own draft being started


async def test_a_section_button_from_earlier_is_stale_once_the_lead_moved_on(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    first_prompt = lena.last_reply
    done = first_prompt.button_data("✓ Done")
    await lena.send("answer one")
    await lena.tap("✓ Done")
    assert first_prompt.buttons == []  # taken off: they no longer act
    await world.restart()  # buttons outlive the process; out-of-date ones stay out of date
    # A copy of the old buttons (another device, a slow client) is told so.
    assert await world.answer_to(lena, first_prompt, done) == (
        "This button is out of date. Send /apply for a current one."
    )
    assert "Section 2 of 11" in lena.last_reply.text


async def test_withdraw_until_the_unit_decides(world: World):
    await world.import_orgs([("U1", 10)])
    sam = await world.join("Sam", "secretary", "U1")
    lead = await submitted(world, "P-U1-01", "Lead1")
    await lead.send("/apply")
    assert "submitted" in lead.last_reply.text
    await lead.tap("↩ Withdraw")
    assert "withdrawn and a draft again" in lead.last_reply.text
    assert "was withdrawn by Lead1" in sam.last_reply.text
    await lead.send("/apply")
    await lead.tap("✅ Submit")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("⭐ Nominate")
    await lead.send("/apply")
    assert "nominated by the unit" in lead.last_reply.text
    assert "↩ Withdraw" not in str(lead.last_reply.buttons)
    app = await _application(world, "P-U1-01")
    assert await world.answer_to(lead, lead.last_reply, f"ap:w:{app.id}") == (
        "It can't be withdrawn now: the unit has already decided on it."
    )


async def test_unnominating_frees_the_place_while_the_stage_is_open(world: World):
    await world.import_orgs([("U1", 10)])
    sam = await world.join("Sam", "secretary", "U1")
    lead1 = await submitted(world, "P-U1-01", "Lead1")
    await submitted(world, "P-U1-02", "Lead2")
    await sam.send("/help")
    assert "/nominations — nominate your unit's applications" in sam.last_reply.text
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("⭐ Nominate")
    await sam.tap("✖ Un-nominate")
    assert "Nomination withdrawn; the place is free again." in sam.last_reply.text
    assert "nomination of Project U1-01 was withdrawn by Sam" in lead1.last_reply.text
    await sam.send("/nominations")
    await sam.tap("Project U1-02 · submitted")
    await sam.tap("⭐ Nominate")
    unnominate = sam.last_reply
    world.clock.now = datetime(2027, 1, 16, tzinfo=UTC)
    answer = await world.tap_answer(sam, "✖ Un-nominate", unnominate)
    assert answer.startswith("The application deadline passed on 15 Jan 18:00")
    assert (await _application(world, "P-U1-02")).status == "nominated"


async def test_buttons_from_before_a_restart_carry_on_the_application(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/help")
    assert "/apply — write your project's application (deadline 15 Jan 2027 18:00)" in (
        lena.last_reply.text
    )
    await lena.send("/apply")
    await lena.send("written before the restart")
    await world.restart()
    await lena.tap("✓ Done")
    assert "Section 2 of 11" in lena.last_reply.text
    await lena.send("written after it")
    await lena.tap("◀ Back")
    assert "written before the restart" in lena.last_reply.text


async def test_an_extension_is_announced_in_bound_groups_too(world: World):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    group = world.sb.group("Branch", creator=sam)
    await world.sb.add_bot(group, by=sam)
    await sam.send("/bind P-U1-01", chat=group)
    await world.admin.send("/extend apply 2027-01-20 18:00")
    await world.admin.tap("✅ Move the deadline")
    await world.sb.settle()
    # The group reads the campaign's default language.
    assert "2027年1月20日 18:00" in world.sb.messages(group)[-1].text


async def test_moving_a_deadline_asks_first_and_can_be_left_alone(world: World):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")  # nothing waiting for him: not told
    lena = await world.join("Lena", "lead", "P-U1-01")  # no application yet: told
    group = world.sb.group("Branch", creator=sam)
    await world.sb.add_bot(group, by=sam)
    await sam.send("/bind P-U1-01", chat=group)
    told_before = (len(sam.replies()), len(lena.replies()))
    await world.admin.send("/extend apply 2027-01-20 18:00")
    question = world.admin.last_reply
    assert question.text == (
        "Move the deadline of Application and selection from 15 Jan 2027 18:00 "
        "to 20 Jan 2027 18:00?\n1 person with something left to do in it and 1 group chats"
        " will be told."
    )
    await world.admin.tap("✖ Cancel")
    assert question.text == "The deadline stays as it was; nobody was told anything."
    assert question.buttons == []
    assert (len(sam.replies()), len(lena.replies())) == told_before
    assert world.runner.core.campaign.stage("apply").deadline.day == 15

    await world.admin.send("/extend apply 2027-01-20 18:00")
    confirm = world.admin.last_reply
    yes = confirm.button_data("✅ Move the deadline")
    await world.admin.tap("✅ Move the deadline", message=confirm)
    # The same tap again (a double tap, or a stale copy of the question) tells nobody twice.
    await world.answer_to(world.admin, confirm, yes)
    await world.sb.settle()
    assert len([r for r in lena.replies() if "20 Jan 2027 18:00" in r.text]) == 1
    assert len(sam.replies()) == told_before[0]
    assert world.runner.core.campaign.stage("apply").deadline.day == 20


async def test_an_acceptance_is_asked_once_more_and_back_changes_nothing(world: World):
    sam, lena = await nominated(world)
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    actions = world.admin.last_reply
    await world.admin.tap("✅ Accept as a candidate")
    question = world.admin.last_reply
    assert question.message_id == actions.message_id  # the same message, turned into it
    assert question.text.startswith("Accept Project U1-01 (Unit U1) as a candidate?")
    assert "can't be undone" in question.text
    told_before = (len(lena.replies()), len(sam.replies()))
    await world.admin.tap("◀ Back")
    assert world.admin.last_reply.text == actions.text
    assert (await _application(world, "P-U1-01")).status == "nominated"
    assert (len(lena.replies()), len(sam.replies())) == told_before
    await world.admin.tap("✅ Accept as a candidate")
    await world.admin.tap("✅ Yes, accept")
    assert "Accepted: Project U1-01" in world.admin.last_reply.text
    yes = BUTTONS.data("accept_yes", (await _application(world, "P-U1-01")).id)
    # A second tap on the same question (two phones, a slow network): told, changed once.
    answer = await world.answer_to(world.admin, world.admin.last_reply, yes)
    assert answer == "This nomination was already decided or withdrawn."
    await world.sb.settle()
    assert sum("was accepted by the campaign admins" in r.text for r in lena.replies()) == 1
