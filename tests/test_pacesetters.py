"""/select: the admins choose the pacesetters from the ranking (top N, toggles, or by codes),
confirm after seeing who is in, who is out and the flagged among those in; each candidate's
leads, unit secretaries and groups are told once, in their language, never a score or a rank;
a change tells only those whose outcome changed; refused after the assessment closes and to
anyone but an admin. The assessment's closing summary to the admins. Through the sandbox."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace

from bot import ranking
from handlers import pacesetters as select
from storage import pacesetters, reviews, roles
from tests.conftest import World
from tests.test_recuse import AFTER, ASSESSING, assign

CONFIRM = "✅ Confirm the pacesetters"
REVIEW = "➡ Review and confirm"
# The five candidates, best first: every reviewer gives each the same on every criterion.
VALUES = {"P-U1-01": 9, "P-U1-02": 8, "P-U1-03": 7, "P-U2-01": 6, "P-U2-02": 5}
# What a notice about the ranking would hold; none of it reaches candidates' people or groups.
RANKING_WORDS = re.compile(r"No\. \d|rank|score|第\d+名|排名|分数|分數|\d+\.\d")


async def _submit(world: World, review_id: int, by: int, value: int) -> None:
    criteria = [c.key for c in world.runner.core.campaign.criteria]
    async with world.db.transaction(world.clock.now) as tx:
        for key in criteria:
            await reviews.set_score(tx, review_id, key, value)
        await reviews.submit(tx, review_id, criteria, by=by)


async def _bound(world: World, title: str, code: str):
    group = world.sb.group(title, creator=world.admin)
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send(f"/bind {code}", chat=group)
    return group


async def _assessed(world: World):
    """Five candidates scored by three reviewers; Lena (zh-Hans) leads P-U1-01, Sam (en) is
    U1's secretary, Leo (en) leads P-U2-01 and is U2's secretary too; P-U1-01's group and U2's
    group are bound. The clock inside the assessment."""
    await world.import_orgs([("U1", 3), ("U2", 2)])
    await world.accept()
    lena = await world.join("Lena", "lead", "P-U1-01", language_code="zh-hans")
    sam = await world.join("Sam", "secretary", "U1")
    leo = await world.join("Leo", "lead", "P-U2-01")
    ids = {r["code"]: r["id"] for r in await world.db.fetch_all("SELECT code, id FROM projects")}
    unit_two = await world.db.fetch_value("SELECT id FROM units WHERE code = 'U2'")
    async with world.db.transaction(world.clock.now) as tx:
        await roles.grant(tx, leo.id, "secretary", unit_id=unit_two, granted_by=world.admin.id)
    project_chat = await _bound(world, "P-U1-01 branch", "P-U1-01")
    unit_chat = await _bound(world, "U2 Party organisation", "U2")
    people = [await world.join(name, "reviewer") for name in ("Rita", "Ron", "Vic")]
    found = await assign(world, *[(p, project) for p in people for project in ids.values()])
    world.clock.now = ASSESSING
    for (reviewer_id, project_id), review_id in found.items():
        code = next(c for c, i in ids.items() if i == project_id)
        await _submit(world, review_id, reviewer_id, VALUES[code])
    await world.sb.settle()
    return {"lena": lena, "sam": sam, "leo": leo}, project_chat, unit_chat, ids


def _told(world: World, chat) -> list:
    """The bot's notices about the pacesetters in a chat (a person or a group)."""
    words = ("pacesetter", "标杆", "標桿")
    return [m for m in world.sb.messages(chat.id) if any(w in m.text for w in words)]


def _no_ranking_anywhere(world: World, *chats) -> None:
    for chat in chats:
        for message in world.sb.messages(chat.id):
            assert not RANKING_WORDS.search(message.text), message.text


def _flag(monkeypatch, code: str, *flags: str) -> None:
    """The ranking as it is, with these flags on one candidate (the numbers are another
    module's: only the flags they lead to matter here)."""
    load = ranking.load

    async def flagged(db, campaign):
        found = await load(db, campaign)
        rows = tuple(
            dataclasses.replace(row, flags=flags) if row.code == code else row for row in found.rows
        )
        return ranking.Ranking(rows, found.biases)

    monkeypatch.setattr(ranking, "load", flagged)


async def test_top_n_and_a_toggle_then_confirm_tell_everyone_once_in_their_language(
    world: World,
):
    people, project_chat, unit_chat, ids = await _assessed(world)
    lena, sam, leo = people["lena"], people["sam"], people["leo"]
    core = world.runner.core  # a campaign that means to select two: suggested first
    core.campaign = replace(
        core.campaign, assessment=replace(core.campaign.assessment, pacesetters=2)
    )
    await world.admin.send("/select")
    screen = world.admin.last_reply
    assert screen.text.startswith("🏅 Select the pacesetters: Assessment and acceptance closes")
    assert "No selection is recorded yet." in screen.text
    assert "Your proposal: 0 of 5 candidates." in screen.text
    lines = [line for line in screen.text.splitlines() if line.startswith(("✅", "▫"))]
    assert lines[0] == "▫ No. 1: Project U1-01 (P-U1-01), Unit U1"
    assert lines[4] == "▫ No. 5: Project U2-02 (P-U2-02), Unit U2"
    assert [row[0][0] for row in screen.buttons[:5]] == [
        "▫ 1 · P-U1-01",
        "▫ 2 · P-U1-02",
        "▫ 3 · P-U1-03",
        "▫ 4 · P-U2-01",
        "▫ 5 · P-U2-02",
    ]
    assert [label for label, _ in screen.buttons[5]] == ["⭐ Top 2", "Top 3"]
    answer = await world.tap_answer(world.admin, REVIEW, message=screen)
    assert answer == "Choose at least one pacesetter first."
    await world.admin.tap("⭐ Top 2", message=screen)
    assert "Your proposal: 2 of 5 candidates." in screen.text
    await world.admin.tap("Top 3", message=screen)
    assert "Your proposal: 3 of 5 candidates." in screen.text
    await world.admin.tap("✅ 3 · P-U1-03", message=screen)  # out again
    assert "Your proposal: 2 of 5 candidates." in screen.text
    assert screen.button_data("▫ 3 · P-U1-03") and screen.button_data("✅ 2 · P-U1-02")
    await world.admin.tap(REVIEW, message=screen)
    text = screen.text
    assert text.startswith("🏅 Record 2 pacesetters?")
    assert "• No. 1: Project U1-01 (P-U1-01), Unit U1\n• No. 2: Project U1-02 (P-U1-02)" in text
    assert "Out: P-U1-03, P-U2-01, P-U2-02" in text
    assert "Flagged" not in text and "Confirming tells each candidate's leads" in text
    assert _told(world, lena) == [] and _told(world, project_chat) == []  # nobody told yet
    confirm_data = screen.button_data(CONFIRM)
    await world.admin.tap(CONFIRM, message=screen)
    await world.sb.settle()
    assert screen.text.startswith("✅ Recorded: 2 pacesetters.")
    assert await pacesetters.current(world.db) == {ids["P-U1-01"], ids["P-U1-02"]}
    [change] = await pacesetters.history(world.db)
    assert change.by == world.admin.id and change.before == frozenset()
    assert change.after == {ids["P-U1-01"], ids["P-U1-02"]}
    # Lena reads Simplified Chinese: congratulations, and what 巩固成果 asks next.
    [note] = _told(world, lena)
    assert note.text.startswith("🏅 入选本次活动党建标杆：\n• Project U1-01，Unit U1\n祝贺！")
    assert "接下来是巩固成果阶段" in note.text
    assert "• 可复制的典型经验\n• 标杆创建微视频\n• 创建成果集" in note.text
    # Sam, U1's secretary, in English: one notice for the unit's three candidates.
    [note] = _told(world, sam)
    assert note.text.startswith(
        "🏅 Selected as pacesetters of the campaign:\n"
        "• Project U1-01, Unit U1\n• Project U1-02, Unit U1\nCongratulations. Next comes"
    )
    assert "Not selected as a pacesetter this time:\n• Project U1-03, Unit U1\nThank you" in (
        note.text
    )
    # Leo leads P-U2-01 and is U2's secretary: once, thanked for both, never congratulated.
    [note] = _told(world, leo)
    assert note.text.startswith("Not selected as pacesetters this time:\n• Project U2-01")
    assert "• Project U2-02, Unit U2" in note.text and "Congratulations" not in note.text
    # The groups, in the campaign's language: P-U1-01's, and U2's about its two.
    [post] = _told(world, project_chat)
    assert post.text.startswith("🏅 入选本次活动党建标杆：\n• Project U1-01，Unit U1")
    [post] = _told(world, unit_chat)
    assert post.text.startswith(
        "以下项目本次未入选党建标杆：\n• Project U2-01，Unit U2\n• Project U2-02"
    )
    _no_ranking_anywhere(world, lena, sam, leo, project_chat, unit_chat)
    # A second tap on ✅ (a double tap) records nothing more and tells nobody again.
    assert await world.answer_to(world.admin, screen, confirm_data) is None
    await world.sb.settle()
    assert screen.text.startswith("✅ Recorded: 2 pacesetters.")
    assert len(await pacesetters.history(world.db)) == 1
    assert [len(_told(world, c)) for c in (lena, sam, leo, project_chat, unit_chat)] == [1] * 5


def _row(code: str, rank: int | None) -> ranking.Row:
    return ranking.Row(
        len(code), code, code, 1, "U1", "U1", 3, 3, None, None, None, None, rank, rank, rank
    )


def test_top_n_takes_every_candidate_tied_at_the_nth_place_and_none_unranked():
    rows = (_row("A", 1), _row("BB", 2), _row("CCC", 2), _row("DDDD", 4), _row("EEEEE", None))
    assert select.top(rows, 1) == {1}
    assert select.top(rows, 2) == {1, 2, 3}  # the two tied second are both in: never cut
    assert select.top(rows, 3) == {1, 2, 3}
    assert select.top(rows, 9) == {1, 2, 3, 4}


async def test_select_by_codes_shows_the_flagged_among_those_in(world: World, monkeypatch):
    people, *_ = await _assessed(world)
    _flag(monkeypatch, "P-U1-02", "spread_total", "few_reviews")
    await world.admin.send("/select P-U1-01 p-u1-02 P-U9-09")
    assert world.admin.last_reply.text.startswith("No candidate has the code P-U9-09.")
    assert await pacesetters.draft(world.db, world.admin.id) is None  # nothing changed
    await world.admin.send("/select P-U1-01 p-u1-02")
    confirm = world.admin.last_reply
    text = confirm.text
    assert text.startswith("🏅 Record 2 pacesetters?")
    assert "⚠ Flagged among those in:\n• P-U1-02\n" in text
    assert "   ⚠ The reviewers' totals are far apart.\n" in text
    assert "   ⚠ Fewer reviews than the campaign asks for." in text
    await world.admin.tap("◀ Back", message=confirm)  # the list, the proposal kept
    assert "Your proposal: 2 of 5 candidates." in confirm.text
    await world.admin.tap(REVIEW, message=confirm)
    await world.admin.tap("✖ Cancel", message=confirm)
    assert confirm.text == "Nothing was recorded; nobody was told anything."
    assert await pacesetters.current(world.db) == set()
    await world.admin.send("/select P-U1-01 p-u1-02")
    confirm = world.admin.last_reply
    await world.admin.tap(CONFIRM, message=confirm)
    await world.sb.settle()
    assert confirm.text.startswith("✅ Recorded: 2 pacesetters.")
    _no_ranking_anywhere(world, *people.values())  # nor the flags
    for person in people.values():
        assert all("far apart" not in m.text for m in world.sb.messages(person.id))


async def test_a_change_tells_only_those_whose_outcome_changed_that_it_replaces_the_notice(
    world: World,
):
    people, project_chat, unit_chat, ids = await _assessed(world)
    lena, sam, leo = people["lena"], people["sam"], people["leo"]
    await world.admin.send("/select P-U1-01 P-U1-02")
    await world.admin.tap(CONFIRM)
    await world.sb.settle()
    before = {c: len(world.sb.messages(c.id)) for c in (lena, sam, leo, project_chat, unit_chat)}
    await world.admin.send("/select P-U1-01 P-U1-02")  # the same: nothing to confirm
    assert world.admin.last_reply.text == (
        "This is the selection already recorded: there is nothing to confirm."
    )
    await world.admin.send("/select P-U1-01 P-U2-01")
    confirm = world.admin.last_reply
    assert "Newly in: P-U2-01" in confirm.text and "Newly out: P-U1-02" in confirm.text
    assert "only the candidates whose outcome changes hear of it" in confirm.text
    await world.admin.tap(CONFIRM, message=confirm)
    await world.sb.settle()
    assert await pacesetters.current(world.db) == {ids["P-U1-01"], ids["P-U2-01"]}
    assert len(await pacesetters.history(world.db)) == 2
    # Lena's project and its group stay selected: they hear nothing.
    assert len(world.sb.messages(lena.id)) == before[lena]
    assert len(world.sb.messages(project_chat.id)) == before[project_chat]
    [note] = world.sb.messages(sam.id)[before[sam] :]
    assert note.text.startswith("✏ A correction: this replaces the earlier notice")
    assert "Not selected as a pacesetter this time:\n• Project U1-02, Unit U1\nThank" in note.text
    assert "U1-01" not in note.text and "U1-03" not in note.text
    [note] = world.sb.messages(leo.id)[before[leo] :]
    assert note.text.startswith("✏ A correction")
    assert "Selected as a pacesetter of the campaign:\n• Project U2-01, Unit U2\n" in note.text
    assert "U2-02" not in note.text
    [post] = world.sb.messages(unit_chat.id)[before[unit_chat] :]
    assert post.text.startswith("✏ 更正：本通知取代此前关于标杆的通知。\n🏅 入选本次活动党建标杆：")
    _no_ranking_anywhere(world, lena, sam, leo, project_chat, unit_chat)


async def test_refused_after_the_assessment_closes_naming_the_date(world: World):
    people, project_chat, _, ids = await _assessed(world)
    await world.admin.send("/select P-U1-01")
    await world.admin.tap(CONFIRM, message=world.admin.last_reply)  # a selection stands
    await world.sb.settle()
    told = {chat.id: len(_told(world, chat)) for chat in (people["lena"], project_chat)}
    assert all(told.values())
    await world.admin.send("/select P-U1-02")  # a change, still to confirm at the close
    confirm = world.admin.last_reply
    world.clock.now = AFTER
    answer = await world.tap_answer(world.admin, CONFIRM, message=confirm)
    assert answer == (
        "🔒 Assessment and acceptance closed on 15 Nov 18:00: the pacesetters can no longer be"
        " selected or changed."
    )
    await world.admin.send("/select")
    assert world.admin.last_reply.text.startswith("🔒 Assessment and acceptance closed on 15 Nov")
    assert await pacesetters.current(world.db) == {ids["P-U1-01"]}  # as it stood
    await world.sb.settle()
    now = {chat.id: len(_told(world, chat)) for chat in (people["lena"], project_chat)}
    assert now == told  # no correction went out


async def test_only_admins_select_and_forged_or_stale_buttons_change_nothing(world: World):
    people, project_chat, *_ = await _assessed(world)
    sam = people["sam"]
    await world.admin.send("/select", chat=project_chat)  # never in a group: the private chat
    [answer] = [m for m in world.sb.messages(project_chat.id) if "/select" in m.text]
    assert answer.buttons == [[("💬 Open the private chat", "https://t.me/pacesetter_bot")]]
    await sam.send("/select")
    assert sam.last_reply.text == "Only campaign admins can do that."
    await world.admin.send("/select")
    screen = world.admin.last_reply
    for data in (select.BUTTONS.data("top", 5), select.BUTTONS.data("confirm", 1)):
        answer = await world.answer_to(sam, sam.last_reply, data)
        assert answer == "You are not allowed to do that."
    assert await pacesetters.draft(world.db, sam.id) is None
    stale = "This button is out of date. Send /select for a current one."
    assert await world.answer_to(world.admin, screen, "ps:t:999999:0") == stale
    assert await world.answer_to(world.admin, screen, "ps:t:x:0") == stale
    # A confirmation shown before another admin recorded a selection is shown again, changed.
    await world.admin.send("/select P-U1-01")
    confirm = world.admin.last_reply
    abe = await world.join("Abe", "admin")
    await abe.send("/select P-U1-02")
    await abe.tap(CONFIRM)
    await world.admin.tap(CONFIRM, message=confirm)
    assert confirm.text.startswith("⚠ Things changed since the confirmation you tapped")
    assert await pacesetters.current(world.db) == {
        (await world.db.fetch_value("SELECT id FROM projects WHERE code = 'P-U1-02'"))
    }
    await world.admin.tap(CONFIRM, message=confirm)
    assert confirm.text.startswith("✅ Recorded: 1 pacesetter.")
    [first, second] = await pacesetters.history(world.db)
    assert (first.by, second.by) == (abe.id, world.admin.id)


async def test_the_closing_summary_reaches_the_admins_once_after_the_deadline(
    world: World, monkeypatch
):
    people, *_ = await _assessed(world)
    ids = {r["code"]: r["id"] for r in await world.db.fetch_all("SELECT code, id FROM projects")}
    tina = await world.join("Tina", "reviewer")
    async with world.db.transaction(world.clock.now) as tx:
        await reviews.assign(tx, [(tina.id, ids["P-U1-01"]), (tina.id, ids["P-U2-02"])], by=1)
    _flag(monkeypatch, "P-U2-01", "spread_criterion")
    world.clock.now = AFTER
    await world.remind()
    summaries = [m for m in world.admin.replies() if "closed on 15 Nov" in m.text]
    [summary] = summaries
    assert summary.text.startswith("🔔 Assessment and acceptance closed on 15 Nov 18:00.")
    assert "Reviews submitted: 15 of 17." in summary.text
    assert "Not submitted, per reviewer:\n• Tina: 2 reviews" in summary.text
    assert "Flagged candidates:\n• Project U2-01 (P-U2-01)\n" in summary.text
    assert "   ⚠ The reviewers' scores on a criterion are far apart." in summary.text
    [[(label, link)]] = summary.buttons
    assert label == "📊 Open the ranking" and link.endswith("?start=ranking")
    await world.admin.send("/start ranking")  # what the link sends: the table
    assert "Final results" in world.admin.last_reply.text
    await world.remind()
    world.advance(hours=1)
    await world.remind()
    assert [m for m in world.admin.replies() if "closed on 15 Nov" in m.text] == summaries
    for person in people.values():
        assert all("Flagged" not in m.text for m in world.sb.messages(person.id))


async def test_many_candidates_are_paged_and_a_long_selection_is_named_in_part(world: World):
    await world.import_orgs([("U1", 24)])
    await world.accept()
    world.clock.now = ASSESSING
    await world.admin.send("/select")
    screen = world.admin.last_reply
    replies = len(world.admin.replies())
    assert "Page 1 of 3." in screen.text and "(P-U1-08)" in screen.text
    assert "(P-U1-09)" not in screen.text
    await world.admin.tap("Next ▶", message=screen)
    assert "Page 2 of 3." in screen.text and "▫ No rank yet: Project U1-09 (P-U1-09)" in screen.text
    await world.admin.tap("▫ – · P-U1-10 ⚠", message=screen)  # no review yet: few_reviews
    assert "Page 2 of 3." in screen.text and "✅ No rank yet: Project U1-10" in screen.text
    assert "Your proposal: 1 of 24 candidates." in screen.text
    assert len(world.admin.replies()) == replies  # the screen edited in place, nothing new
    codes = " ".join(f"P-U1-{n:02d}" for n in range(1, 23))
    await world.admin.send(f"/select {codes}")
    confirm = world.admin.last_reply
    assert confirm.text.startswith("🏅 Record 22 pacesetters?")
    assert "• No rank yet: Project U1-20 (P-U1-20), Unit U1\n… and also: P-U1-21, P-U1-22" in (
        confirm.text
    )
    assert "Out: P-U1-23, P-U1-24" in confirm.text
    await world.admin.tap(CONFIRM, message=confirm)
    assert confirm.text.startswith("✅ Recorded: 22 pacesetters.")
    assert "… and also: P-U1-21, P-U1-22" in confirm.text
    assert len(await pacesetters.current(world.db)) == 22
