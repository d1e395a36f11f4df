"""Members join from their project's group with one tap."""

from __future__ import annotations

from storage import orgs, roles
from tests.conftest import World

JOIN = "🙋 Join this branch"


async def _bound_group(world: World, *members):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    group = world.sb.group("Branch U1-01", creator=sam, members=list(members))
    await world.sb.add_bot(group, by=sam)
    await sam.send("/bind P-U1-01", chat=group)
    bound = world.sb.messages(group)[-1]
    assert "now linked to Project U1-01" in bound.text
    return sam, group, bound


async def _is_member(world: World, user) -> bool:
    project = await orgs.project_by_code(world.db, "P-U1-01")
    return any(
        g.role == "member" and g.project_id == project.id
        for g in await roles.of_user(world.db, user.id)
    )


async def test_a_group_member_who_talked_to_the_bot_joins_with_one_tap(world: World):
    mei = world.sb.user("Mei")
    await mei.send("/start")  # she has the private chat already
    _, _, bound = await _bound_group(world, mei)
    answer = await world.tap_answer(mei, JOIN, bound)
    assert answer == (
        "Welcome! You are now a branch member of Project U1-01."
        " I have written to you in our private chat."
    )
    assert await _is_member(world, mei)
    await world.sb.settle()
    assert mei.last_reply.text.startswith("🙋 You joined Project U1-01 as a branch member.")
    assert await world.tap_answer(mei, JOIN, bound) == "You are already in Project U1-01."


async def test_a_newcomer_is_sent_to_the_private_chat_with_a_link_of_their_own(world: World):
    kai = world.sb.user("Kai")
    lin = world.sb.user("Lin")
    _, _, bound = await _bound_group(world, kai, lin)
    query = await kai.tap(JOIN, message=bound)
    url = world.sb.callback_answer(query["id"])["url"]
    assert url.startswith("https://t.me/pacesetter_bot?start=inv_")
    payload = url.split("start=")[1]
    again = await kai.tap(JOIN, message=bound)  # a double tap: the same link
    assert world.sb.callback_answer(again["id"])["url"] == url
    await lin.send(f"/start {payload}")  # forwarded: not hers
    assert lin.last_reply.text.startswith("This join link was made for someone else.")
    assert not await _is_member(world, lin)
    await kai.send(f"/start {payload}")
    assert await _is_member(world, kai)


async def test_someone_telegram_does_not_see_in_the_group_is_refused(world: World):
    ola = world.sb.user("Ola")
    await ola.send("/start")
    _, _, bound = await _bound_group(world, ola)
    world.sb.faults.error("getChatMember", 400, "Bad Request: user not found", times=1)
    assert await world.tap_answer(ola, JOIN, bound) == "You are not allowed to do that."
    assert not await _is_member(world, ola)


async def test_the_lead_posts_the_join_button_again_others_may_not(world: World):
    mo = world.sb.user("Mo")
    _, group, _ = await _bound_group(world, mo)
    lena = await world.join("Lena", "lead", "P-U1-01")
    group.members.add(lena.id)  # she is in the group too
    await mo.send("/join", chat=group)
    assert world.sb.messages(group)[-1].text.startswith("Only the project's lead")
    await lena.send("/join", chat=group)
    posted = world.sb.messages(group)[-1]
    assert posted.text.startswith("Members of Project U1-01: tap the button below")
    assert [label for row in posted.buttons for label, _ in row] == [JOIN]


async def test_a_forged_button_joins_only_the_groups_own_project(world: World):
    mei = world.sb.user("Mei")
    await mei.send("/start")
    _, _, bound = await _bound_group(world, mei)
    other = await orgs.project_by_code(world.db, "P-U1-02")
    answer = await world.answer_to(mei, bound, f"jn:j:{other.id}")
    assert answer.startswith("This button is out of date.")
    assert [g.role for g in await roles.of_user(world.db, mei.id)] == []


async def test_a_branch_link_lets_in_many_until_full_or_withdrawn(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/invite member P-U1-01")
    created = lena.last_reply
    await lena.tap("🔁 One link for the whole branch (up to 50)", message=created)
    assert created.text.startswith("A link for the whole branch: Branch member — Project U1-01")
    payload = created.text.split("start=")[1].split()[0]
    members = [world.sb.user(f"M{i}") for i in range(3)]
    for member in members:
        await member.send(f"/start {payload}")
        assert "You are now a branch member of Project U1-01" in member.last_reply.text
    await members[0].send(f"/start {payload}")  # again: still one member, one use
    branch = "SELECT uses FROM invitations WHERE max_uses > 1"
    assert await world.db.fetch_value(branch) == 3
    async with world.db.transaction(world.clock()) as tx:
        await tx.execute("UPDATE invitations SET max_uses = 3 WHERE max_uses > 1")  # 50 came
    late = world.sb.user("Late")
    await late.send(f"/start {payload}")
    assert late.last_reply.text.startswith("This branch link has let in as many people")
    await lena.tap("Revoke this link", message=created)
    async with world.db.transaction(world.clock()) as tx:
        await tx.execute("UPDATE invitations SET max_uses = 50 WHERE max_uses > 1")
    await late.send(f"/start {payload}")
    assert "withdrawn" in late.last_reply.text
    assert [await _is_member(world, m) for m in members] == [True, True, True]
    assert not await _is_member(world, late)


async def test_a_restricted_member_joins_only_while_still_in_the_group(world: World):
    mei = world.sb.user("Mei")
    kai = world.sb.user("Kai")
    await mei.send("/start")
    await kai.send("/start")
    _, group, bound = await _bound_group(world, mei, kai)
    group.restricted[mei.id] = True  # muted, but in the group
    group.restricted[kai.id] = False  # restricted, and has left since (his app still shows it)
    assert await world.tap_answer(kai, JOIN, bound) == ("You are not allowed to do that.")
    assert not await _is_member(world, kai)
    assert (await world.tap_answer(mei, JOIN, bound)).startswith("Welcome!")
    assert await _is_member(world, mei)
