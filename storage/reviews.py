"""Stage 3's reviews: who reviews which candidate, their scores per criterion (a draft on the
card, the submitted values that count) and recusals. Changes to submitted scores are in the
audit log (action "review.change", old and new values); `history` reads them back."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from storage import audit
from storage.db import Executor, Transaction, from_db_time

ASSIGNED, DRAFT, SUBMITTED, RECUSED = "assigned", "draft", "submitted", "recused"
STATES: tuple[str, ...] = (ASSIGNED, DRAFT, SUBMITTED, RECUSED)


@dataclass(frozen=True)
class Review:
    id: int
    reviewer_id: int
    project_id: int
    state: str
    assigned_by: int | None
    assigned_at: datetime
    draft_comment: str | None
    comment: str | None
    submitted_at: datetime | None
    changed_at: datetime
    recused_at: datetime | None
    recuse_reason: str | None

    @property
    def counts(self) -> bool:
        """Its submitted scores enter the results."""
        return self.state == SUBMITTED


@dataclass(frozen=True)
class Scores:
    """A review's scores by criterion key: as on the card, and as submitted (what counts)."""

    draft: Mapping[str, int]
    submitted: Mapping[str, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "draft", MappingProxyType(dict(self.draft)))
        object.__setattr__(self, "submitted", MappingProxyType(dict(self.submitted)))

    @property
    def edited(self) -> bool:
        """The card differs from what was submitted: a change not yet submitted."""
        return bool(self.submitted) and dict(self.draft) != dict(self.submitted)


@dataclass(frozen=True)
class QueueItem:
    review_id: int
    project_id: int
    project_code: str
    project_name: str
    unit_id: int
    state: str
    scored: int  # criteria set on the card


@dataclass(frozen=True)
class Counted:
    """A review that counts, as the ranking reads it: who, which candidate, the values."""

    reviewer_id: int
    project_id: int
    scores: Mapping[str, int]


@dataclass(frozen=True)
class CandidateProgress:
    project_id: int
    project_code: str
    assigned: int  # reviews that are not recused
    submitted: int
    recused: int


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer_id: int
    assigned: int  # reviews that are not recused
    submitted: int
    recused: int


@dataclass(frozen=True)
class RecordRow:
    """One line of `pacesetter assignments`."""

    reviewer_id: int
    reviewer_name: str
    username: str | None
    project_code: str
    state: str


@dataclass(frozen=True)
class ScoreChange:
    at: datetime
    by: int | None
    old: Mapping[str, int]
    new: Mapping[str, int]
    old_comment: str | None
    new_comment: str | None


def _review(row) -> Review:
    return Review(
        id=row["id"],
        reviewer_id=row["reviewer_id"],
        project_id=row["project_id"],
        state=row["state"],
        assigned_by=row["assigned_by"],
        assigned_at=from_db_time(row["assigned_at"]),
        draft_comment=row["draft_comment"],
        comment=row["comment"],
        submitted_at=from_db_time(row["submitted_at"]),
        changed_at=from_db_time(row["changed_at"]),
        recused_at=from_db_time(row["recused_at"]),
        recuse_reason=row["recuse_reason"],
    )


# --- reading ---------------------------------------------------------------------------------


async def get(db: Executor, review_id: int) -> Review | None:
    row = await db.fetch_one("SELECT * FROM reviews WHERE id = ?", (review_id,))
    return _review(row) if row else None


async def of(db: Executor, reviewer_id: int, project_id: int) -> Review | None:
    row = await db.fetch_one(
        "SELECT * FROM reviews WHERE reviewer_id = ? AND project_id = ?",
        (reviewer_id, project_id),
    )
    return _review(row) if row else None


async def of_project(db: Executor, project_id: int) -> list[Review]:
    """Every review of a candidate, recused ones too, by reviewer."""
    rows = await db.fetch_all(
        "SELECT * FROM reviews WHERE project_id = ? ORDER BY reviewer_id", (project_id,)
    )
    return [_review(row) for row in rows]


async def pairs(db: Executor) -> tuple[frozenset[tuple[int, int]], frozenset[tuple[int, int]]]:
    """(reviewer, project) pairs as bot/assignment.py takes them: the ones standing (kept),
    and the recused ones (barred)."""
    rows = await db.fetch_all("SELECT reviewer_id, project_id, state FROM reviews")
    kept = frozenset((r[0], r[1]) for r in rows if r["state"] != RECUSED)
    barred = frozenset((r[0], r[1]) for r in rows if r["state"] == RECUSED)
    return kept, barred


async def queue(db: Executor, reviewer_id: int) -> list[QueueItem]:
    """A reviewer's candidates, not recused: the unsubmitted first, then by project code."""
    rows = await db.fetch_all(
        "SELECT r.id, r.project_id, p.code, p.name, p.unit_id, r.state,"
        " (SELECT COUNT(*) FROM review_scores s WHERE s.review_id = r.id) AS scored"
        " FROM reviews r JOIN projects p ON p.id = r.project_id"
        " WHERE r.reviewer_id = ? AND r.state != 'recused'"
        " ORDER BY r.state = 'submitted', p.code",
        (reviewer_id,),
    )
    return [
        QueueItem(
            review_id=row["id"],
            project_id=row["project_id"],
            project_code=row["code"],
            project_name=row["name"],
            unit_id=row["unit_id"],
            state=row["state"],
            scored=row["scored"],
        )
        for row in rows
    ]


async def scores_of(db: Executor, review_ids: Sequence[int]) -> dict[int, Scores]:
    """The scores of these reviews (every one present, empty when none is set)."""
    found: dict[int, tuple[dict[str, int], dict[str, int]]] = {i: ({}, {}) for i in review_ids}
    for start in range(0, len(review_ids), 500):
        chunk = list(review_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await db.fetch_all(
            "SELECT review_id, criterion, draft, submitted FROM review_scores"
            f" WHERE review_id IN ({marks})",
            chunk,
        )
        for row in rows:
            draft, submitted = found[row["review_id"]]
            draft[row["criterion"]] = row["draft"]
            if row["submitted"] is not None:
                submitted[row["criterion"]] = row["submitted"]
    return {i: Scores(d, s) for i, (d, s) in found.items()}


async def submitted_reviews(db: Executor) -> list[tuple[Review, dict[str, int]]]:
    """Every review that counts, with its submitted scores: what results are made of."""
    rows = await db.fetch_all(
        "SELECT r.*, s.criterion, s.submitted FROM reviews r"
        " JOIN review_scores s ON s.review_id = r.id"
        " WHERE r.state = 'submitted' AND s.submitted IS NOT NULL ORDER BY r.id"
    )
    out: dict[int, tuple[Review, dict[str, int]]] = {}
    for row in rows:
        _, scores = out.setdefault(row["id"], (_review(row), {}))
        scores[row["criterion"]] = row["submitted"]
    return list(out.values())


async def counted(db: Executor) -> list[Counted]:
    """The same reviews as `submitted_reviews`, with only what the ranking needs: one row
    per review, its values gathered by SQLite."""
    rows = await db.fetch_all(
        "SELECT r.reviewer_id, r.project_id, json_group_object(s.criterion, s.submitted)"
        " FROM reviews r JOIN review_scores s ON s.review_id = r.id"
        " WHERE r.state = 'submitted' AND s.submitted IS NOT NULL GROUP BY r.id ORDER BY r.id"
    )
    return [Counted(r, p, MappingProxyType(json.loads(values))) for r, p, values in rows]


async def progress_by_candidate(db: Executor) -> list[CandidateProgress]:
    rows = await db.fetch_all(
        "SELECT r.project_id, p.code,"
        " SUM(r.state != 'recused') AS assigned, SUM(r.state = 'submitted') AS submitted,"
        " SUM(r.state = 'recused') AS recused"
        " FROM reviews r JOIN projects p ON p.id = r.project_id"
        " GROUP BY r.project_id ORDER BY p.code"
    )
    return [
        CandidateProgress(row[0], row["code"], row["assigned"], row["submitted"], row["recused"])
        for row in rows
    ]


async def progress_by_reviewer(db: Executor) -> list[ReviewerProgress]:
    rows = await db.fetch_all(
        "SELECT reviewer_id,"
        " SUM(state != 'recused') AS assigned, SUM(state = 'submitted') AS submitted,"
        " SUM(state = 'recused') AS recused"
        " FROM reviews GROUP BY reviewer_id ORDER BY reviewer_id"
    )
    return [
        ReviewerProgress(row[0], row["assigned"], row["submitted"], row["recused"]) for row in rows
    ]


async def record(db: Executor) -> list[RecordRow]:
    """Every review, by reviewer then project code: the assignment as it stands."""
    rows = await db.fetch_all(
        "SELECT r.reviewer_id, h.first_name, h.last_name, h.username, p.code, r.state"
        " FROM reviews r JOIN people h ON h.user_id = r.reviewer_id"
        " JOIN projects p ON p.id = r.project_id ORDER BY r.reviewer_id, p.code"
    )
    return [
        RecordRow(
            reviewer_id=row["reviewer_id"],
            reviewer_name=" ".join(n for n in (row["first_name"], row["last_name"]) if n),
            username=row["username"],
            project_code=row["code"],
            state=row["state"],
        )
        for row in rows
    ]


async def history(db: Executor, review_id: int) -> list[ScoreChange]:
    """Every change to the review's submitted scores or comment, the oldest first."""
    entries = await audit.entries(db, action="review.change", subject=f"review:{review_id}")
    return [
        ScoreChange(
            at=e.at,
            by=e.actor_id,
            old=MappingProxyType(e.detail["old"]),
            new=MappingProxyType(e.detail["new"]),
            old_comment=e.detail.get("old_comment"),
            new_comment=e.detail.get("new_comment"),
        )
        for e in entries
    ]


# --- writing ---------------------------------------------------------------------------------


async def assign(tx: Transaction, wanted: Iterable[tuple[int, int]], *, by: int | None) -> int:
    """Add these (reviewer, project) reviews; a pair that already has one is left as it is.
    Returns how many were added."""
    kept, barred = await pairs(tx)
    rows = sorted(set(wanted) - kept - barred)
    await tx.execute_many(
        "INSERT OR IGNORE INTO reviews (reviewer_id, project_id, assigned_by, assigned_at,"
        " changed_at) VALUES (?, ?, ?, ?, ?)",
        [(reviewer, project, by, tx.stamp, tx.stamp) for reviewer, project in rows],
    )
    if rows:
        await audit.record(tx, by, "review.assign", "reviews", pairs=[list(p) for p in rows])
    return len(rows)


async def set_score(tx: Transaction, review_id: int, criterion: str, value: int) -> bool:
    """Set a criterion's value on the card; a recused review takes none. True if it changed
    (a double tap changes nothing)."""
    changed = await tx.execute(
        "INSERT INTO review_scores (review_id, criterion, draft, set_at)"
        " SELECT id, ?, ?, ? FROM reviews WHERE id = ? AND state != 'recused'"
        " ON CONFLICT (review_id, criterion) DO UPDATE SET draft = excluded.draft,"
        " set_at = excluded.set_at WHERE draft != excluded.draft",
        (criterion, value, tx.stamp, review_id),
    )
    if changed:
        await tx.execute(
            "UPDATE reviews SET state = CASE state WHEN 'assigned' THEN 'draft' ELSE state END,"
            " changed_at = ? WHERE id = ?",
            (tx.stamp, review_id),
        )
    return changed > 0


async def set_comment(tx: Transaction, review_id: int, comment: str | None) -> bool:
    changed = await tx.execute(
        "UPDATE reviews SET draft_comment = ?, changed_at = ?"
        " WHERE id = ? AND state != 'recused' AND draft_comment IS NOT ?",
        (comment, tx.stamp, review_id, comment),
    )
    return changed > 0


async def submit(
    tx: Transaction,
    review_id: int,
    criteria: Sequence[str],
    *,
    by: int,
    scores: Mapping[str, int] | None = None,
    comment: str | None = None,
) -> Review | None:
    """Submit the card's values (or these `scores` and `comment`, /score's one message; no
    comment keeps the one there is) for `criteria`, the campaign's keys. None when a
    criterion has no value or the review is recused. A change to submitted values is
    recorded with the old and new ones."""
    review = await get(tx, review_id)
    if review is None or review.state == RECUSED:
        return None
    if scores is not None:
        for key, value in scores.items():
            await set_score(tx, review_id, key, value)
        if comment is not None:
            await set_comment(tx, review_id, comment)
        review = await get(tx, review_id)
    before = (await scores_of(tx, [review_id]))[review_id]
    if any(key not in before.draft for key in criteria):
        return None
    new = {key: before.draft[key] for key in criteria}
    old = {key: before.submitted[key] for key in criteria if key in before.submitted}
    if review.state == SUBMITTED and old == new and review.comment == review.draft_comment:
        return review  # submitted again as it was: nothing to record
    await tx.execute("UPDATE review_scores SET submitted = draft WHERE review_id = ?", (review_id,))
    await tx.execute(
        "UPDATE reviews SET state = 'submitted', comment = draft_comment, changed_at = ?,"
        " submitted_at = COALESCE(submitted_at, ?) WHERE id = ?",
        (tx.stamp, tx.stamp, review_id),
    )
    subject = f"review:{review_id}"
    if review.state == SUBMITTED:
        await audit.record(
            tx,
            by,
            "review.change",
            subject,
            old=old,
            new=new,
            old_comment=review.comment,
            new_comment=review.draft_comment,
        )
    else:
        await audit.record(tx, by, "review.submit", subject, scores=new)
    return await get(tx, review_id)


async def revert(tx: Transaction, review_id: int) -> bool:
    """Put the card back to the submitted values (an edit given up)."""
    changed = await tx.execute(
        "UPDATE review_scores SET draft = submitted, set_at = ?"
        " WHERE review_id = ? AND submitted IS NOT NULL AND draft != submitted",
        (tx.stamp, review_id),
    )
    changed += await tx.execute(
        "UPDATE reviews SET draft_comment = comment"
        " WHERE id = ? AND state = 'submitted' AND draft_comment IS NOT comment",
        (review_id,),
    )
    return changed > 0


async def recuse(tx: Transaction, review_id: int, reason: str, *, by: int) -> Review | None:
    """Withdraw from a candidate; None when already recused (or no such review)."""
    changed = await tx.execute(
        "UPDATE reviews SET state = 'recused', recused_at = ?, recuse_reason = ?, changed_at = ?"
        " WHERE id = ? AND state != 'recused'",
        (tx.stamp, reason, tx.stamp, review_id),
    )
    if not changed:
        return None
    await audit.record(tx, by, "review.recuse", f"review:{review_id}", reason=reason)
    return await get(tx, review_id)
