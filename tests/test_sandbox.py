"""The sandbox Bot API server, driven over real HTTP on loopback by PTB's Bot and httpx."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.sandbox import Sandbox, SandboxError
from bot.sandbox.html import HtmlError, parse_html

TOKEN = "123456:TEST-token"
Handler = Callable[[Update], Awaitable[None]]


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(token=TOKEN) as sandbox:
        yield sandbox


def make_bot(sb: Sandbox, read_timeout: float | None = None) -> Bot:
    request = HTTPXRequest(read_timeout=read_timeout) if read_timeout is not None else None
    return Bot(
        TOKEN,
        base_url=f"{sb.api_url}/bot",
        base_file_url=f"{sb.api_url}/file/bot",
        request=request,
    )


@pytest.fixture
async def bot(sb: Sandbox) -> AsyncIterator[Bot]:
    async with make_bot(sb) as client:
        yield client


@contextlib.asynccontextmanager
async def polling(bot: Bot, handler: Handler) -> AsyncIterator[None]:
    """A tiny bot like ours: handle each update, then confirm it with the next getUpdates."""

    async def loop() -> None:
        offset = 0
        while True:
            for update in await bot.get_updates(offset=offset, timeout=2):
                await handler(update)
                offset = update.update_id + 1

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def started(sb: Sandbox, name: str = "Alice"):
    """A user who has written to the bot, so that the bot may write to them."""
    user = sb.user(name, username=name.lower())
    await user.send("/start", wait=False)
    return user


async def drain(bot: Bot) -> list[Update]:
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


# --- basics ----------------------------------------------------------------------------------


async def test_get_me_auth_and_unknown_method(sb: Sandbox, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (sb.bot_id, "pacesetter_bot", True)
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{sb.api_url}/bot123456:wrong/getMe")
        assert wrong.status_code == 401
        assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        unknown = await client.post(f"{sb.api_url}/bot{TOKEN}/frobnicate")
        assert unknown.json()["description"] == "Not Found" and unknown.status_code == 404
        lower = await client.get(f"{sb.api_url}/bot{TOKEN}/getme")
        assert lower.json()["result"]["id"] == sb.bot_id
        as_json = await client.post(f"{sb.api_url}/bot{TOKEN}/getChat", json={"chat_id": 1})
        assert as_json.json()["description"] == "Bad Request: chat not found"
    assert TOKEN not in repr(sb)


async def test_send_edit_delete(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    sent = await bot.send_message(alice.id, "Pick", reply_markup=keyboard([("Yes", "y")]))
    reply = alice.last_reply
    assert (reply.text, reply.buttons, reply.message_id) == ("Pick", [[("Yes", "y")]], 2)
    await bot.edit_message_text("Picked", alice.id, sent.message_id)
    assert (reply.text, reply.edited, reply.buttons) == ("Picked", True, [])  # markup dropped
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Picked", alice.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", alice.id, 999)
    await bot.edit_message_reply_markup(
        alice.id, sent.message_id, reply_markup=keyboard([("A", "a")])
    )
    assert reply.buttons == [[("A", "a")]]
    assert await bot.delete_message(alice.id, sent.message_id)
    assert reply.deleted
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("y", alice.id, sent.message_id)
    assert sb.rejections[-1] == ("editMessageText", 400, "Bad Request: message to edit not found")
    assert sb.messages(alice.id) == [reply]


# --- HTML ------------------------------------------------------------------------------------


def test_html_parser_accepts_telegram_markup() -> None:
    source = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
        '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://x.org/?a=1&amp;b=2">l</a><tg-emoji emoji-id="5368324170671202286">👍'
        '</tg-emoji><code>c</code><pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>q</blockquote> &lt;&gt;&amp;&quot;&#34;&#x27;"
    )
    parsed = parse_html(source)
    assert parsed.text.endswith(' <>&""\'')
    types = [e["type"] for e in parsed.entities]
    assert "expandable_blockquote" in types and "custom_emoji" in types
    pre = next(e for e in parsed.entities if e["type"] == "pre")
    assert pre["language"] == "python" and "code" not in [t for t in types if t == "code"][1:]
    link = next(e for e in parsed.entities if e["type"] == "text_link")
    assert link["url"] == "https://x.org/?a=1&b=2"


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("<x>hi</x>", 'Unsupported start tag "x" at byte offset 0'),
        ("你好<x>", 'Unsupported start tag "x" at byte offset 6'),
        ("a & b", 'Character "&" must be escaped as "&amp;" at byte offset 2'),
        ("1 > 0", 'Character ">" must be escaped as "&gt;" at byte offset 2'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("&nbsp;", 'Character "&" must be escaped as "&amp;" at byte offset 0'),
    ],
)
def test_html_parser_refuses(source: str, description: str) -> None:
    with pytest.raises(HtmlError) as refused:
        parse_html(source)
    assert str(refused.value) == description


async def test_html_errors_and_lengths_over_http(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "🙂 你好 <x>", parse_mode="HTML")
    expected = 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 12'
    assert sb.rejections[-1] == ("sendMessage", 400, expected)
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "Tom & Jerry", parse_mode="HTML")
    assert (await bot.send_message(alice.id, "Tom & Jerry")).text == "Tom & Jerry"  # no parse mode
    four_k = await bot.send_message(alice.id, "&amp;" * 4096, parse_mode="HTML")
    assert four_k.text == "&" * 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(alice.id, "&amp;" * 4097, parse_mode="HTML")
    await bot.send_message(alice.id, "😀" * 2048)  # 4096 UTF-16 code units
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(alice.id, "😀" * 2048 + "a")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(alice.id, "<b>  </b>", parse_mode="HTML")


async def test_caption_limit(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    await bot.send_photo(alice.id, b"\x89PNG", caption="c" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(alice.id, b"\x89PNG", caption="&lt;" * 1025, parse_mode="HTML")
    assert [m.kind for m in alice.replies()] == ["photo"]


async def test_keyboard_rules(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    await bot.send_message(alice.id, "ok", reply_markup=keyboard([("é", "é" * 32)]))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "no", reply_markup=keyboard([("é", "é" * 32 + "x")]))
    nine = [(str(i), str(i)) for i in range(9)]
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "no", reply_markup=keyboard(nine))
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "no", reply_markup=keyboard(*[nine[:8]] * 13))
    text_only = InlineKeyboardMarkup([[InlineKeyboardButton("t", url=None, callback_data=None)]])
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(alice.id, "no", reply_markup=text_only)
    assert len(alice.replies()) == 1


# --- callback queries ------------------------------------------------------------------------


async def test_callback_answer_once_late_and_never(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    await bot.send_message(alice.id, "Go?", reply_markup=keyboard([("Yes", "y"), ("No", "n")]))
    await drain(bot)
    query = await alice.tap("Yes", wait=False)
    [update] = await drain(bot)
    assert update.callback_query.data == "y" and update.callback_query.message.text == "Go?"
    assert await update.callback_query.answer("Thanks")
    assert sb.callback_answer(query["id"])["text"] == "Thanks"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await update.callback_query.answer()
    sb.callback_timeout = 0.2
    await alice.tap("No", wait=False)
    [late] = await drain(bot)
    await asyncio.sleep(0.3)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await late.callback_query.answer()
    assert sb.problems == [f"callback query {late.callback_query.id} (data 'n') was never answered"]
    with pytest.raises(SandboxError, match="no bot message"):
        await alice.tap("Maybe")


async def test_unanswered_callback_is_a_problem_at_settle(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    message = await bot.send_message(alice.id, "Go?", reply_markup=keyboard([("Yes", "y")]))

    async def ignore(update: Update) -> None:
        pass

    async with polling(bot, ignore):
        await alice.tap_data(alice.replies()[0], "forged:1")
        await sb.settle()
    assert len(sb.problems) == 1 and "(data 'forged:1') was never answered" in sb.problems[0]
    assert message.message_id == alice.replies()[0].message_id


# --- chats -----------------------------------------------------------------------------------


async def test_chat_refusals(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-42, "x")
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(alice.id, "x")
    await alice.send("/start", wait=False)
    await sb.block_bot(alice, wait=False)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(alice.id, "x")
    updates = await drain(bot)
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    await alice.send("back", wait=False)  # writing again unblocks, as in Telegram
    await bot.send_message(alice.id, "welcome back")
    group = sb.group("Project A", creator=alice)
    with pytest.raises(Forbidden, match=r"(?i)bot is not a member of the group chat"):
        await bot.send_message(group.id, "x")
    await sb.add_bot(group, by=alice, wait=False)
    await bot.send_message(group.id, "hello group")
    await sb.remove_bot(group, by=alice, wait=False)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        await bot.send_message(group.id, "x")
    kinds = [u.my_chat_member.new_chat_member.status for u in await drain(bot) if u.my_chat_member]
    assert kinds == ["member", "member", "kicked"]  # unblock, added, removed


async def test_group_upgrade_migrates(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice")
    group = sb.group("Project A", creator=alice)
    await sb.add_bot(group, by=alice, wait=False)
    new = await sb.upgrade(group, wait=False)
    assert new.type == "supergroup" and new.id < -(2**32)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(group.id, "x")
    assert migrated.value.new_chat_id == new.id
    messages = [u.message for u in await drain(bot) if u.message]
    assert messages[-2].migrate_to_chat_id == new.id
    assert messages[-1].migrate_from_chat_id == group.id and messages[-1].chat.id == new.id
    await bot.send_message(new.id, "moved")
    assert [m.text for m in sb.messages(new)] == ["moved"]


async def test_forum_topics_and_members(sb: Sandbox, bot: Bot) -> None:
    alice, bob = sb.user("Alice"), sb.user("Bob")
    forum = sb.supergroup("Unit X", creator=alice, forum=True, admins=[bob])
    await sb.add_bot(forum, by=alice, wait=False)
    topic = await sb.create_topic(forum, "Reports", by=alice, wait=False)
    message = await bob.send("in topic", chat=forum, thread_id=topic, wait=False)
    assert message["is_topic_message"] and message["message_thread_id"] == topic
    await bot.send_message(forum.id, "topic reply", message_thread_id=topic)
    assert [m.text for m in sb.messages(forum, thread_id=topic)] == ["topic reply"]
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(forum.id, "x", message_thread_id=9999)
    owner = await bot.get_chat_member(forum.id, alice.id)
    admin = await bot.get_chat_member(forum.id, bob.id)
    assert isinstance(owner, ChatMemberOwner) and isinstance(admin, ChatMemberAdministrator)
    sb.demote(forum, bob)
    assert (await bot.get_chat_member(forum.id, bob.id)).status == "member"
    assert len(await bot.get_chat_administrators(forum.id)) == 1
    assert await bot.get_chat_member_count(forum.id) == 3
    chat = await bot.get_chat(forum.id)
    assert chat.is_forum and chat.title == "Unit X"
    with pytest.raises(SandboxError, match="not a member"):
        await sb.user("Carol").send("hi", chat=forum)


# --- rate limits -----------------------------------------------------------------------------


async def test_flood_limits_answer_429(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    sb.limits.chat_burst = 2
    await bot.send_message(alice.id, "1")
    await bot.send_message(alice.id, "2")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(alice.id, "3")
    assert refused.value.retry_after.total_seconds() >= 1
    assert sb.rejections[-1] == ("sendMessage", 429, "Too Many Requests: retry after 1")
    group = sb.group("G", creator=alice)
    await sb.add_bot(group, by=alice, wait=False)
    sb.limits.group_per_minute = 1
    await bot.send_message(group.id, "one")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(group.id, "two")
    assert refused.value.retry_after.total_seconds() > 50


# --- updates ---------------------------------------------------------------------------------


async def test_offsets_confirm_and_restart_redelivers(sb: Sandbox) -> None:
    alice = sb.user("Alice")
    for text in ("one", "two", "three"):
        await alice.send(text, wait=False)
    async with make_bot(sb) as first:
        updates = await first.get_updates()
        assert [u.message.text for u in updates] == ["one", "two", "three"]
        assert updates[1].update_id == updates[0].update_id + 1
        await first.get_updates(offset=updates[0].update_id + 1, timeout=0)
    async with make_bot(sb) as second:  # a restarted bot starts from offset 0
        again = await second.get_updates()
        assert [u.message.text for u in again] == ["two", "three"]
        offset = again[-1].update_id + 1
        waiting = asyncio.create_task(second.get_updates(offset=offset, timeout=60))
        await asyncio.sleep(0.1)
        await alice.send("four", wait=False)
        # Woken by the update, long before the poll's own minute is up.
        [woken] = await asyncio.wait_for(waiting, timeout=30)
        assert woken.message.text == "four"


async def test_send_waits_until_handled_and_confirmed(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice", username="alice")

    async def echo(update: Update) -> None:
        if update.message and update.message.text:
            await update.message.reply_text(f"echo: {update.message.text}")

    async with polling(bot, echo):
        message = await alice.send("/start abc")
        assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        assert alice.last_reply.text == "echo: /start abc"  # already there: send waited
        assert (await alice.next_reply()).text == "echo: /start abc"
        await alice.send("second")
        assert (await alice.next_reply(timeout=1)).text == "echo: second"
        with pytest.raises(SandboxError, match="timed out"):
            await alice.next_reply(timeout=0.1)
    sb.settle_timeout = 0.2
    with pytest.raises(SandboxError, match="is it polling"):
        await alice.send("nobody listens")


async def test_hold_release_and_wait_request(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice")

    async def echo(update: Update) -> None:
        await update.message.reply_text("pong")

    async with polling(bot, echo):
        sb.hold("sendMessage")
        await alice.send("ping", wait=False)
        params = await sb.wait_request("sendMessage", timeout=5)
        assert params["text"] == "pong" and params["chat_id"] == alice.id
        await asyncio.sleep(0.05)
        assert alice.replies() == []
        sb.release("sendMessage")
        await sb.settle()
        assert [m.text for m in alice.replies()] == ["pong"]


# --- files -----------------------------------------------------------------------------------


async def test_files_round_trip(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    await alice.send_photo(caption="mine", wait=False)
    await alice.send_document(b"a,b\n1,2\n", filename="units.csv", mime_type="text/csv", wait=False)
    photo_update, doc_update = (await drain(bot))[1:]
    sizes = photo_update.message.photo
    assert len(sizes) == 3 and sizes[-1].width == 800 and photo_update.message.caption == "mine"
    photo_file = await sizes[-1].get_file()
    assert bytes(await photo_file.download_as_bytearray()) == sb.file_bytes(sizes[-1].file_id)
    assert sb.file_bytes(sizes[-1].file_id).startswith(b"\x89PNG")
    document = doc_update.message.document
    assert (document.file_name, document.mime_type) == ("units.csv", "text/csv")
    assert bytes(await (await document.get_file()).download_as_bytearray()) == b"a,b\n1,2\n"
    sent = await bot.send_document(alice.id, document=b"report", filename="r.txt", caption="c")
    assert sb.file_bytes(sent.document.file_id) == b"report"
    assert alice.last_reply.kind == "document" and alice.last_reply.file_id == sent.document.file_id
    again = await bot.send_document(alice.id, document=sent.document.file_id)
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(alice.id, document="no-such-file")
    sb.max_download = 3
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(sent.document.file_id)


async def test_albums_both_ways(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    await alice.send_media_group([("photo", None), ("photo", None)], caption="two", wait=False)
    album = [u.message for u in (await drain(bot))[1:]]
    assert len({m.media_group_id for m in album}) == 1 and album[0].caption == "two"
    media = [InputMediaPhoto(b"\x89PNG-one", caption="first"), InputMediaPhoto(b"\x89PNG-two")]
    sent = await bot.send_media_group(alice.id, media)
    assert len(sent) == 2 and sent[0].media_group_id == sent[1].media_group_id
    assert sb.file_bytes(sent[1].photo[-1].file_id) == b"\x89PNG-two"
    await alice.send_video(wait=False)
    await alice.send_sticker(wait=False)
    video, sticker = await drain(bot)
    assert video.message.video.file_id and sticker.message.sticker.emoji == "👍"


# --- commands and transcript -----------------------------------------------------------------


async def test_commands_validated_and_stored_per_scope(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice")
    group = sb.group("G", creator=alice)
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "開始")], language_code="zh")
    await bot.set_my_commands([BotCommand("report", "Report")], scope=BotCommandScopeChat(group.id))
    assert sb.commands() == [("start", "Start"), ("help", "Help")]
    assert sb.commands(language_code="zh") == [("start", "開始")]
    assert sb.commands("chat", chat_id=group.id) == [("report", "Report")]
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["start"]
    await bot.delete_my_commands(language_code="zh")
    assert sb.commands(language_code="zh") == []
    for bad in (
        [BotCommand("Start", "x")],
        [BotCommand("a" * 33, "x")],
        [BotCommand("ok", "")],
        [BotCommand("ok", "d" * 257)],
        [BotCommand(f"c{i}", "d") for i in range(101)],
    ):
        with pytest.raises(BadRequest):
            await bot.set_my_commands(bad)
    assert [r[2] for r in sb.rejections][:2] == ["Bad Request: BOT_COMMAND_INVALID"] * 2


async def test_transcript(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice")
    group = sb.group("Project A", creator=alice)

    async def respond(update: Update) -> None:
        if update.message and update.message.text:
            markup = keyboard([("Yes", "y"), ("No", "n")])
            await update.message.reply_text("Welcome\nsecond line", reply_markup=markup)
        elif update.callback_query:
            await update.callback_query.answer("Noted")
            await update.callback_query.edit_message_text("Thanks")

    async with polling(bot, respond):
        await alice.send("/start abc")
        await alice.tap("Yes")
        await sb.add_bot(group, by=alice)
        await alice.send("hi all", chat=group)
        await alice.send_photo(caption="look", chat=group)
    assert sb.transcript() == [
        "Alice → bot: /start abc",
        "bot → Alice: Welcome\n    second line\n  [ Yes ] [ No ]",
        "Alice taps [ Yes ]",
        "bot ⓘ Alice: Noted",
        "bot ✎ Alice: Thanks",
        "Alice adds bot to Project A",
        "Alice → Project A: hi all",
        "bot → Project A: Welcome\n    second line\n  [ Yes ] [ No ]",
        "Alice → Project A: [photo] look",
    ]
    assert sb.problems == []
    assert [m for m, _ in sb.requests].count("sendMessage") == 2


async def test_newer_long_poll_ends_an_abandoned_one(sb: Sandbox) -> None:
    alice = sb.user("Alice")
    url = f"{sb.api_url}/bot{TOKEN}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as old, httpx.AsyncClient(timeout=10) as new:
        abandoned = asyncio.create_task(old.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.1)
        current = asyncio.create_task(new.post(url, data={"timeout": "5"}))
        conflict = await asyncio.wait_for(abandoned, 1)
        assert conflict.status_code == 409 and "terminated by other getUpdates" in conflict.text
        await alice.send("hello", wait=False)
        answer = (await asyncio.wait_for(current, 1)).json()
        assert answer["ok"] and answer["result"][0]["message"]["text"] == "hello"


async def test_other_methods_and_user_edits(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    group = sb.group("G", creator=alice)
    await sb.add_bot(group, by=alice, wait=False)
    said = await alice.send("note this", chat=group, wait=False)
    await alice.edit(said, "note this!", wait=False)
    edited = (await drain(bot))[-1].edited_message
    assert edited.text == "note this!" and edited.edit_date
    copied = await bot.copy_message(alice.id, group.id, said["message_id"])
    forwarded = await bot.forward_message(alice.id, group.id, said["message_id"])
    assert alice.replies()[0].message_id == copied.message_id
    assert forwarded.forward_origin.sender_user.id == alice.id
    assert await bot.send_chat_action(alice.id, "typing")
    assert await bot.pin_chat_message(group.id, said["message_id"])
    assert await bot.set_my_description("A bot") and await bot.set_chat_menu_button()
    assert (await bot.get_my_description()).description == "A bot"
    assert (await bot.get_chat(alice.id)).first_name == "Alice"
    assert await bot.leave_chat(group.id)
    assert (await drain(bot))[-1].my_chat_member.new_chat_member.status == "left"
    with pytest.raises(Forbidden):
        await bot.send_message(group.id, "gone")


# --- faults ----------------------------------------------------------------------------------


def served(sb: Sandbox) -> list[tuple]:
    return [(f.method, f.chat_id, f.kind, f.status) for f in sb.faults.served]


async def test_server_error_for_n_calls_then_normal(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    sb.faults.error("sendMessage", 502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as failed:
            await bot.send_message(alice.id, "x")
        assert type(failed.value) is NetworkError  # not BadRequest or TimedOut
    await bot.send_message(alice.id, "third time")
    assert [m.text for m in alice.replies()] == ["third time"]
    assert served(sb) == [("sendMessage", alice.id, "error", 502)] * 2
    assert sb.rejections == [] and sb.faults.rules == []  # spent rules go
    async with httpx.AsyncClient() as client:
        sb.faults.error("getMe", times=1)
        answer = await client.post(f"{sb.api_url}/bot{TOKEN}/getMe")
    assert answer.status_code == 500
    assert answer.json() == {"ok": False, "error_code": 500, "description": "Internal Server Error"}


async def test_server_error_for_one_chat_until_cleared(sb: Sandbox, bot: Bot) -> None:
    alice, bob = await started(sb, "Alice"), await started(sb, "Bob")
    sb.faults.error("sendMessage", 500, chat_id=alice.id)
    for _ in range(3):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(alice.id, "x")
        await bot.send_message(bob.id, "fine")
    sb.faults.clear()
    await bot.send_message(alice.id, "at last")
    assert [m.text for m in alice.replies()] == ["at last"]
    assert [m.text for m in bob.replies()] == ["fine"] * 3
    assert {f.chat_id for f in sb.faults.served} == {alice.id} and len(sb.faults.served) == 3


async def test_flood_for_one_chat_during_a_window(sb: Sandbox, bot: Bot) -> None:
    alice, bob = await started(sb, "Alice"), await started(sb, "Bob")
    now = [1000.0]
    sb.faults.clock = lambda: now[0]
    sb.faults.flood(alice.id, seconds=3)
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(alice.id, "x")
    assert refused.value.retry_after.total_seconds() == 3
    now[0] += 1.5
    with pytest.raises(RetryAfter) as refused:
        await bot.send_photo(alice.id, b"\x89PNG")  # every method that names the chat
    assert refused.value.retry_after.total_seconds() == 2  # what is left, in whole seconds
    await bot.send_message(bob.id, "not flooded")
    now[0] += 1.5
    await bot.send_message(alice.id, "window over")
    assert served(sb) == [
        ("sendMessage", alice.id, "flood", 429),
        ("sendPhoto", alice.id, "flood", 429),
    ]
    assert [m.text for m in alice.replies()] == ["window over"]
    assert sb.rejections == []


async def test_flood_answers_like_telegram_for_n_calls(sb: Sandbox, bot: Bot) -> None:
    alice, bob = await started(sb, "Alice"), await started(sb, "Bob")
    sb.faults.flood(alice.id, retry_after=7, times=1, method="sendMessage")
    async with httpx.AsyncClient() as client:
        url = f"{sb.api_url}/bot{TOKEN}/sendMessage"
        answer = await client.post(url, data={"chat_id": alice.id, "text": "x"})
        assert answer.status_code == 429
        assert answer.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    await bot.send_message(alice.id, "once only")
    await bot.send_message(bob.id, "untouched")
    assert served(sb) == [("sendMessage", alice.id, "flood", 429)]


async def test_forbidden_for_one_chat(sb: Sandbox, bot: Bot) -> None:
    alice, bob = await started(sb, "Alice"), await started(sb, "Bob")
    group = sb.supergroup("Unit X", creator=alice)
    await sb.add_bot(group, by=alice, wait=False)
    sb.faults.forbidden(alice.id)
    sb.faults.forbidden(group.id, "bot was kicked from the supergroup chat", times=1)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(alice.id, "x")
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(group.id, "x")
    await bot.send_message(group.id, "back")
    await bot.send_message(bob.id, "hi")
    assert served(sb) == [
        ("sendMessage", alice.id, "error", 403),
        ("sendMessage", group.id, "error", 403),
    ]
    assert sb.rejections == []


async def test_chat_migrated_by_a_fault(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice")
    group = sb.group("Project A", creator=alice)
    await sb.add_bot(group, by=alice, wait=False)
    upgraded = {"migrate_to_chat_id": -1_009_999_000_001}
    detail = "Bad Request: group chat was upgraded to a supergroup chat"
    sb.faults.error("sendMessage", 400, detail, parameters=upgraded, chat_id=group.id, times=1)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(group.id, "x")
    assert migrated.value.new_chat_id == -1_009_999_000_001
    await bot.send_message(group.id, "still a group, really")


async def test_timeout_after_applying_leaves_the_message(sb: Sandbox) -> None:
    alice = await started(sb)
    sb.faults.timeout("sendMessage", 0.5, applied=True, times=1)
    async with make_bot(sb, read_timeout=0.1) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "maybe sent")
        assert [m.text for m in alice.replies()] == ["maybe sent"]  # delivered all the same
        await bot.send_message(alice.id, "next")  # times=1: answered at once again
    assert served(sb) == [("sendMessage", alice.id, "timeout", None)]


async def test_timeout_without_applying_leaves_nothing(sb: Sandbox) -> None:
    alice = await started(sb)
    sb.faults.timeout("sendMessage", 0.3, applied=False, times=1)
    async with make_bot(sb, read_timeout=0.1) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "lost")
        await asyncio.sleep(0.4)  # past the delay: the abandoned request is never applied
        assert alice.replies() == []
        sb.faults.timeout("sendMessage", 0.1, applied=False, times=1)
        began = time.monotonic()
        await bot.send_message(alice.id, "slow", read_timeout=2)  # a patient client is answered
        assert time.monotonic() - began >= 0.1
    assert [m.text for m in alice.replies()] == ["slow"]
    assert [f.kind for f in sb.faults.served] == ["timeout", "timeout"]


async def test_dropped_connection(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    sb.faults.drop("sendMessage", applied=False, times=1)
    with pytest.raises(NetworkError, match="disconnected") as dropped:
        await bot.send_message(alice.id, "lost")
    assert not isinstance(dropped.value, TimedOut)
    assert alice.replies() == []
    sb.faults.drop("sendMessage", applied=True, times=1)
    with pytest.raises(NetworkError, match="disconnected"):
        await bot.send_message(alice.id, "delivered")
    await bot.send_message(alice.id, "after")
    assert [m.text for m in alice.replies()] == ["delivered", "after"]
    assert [f.kind for f in sb.faults.served] == ["drop", "drop"]
    await drain(bot)
    await sb.settle(timeout=1)  # nothing left in flight


async def test_get_updates_can_fail_persistently(sb: Sandbox, bot: Bot) -> None:
    alice = sb.user("Alice")
    await alice.send("hello", wait=False)
    sb.faults.error("getUpdates", 401)
    for _ in range(3):
        with pytest.raises(InvalidToken, match="Unauthorized"):
            await bot.get_updates(timeout=0)
    sb.faults.clear()
    sb.faults.error("getUpdates", 404, times=1)
    with pytest.raises(InvalidToken, match="Not Found"):
        await bot.get_updates(timeout=0)
    sb.faults.error("getUpdates", 400, "Bad Request: wrong parameters", times=1)
    with pytest.raises(BadRequest, match=r"(?i)wrong parameters"):
        await bot.get_updates(timeout=0)
    sb.faults.drop("getUpdates", applied=False, times=1)
    with pytest.raises(NetworkError):
        await bot.get_updates(timeout=0)
    [update] = await bot.get_updates(timeout=0)  # nothing was lost
    assert update.message.text == "hello"
    assert [(f.method, f.status) for f in sb.faults.served] == [
        *[("getUpdates", 401)] * 3,
        ("getUpdates", 404),
        ("getUpdates", 400),
        ("getUpdates", None),
    ]
    assert sb.rejections == []


async def test_per_chat_faults_skip_get_updates_and_chatless_methods(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    sb.faults.forbidden(alice.id)
    sb.faults.flood(alice.id, retry_after=5)
    assert [u.message.text for u in await drain(bot)] == ["/start"]
    assert (await bot.get_me()).id == sb.bot_id
    assert sb.faults.served == []
    with pytest.raises(Forbidden):  # the first rule added wins
        await bot.send_message(alice.id, "x")


async def test_clear_faults(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    sb.faults.error("sendMessage", 503)
    sb.faults.flood(alice.id, seconds=60)
    sb.faults.timeout("getMe", 5, applied=False)
    sb.faults.drop("getUpdates", applied=True)
    sb.faults.clear()
    assert sb.faults.rules == []
    await bot.send_message(alice.id, "all clear")
    assert (await bot.get_me()).id == sb.bot_id
    assert len(await bot.get_updates(timeout=0)) == 1
    assert sb.faults.served == [] and sb.rejections == []


def test_fault_rules_are_checked() -> None:
    sb = Sandbox(token=TOKEN)
    with pytest.raises(SandboxError, match="no Bot API method 'sendMesage'"):
        sb.faults.error("sendMesage")
    with pytest.raises(SandboxError, match="seconds or retry_after"):
        sb.faults.flood(1)
    with pytest.raises(SandboxError, match="times must be at least 1"):
        sb.faults.drop("getUpdates", applied=False, times=0)
    with pytest.raises(SandboxError, match="not an error status"):
        sb.faults.error("getMe", 200)
    assert sb.faults.error("SENDMESSAGE").method == "sendmessage"


async def test_late_answers_do_not_block_settle_or_stop(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    await drain(bot)
    sb.faults.timeout("sendMessage", 30, applied=True)
    sb.faults.timeout("getUpdates", 30, applied=False)
    async with httpx.AsyncClient(timeout=10) as client:
        base = f"{sb.api_url}/bot{TOKEN}"
        send = asyncio.create_task(
            client.post(f"{base}/sendMessage", data={"chat_id": alice.id, "text": "x"})
        )
        poll = asyncio.create_task(client.post(f"{base}/getUpdates", data={"timeout": "0"}))
        await sb.wait_held(2)
        await sb.settle(timeout=1)  # a late answer is held, not in flight
        await sb.stop()
        # Cut short: a stop that waited out the 30 s holds would have let them answer.
        for answer in await asyncio.gather(send, poll):
            assert answer.status_code == 502
    assert [m.text for m in alice.replies()] == ["x"]


async def test_edits_count_against_their_chats_flood_limit(sb: Sandbox, bot: Bot) -> None:
    alice = await started(sb)
    sb.limits.chat_burst = 3
    message = await bot.send_message(alice.id, "v0")
    for text in ("v1", "v2"):
        await bot.edit_message_text(text, chat_id=alice.id, message_id=message.message_id)
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("v3", chat_id=alice.id, message_id=message.message_id)
    assert sb.rejections[-1][:2] == ("editMessageText", 429)
    assert [m.text for m in alice.replies()] == ["v2"]
