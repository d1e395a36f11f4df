"""Outbox causes: a small type whose text is exactly what the rows already stored hold."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import notices, reminders
from handlers import report_card
from storage import outbox
from storage.audit import current_update_id
from storage.outbox import PROGRESS, REPORT, Cause
from tests.conftest import World, until
from tests.test_apply import nominated

# Every kind the code writes; a new one is added here on purpose.
KINDS = {
    "application",
    "broadcast",
    "coaching",
    "deadline",
    "import.check",
    "invitation",
    "join",
    "media",
    "person",
    PROGRESS,
    "remind",
    REPORT,
    "role",
    "set-aside",
}
_PART = st.from_regex(r"[a-z][a-z0-9_.-]{0,11}", fullmatch=True)
_ID = st.one_of(st.integers(min_value=0, max_value=10**12), _PART)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_any_stored_text_reads_back_as_itself(text: str):
    assert str(Cause.parse(text)) == text


@settings(max_examples=100, deadline=None)
@given(_PART, st.lists(_ID, max_size=5), st.one_of(st.none(), st.from_regex(r"u[0-9]{1,9}")))
def test_a_cause_built_parses_back_to_itself(kind: str, ids: list, at: str | None):
    cause = Cause(kind, *ids, at=at)
    assert Cause.parse(str(cause)) == cause


def test_the_causes_the_code_builds_read_as_they_did_as_text():
    tx = SimpleNamespace(stamp="2027-01-15 10:00:00.000000")
    assert notices.cause(tx, Cause("application", 7, "nominated")) == (
        "application:7:nominated@2027-01-15 10:00:00.000000"
    )
    token = current_update_id.set(42)
    try:
        assert notices.cause(tx, Cause("role", 3, "removed")) == "role:3:removed@u42"
        assert notices.cause(tx, "join:5:9") == "join:5:9@u42"  # text still reads the same
    finally:
        current_update_id.reset(token)
    assert report_card.card_cause(5) == "report:5:card"
    assert report_card.highlight_cause(5, 12) == "report:5:hl:12:post"
    assert reminders.by_hand_cause("apply", 99) == "remind:apply:now:99"
    deadline = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    wave = reminders.Wave("apply", "3d", deadline, deadline)
    assert wave.cause == "remind:apply:3d:20270115T1000" == f"remind:{wave.key}"
    assert Cause.of(reminders.PREFIX, "apply") == "remind:apply:"
    assert str(Cause("report", 5, "marked", at="")) == "report:5:marked@"  # any update's
    told = Cause.parse("broadcast:1:2@u3")
    assert str(told.about(PROGRESS)) == "progress:broadcast:1:2@u3"
    assert Cause.parse("progress:broadcast:1:2@u3").kind == PROGRESS
    assert Cause.parse("report:5:card@u12") == Cause("report", 5, "card", at="u12")
    # A later step of a message: its text with ":step" after it, stamped or not.
    assert str(Cause.parse("report:5:card").then("delete")) == "report:5:card:delete"
    assert str(Cause.parse("report:5:card@u12").then("edit")) == "report:5:card@u12:edit"


async def test_every_cause_stored_reads_back_with_a_kind_we_write(world: World):
    await nominated(world)
    late = await world.join("Late", "lead", "P-U1-02")
    await late.send("/apply")  # a draft: told of the new deadline
    await world.admin.send("/extend apply 2027-01-20 18:00")
    await world.admin.tap("✅ Move the deadline")
    await until(lambda: "announcement is out" in world.admin.last_reply.text, 10, "the report")
    stored = [row["cause"] for row in await world.db.fetch_all("SELECT cause FROM outbox")]
    assert len(stored) > 5
    for text in stored:
        cause = Cause.parse(text)
        assert str(cause) == text and cause.kind in KINDS, text
    kinds = {Cause.parse(text).kind for text in stored}
    assert {"invitation", "application", "deadline", REPORT} <= kinds
    assert await outbox.pending_causes(world.db, Cause.of("application")) == []
