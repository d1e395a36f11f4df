"""Stage reminders: when each wave is due, who owes what, and writing a due wave once.

A wave is a stage's opening or one of its `remind` offsets before the deadline. The waves are
derived from the campaign (deadlines as moved by /extend) every time the scheduler looks, and
a wave is recorded as written in the same transaction as its outbox rows: nothing lives only
in memory, so a restart at any moment neither repeats nor skips one. Quiet hours move a wave
to their end, or before they begin when the deadline would pass first. After downtime only
the latest overdue wave of a stage goes out (the older ones are recorded as skipped), and
only while its deadline is still ahead. Offsets are counted on the campaign's clock. When a
deadline moves, the new deadline's waves already past are recorded as skipped; a reminder
sent by hand (/remind) is recorded beside the waves, and the later of two within `NEAR` stays
unsent.

Only people who owe something are written to, each with what they owe and a button to it;
bound groups hear where their project or unit stands while something there is owed. Per
stage, `DEBTS` says who owes what (the one definition, used by /remind and /extend too; a
stage without one owes nothing), `POSTS` what each bound group hears, `OPENINGS` who hears a
stage open when that is not those who owe, and `CLOSINGS` who hears the summary after the
deadline: later stages add theirs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from bot import booklet_sources, notices, ranking, reviewing
from bot.access import admin_ids
from bot.campaign import Campaign, QuietHours, Stage
from bot.rules import in_quiet_hours, shift_out_of_quiet_hours, unit_quota
from storage import applications, deliverables, finals, outbox, people, reminders, reviews
from storage.db import Database, Executor, Transaction
from storage.outbox import Cause

PREFIX = "remind"  # the outbox cause kind of every reminder: remind:<stage>:<moment>:…
OPENS = "opens"
CLOSED = "closed"  # after the deadline: who delivered, to the admins (and the units)
_BEFORE_QUIET = timedelta(minutes=1)


@dataclass(frozen=True)
class Wave:
    stage: str
    moment: str  # OPENS, or the offset before the deadline ("7d", "2h")
    deadline: datetime
    due: datetime  # when it goes out, quiet hours allowed for

    @property
    def key(self) -> str:
        return f"{self.stage}:{self.moment}:{self._at}"

    @property
    def cause(self) -> str:
        """Its messages' cause in the outbox: remind:<key>."""
        return str(Cause(PREFIX, self.stage, self.moment, self._at))

    @property
    def _at(self) -> str:
        return f"{self.deadline.astimezone(UTC):%Y%m%dT%H%M}"


def offset_name(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def send_time(at: datetime, deadline: datetime, quiet: QuietHours, tz) -> datetime:
    """`at`, or out of quiet hours: at their end, unless the deadline comes first; then just
    before they began."""
    if not in_quiet_hours(at, quiet, tz):
        return at.astimezone(UTC)
    after = shift_out_of_quiet_hours(at, quiet, tz)
    if after < deadline:
        return after
    local = at.astimezone(tz)
    began = datetime.combine(local.date(), quiet.start, tzinfo=tz)
    if began > local:  # after midnight of a period that wraps it: it began yesterday
        began -= timedelta(days=1)
    return (began - _BEFORE_QUIET).astimezone(UTC)


def before(deadline: datetime, offset: timedelta, tz: tzinfo) -> datetime:
    """`offset` before the deadline on the campaign's wall clock: "7d" before 18:00 is 18:00 a
    week earlier, also across a daylight-saving change (aware arithmetic in one zone is local)."""
    return (deadline.astimezone(tz) - offset).astimezone(UTC)


def waves(campaign: Campaign) -> list[Wave]:
    """Every stage's waves, oldest first."""
    found = []
    for stage in campaign.stages:
        moments = [(OPENS, stage.opens)] + [
            (offset_name(offset), at)
            for offset in stage.remind
            if (at := before(stage.deadline, offset, campaign.timezone)) > stage.opens
        ]
        for moment, at in moments:
            due = send_time(at, stage.deadline, campaign.quiet_hours, campaign.timezone)
            found.append(Wave(stage.key, moment, stage.deadline, due))
        after = shift_out_of_quiet_hours(stage.deadline, campaign.quiet_hours, campaign.timezone)
        found.append(Wave(stage.key, CLOSED, stage.deadline, after))
    return sorted(found, key=lambda wave: wave.due)


def to_write(
    all_waves: list[Wave], written: set[str], now: datetime
) -> tuple[list[Wave], list[Wave]]:
    """(send, skip): per stage, the latest reminder that is due, not yet written and still
    ahead of its deadline; the older due ones it overtook (or any past their deadline) are
    skipped. A stage's closing summary goes once it is due, however late."""
    send, skip = [], []
    pending = [w for w in all_waves if w.key not in written and w.due <= now]
    for stage in dict.fromkeys(wave.stage for wave in all_waves):
        due = [w for w in pending if w.stage == stage and w.moment != CLOSED]
        useful = [w for w in due if now < w.deadline]
        latest = useful[-1] if useful else None
        send += [latest] if latest else []
        skip += [w for w in due if w is not latest]
        send += [w for w in pending if w.stage == stage and w.moment == CLOSED]
    return send, skip


# --- who owes what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """One private reminder: to whom, which template with what, and the button to the item;
    `role` is what they owe it as (lead, secretary, admin)."""

    user_id: int
    key: str
    context: dict[str, Any]
    button: notices.Button | None
    role: str = ""


Debts = Callable[[Executor, "Reminding"], Awaitable[list[Letter]]]


@dataclass(frozen=True)
class Reminding:
    """What a debts function needs to know: the stage, the admins, the buttons it may use
    (none when only who owes is asked)."""

    stage: Stage
    admins: frozenset[int]
    buttons: dict[str, notices.Button]
    at: datetime | None = None  # when they will read it: who is on leave then
    campaign: Campaign | None = None  # what it asks for (stage 3's final items)


async def apply_debts(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 1: leads with no submitted application (how far each got), secretaries with
    applications waiting for their unit, admins with nominations waiting."""
    letters: list[Letter] = []
    by_lead: dict[int, list[reminders.LeadDebt]] = {}
    for debt in await reminders.leads_owing(db):
        by_lead.setdefault(debt.user_id, []).append(debt)
    buttons = reminding.buttons
    for user_id, debts in by_lead.items():
        letters.append(
            Letter(user_id, "remind/lead", {"debts": debts}, buttons.get("lead"), "lead")
        )
    for user_id, units in (await reminders.secretaries_owing(db)).items():
        letters.append(
            Letter(
                user_id, "remind/secretary", {"units": units}, buttons.get("secretary"), "secretary"
            )
        )
    waiting = await reminders.nominations_waiting(db)
    if waiting:
        admins = await admin_ids(db, reminding.admins)
        letters += [
            Letter(a, "remind/admin", {"waiting": waiting}, buttons.get("admin"), "admin")
            for a in sorted(admins)
        ]
    return letters


@dataclass(frozen=True)
class Post:
    """One group notice: where (chat, topic), which template with what, and where in the
    bot's private chat its button opens (a /start payload)."""

    chat_id: int
    thread_id: int
    key: str
    context: dict[str, Any]
    opens: str


Posts = Callable[[Executor, Campaign, datetime], Awaitable[list[Post]]]


async def apply_posts(db: Executor, campaign: Campaign, now: datetime) -> list[Post]:
    """Stage 1: each bound project chat with its application's standing, naming the leads who
    still owe it and can't be written to privately; each bound unit chat with its tally."""
    owing = await reminders.leads_owing(db)
    found = await people.get_many(db, sorted({debt.user_id for debt in owing}))
    unreachable: dict[int, list[str]] = {}
    for debt in owing:
        person = found.get(debt.user_id)
        if person is not None and person.on_leave(now):
            continue  # away: not named as missing
        if person is None or not person.writable:
            name = person.display_name if person else str(debt.user_id)
            unreachable.setdefault(debt.project_id, []).append(name)
    # Only while something is owed there: a project whose application is in, or a unit with
    # nothing left to submit or decide, would hear the same "done" at every wave.
    posts = [
        Post(
            chat.chat_id,
            chat.thread_id,
            "remind/project_chat",
            {"chat": chat, "unreachable": unreachable.get(chat.project_id, [])},
            "apply",
        )
        for chat in await reminders.project_chats(db)
        if chat.status in _NOT_IN
    ]
    posts += [
        Post(
            chat.chat_id,
            chat.thread_id,
            "remind/unit_chat",
            {"chat": chat, "places": unit_quota(chat.projects, campaign.quota)},
            "nominations",
        )
        for chat in await reminders.unit_chats(db)
        if chat.not_submitted or chat.waiting
    ]
    return posts


_NOT_IN = (None, "draft", "returned")  # an application's standings that still owe it


async def apply_closed(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 1 closed: the admins hear which units' projects did not deliver, how many who
    still owed the bot could not write to, and which of those units' secretaries it can't
    reach; where the campaign says so, each unit's secretaries hear of their own."""
    units = await reminders.deliveries(db)
    late = [unit for unit in units if unit.missing]
    admins = await admin_ids(db, reminding.admins)
    secretaries = await reminders.secretaries_by_unit(db)
    _, unreachable = await _reachable(db, await apply_debts(db, reminding), reminding.at)
    of_late = {user_id: unit for unit in late for user_id in secretaries.get(unit.unit_id, ())}
    found = await people.get_many(db, sorted(of_late))
    silent = [
        (found[user_id].display_name if user_id in found else str(user_id), unit.unit_name)
        for user_id, unit in of_late.items()
        if user_id not in found or not found[user_id].writable
    ]
    summary = {
        "late": late,
        "projects": sum(unit.projects for unit in units),
        "missing": sum(len(unit.missing) for unit in late),
        "units": len(units),
        "unreachable": len(unreachable),
        "secretaries": sorted(silent, key=lambda named: (named[1], named[0])),
    }
    letters = [
        Letter(admin, "remind/closed_admin", summary, reminding.buttons.get("admin"), "admin")
        for admin in sorted(admins)
    ]
    if reminding.stage.escalate:
        letters += [
            Letter(user_id, "remind/closed_unit", {"unit": unit}, None, "secretary")
            for unit in late
            for user_id in sorted(secretaries.get(unit.unit_id, ()))
        ]
    return letters


async def cultivate_opening(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 2 opens: each lead and member of a candidate hears, once, how to report (there is
    nothing to hand in by a date, so no reminders follow)."""
    return [
        Letter(
            user_id,
            "remind/cultivate_open",
            {"projects": projects},
            reminding.buttons.get("report"),
            "member",
        )
        for user_id, projects in (await reminders.candidate_people(db)).items()
    ]


async def cultivate_opening_posts(db: Executor, campaign: Campaign, now: datetime) -> list[Post]:
    """Stage 2 opens: each bound chat of a candidate (or of a unit with candidates)."""
    return [
        Post(
            chat.chat_id,
            chat.thread_id,
            "remind/cultivate_open_chat",
            {"projects": list(chat.projects)},
            "report",
        )
        for chat in await reminders.candidate_chats(db)
    ]


async def cultivate_closed(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 2 closed: the admins hear how many candidates reported, and which did not."""
    found = await reminders.candidate_reports(db)
    admins = await admin_ids(db, reminding.admins)
    summary = {
        "candidates": len(found),
        "reported": sum(1 for item in found if item.reports),
        "reports": sum(item.reports for item in found),
        "silent": [item for item in found if not item.reports],
    }
    return [
        Letter(admin, "remind/cultivate_closed", summary, None, "admin") for admin in sorted(admins)
    ]


async def _finals_owed(db: Executor, campaign: Campaign) -> list[tuple[finals.Candidate, list]]:
    """Every candidate with the final items it has not handed in (those with none missing
    are left out), in the campaign's order."""
    return [
        (candidate, missing)
        for candidate in await finals.candidates(db)
        if (missing := [f for f in campaign.finals if f.key not in candidate.handed_in])
    ]


async def assess_debts(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 3: the leads of candidates with a final item missing, each told what is missing
    of which project, with the button to /final; the reviewers with reviews not submitted,
    each told how many, with the button to /review."""
    owed = await _finals_owed(db, reminding.campaign)
    leads = await finals.candidate_leads(db)
    by_lead: dict[int, list[dict[str, Any]]] = {}
    for candidate, missing in owed:
        for user_id in sorted(leads.get(candidate.project_id, ())):
            by_lead.setdefault(user_id, []).append({"project": candidate, "missing": missing})
    button = reminding.buttons.get("final")
    letters = [
        Letter(user_id, "remind/final_lead", {"owed": owed_by}, button, "lead")
        for user_id, owed_by in by_lead.items()
    ]
    button = reminding.buttons.get("review")
    return letters + [
        Letter(user_id, "remind/reviewer", {"left": left}, button, "reviewer")
        for user_id, left in (await _reviews_owed(db, reminding.campaign)).items()
    ]


async def _reviews_owed(db: Executor, campaign: Campaign) -> dict[int, int]:
    """Each reviewer's reviews not submitted. With `reviewers_per_candidate = 0` the reviews
    everyone has are made when first read (reviewing.ensure_everyone, a write): those not
    made yet are owed too, counted from the plan (this only reads)."""
    left = await reminders.reviewers_owing(db)
    if campaign.assessment.reviewers_per_candidate == 0:
        for reviewer_id, _ in (await reviewing.plan(db, campaign)).result.added:
            left[reviewer_id] = left.get(reviewer_id, 0) + 1
    return dict(sorted(left.items()))


async def assess_posts(db: Executor, campaign: Campaign, now: datetime) -> list[Post]:
    """Stage 3: each bound chat of a candidate with a final item missing hears what."""
    missing = {
        candidate.project_id: (candidate, items)
        for candidate, items in await _finals_owed(db, campaign)
    }
    return [
        Post(
            chat_id,
            thread_id,
            "remind/final_chat",
            {"project": missing[project_id][0], "missing": missing[project_id][1]},
            "final",
        )
        for chat_id, thread_id, project_id in await finals.candidate_chats(db)
        if project_id in missing
    ]


async def assess_closed(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 3 closed: the admins hear how many reviews were submitted of those assigned, who
    did not submit how many (by name), and the flagged candidates with their flags, with the
    button to /ranking. Never a score."""
    campaign = reminding.campaign
    progress = await reviews.progress_by_candidate(db)
    assigned = sum(p.assigned for p in progress)
    if campaign.assessment.reviewers_per_candidate == 0:  # everyone's, made when first read
        assigned += len((await reviewing.plan(db, campaign)).result.added)
    owed = await _reviews_owed(db, campaign)
    found = await people.get_many(db, sorted(owed))
    missing = sorted(
        ((found[user_id].display_name if user_id in found else str(user_id)), count)
        for user_id, count in owed.items()
    )
    summary = {
        "done": sum(p.submitted for p in progress),
        "assigned": assigned,
        "missing": missing,
        "flagged": [row for row in (await ranking.load(db, campaign)).rows if row.flags],
    }
    button = reminding.buttons.get("ranking")
    admins = await admin_ids(db, reminding.admins)
    return [
        Letter(admin, "pacesetters/closed_summary", summary, button, "admin")
        for admin in sorted(admins)
    ]


def done_deliverable(item: Any, stored: dict[str, Any], booklet: Any) -> bool:
    """A deliverable handed in: the write-up or video stored; the booklet, its chapter's latest
    draft approved by the lead."""
    if item.kind == "booklet":
        return booklet.state == deliverables.APPROVED
    return item.key in stored


def lead_owes(item: Any, stored: dict[str, Any], booklet: Any) -> bool:
    """What a pacesetter's lead still has to do: hand in the write-up or the video; give their
    word on the booklet's chapter once a draft waits for it. Before a chapter is built, or while
    their corrections wait for the next build, the booklet is the admins' to move, not theirs."""
    if item.kind == "booklet":
        return booklet.state == deliverables.DRAFT and not booklet.corrections
    return item.key not in stored


async def deliverables_missing(
    db: Executor, campaign: Campaign
) -> list[tuple[deliverables.Pacesetter, list]]:
    """Every pacesetter with the deliverables not done yet (the complete ones too, with none),
    ordered by unit: three reads, however many."""
    return await _deliverables(db, campaign, lambda *found: not done_deliverable(*found))


async def deliverables_owed(
    db: Executor, campaign: Campaign
) -> list[tuple[deliverables.Pacesetter, list]]:
    """Every pacesetter with what its lead still has to do (`lead_owes`; none for some)."""
    return await _deliverables(db, campaign, lead_owes)


async def _deliverables(
    db: Executor, campaign: Campaign, pick: Callable[[Any, dict[str, Any], Any], bool]
) -> list[tuple[deliverables.Pacesetter, list]]:
    found = await deliverables.pacesetters(db)
    ids = [p.project_id for p in found]
    stored = await deliverables.current(db, ids)
    booklets = await deliverables.booklets(db, ids)
    picked = []
    for pacesetter in found:
        mine, booklet = stored.get(pacesetter.project_id, {}), booklets[pacesetter.project_id]
        picked.append((pacesetter, [i for i in campaign.deliverables if pick(i, mine, booklet)]))
    return picked


async def consolidate_debts(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 4: the leads with something to do (`lead_owes`), each told what of which project,
    with the button to /deliverables; never the leads of complete ones, nor a lead whose
    chapter the admins have yet to build."""
    owed = [entry for entry in await deliverables_owed(db, reminding.campaign) if entry[1]]
    leads = await deliverables.pacesetter_leads(db)
    by_lead: dict[int, list[dict[str, Any]]] = {}
    for pacesetter, missing in owed:
        for user_id in sorted(leads.get(pacesetter.project_id, ())):
            by_lead.setdefault(user_id, []).append({"project": pacesetter, "missing": missing})
    button = reminding.buttons.get("deliverables")
    return [
        Letter(user_id, "remind/deliverables_lead", {"owed": owed_by}, button, "lead")
        for user_id, owed_by in by_lead.items()
    ]


async def consolidate_posts(db: Executor, campaign: Campaign, now: datetime) -> list[Post]:
    """Stage 4: each bound chat of a pacesetter whose lead has something to do hears what."""
    missing = {p.project_id: (p, items) for p, items in await deliverables_owed(db, campaign)}
    return [
        Post(
            chat_id,
            thread_id,
            "remind/deliverables_chat",
            {"project": missing[project_id][0], "missing": missing[project_id][1]},
            "deliverables",
        )
        for chat_id, thread_id, project_id in await deliverables.pacesetter_chats(db)
        if project_id in missing and missing[project_id][1]
    ]


async def consolidate_closed(db: Executor, reminding: Reminding) -> list[Letter]:
    """Stage 4 closed: the admins hear which pacesetters handed in every deliverable and what
    the others still owe, and the files of the results booklet's latest build, if built."""
    owed = await deliverables_missing(db, reminding.campaign)
    files = await booklet_sources.latest_build(db, [p.project_id for p, _ in owed])
    summary = {
        "complete": [pacesetter for pacesetter, missing in owed if not missing],
        "incomplete": [{"project": p, "missing": missing} for p, missing in owed if missing],
        "files": [str(path) for path in files],
    }
    button = reminding.buttons.get("deliverables")
    admins = await admin_ids(db, reminding.admins)
    return [
        Letter(admin, "deliverables/closed_summary", summary, button, "admin")
        for admin in sorted(admins)
    ]


# A stage with no debts owes nothing, so nobody is reminded.
DEBTS: dict[str, Debts] = {
    "apply": apply_debts,
    "assess": assess_debts,
    "consolidate": consolidate_debts,
}
CLOSINGS: dict[str, Debts] = {
    "apply": apply_closed,
    "cultivate": cultivate_closed,
    "assess": assess_closed,
    "consolidate": consolidate_closed,
}
POSTS: dict[str, Posts] = {
    "apply": apply_posts,
    "assess": assess_posts,
    "consolidate": consolidate_posts,
}
# Who hears a stage open, where it is not those who owe (the default): what to do, once.
OPENINGS: dict[str, tuple[Debts, Posts]] = {
    "cultivate": (cultivate_opening, cultivate_opening_posts)
}


async def owing(
    db: Executor, campaign: Campaign, stage_key: str, *, admins: frozenset[int]
) -> dict[str, set[int]]:
    """Who owes something in the stage now, by role: the one definition behind its reminders,
    /remind and the notice of a moved deadline. Nobody, for a stage with no debts defined."""
    debts = DEBTS.get(stage_key)
    if debts is None:
        return {}
    found: dict[str, set[int]] = {}
    asked = Reminding(campaign.stage(stage_key), admins, {}, campaign=campaign)
    for letter in await debts(db, asked):
        found.setdefault(letter.role, set()).add(letter.user_id)
    return found


async def concerned_chats(
    db: Executor, campaign: Campaign, stage_key: str, now: datetime
) -> list[tuple[int, int]]:
    """The bound group chats (chat, topic) a stage concerns now: those its reminders post to
    (where something is owed), or for a stage that owes nothing by a date, those it opens
    with; none for a stage with neither defined."""
    posts = POSTS.get(stage_key) or OPENINGS.get(stage_key, (None, None))[1]
    if posts is None:
        return []
    return sorted({(post.chat_id, post.thread_id) for post in await posts(db, campaign, now)})


async def write_due(
    db: Database,
    writer: notices.Writer,
    now: datetime,
    *,
    admins: frozenset[int],
    buttons: dict[str, notices.Button],
    bot_username: str | None = None,
) -> list[tuple[Wave, int]]:
    """Write every wave due now, once; the waves written and how many people and group
    chats each reaches. A wave's letters are read and rendered before its write, in a worker
    thread (thousands of them take a while): the loop answers other chats meanwhile, and no
    write transaction waits on them."""
    campaign = writer.campaign
    all_waves = waves(campaign)
    async with db.transaction(now) as tx:
        await _withdraw_overtaken(tx, all_waves)
        already = await reminders.written(tx, [w.key for w in all_waves])
        # A stage heard of under another deadline only: the campaign file moved it.
        moved = await reminders.stages_recorded(tx) - {key.split(":")[0] for key in already}
        for stage_key in sorted(moved):
            already |= await deadline_moved(tx, campaign, stage_key, now)
        send, skip = to_write(all_waves, already, now)
        for wave in skip:
            await _record(tx, wave, "skipped")
        # Caught up at night (the bot was down when it fell due): held until the quiet ends,
        # unless the deadline comes first; then it would only arrive too late.
        not_before = shift_out_of_quiet_hours(now, campaign.quiet_hours, campaign.timezone)
        by_hand = await reminders.by_hand(tx)
        going = []
        for wave in send:
            if wave.moment != CLOSED and (
                not_before >= wave.deadline or replaced(wave, by_hand.get(wave.stage, []))
            ):
                await _record(tx, wave, "skipped")
            else:
                going.append(wave)
    done: list[tuple[Wave, int]] = []
    for wave in going:
        letters = await compose(
            db,
            writer,
            wave.stage,
            wave.moment,
            wave.cause,
            not_before,
            admins=admins,
            buttons=buttons,
            bot_username=bot_username,
        )
        async with db.transaction(now) as tx:
            if await reminders.written(tx, [wave.key]):
                continue  # another look wrote it meanwhile
            if await _overtaken_meanwhile(tx, wave):
                await _record(tx, wave, "skipped")
                continue
            await outbox.enqueue(tx, letters.items)
            await _record(tx, wave, "written", letters.people + letters.chats)
        done.append((wave, letters.people + letters.chats))
    return done


async def _overtaken_meanwhile(tx: Transaction, wave: Wave) -> bool:
    """While a wave's letters were rendered, its deadline moved (/extend) or someone sent a
    reminder by hand: written now, it would name the old date, or come twice."""
    moved_to = (await applications.deadline_overrides(tx)).get(wave.stage)
    if moved_to is not None and moved_to != wave.deadline:
        return True
    return wave.moment != CLOSED and replaced(
        wave, (await reminders.by_hand(tx)).get(wave.stage, [])
    )


async def deadline_moved(
    tx: Transaction, campaign: Campaign, stage_key: str, now: datetime
) -> set[str]:
    """The new deadline's waves already due are recorded as skipped (their keys returned):
    those told the deadline moved hear no reminder before its next offset. The closing
    summary of a deadline moved into the past still goes."""
    gone = [
        wave
        for wave in waves(campaign)
        if wave.stage == stage_key and wave.moment != CLOSED and wave.due <= now
    ]
    for wave in gone:
        await _record(tx, wave, "skipped")
    return {wave.key for wave in gone}


# A reminder sent by hand and a scheduled one closer than this are one too many: the later
# one stays unsent (a wave soon after /remind, or /remind soon after a wave).
NEAR = timedelta(hours=12)


def replaced(wave: Wave, by_hand: list[datetime]) -> bool:
    """A scheduled reminder that one sent by hand shortly before has made needless."""
    return any(wave.due - NEAR <= at <= wave.due for at in by_hand)


@dataclass(frozen=True)
class ByHand:
    """When a reminder sent by hand now would go out, and why it would not."""

    not_before: datetime  # quiet hours now: held until they end, like a wave
    too_late: bool  # the quiet hours last until the deadline: it would only come after it
    recent: datetime | None  # a reminder of the stage went out this shortly before

    @property
    def may_send(self) -> bool:
        return not self.too_late and self.recent is None


async def by_hand(db: Executor, campaign: Campaign, stage_key: str, now: datetime) -> ByHand:
    not_before = shift_out_of_quiet_hours(now, campaign.quiet_hours, campaign.timezone)
    last = await reminders.last_reminded(db, stage_key, not_before)
    recent = last if last is not None and not_before - last < NEAR else None
    return ByHand(not_before, not_before >= campaign.stage(stage_key).deadline, recent)


async def write_by_hand(
    tx: Transaction, stage_key: str, card: int, not_before: datetime, letters: Composed
) -> str:
    """An admin's reminder, composed beforehand under by_hand_cause (one per confirmation
    card: a second tap writes nothing new), recorded beside the waves so a scheduled one soon
    after it stays unsent; its outbox cause."""
    key = f"{stage_key}:{REMINDER}:{card}"
    await outbox.enqueue(tx, letters.items)
    deadline = letters.stage.deadline
    messages = letters.people + letters.chats
    await reminders.record(
        tx, key, stage_key, REMINDER, deadline, not_before, outcome="written", messages=messages
    )
    return by_hand_cause(stage_key, card)


def by_hand_cause(stage_key: str, card: int) -> str:
    return str(Cause(PREFIX, stage_key, REMINDER, card))


async def _withdraw_overtaken(tx: Transaction, current: list[Wave]) -> None:
    """Reminders not yet out for a deadline the campaign no longer has (its file changed while
    they waited for the quiet hours to end) are withdrawn: they would give the old date. An
    admin's /remind (remind:<stage>:now:…) is left alone."""
    keys = {wave.cause for wave in current}
    for cause in await outbox.pending_causes(tx, Cause.of(PREFIX)):
        if cause not in keys and Cause.parse(cause).ids[1:2] != (REMINDER,):
            await outbox.withdraw(tx, cause)


@dataclass(frozen=True)
class Reach:
    """Who a reminder would reach now: people (privately) and group chats; held till when."""

    people: int
    chats: int
    held_until: datetime | None  # quiet hours now: it waits for their end
    unreachable: int = 0  # owe something, but can't be written to
    secretaries: tuple[tuple[str, str], ...] = ()  # of those: secretaries (name, unit), named


async def reach(
    db: Executor,
    campaign: Campaign,
    stage_key: str,
    now: datetime,
    *,
    admins: frozenset[int],
    buttons: dict[str, notices.Button],
) -> Reach:
    """What /remind would send now, without sending it."""
    not_before = shift_out_of_quiet_hours(now, campaign.quiet_hours, campaign.timezone)
    letters, posts = await _contents(db, campaign, stage_key, REMINDER, not_before, admins, buttons)
    found = await people.get_many(db, sorted({letter.user_id for letter in letters}))
    reachable, unreachable = _split(found, letters, not_before)
    # Secretaries decide for a whole unit: the admin may want to call them.
    secretaries = sorted(
        (
            found[letter.user_id].display_name if letter.user_id in found else str(letter.user_id),
            unit,
        )
        for letter in letters
        if letter.role == "secretary" and letter.user_id in unreachable
        for unit, _ in letter.context.get("units", ())
    )
    held_until = not_before if not_before > now else None
    return Reach(len(reachable), len(posts), held_until, len(unreachable), tuple(secretaries))


async def _reachable(
    db: Executor, letters: list[Letter], at: datetime | None
) -> tuple[set[int], set[int]]:
    found = await people.get_many(db, sorted({letter.user_id for letter in letters}))
    return _split(found, letters, at)


def _split(
    found: dict[int, people.Person], letters: list[Letter], at: datetime | None
) -> tuple[set[int], set[int]]:
    """Of those the letters are for: who can be written to, and who owes but can't (never
    opened a private chat with the bot, or blocked it). People on leave are neither."""
    reachable, unreachable = set(), set()
    for user_id in {letter.user_id for letter in letters}:
        person = found.get(user_id)
        if person is not None and at is not None and person.on_leave(at):
            continue
        (reachable if person is not None and person.writable else unreachable).add(user_id)
    return reachable, unreachable


REMINDER = reminders.BY_HAND  # a reminder sent by hand (/remind): like an offset's, at once


async def _contents(
    db: Executor,
    campaign: Campaign,
    stage_key: str,
    moment: str,
    not_before: datetime,
    admins: frozenset[int],
    buttons: dict[str, notices.Button],
) -> tuple[list[Letter], list[Post]]:
    if moment == CLOSED:  # a summary, not a reminder: no group notices
        debts, posts = CLOSINGS.get(stage_key), None
    elif moment == OPENS and stage_key in OPENINGS:
        debts, posts = OPENINGS[stage_key]
    else:
        debts, posts = DEBTS.get(stage_key), POSTS.get(stage_key)
    reminding = Reminding(campaign.stage(stage_key), admins, buttons, not_before, campaign)
    letters = await debts(db, reminding) if debts is not None else []
    return letters, (await posts(db, campaign, not_before) if posts is not None else [])


@dataclass(frozen=True)
class Composed:
    """A stage's reminders (or closing summary) ready for the outbox: the rows, how many
    people and group chats they reach, and how many who owe can't be written to."""

    stage: Stage
    items: list[outbox.Outgoing]
    people: int
    chats: int
    unreachable: int


async def compose(
    db: Executor,
    writer: notices.Writer,
    stage_key: str,
    moment: str,
    cause: str,
    not_before: datetime,
    *,
    admins: frozenset[int],
    buttons: dict[str, notices.Button],
    bot_username: str | None,
) -> Composed:
    """Read who owes what (committed data, no transaction), then render every letter and
    group notice in a worker thread."""
    campaign = writer.campaign
    letters, posts = await _contents(db, campaign, stage_key, moment, not_before, admins, buttons)
    found = await people.get_many(db, sorted({letter.user_id for letter in letters}))
    _, unreachable = _split(found, letters, not_before)
    shared = {"stage": campaign.stage(stage_key), "opening": moment == OPENS}
    link = f"https://t.me/{bot_username}?start=" if bot_username else None

    def render() -> tuple[list[outbox.Outgoing], int]:
        private, reached = notices.compose_each(
            writer,
            found,
            [(letter.user_id, letter.key, letter.context, letter.button) for letter in letters],
            cause,
            not_before=not_before,
            on_leave_at=not_before,
            **shared,
        )
        chats = [
            (
                post.chat_id,
                post.thread_id,
                post.key,
                post.context,
                ("open_in_bot", link + post.opens) if link else None,
            )
            for post in posts
        ]
        public = notices.compose_chats(writer, chats, cause, not_before=not_before, **shared)
        return private + public, reached

    items, reached = await asyncio.to_thread(render)
    return Composed(campaign.stage(stage_key), items, reached, len(posts), len(unreachable))


async def _record(tx: Transaction, wave: Wave, outcome: str, messages: int = 0) -> None:
    await reminders.record(
        tx,
        wave.key,
        wave.stage,
        wave.moment,
        wave.deadline,
        wave.due,
        outcome=outcome,
        messages=messages,
    )
