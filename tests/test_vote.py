"""The quick group vote in the reviewers' chat: /bind → 🌐 by an admin, /vote CODE, one standing
ballot per reviewer (changed, withdrawn), counts and never names, paced edits, closing by an
admin, the result kept; refusals, forged and stale buttons, a restart. Through the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from handlers.vote import BUTTONS, EDIT_EVERY, card_cause
from storage import chats, orgs, outbox, votes
from storage.db import Database
from storage.orgs import OrgRow
from tests.conftest import World

ASSESSING = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)  # inside 考核验收 (8 Oct – 15 Nov)
AFTER = datetime(2027, 11, 15, 10, 1, tzinfo=UTC)  # 18:01 in Shanghai, the deadline passed
WIDE = "🌐 Campaign admins and reviewers"
REVIEWERS = ("Rita", "Ron", "Rosa")
# The card is everyone's: in the campaign's language (Simplified Chinese by default).
OPEN_NOTE = "请评审专家点按您的选择"
CLOSED_NOTE = "🔒 活动管理员已结束投票。"


def _counts(recommend: int, undecided: int, not_yet: int) -> str:
    return f"👍 赞成：{recommend} · 🤔 待定：{undecided} · 👎 暂不赞成：{not_yet}"


def _votes_on(world: World, on: bool = True) -> None:
    core = world.runner.core
    core.campaign = replace(core.campaign, assessment=replace(core.campaign.assessment, vote=on))


async def _setup(world: World, reviewers: tuple[str, ...] = REVIEWERS):
    """Two candidates (P-U1-01, P-U2-01), reviewers, U1's secretary and a reviewers' chat that
    holds them all, bound by the admin; the clock inside the assessment."""
    await world.import_orgs([("U1", 2), ("U2", 1)])
    await world.accept("P-U1-01", "P-U2-01")
    people = [await world.join(name, "reviewer") for name in reviewers]
    sam = await world.join("Sam", "secretary", "U1")
    group = world.sb.group("Reviewers", creator=world.admin, members=[*people, sam])
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send("/bind", chat=group)
    await world.admin.tap(WIDE, message=world.sb.messages(group)[-1])
    world.clock.now = ASSESSING
    _votes_on(world)
    return people, sam, group


def _edits_of(world: World, card) -> int:
    return sum(
        1
        for method, params in world.sb.requests
        if method == "editMessageText" and params.get("message_id") == card.message_id
    )


async def _open_card(world: World, group, code: str = "P-U1-01"):
    await world.admin.send(f"/vote {code}", chat=group)
    card = world.sb.messages(group)[-1]
    assert card.text.startswith("🗳 快速投票：Project "), card.text
    return card


async def test_an_admin_binds_the_reviewers_chat_a_secretary_may_not(world: World):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    group = world.sb.group("Reviewers", creator=sam, admins=[world.admin])
    await world.sb.add_bot(group, by=sam)
    # A secretary is offered their unit's projects, not the campaign-wide choice…
    await sam.send("/bind", chat=group)
    offer = world.sb.messages(group)[-1]
    assert offer.button_data(WIDE) is None
    # …and a forged one is refused, saying who can.
    answer = await world.answer_to(sam, offer, "bd:C")
    assert answer == (
        "Only a campaign admin can make a group the reviewers' chat, or link or unlink it once"
        " it is one."
    )
    assert await chats.campaign_chat(world.db, group.id) is None
    await world.admin.send("/bind", chat=group)
    await world.admin.tap(WIDE, message=world.sb.messages(group)[-1])
    bound = world.sb.messages(group)[-1].text
    assert bound.startswith("This group is now the reviewers' chat, for the campaign admins")
    assert "/vote" in bound
    assert (await chats.campaign_chat(world.db, group.id)).bound_by == world.admin.id
    assert await chats.binding(world.db, group.id) is None  # no unit's: no unit's notices
    # The secretary can neither take it over for their unit nor unlink it.
    await sam.send("/bind P-U1-01", chat=group)
    assert world.sb.messages(group)[-1].text.startswith("Only a campaign admin can make")
    await sam.send("/unbind", chat=group)
    assert world.sb.messages(group)[-1].text.startswith("Only a campaign admin can make")
    assert await chats.campaign_chat(world.db, group.id) is not None
    # An upgrade to a supergroup keeps it the reviewers' chat.
    group = await world.sb.upgrade(group)
    assert (await chats.campaign_chat(world.db, group.id)).bound_by == world.admin.id
    await world.admin.send("/unbind", chat=group)
    assert world.sb.messages(group)[-1].text == "This group is no longer linked to anything."
    assert await chats.campaign_chat(world.db, group.id) is None


async def test_vote_works_only_where_and_when_the_campaign_uses_it(world: World):
    (rita, *_), sam, group = await _setup(world)
    _votes_on(world, False)
    await world.admin.send("/vote P-U1-01", chat=group)
    assert world.sb.messages(group)[-1].text.startswith(
        "This campaign does not use the quick group vote"
    )
    _votes_on(world)
    await rita.send("/vote P-U1-01", chat=group)
    assert world.sb.messages(group)[-1].text == "Only campaign admins can open or close a vote."
    await world.admin.send("/vote P-U1-01")
    assert world.admin.last_reply.text.startswith("/vote works in the reviewers' chat only")
    unit_group = world.sb.group("Unit U1", creator=sam, admins=[world.admin])
    await world.sb.add_bot(unit_group, by=sam)
    await sam.send("/bind U1", chat=unit_group)
    await world.admin.send("/vote P-U1-01", chat=unit_group)
    assert world.sb.messages(unit_group)[-1].text.startswith("/vote works in the reviewers'")
    await world.admin.send("/vote P-U1-02", chat=group)  # a project, not a candidate
    assert world.sb.messages(group)[-1].text.startswith("No candidate has the code P-U1-02")
    await world.admin.send("/vote", chat=group)
    assert world.sb.messages(group)[-1].text.startswith("Send /vote and a candidate's")
    world.clock.now = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # cultivation, before 考核验收
    await world.admin.send("/vote P-U1-01", chat=group)
    assert world.sb.messages(group)[-1].text == (
        "Votes are held during Assessment and acceptance, which opens on 8 Oct 09:00."
    )
    assert await world.db.fetch_value("SELECT COUNT(*) FROM votes") == 0


async def test_one_standing_ballot_per_reviewer_counts_never_names(world: World):
    (rita, ron, rosa), sam, group = await _setup(world)
    card = await _open_card(world, group)
    assert "Project U1-01（P-U1-01）· Unit U1" in card.text
    assert "○ 创建工作总结：尚未提交" in card.text and "○ 成果报告：尚未提交" in card.text
    assert _counts(0, 0, 0) in card.text and OPEN_NOTE in card.text
    assert await world.tap_answer(rita, "👍 赞成", message=card) == (
        "Counted: 👍 Recommend. Tap it again to withdraw it."  # in the tapper's language
    )
    await world.tap_answer(ron, "👍 赞成", message=card)
    await world.tap_answer(rosa, "🤔 待定", message=card)
    await world.tap_answer(ron, "👎 暂不赞成", message=card)  # changed: moves, not added
    world.advance(seconds=EDIT_EVERY)
    await world.sb.settle()
    assert _counts(1, 1, 1) in card.text
    answer = await world.tap_answer(rosa, "🤔 待定", message=card)  # again: withdrawn
    assert answer == "Withdrawn: your vote no longer counts."
    world.advance(seconds=EDIT_EVERY)
    await world.sb.settle()
    assert _counts(1, 0, 1) in card.text
    for person in (rita, ron, rosa, sam, world.admin):
        assert person.first_name not in card.text
    # Not reviewers: a secretary and an admin who is not one are refused; nothing changes.
    for person in (sam, world.admin):
        answer = await world.tap_answer(person, "👍 赞成", message=card)
        assert answer == "Only reviewers vote here: your tap was not counted."
    vote = await votes.open_on(world.db, await _project(world, "P-U1-01"))
    assert (await votes.tally(world.db, [vote.id]))[vote.id] == {
        "recommend": 1,
        "undecided": 0,
        "not_yet": 1,
    }


async def _project(world: World, code: str) -> int:
    return await world.db.fetch_value("SELECT id FROM projects WHERE code = ?", (code,))


async def test_a_burst_of_taps_is_a_few_edits_the_last_showing_the_last_counts(world: World):
    reviewers, _, group = await _setup(world, ("Rita", "Ron", "Rosa", "Rex", "Ria"))
    card = await _open_card(world, group)
    for person in reviewers:  # within a moment: the first edit goes, the others wait for it
        await person.tap("👍 赞成", message=card)
    assert _edits_of(world, card) == 1
    assert _counts(1, 0, 0) in card.text
    for person in reviewers[:2]:
        await person.tap("👎 暂不赞成", message=card)
    assert _edits_of(world, card) == 1
    world.advance(seconds=EDIT_EVERY - 1)
    await world.sb.settle()
    assert _edits_of(world, card) == 1  # not its turn yet
    world.advance(seconds=1)
    await world.sb.settle()
    assert _edits_of(world, card) == 2  # one edit for six taps after the first
    assert _counts(3, 0, 2) in card.text
    world.advance(seconds=EDIT_EVERY * 5)  # nothing changed since: no further edit
    await world.sb.settle()
    assert _edits_of(world, card) == 2
    await reviewers[4].tap("👍 赞成", message=card)  # withdrawn, long after: at once
    assert _edits_of(world, card) == 3 and _counts(2, 0, 2) in card.text


async def test_an_admin_closes_the_vote_after_confirming_and_the_result_is_kept(world: World):
    (rita, ron, _), _, group = await _setup(world)
    project_id = await _project(world, "P-U1-01")
    card = await _open_card(world, group)
    await rita.tap("👍 赞成", message=card)
    world.advance(seconds=EDIT_EVERY)
    await ron.tap("🤔 待定", message=card)
    answer = await world.tap_answer(rita, "🔒 结束投票", message=card)
    assert answer == "Only campaign admins can open or close a vote."
    answer = await world.tap_answer(world.admin, "🔒 结束投票", message=card)
    assert answer == "Close the vote? Tap ✅ on the card to close it, ✖ to keep it open."
    assert card.button_data("✅ 确认结束") and card.button_data("👍 赞成")
    # Everyone sees the question; only an admin's ✅ closes.
    answer = await world.tap_answer(rita, "✅ 确认结束", message=card)
    assert answer == "Only campaign admins can open or close a vote."
    await world.admin.tap("✖ 继续投票", message=card)
    assert card.button_data("🔒 结束投票") and not card.button_data("✅ 确认结束")
    assert not await votes.results(world.db, [project_id])  # still open
    await world.admin.tap("🔒 结束投票", message=card)
    confirm = card.button_data("✅ 确认结束")
    answer = await world.tap_answer(world.admin, "✅ 确认结束", message=card)
    assert answer == "🔒 Closed: 👍 Recommend: 1 · 🤔 Undecided: 1 · 👎 Not yet: 0"
    assert CLOSED_NOTE in card.text and _counts(1, 1, 0) in card.text
    assert card.buttons == []
    # Taps on the closed card (its old buttons) and a second ✅ change nothing.
    vote = (await votes.of_projects(world.db, [project_id]))[project_id][0]
    cast = BUTTONS.data("cast", vote.id, "not_yet")
    assert await world.answer_to(ron, card, cast) == "This vote is closed: taps no longer count."
    assert await world.answer_to(world.admin, card, confirm) == (
        "This vote is closed: taps no longer count."
    )
    result = (await votes.results(world.db, [project_id]))[project_id]
    assert result.vote.id == vote.id and result.vote.closed_by == world.admin.id
    assert result.counts == {"recommend": 1, "undecided": 1, "not_yet": 0}
    # A new vote on the same candidate may open; the kept result stays the closed one.
    card2 = await _open_card(world, group)
    assert card2.message_id != card.message_id and _counts(0, 0, 0) in card2.text
    await ron.tap("👎 暂不赞成", message=card2)
    assert (await votes.results(world.db, [project_id]))[project_id].vote.id == vote.id
    # /vote close CODE does what ✅ does.
    await world.admin.send("/vote close P-U1-01", chat=group)
    assert world.sb.messages(group)[-1].text == (
        "🔒 The vote on Project U1-01 is closed: 👍 Recommend: 0 · 🤔 Undecided: 0 · 👎 Not yet: 1"
    )
    assert CLOSED_NOTE in card2.text and _counts(0, 0, 1) in card2.text and not card2.buttons
    assert (await votes.results(world.db, [project_id]))[project_id].counts["not_yet"] == 1
    await world.admin.send("/vote close P-U1-01", chat=group)
    assert world.sb.messages(group)[-1].text == "No vote on Project U1-01 is open."


async def test_a_second_vote_points_to_the_open_card(world: World):
    _, _, group = await _setup(world)
    card = await _open_card(world, group)
    await world.admin.send("/vote P-U1-01", chat=group)
    pointer = world.sb.messages(group)[-1]
    assert pointer.text.startswith("A vote on Project U1-01 is open already: its card is in this")
    sent = [p for m, p in world.sb.requests if m == "sendMessage" and p.get("chat_id") == group.id]
    assert str(card.message_id) in str(sent[-1]["reply_parameters"])  # it answers the card
    assert await world.db.fetch_value("SELECT COUNT(*) FROM votes") == 1
    cards = [m for m in world.sb.messages(group) if m.text.startswith("🗳 ")]
    assert cards == [card]


async def test_forged_stale_and_late_taps_change_nothing(world: World):
    (rita, ron, _), _, group = await _setup(world)
    card = await _open_card(world, group)
    vote = await votes.open_on(world.db, await _project(world, "P-U1-01"))
    stale = "This button is out of date. Send /vote for a current one."
    assert await world.answer_to(rita, card, f"vt:c:{vote.id}:maybe") == stale
    assert await world.answer_to(rita, card, BUTTONS.data("cast", 999, "recommend")) == stale
    assert await world.answer_to(rita, card, "vt:c:x:recommend") == stale
    # The same vote's button, forged in another group the bot is in.
    other = world.sb.group("Elsewhere", creator=world.admin, members=[rita])
    await world.sb.add_bot(other, by=world.admin)
    note = world.sb.messages(other)[-1]
    forged = BUTTONS.data("cast", vote.id, "recommend")
    assert await world.answer_to(rita, note, forged) == stale
    # After the stage closed: no ballot counts, no vote opens; an admin may still close.
    await ron.tap("👍 赞成", message=card)
    world.clock.now = AFTER
    answer = await world.tap_answer(rita, "👍 赞成", message=card)
    assert (
        answer == "Assessment and acceptance closed on 15 Nov 18:00: votes no longer open or count."
    )
    await world.admin.send("/vote P-U2-01", chat=group)
    assert world.sb.messages(group)[-1].text.startswith("Assessment and acceptance closed on")
    assert (await votes.tally(world.db, [vote.id]))[vote.id]["recommend"] == 1
    await world.admin.tap("🔒 结束投票", message=card)
    await world.admin.tap("✅ 确认结束", message=card)
    assert CLOSED_NOTE in card.text and _counts(1, 0, 0) in card.text


async def test_a_restart_keeps_the_ballots_and_the_card_works(world: World):
    (rita, ron, _), _, group = await _setup(world)
    card = await _open_card(world, group)
    await rita.tap("👍 赞成", message=card)
    await ron.tap("🤔 待定", message=card)
    await world.restart()
    answer = await world.tap_answer(rita, "👍 赞成", message=card)  # hers, remembered: withdrawn
    assert answer == "Withdrawn: your vote no longer counts."
    world.advance(seconds=EDIT_EVERY)
    await world.sb.settle()
    assert _counts(0, 1, 0) in card.text
    vote = await votes.open_on(world.db, await _project(world, "P-U1-01"))
    assert await votes.ballot_of(world.db, vote.id, ron.id) is not None


async def test_the_card_goes_once_through_the_outbox(world: World):
    """Written with the vote in one transaction, under a cause naming the vote: a crash after
    the commit still sends it (the outbox's own guarantee), and a second /vote, or the same
    one redelivered, finds the vote open and writes no second card."""
    _, _, group = await _setup(world)
    world.sb.hold("sendMessage")
    await world.admin.send("/vote P-U1-01", chat=group, wait=False)
    await world.sb.wait_held()
    # The card hangs in the network: the vote and its card row are committed already.
    [vote] = (await votes.of_projects(world.db, [await _project(world, "P-U1-01")])).values()
    [row] = await outbox.rows_of(world.db, str(card_cause(vote[0].id)))
    assert row.state == "sending" and row.chat_id == group.id
    world.sb.release("sendMessage")
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    await world.admin.send("/vote P-U1-01", chat=group)
    [row] = await outbox.rows_of(world.db, str(card_cause(vote[0].id)))
    assert row.state == "sent" and row.payload["text"].startswith("🗳 <b>")
    cards = [m for m in world.sb.messages(group) if m.text.startswith("🗳 ")]
    assert cards == [card]


async def test_edit_turns_and_results_in_storage(tmp_path):
    db = await Database.open(tmp_path / "votes.db")
    try:
        async with db.transaction(ASSESSING) as tx:
            await orgs.import_rows(
                tx,
                [
                    OrgRow(2, "U1", "Unit one", "P1", "One"),
                    OrgRow(3, "U1", "Unit one", "P2", "Two"),
                ],
                None,
            )
        ids = {
            row["code"]: row["id"] for row in await db.fetch_all("SELECT code, id FROM projects")
        }
        every = timedelta(seconds=3)

        async def turn(at: datetime, vote_id: int) -> datetime:
            async with db.transaction(at) as tx:
                return await votes.edit_turn(tx, vote_id, every)

        async with db.transaction(ASSESSING) as tx:
            one = await votes.open_vote(tx, ids["P1"], -100, by=1)
        t0 = ASSESSING
        assert await turn(t0, one.id) == t0  # the first edit: at once
        assert await turn(t0 + timedelta(seconds=1), one.id) == t0 + every  # waits its turn
        assert await turn(t0 + timedelta(seconds=2), one.id) == t0 + every  # the same edit
        assert await turn(t0 + timedelta(seconds=4), one.id) == t0 + 2 * every
        assert await turn(t0 + timedelta(seconds=60), one.id) == t0 + timedelta(seconds=60)
        # Results: each candidate's latest closed vote, with its counts; open ones don't count.
        async with db.transaction(t0) as tx:
            await votes.cast(tx, one.id, 11, "recommend")
            await votes.close(tx, one.id, by=1)
            two = await votes.open_vote(tx, ids["P1"], -100, by=1)
            await votes.cast(tx, two.id, 11, "not_yet")
            await votes.cast(tx, two.id, 12, "not_yet")
            await votes.close(tx, two.id, by=1)
            three = await votes.open_vote(tx, ids["P1"], -100, by=1)
            await votes.cast(tx, three.id, 11, "undecided")
            other = await votes.open_vote(tx, ids["P2"], -100, by=1)
        found = await votes.results(db, [ids["P1"], ids["P2"]])
        assert list(found) == [ids["P1"]] and found[ids["P1"]].vote.id == two.id
        assert found[ids["P1"]].counts == {"recommend": 0, "undecided": 0, "not_yet": 2}
        assert other.is_open and await votes.results(db, []) == {}
    finally:
        await db.close()


async def test_a_forum_topic_as_the_reviewers_chat(world: World):
    await world.import_orgs([("U1", 1)])
    await world.accept()
    rita = await world.join("Rita", "reviewer")
    forum = world.sb.supergroup("Committee", creator=world.admin, forum=True, members=[rita])
    await world.sb.add_bot(forum, by=world.admin)
    topic = await world.sb.create_topic(forum, "Votes", by=world.admin)
    await world.admin.send("/bind", chat=forum, thread_id=topic)
    await world.admin.tap(WIDE, message=world.sb.messages(forum, thread_id=topic)[-1])
    bound = world.sb.messages(forum, thread_id=topic)[-1].text
    assert bound.startswith("This topic is now the reviewers' chat")
    world.clock.now = ASSESSING
    _votes_on(world)
    await world.admin.send("/vote P-U1-01", chat=forum)  # the forum's general chat: not bound
    assert world.sb.messages(forum)[-1].text.startswith("/vote works in the reviewers' chat")
    await world.admin.send("/vote P-U1-01", chat=forum, thread_id=topic)
    card = world.sb.messages(forum, thread_id=topic)[-1]
    assert card.text.startswith("🗳 快速投票：Project U1-01")
    await rita.tap("👍 赞成", message=card)
    assert _counts(1, 0, 0) in card.text and card.thread_id == topic


async def test_a_tap_whose_edit_was_lost_shows_after_a_restart(world: World):
    """The edit is written with the ballot: an edit that never reached Telegram (the network,
    or the process dying) goes again, after a restart too."""
    (rita, *_), _, group = await _setup(world)
    card = await _open_card(world, group)
    world.sb.faults.error("editMessageText", 502, chat_id=group.id, times=1)
    assert await world.tap_answer(rita, "👍 赞成", message=card) == (
        "Counted: 👍 Recommend. Tap it again to withdraw it."
    )
    assert _counts(0, 0, 0) in card.text  # the edit failed: retried later
    await world.restart()
    world.advance(seconds=2)
    await world.sb.settle()
    assert _counts(1, 0, 0) in card.text
