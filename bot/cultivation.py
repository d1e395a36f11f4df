"""Stage 2, cultivation: the rules of an activity report, as plain functions.

A report says what the branch did (one of the campaign's activities), on which day (within
the last 60 days, never ahead), with how many people, in words, and optionally which
criterion it supports; photos are optional. `next_step` says what a draft still needs, so a
report started from photos skips what the photos already gave (the captions as words).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import rules
from storage.reports import ActivityReport, Media, Progress

STAGE = "cultivate"
LOOKBACK = timedelta(days=60)  # the oldest day a report may be about
PARTICIPANT_PRESETS = (5, 10, 20, 30, 50)
MOST_PARTICIPANTS = 100_000
DESCRIPTION_LIMIT = 3000  # characters: a report is a note, not an essay
MEDIA_LIMIT = 20  # files per report
DRAFT_LIFETIME = timedelta(days=7)  # an unfinished report left longer is let go
EDIT_WINDOW = timedelta(hours=48)  # a saved report may be changed or deleted this long
QUIET_DAYS = 30  # a candidate with no report about the last 30 days is shown first, to coach
# What a draft is asked for, in order; "media" only when it did not start from files.
STEPS = ("project", "activity", "date", "participants", "description", "media")


def today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def recent_days(now: datetime, tz: ZoneInfo, count: int = 3) -> list[date]:
    """Today, yesterday, and the day before: the days offered as buttons."""
    first = today(now, tz)
    return [first - timedelta(days=n) for n in range(count)]


def parse_day(text: str, now: datetime, tz: ZoneInfo) -> tuple[date | None, str | None]:
    """The day a report is about, as people type it or the bot prints it ('2027-03-12', '3-12',
    '3月12日', '12 Mar'; bot.rules.parse_day): a day without its year is the latest such day
    up to today, since an activity has been held. With it, why a report can't be about it:
    "ahead" (not held yet) or "old" (over 60 days ago). (None, None): no day at all."""
    first = today(now, tz)
    day = rules.parse_day(text, first, past=True)
    if day is None:
        return None, None
    if day > first:
        return day, "ahead"
    if first - day > LOOKBACK:
        # '3-16' typed on 15 March: this year's, still ahead, is more likely meant than last.
        coming = rules.parse_day(text, first)
        if coming is not None and first < coming <= first + LOOKBACK:
            return coming, "ahead"
        return day, "old"
    return day, None


def parse_participants(text: str) -> int | None:
    """A head count: digits, maybe with 人 or 'people' after them."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*(?:人|名|people|persons?)?\s*", text, re.IGNORECASE)
    if match is None:
        return None
    count = int(match.group(1))
    return count if 1 <= count <= MOST_PARTICIPANTS else None


def captions(media: list[Media]) -> str:
    """The captions of the files, in order, once each: the words of a report sent as photos."""
    seen: list[str] = []
    for item in media:
        text = item.caption.strip()
        if text and text not in seen:
            seen.append(text)
    return "\n\n".join(seen)


def next_step(report: ActivityReport, *, several_projects: bool) -> str | None:
    """What the draft still needs, or None: it is ready to be saved."""
    if report.project_id is None and several_projects:
        return "project"
    if report.activity is None:
        return "activity"
    if report.held_on is None:
        return "date"
    if report.participants is None:
        return "participants"
    if not report.description.strip():
        return "description"
    if not report.media_done:
        return "media"
    return None


def expired(report: ActivityReport, now: datetime) -> bool:
    """A draft nobody touched for a week: it is dropped, with a note, when its author next
    reports (a reminder to finish it would be the nagging the campaign forbids)."""
    return report.state == "draft" and now - report.updated_at > DRAFT_LIFETIME


def changeable(report: ActivityReport, now: datetime) -> bool:
    """A saved report its author may still change or delete: within 48 hours of saving it;
    after that it is part of the record."""
    return (
        report.state == "saved"
        and report.saved_at is not None
        and now - report.saved_at <= EDIT_WINDOW
    )


def gone_quiet(progress: Progress, now: datetime, tz: ZoneInfo) -> bool:
    """No report about any of the last 30 days (or none at all)."""
    return progress.last_day is None or (today(now, tz) - progress.last_day).days > QUIET_DAYS


def coaching_order(items: list[Progress], now: datetime, tz: ZoneInfo) -> list[Progress]:
    """Those gone quiet first, to be coached; otherwise as given (by unit and project). Never
    by how many reports: counting is not the point."""
    return sorted(items, key=lambda item: not gone_quiet(item, now, tz))
