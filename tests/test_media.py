"""Local copies of reported files (issue 16, point 6): only what saved reports hold, within
quotas, removed when no saved report holds them any more; `pacesetter media`."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from telegram import InputMediaPhoto
from telegram.error import BadRequest

from bot import cli
from bot.media import DISK_RESERVE, DOWNLOAD_LIMIT, Quota, free_space, over_quota
from bot.sandbox import Sandbox
from bot.sandbox.files import make_png
from bot.settings import MB, MEDIA_QUOTA_TOTAL, SettingsError, load_settings
from storage import orgs
from storage.db import Database
from storage.orgs import OrgRow
from tests.conftest import World, told
from tests.test_highlights import MARK, UNMARK, _unit_with_report
from tests.test_report import CULTIVATING, _candidate, _save_draft
from tests.test_sandbox import TOKEN as SANDBOX_TOKEN
from tests.test_sandbox import make_bot, started


def _copies(world: World) -> list[str]:
    """The files in the media folder, by their paths under it."""
    folder = world.tmp_path / "media"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


async def _rows(world: World) -> list[tuple[str, str]]:
    rows = await world.db.fetch_all("SELECT file_unique_id, state FROM media_files ORDER BY 1")
    return [tuple(row) for row in rows]


async def test_a_discarded_or_expired_draft_leaves_nothing_on_disk(world: World):
    _, mei, _, _ = await _candidate(world)
    await mei.send_photo(caption="Not this one", data=make_png(16, 16, shade=10))
    await world.sb.settle()
    await mei.tap("✖ Discard")
    await world.sb.settle()
    assert await _rows(world) == [] and _copies(world) == []
    # A draft left for over a week is let go with its photos, never copied either.
    await mei.send_photo(caption="Nor this one", data=make_png(16, 16, shade=20))
    await world.sb.settle()
    world.clock.now = CULTIVATING + timedelta(days=8)
    await mei.send("/report")
    await world.sb.settle()
    assert "was let go" in mei.replies()[-2].text
    assert await _rows(world) == [] and _copies(world) == []
    assert await world.db.fetch_value("SELECT COUNT(*) FROM report_media") == 0


async def test_a_deleted_reports_copy_goes_once_no_saved_report_holds_it(world: World):
    _, mei, _, _ = await _candidate(world)
    sent = await mei.send_photo(caption="Our meeting", data=make_png(16, 16, shade=30))
    await _save_draft(mei)
    first = mei.last_reply
    await mei.send_content({"photo": sent["photo"], "caption": "The same photo, again"})
    await _save_draft(mei)
    second = mei.last_reply
    await world.sb.settle()
    [(unique_id, state)] = await _rows(world)
    assert state == "stored" and len(_copies(world)) == 1
    for label in ("🗑 Delete", "🗑 Yes, delete it"):
        await mei.tap(label, message=first)
    await world.sb.settle()
    # The second report still holds it: the copy stays.
    assert await _rows(world) == [(unique_id, "stored")] and len(_copies(world)) == 1
    for label in ("🗑 Delete", "🗑 Yes, delete it"):
        await mei.tap(label, message=second)
    await world.sb.settle()
    assert await _rows(world) == [] and _copies(world) == []


async def _quota(world: World, **limits: int) -> None:
    core = world.runner.core
    core.settings = dataclasses.replace(core.settings, **limits)


async def test_past_a_persons_or_the_total_quota_a_file_is_refused_with_a_clear_reply(
    world: World,
):
    _, mei, _, _ = await _candidate(world)
    await mei.send_photo(caption="Our meeting", data=make_png(16, 16, shade=40))
    size = await world.db.fetch_value("SELECT size FROM report_media")
    assert size > 0
    await _quota(world, media_quota_person=size + 10)
    await mei.send_photo(data=make_png(16, 16, shade=50))
    assert mei.last_reply.text.startswith(
        "This file was not added: your reports hold 0 MB of files already, and each person may"
        " keep up to 0 MB"
    )
    assert await world.db.fetch_value("SELECT COUNT(*) FROM report_media") == 1
    await _save_draft(mei)
    await world.sb.settle()
    # Everyone's copies together: the saved photo fills the server.
    await _quota(world, media_quota_person=10 * size, media_quota_total=size + 10)
    await mei.send_photo(data=make_png(16, 16, shade=60))
    assert mei.last_reply.text.startswith(
        "This file was not added: the bot's server keeps up to 0 MB of files for all reports"
    )
    assert await world.db.fetch_value("SELECT COUNT(*) FROM report_media") == 1
    assert await world.db.fetch_value("SELECT COUNT(*) FROM activity_reports") == 1  # no draft
    await _quota(world, media_quota_total=10 * size)
    await mei.send_photo(data=make_png(16, 16, shade=60))
    assert "Report this as an activity of your branch?" in mei.last_reply.text


async def test_a_file_is_refused_while_the_disk_is_nearly_full(world: World, monkeypatch):
    _, mei, _, _ = await _candidate(world)
    free = free_space(world.tmp_path)
    # Whatever comes would go past it, even if other processes free some space meanwhile.
    monkeypatch.setattr("bot.media.DISK_RESERVE", free + 2**34)
    await mei.send_photo(caption="Our meeting", data=make_png(16, 16, shade=40))
    assert mei.last_reply.text.startswith(
        "This file was not added: the bot's server is nearly out of disk space."
    )
    assert await world.db.fetch_value("SELECT COUNT(*) FROM report_media") == 0


async def test_pacesetter_media_counts_copies_and_retries_a_failed_one_the_admins_heard_of(
    world: World, monkeypatch, capsys
):
    _, mei, _, _ = await _candidate(world)
    await mei.send_photo(caption="Our meeting", data=make_png(16, 16, shade=70))
    await _save_draft(mei)
    await world.sb.settle()
    world.sb.faults.error("getFile", 400, "Bad Request: file is temporarily unavailable", times=1)
    await mei.send_photo(caption="Second meeting", data=make_png(16, 16, shade=80))
    await _save_draft(mei)
    await world.sb.settle()
    assert [state for _, state in await _rows(world)].count("failed") == 1
    assert told(world.admin, "could not be copied to the bot's server", world.sb) == 1
    stored = await world.db.fetch_value("SELECT size FROM media_files WHERE state = 'stored'")
    monkeypatch.setenv("PACESETTER_DB", str(world.tmp_path / "bot.db"))
    assert await asyncio.to_thread(cli.main, ["media"]) == 0
    printed = capsys.readouterr().out
    assert f"stored: 1 files, {stored} bytes" in printed
    assert "failed: 1 files" in printed and "too big (kept in Telegram only): 0 files" in printed
    assert f"{world.tmp_path / 'media'}: {stored} bytes used" in printed and " free" in printed
    assert await asyncio.to_thread(cli.main, ["media", "--retry"]) == 0
    assert "1 failed downloads will be tried again" in capsys.readouterr().out
    world.advance(seconds=1)  # the running bot looks again (within 30 s, without the wake-up)
    await world.sb.settle()
    assert [state for _, state in await _rows(world)] == ["stored", "stored"]
    assert len(_copies(world)) == 2


async def test_an_author_takes_photos_out_of_a_saved_report_and_the_group_card_follows(
    world: World,
):
    _, mei, _, group = await _candidate(world)
    await mei.send_media_group([("photo", None)] * 2, caption="Study session")
    await world.sb.settle()
    await _save_draft(mei)
    await world.sb.settle()
    first, second = [
        row["file_id"]
        for row in await world.db.fetch_all("SELECT file_id FROM report_media ORDER BY id")
    ]
    card = world.sb.messages(group)[-1]
    assert (card.kind, card.file_id) == ("photo", first) and "📷 2张照片" in card.text
    assert len(_copies(world)) == 2
    await mei.tap("✎ Edit")
    await mei.tap("－ Photos")
    assert "Which file should be taken out?" in mei.last_reply.text
    await mei.tap("📷 1")
    assert "📷 Photos: 1 · videos: 0 · documents: 0" in mei.last_reply.text
    await world.sb.settle()
    # The card shows the photo left, and says so; the first photo's copy is gone.
    assert (card.kind, card.file_id, card.deleted) == ("photo", second, False)
    assert "张照片" not in card.text and "Study session" in card.text  # the photo says it
    assert [state for _, state in await _rows(world)] == ["stored"] and len(_copies(world)) == 1
    # The last photo out: a photo post can't become text, so the card comes again as text.
    await mei.tap("－ Photos")
    await mei.tap("📷 1")
    await world.sb.settle()
    assert card.deleted
    text_card = world.sb.messages(group)[-1]
    assert text_card.kind == "text" and "Study session" in text_card.text
    assert "照片" not in text_card.text
    assert await _rows(world) == [] and _copies(world) == []
    # It follows the report from then on, to its deletion.
    await mei.tap("✎ People")
    await mei.tap("30")
    await world.sb.settle()
    assert "👥 30人" in text_card.text and text_card.edited
    await mei.tap("🗑 Delete")
    await mei.tap("🗑 Yes, delete it")
    await world.sb.settle()
    assert text_card.deleted
    assert all(m.deleted for m in world.sb.messages(group) if "Study session" in m.text)


async def test_migration_18_lets_go_of_copies_only_drafts_or_deleted_reports_held(tmp_path):
    path = tmp_path / "old.db"
    old = await Database.open(path, migrate_upto=17)
    stamp = CULTIVATING.isoformat()
    async with old.transaction(CULTIVATING) as tx:
        await orgs.import_rows(tx, [OrgRow(2, "U1", "Unit one", "P1", "Project one")], None)
        await tx.execute(
            "INSERT INTO people (user_id, first_name, created_at, updated_at)"
            " VALUES (1, 'Ann', ?, ?)",
            (stamp, stamp),
        )
        for report_id, state, unique_id in ((1, "saved", "kept"), (2, "draft", "draft_only")):
            await tx.execute(
                "INSERT INTO activity_reports (id, project_id, author_id, state, held_on,"
                " created_at, updated_at) VALUES (?, 1, 1, ?, '2027-03-14', ?, ?)",
                (report_id, state, stamp, stamp),
            )
            await tx.execute(
                "INSERT INTO report_media (report_id, kind, file_id, file_unique_id, message_id,"
                " added_at) VALUES (?, 'photo', 'f', ?, 1, ?)",
                (report_id, unique_id, stamp),
            )
            await tx.execute(
                "INSERT INTO media_files (file_unique_id, file_id, kind, state, path, next_try,"
                " added_at) VALUES (?, 'f', 'photo', 'stored', ?, ?, ?)",
                (unique_id, f"photos/{unique_id}.jpg", stamp, stamp),
            )
    await old.close()
    db = await Database.open(path)
    try:
        rows = await db.fetch_all("SELECT file_unique_id, state, path FROM media_files ORDER BY 1")
        assert [tuple(row) for row in rows] == [
            ("draft_only", "dropped", "photos/draft_only.jpg"),  # the downloader removes it
            ("kept", "stored", "photos/kept.jpg"),
        ]
    finally:
        await db.close()


def test_quotas_are_set_in_megabytes_and_a_wrong_one_is_named():
    settings = load_settings({"PACESETTER_MEDIA_QUOTA_PERSON": "50"})
    assert settings.media_quota_person == 50 * MB
    assert settings.media_quota_total == MEDIA_QUOTA_TOTAL * MB
    with pytest.raises(SettingsError, match="PACESETTER_MEDIA_QUOTA_TOTAL"):
        load_settings({"PACESETTER_MEDIA_QUOTA_TOTAL": "lots"})


async def test_a_report_deleted_before_its_card_came_again_as_text_leaves_no_post(world: World):
    _, mei, _, group = await _candidate(world)
    await mei.send_photo(caption="Study session", data=make_png(16, 16, shade=90))
    await _save_draft(mei)
    await world.sb.settle()
    card = world.sb.messages(group)[-1]
    assert card.kind == "photo"
    world.sb.faults.error("deleteMessage", 502, times=1)  # the group's changes wait a while
    await mei.tap("✎ Edit")
    await mei.tap("－ Photos")
    await mei.tap("📷 1")
    await world.sb.settle()
    assert not card.deleted
    await mei.tap("🗑 Delete")
    await mei.tap("🗑 Yes, delete it")
    world.advance(seconds=30)
    await world.sb.settle()
    assert card.deleted
    assert [m.text for m in world.sb.messages(group) if not m.deleted and "Study" in m.text] == []


def test_over_quota_counts_only_what_would_be_copied():
    quota = Quota(person=100, total=1000)
    assert over_quota(quota, person=60, total=500, size=40) is None  # up to the quota: fine
    assert over_quota(quota, person=60, total=500, size=41) == "person"
    assert over_quota(quota, person=0, total=990, size=11) == "total"
    assert over_quota(quota, person=100, total=1000, size=None) is None  # size unknown
    assert over_quota(quota, person=100, total=1000, size=DOWNLOAD_LIMIT + 1) is None  # not copied
    assert over_quota(quota, person=0, total=0, size=10, free=DISK_RESERVE + 10) is None
    assert over_quota(quota, person=0, total=0, size=11, free=DISK_RESERVE + 10) == "disk"


async def test_the_sandbox_replaces_a_messages_photo_as_telegram_does():
    async with Sandbox(token=SANDBOX_TOKEN) as sb, make_bot(sb) as bot:
        alice = await started(sb)
        first = await bot.send_photo(alice.id, make_png(8, 8, shade=1), caption="one")
        second = await bot.send_photo(alice.id, make_png(8, 8, shade=2), caption="two")
        new_id = second.photo[-1].file_id
        media = InputMediaPhoto(new_id, caption="<b>new</b> words", parse_mode="HTML")
        await bot.edit_message_media(media, alice.id, first.message_id)
        shown = next(m for m in sb.messages(alice.id) if m.message_id == first.message_id)
        assert (shown.kind, shown.file_id, shown.text, shown.edited) == (
            "photo",
            new_id,
            "new words",
            True,
        )
        text = await bot.send_message(alice.id, "plain")
        with pytest.raises(BadRequest, match="no media in the message"):
            await bot.edit_message_media(media, alice.id, text.message_id)


async def test_a_highlights_posts_follow_a_photo_taken_out_too(world: World):
    _, mei, _, sam, group, unit_chat = await _unit_with_report(world)
    card = world.sb.messages(group)[-1]
    await world.tap_answer(sam, MARK, message=card)
    await world.sb.settle()
    [post] = [m for m in world.sb.messages(unit_chat) if "亮点" in m.text]
    second = await world.db.fetch_value("SELECT file_id FROM report_media ORDER BY id DESC")
    await mei.tap("✎ Edit")
    await mei.tap("－ Photos")
    await mei.tap("📷 1")
    await world.sb.settle()
    for shown in (card, post):  # the same photo, words and button everywhere
        assert (shown.kind, shown.file_id, shown.deleted) == ("photo", second, False)
        assert "⭐ 亮点，由Sam选出" in shown.text and shown.button_data(UNMARK)
    await mei.tap("－ Photos")
    await mei.tap("📷 1")
    await world.sb.settle()
    assert card.deleted and post.deleted
    for chat in (group, unit_chat):
        [now] = [m for m in world.sb.messages(chat) if "Study session" in m.text and not m.deleted]
        assert now.kind == "text" and "⭐ 亮点，由Sam选出" in now.text and now.button_data(UNMARK)
