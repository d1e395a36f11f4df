"""/people: who holds which role, and removing one, by who may."""

from __future__ import annotations

import re
from pathlib import Path

from bot import invites
from bot.access import Actor
from handlers.roster import BUTTONS
from storage import applications, orgs, people, roles
from storage.people import Person
from storage.roles import ROLES, RoleGrant
from tests.conftest import World
from tests.test_apply import write_all


async def _grant_id(world: World, user_id: int, role: str) -> int:
    return next(g.grant_id for g in await roles.of_user(world.db, user_id) if g.role == role)


async def test_an_admin_removes_a_secretary_who_is_told_and_loses_menu_and_links(world: World):
    await world.import_orgs([("U1", 2), ("U2", 1)])
    sam = await world.join("Sam", "secretary", "U1")
    link = await world.invite_link(sam, "lead", "P-U1-02")  # made while he was secretary
    assert "nominations" in dict(world.sb.commands("chat", chat_id=sam.id))
    await world.admin.send("/people")
    await world.admin.tap("Unit U1 (U1)")
    screen = world.admin.last_reply
    assert screen.text.startswith("Unit U1: 1 role.")
    await world.admin.tap("Sam · Unit secretary — Unit U1")
    assert screen.text.startswith("Remove Sam's role: Unit secretary — Unit U1?")
    await world.admin.tap("◀ Back", message=screen)  # changes nothing
    assert await roles.of_user(world.db, sam.id) != []
    await world.admin.tap("Sam · Unit secretary — Unit U1")
    yes = screen.button_data("✖ Remove the role")
    await world.admin.tap("✖ Remove the role")
    assert screen.text == (
        "Removed: Sam is no longer a unit secretary of Unit U1; they were told.\n"
        "1 invitation link they made was withdrawn."
    )
    assert await roles.of_user(world.db, sam.id) == []
    await world.sb.settle()
    assert sam.last_reply.text.startswith("Ada removed you as a unit secretary of Unit U1.\n")
    assert "nominations" not in dict(world.sb.commands("chat", chat_id=sam.id))
    newcomer = world.sb.user("Nia")
    await newcomer.send(f"/start {link}")
    assert "withdrawn" in newcomer.last_reply.text
    # A double tap: the role is gone already, and nobody is told twice.
    assert await world.answer_to(world.admin, screen, yes) == "That role was already removed."
    await world.sb.settle()
    assert sum("removed you as" in r.text for r in sam.replies()) == 1


async def test_a_secretary_manages_leads_and_members_of_their_unit_only(world: World):
    await world.import_orgs([("U1", 2), ("U2", 1)])
    sam = await world.join("Sam", "secretary", "U1")
    await world.join("Sue", "secretary", "U1")  # a fellow secretary: not Sam's to remove
    lena = await world.join("Lena", "lead", "P-U1-01", by=sam)
    await world.join("Mo", "member", "P-U1-01", by=lena)
    olga = await world.join("Olga", "lead", "P-U2-01")
    await sam.send("/people")  # one unit: straight to it
    labels = [label for row in sam.last_reply.buttons for label, _ in row]
    assert labels == [
        "Lena · Project lead — Project U1-01 (Unit U1)",
        "Mo · Branch member — Project U1-01 (Unit U1)",
    ]
    assert sam.last_reply.text.startswith("Unit U1: 4 roles.")
    screen = sam.last_reply
    other_unit = (await orgs.unit_by_code(world.db, "U2")).id
    forged = [
        BUTTONS.data("unit", other_unit, 0),
        BUTTONS.data("unit", 0, 0),  # admins and reviewers
        BUTTONS.data("ask", await _grant_id(world, olga.id, "lead")),
        BUTTONS.data("remove", await _grant_id(world, olga.id, "lead")),
    ]
    for data in forged:
        assert await world.answer_to(sam, screen, data) == "You are not allowed to do that."
    assert await roles.of_user(world.db, olga.id) != []
    await sam.tap("Lena · Project lead — Project U1-01 (Unit U1)")
    await sam.tap("✖ Remove the role")
    assert await roles.of_user(world.db, lena.id) == []
    await lena.send("/apply")
    assert lena.last_reply.text.startswith("Applications are written by project leads.")


async def test_leads_and_members_manage_nobody(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/people")
    assert lena.last_reply.text == (
        "Only campaign admins and unit secretaries manage people's roles."
    )


async def test_an_admin_cannot_open_a_draft_with_a_forged_button(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await write_all(lena)
    project = await orgs.project_by_code(world.db, "P-U1-01")
    draft = await applications.of_project(world.db, project.id)
    await world.admin.send("/applications")
    answer = await world.answer_to(world.admin, world.admin.last_reply, f"sl:a:{draft.id}")
    assert answer == "You are not allowed to do that."


def _readme_roles() -> dict[str, tuple[set[str], set[str]]]:
    """role → (may invite, may remove), as the README's table says."""
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    names = {
        "campaign admin": "admin",
        "unit secretary": "secretary",
        "project lead": "lead",
        "branch member": "member",
        "reviewer": "reviewer",
    }
    table = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] in names:

            def roles_in(cell: str) -> set[str]:
                return {word for word in re.findall(r"[a-z]+", cell) if word in ROLES}

            table[names[cells[0]]] = (roles_in(cells[2]), roles_in(cells[3]))
    return table


def test_the_readme_says_who_may_invite_and_remove_whom():
    table = _readme_roles()
    assert set(table) == set(ROLES)
    unit, project = 1, 10
    for role, (may_invite, may_remove) in table.items():
        grant = RoleGrant(1, role, unit if role != "admin" else None, None, None, None)
        if role in ("lead", "member"):
            grant = RoleGrant(1, role, unit, project, None, None)
        person = Person(1, "A", None, None, "en", "en", True, False)
        actor = Actor(person, "en", (grant,), configured_admin=False)
        assert set(invites.invitable_roles(actor)) == may_invite, role
        removable = {
            target
            for target in ROLES
            if invites.may_remove(
                actor,
                RoleGrant(
                    2,
                    target,
                    None if target in ("admin", "reviewer") else unit,
                    project if target in ("lead", "member") else None,
                    None,
                    None,
                ),
            )
        }
        assert removable == may_remove, role


async def test_a_secretary_marks_a_lead_on_leave_and_back_and_the_lead_is_told(world: World):
    await world.import_orgs([("U1", 1), ("U2", 1)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await world.join("Lena", "lead", "P-U1-01", by=sam)
    await sam.send("/people")
    screen = sam.last_reply
    await sam.tap("Lena · Project lead — Project U1-01 (Unit U1)", message=screen)
    await sam.tap("🏖 14 days", message=screen)
    assert screen.text.endswith(
        "🏖 On leave until 24 Dec 23:59: no reminders until then, and not named as missing"
        " in their groups."
    )
    await world.sb.settle()
    assert lena.last_reply.text == (
        "🏖 Sam marked you on leave until 24 Dec 23:59: no reminders until then, and your"
        " groups won't name you as missing. Send /leave to change it."
    )
    await lena.send("/leave")
    assert "You are on leave until 24 Dec 23:59" in lena.last_reply.text
    # A tap on an old screen, or forged days, changes nothing.
    grant = await _grant_id(world, lena.id, "lead")
    assert "out of date" in await world.answer_to(sam, screen, BUTTONS.data("leave", grant, 5))
    await sam.tap("✓ Back from leave", message=screen)
    assert "Away for a while?" in screen.text
    await world.sb.settle()
    assert lena.last_reply.text == (
        "Sam marked you back from leave: reminders come again. Send /leave to see it."
    )
    # Another unit's secretary may not.
    rita = await world.join("Rita", "secretary", "U2")
    await rita.send("/people")
    answer = await world.answer_to(rita, rita.last_reply, BUTTONS.data("leave", grant, 7))
    assert answer == "You are not allowed to do that."
    assert not (await people.get(world.db, lena.id)).on_leave(world.clock.now)
