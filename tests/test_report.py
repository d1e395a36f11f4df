"""Stage 2: activity reports from a phone, by /report or by simply sending photos; a card in the
project's group when saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox.files import fake_video, make_png
from handlers.report import BUTTONS
from storage import reports
from tests.conftest import World, told

# 10:00 in Shanghai on 15 March 2027: cultivation is open.
CULTIVATING = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)


async def _candidate(world: World):
    """Project U1-01 accepted (a candidate) with lead Lena, member Mei and a bound group;
    Project U1-02 not accepted, with lead Leo."""
    await world.import_orgs([("U1", 2)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    mei = await world.join("Mei", "member", "P-U1-01")
    leo = await world.join("Leo", "lead", "P-U1-02")
    group = world.sb.group("Branch 1", creator=world.admin)
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send("/bind P-U1-01", chat=group)
    await world.accept("P-U1-01", by=lena)
    world.clock.now = CULTIVATING
    return lena, mei, leo, group


class Taps:
    """Counts the taps a person makes."""

    def __init__(self, user) -> None:
        self.user, self.count = user, 0

    async def __call__(self, label: str) -> None:
        await self.user.tap(label)
        self.count += 1


async def test_photos_sent_become_a_report_in_five_taps_and_a_card_in_the_group(world: World):
    _, mei, _, group = await _candidate(world)
    caption = "We studied the new rules together & discussed <our> tasks."
    await mei.send_media_group([("photo", None)] * 3, caption=caption)
    await world.sb.settle()
    question = mei.last_reply
    assert "Report this as an activity of your branch?" in question.text
    assert "📷 Photos: 3 · videos: 0 · documents: 0" in question.text
    tap = Taps(mei)
    await tap("📝 Report it")
    await tap("Themed Party day")
    await tap("Yesterday")
    await tap("20")
    confirm = mei.last_reply
    assert confirm.message_id == question.message_id  # one message, edited in place
    assert "The words are the photos' captions." in confirm.text
    assert caption in confirm.text
    await tap("✅ Save")
    assert tap.count == 5
    assert mei.last_reply.text.startswith("✅ Saved, and posted in your project's group chat.")
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    assert card.kind == "photo"
    assert card.text.startswith("📝 Project U1-01：主题党日\n📅 3月14日 · 👥 20人")
    assert caption in card.text
    assert "📷 3张照片" in card.text and "报告人：Mei" in card.text
    [saved] = await world.db.fetch_all("SELECT * FROM activity_reports WHERE state = 'saved'")
    assert (saved["activity"], saved["held_on"], saved["participants"]) == (
        "party_day",
        "2027-03-14",
        20,
    )
    assert len(await reports.media_of(world.db, saved["id"])) == 3


async def test_report_command_asks_each_step_and_takes_typed_answers(world: World):
    lena, _, _, group = await _candidate(world)
    await lena.send("/report")
    assert "What did the branch do?" in lena.last_reply.text
    await lena.tap("Party lecture")
    await lena.send("3-12")
    assert "📅 12 Mar" in lena.last_reply.text
    await lena.send("25人")
    assert "👥 25 people" in lena.last_reply.text
    await lena.send("The secretary gave a lecture on the Party's history.")
    await lena.send("Members then discussed it in groups.")
    assert "✓ Saved. Send more, or tap Done." in lena.last_reply.text
    await lena.tap("✓ Done")
    assert "Photos? Send them" in lena.last_reply.text
    await lena.tap("No photo ▶")
    await lena.tap("🏷 Criterion it supports")
    await lena.tap("Ideological leadership")
    assert "🏷 Ideological leadership" in lena.last_reply.text
    await lena.tap("✅ Save")
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    assert card.kind == "text"
    assert "The secretary gave a lecture on the Party's history.\n\nMembers then" in card.text
    assert "🏷 思想引领有力" in card.text


async def test_a_report_is_refused_outside_the_stage_and_to_people_without_a_candidate(
    world: World,
):
    lena, _, leo, _ = await _candidate(world)
    await leo.send("/report")
    assert "Activity reports are for candidate projects" in leo.last_reply.text
    await leo.send_photo(caption="Our meeting")
    assert "Report this" not in leo.last_reply.text  # the usual answer to a file
    world.clock.now = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    await lena.send("/report")
    assert lena.last_reply.text == "Activity reports open with Cultivation, on 16 Jan 2027 09:00."


async def test_wrong_input_and_forged_buttons_get_clear_answers_and_change_nothing(world: World):
    lena, _, _, _ = await _candidate(world)
    await lena.send("/report")
    live = lena.last_reply
    await lena.send("hello")
    assert "Tap one of the buttons above" in lena.last_reply.text
    await lena.send_sticker()
    assert "Tap one of the buttons above" in lena.last_reply.text
    for forged in ("rp:a:nonsense", "rp:c:7", "rp:d:9", "rp:e:project", "rp:k:nope"):
        assert "out of date" in await world.answer_to(lena, live, forged)
    await lena.tap("Party lecture", message=live)
    await lena.send("2026-01-01")  # more than 60 days ago
    assert "1 Jan 2026 is more than 60 days ago" in lena.last_reply.text
    await lena.send("2027-03-16")  # tomorrow
    assert "16 Mar is still ahead" in lena.last_reply.text
    await lena.send("the day before")
    assert "not a day within the last 60 days" in lena.last_reply.text
    await lena.tap("Today")
    await lena.send("many")
    assert "not a number of people" in lena.last_reply.text
    draft = await reports.draft_of(world.db, lena.id)
    assert (draft.activity, draft.participants) == ("party_lecture", None)
    assert BUTTONS.parse("rp:c:5") is not None


async def test_a_word_document_from_a_lead_is_an_activitys_in_cultivation(world: World):
    lena, _, _, _ = await _candidate(world)
    await lena.send_document(
        b"PK\x03\x04 not really", filename="minutes.docx", caption="Minutes of the meeting"
    )
    assert "Report this as an activity of your branch?" in lena.last_reply.text
    assert "documents: 1" in lena.last_reply.text


async def test_a_draft_survives_a_restart_and_report_continues_it(world: World):
    lena, _, _, _ = await _candidate(world)
    await lena.send("/report")
    await lena.tap("Study and training")
    await world.restart()
    await lena.send("/report")
    assert "🗂 Study and training" in lena.last_reply.text
    assert "When? Tap a day" in lena.last_reply.text
    # Left for over a week, it is let go when she next reports, and she is told.
    world.clock.now = CULTIVATING + timedelta(days=8)
    await lena.send("/report")
    expired, fresh = lena.replies()[-2:]
    assert expired.text == (
        "Your unfinished report, last changed on 15 Mar 10:00, waited over a week and was"
        " let go. Here is a new one."
    )
    assert "What did the branch do?" in fresh.text
    await lena.tap("✖ Discard")
    assert lena.last_reply.text == "Discarded: nothing was saved."
    assert await reports.draft_of(world.db, lena.id) is None
    assert told(lena, "Discarded", world.sb) == 1


async def test_reported_files_are_copied_beside_the_database_and_a_too_big_one_is_told(
    world: World,
):
    _, mei, _, _ = await _candidate(world)
    sent = await mei.send_photo(caption="Our meeting", data=make_png(16, 16, shade=90))
    await mei.send_content({"photo": sent["photo"]})  # the same file again (forwarded): once
    world.sb.max_download = 4096  # this video is too big for a bot to download
    world.allow_rejections = True  # Telegram's "file is too big" is the point
    await mei.send_video(data=fake_video(8000))
    await mei.send_document(b"minutes", filename="minutes.pdf", mime_type="application/pdf")
    await world.sb.settle()
    assert await world.db.fetch_all("SELECT * FROM media_files") == []  # a draft's: not copied
    await _save_draft(mei)
    await world.sb.settle()
    rows = await world.db.fetch_all("SELECT kind, state, path FROM media_files ORDER BY kind")
    states = {row["kind"]: (row["state"], row["path"]) for row in rows}
    assert states["video"] == ("too_big", None)
    media_folder = world.tmp_path / "media"
    photo_state, photo_path = states["photo"]
    assert photo_state == "stored" and photo_path.endswith(".jpg")
    assert (media_folder / photo_path).read_bytes() == world.sb.file_bytes(
        (await world.db.fetch_one("SELECT file_id FROM media_files WHERE kind = 'photo'"))[0]
    )
    assert (media_folder / states["document"][1]).read_bytes() == b"minutes"
    assert states["document"][1].endswith(".pdf")
    assert len(rows) == 3
    assert "A video you sent for an activity report is over the 20 MB" in "\n".join(
        r.text for r in mei.replies()
    )


async def test_a_copy_that_fails_for_a_while_is_tried_again_until_it_is_stored(world: World):
    _, mei, _, _ = await _candidate(world)
    world.sb.faults.error("getFile", 502, times=2)
    await mei.send_photo(caption="Our meeting")
    await _save_draft(mei)
    await world.sb.settle()
    for _ in range(10):  # each retry waits on the campaign's clock
        state = await world.db.fetch_value("SELECT state FROM media_files")
        if state == "stored":
            break
        world.advance(seconds=30)
        await world.sb.settle()
    row = await world.db.fetch_one("SELECT state, attempts, path FROM media_files")
    assert (row["state"], row["attempts"]) == ("stored", 2)
    assert (world.tmp_path / "media" / row["path"]).is_file()


async def _save_draft(author) -> None:
    """The draft the files just sent began, saved (its words are their captions)."""
    for label in ("📝 Report it", "Themed Party day", "Yesterday", "20", "✅ Save"):
        await author.tap(label)


async def _photo_report(mei) -> None:
    await mei.send_media_group([("photo", None)] * 2, caption="Study session")
    for label in ("📝 Report it", "Themed Party day", "Yesterday", "20", "✅ Save"):
        await mei.tap(label)


async def test_for_48_hours_the_author_edits_or_deletes_and_the_group_card_follows(world: World):
    lena, mei, _, group = await _candidate(world)
    await _photo_report(mei)
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    assert "👥 20人" in card.text
    await mei.tap("✎ Edit")
    assert "Change what you need: the card in the group follows." in mei.last_reply.text
    await mei.tap("✎ People")
    await mei.tap("30")
    await world.sb.settle()
    assert "👥 30人" in card.text and card.edited  # the same card, edited
    assert card.kind == "photo"
    await mei.tap("✓ Done")
    assert mei.last_reply.text.startswith("✅ Saved. The card in your project's group says")
    # Lena's text card: new words.
    await lena.send("/report")
    for label in ("Party lecture", "Today", "10"):
        await lena.tap(label)
    await lena.send("First words.")
    await lena.tap("✓ Done")
    await lena.tap("No photo ▶")
    await lena.tap("✅ Save")
    await world.sb.settle()
    lena_card = world.sb.messages(group)[-1]
    assert "First words." in lena_card.text
    await lena.tap("✎ Edit")
    await lena.tap("✎ Words")
    await lena.send("Better words.")
    await lena.tap("✓ Done")  # the words are complete: the card follows
    await world.sb.settle()
    assert "Better words." in lena_card.text and "First words." not in lena_card.text
    await lena.tap("✓ Done")
    # Mei deletes hers, after a second thought.
    await mei.tap("🗑 Delete")
    assert "Delete this report?" in mei.last_reply.text
    await mei.tap("Keep it")
    assert not card.deleted
    await mei.tap("🗑 Delete")
    await mei.tap("🗑 Yes, delete it")
    assert mei.last_reply.text == "🗑 Deleted, and its card removed from the group."
    await world.sb.settle()
    assert card.deleted and not lena_card.deleted
    states = await world.db.fetch_all("SELECT state FROM activity_reports ORDER BY id")
    assert [row["state"] for row in states] == ["deleted", "saved"]
    # The tallies /progress reads followed every save, change and deletion.
    tallies = await world.db.fetch_all("SELECT month, criterion, n FROM report_tallies")
    assert [tuple(row) for row in tallies] == [("2027-03", "", 1)]
    # After 48 hours Lena's report is part of the record.
    world.clock.now = CULTIVATING + timedelta(hours=49)
    saved = next(m for m in reversed(lena.replies()) if m.button_data("✎ Edit"))
    answer = await world.tap_answer(lena, "✎ Edit", message=saved)
    assert answer == (
        "Over 48 hours since it was saved: the report is part of the record now and can't be"
        " changed."
    )
    await world.sb.settle()
    assert "Better words." in lena_card.text


async def test_a_member_of_two_candidates_picks_the_project_first(world: World):
    lena, mei, _, _ = await _candidate(world)
    await world.accept("P-U1-02", by=lena)
    link = await world.invite_link(world.admin, "member", "P-U1-02")
    await mei.send(f"/start {link}")
    await mei.send("/report")
    assert "Which project is it for?" in mei.last_reply.text
    assert [label for row in mei.last_reply.buttons for label, _ in row][:2] == [
        "Project U1-01",
        "Project U1-02",
    ]
    await mei.tap("Project U1-02")
    assert "📝 Activity report: Project U1-02" in mei.last_reply.text
    assert "What did the branch do?" in mei.last_reply.text


async def test_progress_shows_facts_for_each_role_and_never_a_rank(world: World):
    lena, mei, leo, _ = await _candidate(world)
    await _photo_report(mei)  # about 14 March
    sam = await world.join("Sam", "secretary", "U1")
    await world.accept("P-U1-02", by=leo)  # U1-02 a candidate too
    await mei.send("/help")  # in cultivation, members are shown the way to report
    assert "/report — report an activity of your branch" in mei.last_reply.text
    await lena.send("/progress")
    mine = lena.last_reply.text
    assert mine.startswith("📈 Cultivation: where your project stands.")
    assert "Project U1-01 (Unit U1)" in mine and "Project U1-02" not in mine
    assert "Reports by month: Mar: 1" in mine
    assert "Last report about 14 Mar." in mine
    assert "No evidence yet for: Ideological leadership" in mine
    await sam.send("/progress")
    unit = sam.last_reply.text
    assert unit.startswith("📈 Cultivation: your unit's 2 candidates.")
    # The one with nothing reported comes first: to be coached, not ranked.
    assert unit.index("Project U1-02") < unit.index("Project U1-01")
    assert "No report yet." in unit
    await world.admin.send("/progress")
    assert world.admin.last_reply.text.startswith("📈 Cultivation: 2 candidates, by unit.")
    for text in (mine, unit, world.admin.last_reply.text):
        assert not any(word in text.lower() for word in ("rank", "score", "points", "#1"))


async def test_a_long_progress_list_pages_with_buttons(world: World):
    await world.import_orgs([("U1", 10)])
    await world.accept()
    world.clock.now = CULTIVATING
    await world.admin.send("/progress")
    screen = world.admin.last_reply
    assert "Page 1 of 2." in screen.text and screen.text.count("No report yet.") == 8
    await world.admin.tap("Next ▶", message=screen)
    assert "Page 2 of 2." in screen.text and screen.text.count("No report yet.") == 2
    assert "out of date" in await world.answer_to(world.admin, screen, "pg:p:x")


async def test_once_the_stage_is_over_a_report_is_no_longer_changed_or_deleted(world: World):
    _, mei, _, group = await _candidate(world)
    deadline = world.runner.core.campaign.stage("cultivate").deadline
    world.clock.now = deadline - timedelta(hours=2)
    await _photo_report(mei)
    saved = mei.last_reply
    world.clock.now = deadline + timedelta(hours=1)  # within 48 hours, after the deadline
    for label in ("✎ Edit", "🗑 Delete"):
        answer = await world.tap_answer(mei, label, message=saved)
        assert answer.startswith("Cultivation closed on 30 Sep 18:00")
    assert "out of date" in await world.answer_to(mei, saved, "rp:y:x")
    [row] = await world.db.fetch_all("SELECT state FROM activity_reports")
    assert row["state"] == "saved"
    await world.sb.settle()
    assert not world.sb.messages(group)[-1].deleted


async def test_a_text_nobody_takes_points_a_candidates_member_to_reporting(world: World):
    _, mei, leo, _ = await _candidate(world)  # cultivation is open; Mei's project a candidate
    await mei.send("hello, how do I send our study session?")
    hint = mei.last_reply
    assert hint.text.startswith("I can't read free text here. To report an activity, send me")
    assert hint.buttons[0][0][0] == "📝 Report an activity"
    (button,) = hint.reply_markup["inline_keyboard"][0]
    assert button["url"] == "https://t.me/pacesetter_bot?start=report"
    await leo.send("hello?")  # his project is no candidate: nothing to report, and no /report
    assert "To report an activity" not in leo.last_reply.text
    assert leo.last_reply.text.startswith(
        "I can't read free text here. Your project is not a candidate"
    )
    assert "/report" not in leo.last_reply.text
