"""The admins' progress of stage 3's reviews (reached from a recusal's notice: 📊), paged and
refreshed in place, names but never scores; the reviewers' reminders: only to those with
reviews left, saying how many. Through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import reminders
from handlers import review_progress
from storage import reviews, roles, votes
from tests.conftest import World
from tests.test_recuse import ASSESSING, YES, assign, notices_to, reviewing

PROGRESS = "📊 Review progress"
SEVEN_DAYS_BEFORE = datetime(2027, 11, 8, 10, 1, tzinfo=UTC)  # just after 考核验收's 7d wave


async def _submit(world: World, review_id: int, by, value: int = 7, comment: str = "") -> None:
    criteria = [c.key for c in world.runner.core.campaign.criteria]
    async with world.db.transaction(world.clock.now) as tx:
        for key in criteria:
            await reviews.set_score(tx, review_id, key, value)
        await reviews.submit(tx, review_id, criteria, by=by.id, comment=comment or None)


async def _recuse(world: World, reviewer, code: str) -> None:
    await reviewer.send(f"/recuse {code} A conflict")
    await reviewer.tap(YES)
    await world.sb.settle()


async def test_progress_from_a_recusals_notice_per_candidate_and_reviewer_never_scores(
    world: World,
):
    [rita, ron, vic], ids = await reviewing(world, [("U1", 2)], ["Rita", "Ron", "Vic"], 2)
    one, two = ids["P-U1-01"], ids["P-U1-02"]
    found = await assign(world, (rita, one), (ron, one), (ron, two), (vic, two))
    world.clock.now = ASSESSING
    await _submit(world, found[rita.id, one], rita, comment="Secret words of Rita")
    async with world.db.transaction(world.clock.now) as tx:
        vote = await votes.open_vote(tx, one, -100, by=world.admin.id)
        await votes.cast(tx, vote.id, rita.id, "recommend")
        await votes.cast(tx, vote.id, vic.id, "not_yet")
    await _recuse(world, vic, "P-U1-02")
    [notice] = notices_to(world, world.admin, "recused themselves")
    await world.admin.tap(PROGRESS, message=notice)
    screen = world.admin.last_reply
    assert screen is not notice
    text = screen.text
    assert text.startswith("📊 Reviews in Assessment and acceptance, as of 20 Oct 10:00")
    assert "Submitted: 1 of 3 reviews; recused: 1." in text
    assert "• Project U1-01 (P-U1-01): 1 / 2\n" in text
    assert "🗳 Vote, still open: 👍 1 · 🤔 0 · 👎 1" in text
    assert "• Project U1-02 (P-U1-02): 0 / 1, 1 recused" in text
    assert "• Rita: 1 / 1" in text and "• Ron: 0 / 2" in text
    assert "• Vic: 0 / 0, 1 recused" in text
    assert "Secret words" not in text and " 7" not in text.split("Reviewers:")[1]
    # 🔄 counts again, in the same message.
    await _submit(world, found[ron.id, two], ron)
    await world.admin.tap("🔄 Refresh", message=screen)
    assert screen.edited and "Submitted: 2 of 3 reviews; recused: 1." in screen.text
    assert "• Project U1-02 (P-U1-02): 1 / 1, 1 recused" in screen.text
    assert "• Ron: 1 / 2" in screen.text
    # Only admins: a reviewer's tap on the same data is refused.
    answer = await world.answer_to(vic, vic.last_reply, review_progress.BUTTONS.data("page", 0))
    assert answer == "You are not allowed to do that."


async def test_many_candidates_are_paged_in_one_message(world: World):
    [rita], ids = await reviewing(world, [("U1", 30)], ["Rita"], 1)
    await assign(world, *[(rita, project) for project in ids.values()])
    world.clock.now = ASSESSING
    await _recuse(world, rita, "P-U1-30")
    await world.admin.tap(PROGRESS, message=notices_to(world, world.admin, "recused")[0])
    screen = world.admin.last_reply
    assert "Page 1 of 2." in screen.text and "(P-U1-25)" in screen.text
    assert "(P-U1-26)" not in screen.text and "Rita" not in screen.text
    assert [label for label, _ in screen.buttons[0]] == ["Next ▶"]
    await world.admin.tap("Next ▶", message=screen)
    assert "Page 2 of 2." in screen.text and "(P-U1-26)" in screen.text
    assert "• Project U1-30 (P-U1-30): 0 / 0, 1 recused" in screen.text
    assert "• Rita: 0 / 29, 1 recused" in screen.text
    assert len(world.admin.replies()) == len(world.sb.messages(world.admin.id))  # no new one
    await world.admin.tap("◀ Previous", message=screen)
    assert "Page 1 of 2." in screen.text


async def test_with_zero_per_candidate_progress_counts_everyones_reviews(world: World):
    [rita, ron], _ = await reviewing(world, [("U1", 2)], ["Rita", "Ron"], 0)
    world.clock.now = ASSESSING
    await _recuse(world, ron, "P-U1-02")  # makes everyone's reviews, as /review would
    async with world.db.transaction(world.clock.now) as tx:
        await tx.execute("DELETE FROM reviews WHERE reviewer_id = ?", (rita.id,))
    await world.admin.tap(PROGRESS, message=notices_to(world, world.admin, "recused")[0])
    text = world.admin.last_reply.text
    assert "Submitted: 0 of 3 reviews; recused: 1." in text
    assert "• Rita: 0 / 2" in text and "• Ron: 0 / 1, 1 recused" in text
    assert len(await reviews.queue(world.db, rita.id)) == 2


async def test_reviewers_with_reviews_left_are_reminded_how_many_and_no_one_else(world: World):
    [rita, ron, vic], ids = await reviewing(world, [("U1", 2)], ["Rita", "Ron", "Vic"], 2)
    one, two = ids["P-U1-01"], ids["P-U1-02"]
    found = await assign(world, (rita, one), (rita, two), (ron, one), (ron, two), (vic, one))
    world.clock.now = ASSESSING
    await world.remind()  # 考核验收 opens
    await _submit(world, found[ron.id, one], ron)
    await _submit(world, found[ron.id, two], ron)
    await _recuse(world, vic, "P-U1-01")  # recused: owes nothing
    heard = {user.first_name: len(user.replies()) for user in (rita, ron, vic)}
    world.clock.now = SEVEN_DAYS_BEFORE
    written = await world.remind()
    assert [(wave.stage, wave.moment) for wave, _ in written] == [("assess", "7d")]
    letter = rita.last_reply
    assert len(rita.replies()) == heard["Rita"] + 1
    assert letter.text.startswith("⏰ Assessment and acceptance closes on 15 Nov 18:00.")
    assert "You have 2 candidates left to score and submit." in letter.text
    [[(label, link)]] = letter.buttons
    assert label == "📝 Score your candidates" and link.endswith("?start=review")
    await rita.send("/start review")  # what the link sends: the queue and the first card
    assert rita.last_reply.text.startswith("📝 0 of 2 candidates scored · this is 1 of 2")
    assert len(ron.replies()) == heard["Ron"] and len(vic.replies()) == heard["Vic"]
    campaign, admins = world.runner.core.campaign, frozenset({world.admin.id})
    owing = await reminders.owing(world.db, campaign, "assess", admins=admins)
    assert owing == {"reviewer": {rita.id}}
    world.clock.now = SEVEN_DAYS_BEFORE + timedelta(days=1)
    await world.admin.send("/remind")
    assert "People who still owe something: 1. Group chats: 0." in world.admin.last_reply.text
    async with world.db.transaction(world.clock.now) as tx:  # no longer a reviewer
        await roles.revoke(tx, rita.id, "reviewer", revoked_by=world.admin.id)
    assert await reminders.owing(world.db, campaign, "assess", admins=admins) == {}


async def test_with_zero_per_candidate_reviews_not_yet_made_are_owed_too(world: World):
    [rita], _ = await reviewing(world, [("U1", 2)], ["Rita"], 0)
    world.clock.now = ASSESSING
    campaign, admins = world.runner.core.campaign, frozenset({world.admin.id})
    assert await world.db.fetch_value("SELECT COUNT(*) FROM reviews") == 0
    assert await reminders.owing(world.db, campaign, "assess", admins=admins) == {
        "reviewer": {rita.id}
    }
    await world.remind()
    assert "You have 2 candidates left to score and submit." in rita.last_reply.text
