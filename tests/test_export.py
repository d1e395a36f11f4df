"""The Excel export (bot/export.py, `pacesetter export`): sheets, rows, local dates, the unit
and date filters, reviewers anonymised, the pacesetters' deliverables, and formula-like texts
kept as text."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from bot import cli, export, ranking
from bot.campaign_load import load_campaign
from handlers.export import BUTTONS
from messages.render import Messages
from storage.db import Database
from storage.export import Scope
from tests.conftest import World, taps_at_once

NOW = datetime(2027, 9, 1, 16, 30, tzinfo=UTC)  # 2027-09-02 00:30 in Shanghai
FORMULA = '=HYPERLINK("http://evil.example","click")'
CRITERIA = ("ideology", "mechanism", "standards", "cohesion", "integration", "renewal")
CAMPAIGN_TZ = load_campaign().timezone
SHEETS = [
    "单位及名额", "申报书", "活动报告", "亮点", "评审专家评分", "排名", "入选标杆", "标杆成果材料"
]  # fmt: skip
WRITE_UP = FORMULA + "学习贯彻党的二十大精神" * 10  # typed: longer than its cell's start
FIX = "-请删去第2页"  # the lead's latest corrections to P1's chapter


@pytest.fixture
async def db(tmp_path):
    """Two units; U1 has P1 (accepted, 3 reports, one highlighted) and P2 (declined); U2 has
    P3 (accepted, 1 report). Reviewers 11 and 12 score P1 and P3; P1 and P3 are selected.
    P1 handed in a typed write-up (replacing another) and a video link, and sent corrections
    to its chapter's draft; P3 a document and a video without a name, and has no draft."""
    db = await Database.open(tmp_path / "export.db")
    stamp = NOW.isoformat()
    async with db.transaction(NOW) as tx:
        await tx.execute_many(
            "INSERT INTO people (user_id, first_name, last_name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(1, FORMULA, None, stamp, stamp), (11, "Wang", "Fang", stamp, stamp),
             (12, "Li", None, stamp, stamp)],
        )  # fmt: skip
        await tx.execute_many(
            "INSERT INTO units (id, code, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(1, "U1", "一公司", stamp, stamp), (2, "U2", "+二公司", stamp, stamp)],
        )
        await tx.execute_many(
            "INSERT INTO projects (id, unit_id, code, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(1, 1, "P1", "项目一", stamp, stamp), (2, 1, "P2", "@项目二", stamp, stamp),
             (3, 2, "P3", "项目三", stamp, stamp)],
        )  # fmt: skip
        await tx.execute_many(
            "INSERT INTO applications (project_id, status, submitted_at, created_by,"
            " created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
            [(1, "accepted", stamp, stamp, stamp), (2, "declined", stamp, stamp, stamp),
             (3, "accepted", stamp, stamp, stamp)],
        )  # fmt: skip
        await tx.execute_many(
            "INSERT INTO activity_reports (id, project_id, author_id, state, activity, held_on,"
            " description, criterion, created_at, updated_at, saved_at)"
            " VALUES (?, ?, 1, ?, 'theme_day', ?, ?, 'ideology', ?, ?, ?)",
            [(1, 1, "saved", "2027-05-01", "-5 分？不，是学习", stamp, stamp, stamp),
             (2, 1, "saved", "2027-06-15", FORMULA, stamp, stamp, stamp),
             (3, 1, "saved", "2027-07-20", "@all 集中学习", stamp, stamp, stamp),
             (4, 1, "deleted", "2027-06-16", "deleted", stamp, stamp, stamp),
             (5, 3, "saved", "2027-06-01", "项目三的活动", stamp, stamp, stamp)],
        )  # fmt: skip
        await tx.execute_many(
            "INSERT INTO report_media (report_id, kind, file_id, file_unique_id, message_id,"
            " added_at) VALUES (?, ?, ?, ?, 1, ?)",
            [(2, "photo", "a", "a", stamp), (2, "photo", "b", "b", stamp),
             (2, "video", "c", "c", stamp)],
        )  # fmt: skip
        await tx.execute(
            "INSERT INTO highlights (report_id, marked_by, marked_at) VALUES (2, 11, ?)", (stamp,)
        )
        for review_id, (reviewer, project) in enumerate(((11, 1), (12, 1), (12, 3)), start=1):
            await tx.execute(
                "INSERT INTO reviews (id, reviewer_id, project_id, state, assigned_at,"
                " submitted_at, changed_at) VALUES (?, ?, ?, 'submitted', ?, ?, ?)",
                (review_id, reviewer, project, stamp, stamp, stamp),
            )
            await tx.execute_many(
                "INSERT INTO review_scores (review_id, criterion, draft, submitted, set_at)"
                " VALUES (?, ?, 8, 8, ?)",
                [(review_id, key, stamp) for key in CRITERIA],
            )
        await tx.execute(
            "INSERT INTO pacesetter_rounds (id, made_by, made_at) VALUES (1, 11, ?)", (stamp,)
        )
        await tx.execute("INSERT INTO pacesetters (project_id, round_id) VALUES (1, 1), (3, 1)")
        await tx.execute_many(
            "INSERT INTO deliverables (project_id, item, kind, text, file_id, file_name, size,"
            " submitted_by, submitted_at, replaced_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            [(1, "experience", "text", "旧版本", None, None, None, stamp, stamp),
             (1, "experience", "text", WRITE_UP, None, None, None, stamp, None),
             (1, "video", "link", "https://v.qq.com/x/page/p1.html", None, None, None, stamp,
              None),
             (3, "experience", "document", None, "d", "典型经验.docx", 30_000, stamp, None),
             (3, "video", "video", None, "v", None, 12 * 2**20, stamp, None)],
        )  # fmt: skip
        await tx.execute(
            "INSERT INTO booklet_drafts (id, project_id, path, built_at) VALUES (1, 1, 'p1', ?)",
            (stamp,),
        )
        await tx.execute_many(
            "INSERT INTO booklet_verdicts (draft_id, verdict, comment, made_by, made_at)"
            " VALUES (1, 'corrections', ?, 1, ?)",
            [("照片太少", stamp), (FIX, stamp)],
        )
    try:
        yield db
    finally:
        await db.close()


async def written(db: Database, path: Path, **options) -> tuple[list, openpyxl.Workbook]:
    campaign = load_campaign()
    result = await ranking.load(db, campaign)
    counts = await asyncio.to_thread(
        export.write,
        path,
        db.path,
        campaign,
        Messages(campaign.timezone),
        export.Options(**options),
        result,
        {1, 3},
    )
    return counts, openpyxl.load_workbook(path)


def rows(sheet) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=2)]


async def test_every_sheet_with_its_headers_and_rows(db, tmp_path):
    counts, book = await written(db, tmp_path / "all.xlsx")
    assert book.sheetnames == SHEETS
    assert counts == list(zip(SHEETS, [2, 3, 4, 1, 18, 2, 2, 2], strict=True))
    units = book["单位及名额"]
    assert [c.value for c in units[1]] == [
        "单位代码",
        "单位",
        "项目数",
        "名额",
        "已推荐",
        "已确定为创建项目",
    ]
    assert rows(units) == [("U1", "一公司", 2, 1, 2, 1), ("U2", "+二公司", 1, 1, 1, 1)]
    reports = book["活动报告"]
    assert reports.freeze_panes == "A2" and reports.auto_filter.ref == "A1:J5"
    assert reports.column_dimensions["G"].width > 50  # the description is wide
    assert [r[6] for r in rows(reports)] == [
        "-5 分？不，是学习",
        FORMULA,
        "@all 集中学习",
        "项目三的活动",
    ]
    assert [r[7] for r in rows(reports)] == [0, 2, 0, 0]  # photos only, not the video
    assert rows(book["申报书"])[1][4:7] == ("不予确定", "是", "否")
    assert rows(book["入选标杆"]) == [
        ("P1", "项目一", "一公司", 1),
        ("P3", "项目三", "+二公司", 1),  # the same scores: a tie
    ]


async def test_the_deliverables_sheet_has_a_row_per_pacesetter_with_its_checklist(db, tmp_path):
    _, book = await written(db, tmp_path / "deliverables.xlsx")
    sheet = book["标杆成果材料"]
    assert [c.value for c in sheet[1]] == [
        "单位", "项目代码", "项目名称",
        "可复制的典型经验", "可复制的典型经验提交时间",
        "标杆创建微视频", "标杆创建微视频提交时间",
        "创建成果集", "创建成果集审定时间",
        "已齐全",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J3"
    assert sheet.column_dimensions["D"].width > 30  # what was handed in is wide
    handed_in = datetime(2027, 9, 2, 0, 30)  # local time
    assert rows(sheet) == [
        ("一公司", "P1", "项目一",
         f"{WRITE_UP[:100]}…（共{len(WRITE_UP)}字）", handed_in,  # the current version only
         "https://v.qq.com/x/page/p1.html", handed_in,
         f"已提修改意见：{FIX}", None,  # the latest corrections
         "否"),
        ("+二公司", "P3", "项目三",
         "典型经验.docx", handed_in,
         "未命名的文件，12.0 MB", handed_in,
         "尚未生成篇章稿", None,
         "否"),
    ]  # fmt: skip
    # A new draft of P1's chapter waits for the lead; P3's lead approves its first draft.
    approved = NOW + timedelta(days=1)
    async with db.transaction(approved) as tx:
        await tx.execute(
            "INSERT INTO booklet_drafts (id, project_id, path, built_at)"
            " VALUES (2, 1, 'p1b', ?), (3, 3, 'p3', ?)",
            (approved.isoformat(), approved.isoformat()),
        )
        await tx.execute(
            "INSERT INTO booklet_verdicts (draft_id, verdict, made_by, made_at)"
            " VALUES (3, 'approved', 1, ?)",
            (approved.isoformat(),),
        )
    _, book = await written(db, tmp_path / "approved.xlsx", locale="en")
    sheet = book["Deliverables"]
    assert [c.value for c in sheet[1]][7:] == [
        "Compiled results booklet",
        "Compiled results booklet: approved at",
        "Complete",
    ]
    assert [r[7:] for r in rows(sheet)] == [
        ("Awaiting approval", None, "No"),
        ("Approved", datetime(2027, 9, 3, 0, 30), "Yes"),  # the write-up and video are in
    ]


async def test_formula_like_texts_stay_text(db, tmp_path):
    _, book = await written(db, tmp_path / "texts.xlsx")
    cells = [
        *book["活动报告"]["G"][1:4],  # the descriptions
        book["活动报告"]["I"][1],  # the author's name
        book["单位及名额"]["B"][2],  # "+二公司"
        book["申报书"]["D"][2],  # "@项目二"
        book["标杆成果材料"]["D"][1],  # the lead's typed write-up
    ]
    assert [c.value for c in cells] == [
        "-5 分？不，是学习",
        FORMULA,
        "@all 集中学习",
        FORMULA,
        "+二公司",
        "@项目二",
        f"{WRITE_UP[:100]}…（共{len(WRITE_UP)}字）",
    ]
    assert {c.data_type for c in cells} == {"s"}


async def test_dates_are_excel_dates_in_local_time(db, tmp_path):
    _, book = await written(db, tmp_path / "dates.xlsx")
    day, saved = book["活动报告"]["E"][1], book["活动报告"]["J"][1]
    assert (day.value, day.is_date) == (datetime(2027, 5, 1), True)
    assert (saved.value, saved.is_date) == (datetime(2027, 9, 2, 0, 30), True)  # UTC+8
    assert book["亮点"]["G"][1].value == datetime(2027, 9, 2, 0, 30)


async def test_filters_by_unit_and_by_day(db, tmp_path):
    scope = Scope(units=("U1",), first=date(2027, 6, 1), last=date(2027, 6, 30))
    counts, book = await written(db, tmp_path / "u1.xlsx", scope=scope)
    assert dict(counts) == {
        "单位及名额": 1, "申报书": 2, "活动报告": 1, "亮点": 1, "评审专家评分": 12, "排名": 1,
        "入选标杆": 1, "标杆成果材料": 1,
    }  # fmt: skip
    assert [r[4] for r in rows(book["活动报告"])] == [datetime(2027, 6, 15)]
    assert [r[1] for r in rows(book["标杆成果材料"])] == ["P1"]  # whatever the days
    _, book = await written(db, tmp_path / "u2.xlsx", scope=Scope(units=("U2",)))
    assert [r[1] for r in rows(book["活动报告"])] == ["P3"]
    assert [r[0] for r in rows(book["入选标杆"])] == ["P3"]
    assert [r[1:4] for r in rows(book["标杆成果材料"])] == [("P3", "项目三", "典型经验.docx")]


async def test_reviewers_are_anonymised_unless_names_are_asked_for(db, tmp_path):
    _, book = await written(db, tmp_path / "anon.xlsx")
    assert sorted({r[0] for r in rows(book["评审专家评分"])}) == ["评审专家1", "评审专家2"]
    _, book = await written(db, tmp_path / "names.xlsx", names=True, locale="en")
    assert book.sheetnames[4] == "Scores per reviewer"
    assert sorted({r[0] for r in rows(book["Scores per reviewer"])}) == ["Li", "Wang Fang"]


async def test_pacesetter_export_prints_the_sheets_and_their_rows(
    db, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PACESETTER_DB", str(db.path))
    out = tmp_path / "cli.xlsx"
    args = ["export", "--unit", "U2", "--from", "2027-01-01", str(out)]
    assert await asyncio.to_thread(cli.main, args) == 0
    printed = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert printed == [
        [name, n] for name, n in zip(SHEETS, ["1", "1", "1", "0", "6", "1", "1", "1"], strict=True)
    ]
    assert openpyxl.load_workbook(out).sheetnames == SHEETS
    args = ["export", "--unit", "U2", "--unit", "U9", str(tmp_path / "none.xlsx")]
    assert await asyncio.to_thread(cli.main, args) == 2
    assert capsys.readouterr().err == "pacesetter: no unit with the code U9\n"
    assert not (tmp_path / "none.xlsx").exists()


STALE = "This button is out of date. Send /export for a current one."


async def _two_units(world: World) -> None:
    """U1 with two candidates, U2 with one; a report of each unit's first, one formula-like."""
    await world.import_orgs([("U1", 2), ("U2", 1)])
    await world.accept()
    stamp = world.clock.now.isoformat()
    async with world.db.transaction(world.clock.now) as tx:
        await tx.execute(
            "INSERT INTO activity_reports (project_id, author_id, state, activity, held_on,"
            " description, created_at, updated_at, saved_at)"
            " SELECT id, ?, 'saved', 'theme_day', '2027-05-01', ?, ?, ?, ? FROM projects"
            " WHERE code IN ('P-U1-01', 'P-U2-01')",
            (world.admin.id, FORMULA, stamp, stamp, stamp),
        )


def _workbook(world: World, message) -> openpyxl.Workbook:
    assert message.kind == "document"
    return openpyxl.load_workbook(io.BytesIO(world.sb.files.get(message.file_id).data))


async def test_an_admin_exports_everything_or_one_unit_as_a_document(world: World):
    await _two_units(world)
    admin = world.admin
    await admin.send("/export")
    screen = admin.last_reply
    assert screen.text.startswith("📤 Export to Excel\nReports and highlights of every day.")
    start, before = len(world.sb.requests), len(admin.replies())
    await admin.tap("✅ Export everything", screen)
    building, document = admin.replies()[before:]
    called = [method for method, _ in world.sb.requests[start:]]
    assert called.index("sendMessage") < called.index("editMessageText")  # sheet by sheet
    assert called.index("sendDocument") < len(called) - 1 - called[::-1].index("editMessageText")
    day = world.clock.now.astimezone(CAMPAIGN_TZ).date().isoformat()
    name = f"Grassroots Party-Building Pacesetter Campaign_export_{day}.xlsx"
    assert world.sb.files.get(document.file_id).file_name == name
    book = _workbook(world, document)
    assert book.sheetnames[2] == "Activity reports"
    assert [(r[1], r[6]) for r in rows(book["Activity reports"])] == [
        ("P-U1-01", FORMULA), ("P-U2-01", FORMULA)
    ]  # fmt: skip
    assert book["Activity reports"]["G"][1].data_type == "s"
    assert building.text.startswith("📤 The workbook is ready:")  # the progress, edited
    assert "• Activity reports: 2 rows" in building.text
    # One unit: a tap on its name.
    await admin.send("/export 2027-01-01 2027-12-31")
    await admin.tap("📅 This stage's days", admin.last_reply)  # the screen, edited in place
    stage = load_campaign().current_stage(world.clock.now)
    first, last = (m.astimezone(CAMPAIGN_TZ) for m in (stage.opens, stage.deadline))
    assert f"from {first.day} {first:%b} " in admin.last_reply.text
    assert f" to {last.day} {last:%b}" in admin.last_reply.text
    await admin.tap("📅 Every day", admin.last_reply)
    assert "Reports and highlights of every day." in admin.last_reply.text
    await admin.send("/export 2027-01-01 2027-12-31")
    assert "\nReports and highlights from 1 Jan 2027 to 31 Dec 2027.\n" in admin.last_reply.text
    before = len(admin.replies())
    await admin.tap("Unit U2 (U2)", admin.last_reply)
    document = next(m for m in admin.replies()[before:] if m.kind == "document")
    assert [r[1] for r in rows(_workbook(world, document)["Activity reports"])] == ["P-U2-01"]


async def test_only_admins_export_and_forged_buttons_are_stale(world: World):
    await _two_units(world)
    sam = await world.join("Sam", "secretary", "U1")
    await sam.send("/export")
    assert sam.last_reply.text == "Only the campaign admins export the campaign's record."
    before = len(sam.replies())
    answer = await world.answer_to(sam, sam.last_reply, BUTTONS.data("everything", 0, 0))
    assert answer == "You are not allowed to do that."
    assert len(sam.replies()) == before  # no workbook reaches them
    admin = world.admin
    await admin.send("/export 2027-06-30 2027-03-01")  # the wrong way round
    assert admin.last_reply.text.startswith("Type the first and the last day")
    before = len(admin.replies())
    for forged in (BUTTONS.data("unit", 10**9, 0, 0), "xp:a:20271399:0", "xp:a:x:0", "xp:z"):
        assert await world.answer_to(admin, admin.last_reply, forged) == STALE, forged
    assert len(admin.replies()) == before


BUSY = "A workbook is being built already: wait for it to finish, then try again."


async def test_a_tap_while_a_workbook_is_built_is_told_to_wait_and_builds_nothing(
    world: World, monkeypatch
):
    fang = world.sb.user("Fang")  # a second admin
    world.extra_admins.add(fang.id)
    await world.restart()
    await _two_units(world)
    admin = world.admin
    await fang.send("/export")
    await admin.send("/export")
    screen = admin.last_reply
    release, write = threading.Event(), export.write

    def held(*args):
        release.wait(20)  # until both taps are answered (bounded, should that never happen)
        return write(*args)

    monkeypatch.setattr(export, "write", held)
    before = len(admin.replies())
    try:
        answers = await taps_at_once(world.sb, admin, screen, "✅ Export everything", fang)
    finally:
        release.set()
    await world.sb.settle()
    assert sorted(answers[:2], key=str) == sorted([None, BUSY], key=str)
    assert answers[2] == BUSY  # another admin's tap waits too
    documents = [m for m in admin.replies()[before:] if m.kind == "document"]
    assert len(documents) == 1
    assert not [m for m in fang.replies() if m.kind == "document"]
    assert await world.tap_answer(admin, "Unit U2 (U2)", screen) is None  # done: builds again
    documents = [m for m in admin.replies()[before:] if m.kind == "document"]
    assert len(documents) == 2
    assert [r[1] for r in rows(_workbook(world, documents[1])["Activity reports"])] == ["P-U2-01"]
