"""Members find their way: /start after a join tap left unfinished, and no advice to ask the
secretary where one tap in the group does."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import World
from tests.test_join import JOIN, _bound_group, _is_member


async def test_a_newcomer_who_left_the_join_link_unopened_gets_it_again_on_start(world: World):
    kai = world.sb.user("Kai")
    _, _, bound = await _bound_group(world, kai)
    query = await kai.tap(JOIN, message=bound)  # Telegram opens the private chat with the link
    url = world.sb.callback_answer(query["id"])["url"]
    # He closed it without starting; later he opens the bot and sends a plain /start.
    await kai.send("/start")
    offer = kai.last_reply
    assert offer.text == (
        "You tapped “🙋 Join this branch” in the group of Project U1-01."
        " Tap the button below to join it as a branch member."
    )
    assert "secretary" not in offer.text
    (button,) = offer.reply_markup["inline_keyboard"][0]
    assert button == {"text": "🙋 Join Project U1-01", "url": url}
    await kai.send("/start " + url.split("start=")[1])  # what the button sends
    assert await _is_member(world, kai)
    await kai.send("/start")  # the link is used: the usual welcome, with his role
    assert "Branch member — Project U1-01" in kai.last_reply.text


async def test_someone_without_a_role_is_told_of_the_join_button_first(world: World):
    nina = world.sb.user("Nina")
    await nina.send("/start")
    text = nina.last_reply.text
    assert "tap “🙋 Join this branch” under the message that linked the group" in text
    await nina.send("/help")
    assert "tap “🙋 Join this branch” under the message that linked the group" in (
        nina.last_reply.text
    )


async def test_an_expired_join_link_is_not_offered(world: World):
    kai = world.sb.user("Kai")
    _, _, bound = await _bound_group(world, kai)
    await kai.tap(JOIN, message=bound)
    world.advance(days=2)  # the tapper's own link lives a day
    await kai.send("/start")
    assert kai.last_reply.text.startswith("Hello, Kai!")
    assert "tap “🙋 Join this branch”" in kai.last_reply.text
    await kai.tap(JOIN, message=bound)  # he can talk to the bot now: one tap joins him
    assert await _is_member(world, kai)


async def test_a_text_nobody_takes_is_answered_for_the_persons_role_and_the_open_stage(
    world: World,
):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await world.join("Lena", "lead", "P-U1-01")
    mei = await world.join("Mei", "member", "P-U1-01")
    await sam.send("how do we apply?")  # the application stage is open
    assert sam.last_reply.text.startswith(
        "I can't read free text here. To nominate your unit's applications within its quota,"
        " send /nominations; your projects' leads write them with /apply."
    )
    await lena.send("how do we apply?")
    assert lena.last_reply.text.startswith(
        "I can't read free text here. To write your project's application, send /apply."
    )
    await mei.send("where do I send photos?")
    assert mei.last_reply.text.startswith(
        "I can't read free text here. When Cultivation opens on 16 Jan 2027 09:00, you can"
        " report your branch's activities here, with photos."
    )
    await world.admin.send("hello")
    admin = world.admin.last_reply.text
    assert "/applications" in admin and "/nominations" not in admin
    # No command of a stage that is not open: cultivation's are not offered yet.
    for text in (sam.last_reply.text, lena.last_reply.text, mei.last_reply.text, admin):
        assert not {"/report", "/progress", "/highlights"} & set(text.split())
    world.clock.now = datetime(2027, 1, 15, 12, tzinfo=UTC)  # between the stages
    await lena.send("and now?")
    assert lena.last_reply.text.startswith("I can't read free text here. When Cultivation opens")
    assert "/apply" not in lena.last_reply.text
    await sam.send("and now?")
    assert sam.last_reply.text.startswith("I can't read free text here.\nHere is what you can do")
    assert "/nominations" not in sam.last_reply.text


async def test_a_join_link_is_not_offered_to_one_who_joined_another_way(world: World):
    kai = world.sb.user("Kai")
    _, _, bound = await _bound_group(world, kai)
    await kai.tap(JOIN, message=bound)
    payload = await world.invite_link(world.admin, "member", "P-U1-01")
    await kai.send(f"/start {payload}")  # an ordinary invitation, opened
    await kai.send("/start")
    assert kai.last_reply.text.startswith("Hello, Kai!")
    assert "Branch member — Project U1-01" in kai.last_reply.text
