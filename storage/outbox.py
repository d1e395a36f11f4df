"""Messages waiting to be sent: written with the change that causes them, sent by one sender.

A message's cause is a Cause: a kind and its ids (`report:7:card`), and after `@` what made
it (the update `u123`, or the moment of scheduled work), written as text exactly as before, so
rows already stored read back the same (Cause.parse). The text's `kind:` start is how a kind's
rows are found (`Cause.of(kind, *ids)` for a prefix).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Executor, Transaction, from_db_time, to_db_time

PRIVATE, BULK = 0, 1  # priorities: a notice to one person goes before a wave to many groups
PROGRESS = "progress"  # the kind of a report's progress edits (losing one is harmless)
REPORT = "report"  # the kind of a report's last word on how its messages went
FOLLOWS = "_follows"  # in a payload: the cause of the message (same chat) an edit is about
AFTER = "_after"  # in a payload: a cause (same chat) whose waiting messages go first


@dataclass(frozen=True)
class Cause:
    kind: str
    ids: tuple[str | int, ...] = ()
    at: str | None = None  # what made it: "u<update id>", a moment; "" any (a prefix)

    def __init__(self, kind: str, *ids: str | int, at: str | None = None) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "at", at)

    def __str__(self) -> str:
        text = ":".join(map(str, (self.kind, *self.ids)))
        return text if self.at is None else f"{text}@{self.at}"

    @classmethod
    def parse(cls, text: str) -> Cause:
        """The cause a stored text names: str(Cause.parse(text)) == text for every text."""
        subject, stamped, at = text.partition("@")
        kind, *ids = subject.split(":")
        ids = [int(i) if i.isdigit() and i == str(int(i)) else i for i in ids]
        return cls(kind, *ids, at=at if stamped else None)

    def made_by(self, at: str) -> Cause:
        return Cause(self.kind, *self.ids, at=at)

    def then(self, step: str) -> Cause:
        """A later step of the same message (its edit, deletion): `:step` after the text."""
        if self.at is None:
            return Cause(self.kind, *self.ids, step)
        return Cause(self.kind, *self.ids, at=f"{self.at}:{step}")

    def about(self, kind: str) -> Cause:
        """A cause of `kind` about this one: `progress:` and this cause, as it reads."""
        return Cause(kind, self.kind, *self.ids, at=self.at)

    @staticmethod
    def of(kind: str, *ids: str | int) -> str:
        """The start of the text of every cause of this kind with these first ids."""
        return ":".join(map(str, (kind, *ids))) + ":"


@dataclass(frozen=True)
class Outgoing:
    cause: str
    kind: str
    chat_id: int
    payload: dict[str, Any]
    method: str = "sendMessage"
    thread_id: int = 0
    part: int = 0
    user_id: int | None = None
    priority: int = PRIVATE
    not_before: datetime | None = None


@dataclass(frozen=True)
class Row:
    id: int
    cause: str
    kind: str
    chat_id: int
    thread_id: int
    user_id: int | None
    method: str
    payload: dict[str, Any]
    attempts: int
    state: str = "pending"
    part: int = 0


@dataclass(frozen=True)
class Report:
    cause: str
    report_chat: int
    kind: str
    locale: str
    context: dict[str, Any]
    people: int  # private messages delivered
    groups: int  # group (or topic) messages delivered
    failed: int  # could not be delivered, or never opened a private chat with the bot
    reasons: dict[str, int] = field(default_factory=dict)
    pending: int = 0  # not out yet: a report in progress
    progress_message: int | None = None  # edited in place as the rows go out, then the report

    @property
    def done(self) -> bool:
        return self.pending == 0

    @property
    def total(self) -> int:
        return self.people + self.groups + self.failed + self.pending


def _row(row) -> Row:
    return Row(
        id=row["id"],
        cause=row["cause"],
        kind=row["kind"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        user_id=row["user_id"],
        method=row["method"],
        payload=json.loads(row["payload"]),
        attempts=row["attempts"],
        state=row["state"],
        part=row["part"],
    )


_INSERT = (
    "INSERT INTO outbox (cause, kind, chat_id, thread_id, part, user_id, method, payload,"
    " priority, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _values(tx: Transaction, items: Sequence[Outgoing]) -> list[tuple]:
    return [
        (
            item.cause,
            item.kind,
            item.chat_id,
            item.thread_id,
            item.part,
            item.user_id,
            item.method,
            json.dumps(item.payload, ensure_ascii=False),
            item.priority,
            to_db_time(item.not_before) if item.not_before else tx.stamp,
            tx.stamp,
        )
        for item in items
    ]


async def enqueue(tx: Transaction, items: Sequence[Outgoing]) -> None:
    """Write messages to send; one already written under the same key is left as it is."""
    await tx.execute_many(_INSERT.replace("INSERT", "INSERT OR IGNORE", 1), _values(tx, items))
    tx.wrote_outbox = True


async def renew(tx: Transaction, items: Sequence[Outgoing]) -> None:
    """Write messages that replace what they said last time (a progress edit, a card that
    follows its report): one already written under the same key is due again with its new
    words. An edit in flight goes out once more when its request ends; a new message in
    flight is left as it is (sent twice, it would be two messages)."""
    await tx.execute_many(
        _INSERT + " ON CONFLICT (cause, chat_id, thread_id, kind, part) DO UPDATE SET"
        " payload = excluded.payload, again = outbox.state = 'sending',"
        " state = CASE outbox.state WHEN 'sending' THEN 'sending' ELSE 'pending' END,"
        " not_before = excluded.not_before,"
        " attempts = CASE outbox.state WHEN 'sending' THEN outbox.attempts ELSE 0 END,"
        " error = NULL WHERE outbox.state <> 'sending' OR outbox.method LIKE 'edit%'",
        _values(tx, items),
    )
    tx.wrote_outbox = True


async def want_report(
    tx: Transaction,
    cause: str,
    *,
    report_chat: int,
    kind: str,
    locale: str,
    unreachable: int = 0,
    progress_message: int | None = None,
    **context: Any,
) -> None:
    """Tell `report_chat` how the messages of `cause` went, once the last one is done; with
    `progress_message`, that message of the bot's shows how far they are as they go out, and
    becomes the report."""
    await tx.execute(
        "INSERT OR IGNORE INTO outbox_reports (cause, report_chat, kind, locale, context,"
        " unreachable, progress_message) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            cause,
            report_chat,
            kind,
            locale,
            json.dumps(context, default=str),
            unreachable,
            progress_message,
        ),
    )
    tx.wrote_outbox = True


async def due(db: Executor, now: datetime, *, limit: int, skip: Sequence[int] = ()) -> list[Row]:
    """The next due message of each chat that has one, most urgent first. Order per chat holds
    only where it matters: a message waits for an earlier one still to go that it follows (the
    send an edit or deletion is about), that has its cause (the parts of one text) or that it
    is to come after (AFTER: a post sent again as text, after its photo post's deletion), and
    an edit waits for an earlier change of the same message; not for one held till morning
    (quiet hours) or retried later."""
    marks = ",".join("?" * len(skip))
    skipping = f" AND o.chat_id NOT IN ({marks})" if skip else ""
    # "state IN (...)" too: SQLite then reads the partial index of waiting rows, not the table.
    rows = await db.fetch_all(
        "SELECT * FROM (SELECT o.*, ROW_NUMBER() OVER (PARTITION BY o.chat_id ORDER BY o.id) AS n"
        " FROM outbox o WHERE o.state IN ('pending', 'sending') AND o.state = 'pending'"
        f" AND o.not_before <= ?{skipping} AND NOT EXISTS (SELECT 1 FROM outbox e"
        " WHERE e.chat_id = o.chat_id AND e.id < o.id AND e.state IN ('pending', 'sending')"
        " AND e.thread_id = o.thread_id"
        f" AND (e.cause IN (o.cause, json_extract(o.payload, '$.{FOLLOWS}'),"
        f" json_extract(o.payload, '$.{AFTER}'))"
        # Two changes of one message go in order, whatever their causes: an older edit
        # retried late would otherwise undo a newer one.
        f" OR json_extract(e.payload, '$.{FOLLOWS}') = json_extract(o.payload, '$.{FOLLOWS}')"
        " OR json_extract(e.payload, '$.message_id') = json_extract(o.payload, '$.message_id'))))"
        " WHERE n = 1 ORDER BY priority, id LIMIT ?",
        (to_db_time(now), *skip, limit),
    )
    return [_row(row) for row in rows]


async def claim(tx: Transaction, row_id: int) -> Row | None:
    """Mark a message as in flight (before the request: a crash then sends it again); the
    row as it is now (renewed since it was found due, it says the newest words), or None if
    it is no longer waiting."""
    row = await tx.fetch_one(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?"
        " AND state = 'pending' RETURNING *",
        (row_id,),
    )
    return _row(row) if row else None


async def sent(tx: Transaction, row_id: int, message_id: int | None = None) -> None:
    """Done; an edit renewed meanwhile is due again, with its newest words."""
    await tx.execute(
        "UPDATE outbox SET state = CASE again WHEN 1 THEN 'pending' ELSE 'sent' END,"
        " attempts = CASE again WHEN 1 THEN 0 ELSE attempts END, again = 0, sent_at = ?,"
        " error = NULL, message_id = COALESCE(?, message_id) WHERE id = ?",
        (tx.stamp, message_id, row_id),
    )


@dataclass(frozen=True)
class Sent:
    chat_id: int
    at: datetime


async def sent_since(db: Executor, since: datetime) -> list[Sent]:
    """The messages sent from `since` on, oldest first: a restarted sender's pace starts from
    them (Telegram still counts them)."""
    rows = await db.fetch_all(
        "SELECT chat_id, sent_at FROM outbox WHERE sent_at >= ? ORDER BY sent_at",
        (to_db_time(since),),
    )
    return [Sent(row["chat_id"], from_db_time(row["sent_at"])) for row in rows]


async def sent_message(db: Executor, cause: str, chat_id: int, thread_id: int) -> int | None:
    """The message a sent row of `cause` became in that chat (its first part), if it was sent."""
    return await db.fetch_value(
        "SELECT message_id FROM outbox WHERE cause = ? AND chat_id = ? AND thread_id = ?"
        " AND part = 0 AND state = 'sent' ORDER BY id LIMIT 1",
        (cause, chat_id, thread_id),
    )


async def failed(tx: Transaction, row_id: int, error: str) -> None:
    await tx.execute(
        # An edit renewed while in flight has new words: those are tried once more.
        "UPDATE outbox SET state = CASE again WHEN 1 THEN 'pending' ELSE 'failed' END,"
        " attempts = CASE again WHEN 1 THEN 0 ELSE attempts END, again = 0, error = ?"
        " WHERE id = ?",
        (error[:200], row_id),
    )


async def retry_at(tx: Transaction, row_id: int, moment: datetime, error: str) -> None:
    await tx.execute(
        "UPDATE outbox SET state = 'pending', again = 0, not_before = ?, error = ? WHERE id = ?",
        (to_db_time(moment), error[:200], row_id),
    )


async def fail_chat(tx: Transaction, chat_id: int, error: str) -> int:
    """The chat can't be reached (blocked, kicked): what still waits for it fails too."""
    return await tx.execute(
        "UPDATE outbox SET state = 'failed', error = ? WHERE chat_id = ? AND state = 'pending'",
        (error[:200], chat_id),
    )


async def move_chat(tx: Transaction, old_id: int, new_id: int) -> int:
    """A group became a supergroup: what waits for it goes to the new id."""
    moved = await tx.execute(
        "UPDATE OR IGNORE outbox SET chat_id = ?, state = 'pending' WHERE chat_id = ?"
        " AND state IN ('pending', 'sending')",
        (new_id, old_id),
    )
    # Left behind only if the new id already had the same message: it is not sent twice.
    await tx.execute(
        "UPDATE outbox SET state = 'failed', error = 'migrated' WHERE chat_id = ?"
        " AND state IN ('pending', 'sending')",
        (old_id,),
    )
    return moved


async def withdraw(tx: Transaction, cause_prefix: str) -> int:
    """Messages not yet sent whose cause starts so (reminders for a deadline that moved)."""
    return await tx.execute(
        "DELETE FROM outbox WHERE state = 'pending' AND substr(cause, 1, ?) = ?",
        (len(cause_prefix), cause_prefix),
    )


async def pending_causes(db: Executor, cause_prefix: str) -> list[str]:
    """The causes, starting so, of messages not yet sent."""
    rows = await db.fetch_all(
        "SELECT DISTINCT cause FROM outbox WHERE state = 'pending' AND substr(cause, 1, ?) = ?",
        (len(cause_prefix), cause_prefix),
    )
    return [row["cause"] for row in rows]


async def release_in_flight(tx: Transaction) -> int:
    """At start: messages in flight when the last process died go again (Telegram has no
    idempotency key, so each may arrive twice: at most one per chat)."""
    return await tx.execute(
        "UPDATE outbox SET state = 'pending', again = 0 WHERE state = 'sending'"
    )


async def finished_reports(tx: Transaction) -> list[Report]:
    """Reports whose messages are all done, with their tallies; marked done here."""
    rows = await tx.fetch_all(
        "SELECT r.* FROM outbox_reports r WHERE r.done_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM outbox o WHERE o.cause = r.cause AND o.state IN ('pending', 'sending'))"
    )
    reports = []
    for row in rows:
        await tx.execute(
            "UPDATE outbox_reports SET done_at = ? WHERE cause = ?", (tx.stamp, row["cause"])
        )
        reports.append(await _tally(tx, row))
    return reports


async def progress(tx: Transaction, cause: str) -> Report | None:
    """How far the messages of `cause` are, if its report shows progress and some are still
    to go (the last one done, the report itself says it)."""
    row = await tx.fetch_one(
        "SELECT * FROM outbox_reports WHERE cause = ? AND done_at IS NULL"
        " AND progress_message IS NOT NULL",
        (cause,),
    )
    if row is None:
        return None
    report = await _tally(tx, row)
    return None if report.done else report


async def _tally(tx: Transaction, row) -> Report:
    tallies = await tx.fetch_all(
        "SELECT state, chat_id < 0 AS is_group, IFNULL(error, '') AS error, COUNT(*) AS n"
        " FROM outbox WHERE cause = ? AND part = 0 GROUP BY 1, 2, 3",
        (row["cause"],),
    )
    counted: dict[tuple[int, str], int] = {}
    reasons: dict[str, int] = {}
    for t in tallies:
        if t["error"] == "migrated":
            continue  # the same message went to the group's new id: not a failure
        counted[(t["is_group"], t["state"])] = counted.get((t["is_group"], t["state"]), 0) + t["n"]
        if t["state"] == "failed":
            reasons[t["error"]] = reasons.get(t["error"], 0) + t["n"]
    return Report(
        cause=row["cause"],
        report_chat=row["report_chat"],
        kind=row["kind"],
        locale=row["locale"],
        context=json.loads(row["context"]),
        people=counted.get((0, "sent"), 0),
        groups=counted.get((1, "sent"), 0),
        failed=sum(reasons.values()) + row["unreachable"],
        reasons=reasons,
        pending=sum(n for (_, state), n in counted.items() if state in ("pending", "sending")),
        progress_message=row["progress_message"],
    )


async def rows_of(db: Executor, cause: str) -> list[Row]:
    rows = await db.fetch_all("SELECT * FROM outbox WHERE cause = ? ORDER BY id", (cause,))
    return [_row(row) for row in rows]
