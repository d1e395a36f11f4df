"""Stage 3's scoring card: /review's queue and the card (evidence, a row of values per
criterion, the running total, a comment, ◀ ▶, ✅ Submit), /score in one message, changes until
the close, blindness, and the admins told once when all reviews are in. Through the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from handlers.review import BUTTONS
from storage import reviews
from tests.conftest import World

ASSESSING = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)  # inside 考核验收 (8 Oct – 15 Nov)
BEFORE = datetime(2027, 10, 1, 2, 0, tzinfo=UTC)  # 考核验收 not open yet
AFTER = datetime(2027, 11, 15, 10, 1, tzinfo=UTC)  # 18:01 in Shanghai, the deadline passed
KEYS = ("ideology", "mechanism", "standards", "cohesion", "integration", "renewal")


def _assessment(world: World, **changes) -> None:
    core = world.runner.core
    core.campaign = replace(core.campaign, assessment=replace(core.campaign.assessment, **changes))


async def _reviewing(world: World, units, *names: str):
    """The units' projects as candidates, reviewers by these names, everyone reviewing every
    candidate (no /assign step), the clock inside the assessment; (reviewers, ids by code)."""
    await world.import_orgs(units)
    await world.accept()
    people = [await world.join(name, "reviewer") for name in names]
    _assessment(world, reviewers_per_candidate=0)
    world.clock.now = ASSESSING
    rows = await world.db.fetch_all("SELECT code, id FROM projects")
    return people, {row["code"]: row["id"] for row in rows}


async def _review(world: World, user, project_id: int) -> reviews.Review:
    return await reviews.of(world.db, user.id, project_id)


async def _values(world: World, review_id: int) -> dict[str, int]:
    return dict((await reviews.scores_of(world.db, [review_id]))[review_id].draft)


async def _set(world: World, user, card, review_id: int, key: str, value: int) -> str | None:
    return await world.answer_to(user, card, BUTTONS.data("score", review_id, key, value))


def _edits(world: World) -> int:
    return sum(line.startswith("bot ✎") for line in world.sb.transcript())


async def _score_all(world: World, user, card, review_id: int, values) -> None:
    for key, value in zip(KEYS, values, strict=True):
        await _set(world, user, card, review_id, key, value)


async def test_the_card_scores_by_buttons_keeps_values_through_the_queue_and_submits(
    world: World,
):
    (rita,), ids = await _reviewing(world, [("U1", 1), ("U2", 1)], "Rita")
    await rita.send("/review")
    card = rita.last_reply
    assert card.text.startswith("📝 0 of 2 candidates scored · this is 1 of 2\n○ Not scored yet")
    assert "Project U1-01 · Unit U1" in card.text  # the evidence block
    assert "1. Ideological leadership ×1: –" in card.text
    assert "Weighted total: 0 of 60" in card.text
    labels = [[label for label, _ in row] for row in card.buttons]
    assert labels[0] == ["📄 The application"]  # the evidence's buttons, then the scores
    labels = labels[1:]
    assert labels[0] == ["1·0", "1", "2", "3", "4", "5"]
    assert labels[1] == ["1·6", "7", "8", "9", "10"]
    assert labels[11] == ["6·6", "7", "8", "9", "10"]
    assert labels[12] == ["✍ Comment", "🙅 Recuse myself", "✅ Submit (0/6)"]
    assert labels[13] == ["◀", "▶"]
    u1 = await _review(world, rita, ids["P-U1-01"])
    u2 = await _review(world, rita, ids["P-U2-01"])
    assert await _set(world, rita, card, u1.id, "standards", 7) is None
    assert "3. Standards building ×1: 7/10" in card.text
    assert "✎ Draft: 1 of 6 criteria set." in card.text and "Weighted total: 7 of 60" in card.text
    assert card.button_data("✓7") == BUTTONS.data("score", u1.id, "standards", 7)
    assert card.button_data("✅ Submit (1/6)")
    answer = await world.tap_answer(rita, "✅ Submit (1/6)", message=card)
    assert answer == (
        "Not every criterion is set yet: Ideological leadership, Working mechanisms, Cohesion"
        " and appeal, Integrated development, Self-renewal still need a value (of 6)."
    )
    assert (await reviews.get(world.db, u1.id)).state == reviews.DRAFT
    # ▶ to the other candidate and ◀ back: what was set stays.
    await rita.tap("▶", message=card)
    assert "Project U2-01 · Unit U2" in card.text and "this is 2 of 2" in card.text
    await _set(world, rita, card, u2.id, "ideology", 4)
    await rita.tap("◀", message=card)
    assert "Project U1-01" in card.text and "3. Standards building ×1: 7/10" in card.text
    assert await _values(world, u2.id) == {"ideology": 4}
    await _score_all(world, rita, card, u1.id, (8, 6, 7, 9, 5, 10))
    assert "Weighted total: 45 of 60" in card.text
    answer = await world.tap_answer(rita, "✅ Submit", message=card)
    assert answer == "✅ Submitted."
    assert card.text.startswith("📝 1 of 2 candidates scored · this is 2 of 2")
    assert "✅ Submitted. You can change it until 15 Nov 18:00." in card.text
    assert not card.button_data("✅ Submit") and not card.button_data("↩ Undo changes")
    submitted = await reviews.scores_of(world.db, [u1.id])
    assert dict(submitted[u1.id].submitted) == dict(zip(KEYS, (8, 6, 7, 9, 5, 10), strict=True))
    # The next /review opens the unscored one first.
    await rita.send("/review")
    assert "this is 1 of 2" in rita.last_reply.text and "Project U2-01" in rita.last_reply.text
    assert "1. Ideological leadership ×1: 4/10" in rita.last_reply.text


async def test_a_draft_survives_a_restart_and_stale_forged_double_or_foreign_taps_change_nothing(
    world: World,
):
    (rita, ron), ids = await _reviewing(world, [("U1", 1)], "Rita", "Ron")
    await rita.send("/review")
    card = rita.last_reply
    review = await _review(world, rita, ids["P-U1-01"])
    await _set(world, rita, card, review.id, "ideology", 3)
    await world.restart()
    _assessment(world, reviewers_per_candidate=0)
    # The card from before the restart acts on the stored review and shows it.
    await _set(world, rita, card, review.id, "mechanism", 5)
    assert await _values(world, review.id) == {"ideology": 3, "mechanism": 5}
    assert "1. Ideological leadership ×1: 3/10" in card.text
    assert "2. Working mechanisms ×1: 5/10" in card.text
    # A double tap: the same value changes nothing and the card is not edited again.
    edits = _edits(world)
    data = BUTTONS.data("score", review.id, "mechanism", 9)
    await world.answer_to(rita, card, data)
    await world.answer_to(rita, card, data)
    assert _edits(world) == edits + 1
    changed_at = (await reviews.get(world.db, review.id)).changed_at
    await world.answer_to(rita, card, data)
    assert (await reviews.get(world.db, review.id)).changed_at == changed_at
    # Forged data, a criterion or value the campaign lacks, a review that is not there.
    for forged in (
        "rv:s:x:ideology:1",
        f"rv:s:{review.id}:nosuch:1",
        f"rv:s:{review.id}:ideology:11",
        "rv:s:999999:ideology:1",
    ):
        answer = await world.answer_to(rita, card, forged)
        assert answer == "This button is out of date. Send /review for a current one."
    # Someone else's review: refused, nothing set.
    await ron.send("/review")
    answer = await world.answer_to(ron, ron.last_reply, data.replace(":9", ":1"))
    assert answer == "This card is not one of your reviews: send /review to see yours."
    assert await _values(world, review.id) == {"ideology": 3, "mechanism": 9}
    # Recused: the card's buttons say so and take nothing.
    async with world.db.transaction(world.clock.now) as tx:
        await reviews.recuse(tx, review.id, "I know them", by=rita.id)
    answer = await world.answer_to(rita, card, BUTTONS.data("score", review.id, "renewal", 2))
    assert answer.startswith("You recused yourself from this candidate")
    assert "renewal" not in await _values(world, review.id)
    await rita.send("/review")
    assert rita.last_reply.text.startswith("You have no candidates to review yet")


async def test_score_submits_in_one_message_and_refuses_what_it_cannot_take(world: World):
    (rita,), ids = await _reviewing(world, [("U1", 1), ("U2", 1)], "Rita")
    sam = await world.join("Sam", "secretary", "U1")  # U1's secretary, a reviewer too
    await sam.send(f"/start {await world.invite_link(world.admin, 'reviewer')}")
    # Full-width digits, Chinese commas and the wide space, as Chinese keyboards type them.
    await rita.send("/score P-U1-01 ８，7、9 6\u30008；7 材料扎实，亮点突出")
    card = rita.last_reply
    assert card.text.startswith("📝 1 of 2 candidates scored · this is 2 of 2\n✅ Submitted.")
    assert "1. Ideological leadership ×1: 8/10" in card.text
    assert "6. Self-renewal ×1: 7/10" in card.text
    assert "💬 Your comment: 材料扎实，亮点突出" in card.text
    review = await _review(world, rita, ids["P-U1-01"])
    assert review.state == reviews.SUBMITTED and review.comment == "材料扎实，亮点突出"
    await rita.send("/score P-U1-01 8 7 9 6 8 7")  # the same again, comment kept
    assert rita.last_reply.text.startswith("✅ Submitted already with these scores")
    form = "Send /score CODE and the scores in this order, then a comment if you like:"
    for typed, first in (
        ("/score P-U2-01 8 7", "That gives 2 scores; /score takes 6, one per criterion."),
        ("/score P-U2-01 8 7 9 6 8 7 5", "That gives 7 scores; /score takes 6, one per"),
        ("/score", "That gives 0 scores; /score takes 6"),
        (
            "/score P-U2-01 8 7 9 6 8 11",
            "“11” is not a score for Self-renewal: a whole number from 0 to 10, please.",
        ),
        (
            "/score P-U2-01 8 seven 9 6 8 7",
            "“seven” is not a score for Working mechanisms: a whole number from 0 to 10",
        ),
        ("/score P-X-99 8 7 9 6 8 7", "There is no project with the code P-X-99."),
    ):
        await rita.send(typed)
        assert rita.last_reply.text.startswith(first), rita.last_reply.text
        assert form in rita.last_reply.text and "6. Self-renewal: 0–10" in rita.last_reply.text
    assert (await _review(world, rita, ids["P-U2-01"])).state == reviews.ASSIGNED
    # The conflict: U1's secretary never reviews U1's candidate, and can't score it.
    await sam.send("/score P-U1-01 8 7 9 6 8 7")
    assert sam.last_reply.text == (
        "Project U1-01 is not one of the candidates assigned to you: send /review to see yours."
    )
    assert await _review(world, sam, ids["P-U1-01"]) is None
    await world.admin.send("/score P-U1-01 8 7 9 6 8 7")
    assert world.admin.last_reply.text.startswith("Only reviewers score the candidates")
    world.clock.now = AFTER
    await rita.send("/score P-U2-01 8 7 9 6 8 7")
    assert rita.last_reply.text == (
        "Assessment and acceptance closed on 15 Nov 18:00: scores can no longer be set or changed."
    )
    assert (await _review(world, rita, ids["P-U2-01"])).state == reviews.ASSIGNED


async def test_a_submitted_review_changes_until_the_close_each_change_audited(world: World):
    (rita,), ids = await _reviewing(world, [("U1", 1)], "Rita")
    await rita.send("/score P-U1-01 5 5 5 5 5 5")
    card = rita.last_reply
    review = await _review(world, rita, ids["P-U1-01"])
    await _set(world, rita, card, review.id, "ideology", 9)
    assert "✎ Changed on this card, not submitted yet" in card.text
    assert card.button_data("✅ Submit the change") and card.button_data("↩ Undo changes")
    answer = await world.tap_answer(rita, "↩ Undo changes", message=card)
    assert answer == "↩ Back to the scores you submitted."
    assert "1. Ideological leadership ×1: 5/10" in card.text
    assert "✅ Submitted. You can change it until 15 Nov 18:00." in card.text
    assert await reviews.history(world.db, review.id) == []
    # A comment: typed after ✍, it lands on the card anew; the old card loses its buttons.
    await rita.tap("✍ Comment", message=card)
    assert rita.last_reply.text.startswith("✍ Type your comment on Project U1-01")
    await rita.send("x" * 1001)
    assert rita.last_reply.text.startswith("That comment has 1001 characters")
    await rita.send("/cancel")  # leaves the comment as it was
    await rita.send("Not a comment")
    assert (await reviews.get(world.db, review.id)).draft_comment is None
    await rita.tap("✍ Comment", message=card)
    world.clock.advance(minutes=31)
    await rita.send("Too late")
    assert rita.last_reply.text.startswith("That question expired after 30 minutes")
    assert (await reviews.get(world.db, review.id)).draft_comment is None
    await rita.tap("✍ Comment", message=card)
    await _set(world, rita, card, review.id, "ideology", 5)  # another tap lets the prompt go
    await rita.send("Stray text")
    assert (await reviews.get(world.db, review.id)).draft_comment is None
    await rita.tap("✍ Comment", message=card)
    await rita.send("Strong on standards")
    new_card = rita.last_reply
    assert "💬 Your comment: Strong on standards" in new_card.text
    assert card.buttons == [] and new_card.button_data("✅ Submit the change")
    await _set(world, rita, new_card, review.id, "ideology", 9)
    answer = await world.tap_answer(rita, "✅ Submit the change", message=new_card)
    assert answer == "✅ Your change is submitted."
    [change] = await reviews.history(world.db, review.id)
    assert change.by == rita.id and change.old["ideology"] == 5 and change.new["ideology"] == 9
    assert change.old_comment is None and change.new_comment == "Strong on standards"
    await rita.send("/score p-u1-01 9 5 5 5 5 6")  # a change by /score, the code in any case
    assert rita.last_reply.text.startswith("✅ Your change is submitted.\n📝 1 of 1")
    assert (await reviews.history(world.db, review.id))[-1].new["renewal"] == 6
    # After the close: the card's buttons and /score are refused, naming the date.
    world.clock.now = AFTER
    answer = await _set(world, rita, new_card, review.id, "ideology", 2)
    assert answer == (
        "Assessment and acceptance closed on 15 Nov 18:00: scores can no longer be set or changed."
    )
    await rita.send("/score P-U1-01 1 1 1 1 1 1")
    assert rita.last_reply.text.startswith("Assessment and acceptance closed on 15 Nov 18:00")
    assert len(await reviews.history(world.db, review.id)) == 2
    assert (await _values(world, review.id))["ideology"] == 9
    await rita.send("/review")  # still readable, no longer scored
    assert "✅ Submitted. Assessment and acceptance closed on 15 Nov 18:00" in rita.last_reply.text
    assert not rita.last_reply.button_data("✍ Comment")


async def test_blind_nothing_of_another_reviewer_unless_allowed_and_own_submitted(world: World):
    (amy, ben), ids = await _reviewing(world, [("U1", 1), ("U2", 1)], "Amy", "Ben")
    await amy.send("/score P-U1-01 9 9 9 9 9 9 Amy-secret-note")
    await amy.send("/score P-U2-01 2 2 2 2 2 3 Amy-other-note")

    def blind(text: str) -> bool:
        return not any(w in text for w in ("Reviewer", "Amy", "54", "13 (", "secret", "note"))

    await ben.send("/review")
    assert "Project U1-01" in ben.last_reply.text and blind(ben.last_reply.text)
    await ben.send("/score P-U1-01 1 2 3 4 5 6")
    assert blind(ben.last_reply.text)  # not allowed by the campaign: not even after
    _assessment(world, show_others_after_own=True)
    await ben.send("/review")
    card = ben.last_reply
    assert "Project U2-01" in card.text and blind(card.text)  # Ben has not submitted U2
    await ben.send("/score P-U2-01 5 5 5 5 5 5")
    assert "The other reviewers' submitted scores (anonymised):" in ben.last_reply.text
    assert "Reviewer 1: 13 (2 · 2 · 2 · 2 · 2 · 3)" in ben.last_reply.text
    assert "note" not in ben.last_reply.text and "Amy" not in ben.last_reply.text
    u1 = await _review(world, ben, ids["P-U1-01"])
    await world.answer_to(ben, card, BUTTONS.data("go", u1.id))
    assert "Reviewer 1: 54 (9 · 9 · 9 · 9 · 9 · 9)" in card.text
    await amy.send("/review")
    assert "Reviewer 1: 21 (1 · 2 · 3 · 4 · 5 · 6)" in amy.last_reply.text


async def test_the_admins_are_told_once_when_all_reviews_are_in(world: World):
    (rita, ron), ids = await _reviewing(world, [("U1", 1)], "Rita", "Ron")
    notice = "📊 All reviews are in: 2 reviews submitted, for 1 candidate."
    await rita.send("/score P-U1-01 5 5 5 5 5 5")
    await world.sb.settle()
    assert not any(notice in m.text for m in world.admin.replies())
    await ron.send("/review")
    card = ron.last_reply
    review = await _review(world, ron, ids["P-U1-01"])
    await _score_all(world, ron, card, review.id, (6, 6, 6, 6, 6, 6))
    await ron.tap("✅ Submit", message=card)
    await world.sb.settle()
    await _set(world, ron, card, review.id, "renewal", 1)  # a later change: nothing more
    await ron.tap("✅ Submit the change", message=card)
    await rita.send("/score P-U1-01 4 4 4 4 4 4")
    await world.sb.settle()
    told = [m for m in world.admin.replies() if notice in m.text]
    assert len(told) == 1 and told[0].button_data("📊 Review progress")
    await world.admin.tap("📊 Review progress", message=told[0])
    assert world.admin.last_reply.text.startswith("📊 Reviews in Assessment and acceptance")


async def test_review_for_admins_strangers_and_before_the_stage_opens(world: World):
    (rita,), ids = await _reviewing(world, [("U1", 1)], "Rita")
    await world.admin.send("/review")
    assert world.admin.last_reply.text.startswith("📊 Reviews in Assessment and acceptance")
    stranger = world.sb.user("Stu", language_code="en")
    await stranger.send("/review")
    assert stranger.last_reply.text == (
        "Only reviewers score the candidates, with /review in the private chat."
    )
    world.clock.now = BEFORE
    await rita.send("/review")
    card = rita.last_reply
    assert "Scoring opens on 8 Oct 09:00 (Assessment and acceptance)" in card.text
    assert "Project U1-01 · Unit U1" in card.text and not card.button_data("1·0")
    review = await _review(world, rita, ids["P-U1-01"])
    answer = await _set(world, rita, card, review.id, "ideology", 5)
    assert answer.startswith("Scoring opens with Assessment and acceptance on 8 Oct 09:00")
    assert await _values(world, review.id) == {}
