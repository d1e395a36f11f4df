"""Every template in every locale: present, rendering, valid Telegram HTML, user text escaped;
every locale's catalog holding exactly the words the templates and labels use, all translated."""

from __future__ import annotations

import dataclasses
import glob
import html
import re
import shutil
import tomllib
from datetime import UTC, datetime
from decimal import Decimal

import markupsafe
import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from bot.applications import summary
from bot.broadcasts import Reach as BroadcastReach
from bot.campaign_load import load_campaign
from bot.evidence import Evidence, Reports
from bot.evidence import Section as EvidenceSection
from bot.orgs import Problem, Sheet
from bot.ranking import Row
from bot.reminders import ByHand, Reach
from bot.sandbox.html import parse_html, utf16_len
from handlers.review import Typed
from messages.render import LOCALES, ROOT, SOURCE_LOCALE, Messages, catalog_path
from messages.split import SECTION_BREAK, split_html, visible_length
from storage.applications import Answer, Application, Part, UnitTally
from storage.coaching import Comment
from storage.deliverables import Booklet, Delivered, Pacesetter
from storage.deliverables import Content as DeliveredContent
from storage.finals import Candidate, Content, Final
from storage.orgs import ImportCounts, OrgRow, Project, Unit
from storage.outbox import Report
from storage.pacesetters import Round
from storage.people import Person
from storage.reminders import CandidateReports, LeadDebt, ProjectChat, UnitChat, UnitDelivery
from storage.reports import ActivityReport, Media, Progress
from storage.reviews import Review
from storage.roles import RoleGrant
from storage.votes import Result, Vote

CAMPAIGN = load_campaign()
HOSTILE = '<b>Tom & "Jerry"</b> <script>x</script> 🙂'
WHEN = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
GRANT = RoleGrant(1, "lead", 2, 3, HOSTILE, HOSTILE)
UNIT = Unit(1, "U1", HOSTILE)
PROJECT = Project(2, 1, "P1", HOSTILE)
ROLES = ["admin", "secretary", "lead", "member", "reviewer"]

SECTION = CAMPAIGN.sections[0]
BUDGET = next(s for s in CAMPAIGN.sections if s.kind == "number")
FILES = next(s for s in CAMPAIGN.sections if s.kind == "files")
APPLICATION = Application(7, 2, "returned", HOSTILE, 1, WHEN, 2, WHEN, 1)
TEXT_ANSWER = Answer("foundation", "writing", None, (Part(9, 1, "text", HOSTILE),))
ANSWERS = {
    "foundation": TEXT_ANSWER,
    BUDGET.key: Answer(BUDGET.key, "done", Decimal("125000"), (Part(9, 2, "text", "12.5万"),)),
    FILES.key: Answer(
        FILES.key,
        "done",
        None,
        (Part(9, 3, "photo", HOSTILE, "f1"), Part(9, 4, "document", "", "f2", HOSTILE)),
    ),
    "experience": Answer("experience", "skipped", None, ()),
}
PERSON = Person(1, HOSTILE, None, None, "en", None, True, False)
TALLY = UnitTally(1, 11, 3, 1, 1, returned=2, declined=1)
SUMMARY = summary(CAMPAIGN.sections, ANSWERS)
STAGE = CAMPAIGN.stages[0]

# The values each template is rendered with; a new template needs an entry here.
ACTIVITY_REPORT = ActivityReport(
    id=1,
    project_id=1,
    author_id=1,
    state="draft",
    activity="party_day",
    held_on=datetime(2027, 3, 14).date(),
    participants=20,
    description=HOSTILE,
    criterion="ideology",
    media_done=True,
    saved_at=None,
    updated_at=WHEN,
)
COMMENT = Comment(1, 2, None, 1, HOSTILE, WHEN)
HIGHLIGHT_ITEM = {
    "number": 9,
    "report": ACTIVITY_REPORT,
    "project": HOSTILE,
    "unit": HOSTILE,
    "activity": CAMPAIGN.activities[0],
    "photos": 2,
    "star": False,
}
EMPTY_REPORT = dataclasses.replace(
    ACTIVITY_REPORT, activity=None, held_on=None, participants=None, description="", criterion=None
)

ASSESS = CAMPAIGN.stage("assess")
FINAL = CAMPAIGN.finals[0]
CANDIDATE = Candidate(2, "P1", HOSTILE, HOSTILE, frozenset({FINAL.key}))
RANKED = Row(2, "P1", HOSTILE, 1, "U1", HOSTILE, 4, 5, 50.5, 51.0, 9.0, 50.2, 1, 1, 1)
REVIEW = Review(1, 1, 2, "submitted", None, WHEN, HOSTILE, HOSTILE, WHEN, WHEN, None, None)
DRAFT_REVIEW = dataclasses.replace(REVIEW, state="draft", draft_comment=None, submitted_at=None)
CARD = {
    "said": "changed",
    "position": 3,
    "queued": 20,
    "scored": 7,
    "review": REVIEW,
    "evidence": Evidence(project=PROJECT, unit=UNIT),
    "criteria": CAMPAIGN.criteria,
    "values": {c.key: 7 for c in CAMPAIGN.criteria[:4]},
    "total": 28.0,
    "most": 60.0,
    "edited": True,
    "phase": "open",
    "stage": ASSESS,
    "others": [{"number": 1, "scores": ["7", "–"], "total": 7.5}],
}
TEXT_FINAL = Final(1, 2, FINAL.key, Content("text", text=f"{HOSTILE}\nmore"), 1, WHEN)
OPEN_VOTE = Vote(1, 2, -100, 0, None, 1, WHEN, None, None)
VOTE_COUNTS = {"recommend": 12, "undecided": 0, "not_yet": 3}
FLAGS = ("spread_total", "spread_criterion", "few_reviews", "rank_moved")
RANKED = Row(2, "P1", HOSTILE, 1, "U1", HOSTILE, 3, 4, 80.0, 80.0, 5.0, 81.0, 2, 2, 2, FLAGS)
UNRANKED = Row(3, "P2", HOSTILE, 1, "U1", HOSTILE, 0, 4, None, None, None, None, None, None, None)
CONSOLIDATE = CAMPAIGN.stage("consolidate")
WRITEUP, VIDEO, BOOKLET = CAMPAIGN.deliverables
PACESETTER = Pacesetter(2, "P1", HOSTILE, 1, HOSTILE)
TYPED_WRITEUP = Delivered(1, 2, WRITEUP.key, DeliveredContent("text", text=HOSTILE), 1, WHEN)
BIG_VIDEO = Delivered(
    2, 2, VIDEO.key, DeliveredContent("video", None, "v", "u", HOSTILE, 30 * 2**20), 1, WHEN
)
VIDEO_LINK = Delivered(
    3, 2, VIDEO.key, DeliveredContent("link", text="https://www.bilibili.com/video/BV1"), 1, WHEN
)


def _platform(url: str) -> str | None:
    return "bilibili" if "bilibili" in url else None


DELIVERED_ITEMS = [
    {"item": WRITEUP, "stored": TYPED_WRITEUP, "booklet": None, "done": True},
    {"item": VIDEO, "stored": BIG_VIDEO, "booklet": None, "done": True},
    {
        "item": BOOKLET,
        "stored": None,
        "booklet": Booklet(2, "draft", 1, None, WHEN, 2),
        "done": False,
    },
]
CHECKLIST = {"project": PACESETTER, "items": DELIVERED_ITEMS, "complete": False}
FILE_FINAL = Final(
    2,
    2,
    FINAL.key,
    Content("document", None, "f", "u", HOSTILE, 250_000, "application/pdf"),
    1,
    WHEN,
)
EVIDENCE = Evidence(
    project=PROJECT,
    unit=UNIT,
    sections=(
        EvidenceSection(SECTION.key, HOSTILE, True, SECTION.title, answered=True),
        EvidenceSection("experience", "", False, CAMPAIGN.sections[1].title),
        EvidenceSection(BUDGET.key, "", False, BUDGET.title, Decimal("125000"), True),
    ),
    reports=(
        Reports("ideology", 12, WHEN.date(), CAMPAIGN.criteria[0].title),
        Reports("mechanism", 0, None, CAMPAIGN.criteria[1].title),
    ),
    highlights=2,
    highlight_photos=5,
    finals={FINAL.key: FILE_FINAL, "results": TEXT_FINAL},
    unsorted=Reports(None, 3, WHEN.date()),
    final_items=CAMPAIGN.finals,
    application=True,
)

RANKED = Row(
    2, "P1", HOSTILE, 1, "U1", HOSTILE, 3, 5, 45.125, 44.0, 12.5, 46.0, 1, 2, 1,
    ("few_reviews", "spread_total", "spread_criterion", "rank_moved", "other"),
    {"ideology": 7.5},
)  # fmt: skip
UNRANKED = Row(3, "P2", HOSTILE, 1, "U1", HOSTILE, 0, 4, *[None] * 7)
RANKED_LINE = {"row": RANKED, "place": {"calibrated": "=1", "raw": "2"}}
RANKING_LIMITS = {"min_reviews": 3, "spread_total": 12.0, "spread_criterion": 4.0}
CLOSED_VOTE = Result(dataclasses.replace(OPEN_VOTE, closed_by=1, closed_at=WHEN), VOTE_COUNTS)


SAMPLES: dict[str, dict] = {
    "apply/at_preview": {},
    "apply/choose_project": {},
    "apply/closed": {"stage": STAGE},
    "apply/edit_saved": {"section": SECTION},
    "apply/missing": {"missing": [SECTION, BUDGET]},
    "apply/not_editable": {},
    "apply/not_lead": {},
    "apply/not_withdrawable": {},
    "apply/not_yet": {"stage": STAGE},
    "apply/nothing_yet": {},
    "apply/preview": {
        "project": PROJECT,
        "application": APPLICATION,
        "sections": CAMPAIGN.sections,
        "answers": ANSWERS,
        "missing": [BUDGET],
        "editable": True,
        "saved_amount": Decimal("12.5"),
    },
    "apply/required": {},
    "apply/preview_answer": {"section": SECTION, "answer": TEXT_ANSWER},
    "apply/preview_fixed": {
        "project": PROJECT,
        "application": APPLICATION,
        "sections": CAMPAIGN.sections,
        "answers": ANSWERS,
        "answered": {"foundation", BUDGET.key, FILES.key},
        "missing": [BUDGET],
        "section": SECTION,
        "number": 1,
    },
    "apply/saved_exit": {},
    "apply/saved_file": {"section": FILES, "count": 3},
    "apply/saved_text": {"section": SECTION, "answer": TEXT_ANSWER},
    "apply/section": {"section": SECTION, "number": 1, "total": 11, "answer": TEXT_ANSWER},
    "apply/status": {"application": APPLICATION, "project": PROJECT},
    "apply/submitted": {"project": PROJECT},
    "apply/too_many_files": {"limit": 50},
    "apply/wants_files": {"section": FILES},
    "apply/wants_number": {"section": BUDGET, "sent": HOSTILE},
    "apply/wants_text": {"section": SECTION, "files_section": FILES},
    "nominate/comment_too_long": {"length": 1200, "limit": 1000},
    "apply/withdrawn": {"project": PROJECT},
    "nominate/actions": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "summary": SUMMARY,
        "used": 1,
        "total": 2,
        "done": "nominated",
    },
    "nominate/already": {"status": "accepted"},
    "nominate/ask_comment": {"project": PROJECT},
    "nominate/choose_unit": {},
    "nominate/comment_as_text": {},
    "nominate/full": {"used": 2, "total": 2},
    "nominate/list": {
        "unit": UNIT,
        "used": 1,
        "total": 2,
        "count": 3,
        "page": 1,
        "pages": 2,
        "stage": STAGE,
        "open": True,
    },
    "nominate/new_submission": {"project": PROJECT, "unit": UNIT, "lead": PERSON},
    "nominate/not_secretary": {},
    "nominate/told_nominated": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "by": PERSON,
    },
    "nominate/told_returned": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "by": PERSON,
    },
    "nominate/told_unnominated": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "by": PERSON,
    },
    "nominate/withdrawn": {"project": PROJECT, "unit": UNIT, "lead": PERSON},
    "select/actions": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "summary": SUMMARY,
        "done": "declined",
        "left": 3,
    },
    "deadlines/timeline": {
        "stages": [
            (CAMPAIGN.stages[0], "closed", (0, 0, 0)),
            (CAMPAIGN.stages[1], "open", (36, 8, 5)),
            (CAMPAIGN.stages[2], "before", (0, 3, 20)),
            (CAMPAIGN.stages[3], "before", (0, 0, 1)),
        ],
        "zone": "Asia/Shanghai",
    },
    "remind/lead": {
        "stage": STAGE,
        "opening": False,
        "debts": [
            LeadDebt(1, HOSTILE, None, 0),
            LeadDebt(1, HOSTILE, "draft", 3),
            LeadDebt(1, HOSTILE, "returned", 11),
        ],
    },
    "remind/secretary": {"stage": STAGE, "opening": True, "units": [(HOSTILE, 1), (HOSTILE, 4)]},
    "remind/admin": {"stage": STAGE, "opening": False, "waiting": 2},
    "leave/status": {"until": WHEN},
    "remind/confirm": {"stage": STAGE, "reach": Reach(12, 3, WHEN, 2, ((HOSTILE, HOSTILE),))},
    "remind/sent": {"stage": STAGE},
    "remind/kept": {},
    "remind/nothing_open": {},
    "remind/cultivate_open": {"stage": STAGE, "projects": [HOSTILE, HOSTILE]},
    "remind/cultivate_open_chat": {"stage": STAGE, "projects": [HOSTILE]},
    "remind/cultivate_closed": {
        "stage": STAGE,
        "candidates": 3,
        "reported": 1,
        "reports": 7,
        "silent": [CandidateReports(HOSTILE, HOSTILE, 0)],
    },
    "remind/not_now": {"stage": STAGE, "hold": ByHand(WHEN, False, WHEN), "ahead": False},
    "leave/bad_date": {"sent": HOSTILE},
    "remind/closed_admin": {
        "stage": STAGE,
        "late": [
            UnitDelivery(1, HOSTILE, 12, (HOSTILE, HOSTILE)),
            UnitDelivery(2, HOSTILE, 1, (HOSTILE,)),
        ],
        "projects": 13,
        "missing": 3,
        "units": 5,
        "unreachable": 4,
        "secretaries": [(HOSTILE, HOSTILE)],
    },
    "remind/closed_unit": {
        "stage": STAGE,
        "unit": UnitDelivery(1, HOSTILE, 12, (HOSTILE, HOSTILE)),
    },
    "remind/project_chat": {
        "stage": STAGE,
        "opening": False,
        "chat": ProjectChat(-1, 0, 2, HOSTILE, "draft", 3),
        "unreachable": [HOSTILE, HOSTILE],
    },
    "remind/unit_chat": {
        "stage": STAGE,
        "opening": True,
        "chat": UnitChat(-1, 0, HOSTILE, 12, 5, 2, 1),
        "places": 2,
    },
    "broadcast/audience": {},
    "broadcast/audience_phrase": {"audience": "unit", "unit": HOSTILE},
    "broadcast/units": {"found": 12, "page": 1, "pages": 2},
    "broadcast/ask": {"audience": "unit", "unit": HOSTILE},
    "broadcast/wrong_input": {},
    "broadcast/album": {},
    "broadcast/nobody": {"audience": "lead", "unit": "", "reach": BroadcastReach([], [], 3)},
    "broadcast/confirm": {
        "audience": "unit",
        "unit": HOSTILE,
        "reach": BroadcastReach([(-1, 0), (-2, 5)], [], 2),
        "held_until": WHEN,
    },
    "broadcast/kept": {},
    "broadcast/report": {
        "audience": "groups",
        "unit": "",
        "report": Report("c", 1, "broadcast/report", "en", {}, 0, 320, 6, pending=420),
        "people": 0,
        "groups": 320,
        "failed": 6,
        "why": {"unreachable": 2, "no_private_chat": 1, "refused": 1, "gave_up": 1, "other": 1},
        "held_until": WHEN,
    },
    "report/step": {
        "step": "confirm",
        "report": ACTIVITY_REPORT,
        "project": PROJECT,
        "activity": CAMPAIGN.activities[0],
        "criterion": CAMPAIGN.criteria[0],
        "media": {"photo": 3, "video": 1, "document": 0},
        "captions_used": True,
    },
    "report/card": {
        "report": ACTIVITY_REPORT,
        "project": PROJECT,
        "activity": CAMPAIGN.activities[0],
        "criterion": CAMPAIGN.criteria[0],
        "media": {"photo": 3, "video": 0, "document": 0},
        "author": PERSON,
        "cut": 700,
        "marked_by": PERSON,
        "unmarked_by": None,
    },
    "report/saved": {"groups": 1, "changed": False},
    "report/gone": {},
    "report/locked": {},
    "report/delete_confirm": {},
    "report/deleted": {},
    "report/dropped": {},
    "progress/view": {
        "view": "admin",
        "items": [
            {
                "progress": Progress(
                    1, HOSTILE, 1, HOSTILE, {}, frozenset(), datetime(2027, 1, 3).date()
                ),
                "months": [(datetime(2027, 3, 1).date(), 3), (datetime(2027, 4, 1).date(), 1)],
                "missing": list(CAMPAIGN.criteria[:2]),
                "quiet": True,
                "highlights": 0,
                "comment": COMMENT,
            },
            {
                "progress": Progress(2, HOSTILE, 1, HOSTILE, {}, frozenset(), None),
                "months": [],
                "missing": [],
                "quiet": True,
                "highlights": 3,
                "comment": None,
            },
        ],
        "commenters": {1: PERSON},
        "count": 12,
        "page": 1,
        "pages": 2,
        "quiet_days": 30,
    },
    "report/too_big": {"kind": "video"},
    "report/quota": {"which": "person", "used": 290, "limit": 300},
    "report/copy_failed": {"reports": [12, 40], "error": HOSTILE},
    "highlights/list": {
        "items": [HIGHLIGHT_ITEM],
        "count": 12,
        "page": 2,
        "pages": 2,
        "unit": UNIT,
        "criterion": None,
    },
    "highlights/newest": {
        "items": [HIGHLIGHT_ITEM | {"number": 1, "photos": 0, "star": True}],
        "count": 9,
        "page": 1,
        "pages": 2,
        "picking": True,
    },
    "highlights/item": {"item": HIGHLIGHT_ITEM},
    "highlights/units": {"count": 3},
    "highlights/criteria": {},
    "highlights/not_allowed": {},
    "highlights/already": {},
    "highlights/not_marked": {},
    "highlights/deleted": {},
    "highlights/done_marked": {"chats": 2},
    "highlights/done_unmarked": {},
    "highlights/told_marked": {
        "person": PERSON,
        "project": PROJECT,
        "activity": CAMPAIGN.activities[0],
        "report": ACTIVITY_REPORT,
        "chats": 1,
    },
    "highlights/told_unmarked_author": {
        "person": PERSON,
        "project": PROJECT,
        "activity": CAMPAIGN.activities[0],
        "report": ACTIVITY_REPORT,
        "chats": 0,
    },
    "highlights/told_unmarked": {
        "person": PERSON,
        "project": PROJECT,
        "activity": None,
        "report": ACTIVITY_REPORT,
        "chats": 0,
    },
    "coach/ask": {
        "project": PROJECT,
        "report": ACTIVITY_REPORT,
        "activity": CAMPAIGN.activities[0],
        "readers": [HOSTILE, "Mei"],
        "limit": 1000,
    },
    "coach/as_text": {},
    "coach/nobody": {"project": PROJECT},
    "coach/sent": {"readers": [HOSTILE], "unreachable": 1},
    "coach/told": {
        "person": PERSON,
        "project": PROJECT,
        "report": ACTIVITY_REPORT,
        "activity": CAMPAIGN.activities[0],
        "comment": HOSTILE,
    },
    "report/expired": {"started": WHEN},
    "report/not_candidate": {},
    "report/before": {"stage": CAMPAIGN.stages[1]},
    "report/after": {"stage": CAMPAIGN.stages[1]},
    "report/wrong_input": {"step": "date"},
    "report/bad_day": {"day": WHEN.date(), "reason": "ahead"},
    "report/too_long": {"limit": 3000},
    "report/too_many_files": {"limit": 20},
    "apply/docx_choose": {},
    "apply/docx_form": {"project": PROJECT},
    "apply/docx_guidance": {},
    "apply/docx_no_sections": {},
    "apply/docx_read": {
        "filename": HOSTILE,
        "sections": CAMPAIGN.sections,
        "found": [SECTION, BUDGET, FILES],
        "unread_amounts": [],
        "unsure": [],
        "empty": [CAMPAIGN.sections[3]],
        "too_long": [CAMPAIGN.sections[1]],
        "amounts": {BUDGET.key: Decimal("125000")},
        "pictures": 3,
        "left_out": 2,
    },
    "apply/docx_unreadable": {"too_big": False},
    "apply/docx_old_format": {"filename": HOSTILE},
    "apply/amount_confirm": {"section": BUDGET, "amount": Decimal("60000"), "doubt": "several"},
    "apply/docx_unsafe": {"reason": "entries", "limit": 1000},
    "apply/card": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "summary": SUMMARY,
    },
    "select/already": {},
    "select/accept_confirm": {"project": PROJECT, "unit": UNIT},
    "apply/too_long": {"section": SECTION, "length": 10_240},
    "apply/saved_album": {"section": FILES, "items": 4, "count": 6},
    "apply/files_caption": {"project": PROJECT, "section": FILES, "caption": HOSTILE},
    "apply/no_files": {},
    "group/private_only": {"command": "/apply"},
    "fallback/voice": {},
    "fallback/location": {},
    "fallback/contact": {},
    "import/working": {"filename": HOSTILE},
    "select/extend_confirm": {
        "stage": STAGE,
        "deadline": WHEN,
        "people": 52,
        "groups": 3,
        "shorter": False,
        "past": False,
        "overlaps": None,
    },
    "select/extend_stage": {"stages": CAMPAIGN.stages},
    "select/extend_date": {"stage": STAGE},
    "select/extend_type": {"stage": STAGE},
    "select/extend_bad_date": {"sent": HOSTILE, "first": 2026, "last": 2028},
    "select/extend_kept": {},
    "common/prompt_expired": {"minutes": 30},
    "select/announced": {"people": 52, "groups": 3, "failed": 2},
    "select/ask_reason": {"project": PROJECT},
    "select/decline_confirm": {"project": PROJECT, "unit": UNIT, "reason": HOSTILE},
    "select/deadline_moved": {"stage": STAGE, "reopened": True, "earlier": False},
    "select/extend_refused": {"stage": STAGE},
    "select/extended": {"stage": STAGE},
    "select/not_admin": {},
    "select/overview": {
        "units": [(UNIT, TALLY, 2)],
        "silent": [UNIT, UNIT],
        "waiting": 2,
        "stage": STAGE,
    },
    "select/told_accepted": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "by": PERSON,
    },
    "select/told_declined": {
        "application": APPLICATION,
        "project": PROJECT,
        "unit": UNIT,
        "by": PERSON,
    },
    "start/how_to_join": {},
    "start/join_waiting": {"project": PROJECT},
    "start/welcome": {
        "apply_open": False,
        "name": HOSTILE,
        "roles": [HOSTILE],
        "stage": CAMPAIGN.stages[0],
        "next_stage": None,
    },
    "help/stage_line": {"stage": None, "next_stage": CAMPAIGN.stages[1]},
    "help/help": {
        "roles": ROLES,
        "stage": CAMPAIGN.stages[0],
        "next_stage": None,
        "apply_open": True,
        "cultivating": False,
        "assessing": True,
        "consolidating": True,
        "template": True,
    },
    "help/template": {"form": HOSTILE},
    "help/short": {"commands": ["help", "apply", "invite", "whoami"]},
    "whoami/whoami": {"name": HOSTILE, "user_id": 42, "roles": [HOSTILE]},
    "whoami/role_line": {"grant": GRANT},
    "whoami/role_phrase": {"grant": GRANT},
    "language/choose": {},
    "language/set": {},
    "charts/drawing": {},
    "export/screen": {"first": WHEN.date(), "last": WHEN.date(), "page": 2, "pages": 3},
    "export/building": {"done": [HOSTILE, "活动报告"]},
    "export/done": {"sheets": [(HOSTILE, 100_000), ("亮点", 1)]},
    "export/bad_dates": {},
    "export/not_admin": {},
    "export/failed": {},
    "export/busy": {},
    "booklet_chat/not_admin": {},
    "booklet_chat/none": {},
    "booklet_chat/busy": {},
    "booklet_chat/confirm": {"count": 75},
    "booklet_chat/cancelled": {},
    "booklet_chat/building": {"done": 1, "steps": 3},
    "booklet_chat/failed": {},
    "booklet_chat/done": {
        "count": 2,
        "too_big": ["/srv/media/booklet/all/成果集.zip"],
        "told": 2,
        "kept": 3,
        "shut": False,
        "stage": CONSOLIDATE,
    },
    "booklet_chat/chapter_ready": {"project": PACESETTER},
    "charts/nothing": {},
    "charts/no_reviews": {"project": HOSTILE},
    "charts/ranking": {"stage": ASSESS, "now": WHEN, "count": 12},
    "charts/radar": {"row": RANKED},
    "cancel/cancelled": {},
    "cancel/nothing": {},
    "invite/redeemed": {"name": HOSTILE, "grant": GRANT},
    "invite/used": {},
    "invite/expired": {"expires_at": WHEN},
    "invite/revoked": {},
    "invite/unknown": {},
    "invite/choose_role": {},
    "invite/choose_unit": {"role": "lead", "page": 1, "pages": 3},
    "invite/choose_project": {"role": "member", "unit_name": HOSTILE, "page": 2, "pages": 2},
    "invite/no_units": {},
    "invite/created": {"grant": GRANT, "expires_at": WHEN, "link": "https://t.me/x?start=inv_a"},
    "invite/revoked_done": {"grant": GRANT},
    "invite/not_revocable": {},
    "invite/not_allowed": {},
    "invite/in_private": {"bot_username": "pacesetter_bot"},
    "invite/usage": {"roles": ROLES},
    "invite/accepted": {"name": HOSTILE, "grant": GRANT},
    "import/ask": {},
    "import/done": {
        "filename": HOSTILE,
        "sheet": Sheet(
            rows=[OrgRow(4, "U1", HOSTILE, "P1", HOSTILE, -1001)],
            header_line=3,
            read=((HOSTILE, "unit_code"), ("支部名称", "project_name"), ("群号", "chat_id")),
            ignored=(HOSTILE, "备注"),
            skipped=(
                Problem(1, "skip_above_header", {"text": HOSTILE}),
                Problem(9, "skip_only_ignored", {"columns": "序号"}),
                Problem(10, "skip_header_again"),
            ),
            filled=2,
        ),
        "counts": ImportCounts(1, 2, 3, 4, 5),
        "unit_total": 9,
        "checking": 3,
    },
    "import/checked": {
        "filename": HOSTILE,
        "total": 3,
        "present": 1,
        "absent": [OrgRow(4, "U1", HOSTILE, "P1", HOSTILE, -1001)],
        "unknown": 1,
        "bot_username": "pacesetter_bot",
    },
    "import/refused": {
        "filename": HOSTILE,
        "problems": [
            Problem(None, "encoding"),
            Problem(None, "empty_file"),
            Problem(None, "no_rows"),
            Problem(3, "chat_id_rounded", {"value": "-1.00123E+12"}),
            Problem(1, "header", {"rows": 10, "missing": "unit_code", "found": HOSTILE}),
            Problem(2, "columns", {"expected": 4, "found": 3}),
            Problem(3, "empty", {"column": "unit_code"}),
            Problem(4, "bad_code", {"column": "project_code", "value": HOSTILE}),
            Problem(5, "too_long", {"column": "unit_name", "limit": 200}),
            Problem(6, "duplicate_project", {"code": "P1", "first_line": 2}),
            Problem(7, "unit_name_conflict", {"code": "U1", "name": HOSTILE, "first_line": 2}),
            Problem(8, "project_other_unit", {"code": "P1", "unit": "U2"}),
            Problem(9, "bad_chat_id", {"value": HOSTILE}),
            Problem(10, "chat_twice", {"value": -5, "code": "P1", "first_line": 2}),
            Problem(11, "malformed", {"reason": HOSTILE}),
            Problem(12, "control", {"column": "unit_name"}),
            Problem(1, "header_twice", {"column": "project_name", "found": HOSTILE}),
            Problem(13, "code_rounded", {"column": "project_code", "value": "1.10101E+11"}),
        ],
    },
    "import/not_admin": {},
    "import/not_csv": {},
    "import/too_big": {"size_mb": 7.5, "limit_mb": 5},
    "group/hello": {},
    "group/bind_choose_unit": {"thread_id": 0},
    "import/nudge": {},
    "group/anonymous": {},
    "group/bound": {"unit": UNIT, "project": PROJECT, "thread_id": 0},
    "group/target": {"unit": UNIT, "project": None},
    "group/unbound": {"thread_id": 5},
    "group/not_bound": {"thread_id": 0},
    "group/bind_choose": {"unit_name": HOSTILE, "thread_id": 3},
    "group/bind_who": {},
    "group/bind_nothing_imported": {},
    "group/bind_unknown_code": {"code": HOSTILE},
    "group/bind_not_group_admin": {},
    "group/bind_not_allowed": {"unit_name": HOSTILE},
    "group/bind_in_group": {},
    "group/bind_campaign_not_allowed": {},
    "group/bound_campaign": {"thread_id": 0},
    "fallback/text": {
        "commands": ["help", "nominations", "people"],
        "roles": ["secretary"],
        "apply_open": True,
        "cultivating": "before",
    },
    "fallback/report_hint": {},
    "fallback/unknown_command": {"command": "/<x>"},
    "fallback/file": {"roles": ["admin"]},
    "fallback/sticker": {},
    "fallback/edited": {},
    "errors/sorry": {},
    "errors/sorry_unsaved": {},
    "errors/not_stored": {},
    "errors/set_aside": {"when": WHEN},
    "errors/set_aside_admin": {"count": 2, "attempts": 3, "ids": "101 102", "names": [HOSTILE]},
    "errors/outage_admin": {"since": WHEN, "error": HOSTILE},
    "errors/outage_over_admin": {"since": WHEN},
    "common/stale": {"command": "apply"},
    "people/not_allowed": {},
    "people/choose_unit": {},
    "people/unit": {"unit": UNIT, "count": 12, "removable": 3, "page": 1, "pages": 2},
    "people/confirm_remove": {"name": HOSTILE, "role": HOSTILE, "until": WHEN},
    "people/leave_told": {"until": WHEN, "by": PERSON},
    "people/removed": {"name": HOSTILE, "grant": GRANT, "withdrawn": 2},
    "people/removed_told": {"grant": GRANT, "by": PERSON},
    "people/gone": {},
    "join/not_bound": {},
    "join/not_allowed": {},
    "join/invite": {"project": PROJECT},
    "join/already": {"project": PROJECT},
    "join/joined": {"project": PROJECT},
    "join/welcome": {"project": PROJECT},
    "invite/not_yours": {},
    "invite/branch_link": {"grant": GRANT, "expires_at": WHEN, "count": 50, "link": HOSTILE},
    "invite/full": {},
    "common/not_allowed": {},
    "assign/cancelled": {},
    "assign/closed": {"stage": ASSESS},
    "assign/done": {"added": 12},
    "assign/nothing": {"candidates": 0, "reviewers": 0},
    "assign/preview": {
        "changed": True,
        "stage": ASSESS,
        "candidates": 3,
        "reviewers": 4,
        "per_candidate": 2,
        "added": 5,
        "kept": 1,
        "least": 1,
        "most": 2,
        "short": [(CANDIDATE, 1)],
        "short_more": 3,
        "conflicts": 2,
    },
    "assign/up_to_date": {},
    "deliverables/after": {"stage": CONSOLIDATE},
    "deliverables/approved": {},
    "deliverables/ask": {
        "project": PACESETTER,
        "item": VIDEO,
        "stored": VIDEO_LINK,
        "typed": 0,
        "download": 20,
        "upload": 50,
        "platform_of": _platform,
    },
    "deliverables/bad_type": {"file_name": HOSTILE},
    "deliverables/chapter_too_big": {"size": 51.25, "limit": 50},
    "deliverables/before": {"stage": CONSOLIDATE},
    "deliverables/complete": {"project": PACESETTER},
    "deliverables/confirm_first": {},
    "deliverables/corrections": {"project": PACESETTER, "lead": HOSTILE, "comment": HOSTILE},
    "deliverables/draft_gone": {},
    "deliverables/fix_ask": {"project": PACESETTER},
    "deliverables/fix_sent": {},
    "deliverables/fix_too_long": {"limit": 3000},
    "deliverables/fix_wrong_input": {},
    "deliverables/items": {"items": DELIVERED_ITEMS, "platform_of": _platform, "download": 20},
    "deliverables/not_a_document": {},
    "deliverables/not_a_link": {},
    "deliverables/not_a_video": {},
    "deliverables/not_lead": {},
    "deliverables/not_pacesetter": {},
    "deliverables/not_ready": {},
    "deliverables/nothing_pending": {},
    "deliverables/nothing_typed": {},
    "deliverables/overview": {
        "checklists": [CHECKLIST],
        "total": 11,
        "page": 1,
        "pages": 2,
        "stage": CONSOLIDATE,
        "platform_of": _platform,
        "download": 20,
        "clip": 60,
    },
    "deliverables/overview_items": {
        "items": DELIVERED_ITEMS,
        "platform_of": _platform,
        "download": 20,
        "clip": 60,
    },
    "deliverables/platform": {"site": "bilibili"},
    "deliverables/preview": {
        "project": PACESETTER,
        "item": VIDEO,
        "content": BIG_VIDEO.content,
        "shown": "",
        "replaces": VIDEO_LINK,
        "download": 20,
        "platform_of": _platform,
    },
    "deliverables/saved": {"item": HOSTILE},
    "deliverables/screen": {
        **CHECKLIST,
        "closed": False,
        "stage": CONSOLIDATE,
        "platform_of": _platform,
        "download": 20,
    },
    "deliverables/stored": {"stored": BIG_VIDEO, "platform_of": _platform, "download": 20},
    "deliverables/too_big": {"file_name": HOSTILE},
    "deliverables/too_long": {"limit": 30000},
    "deliverables/wrong_input": {"item": VIDEO},
    "final/after": {"stage": ASSESS},
    "final/ask": {"project": CANDIDATE, "item": FINAL, "stored": TEXT_FINAL, "typed": 0},
    "final/bad_type": {"file_name": HOSTILE},
    "final/before": {"stage": ASSESS},
    "final/confirm_first": {},
    "final/not_a_document": {},
    "final/not_candidate": {},
    "final/not_lead": {},
    "final/nothing_pending": {},
    "final/nothing_typed": {},
    "final/preview": {
        "project": CANDIDATE,
        "item": FINAL,
        "content": FILE_FINAL.content,
        "shown": "",
        "replaces": TEXT_FINAL,
    },
    "final/saved": {"item": HOSTILE},
    "review/evidence": {"evidence": EVIDENCE},
    "evidence/final_caption": {"project": CANDIDATE, "item": FINAL, "final": FILE_FINAL},
    "evidence/final_text": {"project": CANDIDATE, "item": FINAL, "final": TEXT_FINAL},
    "evidence/more_photos": {"shown": 50, "num": 72},
    "evidence/no_finals": {},
    "evidence/no_photos": {},
    "evidence/not_reviewer": {},
    "evidence/photo": {"activity": CAMPAIGN.activities[0], "day": WHEN.date()},
    "evidence/sent": {},
    "review/after": {"stage": ASSESS},
    "review/all_in": {"reviews": 5, "candidates": 2},
    "review/before": {"stage": ASSESS},
    "review/card": CARD,
    "review/changed": {},
    "review/comment_ask": {"project": PROJECT, "limit": 1000, "minutes": 30, "comment": None},
    "review/comment_too_long": {"length": 1001, "limit": 1000},
    "review/comment_wrong_input": {},
    "review/missing": {"missing": list(CAMPAIGN.criteria[:2]), "of": 6},
    "review/not_assigned": {"project": PROJECT, "review": None},
    "review/not_reviewer": {},
    "review/not_yours": {},
    "review/nothing": {"stage": ASSESS},
    "review/recused": {},
    "review/score_form": {"criteria": CAMPAIGN.criteria},
    "review/score_unknown": {"code": HOSTILE, "criteria": CAMPAIGN.criteria},
    "review/score_usage": {
        "typed": Typed(problem="value", at=CAMPAIGN.criteria[0], given=HOSTILE),
        "criteria": CAMPAIGN.criteria,
    },
    "review/submitted": {},
    "review/undone": {},
    "vote/after": {"stage": ASSESS},
    "vote/before": {"stage": ASSESS},
    "vote/card": {
        "evidence": Evidence(project=PROJECT, unit=UNIT),
        "items": [{"item": FINAL, "stored": TEXT_FINAL}, {"item": FINAL, "stored": None}],
        "counts": VOTE_COUNTS,
        "vote": OPEN_VOTE,
    },
    "vote/closed": {},
    "vote/closed_reply": {"project": CANDIDATE, "counts": VOTE_COUNTS},
    "vote/closed_toast": {"counts": VOTE_COUNTS},
    "vote/confirm_close": {},
    "vote/counted": {"choice": HOSTILE},
    "vote/counts": {"counts": VOTE_COUNTS},
    "vote/none_open": {"project": CANDIDATE},
    "vote/not_admin": {},
    "vote/not_candidate": {"code": HOSTILE},
    "vote/not_reviewer": {},
    "vote/off": {},
    "vote/open_already": {"project": CANDIDATE, "here": True},
    "vote/usage": {},
    "vote/where": {},
    "vote/withdrawn": {},
    "final/screen": {
        "project": CANDIDATE,
        "stage": ASSESS,
        "items": [{"item": FINAL, "stored": FILE_FINAL}, {"item": FINAL, "stored": None}],
    },
    "final/stored": {"stored": TEXT_FINAL},
    "final/items": {
        "items": [{"item": FINAL, "stored": FILE_FINAL}, {"item": FINAL, "stored": None}]
    },
    "final/too_big": {"file_name": HOSTILE, "limit": 20},
    "final/too_long": {"limit": 30000},
    "final/wrong_input": {"item": FINAL},
    "remind/final_chat": {
        "stage": ASSESS,
        "opening": True,
        "project": CANDIDATE,
        "missing": [FINAL],
    },
    "remind/stage": {"stage": STAGE, "opening": False},
    "remind/final_lead": {
        "stage": ASSESS,
        "opening": False,
        "owed": [{"project": CANDIDATE, "missing": list(CAMPAIGN.finals)}],
    },
    "remind/reviewer": {"stage": ASSESS, "opening": False, "left": 2},
    "remind/deliverables_chat": {
        "stage": CONSOLIDATE,
        "opening": True,
        "project": PACESETTER,
        "missing": [BOOKLET],
    },
    "remind/deliverables_lead": {
        "stage": CONSOLIDATE,
        "opening": False,
        "owed": [{"project": PACESETTER, "missing": list(CAMPAIGN.deliverables)}],
    },
    "deliverables/closed_summary": {
        "complete": [PACESETTER],
        "incomplete": [{"project": PACESETTER, "missing": [VIDEO, BOOKLET]}],
        "files": [HOSTILE],
    },
    "recuse/already": {"project": CANDIDATE},
    "recuse/as_text": {},
    "recuse/ask": {"project": CANDIDATE},
    "recuse/cancelled": {"project": CANDIDATE},
    "recuse/closed": {"stage": ASSESS},
    "recuse/confirm": {"project": CANDIDATE, "preset": "", "reason": HOSTILE},
    "recuse/done": {"project": CANDIDATE, "preset": "", "reason": HOSTILE},
    "recuse/not_assigned": {"code": HOSTILE},
    "recuse/not_reviewer": {},
    "recuse/nothing_pending": {},
    "recuse/reason": {"preset": "", "reason": HOSTILE},
    "recuse/told_admins": {
        "project": CANDIDATE,
        "reviewer": HOSTILE,
        "preset": "",
        "reason": HOSTILE,
        "left": 4,
        "per_candidate": 5,
    },
    "ranking/table": {
        "stage": ASSESS,
        "phase": "open",
        "now": WHEN,
        "sort": "calibrated",
        "lines": [RANKED_LINE, {"row": UNRANKED, "place": {"calibrated": "–", "raw": "–"}}],
        "submitted": 3,
        "assigned": 9,
        "limits": RANKING_LIMITS,
        "page": 1,
        "pages": 2,
        "clip": 30,
    },
    "ranking/flag": {"flag": "few_reviews", "line": RANKED_LINE, "limits": RANKING_LIMITS},
    "ranking/detail": {
        "line": RANKED_LINE,
        "limits": RANKING_LIMITS,
        "means": [(CAMPAIGN.criteria[0], 7.5)],
        "reviewers": [{"number": 1, "total": 45.0, "comment": HOSTILE}],
        "most": 60.0,
        "recused": 1,
        "vote": CLOSED_VOTE,
        "comment_clip": 1000,
    },
    "recuse/too_long": {"length": 600, "limit": 500},
    "recuse/type": {"project": CANDIDATE, "minutes": 30},
    "recuse/unknown": {"code": HOSTILE},
    "recuse/usage": {},
    "review_progress/screen": {
        "stage": ASSESS,
        "now": WHEN,
        "candidates": [
            {
                "kind": "candidate",
                "project": CANDIDATE,
                "assigned": 4,
                "submitted": 2,
                "recused": 1,
                "vote": {"open": True, "recommend": 3, "undecided": 1, "not_yet": 0},
            }
        ],
        "reviewers": [
            {"kind": "reviewer", "name": HOSTILE, "assigned": 3, "submitted": 1, "recused": 1}
        ],
        "submitted": 2,
        "assigned": 4,
        "recused": 1,
        "page": 1,
        "pages": 2,
    },
    # stage 3's selection of the pacesetters (handlers/pacesetters.py)
    "pacesetters/line": {"row": RANKED},
    "pacesetters/flags": {"flags": list(FLAGS)},
    "pacesetters/screen": {
        "stage": ASSESS,
        "last": Round(1, 1, WHEN),
        "recorded": 2,
        "chosen": 1,
        "candidates": 12,
        "rows": [{"row": RANKED, "in": True}, {"row": UNRANKED, "in": False}],
        "page": 1,
        "pages": 2,
    },
    "pacesetters/confirm": {
        "named": 1,
        "changed": True,
        "ins": [RANKED],
        "outs": [UNRANKED],
        "flagged": [RANKED, RANKED],
        "first": True,
        "newly_in": [],
        "newly_out": [],
    },
    "pacesetters/done": {"ins": [RANKED, UNRANKED], "named": 1},
    "pacesetters/cancelled": {},
    "pacesetters/closed": {"stage": ASSESS},
    "pacesetters/no_candidates": {},
    "pacesetters/unknown": {"codes": [HOSTILE, "P9"]},
    "pacesetters/none_chosen": {},
    "pacesetters/unchanged": {},
    "pacesetters/told": {
        "correction": False,
        "selected": [CANDIDATE],
        "not_selected": [CANDIDATE],
        "next_stage": CAMPAIGN.stage("consolidate"),
        "deliverables": CAMPAIGN.deliverables,
    },
    "pacesetters/closed_summary": {
        "stage": ASSESS,
        "done": 30,
        "assigned": 40,
        "missing": [(HOSTILE, 3), ("Rita", 1)],
        "flagged": [RANKED],
    },
}

# More values for templates with branches, so that every branch renders in every locale.
SUBMITTED = Application(7, 2, "submitted", None, 1, WHEN, None, None, 1)
DECLINED = Application(7, 2, "declined", HOSTILE, 1, WHEN, 2, WHEN, 1)
NOMINATED = Application(7, 2, "nominated", None, 1, WHEN, None, None, 1)
DRAFT = Application(7, 2, "draft", None, None, None, None, None, 1)
SKIPPED = Answer(SECTION.key, "skipped", None, ())
ONE_FILE = Answer(FILES.key, "done", None, (Part(9, 5, "video", ""),))
GRANTS = [
    RoleGrant(1, "secretary", 1, None, HOSTILE, None),
    RoleGrant(1, "admin", None, None, None, None),
]
VARIANTS: dict[str, list[dict]] = {
    "export/screen": [
        {"first": None, "last": None, "pages": 1},
        {"first": WHEN.date(), "last": None},
        {"first": None, "last": WHEN.date()},
    ],
    "export/building": [{"done": []}],
    "booklet_chat/confirm": [{"count": 1}],
    "booklet_chat/done": [
        {"count": 1, "too_big": [], "told": 1, "kept": 1},
        {"told": 0, "kept": 0},
        {"told": 0, "shut": True},
    ],
    "pacesetters/screen": [{"last": None, "recorded": None, "pages": 1}],
    "pacesetters/confirm": [
        {"changed": False, "outs": [], "flagged": [], "first": False, "newly_in": [RANKED]},
        {"ins": [RANKED, UNRANKED], "named": 20},
        {"first": False, "newly_out": [UNRANKED]},
    ],
    "pacesetters/told": [
        {"correction": True, "not_selected": []},
        {"correction": True, "selected": []},
    ],
    "pacesetters/closed_summary": [{"missing": [], "flagged": []}],
    "review/card": [
        {"said": None, "position": None, "phase": "before", "others": []},
        {"said": "same", "phase": "closed"},
        {"said": None, "phase": "closed", "review": DRAFT_REVIEW},
        {"edited": False},
        {"review": DRAFT_REVIEW, "values": {}},
        {"review": DRAFT_REVIEW, "edited": False},
    ],
    "review/comment_ask": [{"comment": HOSTILE}],
    "review/missing": [{"missing": list(CAMPAIGN.criteria[:1])}],
    "review/not_assigned": [{"review": REVIEW}],
    "review/score_usage": [{"typed": Typed(problem="count", given="2")}],
    "assign/nothing": [{"candidates": 2, "reviewers": 0}],
    "assign/preview": [
        {
            "changed": False,
            "stage": ASSESS,
            "candidates": 1,
            "reviewers": 1,
            "per_candidate": 0,
            "added": 1,
            "kept": 0,
            "least": 1,
            "most": 1,
            "short": [],
            "short_more": 0,
            "conflicts": 0,
        }
    ],
    "people/unit": [
        {"unit": None, "removable": 0, "pages": 1},
        {"count": 0, "removable": 0, "pages": 1},
    ],
    "people/removed": [{"withdrawn": 0}],
    "errors/set_aside_admin": [{"count": 1, "names": []}],
    "common/stale": [{"command": None}],
    "select/announced": [{"failed": 0}],
    "apply/missing": [{"missing": [SECTION]}],
    "apply/preview": [
        {"application": SUBMITTED, "answers": {}, "missing": [], "editable": False},
        {"application": DRAFT, "missing": [], "saved_amount": Decimal("125000")},
        {"application": SUBMITTED, "editable": True, "missing": [SECTION]},
    ],
    "apply/section": [
        {"section": SECTION, "answer": None, "saved_amount": Decimal("1")},
        {"section": SECTION, "answer": SKIPPED},
        {"section": BUDGET, "answer": ANSWERS[BUDGET.key]},
        {"section": BUDGET, "answer": None},
        {"section": FILES, "answer": ANSWERS[FILES.key]},
        {"section": FILES, "answer": ONE_FILE},
        {"section": FILES, "answer": None},
    ],
    "apply/preview_answer": [
        {"answer": SKIPPED},
        {"section": BUDGET, "answer": ANSWERS[BUDGET.key]},
        {"section": FILES, "answer": ANSWERS[FILES.key]},
        {"answer": None},
        {"section": FILES, "answer": None},
    ],
    "apply/preview_fixed": [{"missing": [], "section": BUDGET, "number": 10}],
    "apply/status": [
        {"application": SUBMITTED},
        {"application": DECLINED},
        {"application": DRAFT},
    ],
    "apply/wants_number": [{"sent": ""}],
    "apply/wants_text": [{"files_section": None}],
    "fallback/file": [{"roles": []}],
    "fallback/text": [
        {"roles": []},
        {"roles": ["lead"]},
        {"roles": ["member"], "apply_open": False},
        {"roles": ["lead"], "apply_open": False, "cultivating": "open"},
        {"roles": ["admin"], "apply_open": False, "cultivating": "closed"},
    ],
    "group/bind_choose": [{"thread_id": None}],
    "group/bind_choose_unit": [{"thread_id": 7}],
    "group/bound": [{"thread_id": 4, "project": None}],
    "group/not_bound": [{"thread_id": 2}],
    "group/target": [{"project": PROJECT}],
    "group/unbound": [{"thread_id": None}],
    "help/help": [
        {"roles": ROLES, "apply_open": False, "stage": None, "next_stage": None},
        {"roles": [], "stage": None, "next_stage": CAMPAIGN.stages[1]},
        {"roles": ["lead"], "apply_open": True},
        {"roles": ["secretary"], "apply_open": True, "template": False},
        {"roles": ROLES, "apply_open": False, "cultivating": True, "stage": CAMPAIGN.stages[1]},
    ],
    "help/stage_line": [{"stage": STAGE}, {"next_stage": None}],
    "import/done": [
        {"counts": ImportCounts(), "checking": 0},
        {"counts": ImportCounts(units_added=1), "checking": 1},
        {"sheet": Sheet([], 1, (("unit_code", "unit_code"),), (), (), 0)},
        {"sheet": Sheet([], 1, (), (), (Problem(2, "skip_header_again"),) * 31, 1)},
    ],
    "import/checked": [
        {"total": 1, "present": 0, "absent": [], "unknown": 0},
        {"absent": [OrgRow(4, "U1", "u", "P1", "p", -1001)] * 31, "present": 0},
    ],
    "import/refused": [
        {"problems": [Problem(3, "empty", {"column": "unit_code"})]},
        {"problems": [Problem(i, "empty", {"column": "unit_code"}) for i in range(1, 34)]},
    ],
    "invite/accepted": [{"grant": GRANTS[0]}, {"grant": GRANTS[1]}],
    "broadcast/audience_phrase": [
        {"audience": audience, "unit": ""}
        for audience in ("groups", "secretary", "lead", "member", "reviewer", "admin")
    ],
    "broadcast/units": [{"found": 0}, {"pages": 1}],
    "broadcast/nobody": [
        {"reach": BroadcastReach([], [], 1)},
        {"reach": BroadcastReach([], [], 0)},
        {"audience": "groups", "reach": BroadcastReach([], [], 0)},
    ],
    "broadcast/confirm": [
        {"audience": "member", "unit": "", "reach": BroadcastReach([], [7], 0), "held_until": None},
        {
            "audience": "admin",
            "unit": "",
            "reach": BroadcastReach([], [7, 8], 1),
            "held_until": None,
        },
    ],
    "broadcast/report": [
        {"held_until": None},
        {
            "report": Report("c", 1, "broadcast/report", "en", {}, 2, 320, 0),
            "people": 2,
            "failed": 0,
            "why": {},
        },
    ],
    "people/confirm_remove": [{"until": None}],
    "people/leave_told": [{"until": None}],
    "report/step": [
        {"step": step, "project": None, "criterion": None, "captions_used": False}
        for step in ("ask", "project", "activity", "date", "participants", "media", "tags")
    ]
    + [
        {"step": "description", "report": dataclasses.replace(ACTIVITY_REPORT, description="")},
        {"step": "description"},
        {"step": "media", "media": {"photo": 0, "video": 0, "document": 0}},
        {
            "step": "files",
            "files": [
                Media("photo", "f1", "u1", None, 100, HOSTILE, 1, id=1),
                Media("video", "f2", "u2", None, 100, "", 2, id=2),
                Media("document", "f3", "u3", HOSTILE, 100, "", 3, id=3),
            ],
        },
        {
            "step": "files",
            "report": dataclasses.replace(ACTIVITY_REPORT, state="saved"),
            "files": [Media("photo", "f1", "u1", None, 100, "", 1, id=1)],
        },
        {"report": dataclasses.replace(ACTIVITY_REPORT, state="saved")},
        {
            "report": EMPTY_REPORT,
            "activity": None,
            "criterion": None,
            "media": {"photo": 0, "video": 0, "document": 0},
        },
    ],
    "report/card": [
        {"criterion": None, "cut": 3000, "media": {"photo": 1, "video": 0, "document": 0}},
        {"marked_by": None, "unmarked_by": PERSON},
    ],
    "report/saved": [{"groups": 0}, {"changed": True}],
    "highlights/list": [
        {"count": 0},
        {"count": 0, "unit": None},
        {"count": 0, "unit": None, "criterion": CAMPAIGN.criteria[0]},
        {"unit": None, "criterion": CAMPAIGN.criteria[0]},
        {"unit": None, "pages": 1},
    ],
    "highlights/item": [{"item": HIGHLIGHT_ITEM | {"star": True, "photos": 0, "activity": None}}],
    "highlights/newest": [{"count": 0}, {"picking": False}, {"count": 0, "picking": False}],
    "highlights/units": [{"count": 0}],
    "highlights/done_marked": [{"chats": 0}],
    "highlights/told_marked": [{"chats": 0}],
    "charts/ranking": [{"count": 1}],
    "charts/radar": [{"row": dataclasses.replace(RANKED, reviews=1)}],
    "coach/ask": [{"report": None, "activity": None}],
    "coach/sent": [{"unreachable": 0}],
    "coach/told": [{"report": None, "activity": None}],
    "progress/view": [
        {"view": "secretary", "count": 1, "pages": 1},
        {"view": "member", "count": 1},
        {"count": 0},
        {
            "items": [
                {
                    "progress": Progress(1, HOSTILE, 1, HOSTILE, {}, frozenset(), WHEN.date()),
                    "months": [],
                    "missing": [],
                    "quiet": False,
                    "highlights": 1,
                    "comment": None,
                }
            ]
        },
    ],
    "report/too_big": [{"kind": "document"}],
    "report/quota": [
        {"which": "total", "used": 0, "limit": 20480},
        {"which": "disk", "used": 0, "limit": 0},
    ],
    "report/wrong_input": [{"step": "participants"}, {"step": "description"}, {"step": "activity"}],
    "report/bad_day": [{"day": WHEN.date(), "reason": "old"}],
    "remind/lead": [{"opening": True}],
    "remind/stage": [{"opening": True}],
    "remind/admin": [{"opening": True, "waiting": 1}],
    "leave/status": [{"until": None}],
    "remind/confirm": [{"reach": Reach(0, 0, None)}],
    "remind/cultivate_closed": [{"candidates": 1, "reported": 1, "silent": []}],
    "remind/not_now": [{"ahead": True}, {"hold": ByHand(WHEN, True, None)}],
    "remind/closed_admin": [
        {"late": [], "missing": 0, "projects": 1, "unreachable": 1, "secretaries": []},
        {"late": [UnitDelivery(1, HOSTILE, 1, (HOSTILE,))], "missing": 1, "units": 2},
        {"late": [UnitDelivery(1, HOSTILE, 1, (HOSTILE,))], "missing": 1, "units": 1},
    ],
    "remind/closed_unit": [{"unit": UnitDelivery(1, HOSTILE, 1, (HOSTILE,))}],
    "remind/project_chat": [
        {"chat": ProjectChat(-1, 0, 2, HOSTILE, None, 0), "unreachable": []},
        {"chat": ProjectChat(-1, 0, 2, HOSTILE, "returned", 11), "opening": True},
        {"chat": ProjectChat(-1, 0, 2, HOSTILE, "submitted", 11)},
    ],
    "apply/docx_read": [
        {"found": [SECTION], "unsure": [BUDGET], "empty": []},
        {
            "found": CAMPAIGN.sections,
            "too_long": [],
            "unread_amounts": [BUDGET],
            "amounts": {},
            "pictures": 1,
            "left_out": 0,
        },
    ],
    "apply/docx_unreadable": [{"too_big": True, "limit_mb": 20}],
    "apply/docx_old_format": [{"filename": ""}],
    "apply/amount_confirm": [{"doubt": "low", "amount": Decimal("12.5")}, {"doubt": "high"}],
    "apply/docx_unsafe": [
        {"reason": "entry_size", "limit": 50},
        {"reason": "xml_size", "limit": 10},
        {"reason": "total_size", "limit": 100},
        {"reason": "ratio", "limit": 200},
    ],
    "invite/choose_project": [{"page": 1, "pages": 1}],
    "invite/choose_unit": [{"page": 1, "pages": 1}],
    "invite/created": [{"grant": GRANTS[0]}],
    "invite/redeemed": [{"grant": GRANTS[1]}],
    "invite/revoked_done": [{"grant": GRANTS[0]}],
    "nominate/actions": [
        {"done": "unnominated", "application": SUBMITTED},
        {"done": "returned"},
        {"done": None, "application": DECLINED},
    ],
    "nominate/list": [
        {"total": 1, "used": 0, "count": 1, "pages": 1, "open": False},
        {"count": 0},
        {"count": 2, "pages": 1},
    ],
    "select/actions": [
        {"done": "accepted"},
        {"done": None, "application": NOMINATED},
        {"done": None, "application": NOMINATED, "summary": summary(CAMPAIGN.sections, {})},
        {"done": None, "left": 0},
    ],
    "apply/card": [
        {"application": SUBMITTED, "summary": summary(CAMPAIGN.sections, {})},
        {"summary": dataclasses.replace(SUMMARY, required_missing=0)},
        {"summary": dataclasses.replace(SUMMARY, required_missing=0, files=0)},
    ],
    "select/deadline_moved": [
        {"reopened": False, "earlier": False},
        {"reopened": False, "earlier": True, "closed_now": False},
        {"reopened": False, "earlier": True, "closed_now": True},
    ],
    "select/extend_confirm": [
        {"people": 1, "shorter": True},
        {"shorter": True, "past": True},
        {"overlaps": CAMPAIGN.stages[1]},
    ],
    "select/overview": [
        {"units": [], "silent": [], "waiting": 0},
        {"units": [], "waiting": 1},
        {"silent": [UNIT], "waiting": 1},
    ],
    "start/welcome": [
        {"roles": [], "stage": None, "next_stage": CAMPAIGN.stages[1]},
        {"stage": None, "next_stage": None},
    ],
    "deliverables/ask": [{"typed": 120}, {"item": WRITEUP, "stored": TYPED_WRITEUP}],
    "deliverables/items": [
        {"items": [{**DELIVERED_ITEMS[2], "booklet": Booklet(2, "none")}]},
        {"items": [{**DELIVERED_ITEMS[2], "booklet": Booklet(2, "approved", 1)}]},
    ],
    "deliverables/overview": [
        {"checklists": [], "total": 0, "pages": 1},
        {"checklists": [{**CHECKLIST, "complete": True}]},
    ],
    "deliverables/overview_items": [
        {"items": [{**DELIVERED_ITEMS[2], "booklet": Booklet(2, "none")}]},
        {"items": [{**DELIVERED_ITEMS[2], "booklet": Booklet(2, "approved", 1)}]},
        {
            "items": [
                {**DELIVERED_ITEMS[0], "stored": None},
                {**DELIVERED_ITEMS[1], "stored": VIDEO_LINK},
            ]
        },
        {
            "items": [
                {
                    **DELIVERED_ITEMS[1],
                    "stored": dataclasses.replace(
                        VIDEO_LINK, content=DeliveredContent("link", text="https://example.org/v")
                    ),
                }
            ]
        },
        {
            "items": [
                {
                    **DELIVERED_ITEMS[1],
                    "stored": dataclasses.replace(
                        BIG_VIDEO, content=DeliveredContent("video", None, "v", "u", None, 2**20)
                    ),
                }
            ]
        },
        {
            "items": [
                {
                    **DELIVERED_ITEMS[0],
                    "stored": dataclasses.replace(
                        TYPED_WRITEUP,
                        content=DeliveredContent("document", None, "d", "u", HOSTILE, 3000),
                    ),
                }
            ]
        },
    ],
    "deliverables/platform": [
        {"site": "tencent"},
        {"site": "channels"},
        {"site": "douyin"},
        {"site": "youku"},
    ],
    "deliverables/preview": [
        {"content": TYPED_WRITEUP.content, "item": WRITEUP, "shown": HOSTILE, "replaces": None},
        {"content": VIDEO_LINK.content},
        {"content": DeliveredContent("link", text="https://example.org/v")},
        {"content": DeliveredContent("document", None, "d", "u", HOSTILE, 3000)},
    ],
    "deliverables/screen": [{"complete": True}, {"closed": True}],
    "deliverables/stored": [
        {"stored": TYPED_WRITEUP},
        {"stored": VIDEO_LINK},
        {"stored": Delivered(4, 2, "x", DeliveredContent("link", text="https://a.org/v"), 1, WHEN)},
        {
            "stored": Delivered(
                4, 2, "x", DeliveredContent("document", None, "d", "u", "a.pdf", 9), 1, WHEN
            )
        },
    ],
    "deliverables/wrong_input": [{"item": WRITEUP}, {"item": None}],
    "final/ask": [{"typed": 120}, {"stored": None}],
    "final/preview": [
        {"content": TEXT_FINAL.content, "shown": HOSTILE, "replaces": None},
        {"content": Content("photo", file_id="p"), "replaces": FILE_FINAL},
    ],
    "final/stored": [
        {"stored": FILE_FINAL},
        {"stored": Final(3, 2, "x", Content("photo"), 1, WHEN)},
    ],
    "final/wrong_input": [{"item": None}],
    "evidence/final_caption": [{"final": Final(3, 2, "x", Content("photo"), 1, WHEN)}],
    "evidence/photo": [{"activity": None}, {"day": None}, {"activity": None, "day": None}],
    "review/evidence": [
        {"evidence": Evidence(project=PROJECT, unit=UNIT)},
        {
            "evidence": dataclasses.replace(
                EVIDENCE, finals={"results": Final(3, 2, "results", Content("photo"), 1, WHEN)}
            )
        },
    ],
    "group/bound_campaign": [{"thread_id": 4}],
    "vote/card": [{"vote": dataclasses.replace(OPEN_VOTE, closed_by=1, closed_at=WHEN)}],
    "vote/open_already": [{"here": False}],
    "remind/deliverables_chat": [{"opening": False}],
    "remind/deliverables_lead": [{"opening": True}],
    "deliverables/closed_summary": [
        {"complete": [], "files": []},
        {"incomplete": [], "files": []},
    ],
    "remind/final_chat": [{"opening": False}],
    "remind/final_lead": [{"opening": True}],
    "remind/reviewer": [{"opening": True, "left": 1}],
    "ranking/table": [
        {"phase": "before", "sort": "raw", "lines": [], "pages": 1},
        {"phase": "closed", "assigned": 1, "submitted": 1},
    ],
    "ranking/flag": [
        {"flag": "spread_total"},
        {"flag": "spread_criterion"},
        {"flag": "rank_moved"},
        {"flag": "other"},
    ],
    "ranking/detail": [
        {
            "line": {"row": UNRANKED, "place": {"calibrated": "–", "raw": "–"}},
            "means": [],
            "reviewers": [{"number": 1, "total": 0.0, "comment": None}],
            "vote": None,
        },
        {"reviewers": []},
    ],
    "recuse/cancelled": [{"project": None}],
    "recuse/confirm": [{"preset": "unit", "reason": ""}],
    "recuse/done": [{"preset": "conflict", "reason": ""}],
    "recuse/reason": [{"preset": "unit", "reason": ""}, {"preset": "conflict", "reason": ""}],
    "recuse/told_admins": [{"per_candidate": 0, "left": 1, "preset": "unit", "reason": "x"}],
    "review_progress/screen": [
        {
            "candidates": [
                {
                    "kind": "candidate",
                    "project": CANDIDATE,
                    "assigned": 1,
                    "submitted": 0,
                    "recused": 0,
                    "vote": {"open": False, "recommend": 0, "undecided": 0, "not_yet": 2},
                }
            ],
            "reviewers": [
                {"kind": "reviewer", "name": HOSTILE, "assigned": 1, "submitted": 0, "recused": 0}
            ],
            "recused": 0,
            "pages": 1,
        },
        {"candidates": [], "reviewers": [], "assigned": 0, "recused": 0, "pages": 1},
    ],
    "whoami/role_line": [{"grant": GRANTS[0]}, {"grant": GRANTS[1]}],
    "whoami/role_phrase": [
        {"grant": GRANTS[0]},
        {"grant": GRANTS[1]},
        {"grant": RoleGrant(1, "member", 2, 3, HOSTILE, HOSTILE)},
        {"grant": RoleGrant(1, "reviewer", None, None, None, None)},
    ],
    "whoami/whoami": [{"roles": []}],
}


def _samples() -> list[tuple[str, str, dict]]:
    """(id, key, values): every template with its sample, then with each variant laid over it."""
    return [(key, key, SAMPLES[key]) for key in sorted(SAMPLES)] + [
        (f"{key}~{n}", key, SAMPLES[key] | variant)
        for key in sorted(VARIANTS)
        for n, variant in enumerate(VARIANTS[key], 1)
    ]


SAMPLE_CASES = [pytest.param(key, values, id=case) for case, key, values in _samples()]


MSGS = Messages(CAMPAIGN.timezone, clock=lambda: WHEN)  # this year: 2027


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_the_same_templates_and_labels(locale):
    assert MSGS.template_keys(locale) == MSGS.template_keys("en")
    assert MSGS.label_keys(locale) == MSGS.label_keys("en")


def test_every_template_has_a_sample():
    assert MSGS.template_keys("en") == set(SAMPLES)
    assert set(VARIANTS) <= set(SAMPLES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("key", "sample"), SAMPLE_CASES)
def test_template_renders_valid_telegram_html_with_user_text_escaped(locale, key, sample):
    text = MSGS.text(locale, key, campaign=CAMPAIGN, **sample)
    parsed = parse_html(text)  # strict: raises on anything Telegram would refuse
    assert parsed.text.strip()
    assert "<script>" not in text
    values = sample.values()
    if any(value in (HOSTILE, [HOSTILE], GRANT, UNIT, PERSON) for value in values):
        assert HOSTILE in parsed.text  # arrived intact, neither lost nor double-escaped


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("key", "sample"), SAMPLE_CASES)
def test_alerts_are_plain_text_within_telegrams_limit(locale, key, sample):
    alert = MSGS.alert(locale, key, campaign=CAMPAIGN, **sample)
    # What Telegram would show for the same template as a message, cut to 200 characters.
    plain = parse_html(MSGS.text(locale, key, campaign=CAMPAIGN, **sample)).text
    assert alert == (plain if len(plain) <= 200 else plain[:199] + "…")


# Every value some label takes.
LABEL_ARGS = {
    "name": HOSTILE,
    "found": "x",
    "expected": 4,
    "column": "c",
    "value": "v",
    "limit": 1,
    "code": "P",
    "first_line": 1,
    "unit": "U",
    "reason": "r",
    "number": 3,
    "count": 12,
    "rows": 10,
    "missing": "m",
    "text": "t",
    "columns": "序号",
    "role": "Project lead",
    "status": "submitted",
    "days": 7,
    "stages": "x",
    "item": "x",
    "rank": 12,
    "n": 10,
    "stage": "s",
    "title": "t",
    "first": 1,
    "last": 25,
    "max": 60,
    "campaign": "c",
    "day": "2027-11-20",
    # the results booklet's
    "criterion": "c",
    "mean": "7.50",
    "scale": 10,
    "score": "80.00",
    "amount": "5,000",
    "project": "p",
    "year": 2027,
    "month": 1,
    # the export's deliverables sheet
    "start": "s",
    "chars": 300,
    "size": 12.5,
    "comment": "c",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_labels_render_and_fit_buttons(locale):
    for key in MSGS.label_keys(locale):
        label = MSGS.label(locale, key, **LABEL_ARGS)
        assert label.strip()
        if key.startswith("cmd_"):
            assert 1 <= len(label) <= 256


TRANSLATED = [locale for locale in LOCALES if locale != SOURCE_LOCALE]


def _catalog(locale: str) -> Catalog:
    with catalog_path(ROOT, locale).open("rb") as handle:
        return read_po(handle, locale=locale.replace("-", "_"))


def _ids(catalog: Catalog) -> set[tuple[str | None, str | tuple[str, ...]]]:
    """(msgctxt, msgid) of every entry but the header; a plural's msgid is a tuple."""
    return {(message.context, message.id) for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[tuple[str | None, str | tuple[str, ...]]]:
    """What `pybabel extract` finds, run as messages/README.md tells a translator to."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    config = str(ROOT / "babel.cfg")
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", config, "-c", "Translators:", "-o", str(pot), str(ROOT)]
    )
    with pot.open("rb") as handle:
        return _ids(read_po(handle))


def test_extraction_finds_the_templates_and_the_labels(extracted):
    assert ("submit", "✅ Submit") in extracted
    assert (None, "This button is out of date. Send /%(command)s for a current one.") in extracted
    assert len({context for context, _ in extracted if context}) == len(MSGS.label_keys("en"))


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_holds_every_string_in_use_and_no_other(locale, extracted):
    """Fails after a template or label changes until `pybabel update` (messages/README.md)."""
    catalog = _catalog(locale)
    assert sorted(extracted - _ids(catalog), key=str) == []  # missing from the catalog
    assert sorted(_ids(catalog) - extracted, key=str) == []  # no longer used
    assert list(catalog.obsolete) == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_entries_are_translated_with_the_same_placeholders(locale):
    catalog = _catalog(locale)
    unfinished = [
        message.id
        for message in catalog
        if message.id
        and (message.fuzzy or not all(message.string if message.pluralizable else [message.string]))
    ]
    assert unfinished == []  # a fuzzy or empty msgstr would show the English
    assert not catalog.fuzzy
    assert [(message.id, errors) for message, errors in catalog.check()] == []


class _Untranslated:
    """The fallback that gettext asks when the catalog has no translation: notes the msgid."""

    def __init__(self) -> None:
        self.msgids: set[str] = set()

    def gettext(self, message: str) -> str:
        self.msgids.add(message)
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.msgids.add(singular)
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        self.msgids.add(f"{context}: {message}")
        return message


@pytest.mark.parametrize("locale", TRANSLATED)
def test_chinese_readers_see_no_untranslated_english(locale):
    msgs = Messages(CAMPAIGN.timezone)
    untranslated = _Untranslated()
    msgs._translations[locale].add_fallback(untranslated)  # reached only on a miss
    for _, key, values in _samples():
        msgs.text(locale, key, campaign=CAMPAIGN, **values)
    for key in msgs.label_keys(locale):
        msgs.label(locale, key, **LABEL_ARGS)
    assert sorted(untranslated.msgids) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_user_text_is_escaped_once_and_the_words_keep_their_markup(locale):
    escaped = str(markupsafe.escape(HOSTILE))  # what Jinja's autoescape makes of it
    people = {"application": APPLICATION, "project": PROJECT, "unit": UNIT, "by": PERSON}
    told = MSGS.text(locale, "nominate/told_returned", **people)  # a {% trans %} block
    assert f"<b>{escaped}</b>" in told
    assert f"<blockquote>{escaped}</blockquote>" in told
    status = MSGS.text(locale, "apply/status", application=DECLINED, project=PROJECT)  # _()
    assert f"<b>{escaped}</b>" in status
    assert status.endswith(escaped)
    listed = MSGS.text(locale, "nominate/list", **SAMPLES["nominate/list"])  # ngettext()
    assert listed.startswith(f"<b>{escaped}</b>")
    number = MSGS.text(locale, "apply/wants_number", section=BUDGET, sent=HOSTILE)
    assert escaped in number
    assert "<code>125000</code>" in number
    assert HOSTILE in MSGS.label(locale, "whole_unit", name=HOSTILE)  # labels are plain text


# Names the renderer uses itself; a template's variables may have them too.
RENDERER_NAMES = {"limit": 3, "locale": "<xx>", "key": "k", "self": "s"}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_template_variable_may_be_named_like_a_renderer_argument(locale, tmp_path):
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    shutil.copy(ROOT / "labels.toml", tmp_path)
    (tmp_path / "templates" / "test").mkdir(parents=True)
    (tmp_path / "templates" / "test" / "names.html").write_text(
        '{{ limit }} {{ locale }} {{ key }} · {{ label("csv_too_long", column="c", **names) }}'
    )
    msgs = Messages(CAMPAIGN.timezone, root=tmp_path)
    too_long = msgs.label(locale, "csv_too_long", column="c", **RENDERER_NAMES)
    assert too_long == MSGS.label(locale, "csv_too_long", column="c", limit=3)
    expected = f"3 &lt;xx&gt; k · {too_long}"
    names = RENDERER_NAMES | {"names": RENDERER_NAMES}
    assert msgs.text(locale, "test/names", **names) == expected
    assert msgs.texts(locale, "test/names", **names) == [expected]
    assert msgs.alert(locale, "test/names", **names) == html.unescape(expected)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_long_comment_is_refused_in_words_not_split_at_its_limit(locale):
    """`limit` reaches the template: it used to be taken as the length to split at."""
    for render in (MSGS.text, MSGS.texts, MSGS.alert):
        shown = str(render(locale, "nominate/comment_too_long", length=1500, limit=1000))
        assert "1500" in shown
        assert "1000" in shown
    assert "50" in MSGS.text(locale, "apply/too_many_files", limit=50)


def test_catalogs_templates_and_labels_are_packaged():
    """A plain `pip install .` must carry every file that Messages reads."""
    config = tomllib.loads((ROOT.parent / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["messages"]
    needed = {
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*")
        if path.suffix in (".html", ".toml", ".po", ".cfg")
    }
    # The same recursive glob setuptools applies to package-data patterns.
    packaged = {
        found for pattern in patterns for found in glob.glob(pattern, root_dir=ROOT, recursive=True)
    }
    assert {"labels.toml", "babel.cfg", "locales/zh_Hans/LC_MESSAGES/messages.po"} <= needed
    assert sorted(needed - packaged) == []


def test_dates_are_shown_in_the_campaign_time_zone():
    en = MSGS.text("en", "invite/expired", expires_at=WHEN, campaign=CAMPAIGN)
    zh = MSGS.text("zh-Hans", "invite/expired", expires_at=WHEN, campaign=CAMPAIGN)
    assert "15 Jan 18:00" in en  # 10:00 UTC is 18:00 in Asia/Shanghai
    assert "1月15日 18:00" in zh


def test_a_long_message_splits_into_valid_parts():
    lines = [f"<b>{i}</b> {html.escape(HOSTILE)} " + "字" * 90 for i in range(200)]
    text = "<i>" + "\n".join(lines) + "</i>"
    parts = split_html(text)
    assert len(parts) > 1
    for part in parts:
        parsed = parse_html(part)
        assert 0 < utf16_len(parsed.text) <= 4096
    joined = "".join(parse_html(p).text for p in parts)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", parse_html(text).text)


_piece = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30).map(html.escape),
    st.sampled_from(["\n", "<b>", "</b>", "<i>", "</i>", "&amp;", "🙂", "\n\n", SECTION_BREAK]),
)


@given(st.lists(_piece, max_size=80), st.integers(min_value=20, max_value=200))
def test_split_parts_are_valid_and_lose_no_text(pieces, limit):
    text = _balanced("".join(pieces))
    if not parse_html(text, strict=True).text.strip():
        return
    parts = split_html(text, limit)
    for part in parts:
        assert visible_length(part) <= limit
        parse_html(part)
    joined = "".join(parse_html(p).text for p in parts)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", parse_html(text).text)


def test_a_long_text_is_cut_at_its_section_breaks_when_it_has_them():
    sections = [f"<b>{i}. Section</b>\n" + "字" * 1500 + "\n" for i in range(1, 6)]
    text = "Heading\n\n" + "".join(SECTION_BREAK + section for section in sections)
    parts = split_html(text)
    assert [p[:5] for p in parts] == ["Headi", "<b>3.", "<b>5."]  # never inside a section
    assert all(SECTION_BREAK not in p and visible_length(p) <= 4096 for p in parts)
    # Short enough for one message: the marks are simply gone.
    assert split_html(f"a{SECTION_BREAK}b") == ["ab"]


def _balanced(text: str) -> str:
    """Drop tags that would not nest, so the input itself is valid."""
    out, stack = [], []
    for token in re.split(r"(</?[bi]>)", text):
        if token in ("<b>", "<i>"):
            stack.append(token[1])
            out.append(token)
        elif token in ("</b>", "</i>"):
            if stack and stack[-1] == token[2]:
                stack.pop()
                out.append(token)
        else:
            out.append(token)
    return "".join(out) + "".join(f"</{t}>" for t in reversed(stack))


# Names and terms that fill a Chinese sentence: no space may stand between them and the
# Chinese around them ("陈丽已接受", not "陈丽 已接受"). Numbers, dates and codes may keep theirs.
_NAMED = "name|person|project|unit|stage|role|lead|by|target|section|file|title"
_CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
_PLACEHOLDER = rf"(?:<b>)?%\((?:{_NAMED})\)s(?:</b>)?"
_SPACED_NAME = re.compile(rf"{_CJK} +{_PLACEHOLDER}|{_PLACEHOLDER} +{_CJK}")


@pytest.mark.parametrize("locale", TRANSLATED)
def test_chinese_sentences_hold_names_without_spaces(locale):
    spaced = [
        text
        for message in _catalog(locale)
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if _SPACED_NAME.search(text)
    ]
    assert spaced == []


@pytest.mark.parametrize("locale", LOCALES)
def test_amounts_carry_their_currency(locale):
    saved = MSGS.text(locale, "apply/section", **SAMPLES["apply/section"], saved_amount=125000)
    assert ("125,000元" if locale != "en" else "125,000 yuan") in saved, saved


@pytest.mark.parametrize(
    ("locale", "other_name"), [("zh-Hans", "主办方"), ("zh-Hant", "主辦方"), ("en", "organiser")]
)
def test_one_name_per_role(locale, other_name):
    """The admin role is called what its label says everywhere, not also "the organiser"."""
    texts = [MSGS.text(locale, key, campaign=CAMPAIGN, **sample) for key, sample in SAMPLES.items()]
    texts += [MSGS.label(locale, key, **LABEL_ARGS) for key in MSGS.label_keys(locale)]
    assert [text for text in texts if other_name in text] == []


@pytest.mark.parametrize("locale", LOCALES)
def test_help_links_the_guide_when_the_campaign_names_one(locale):
    url = "https://intranet.example.cn/guide"
    with_guide = dataclasses.replace(CAMPAIGN, guide_url=url)
    sample = SAMPLES["help/help"]
    assert url in MSGS.text(locale, "help/help", **{**sample, "campaign": with_guide})
    assert url not in MSGS.text(locale, "help/help", campaign=CAMPAIGN, **sample)
