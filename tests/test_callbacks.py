"""Callback data: every button any flow makes fits Telegram's 64 bytes and parses back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.app  # noqa: F401 — every flow, so every declared set of buttons
import handlers.application_files
import handlers.apply
import handlers.apply_docx
import handlers.broadcast
import handlers.extend
import handlers.groups
import handlers.invite
import handlers.language
import handlers.leave
import handlers.nominations
import handlers.progress
import handlers.remind
import handlers.report
import handlers.report_card
import handlers.roster
import handlers.selection
from handlers import application_buttons
from handlers.callbacks import ALL, LIMIT, LONGEST, Buttons, Tap, check

DECLARED = [(buttons, action) for buttons in ALL for action in buttons.actions]


def test_every_flow_declares_its_buttons_with_a_prefix_of_its_own():
    prefixes = [buttons.prefix for buttons in ALL]
    assert len(prefixes) == len(set(prefixes)) >= 22


@pytest.mark.parametrize(
    ("buttons", "action"), DECLARED, ids=[f"{b.prefix}:{a}" for b, a in DECLARED]
)
def test_the_longest_data_of_every_button_fits_and_parses_back(buttons: Buttons, action: str):
    _, types = buttons.actions[action]
    args = tuple(LONGEST[kind] for kind in types)
    data = buttons.data(action, *args)
    assert len(data.encode()) <= LIMIT
    assert buttons.parse(data) == Tap(action, args)


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        "ap",
        "ap:",
        "ap:zz:1",  # no such action
        "ap:d:1",  # an argument missing
        "ap:d:1:budget:extra",  # one too many
        "ap:d:x:budget",  # not an id
        "ap:d:1:Budget",  # not a key
        "ap:d:-1:budget",
        "ap:d:1234567890123:budget",  # longer than any id
        "nm:a:7",  # another flow's data
        "ap:u:7 ",
    ],
)
def test_forged_or_malformed_data_parses_to_nothing(forged):
    assert handlers.apply.BUTTONS.parse(forged) is None


def test_data_of_the_wrong_shape_is_refused_when_made():
    with pytest.raises(TypeError):
        handlers.apply.BUTTONS.data("submit", "7")
    with pytest.raises(ValueError, match="64 bytes"):
        Buttons("zz", big=("b", (str, str, str))).data("big", "k" * 24, "k" * 24, "k" * 24)
    ALL.pop()  # that one was only for this test


@given(st.text(max_size=80))
def test_any_text_parses_to_a_declared_action_or_to_nothing(text: str):
    for buttons in ALL:
        tap = buttons.parse(text)
        assert tap is None or buttons.data(tap.action, *tap.args) == text


async def test_a_double_tap_is_answered_without_a_second_identical_edit(world):
    await world.import_orgs([(f"U{i:02d}", 1) for i in range(12)])  # two pages of units
    await world.admin.send("/invite")
    await world.admin.tap("Unit secretary")
    menu = world.admin.last_reply
    data = menu.button_data("Next ▶")
    first = await world.answer_to(world.admin, menu, data)
    edits = [m for m, _ in world.sb.requests if m.startswith("editMessage")]
    second = await world.answer_to(world.admin, menu, data)  # the same tap again
    assert first is None and second is None  # both answered, quietly
    assert [m for m, _ in world.sb.requests if m.startswith("editMessage")] == edits
    assert "◀ Previous" in [label for row in menu.buttons for label, _ in row]
    assert world.sb.rejections == []  # no "message is not modified"


def test_the_buttons_that_lead_to_an_application_are_the_flows_own():
    # Declared apart from their flows (handlers/application_buttons.py), so that the notices
    # can carry them without an import cycle: each action is still taken by its flow.
    from handlers import application_buttons, apply, nominations

    assert apply.BUTTONS is application_buttons.LEAD
    assert nominations.BUTTONS is application_buttons.UNIT
    assert handlers.apply.BUTTONS.handlers["submit"].__module__ == "handlers.apply"
    assert handlers.nominations.BUTTONS.handlers["nominate"].__module__ == "handlers.nominations"
    assert handlers.apply_docx.BUTTONS.handlers["form"].__module__ == "handlers.apply_docx"


@pytest.mark.parametrize("buttons", ALL, ids=[b.prefix for b in ALL])
def test_every_declared_action_has_exactly_one_handler(buttons: Buttons):
    assert buttons.problems() == []
    check([buttons])


def test_the_check_fails_on_an_action_without_a_handler_or_a_handler_without_an_action():
    missing = Buttons("z1", yes=("y", ()), no=("n", ()))
    stray = Buttons("z2", yes=("y", ()))
    twice = Buttons("z3", yes=("y", ()))
    del ALL[-3:]  # only for this test

    async def handler(update, ctx) -> None: ...

    missing.on("yes")(handler)
    stray.on("yes", "maybe")(handler)
    twice.on("yes")(handler)
    twice.on("yes")(handler)
    with pytest.raises(ValueError) as failed:
        check([missing, stray, twice])
    assert str(failed.value) == (
        "buttons: z1:no has no handler; z2:maybe is not declared; z3:yes has two handlers"
    )


def test_no_handler_module_imports_another_from_inside_a_function():
    # The apply ↔ application_view ↔ nominations ↔ apply_docx cycle was once dodged that way.
    import pathlib
    import re

    nested = re.compile(r"^[ \t]+(from handlers[\w.]* import|import handlers)", re.M)
    for path in pathlib.Path("handlers").glob("*.py"):
        assert not nested.search(path.read_text(encoding="utf-8")), path


async def _tap_twice_in_one_batch(world, label: str, message, user=None) -> None:
    """Both taps wait in Telegram until the bot's next getUpdates, which gets them together:
    the second carries the message as it was before the first one's edit."""
    user = user or world.admin
    world.sb.hold("getUpdates")
    await world.sb.wait_held()
    await user.tap(label, message=message, wait=False)
    await user.tap(label, message=message, wait=False)
    world.sb.release("getUpdates")
    await world.sb.settle()


@pytest.mark.parametrize(
    ("command", "label"), [("/language", "English"), ("/invite", "Unit secretary")]
)
async def test_two_taps_in_one_batch_make_one_edit(world, command: str, label: str):
    await world.import_orgs([("U1", 1)])
    await world.admin.send(command)
    menu = world.admin.last_reply
    before = len([m for m, _ in world.sb.requests if m.startswith("editMessage")])
    await _tap_twice_in_one_batch(world, label, menu)
    edits = [m for m, _ in world.sb.requests if m.startswith("editMessage")]
    assert len(edits) == before + 1
    assert world.sb.rejections == []  # no "message is not modified"


async def test_two_taps_in_one_batch_take_the_buttons_away_once(world):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    await lena.send("first answer")
    section = lena.last_reply
    await _tap_twice_in_one_batch(world, "💾 Save and exit", section, lena)
    assert not section.buttons
    assert world.sb.rejections == []  # no "message is not modified"


class _Query:
    """Just what a guard answers with: the pop-up's text."""

    def __init__(self, data: str) -> None:
        self.data = data
        self.answers: list[str] = []

    async def answer(self, text: str | None = None, show_alert: bool = False) -> None:
        self.answers.append(text)


class _Words:
    def alert(self, locale: str, key: str, **context) -> str:
        return key


def _tapped(data: str):
    from types import SimpleNamespace

    query = _Query(data)
    update = SimpleNamespace(callback_query=query)
    actor = SimpleNamespace(user_id=7)
    ctx = SimpleNamespace(actor=actor, msgs=_Words(), locale="en", campaign=None, flow=None)
    return update, ctx, query


@pytest.mark.parametrize(
    ("named", "gone", "answer"),
    [
        (1, None, "common/stale"),  # gone: out of date
        (1, "people/gone", "people/gone"),  # gone, said its own way
        (2, None, "common/not_allowed"),  # another's
        (3, None, None),  # the actor's: the handler has it, in place of its id
    ],
)
async def test_the_object_guard_loads_checks_and_refuses(named: int, gone: str, answer: str):
    from handlers import guards

    things = {2: {"owner": 8}, 3: {"owner": 7}}
    done = []

    async def load(ctx, id_: int):
        return things.get(id_)

    @guards.on_object(load, lambda actor, thing: thing["owner"] == actor.user_id, gone=gone)
    async def act(update, ctx, thing: dict, extra: str) -> None:
        done.append((thing, extra))

    update, ctx, query = _tapped("iv:r:1")
    await act(update, ctx, named, "more")
    assert query.answers == ([answer] if answer else [])
    assert done == ([] if answer else [(things[3], "more")])


async def test_the_object_guard_refuses_another_projects_a_gone_and_a_shut_stages_object(
    world,
):
    from datetime import UTC, datetime

    from storage import applications, invitations, orgs

    await world.import_orgs([("U1", 2), ("U2", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    olga = await world.join("Olga", "lead", "P-U1-02")
    sam = await world.join("Sam", "secretary", "U1")
    rita = await world.join("Rita", "secretary", "U2")
    await lena.send("/apply")
    await olga.send("/apply")
    project = await orgs.project_by_code(world.db, "P-U1-01")
    own = await applications.of_project(world.db, project.id)
    audit = "SELECT COUNT(*) FROM audit_log"
    before = await world.db.fetch_value(audit)
    submit = application_buttons.LEAD.data
    # Another project's application, and one that is not there.
    await olga.send("/apply")
    assert await world.answer_to(olga, olga.last_reply, submit("submit", own.id)) == (
        "You are not allowed to do that."
    )
    assert await world.answer_to(olga, olga.last_reply, submit("submit", 999999)) == (
        "This button is out of date. Send /apply for a current one."
    )
    # Another unit's secretary withdrawing Sam's invitation link, and a gone one.
    await sam.send("/invite lead P-U1-02")
    link = await invitations.by_id(
        world.db, await world.db.fetch_value("SELECT MAX(id) FROM invitations")
    )
    revoke = handlers.invite.BUTTONS.data
    await rita.send("/help")
    assert await world.answer_to(rita, rita.last_reply, revoke("revoke", link.id)) == (
        "You are not allowed to do that."
    )
    assert await world.answer_to(rita, rita.last_reply, revoke("revoke", 999999)) == (
        "This button is out of date. Send /invite for a current one."
    )
    # Another unit's secretary nominating it, and nominating one that is not there.
    nominate = application_buttons.UNIT.data
    assert await world.answer_to(rita, rita.last_reply, nominate("nominate", own.id)) == (
        "You are not allowed to do that."
    )
    assert await world.answer_to(rita, rita.last_reply, nominate("nominate", 999999)) == (
        "This button is out of date. Send /nominations for a current one."
    )
    # The lead's own application, once the stage is shut.
    world.clock.now = datetime(2027, 1, 16, 0, 0, tzinfo=UTC)
    await lena.send("/help")
    answer = await world.answer_to(lena, lena.last_reply, submit("submit", own.id))
    assert answer.startswith("The application deadline passed on 15 Jan 18:00")
    # Nothing changed.
    assert (await applications.get(world.db, own.id)).status == "draft"
    assert (await invitations.by_id(world.db, link.id)).revoked_at is None
    assert await world.db.fetch_value(audit) == before + 1  # Sam's link, nothing else
