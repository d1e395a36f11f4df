"""Recusal in stage 3: a reviewer withdraws from a candidate with a reason (🙅 on the card, or
/recuse CODE reason), after a confirmation; the admins are told once and can assign another
reviewer; a recused review never counts. The reviewers' menu. Through the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from handlers import recuse
from storage import reviews
from tests.conftest import World

ASSESSING = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)  # inside 考核验收 (8 Oct – 15 Nov)
AFTER = datetime(2027, 11, 15, 10, 1, tzinfo=UTC)  # 18:01 in Shanghai, 考核验收 closed
UNIT_REASON = "🏢 I work in or with this unit"
YES = "✅ Yes, recuse me"


def per_candidate(world: World, n: int) -> None:
    core = world.runner.core
    core.campaign = replace(
        core.campaign, assessment=replace(core.campaign.assessment, reviewers_per_candidate=n)
    )


async def reviewing(world: World, units: list[tuple[str, int]], names: list[str], n: int):
    """The units' projects, every one a candidate; reviewers by these names; n per candidate.
    Returns the reviewers and the project ids by code. Nothing assigned yet."""
    await world.import_orgs(units)
    await world.accept()
    people = [await world.join(name, "reviewer") for name in names]
    per_candidate(world, n)
    rows = await world.db.fetch_all("SELECT code, id FROM projects")
    return people, {row["code"]: row["id"] for row in rows}


async def assign(world: World, *pairs: tuple[object, int]) -> dict[tuple[int, int], int]:
    """These (reviewer, project id) reviews, as /assign writes them; their ids."""
    wanted = [(user.id, project_id) for user, project_id in pairs]
    async with world.db.transaction(world.clock.now) as tx:
        await reviews.assign(tx, wanted, by=world.admin.id)
    found = {}
    for reviewer_id, project_id in wanted:
        found[reviewer_id, project_id] = (await reviews.of(world.db, reviewer_id, project_id)).id
    return found


def notices_to(world: World, user, text: str) -> list:
    return [m for m in world.sb.messages(user.id) if text in m.text]


async def _state(world: World, review_id: int) -> reviews.Review:
    return await reviews.get(world.db, review_id)


async def test_recusal_by_the_cards_button_tells_every_admin_once_who_reassigns(world: World):
    [rita, ron, vic], ids = await reviewing(world, [("U1", 1)], ["Rita", "Ron", "Vic"], 2)
    project = ids["P-U1-01"]
    abe = await world.join("Abe", "admin")  # an invited admin, besides the configured one
    await assign(world, (rita, project), (ron, project))
    world.clock.now = ASSESSING
    review_id = (await reviews.of(world.db, rita.id, project)).id
    card = rita.last_reply  # stands for the scoring card, whose 🙅 is recuse.button()
    data = recuse.BUTTONS.data("ask", review_id)
    assert await world.answer_to(rita, card, data) is None
    ask = rita.last_reply
    assert ask is not card and ask.text.startswith(
        "🙅 Recuse yourself from Project U1-01 (Unit U1)? Tell the admins why"
    )
    assert [row[0][0] for row in ask.buttons] == [
        UNIT_REASON,
        "⚖ Another conflict of interest",
        "✍ Type a reason",
        "✖ Cancel",
    ]
    await rita.tap(UNIT_REASON, message=ask)
    assert ask.text.startswith("Recuse yourself from Project U1-01 (Unit U1) with this reason?")
    assert "I work in or with this candidate's unit." in ask.text
    assert "It can't be undone" in ask.text
    assert (await _state(world, review_id)).state == reviews.ASSIGNED  # not before ✅
    yes = ask.button_data(YES)
    await rita.tap(YES, message=ask)
    assert ask.text.startswith("🙅 You recused yourself from Project U1-01 (Unit U1).")
    recused = await _state(world, review_id)
    assert recused.state == reviews.RECUSED
    assert recused.recuse_reason == "本人在该创建项目所在单位任职或与其有工作往来。"  # zh-Hans
    # A double tap recuses nothing more and tells nobody again.
    answer = await world.answer_to(rita, ask, yes)
    assert answer == "You have already recused yourself from Project U1-01: nothing more to do."
    await world.sb.settle()
    for admin in (world.admin, abe):
        [notice] = notices_to(world, admin, "recused themselves")
        assert notice.text.startswith("🙅 Rita recused themselves from Project U1-01 (Unit U1).")
        assert "I work in or with this candidate's unit." in notice.text
        assert "It has 1 reviewer left of the 2 it should have" in notice.text
        labels = [row[0][0] for row in notice.buttons]
        assert labels == ["👥 Assign another reviewer", "📊 Review progress"]
    assert not notices_to(world, rita, "recused themselves")
    count = await world.db.fetch_value(
        "SELECT COUNT(*) FROM outbox WHERE cause = ?", (f"recuse:{review_id}",)
    )
    assert count == 2
    # 👥 runs the /assign preview: the candidate gets Vic, never Rita again.
    [notice] = notices_to(world, world.admin, "recused themselves")
    await world.admin.tap("👥 Assign another reviewer", message=notice)
    preview = world.admin.last_reply
    assert preview is not notice and "To add: 1 pair (reviewer and candidate)." in preview.text
    await world.admin.tap("✅ Confirm", message=preview)
    assert preview.text.startswith("✅ Assigned: 1 pair added.")
    kept, barred = await reviews.pairs(world.db)
    assert kept == {(ron.id, project), (vic.id, project)}
    assert barred == {(rita.id, project)}
    # A reviewer's tap on 👥 is refused.
    answer = await world.answer_to(rita, ask, recuse.BUTTONS.data("reassign"))
    assert answer == "You are not allowed to do that."


async def test_a_typed_reason_expires_cancel_leaves_it_and_retyping_changes_it(world: World):
    [rita], ids = await reviewing(world, [("U1", 1)], ["Rita"], 1)
    [review_id] = (await assign(world, (rita, ids["P-U1-01"]))).values()
    world.clock.now = ASSESSING
    await rita.send("/recuse p-u1-01")  # no reason: asked for one, with the one-tap reasons
    ask = rita.last_reply
    assert ask.text.startswith("🙅 Recuse yourself from Project U1-01 (Unit U1)?")
    await rita.tap("✍ Type a reason", message=ask)
    assert ask.text.startswith("✍ Type your reason for recusing from Project U1-01")
    await rita.send("/cancel")
    assert rita.last_reply.text.startswith("Stopped.")
    await rita.send("My brother leads it")  # no longer asked: not taken
    assert "Recuse yourself" not in rita.last_reply.text
    await rita.send("/recuse P-U1-01")
    await rita.tap("✍ Type a reason")
    world.clock.advance(minutes=31)
    await rita.send("My brother leads it")
    assert rita.last_reply.text.startswith("That question expired after 30 minutes")
    await rita.send("/recuse P-U1-01")
    await rita.tap("✍ Type a reason")
    await rita.send("My cousin leads it")
    await rita.send("My brother leads it, in fact")  # typed again: the new reason
    confirm = rita.last_reply
    assert "<blockquote>My brother leads it, in fact</blockquote>" in confirm.html
    assert "(Type the reason again to change it.)" in confirm.text
    assert (await _state(world, review_id)).state == reviews.ASSIGNED
    await rita.tap(YES, message=confirm)
    assert confirm.text.startswith("🙅 You recused yourself from Project U1-01 (Unit U1).")
    assert (await _state(world, review_id)).recuse_reason == "My brother leads it, in fact"
    await world.sb.settle()
    [notice] = notices_to(world, world.admin, "recused themselves")
    assert "<blockquote>My brother leads it, in fact</blockquote>" in notice.html
    await rita.send("Anything else")  # the flow ended with the recusal
    assert not rita.last_reply.text.startswith("Recuse yourself")


async def test_recuse_by_command_before_the_stage_opens_and_its_refusals(world: World):
    [rita, ron], ids = await reviewing(world, [("U1", 2)], ["Rita", "Ron"], 1)
    found = await assign(world, (rita, ids["P-U1-01"]), (ron, ids["P-U1-01"]))
    review_id = found[rita.id, ids["P-U1-01"]]
    await world.admin.send("/recuse P-U1-01 why")
    assert world.admin.last_reply.text == "Only reviewers can recuse themselves from a candidate."
    await rita.send("/recuse")
    assert rita.last_reply.text.startswith("To recuse yourself from a candidate, send /recuse")
    await rita.send("/recuse NOPE why")
    assert rita.last_reply.text.startswith("No project has the code NOPE.")
    await rita.send("/recuse P-U1-02 why")
    assert rita.last_reply.text == (
        "You don't review P-U1-02: you can only recuse yourself from a candidate assigned to you."
    )
    # Before 考核验收 opens (the clock is in 申报遴选): a conflict seen early is taken.
    await rita.send("/recuse P-U1-01 I was its project manager\nuntil last year")
    confirm = rita.last_reply
    assert confirm.text.startswith("Recuse yourself from Project U1-01 (Unit U1) with this")
    assert "I was its project manager\nuntil last year" in confirm.text
    await rita.tap(YES, message=confirm)
    recused = await _state(world, review_id)
    assert recused.state == reviews.RECUSED
    assert recused.recuse_reason == "I was its project manager\nuntil last year"
    await rita.send("/recuse P-U1-01 again")
    assert rita.last_reply.text == (
        "You have already recused yourself from Project U1-01: nothing more to do."
    )
    group = world.sb.group("Reviewers", creator=world.admin, members=[rita])
    await world.sb.add_bot(group, by=world.admin)
    await rita.send("/recuse P-U1-01 why", chat=group)
    assert world.sb.messages(group)[-1].text == (
        "/recuse works in our private chat: tap below to open it."
    )
    # After the close: neither the command nor a button recuses.
    world.clock.now = AFTER
    await ron.send("/recuse P-U1-01 too late")
    closed = "Assessment and acceptance closed on 15 Nov 18:00: recusals are no longer taken."
    assert ron.last_reply.text == closed
    ron_review = found[ron.id, ids["P-U1-01"]]
    answer = await world.answer_to(ron, ron.last_reply, recuse.BUTTONS.data("ask", ron_review))
    assert answer == closed
    assert (await _state(world, ron_review)).state == reviews.ASSIGNED


async def test_forged_stale_and_others_buttons_change_nothing(world: World):
    [rita, ron], ids = await reviewing(world, [("U1", 1)], ["Rita", "Ron"], 2)
    found = await assign(world, (rita, ids["P-U1-01"]), (ron, ids["P-U1-01"]))
    rita_review, ron_review = found[rita.id, ids["P-U1-01"]], found[ron.id, ids["P-U1-01"]]
    world.clock.now = ASSESSING
    await rita.send("/recuse P-U1-01")
    ask = rita.last_reply
    stale = "This button is out of date. Send /review for a current one."
    data = recuse.BUTTONS.data
    assert await world.answer_to(rita, ask, data("ask", 999_999)) == stale  # no such review
    assert await world.answer_to(rita, ask, f"rc:r:{rita_review}:bogus") == stale
    assert await world.answer_to(rita, ask, "rc:y:x:unit") == stale
    answer = await world.answer_to(ron, ron.last_reply, data("yes", rita_review, "unit"))
    assert answer == "You are not allowed to do that."
    # ✅ for a typed reason that was never typed: nothing is waiting.
    answer = await world.answer_to(rita, ask, data("yes", rita_review, "typed"))
    assert answer.startswith("Nothing is waiting to be confirmed.")
    # ✖ Cancel: nothing changes, and the question says so.
    await rita.tap("✖ Cancel", message=ask)
    assert ask.text == "Nothing changed: you still review Project U1-01."
    # In a group (the reviewers' chat), the button acts nowhere: out of date.
    group = world.sb.group("Reviewers", creator=world.admin, members=[rita])
    await world.sb.add_bot(group, by=world.admin)
    await rita.send("/recuse P-U1-01 why", chat=group)
    in_group = world.sb.messages(group)[-1]
    assert await world.answer_to(rita, in_group, data("ask", rita_review)) == stale
    states = {(await _state(world, i)).state for i in (rita_review, ron_review)}
    assert states == {reviews.ASSIGNED}
    assert not await world.db.fetch_value("SELECT COUNT(*) FROM outbox WHERE cause LIKE 'recuse:%'")


async def test_a_recused_review_never_counts_its_draft_nor_its_submission(world: World):
    [rita, ron], ids = await reviewing(world, [("U1", 1)], ["Rita", "Ron"], 2)
    project = ids["P-U1-01"]
    found = await assign(world, (rita, project), (ron, project))
    world.clock.now = ASSESSING
    criteria = [c.key for c in world.runner.core.campaign.criteria]
    async with world.db.transaction(world.clock.now) as tx:
        for review_id in found.values():
            for key in criteria:
                await reviews.set_score(tx, review_id, key, 8)
        await reviews.submit(tx, found[rita.id, project], criteria, by=rita.id)
    [(counted, _)] = await reviews.submitted_reviews(world.db)
    assert counted.reviewer_id == rita.id
    await rita.send("/recuse P-U1-01 Conflict found after scoring")
    await rita.tap(YES)
    await ron.send("/recuse P-U1-01 Conflict found while scoring")  # a draft, not submitted
    await ron.tap(YES)
    assert await reviews.submitted_reviews(world.db) == []
    for review_id in found.values():
        assert (await reviews.get(world.db, review_id)).counts is False
        async with world.db.transaction(world.clock.now) as tx:
            assert not await reviews.set_score(tx, review_id, criteria[0], 3)
            assert await reviews.submit(tx, review_id, criteria, by=rita.id) is None


async def test_with_zero_per_candidate_a_reviewer_recuses_with_no_assign_step(world: World):
    [rita], ids = await reviewing(world, [("U1", 1)], ["Rita"], 0)
    world.clock.now = ASSESSING
    assert await reviews.of(world.db, rita.id, ids["P-U1-01"]) is None
    await rita.send("/recuse P-U1-01 I audit this unit")
    await rita.tap(YES)
    review = await reviews.of(world.db, rita.id, ids["P-U1-01"])
    assert review.state == reviews.RECUSED
    await world.sb.settle()
    [notice] = notices_to(world, world.admin, "recused themselves")
    assert "It has 0 reviewers left." in notice.text


async def test_reviewers_get_their_own_menu_and_help_and_admins_review_in_their_menu(world: World):
    await world.admin.send("/start")
    rita = await world.join("Rita", "reviewer")
    menu = dict(world.sb.commands("chat", chat_id=rita.id))
    assert menu["review"] == "Score your candidates (admins: the reviews' progress)"
    assert menu["recuse"] == "Recuse yourself from a candidate"
    assert "assign" not in menu and "apply" not in menu
    await rita.send("/help")
    assert "/recuse CODE reason — recuse yourself from a candidate" in rita.last_reply.text
    assert "review" in dict(world.sb.commands("chat", chat_id=world.admin.id))
    hans = await world.join("Han", "reviewer", language_code="zh-hans")
    menu = dict(world.sb.commands("chat", chat_id=hans.id))
    assert menu["review"] == "为创建项目评分（活动管理员：查看评审进度）"
