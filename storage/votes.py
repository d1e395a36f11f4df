"""Stage 3's quick group vote: a card on one candidate in the reviewers' chat, one standing
ballot per person (changed or withdrawn by tapping), counts shown until an admin closes it.
It never enters a weighted total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import audit
from storage.db import Executor, Transaction, from_db_time, to_db_time

CHOICES: tuple[str, ...] = ("recommend", "undecided", "not_yet")


@dataclass(frozen=True)
class Vote:
    id: int
    project_id: int
    chat_id: int
    thread_id: int
    message_id: int | None
    opened_by: int
    opened_at: datetime
    closed_by: int | None
    closed_at: datetime | None
    edit_at: datetime | None = None  # when the card's latest edit goes out

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Ballot:
    vote_id: int
    voter_id: int
    choice: str
    changed_at: datetime


@dataclass(frozen=True)
class Cast:
    """What a tap did: the standing ballot (None: withdrawn or never cast) and whether the
    counts changed. A redelivered update is dropped before it gets here (processed_updates):
    a second real tap on the same choice is a withdrawal."""

    ballot: Ballot | None
    changed: bool


def _vote(row) -> Vote:
    return Vote(
        id=row["id"],
        project_id=row["project_id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        message_id=row["message_id"],
        opened_by=row["opened_by"],
        opened_at=from_db_time(row["opened_at"]),
        closed_by=row["closed_by"],
        closed_at=from_db_time(row["closed_at"]),
        edit_at=from_db_time(row["edit_at"]),
    )


def _ballot(row) -> Ballot:
    return Ballot(
        vote_id=row["vote_id"],
        voter_id=row["voter_id"],
        choice=row["choice"],
        changed_at=from_db_time(row["changed_at"]),
    )


async def get(db: Executor, vote_id: int) -> Vote | None:
    row = await db.fetch_one("SELECT * FROM votes WHERE id = ?", (vote_id,))
    return _vote(row) if row else None


async def open_on(db: Executor, project_id: int) -> Vote | None:
    """The candidate's open vote, if any."""
    row = await db.fetch_one(
        "SELECT * FROM votes WHERE project_id = ? AND closed_at IS NULL", (project_id,)
    )
    return _vote(row) if row else None


async def of_projects(db: Executor, project_ids: Sequence[int]) -> dict[int, list[Vote]]:
    """Every vote on these candidates, the oldest first."""
    found: dict[int, list[Vote]] = {p: [] for p in project_ids}
    if not project_ids:
        return found
    marks = ",".join("?" * len(project_ids))
    rows = await db.fetch_all(
        f"SELECT * FROM votes WHERE project_id IN ({marks}) ORDER BY id", list(project_ids)
    )
    for row in rows:
        found[row["project_id"]].append(_vote(row))
    return found


async def open_vote(
    tx: Transaction, project_id: int, chat_id: int, thread_id: int = 0, *, by: int
) -> Vote | None:
    """A new vote on the candidate; None when one is open already."""
    new_id = await tx.insert(
        "INSERT OR IGNORE INTO votes (project_id, chat_id, thread_id, opened_by, opened_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (project_id, chat_id, thread_id, by, tx.stamp),
    )
    if new_id is None:
        return None
    await audit.record(tx, by, "vote.open", f"vote:{new_id}", project=project_id, chat=chat_id)
    return await get(tx, new_id)


async def edit_turn(tx: Transaction, vote_id: int, every: timedelta) -> datetime:
    """When the card's next edit may go out: at `tx.now` if its last one went `every` ago or
    more, else `every` after it. An edit still to come keeps its time (taps in between only
    change what it will say), so a burst of taps is one edit now and one for the last state,
    never one a tap, and the last state always shows."""
    vote = await get(tx, vote_id)
    turn = tx.now
    if vote is not None and vote.edit_at is not None:
        if vote.edit_at > tx.now:
            return vote.edit_at
        turn = max(tx.now, vote.edit_at + every)
    await tx.execute("UPDATE votes SET edit_at = ? WHERE id = ?", (to_db_time(turn), vote_id))
    return turn


async def set_message(tx: Transaction, vote_id: int, message_id: int) -> None:
    """The card's message, once sent: taps on it name the vote by it."""
    await tx.execute("UPDATE votes SET message_id = ? WHERE id = ?", (message_id, vote_id))


async def close(tx: Transaction, vote_id: int, *, by: int) -> Vote | None:
    """Close the vote; None when it was closed already (a double tap)."""
    changed = await tx.execute(
        "UPDATE votes SET closed_by = ?, closed_at = ? WHERE id = ? AND closed_at IS NULL",
        (by, tx.stamp, vote_id),
    )
    if not changed:
        return None
    counts = (await tally(tx, [vote_id]))[vote_id]
    await audit.record(tx, by, "vote.close", f"vote:{vote_id}", counts=counts)
    return await get(tx, vote_id)


async def cast(tx: Transaction, vote_id: int, voter_id: int, choice: str) -> Cast:
    """A tap on a choice: casts or changes the voter's ballot, or withdraws it when it is the
    choice they have. An unknown choice or a closed vote changes nothing."""
    standing = await ballot_of(tx, vote_id, voter_id)
    vote = await get(tx, vote_id)
    if choice not in CHOICES or vote is None or not vote.is_open:
        return Cast(standing, False)
    subject = f"vote:{vote_id}"
    if standing is not None and standing.choice == choice:
        await tx.execute(
            "DELETE FROM ballots WHERE vote_id = ? AND voter_id = ?", (vote_id, voter_id)
        )
        await audit.record(tx, voter_id, "vote.withdraw", subject, choice=choice)
        return Cast(None, True)
    await tx.execute(
        "INSERT INTO ballots (vote_id, voter_id, choice, changed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (vote_id, voter_id) DO UPDATE SET choice = excluded.choice,"
        " changed_at = excluded.changed_at",
        (vote_id, voter_id, choice, tx.stamp),
    )
    await audit.record(tx, voter_id, "vote.cast", subject, choice=choice)
    return Cast(await ballot_of(tx, vote_id, voter_id), True)


@dataclass(frozen=True)
class Result:
    """A candidate's latest closed vote and its counts: what the admins see beside the scores
    (never part of a weighted total)."""

    vote: Vote
    counts: dict[str, int]


async def results(db: Executor, project_ids: Sequence[int]) -> dict[int, Result]:
    """The latest closed vote of each of these candidates that has one, with its counts."""
    if not project_ids:
        return {}
    marks = ",".join("?" * len(project_ids))
    rows = await db.fetch_all(
        f"SELECT * FROM votes v WHERE project_id IN ({marks}) AND closed_at IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM votes l WHERE l.project_id = v.project_id"
        " AND l.closed_at IS NOT NULL AND l.id > v.id)",
        list(project_ids),
    )
    found = [_vote(row) for row in rows]
    counts = await tally(db, [vote.id for vote in found])
    return {vote.project_id: Result(vote, counts[vote.id]) for vote in found}


async def ballot_of(db: Executor, vote_id: int, voter_id: int) -> Ballot | None:
    row = await db.fetch_one(
        "SELECT * FROM ballots WHERE vote_id = ? AND voter_id = ?", (vote_id, voter_id)
    )
    return _ballot(row) if row else None


async def tally(db: Executor, vote_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Counts per choice of these votes (every choice present, 0 when none)."""
    found = {v: dict.fromkeys(CHOICES, 0) for v in vote_ids}
    if not vote_ids:
        return found
    marks = ",".join("?" * len(vote_ids))
    rows = await db.fetch_all(
        f"SELECT vote_id, choice, COUNT(*) AS n FROM ballots WHERE vote_id IN ({marks})"
        " GROUP BY vote_id, choice",
        list(vote_ids),
    )
    for row in rows:
        found[row["vote_id"]][row["choice"]] = row["n"]
    return found
