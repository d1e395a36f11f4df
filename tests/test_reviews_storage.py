"""storage/reviews.py and storage/votes.py on a real SQLite file: stage 3's reviews, scores,
recusals and the group vote."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot import cli
from storage import audit, orgs, people, reviews, votes
from storage.db import Database, migrations
from storage.orgs import OrgRow

NOW = datetime(2027, 10, 10, 2, 0, tzinfo=UTC)
CRITERIA = ("ideology", "mechanism", "standards")
ALICE, BOB, CAROL, ADMIN = 11, 12, 13, 99


@pytest.fixture
async def db(tmp_path):
    db = await Database.open(tmp_path / "reviews.db")
    try:
        async with db.transaction(NOW) as tx:
            for user_id, name in ((ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol"), (ADMIN, "Ad")):
                last = "Li" if user_id == BOB else None
                seen = people.Seen(user_id, name, last, None, "en", in_private=True)
                await people.remember(tx, seen, None)
            await orgs.import_rows(
                tx,
                [
                    OrgRow(2, "U1", "Unit one", "P1", "Project one"),
                    OrgRow(3, "U1", "Unit one", "P2", "Project two"),
                    OrgRow(4, "U2", "Unit two", "P3", "Project three"),
                ],
                None,
            )
        yield db
    finally:
        await db.close()


async def project_ids(db: Database) -> dict[str, int]:
    rows = await db.fetch_all("SELECT code, id FROM projects")
    return {row["code"]: row["id"] for row in rows}


async def assigned(db: Database, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    ids = await project_ids(db)
    async with db.transaction(NOW) as tx:
        await reviews.assign(tx, {(user, ids[code]) for user, code in pairs}, by=ADMIN)
    found = {}
    for user, code in pairs:
        found[(user, code)] = (await reviews.of(db, user, ids[code])).id
    return found


async def test_the_migration_adds_the_tables_to_an_older_database(tmp_path):
    path = tmp_path / "old.db"
    old = await Database.open(path, migrate_upto=18)
    await old.close()
    db = await Database.open(path)
    try:
        assert await db.user_version() == len(migrations()) >= 19
        tables = {r[0] for r in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert {"reviews", "review_scores", "votes", "ballots"} <= tables
    finally:
        await db.close()


async def test_assign_adds_only_new_pairs_and_reads_them_back_as_kept(db):
    ids = await project_ids(db)
    async with db.transaction(NOW) as tx:
        added = await reviews.assign(tx, {(ALICE, ids["P1"]), (BOB, ids["P1"])}, by=ADMIN)
    async with db.transaction(NOW + timedelta(hours=1)) as tx:
        again = await reviews.assign(tx, {(ALICE, ids["P1"]), (ALICE, ids["P3"])}, by=ADMIN)
    assert (added, again) == (2, 1)
    first = await reviews.of(db, ALICE, ids["P1"])
    assert (first.state, first.assigned_by, first.assigned_at) == ("assigned", ADMIN, NOW)
    kept, barred = await reviews.pairs(db)
    assert kept == {(ALICE, ids["P1"]), (BOB, ids["P1"]), (ALICE, ids["P3"])}
    assert barred == frozenset()
    logged = await audit.entries(db, action="review.assign")
    assert [len(e.detail["pairs"]) for e in logged] == [2, 1]


async def test_a_score_is_a_draft_until_submitted_and_a_double_tap_changes_nothing(db):
    review_id = (await assigned(db, {(ALICE, "P1")}))[(ALICE, "P1")]
    async with db.transaction(NOW) as tx:
        assert await reviews.set_score(tx, review_id, "ideology", 8)
        assert not await reviews.set_score(tx, review_id, "ideology", 8)
        assert await reviews.set_score(tx, review_id, "ideology", 7)
        assert await reviews.set_comment(tx, review_id, "solid")
    review = await reviews.get(db, review_id)
    assert review.state == "draft" and review.draft_comment == "solid"
    assert review.comment is None and not review.counts
    scores = (await reviews.scores_of(db, [review_id]))[review_id]
    assert dict(scores.draft) == {"ideology": 7} and dict(scores.submitted) == {}


async def test_submit_needs_every_criterion_then_copies_the_card(db):
    review_id = (await assigned(db, {(ALICE, "P1")}))[(ALICE, "P1")]
    async with db.transaction(NOW) as tx:
        await reviews.set_score(tx, review_id, "ideology", 8)
        assert await reviews.submit(tx, review_id, CRITERIA, by=ALICE) is None
        await reviews.set_score(tx, review_id, "mechanism", 6)
        await reviews.set_score(tx, review_id, "standards", 9)
        await reviews.set_comment(tx, review_id, "good")
        review = await reviews.submit(tx, review_id, CRITERIA, by=ALICE)
    assert review.state == "submitted" and review.submitted_at == NOW
    assert review.comment == "good" and review.counts
    scores = (await reviews.scores_of(db, [review_id]))[review_id]
    assert dict(scores.submitted) == {"ideology": 8, "mechanism": 6, "standards": 9}
    assert not scores.edited
    [logged] = await audit.entries(db, action="review.submit")
    assert logged.detail["scores"] == {"ideology": 8, "mechanism": 6, "standards": 9}
    assert await reviews.history(db, review_id) == []


async def test_a_change_after_submitting_is_recorded_with_old_and_new_values(db):
    review_id = (await assigned(db, {(ALICE, "P1")}))[(ALICE, "P1")]
    first = {"ideology": 8, "mechanism": 6, "standards": 9}
    async with db.transaction(NOW) as tx:
        await reviews.submit(tx, review_id, CRITERIA, by=ALICE, scores=first, comment="ok")
    later = NOW + timedelta(days=1)
    async with db.transaction(later) as tx:
        await reviews.set_score(tx, review_id, "mechanism", 7)
        scores = (await reviews.scores_of(tx, [review_id]))[review_id]
        assert scores.edited and scores.submitted["mechanism"] == 6  # not counted yet
        review = await reviews.submit(tx, review_id, CRITERIA, by=ALICE)
        # Submitting the same values again records nothing.
        assert await reviews.submit(tx, review_id, CRITERIA, by=ALICE) == review
    assert review.submitted_at == NOW and review.changed_at == later
    [change] = await reviews.history(db, review_id)
    assert (change.at, change.by) == (later, ALICE)
    assert dict(change.old) == first
    assert dict(change.new) == {**first, "mechanism": 7}
    assert change.old_comment == change.new_comment == "ok"


async def test_score_in_one_message_submits_at_once_and_can_change_the_comment(db):
    review_id = (await assigned(db, {(BOB, "P2")}))[(BOB, "P2")]
    values = {"ideology": 5, "mechanism": 5, "standards": 5}
    async with db.transaction(NOW) as tx:
        review = await reviews.submit(tx, review_id, CRITERIA, by=BOB, scores=values)
        assert review.state == "submitted" and review.comment is None
        await reviews.submit(tx, review_id, CRITERIA, by=BOB, scores=values, comment="thin")
        # Scores without a comment keep the one there is.
        again = {**values, "ideology": 6}
        review = await reviews.submit(tx, review_id, CRITERIA, by=BOB, scores=again)
    assert review.comment == "thin"
    first, second = await reviews.history(db, review_id)
    assert dict(first.old) == dict(first.new) == values
    assert (first.old_comment, first.new_comment) == (None, "thin")
    assert (dict(second.new), second.new_comment) == (again, "thin")


async def test_revert_puts_the_card_back_to_what_was_submitted(db):
    review_id = (await assigned(db, {(ALICE, "P1")}))[(ALICE, "P1")]
    values = {"ideology": 8, "mechanism": 6, "standards": 9}
    async with db.transaction(NOW) as tx:
        await reviews.submit(tx, review_id, CRITERIA, by=ALICE, scores=values, comment="a")
        await reviews.set_score(tx, review_id, "ideology", 2)
        await reviews.set_comment(tx, review_id, "b")
        assert await reviews.revert(tx, review_id)
        assert not await reviews.revert(tx, review_id)
    scores = (await reviews.scores_of(db, [review_id]))[review_id]
    assert dict(scores.draft) == values and not scores.edited
    assert (await reviews.get(db, review_id)).draft_comment == "a"


async def test_a_recused_review_takes_no_scores_never_counts_and_is_barred(db):
    ids = await project_ids(db)
    review_id = (await assigned(db, {(CAROL, "P3")}))[(CAROL, "P3")]
    values = {"ideology": 8, "mechanism": 6, "standards": 9}
    async with db.transaction(NOW) as tx:
        await reviews.submit(tx, review_id, CRITERIA, by=CAROL, scores=values)
        review = await reviews.recuse(tx, review_id, "my brother leads it", by=CAROL)
        assert await reviews.recuse(tx, review_id, "again", by=CAROL) is None
        assert not await reviews.set_score(tx, review_id, "ideology", 1)
        assert await reviews.submit(tx, review_id, CRITERIA, by=CAROL) is None
        assert await reviews.assign(tx, {(CAROL, ids["P3"])}, by=ADMIN) == 0
    assert (review.state, review.recuse_reason, review.recused_at) == (
        "recused",
        "my brother leads it",
        NOW,
    )
    assert not review.counts
    assert await reviews.submitted_reviews(db) == []
    assert await reviews.pairs(db) == (frozenset(), frozenset({(CAROL, ids["P3"])}))
    assert await reviews.queue(db, CAROL) == []
    [logged] = await audit.entries(db, action="review.recuse")
    assert logged.detail == {"reason": "my brother leads it"}


async def test_the_queue_lists_the_unsubmitted_first_in_one_query(db):
    found = await assigned(db, {(ALICE, "P1"), (ALICE, "P2"), (ALICE, "P3"), (BOB, "P1")})
    values = {"ideology": 8, "mechanism": 6, "standards": 9}
    async with db.transaction(NOW) as tx:
        await reviews.submit(tx, found[(ALICE, "P1")], CRITERIA, by=ALICE, scores=values)
        await reviews.set_score(tx, found[(ALICE, "P3")], "ideology", 4)
    queue = await reviews.queue(db, ALICE)
    assert [(q.project_code, q.state, q.scored) for q in queue] == [
        ("P2", "assigned", 0),
        ("P3", "draft", 1),
        ("P1", "submitted", 3),
    ]
    assert queue[0].project_name == "Project two"
    assert [q.project_code for q in await reviews.queue(db, BOB)] == ["P1"]


async def test_progress_per_candidate_and_per_reviewer(db):
    found = await assigned(
        db, {(ALICE, "P1"), (BOB, "P1"), (CAROL, "P1"), (ALICE, "P3"), (BOB, "P3")}
    )
    values = {"ideology": 8, "mechanism": 6, "standards": 9}
    async with db.transaction(NOW) as tx:
        await reviews.submit(tx, found[(ALICE, "P1")], CRITERIA, by=ALICE, scores=values)
        await reviews.submit(tx, found[(BOB, "P3")], CRITERIA, by=BOB, scores=values)
        await reviews.recuse(tx, found[(CAROL, "P1")], "conflict", by=CAROL)
    by_candidate = await reviews.progress_by_candidate(db)
    assert [(p.project_code, p.assigned, p.submitted, p.recused) for p in by_candidate] == [
        ("P1", 2, 1, 1),
        ("P3", 2, 1, 0),
    ]
    by_reviewer = await reviews.progress_by_reviewer(db)
    assert [(p.reviewer_id, p.assigned, p.submitted, p.recused) for p in by_reviewer] == [
        (ALICE, 2, 1, 0),
        (BOB, 2, 1, 0),
        (CAROL, 0, 0, 1),
    ]
    counted = await reviews.submitted_reviews(db)
    assert sorted((r.reviewer_id, s["mechanism"]) for r, s in counted) == [(ALICE, 6), (BOB, 6)]


async def test_the_record_names_reviewers_and_projects(db):
    await assigned(db, {(BOB, "P2"), (ALICE, "P3"), (ALICE, "P1")})
    rows = await reviews.record(db)
    assert [(r.reviewer_id, r.reviewer_name, r.project_code, r.state) for r in rows] == [
        (ALICE, "Alice", "P1", "assigned"),
        (ALICE, "Alice", "P3", "assigned"),
        (BOB, "Bob Li", "P2", "assigned"),
    ]


async def test_a_vote_counts_one_ballot_per_person_changed_or_withdrawn(db):
    ids = await project_ids(db)
    async with db.transaction(NOW) as tx:
        vote = await votes.open_vote(tx, ids["P1"], chat_id=-100, by=ADMIN)
        assert await votes.open_vote(tx, ids["P1"], chat_id=-100, by=ADMIN) is None
        await votes.set_message(tx, vote.id, 555)
        assert (await votes.cast(tx, vote.id, ALICE, "recommend")).changed
        await votes.cast(tx, vote.id, BOB, "recommend")
        await votes.cast(tx, vote.id, BOB, "not_yet")  # changed
        await votes.cast(tx, vote.id, CAROL, "undecided")
        withdrawn = await votes.cast(tx, vote.id, CAROL, "undecided")
        assert withdrawn == votes.Cast(None, True)
        assert not (await votes.cast(tx, vote.id, ALICE, "maybe")).changed
    assert (await votes.tally(db, [vote.id]))[vote.id] == {
        "recommend": 1,
        "undecided": 0,
        "not_yet": 1,
    }
    assert (await votes.ballot_of(db, vote.id, BOB)).choice == "not_yet"
    assert (await votes.open_on(db, ids["P1"])).message_id == 555


async def test_a_closed_vote_takes_no_ballots_and_a_new_one_may_open(db):
    ids = await project_ids(db)
    async with db.transaction(NOW) as tx:
        vote = await votes.open_vote(tx, ids["P1"], chat_id=-100, by=ADMIN)
        await votes.cast(tx, vote.id, ALICE, "recommend")
    async with db.transaction(NOW + timedelta(hours=1)) as tx:
        closed = await votes.close(tx, vote.id, by=ADMIN)
        assert await votes.close(tx, vote.id, by=ADMIN) is None
        late = await votes.cast(tx, vote.id, BOB, "not_yet")
        again = await votes.open_vote(tx, ids["P1"], chat_id=-100, by=ADMIN)
    assert not closed.is_open and closed.closed_by == ADMIN
    assert late == votes.Cast(None, False)
    assert (await votes.tally(db, [vote.id]))[vote.id]["not_yet"] == 0
    assert again is not None and again.id != vote.id
    assert [v.id for v in (await votes.of_projects(db, [ids["P1"]]))[ids["P1"]]] == [
        vote.id,
        again.id,
    ]
    [logged] = await audit.entries(db, action="vote.close")
    assert logged.detail["counts"]["recommend"] == 1


async def test_pacesetter_assignments_prints_the_record_and_csv(db, tmp_path, monkeypatch, capsys):
    found = await assigned(db, {(BOB, "P2"), (ALICE, "P3"), (ALICE, "P1")})
    async with db.transaction(NOW) as tx:
        await reviews.recuse(tx, found[(ALICE, "P3")], "conflict", by=ALICE)
        await people.expect(tx, 77)
        await reviews.assign(tx, {(77, (await project_ids(db))["P1"])}, by=ADMIN)
    monkeypatch.setenv("PACESETTER_DB", str(tmp_path / "reviews.db"))
    assert await asyncio.to_thread(cli.main, ["assignments"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{ALICE}\tAlice\tP1\tassigned",
        f"{ALICE}\tAlice\tP3\trecused",
        f"{BOB}\tBob Li\tP2\tassigned",
        "77\t(not seen yet)\tP1\tassigned",
    ]
    assert await asyncio.to_thread(cli.main, ["assignments", "--csv"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("\ufeff")  # the mark Excel and WPS read UTF-8 by
    rows = list(csv.reader(io.StringIO(printed.removeprefix("\ufeff"))))
    assert rows[0] == ["reviewer_id", "reviewer", "project", "state"]
    assert rows[1:] == [
        [str(ALICE), "Alice", "P1", "assigned"],
        [str(ALICE), "Alice", "P3", "recused"],
        [str(BOB), "Bob Li", "P2", "assigned"],
        ["77", "(not seen yet)", "P1", "assigned"],
    ]


async def test_pacesetter_assignments_says_when_nobody_is_assigned(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PACESETTER_DB", str(tmp_path / "empty.db"))
    assert await asyncio.to_thread(cli.main, ["assignments", "--csv"]) == 0
    printed = capsys.readouterr()
    assert printed.out == "\ufeffreviewer_id,reviewer,project,state\n"
    assert "no reviewer is assigned a candidate yet" in printed.err
