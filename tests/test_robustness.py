"""Errors, logging and menus: the bot keeps running, apologises, never logs its token."""

from __future__ import annotations

import io
import json
import logging
import sqlite3

from telegram import Update

from bot.logs import install_redaction
from bot.polling import _as_sent
from storage import inbox, people
from tests.conftest import TOKEN, World


async def test_a_failing_handler_is_logged_once_apologised_for_and_the_bot_goes_on(
    world: World, caplog
):
    # A real fault from outside the bot: a table disappears under it.
    with sqlite3.connect(world.settings.db_path) as conn:
        conn.execute("DROP TABLE invitations")
    with caplog.at_level(logging.ERROR, logger="pacesetter.errors"):
        await world.admin.send("/invite reviewer")
    assert "Sorry, something went wrong" in world.admin.last_reply.text
    failures = [r for r in caplog.records if r.name == "pacesetter.errors"]
    assert len(failures) == 1 and "failed" in failures[0].getMessage()
    await world.admin.send("/whoami")
    assert "Campaign admin" in world.admin.last_reply.text


async def test_a_failure_before_the_person_is_known_is_apologised_for_in_their_language(
    world: World, caplog
):
    with sqlite3.connect(world.settings.db_path) as conn:
        conn.execute("DROP TABLE roles")
    wei = world.sb.user("Wei", language_code="zh-hant")
    with caplog.at_level(logging.ERROR, logger="pacesetter.errors"):
        await wei.send("/start")
    assert [r.text for r in wei.replies()] == [
        world.runner.core.msgs.text("zh-Hant", "errors/sorry_unsaved")  # nothing was stored
    ]
    assert len([r for r in caplog.records if r.name == "pacesetter.errors"]) == 1


async def test_the_token_never_reaches_a_log_line(world: World):
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    install_redaction(handler, TOKEN)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        await world.import_orgs([("U1", 2)])  # downloads a file: its URL holds the token
        with sqlite3.connect(world.settings.db_path) as conn:
            conn.execute("DROP TABLE flows")
        await world.admin.send("/cancel")  # a traceback
        logging.getLogger("test").info("url %s", f"https://x/bot{TOKEN}/getMe")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logged = buffer.getvalue()
    assert "getUpdates" in logged or "get_updates" in logged  # DEBUG really was on
    assert "Traceback" in logged
    assert TOKEN not in logged
    assert TOKEN.split(":")[1] not in logged
    assert "<token>" in logged


async def test_old_handled_update_ids_are_forgotten_on_a_schedule(world: World):
    jobs = world.runner.app.job_queue.get_jobs_by_name("forget-old-updates")
    assert len(jobs) == 1
    await world.admin.send("/whoami")
    async with world.db.transaction(world.clock.now) as tx:
        await tx.execute(
            "INSERT INTO inbox (update_id, payload, received_at, handled_at)"
            " VALUES (1, '', '2020-01-01T00:00:00+00:00', '2020-01-01T00:00:00+00:00')"
        )
    recent = await world.db.fetch_value("SELECT COUNT(*) FROM inbox") - 1
    assert recent >= 1
    await jobs[0].run(world.runner.app)  # what the scheduler does every six hours
    remaining = await world.db.fetch_all("SELECT update_id FROM inbox")
    assert len(remaining) == recent and 1 not in [row[0] for row in remaining]


async def test_command_menus_per_language_and_scope(world: World):
    sb, msgs = world.sb, world.runner.core.msgs
    for code, locale in (("", "zh-Hans"), ("en", "en"), ("zh", "zh-Hans")):
        private = dict(sb.commands("all_private_chats", language_code=code))
        assert private["help"] == msgs.label(locale, "cmd_help")
        assert "import" not in private
        groups = dict(sb.commands("all_group_chats", language_code=code))
        assert set(groups) == {"bind", "unbind", "deadlines", "help"}
    # The configured admin gets the admin commands in their private chat once known.
    await world.admin.send("/start")
    await world.restart()
    admin_menu = dict(sb.commands("chat", chat_id=world.admin.id))
    assert admin_menu["import"] == msgs.label("en", "cmd_import")


async def test_role_holders_menus_are_refreshed_at_start(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    assert "apply" in dict(world.sb.commands("chat", chat_id=lena.id))
    async with world.db.transaction(world.clock.now) as tx:  # changed while the bot was away
        await people.set_locale(tx, lena.id, "zh-Hant")
    await world.restart()
    await world.sb.settle()
    menu = dict(world.sb.commands("chat", chat_id=lena.id))
    assert menu["apply"] == world.runner.core.msgs.label("zh-Hant", "cmd_apply")


async def test_a_user_who_blocked_the_bot_is_not_messaged(world: World):
    await world.import_orgs([("U1", 1)])
    link = await world.invite_link(world.admin, "lead", "P-U1-01")
    await world.sb.block_bot(world.admin)
    lena = world.sb.user("Lena")
    mark = len(world.sb.requests)
    await lena.send(f"/start {link}")
    assert "You are now a project lead" in lena.last_reply.text
    # The inviter blocked the bot: no "accepted" notice was attempted, nothing was refused.
    sent_to = [p.get("chat_id") for m, p in world.sb.requests[mark:] if m == "sendMessage"]
    assert sent_to == [lena.id]


async def test_a_failing_command_in_a_group_is_apologised_for_there(world: World, caplog):
    await world.import_orgs([("U1", 1)])
    group = world.sb.group("G", creator=world.admin)
    await world.sb.add_bot(group, by=world.admin)
    with sqlite3.connect(world.settings.db_path) as conn:
        conn.execute("DROP TABLE chat_bindings")
    with caplog.at_level(logging.ERROR, logger="pacesetter.errors"):
        await world.admin.send("/bind P-U1-01", chat=group)
    assert "Sorry, something went wrong" in world.sb.messages(group)[-1].text


async def test_flood_limits_are_waited_out_and_nothing_is_lost(world: World):
    world.allow_rejections = True
    world.sb.limits.chat_burst = 1  # Telegram: about one message a second in a chat
    world.sb.limits.chat_per_second = 1.0
    nina = world.sb.user("Nina")
    for text in ("/start", "/help", "/whoami"):
        await nina.send(text, wait=False)
    await world.sb.settle(timeout=20)
    assert len(nina.replies()) == 3
    assert {status for _, status, _ in world.sb.rejections} == {429}


async def _chat_menus_set_by_a_restart(world: World) -> list[int]:
    mark = len(world.sb.requests)
    await world.restart()
    return [
        p["scope"]["chat_id"]
        for m, p in world.sb.requests[mark:]
        if m == "setMyCommands" and p["scope"]["type"] == "chat"
    ]


async def test_a_restart_sets_no_menu_that_is_already_right(world: World):
    await world.import_orgs([("U1", 3)])
    leads = [await world.join(f"Lead{i}", "lead", f"P-U1-0{i}") for i in (1, 2, 3)]
    await world.restart()
    assert (
        await _chat_menus_set_by_a_restart(world) == []
    )  # every role holder's menu is still the one last set
    async with world.db.transaction(world.clock.now) as tx:
        await people.set_locale(tx, leads[1].id, "zh-Hant")  # changed while the bot was away
    assert await _chat_menus_set_by_a_restart(world) == [leads[1].id]


async def test_the_inbox_keeps_each_update_as_telegram_sent_it(world: World, monkeypatch):
    request = world.runner.poller.updates_request
    bodies = []
    keep_body = request.do_request

    async def spy(*args, **kwargs):
        code, body = await keep_body(*args, **kwargs)
        bodies.append(body)
        return code, body

    monkeypatch.setattr(request, "do_request", spy)

    async def keep_payload(tx, update_id) -> None:  # handling empties the stored payload
        pass

    monkeypatch.setattr(inbox, "mark_handled", keep_payload)
    user = world.sb.user("Una")
    await user.send("hello")  # comes in the long poll that was waiting before the spy
    await user.send("hello there")
    sent = {item["update_id"]: item for body in bodies for item in json.loads(body)["result"]}
    async with world.db.transaction(world.clock()) as tx:
        rows = await tx.fetch_all("SELECT update_id, payload FROM inbox WHERE payload != ''")
    stored = {row["update_id"]: json.loads(row["payload"]) for row in rows}
    assert stored[max(stored)]["message"]["text"] == "hello there"
    assert stored[max(stored)] == sent[max(stored)]


def test_an_update_not_in_the_body_is_stored_from_its_object():
    update = Update.de_json({"update_id": 9, "message": MESSAGE}, None)
    assert _as_sent([update], b'{"ok": true, "result": []}') == [update.to_dict()]
    assert _as_sent([update], b"not json") == [update.to_dict()]
    raw = {"update_id": 9, "message": {**MESSAGE, "new_field": 1}}
    assert _as_sent([update], json.dumps({"ok": True, "result": [raw]}).encode()) == [raw]


MESSAGE = {
    "message_id": 1,
    "date": 0,
    "chat": {"id": 5, "type": "private"},
    "from": {"id": 5, "is_bot": False, "first_name": "Una"},
    "text": "hi",
}
