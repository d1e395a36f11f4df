"""Group chats: joining, /bind (and forum topics), leaving, supergroup upgrades."""

from __future__ import annotations

from bot import menus
from handlers import fallback
from storage import chats, orgs
from tests.conftest import World


async def _setup(world: World):
    await world.import_orgs([("U1", 3), ("U2", 1)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await world.join("Lena", "lead", "P-U1-01")
    group = world.sb.group("Branch U1-01", creator=sam, members=[lena])
    await world.sb.add_bot(group, by=sam)
    return sam, lena, group


async def test_added_to_a_group_the_bot_says_hello_and_remembers_it(world: World):
    _, _, group = await _setup(world)
    hello = world.sb.messages(group)[-1].text
    assert "link this group to its project with /bind" in hello
    known = await chats.get(world.db, group.id)
    assert known.bot_present and known.title == "Branch U1-01"


async def test_a_secretary_who_administers_the_group_binds_it(world: World):
    sam, _, group = await _setup(world)
    await sam.send("/bind P-U1-01", chat=group)
    assert "now linked to Project U1-01 (Unit U1)" in world.sb.messages(group)[-1].text
    project = await orgs.project_by_code(world.db, "P-U1-01")
    binding = await chats.binding(world.db, group.id)
    assert (binding.project_id, binding.thread_id, binding.bot_present) == (project.id, 0, True)


async def test_bind_with_buttons(world: World):
    sam, _, group = await _setup(world)
    await sam.send("/bind", chat=group)
    menu = world.sb.messages(group)[-1]
    assert "which project of Unit U1" in menu.text
    await sam.tap("Project U1-03 (P-U1-03)", message=menu)
    assert "now linked to Project U1-03 (Unit U1)" in world.sb.messages(group)[-1].text
    await sam.send("/bind", chat=group)
    await sam.tap("The whole unit: Unit U1", message=world.sb.messages(group)[-1])
    binding = await chats.binding(world.db, group.id)
    assert binding.unit_id == (await orgs.unit_by_code(world.db, "U1")).id


async def test_who_may_not_bind(world: World):
    sam, lena, group = await _setup(world)
    await lena.send("/bind P-U1-01", chat=group)  # a member, not a group admin
    assert "Only an administrator of this group" in world.sb.messages(group)[-1].text
    world.sb.promote(group, lena)
    await lena.send("/bind P-U1-01", chat=group)  # group admin, but not the unit's secretary
    assert "Only the secretary of Unit U1" in world.sb.messages(group)[-1].text
    await sam.send("/bind P-U2-01", chat=group)  # secretary of another unit
    assert "Only the secretary of Unit U2" in world.sb.messages(group)[-1].text
    await sam.send("/bind NOPE", chat=group)
    assert "no project or unit with the code NOPE" in world.sb.messages(group)[-1].text
    # A forged button for another unit's project, tapped by the group admin.
    other = await orgs.project_by_code(world.db, "P-U2-01")
    await sam.send("/bind", chat=group)
    answer = await world.answer_to(sam, world.sb.messages(group)[-1], f"bd:P:{other.id}")
    assert answer == "Only the secretary of Unit U2 or a campaign admin can link a group to it."
    assert await chats.binding(world.db, group.id) is None
    await sam.send("/bind P-U1-01")
    assert "works in a group" in sam.last_reply.text


async def test_a_forum_topic_is_bound_on_its_own(world: World):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    forum = world.sb.supergroup("Unit U1", creator=sam, forum=True)
    await world.sb.add_bot(forum, by=sam)
    topic = await world.sb.create_topic(forum, "Project U1-02", by=sam)
    await sam.send("/bind P-U1-02", chat=forum, thread_id=topic)
    reply = world.sb.messages(forum, thread_id=topic)[-1]
    assert "This topic is now linked to Project U1-02" in reply.text
    await sam.send("/bind U1", chat=forum)
    whole, in_topic = (
        await chats.binding(world.db, forum.id),
        await chats.binding(world.db, forum.id, topic),
    )
    assert whole.unit_id is not None and in_topic.project_id is not None


async def test_removed_and_readded_and_unbound(world: World):
    sam, _, group = await _setup(world)
    await sam.send("/bind P-U1-01", chat=group)
    await world.sb.remove_bot(group, by=sam)
    assert not (await chats.binding(world.db, group.id)).bot_present
    await world.sb.add_bot(group, by=sam)
    assert (await chats.binding(world.db, group.id)).bot_present
    await sam.send("/unbind", chat=group)
    assert "no longer linked" in world.sb.messages(group)[-1].text
    await sam.send("/unbind", chat=group)
    assert "not linked to anything" in world.sb.messages(group)[-1].text


async def test_upgrade_to_a_supergroup_keeps_the_binding(world: World):
    sam, _, group = await _setup(world)
    await sam.send("/bind P-U1-01", chat=group)
    supergroup = await world.sb.upgrade(group)
    assert await chats.binding(world.db, group.id) is None
    moved = await chats.binding(world.db, supergroup.id)
    assert moved.project_id == (await orgs.project_by_code(world.db, "P-U1-01")).id
    assert moved.bot_present
    await sam.send("/bind", chat=supergroup)  # works in the new chat
    assert "which project" in world.sb.messages(supergroup)[-1].text


async def test_group_chatter_is_left_alone(world: World):
    _, lena, group = await _setup(world)
    before = len(world.sb.messages(group))
    await lena.send("good morning everyone", chat=group)
    await lena.send_sticker(chat=group)
    assert len(world.sb.messages(group)) == before


async def test_an_anonymous_admin_is_asked_to_show_themselves(world: World):
    sam, _, group = await _setup(world)
    await sam.send("/bind P-U1-01", chat=group, anonymous=True)
    # Nobody's language is known: the campaign's default.
    expected = world.runner.core.msgs.text("zh-Hans", "group/anonymous")
    assert world.sb.messages(group)[-1].text == expected
    assert await chats.binding(world.db, group.id) is None
    assert await world.db.fetch_value("SELECT COUNT(*) FROM people WHERE user_id = 1087968824") == 0


async def test_a_group_linked_to_one_unit_cannot_be_taken_over_by_another(world: World):
    sam, _, group = await _setup(world)
    await sam.send("/bind P-U1-01", chat=group)
    rival = await world.join("Rita", "secretary", "U2")
    await world.sb.add_member(group, rival)
    world.sb.promote(group, rival)
    await rival.send("/bind P-U2-01", chat=group)
    assert "Only the secretary of Unit U1" in world.sb.messages(group)[-1].text
    await rival.send("/unbind", chat=group)
    assert "Only the secretary of Unit U1" in world.sb.messages(group)[-1].text
    binding = await chats.binding(world.db, group.id)
    assert binding.project_id == (await orgs.project_by_code(world.db, "P-U1-01")).id


async def test_refusal_pop_ups_are_plain_text(world: World):
    await world.admin.send("/import")
    await world.admin.send_document(
        b"unit_code,unit_name,project_code,project_name\n"
        b"U1,Unit U1,P1,One\nRB,Road & Bridge <Co>,P2,Two\n",
        filename="o.csv",
        mime_type="text/csv",
    )
    sam = await world.join("Sam", "secretary", "U1")
    group = world.sb.group("G", creator=sam)
    await world.sb.add_bot(group, by=sam)
    await sam.send("/bind", chat=group)
    other = await orgs.project_by_code(world.db, "P2")
    answer = await world.answer_to(sam, world.sb.messages(group)[-1], f"bd:P:{other.id}")
    assert answer == (
        "Only the secretary of Road & Bridge <Co> or a campaign admin can link a group to it."
    )


async def test_admins_and_secretaries_of_several_units_pick_the_unit_first(world: World):
    await world.import_orgs([("U1", 2), ("U2", 12)])
    group = world.sb.group("G", creator=world.admin)
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send("/bind", chat=group)
    menu = world.sb.messages(group)[-1]
    assert "a project of which unit" in menu.text
    await world.admin.tap("Unit U2 (U2)", message=menu)
    await world.admin.tap("Next ▶", message=world.sb.messages(group)[-1])
    await world.admin.tap("Project U2-12 (P-U2-12)", message=world.sb.messages(group)[-1])
    assert "now linked to Project U2-12 (Unit U2)" in world.sb.messages(group)[-1].text


async def test_whoami_stays_private(world: World):
    _, lena, group = await _setup(world)
    await lena.send("/whoami", chat=group)
    # No roles shown to the group: a button to the private chat, where /whoami answers.
    answer = world.sb.messages(group)[-1]
    assert answer.text == "/whoami works in our private chat: tap below to open it."
    assert "Project lead" not in answer.text


async def test_a_private_command_in_a_group_opens_the_private_chat_and_changes_nothing(
    world: World,
):
    _, lena, group = await _setup(world)
    await lena.send("/apply")  # in private: she is writing section 1
    await lena.send("/cancel", chat=group)
    answer = world.sb.messages(group)[-1]
    assert answer.text == "/cancel works in our private chat: tap below to open it."
    assert answer.reply_markup["inline_keyboard"][0][0]["url"] == "https://t.me/pacesetter_bot"
    await lena.send("/apply@pacesetter_bot", chat=group)
    assert world.sb.messages(group)[-1].text.startswith("/apply works in our private chat")
    await lena.send("Our foundation.")  # still in her application
    assert lena.last_reply.text.startswith("✓ Saved (15 characters")


async def test_every_private_command_sent_in_a_group_gets_the_way_to_the_private_chat(
    world: World,
):
    sam, lena, group = await _setup(world)
    # A group hears 20 messages a minute: the answers are spread over a few groups.
    groups = [group]
    for n in range(2, 6):
        groups.append(world.sb.group(f"Branch {n}", creator=sam, members=[lena]))
        await world.sb.add_bot(groups[-1], by=sam)
    for n, command in enumerate(fallback.PRIVATE_ONLY):
        chat = groups[n % len(groups)]
        await lena.send(f"/{command}", chat=chat)
        answer = world.sb.messages(chat)[-1]
        assert answer.text == f"/{command} works in our private chat: tap below to open it."
    # Every command in a menu is either one of them or works in groups too.
    everywhere = {"help", "deadlines", "language", "invite", "bind", "unbind", "join"}
    menus_ = {*menus.EVERYONE, *menus.ADMIN, *menus.SECRETARY, *menus.LEAD, *menus.MEMBER}
    menus_ |= set(menus.REVIEWER)
    assert menus_ <= set(fallback.PRIVATE_ONLY) | everywhere


async def test_voice_location_and_contact_get_a_fitting_answer(world: World):
    pat = world.sb.user("Pat")
    await pat.send_content({"voice": {"file_id": "v1", "file_unique_id": "u1", "duration": 3}})
    assert pat.last_reply.text.startswith("I can't listen to voice or video messages.")
    await pat.send_content({"location": {"latitude": 31.2, "longitude": 121.5}})
    assert pat.last_reply.text.startswith("I don't need a location")
    contact = {"phone_number": "+8613800000000", "first_name": "Lin"}
    await pat.send_content({"contact": contact})
    assert "send /invite" in pat.last_reply.text


async def test_bind_help_fits_who_asks(world: World):
    _, lena, group = await _setup(world)
    await lena.send("/bind", chat=group)  # a lead: not hers to do, and no code to invent
    assert world.sb.messages(group)[-1].text.startswith(
        "Linking this group to its project is done by the unit's Party secretary"
    )
    assert "P-001" not in world.sb.messages(group)[-1].text


async def test_an_admin_binding_before_any_import_is_told_to_import(world: World):
    group = world.sb.group("Early", creator=world.admin)
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send("/bind", chat=group)
    assert world.sb.messages(group)[-1].text.startswith("There are no units or projects to link")
