"""Declared flows: the verdict on a typed message, every declaration complete, and the
dispatcher's answers through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.access import Actor
from bot.app import build_application
from bot.campaign_load import load_campaign
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, StageGuard, Step, Verdict, judge
from bot.pacing import Pacer
from bot.settings import Secret, Settings
from messages.render import Messages
from storage import orgs, roles
from storage.flows import Position
from storage.people import Person
from tests.conftest import World
from tests.test_apply import TEXT_SECTIONS, lead_of, submitted

CAMPAIGN = load_campaign()
STAGE = CAMPAIGN.stage("apply")
OPEN = STAGE.opens + timedelta(days=1)
BEFORE = STAGE.opens - timedelta(days=1)
GUARD = StageGuard("apply", before="apply/not_yet", after="apply/closed")
COMMENT = Step(Accepts.TEXT, "nominate/comment_as_text", expires=PROMPT_EXPIRY, max_chars=10)
FLOW = Flow("test", {"comment": COMMENT}, allowed=lambda actor: actor.is_admin, stage=GUARD)


def _actor(*, admin: bool) -> Actor:
    person = Person(1, "Ada", None, None, "en", "en", private_chat=True, blocked=False)
    return Actor(person, "en", (), configured_admin=admin)


def _verdict(
    kinds: Accepts = Accepts.TEXT,
    *,
    length: int = 5,
    step: Step | None = COMMENT,
    admin: bool = True,
    prompted: datetime = OPEN,
    now: datetime = OPEN,
) -> Verdict:
    position = Position(1, "test", "comment", {}, prompted)
    return judge(FLOW, step, position, kinds, length, _actor(admin=admin), CAMPAIGN, now)


@pytest.mark.parametrize(
    ("case", "verdict"),
    [
        ({}, Verdict.TAKE),
        ({"kinds": Accepts.TEXT | Accepts.NUMBER}, Verdict.TAKE),
        ({"kinds": Accepts.PHOTO}, Verdict.WRONG_INPUT),
        ({"kinds": Accepts.BUTTONS_ONLY}, Verdict.WRONG_INPUT),  # a sticker, a location
        ({"length": 11}, Verdict.TOO_LONG),
        ({"step": None}, Verdict.STALE),
        ({"admin": False}, Verdict.NOT_ALLOWED),
        ({"now": OPEN + timedelta(minutes=31)}, Verdict.EXPIRED),
        ({"now": OPEN + timedelta(minutes=30)}, Verdict.TAKE),
        ({"prompted": STAGE.opens - timedelta(hours=1), "now": STAGE.opens}, Verdict.EXPIRED),
        ({"prompted": STAGE.deadline, "now": STAGE.deadline}, Verdict.STAGE_SHUT),
        ({"prompted": BEFORE, "now": BEFORE}, Verdict.STAGE_SHUT),
    ],
)
def test_the_verdict_on_a_typed_message(case: dict, verdict: Verdict):
    got = _verdict(**case)
    assert got is verdict
    assert got.ends_flow == (
        got in (Verdict.STALE, Verdict.NOT_ALLOWED, Verdict.EXPIRED, Verdict.STAGE_SHUT)
    )


def test_a_stage_guard_names_the_right_refusal_on_each_side():
    assert GUARD.refusal(CAMPAIGN, STAGE.opens - timedelta(seconds=1)) == "apply/not_yet"
    assert GUARD.refusal(CAMPAIGN, STAGE.opens) is None
    assert GUARD.refusal(CAMPAIGN, STAGE.deadline) == "apply/closed"


def test_a_step_for_buttons_takes_no_typed_message_at_all():
    buttons_only = Step(Accepts.BUTTONS_ONLY, "apply/at_preview")
    for kinds in (Accepts.TEXT, Accepts.TEXT | Accepts.NUMBER, Accepts.FILE, Accepts.DOCUMENT):
        assert _verdict(kinds, step=buttons_only) is Verdict.WRONG_INPUT


def _declared() -> dict[str, Flow]:
    settings = Settings(token=Secret("1:x"), api_url="http://127.0.0.1:9", db_path=None)
    app = build_application(settings, CAMPAIGN, Pacer())
    return dict(app.bot_data.flows)


def test_every_flow_declares_steps_whose_answers_exist_in_every_locale():
    flows = _declared()
    assert set(flows) == {
        "apply",
        "return_comment",
        "decline_reason",
        "import",
        "extend_date",
        "broadcast",
        "report",
        "coach",
        "final",
        "review",
        "recuse",
        "deliverables",
    }
    msgs = Messages(CAMPAIGN.timezone)
    templates = msgs.template_keys("en")
    names = [s.key for s in CAMPAIGN.sections] + ["preview"]
    for flow in flows.values():
        steps = [flow.step(CAMPAIGN, name) for name in names]
        if isinstance(flow.steps, dict):
            steps = list(flow.steps.values())
        steps = [step for step in steps if step is not None]
        assert steps, flow.name
        for step in steps:
            assert {step.wrong_input, step.too_long} <= templates, flow.name
            # A step that takes something has a taker; one that waits for buttons has none.
            assert (step.take is None) == (step.accepts == Accepts.BUTTONS_ONLY), flow.name
        if flow.stage is not None:
            assert {flow.stage.before, flow.stage.after} <= templates
    # Typed comments and reasons expire; an application's sections wait for ever.
    assert flows["return_comment"].steps["comment"].expires == PROMPT_EXPIRY
    assert flows["decline_reason"].steps["reason"].expires == PROMPT_EXPIRY
    assert flows["recuse"].steps["reason"].expires == PROMPT_EXPIRY
    assert flows["coach"].steps["comment"].expires == PROMPT_EXPIRY
    assert flows["deliverables"].steps["comment"].expires == PROMPT_EXPIRY
    assert all(flows["apply"].step(CAMPAIGN, name).expires is None for name in names)


# --- through the sandbox ----------------------------------------------------------------------


async def test_each_section_says_what_it_takes_and_keeps_its_buttons(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send_sticker()
    assert "This section takes text" in lena.last_reply.text
    assert lena.last_reply.buttons  # Done, Back, … are right there
    for section in TEXT_SECTIONS:
        await lena.send(f"Our {section.key}.")
        await lena.tap("✓ Done")
    await lena.send_photo()  # at the budget
    assert "This section takes a number" in lena.last_reply.text
    await lena.send("a lot")
    assert "I couldn't read an amount in “a lot”" in lena.last_reply.text
    await lena.send("12万")
    assert "Saved: 120,000" in lena.last_reply.text
    await lena.send("our photos are coming")  # at the attachments
    assert "This section takes photos or documents" in lena.last_reply.text
    assert lena.last_reply.buttons
    await lena.tap("Skip ▶")
    await lena.send("hello")
    assert "You're at the preview" in lena.last_reply.text


async def test_someone_whose_role_is_gone_leaves_the_flow(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await lena.send("/apply")
    project = await orgs.project_by_code(world.db, "P-U1-01")
    async with world.db.transaction(world.clock()) as tx:
        await roles.revoke(tx, lena.id, "lead", project_id=project.id)
    await lena.send("my answer")
    assert lena.last_reply.text == "You are not allowed to do that."
    await lena.send("my answer again")  # no longer in the flow: an ordinary message
    assert lena.last_reply.text != "You are not allowed to do that."


async def test_a_photo_while_waiting_for_the_csv_is_answered_with_what_is_wanted(world: World):
    await world.admin.send("/import")
    await world.admin.send_photo()
    assert "I'm waiting for the sheet" in world.admin.last_reply.text
    await world.import_orgs([("U1", 1)])


async def test_a_comment_flow_ends_when_the_stage_closes(world: World):
    await world.import_orgs([("U1", 20)])
    sam = await world.join("Sam", "secretary", "U1")
    await submitted(world, "P-U1-01", "Lena")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    world.clock.now = STAGE.deadline.astimezone(UTC) - timedelta(minutes=10)
    await sam.tap("↩ Return with a comment")
    world.advance(minutes=11)  # the prompt is fresh, the stage is over
    await sam.send("Please add the budget.")
    assert sam.last_reply.text.startswith("The application deadline passed on")
    await sam.send("Please add the budget.")  # the flow is over: not a comment now
    assert "deadline passed" not in sam.last_reply.text
