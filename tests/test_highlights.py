"""Stage 2: highlights (亮點) picked by unit secretaries and admins, and coaching comments to a
candidate's lead; both through the sandbox, with the group cards following."""

from __future__ import annotations

import dataclasses

from handlers import report_card
from storage import highlights
from storage.outbox import Row
from tests.conftest import World, told, until
from tests.test_report import _candidate, _photo_report

MARK = "⭐ 设为亮点"  # the card's button, in the campaign's language (groups)
UNMARK = "☆ 取消亮点"


async def _unit_with_report(world: World):
    """Mei's photo report in Project U1-01's group; Sam, U1's secretary, with the unit's own
    group bound too."""
    lena, mei, leo, group = await _candidate(world)
    sam = await world.join("Sam", "secretary", "U1")
    unit_chat = world.sb.group("Unit 1", creator=sam)
    await world.sb.add_bot(unit_chat, by=sam)
    await sam.send("/bind U1", chat=unit_chat)
    for person in (lena, mei, sam):
        await world.sb.add_member(group, person)
    await world.sb.add_member(unit_chat, world.admin)
    await _photo_report(mei)
    await world.sb.settle()
    return lena, mei, leo, sam, group, unit_chat


async def test_a_secretary_marks_the_card_in_the_group_and_the_unit_and_author_hear_of_it(
    world: World,
):
    lena, mei, _, sam, group, unit_chat = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    assert card.kind == "photo" and card.button_data(MARK)
    # Anyone else in the group who taps is told who may.
    answer = await world.tap_answer(mei, MARK, message=card)
    assert answer == "Only the unit's secretary or a campaign admin can choose highlights."
    assert not await highlights.listed(world.db)
    answer = await world.tap_answer(sam, MARK, message=card)
    assert answer == "⭐ A highlight now, posted in 1 chat of the unit."
    await world.sb.settle()
    assert "⭐ 亮点，由Sam选出" in card.text and card.edited
    assert card.button_data(UNMARK) and not card.button_data(MARK)
    [post] = [m for m in world.sb.messages(unit_chat) if "亮点" in m.text]
    assert post.kind == "photo" and "Study session" in post.text
    # The author hears it, with the way to the report.
    notice = mei.last_reply
    assert notice.text.startswith("⭐ Sam chose your report as a highlight: Project U1-01")
    assert "posted in the unit's group chat too" in notice.text
    await mei.tap("👁 Open the report", message=notice)
    *album, opened = mei.replies()[-3:]  # both photos as an album, the card under them
    assert [m.kind for m in album] == ["photo", "photo"] and album[0].media_group_id
    assert opened.kind == "text" and "⭐ A highlight, chosen by Sam" in opened.text
    assert not opened.buttons  # the author neither marks nor coaches
    # Forged into the group, the button that opens a card does nothing there.
    report_id = int(card.button_data(UNMARK).split(":")[-1])
    assert "out of date" in await world.answer_to(sam, card, f"hl:o:{report_id}")
    assert told(group, "Study session", world.sb) == 1
    # A second tap (or a second secretary) changes nothing.
    assert await world.answer_to(sam, card, card.button_data(UNMARK).replace(":u:", ":m:")) == (
        "It is a highlight already."
    )
    assert len(await highlights.listed(world.db)) == 1
    assert told(unit_chat, "亮点", world.sb) == 1
    # Everyone sees it in /highlights, with its photo a tap away.
    await lena.send("/highlights")
    listing = lena.last_reply.text
    assert listing.startswith("⭐ Highlights: 1, the newest first.")
    assert "1. Project U1-01 (Unit U1): Themed Party day, 14 Mar 📷 2" in listing
    await lena.tap("1")
    assert lena.replies()[-2].kind == "photo" and "Study session" in lena.last_reply.text


async def test_taking_a_highlight_back_says_who_and_tells_whoever_chose_it(world: World):
    _lena, mei, _, sam, group, unit_chat = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    await sam.tap(MARK, message=card)
    await world.sb.settle()
    [post] = [m for m in world.sb.messages(unit_chat) if "亮点" in m.text]
    answer = await world.tap_answer(world.admin, UNMARK, message=post)
    assert answer == "☆ Taken back: no longer a highlight."
    await world.sb.settle()
    assert "☆ 已不是亮点：Ada取消" in post.text and not post.buttons
    assert "亮点" not in card.text and card.button_data(MARK)
    assert sam.last_reply.text.startswith("☆ Ada took back the highlight you chose")
    assert mei.last_reply.text.startswith("☆ Ada took back the highlight on your report")
    assert await world.tap_answer(sam, MARK, message=card) is not None  # marked again
    await world.sb.settle()
    assert "⭐ 亮点，由Sam选出" in card.text
    # No new post in the unit's chat: the one it has says so again.
    assert told(unit_chat, "亮点，由Sam选出", world.sb) == 1
    assert "亮点，由Sam选出" in post.text and "Ada取消" not in post.text and post.buttons
    rows = await world.db.fetch_all("SELECT * FROM highlights ORDER BY id")
    assert [(r["marked_by"], r["unmarked_by"]) for r in rows] == [
        (sam.id, world.admin.id),
        (sam.id, None),
    ]
    # Deleted by its author, the report takes every post along: the card, and the post in
    # the unit's chat.
    saved = next(m for m in reversed(mei.replies()) if m.button_data("🗑 Delete"))
    await mei.tap("🗑 Delete", message=saved)
    await mei.tap("🗑 Yes, delete it")
    await world.sb.settle()
    posts = [m for m in world.sb.messages(unit_chat) if "Study session" in m.text]
    assert len(posts) == 1 and all(m.deleted for m in posts) and card.deleted


async def test_marking_again_posts_nothing_new_and_the_author_hears_of_it_once(world: World):
    _lena, mei, _, sam, group, unit_chat = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    for label in (MARK, UNMARK, MARK, UNMARK, MARK):
        await sam.tap(label, message=card)
        await world.sb.settle()
    assert "⭐ 亮点，由Sam选出" in card.text
    assert told(unit_chat, "Study session", world.sb) == 1  # one post, edited as it goes
    assert "⭐ 亮点，由Sam选出" in world.sb.messages(unit_chat)[-1].text
    assert told(mei, "chose your report as a highlight", world.sb) == 1
    assert told(mei, "took back the highlight on your report", world.sb) == 1
    # Taken back at last, the one post says who took it back.
    await sam.tap(UNMARK, message=card)
    await world.sb.settle()
    [post] = [m for m in world.sb.messages(unit_chat) if "Study session" in m.text]
    assert "☆ 已不是亮点：Sam取消" in post.text and not post.buttons


async def test_only_the_units_secretary_or_an_admin_marks_and_forged_taps_change_nothing(
    world: World,
):
    await world.import_orgs([("U2", 1)])
    lena, mei, _, sam, group, _ = await _unit_with_report(world)
    tom = await world.join("Tom", "secretary", "U2")
    await world.sb.add_member(group, tom)
    card = world.sb.messages(group)[-1]
    report_id = int(card.button_data(MARK).split(":")[-1])
    assert await world.answer_to(tom, card, f"hl:m:{report_id}") == (
        "Only the unit's secretary or a campaign admin can choose highlights."
    )
    assert "out of date" in await world.answer_to(sam, card, "hl:m:999999")
    assert "out of date" in await world.answer_to(sam, card, "hl:m:x")
    assert "out of date" in await world.answer_to(sam, card, "hl:c:nosuch:0")
    await lena.send("/highlights")
    await lena.tap("🏢 By unit")
    assert lena.last_reply.text == "⭐ No unit has a highlight yet."
    assert not await highlights.listed(world.db)
    # Tom can't open another unit's report that is not a highlight, nor pick from them.
    await tom.send("/highlights")
    assert "not allowed" in (await world.answer_to(tom, tom.last_reply, f"hl:o:{report_id}"))
    await tom.tap("📋 Newest reports, to pick highlights")
    assert tom.last_reply.text == "📋 No saved reports yet to pick highlights from."
    # Leads and members don't get the picker: the same data shows their own project's.
    await mei.send("/highlights")
    assert not mei.last_reply.button_data("📋 Newest reports, to pick highlights")
    await world.answer_to(mei, mei.last_reply, "hl:r:0")
    assert mei.last_reply.text.startswith("📋 Your project's reports: 1, the newest first.")
    assert not mei.last_reply.button_data("☆ Take the highlight back")
    pat = world.sb.user("Pat")  # no role at all
    await pat.send("/start")
    assert "not allowed" in await world.answer_to(pat, pat.last_reply, "hl:r:0")


async def test_a_secretary_picks_privately_and_filters_by_unit_and_criterion(world: World):
    lena, _mei, _, sam, group, _unit_chat = await _unit_with_report(world)
    # Lena's second report supports a criterion.
    await lena.send("/report")
    for label in ("Themed Party day", "Today", "5"):
        await lena.tap(label)
    await lena.send("Visited the elderly members at home.")
    for label in ("✓ Done", "No photo ▶", "🏷 Criterion it supports", "Ideological leadership"):
        await lena.tap(label)
    await lena.tap("✅ Save")
    await sam.send("/highlights")
    assert sam.last_reply.text.startswith("⭐ No highlights yet.")
    await sam.tap("📋 Newest reports, to pick highlights")
    listing = sam.last_reply.text
    assert listing.startswith("📋 Newest reports: 2, the newest first.")
    assert listing.index("Visited the elderly") < listing.index("Study session")
    await world.answer_to(sam, sam.last_reply, "hl:r:99")  # a page since gone: the last one
    assert sam.last_reply.text == listing
    await sam.tap("1")
    opened = sam.last_reply
    assert opened.kind == "text" and "Visited the elderly" in opened.text
    await sam.tap("⭐ Make it a highlight", message=opened)
    assert "⭐ A highlight, chosen by Sam" in opened.text  # the private card, in place
    assert opened.button_data("☆ Take the highlight back")
    await world.sb.settle()
    text_card = world.sb.messages(group)[-1]
    assert text_card.kind == "text" and "⭐ 亮点，由Sam选出" in text_card.text
    # Mark the photo report too, from the group; then filter.
    photo_card = next(m for m in world.sb.messages(group) if m.kind == "photo")
    await sam.tap(MARK, message=photo_card)
    await sam.send("/highlights")
    assert sam.last_reply.text.startswith("⭐ Highlights: 2, the newest first.")
    await sam.tap("🏷 By criterion")
    await sam.tap("Ideological leadership")
    by_criterion = sam.last_reply.text
    assert by_criterion.startswith("⭐ Highlights for “Ideological leadership”: 1")
    assert "Visited the elderly" in by_criterion and "Study session" not in by_criterion
    await sam.tap("🏢 By unit")
    await sam.tap("Unit U1 (U1)")
    assert sam.last_reply.text.startswith("⭐ Highlights of Unit U1: 2, the newest first.")
    await sam.tap("⭐ All highlights")
    assert sam.last_reply.text.startswith("⭐ Highlights: 2")


async def test_coaching_comments_reach_the_lead_and_author_and_show_in_progress(world: World):
    lena, mei, _, sam, _group, _ = await _unit_with_report(world)
    await sam.send("/highlights")
    await sam.tap("📋 Newest reports, to pick highlights")
    await sam.tap("1")
    await sam.tap("💬 Coaching comment", message=sam.last_reply)
    assert "Lena, Mei will read it." in sam.last_reply.text
    await sam.send_sticker()
    assert sam.last_reply.text == "Please write the comment as a text message, or /cancel."
    await sam.send("Good start. Next time say what the members decided <and> who follows up.")
    assert sam.last_reply.text == "💬 Sent to Lena, Mei."
    await world.sb.settle()
    for person in (lena, mei):
        notice = person.last_reply
        assert notice.text.startswith("💬 Sam has a comment on your report of Project U1-01")
        assert "what the members decided <and> who follows up." in notice.text
        assert notice.button_data("👁 Open the report")
    # A comment on the project, from /progress, reaches its lead only.
    await sam.send("/progress")
    await sam.tap("💬 Project U1-01")
    assert "Lena will read it." in sam.last_reply.text
    await sam.send("Please report the March study sessions too.")
    assert sam.last_reply.text == "💬 Sent to Lena."
    await world.sb.settle()
    assert lena.last_reply.text.startswith("💬 Sam has a comment on Project U1-01:")
    assert told(mei, "March study sessions", world.sb) == 0
    await lena.tap("📈 See where it stands", message=lena.last_reply)
    assert "💬 Last coaching comment" in lena.last_reply.text
    assert "from Sam: Please report the March study sessions too." in lena.last_reply.text
    # Leads and members can't start one, even with forged data.
    report_id = await world.db.fetch_value("SELECT MAX(id) FROM activity_reports")
    assert "not allowed" in await world.answer_to(lena, lena.last_reply, f"hl:w:{report_id}")
    rows = await world.db.fetch_all("SELECT * FROM coaching_comments ORDER BY id")
    assert [(r["report_id"] is not None, r["author_id"]) for r in rows] == [
        (True, sam.id),
        (False, sam.id),
    ]


async def test_progress_counts_highlights_and_a_deleted_report_takes_its_posts_along(world: World):
    lena, mei, _, sam, group, unit_chat = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    await sam.tap(MARK, message=card)
    await world.sb.settle()
    [post] = [m for m in world.sb.messages(unit_chat) if "亮点" in m.text]
    await lena.send("/progress")
    assert "⭐ 1 highlight" in lena.last_reply.text
    # The lead reads what the branch reported, from /progress, each a tap from its card.
    await lena.tap("📋 Newest reports")
    listing = lena.last_reply.text
    assert listing.startswith("📋 Your project's reports: 1, the newest first.")
    assert "Themed Party day, 14 Mar 📷 2 ⭐" in listing
    await lena.tap("1")
    assert "Study session" in lena.last_reply.text and not lena.last_reply.buttons
    # The author changes it: both posts follow.
    await mei.send("/start")
    saved = next(m for m in reversed(mei.replies()) if m.button_data("✎ Edit"))
    await mei.tap("✎ Edit", message=saved)
    await mei.tap("✎ People")
    await mei.tap("30")
    await mei.tap("✓ Done")
    await world.sb.settle()
    assert "👥 30人" in card.text and "👥 30人" in post.text
    assert "⭐ 亮点，由Sam选出" in card.text and "⭐ 亮点，由Sam选出" in post.text
    # And deletes it: both posts go, and it is no highlight any more.
    await mei.tap("🗑 Delete", message=saved)
    await mei.tap("🗑 Yes, delete it")
    await world.sb.settle()
    assert card.deleted and post.deleted
    await lena.send("/highlights")
    assert lena.last_reply.text.startswith("⭐ No highlights yet.")
    # A button to it elsewhere (a private card, say) now says why it does nothing.
    stale = card.button_data(UNMARK)
    assert (
        await world.answer_to(sam, sam.last_reply, stale)
        == "That report was deleted by its author."
    )


async def test_a_card_changed_again_while_its_edit_is_in_flight_ends_up_saying_both(
    world: World,
):
    _, mei, _, sam, group, _ = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    await mei.tap("✎ Edit")
    await mei.tap("✎ People")
    # Telegram takes two seconds over the first edit of the card.
    world.sb.faults.timeout("editMessageCaption", 2.0, applied=True, chat_id=group.id, times=1)
    await mei.tap("30", wait=False)

    def edit_in_flight() -> bool:
        return any(m == "editMessageCaption" for m, _ in world.sb.requests)

    await until(edit_in_flight, what="the card's first edit")
    await sam.tap(MARK, message=card)  # meanwhile: a second change of the same card
    await world.sb.settle()
    assert "👥 30人" in card.text and "⭐ 亮点，由Sam选出" in card.text
    assert card.button_data(UNMARK)
    edits = [m for m, p in world.sb.requests if m == "editMessageCaption"]
    assert len(edits) == 2  # the second went out once the first was answered


def test_a_card_not_out_yet_takes_new_words_and_its_waiting_edit_too():
    """The card went back to waiting (a 429, a restart) after an edit of it was written: both
    are given the new words, or the edit would undo them once the card is out."""
    cause = report_card.card_cause(7)
    card = Row(1, cause, "report/card", -5, 0, None, "sendPhoto", {"photo": "f", "caption": "A"}, 1)
    edit = Row(
        2, f"{cause}:edit", "report/card", -5, 0, None, "editMessageCaption", {"caption": "B"}, 0
    )
    changes = report_card._changes(card, edit, "C", None)
    assert [(c.cause, c.method, c.payload.get("caption")) for c in changes] == [
        (cause, "sendPhoto", "C"),
        (f"{cause}:edit", "editMessageCaption", "C"),
    ]
    assert changes[0].payload["photo"] == "f"
    # Sent, it is edited; saying it already, it is left alone; failed, it is let be.
    sent = dataclasses.replace(card, state="sent")
    assert [c.method for c in report_card._changes(sent, None, "C", None)] == ["editMessageCaption"]
    assert report_card._changes(sent, edit, "B", None) == []
    assert report_card._changes(dataclasses.replace(card, state="failed"), None, "C", None) == []


async def test_highlights_are_for_people_with_a_role(world: World):
    _lena, _mei, _, sam, group, _ = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    await sam.tap(MARK, message=card)
    report_id = int(card.button_data(UNMARK).split(":")[-1])
    pat = world.sb.user("Pat")  # no role at all
    await pat.send("/start")
    await pat.send("/highlights")
    assert pat.last_reply.text == "You are not allowed to do that."
    # Nor do buttons kept from a role since removed, or forged, show anything.
    for data in (f"hl:o:{report_id}", "hl:l:0:0", "hl:k"):
        assert await world.answer_to(pat, pat.last_reply, data) == (
            "You are not allowed to do that."
        )
    assert told(pat, "Study session", world.sb) == 0


async def test_a_tap_elsewhere_ends_a_waiting_coaching_comment(world: World):
    lena, _mei, _, sam, _group, _ = await _unit_with_report(world)
    await sam.send("/progress")
    await sam.tap("💬 Project U1-01")
    assert "Lena will read it." in sam.last_reply.text
    await sam.send("/language")
    await sam.tap("English")  # acting elsewhere, before writing the comment
    await sam.send("Lunch at noon?")  # not a comment for anyone
    assert sam.last_reply.text != "💬 Sent to Lena."
    await world.sb.settle()
    assert told(lena, "Lunch at noon?", world.sb) == 0
