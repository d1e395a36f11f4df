"""/assign: an admin previews the reviewers of each candidate for stage 3 and confirms; a
stale preview is shown again instead of written, a re-run only adds. Through the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from storage import reviews
from tests.conftest import World

AFTER = datetime(2027, 11, 15, 10, 1, tzinfo=UTC)  # 18:01 in Shanghai, 考核验收 closed


async def _candidates(world: World, units: list[tuple[str, int]]) -> dict[str, int]:
    """The units' projects, every one accepted (a candidate): their ids by code."""
    await world.import_orgs(units)
    await world.accept()
    rows = await world.db.fetch_all("SELECT code, id FROM projects")
    return {row["code"]: row["id"] for row in rows}


def _per_candidate(world: World, n: int) -> None:
    core = world.runner.core
    core.campaign = replace(
        core.campaign, assessment=replace(core.campaign.assessment, reviewers_per_candidate=n)
    )


async def _reviewer(world: World, name: str):
    return await world.join(name, "reviewer")


async def _pairs(world: World) -> frozenset[tuple[int, int]]:
    kept, _ = await reviews.pairs(world.db)
    return kept


async def test_preview_then_confirm_writes_the_pairs_never_a_conflict_once(world: World):
    ids = await _candidates(world, [("U1", 1), ("U2", 2)])
    sam = await world.join("Sam", "secretary", "U1")  # U1's secretary, a reviewer too
    await sam.send(f"/start {await world.invite_link(world.admin, 'reviewer')}")
    rita, ron = await _reviewer(world, "Rita"), await _reviewer(world, "Ron")
    _per_candidate(world, 2)
    await rita.send("/assign")
    assert rita.last_reply.text == "Only campaign admins can do that."
    assert "assign" in dict(world.sb.commands("chat", chat_id=world.admin.id))
    assert "assign" not in dict(world.sb.commands("chat", chat_id=rita.id))
    group = world.sb.group("Reviewers", creator=world.admin)
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send("/assign", chat=group)
    assert world.sb.messages(group)[-1].text == (
        "/assign works in our private chat: tap below to open it."
    )
    await world.admin.send("/assign")
    preview = world.admin.last_reply
    assert "3 candidates, 3 reviewers." in preview.text
    assert "Each candidate gets 2 reviewers." in preview.text
    assert "To add: 6 pairs (reviewer and candidate)." in preview.text
    assert "Candidates per reviewer: 2–2." in preview.text
    assert "Conflicts avoided: 1 reviewer–candidate pair left out" in preview.text
    assert "Short of reviewers" not in preview.text
    assert not await _pairs(world)  # nothing before the confirmation
    data = preview.button_data("✅ Confirm")
    await world.admin.tap("✅ Confirm", message=preview)
    assert preview.text.startswith("✅ Assigned: 6 pairs added.")
    pairs = await _pairs(world)
    assert len(pairs) == 6 and (sam.id, ids["P-U1-01"]) not in pairs
    assert {(rita.id, ids["P-U1-01"]), (ron.id, ids["P-U1-01"])} <= pairs
    # A double tap adds nothing and says so; the message keeps what was done.
    answer = await world.answer_to(world.admin, preview, data)
    assert answer == "Every candidate has its reviewers already: nothing to add."
    assert await _pairs(world) == pairs and preview.text.startswith("✅ Assigned: 6 pairs")
    await world.admin.send("/assign")
    assert world.admin.last_reply.text == (
        "Every candidate has its reviewers already: nothing to add."
    )


async def test_a_stale_preview_shows_the_new_plan_and_a_rerun_only_adds(world: World):
    ids = await _candidates(world, [("U1", 2)])
    rita, ron = await _reviewer(world, "Rita"), await _reviewer(world, "Ron")
    _per_candidate(world, 3)
    await world.admin.send("/assign")
    preview = world.admin.last_reply
    assert "⚠ Short of reviewers" in preview.text
    assert "• Project U1-01, Unit U1: 2 reviewers" in preview.text
    await world.admin.tap("✅ Confirm", message=preview)
    first = await _pairs(world)
    assert len(first) == 4
    vic = await _reviewer(world, "Vic")
    await world.admin.send("/assign")
    old = world.admin.last_reply
    assert "To add: 2 pairs" in old.text and "left as they are: 4 pairs." in old.text
    wes = await _reviewer(world, "Wes")  # joins after the preview was shown
    await world.admin.tap("✅ Confirm", message=old)
    assert old.text.startswith("⚠ Things changed since the preview you tapped")
    assert "4 reviewers." in old.text and "Candidates per reviewer: 1–2." in old.text
    assert await _pairs(world) == first  # the old plan was not written
    await world.admin.tap("✅ Confirm", message=old)
    assert old.text.startswith("✅ Assigned: 2 pairs added.")
    pairs = await _pairs(world)
    added = pairs - first
    assert first < pairs and {r for r, _ in added} == {vic.id, wes.id}
    assert {p for _, p in added} == {ids["P-U1-01"], ids["P-U1-02"]}
    assert {rita.id, ron.id} == {r for r, _ in first}


async def test_with_zero_per_candidate_everyone_reviews_everything_but_conflicts(world: World):
    ids = await _candidates(world, [("U1", 1), ("U2", 1)])
    sam = await world.join("Sam", "secretary", "U1")
    await sam.send(f"/start {await world.invite_link(world.admin, 'reviewer')}")
    rita = await _reviewer(world, "Rita")
    _per_candidate(world, 0)
    await world.admin.send("/assign")
    preview = world.admin.last_reply
    assert "Every reviewer reviews every candidate, except where they have a conflict." in (
        preview.text
    )
    assert "To add: 3 pairs" in preview.text
    await world.admin.tap("✖ Cancel", message=preview)
    assert preview.text == "Nothing was assigned." and not await _pairs(world)
    await world.admin.send("/assign")
    await world.admin.tap("✅ Confirm")
    assert await _pairs(world) == {
        (sam.id, ids["P-U2-01"]),
        (rita.id, ids["P-U1-01"]),
        (rita.id, ids["P-U2-01"]),
    }


async def test_a_long_shortfall_is_cut_short_and_nothing_is_assigned_after_the_close(
    world: World,
):
    await _candidates(world, [("U1", 21)])
    await _reviewer(world, "Rita")
    await world.admin.send("/assign")  # 5 per candidate, the default: every one short
    preview = world.admin.last_reply
    assert preview.text.count("• Project U1-") == 20
    assert preview.text.endswith(
        "… and 1 more candidate.\nReviews already started are never moved. Write this assignment?"
    )
    data = preview.button_data("✅ Confirm")
    world.clock.now = AFTER
    answer = await world.answer_to(world.admin, preview, data)
    assert answer.endswith("reviewers can no longer be assigned.")
    await world.admin.send("/assign")
    assert world.admin.last_reply.text.endswith("reviewers can no longer be assigned.")
    assert not await _pairs(world)
