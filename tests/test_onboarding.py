"""Onboarding end to end: /start, /help, /language, /whoami, /cancel, invitations."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import menus
from bot.campaign_load import load_campaign
from storage import audit, invitations, orgs, people, roles
from tests.conftest import World, told

CAMPAIGN = load_campaign()


async def test_start_without_a_role_points_to_an_invitation(world: World):
    newcomer = world.sb.user("Nina", language_code="en")
    await newcomer.send("/start")
    text = newcomer.last_reply.text
    assert "Hello, Nina!" in text
    assert "Now: Application and selection, until 15 Jan 2027 18:00." in text
    assert "no role in the campaign yet" in text


async def test_language_follows_telegram_then_the_users_choice(world: World):
    wei = world.sb.user("Wei", language_code="zh-hans")
    await wei.send("/start")
    assert CAMPAIGN.name.get("zh-Hans") in wei.last_reply.text
    await wei.send("/language")
    await wei.tap("繁體中文")
    assert wei.last_reply.edited
    await wei.send("/help")
    assert CAMPAIGN.name.get("zh-Hant") in wei.last_reply.text
    # The chat's command menu follows the choice too.
    commands = dict(world.sb.commands("chat", chat_id=wei.id))
    assert commands["help"] == world.runner.core.msgs.label("zh-Hant", "cmd_help")
    await wei.send("/language")
    await wei.tap("English")
    await wei.send("/whoami")
    assert "Language: English" in wei.last_reply.text


async def test_unknown_languages_read_english_and_no_language_reads_the_default(world: World):
    ivan = world.sb.user("Ivan", language_code="ru")
    await ivan.send("/start")
    assert "Hello, Ivan!" in ivan.last_reply.text
    anon = world.sb.user("Anon", language_code=None)
    await anon.send("/start")
    assert CAMPAIGN.name.get(CAMPAIGN.default_locale) in anon.last_reply.text


async def test_admin_invites_a_secretary_with_buttons(world: World):
    await world.import_orgs([("U1", 3), ("U2", 2)])
    await world.admin.send("/invite")
    await world.admin.tap("Unit secretary")
    await world.admin.tap("Unit U1 (U1)")
    created = world.admin.last_reply.text
    assert "An invitation for a unit secretary of Unit U1 is ready." in created
    assert "https://t.me/pacesetter_bot?start=inv_" in created
    payload = created.split("start=")[1].split()[0]

    sam = world.sb.user("Sam", language_code="en")
    await sam.send(f"/start {payload}")
    assert "Welcome, Sam! You are now a unit secretary of Unit U1." in sam.last_reply.text
    assert "Sam opened your invitation" in world.admin.last_reply.text
    await world.admin.tap("👥 See who holds which role", message=world.admin.last_reply)
    assert any("Sam" in label for row in world.admin.last_reply.buttons for label, _ in row)
    grants = await roles.of_user(world.db, sam.id)
    assert [(g.role, g.unit_name) for g in grants] == [("secretary", "Unit U1")]
    assert len(await audit.entries(world.db, action="invitation.redeem")) == 1
    # Their menu now offers /invite.
    assert "invite" in dict(world.sb.commands("chat", chat_id=sam.id))


async def test_secretary_invites_a_lead_and_a_member_of_their_own_unit(world: World):
    await world.import_orgs([("U1", 3), ("U2", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    await sam.send("/invite")
    assert [row[0][0] for row in sam.last_reply.buttons] == ["Project lead", "Branch member"]
    await sam.tap("Project lead")
    # One unit only: straight to its projects.
    assert "Project lead in Unit U1: which project?" in sam.last_reply.text
    await sam.tap("Project U1-02 (P-U1-02)")
    payload = sam.last_reply.text.split("start=")[1].split()[0]
    lena = world.sb.user("Lena")
    await lena.send(f"/start {payload}")
    assert "a project lead of Project U1-02 (Unit U1)." in lena.last_reply.text

    # The lead may invite members of their own project, typed in one go.
    mo = await world.join("Mo", "member", "P-U1-02", by=lena)
    assert "a branch member of Project U1-02 (Unit U1)." in mo.last_reply.text
    await world.sb.settle()
    told = lena.last_reply
    assert "Mo opened your invitation" in told.text
    assert told.buttons == []  # /people is for admins and secretaries: nothing to lead to
    assert sam.last_reply.button_data("👥 See who holds which role")  # Lena's, for Sam


async def test_nobody_invites_outside_their_scope(world: World):
    await world.import_orgs([("U1", 2), ("U2", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    before = await world.db.fetch_value("SELECT COUNT(*) FROM invitations")

    await sam.send("/invite lead P-U2-01")
    assert "can't invite" in sam.last_reply.text
    await sam.send("/invite reviewer")
    assert "can't invite" in sam.last_reply.text
    await sam.send("/invite secretary U1")  # not even for their own unit: the organiser's call
    assert "can't invite" in sam.last_reply.text
    # Forged buttons naming another unit's project or another unit.
    other = await orgs.project_by_code(world.db, "P-U2-01")
    own = await orgs.unit_by_code(world.db, "U1")
    await sam.send("/invite")
    menu = sam.last_reply
    forged = (
        f"iv:P:lead:{other.id}",
        f"iv:U:secretary:{other.unit_id}",
        f"iv:U:secretary:{own.id}",  # their own unit
        f"iv:p:member:{other.unit_id}:0",
        "iv:r:admin",
    )
    answers = [await world.answer_to(sam, menu, data) for data in forged]
    assert answers == ["You are not allowed to do that."] * 5
    mo = await world.join("Mo", "member", "P-U1-01")
    await mo.send("/invite")
    assert "can't invite" in mo.last_reply.text
    await mo.send("/import")
    assert "Only campaign admins" in mo.last_reply.text
    after = await world.db.fetch_value("SELECT COUNT(*) FROM invitations")
    assert after == before + 1  # only the admin's invitation for Mo


async def test_forged_and_garbled_button_data_changes_nothing(world: World):
    await world.import_orgs([("U1", 1)])
    await world.admin.send("/invite")
    menu = world.admin.last_reply
    forged = (
        "iv:P:lead:999999",
        "iv:x:abc",
        "iv:zz",
        "iv:P:boss:1",
        "iv:U:lead:1:2:3",
        "zz:1",
        "lang:xx",
        "iv:x:999999",
        "bd:P:1",
        "iv:P:lead:99999999999999999999",
        "iv:P:lead:²",
        "iv:U:lead:１",
    )
    answers = {await world.answer_to(world.admin, menu, data) for data in forged}
    # Each names the command that brings a current button, where there is one.
    assert answers == {
        "This button is out of date. Send /help to see what you can do now.",
        "This button is out of date. Send /language for a current one.",
        "This button is out of date. Send /invite for a current one.",
        "This button is out of date. Send /bind for a current one.",
    }
    assert await world.db.fetch_value("SELECT COUNT(*) FROM invitations") == 0


async def test_used_expired_revoked_and_forged_links(world: World):
    await world.import_orgs([("U1", 2)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    link = await world.invite_link(world.admin, "lead", "P-U1-02")
    await lena.send(f"/start {link}")
    await lena.send(f"/start {link}")  # opening your own link again: the same welcome
    assert "You are now a project lead of Project U1-02" in lena.last_reply.text
    other = world.sb.user("Otto")
    await other.send(f"/start {link}")
    assert "already been used" in other.last_reply.text

    late = await world.invite_link(world.admin, "member", "P-U1-01")
    world.clock.advance(days=8)
    await other.send(f"/start {late}")
    assert "expired on" in other.last_reply.text

    withdrawn = await world.invite_link(world.admin, "member", "P-U1-01")
    await world.admin.tap("Revoke this link")
    assert "was withdrawn" in world.admin.last_reply.text
    await other.send(f"/start {withdrawn}")
    assert "was withdrawn" in other.last_reply.text

    unknown = "I don't recognise this link. Check that it was copied whole, or ask for a new one."
    for forged in ("inv_AAAAAAAAAAAAAAAA", "inv_short", "inv_" + "x" * 60, "inv_<b>&"):
        await other.send(f"/start {forged}")
        assert other.last_reply.text == unknown
    await other.send("/start hello")  # not an invitation at all: the plain welcome
    assert other.last_reply.text.startswith("Hello, Otto!")
    assert await roles.of_user(world.db, other.id) == []
    assert (await invitations.by_code(world.db, link.removeprefix("inv_"))).used_by == lena.id
    assert len(await audit.entries(world.db, action="invitation.redeem")) == 2


async def test_help_says_what_each_role_can_do_now(world: World):
    await world.import_orgs([("U1", 2)])
    await world.admin.send("/help")
    assert "/import" in world.admin.last_reply.text
    mo = await world.join("Mo", "member", "P-U1-01")
    await mo.send("/help")
    text = mo.last_reply.text
    assert "/import" not in text and "When Cultivation opens" in text
    world.clock.now = datetime(2027, 10, 3, tzinfo=UTC)  # between cultivation and assessment
    await mo.send("/help")
    assert (
        "Next: Assessment and acceptance opens 8 Oct 09:00."
    )  # 2027 is this year in mo.last_reply.text
    world.clock.now = datetime(2028, 1, 1, tzinfo=UTC)
    await mo.send("/help")
    assert "The campaign has ended." in mo.last_reply.text


async def test_whoami_lists_every_role(world: World):
    await world.import_orgs([("U1", 2)])
    await world.admin.send("/whoami")
    assert "Campaign admin" in world.admin.last_reply.text
    lena = await world.join("Lena", "lead", "P-U1-01")
    await world.admin.send("/invite member P-U1-02")
    payload = world.admin.last_reply.text.split("start=")[1].split()[0]
    await lena.send(f"/start {payload}")
    await lena.send("/whoami")
    assert "Project lead — Project U1-01 (Unit U1)" in lena.last_reply.text
    assert "Branch member — Project U1-02 (Unit U1)" in lena.last_reply.text


async def test_cancel_stops_a_flow_and_says_when_there_is_none(world: World):
    await world.admin.send("/cancel")
    assert "nothing to cancel" in world.admin.last_reply.text
    await world.admin.send("/import")
    await world.admin.send("/cancel")
    assert "Stopped" in world.admin.last_reply.text


async def test_anything_else_in_private_gets_a_helpful_answer(world: World):
    nina = world.sb.user("Nina")
    sent = await nina.send("hello there")
    assert nina.last_reply.text.startswith("I can't read free text here.\nYou have no role")
    await nina.edit(sent, "hello again")
    assert "only read new messages" in nina.last_reply.text
    await nina.send("/frobnicate now")
    assert "I don't know the command /frobnicate" in nina.last_reply.text
    await nina.send_sticker()
    assert "/help" in nina.last_reply.text
    await nina.send_photo(caption="look")
    assert "can't use this file" in nina.last_reply.text
    await nina.send_document(b"%PDF-1.4", filename="a.pdf", mime_type="application/pdf")
    assert "can't use this file" in nina.last_reply.text
    await nina.send_video()
    assert "can't use this file" in nina.last_reply.text
    assert len(nina.replies()) == 7


async def test_user_text_arrives_intact(world: World):
    odd = world.sb.user("<b>Bob</b> & Co 🙂", language_code="en")
    await odd.send("/start")
    assert "Hello, <b>Bob</b> & Co 🙂!" in odd.last_reply.text
    await odd.send("/frobnicate<i>")
    assert "/frobnicate<i>" in odd.last_reply.text


async def test_buttons_from_before_a_restart_still_work(world: World):
    await world.import_orgs([("U1", 2)])
    await world.admin.send("/invite")
    await world.restart()
    await world.admin.tap("Project lead")
    await world.admin.tap("Unit U1 (U1)")
    await world.admin.tap("Project U1-01 (P-U1-01)")
    assert "An invitation for a project lead of Project U1-01" in world.admin.last_reply.text


async def test_many_units_are_paged(world: World):
    await world.import_orgs([(f"U{i:02d}", 1) for i in range(20)])
    await world.admin.send("/invite")
    await world.admin.tap("Unit secretary")
    assert "(page 1 of 3)" in world.admin.last_reply.text
    await world.admin.tap("Next ▶")
    await world.admin.tap("Next ▶")
    assert "(page 3 of 3)" in world.admin.last_reply.text
    await world.admin.tap("Unit U19 (U19)")
    assert "a unit secretary of Unit U19 is ready" in world.admin.last_reply.text


async def test_a_double_tap_or_an_edit_makes_no_second_invitation(world: World):
    await world.import_orgs([("U1", 1)])
    await world.admin.send("/invite")
    menu = world.admin.last_reply
    await world.admin.tap("Reviewer")
    first = world.admin.last_reply.text
    edits = len([m for m, _ in world.sb.requests if m == "editMessageText"])
    await world.answer_to(world.admin, menu, "iv:r:reviewer")  # the second tap of a double tap
    assert world.admin.last_reply.text == first
    # The same screen again: no second, identical edit (Telegram would refuse it).
    assert len([m for m, _ in world.sb.requests if m == "editMessageText"]) == edits
    assert world.sb.rejections == []
    typed = await world.admin.send("/invite reviewer")
    await world.admin.edit(typed, "/invite admin")
    assert "only read new messages" in world.admin.last_reply.text
    rows = await world.db.fetch_all("SELECT role FROM invitations ORDER BY id")
    assert [row["role"] for row in rows] == ["reviewer", "reviewer"]


async def test_zh_hant_readers_get_their_own_menu_on_first_contact(world: World):
    mei = world.sb.user("Mei", language_code="zh-hant")
    await mei.send("/start")
    menu = dict(world.sb.commands("chat", chat_id=mei.id))
    assert menu["help"] == world.runner.core.msgs.label("zh-Hant", "cmd_help")
    hans = world.sb.user("Li", language_code="zh-hans")
    await hans.send("/start")
    assert world.sb.commands("chat", chat_id=hans.id) == []  # the zh menu already fits


async def test_a_configured_admin_has_their_menu_from_their_first_message(world: World):
    assert world.sb.commands("chat", chat_id=world.admin.id) == []  # never opened the chat
    await world.admin.send("hello")
    menu = dict(world.sb.commands("chat", chat_id=world.admin.id))
    assert {"import", "invite", "applications", "extend"} <= set(menu)
    calls = len(world.sb.requests)
    await world.admin.send("/whoami")  # current now: no further request for it
    assert "setMyCommands" not in [method for method, _ in world.sb.requests[calls:]]


async def test_the_profile_says_what_the_bot_does_in_each_language(world: World):
    msgs, campaign = world.runner.core.msgs, world.runner.core.campaign
    settings = world.sb.settings
    assert settings[("description", "")] == menus.description(msgs, campaign, "zh-Hans")
    assert settings[("description", "zh")] == menus.description(msgs, campaign, "zh-Hans")
    assert settings[("description", "en")] == menus.description(msgs, campaign, "en")
    assert "申报遴选、培育创建、考核验收、巩固成果" in settings[("description", "")]
    assert settings[("short_description", "en")] == msgs.label("en", "bot_short_description")
    assert len(msgs.label("zh-Hant", "bot_short_description")) <= 120
    calls = len(world.sb.requests)
    await world.restart()  # unchanged: not set again
    assert "setMyDescription" not in [method for method, _ in world.sb.requests[calls:]]


async def test_with_no_admin_a_setup_link_makes_its_first_opener_one(world: World):
    world.no_admins = True
    await world.restart()
    link = world.runner.setup_link
    assert link and link.startswith("https://t.me/pacesetter_bot?start=inv_")
    payload = link.split("start=")[1]
    first = world.sb.user("Fang", language_code="zh-hans")
    await first.send(f"/start {payload}")
    assert [g.user_id for g in await roles.holders(world.db, "admin")] == [first.id]
    assert "import" in dict(world.sb.commands("chat", chat_id=first.id))
    late = world.sb.user("Late")
    await late.send(f"/start {payload}")
    assert "already been used" in late.last_reply.text
    await world.restart()
    assert world.runner.setup_link is None  # there is an admin now


async def test_the_setup_link_is_refused_and_withdrawn_once_an_admin_exists(world: World):
    world.no_admins = True
    await world.restart()
    payload = world.runner.setup_link.split("start=")[1]
    async with world.db.transaction(world.clock.now) as tx:  # `pacesetter admins add 4242`
        await people.expect(tx, 4242)
        await roles.grant(tx, 4242, "admin")
    fang = world.sb.user("Fang")
    await fang.send(f"/start {payload}")
    assert "was withdrawn" in fang.last_reply.text
    assert [g.user_id for g in await roles.holders(world.db, "admin")] == [4242]
    code = payload.removeprefix("inv_")
    assert (await invitations.by_code(world.db, code)).revoked_at is not None
    await world.restart()
    assert world.runner.setup_link is None


async def test_a_start_with_an_admin_withdraws_a_setup_link_printed_before(world: World):
    world.no_admins = True
    await world.restart()
    payload = world.runner.setup_link.split("start=")[1]
    world.no_admins = False  # PACESETTER_ADMINS set since
    await world.restart()
    assert world.runner.setup_link is None
    code = payload.removeprefix("inv_")
    assert (await invitations.by_code(world.db, code)).revoked_at is not None


async def test_an_invitation_works_only_while_its_issuer_holds_the_role_that_allowed_it(
    world: World,
):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    lead_link = await world.invite_link(sam, "lead", "P-U1-01")
    lena = await world.join("Lena", "lead", "P-U1-02", by=sam)
    member_link = await world.invite_link(lena, "member", "P-U1-02")
    unit = await orgs.unit_by_code(world.db, "U1")
    async with world.db.transaction(world.clock.now) as tx:  # both lose their roles
        await roles.revoke(tx, sam.id, "secretary", unit_id=unit.id)
        project = await orgs.project_by_code(tx, "P-U1-02")
        await roles.revoke(tx, lena.id, "lead", project_id=project.id)
    for name, payload in (("Kai", lead_link), ("Mo", member_link)):
        person = world.sb.user(name)
        await person.send(f"/start {payload}")
        assert "was withdrawn" in person.last_reply.text
        assert await roles.of_user(world.db, person.id) == []
    assert told(sam, "opened your invitation", world.sb) == 1  # Lena's, before: nobody since


async def test_free_text_lists_the_persons_own_commands(world: World):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await world.join("Lena", "lead", "P-U1-01")
    await sam.send("what now?")  # the application stage: nothing of cultivation's yet
    assert sam.last_reply.text.endswith(
        "/help · /guide · /invite · /people · /nominations · /leave · /deadlines · /whoami"
        " · /language"
    )
    await lena.send("what now?")
    assert lena.last_reply.text.endswith(
        "/help · /guide · /apply · /invite · /leave · /deadlines · /whoami · /language"
    )
    await world.admin.send("what now?")
    assert "/import · /invite · /people · /applications · /extend" in (world.admin.last_reply.text)
