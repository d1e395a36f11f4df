"""Members find their way: /start after a join tap left unfinished, and no advice to ask the
secretary where one tap in the group does."""

from __future__ import annotations

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
