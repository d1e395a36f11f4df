"""Sheets as offices keep them (issue 17, point 3): a title above the header, columns we don't
read, the names people give the columns, a unit written once for its projects, Excel's
scientific numbers, and a check with Telegram of the groups the sheet names."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys

import openpyxl
import pytest
from telegram.ext import ExtBot

from bot import orgs as org_import
from bot.pacing import BULK, Pace, Pacer
from bot.sandbox import Sandbox
from storage import chats, orgs
from tests.conftest import TOKEN, World, until

HEADER = ["序号", "单位代码", "单位名称", "项目代码", "项目名称", "备注"]


def _xlsx(rows: list[list], merged: tuple[str, ...] = ()) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for cells in merged:
        book.active.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(lines: list[str], encoding: str = "gbk") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


async def _send(world: World, data: bytes, name: str = "orgs.xlsx") -> str:
    """The answer to the file (the check of its groups, if any, follows it)."""
    before = len(world.admin.replies())
    await world.admin.send_document(data, filename=name, mime_type="application/octet-stream")
    return world.admin.replies()[before].text


async def _projects(world: World, unit_code: str) -> list[tuple[str, str]]:
    unit = await orgs.unit_by_code(world.db, unit_code)
    assert unit is not None, unit_code
    return [(p.code, p.name) for p in await orgs.projects_of(world.db, unit.id)]


# --- 1. columns we don't read ------------------------------------------------------------


async def test_unknown_columns_are_ignored_and_named_in_the_reply(world: World):
    data = _xlsx(
        [
            HEADER,
            [1, "U1", "第一分公司", "P1", "一支部", "新成立"],
            [2, "U1", "第一分公司", "P2", "二支部"],
        ]
    )
    reply = await _send(world, data)
    assert "Imported <b>2</b> rows" in reply or "Imported 2 rows" in reply, reply
    assert "Ignored columns: 序号, 备注." in reply
    assert await _projects(world, "U1") == [("P1", "一支部"), ("P2", "二支部")]


async def test_a_value_under_no_header_is_still_refused(world: World):
    data = _csv(["序号,单位代码,单位名称,项目代码,项目名称,", "1,U1,一公司,P1,一支部,stray"])
    reply = await _send(world, data, "orgs.csv")
    assert "line 2: expected 5 values, found 6" in reply
    assert await orgs.unit_count(world.db) == 0


# --- 2. the header below a title -----------------------------------------------------------


async def test_the_header_is_found_below_a_merged_title_and_blank_rows(world: World):
    data = _xlsx(
        [
            ["集团基层党支部名单", None, None, None, None, None],
            [None] * 6,
            ["填报日期：2026年12月1日"],
            HEADER,
            [1, "U1", "第一分公司", "P1", "一支部", None],
        ],
        merged=("A1:F1",),
    )
    reply = await _send(world, data)
    assert "Imported 1 rows" in reply, reply
    assert "header on line 4" in reply
    assert "line 1: above the header: 集团基层党支部名单" in reply
    assert "line 3: above the header: 填报日期：2026年12月1日" in reply
    assert await _projects(world, "U1") == [("P1", "一支部")]


async def test_a_csv_title_line_in_gbk_is_skipped_too(world: World):
    data = _csv(
        [
            "集团基层党支部名单,,,,",
            ",,,,",
            "单位代码,单位名称,项目代码,项目名称",
            "U1,一公司,P1,一支部",
        ]
    )
    reply = await _send(world, data, "orgs.csv")
    assert "Imported 1 rows" in reply, reply
    assert "line 1: above the header: 集团基层党支部名单" in reply


async def test_no_header_in_the_first_ten_lines_is_refused_saying_what_is_missing(world: World):
    titles = [f"说明{i}" for i in range(10)]
    data = _csv([*titles, "单位代码,单位名称,项目代码,项目名称", "U1,一公司,P1,一支部"])
    reply = await _send(world, data, "orgs.csv")
    assert "in one of the first 10 lines" in reply
    assert "missing: unit_code, unit_name, project_code, project_name" in reply
    data = _csv(["单位名称,支部名称,群号", "一公司,一支部,-1001"])
    reply = await _send(world, data, "orgs.csv")
    assert "line 1: the header must name" in reply and "missing: unit_code, project_code" in reply
    assert await orgs.unit_count(world.db) == 0


# --- 3. the names people give the columns ------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "所属单位,单位代码,支部代码,支部名称,群号",  # the order doesn't matter either
        "单位代码,单位名称,支部编号,党支部名称,群ID",
        "单位编码,单位,项目编号,项目党支部,群组ID（选填）",
        "單位代碼,單位名稱,支部代碼,黨支部名稱,群號",
        "Unit code,Unit,Branch code,Branch name,Group ID",
        "unit_code,unit_name,project_code,project_name,chat_id",
    ],
)
async def test_the_names_offices_give_the_columns_are_read(world: World, header: str):
    _unknown_groups(world)
    names = header.split(",")
    values = {
        "unit_code": "U1",
        "unit_name": "一公司",
        "project_code": "P1",
        "project_name": "一支部",
    }
    values["chat_id"] = "-1001234567890"
    row = ",".join(values[org_import._column(name)] for name in names)
    reply = await _send(world, _csv([header, row], "utf-8-sig"), "orgs.csv")
    assert "Imported 1 rows" in reply, reply
    assert "Ignored columns" not in reply
    assert await _projects(world, "U1") == [("P1", "一支部")]
    assert (await chats.binding(world.db, -1001234567890)).project_id is not None


async def test_two_columns_meaning_the_same_are_refused_by_name(world: World):
    data = _csv(["单位代码,单位名称,项目代码,项目名称,支部名称", "U1,一公司,P1,项目,一支部"])
    reply = await _send(world, data, "orgs.csv")
    assert "line 1: two columns of the header mean project_name: 项目名称, 支部名称" in reply
    assert await orgs.unit_count(world.db) == 0


def test_every_declared_name_names_its_column_alone():
    seen: dict[str, str] = {}
    for column, locales in org_import.HEADERS.items():
        assert set(locales) == {"en", "zh_Hans", "zh_Hant"}
        for names in locales.values():
            for name in names:
                key = org_import._header_key(name)
                assert seen.setdefault(key, column) == column, name


# --- 4. a unit written once for its projects ----------------------------------------------


async def test_merged_unit_cells_are_filled_down_and_only_the_unit(world: World):
    rows = [
        HEADER,
        [1, "U1", "第一分公司", "P1", "一支部"],
        [2, None, None, "P2", "二支部"],
        [3, None, None, "P3", "三支部"],
        [4, "U2", "第二分公司", "P4", "四支部"],
        [5, None, None, "P5", "五支部"],
    ]
    data = _xlsx(rows, merged=("B2:B4", "C2:C4", "B5:B6", "C5:C6"))
    reply = await _send(world, data)
    assert "Imported 5 rows" in reply, reply
    assert "The unit written once above them was filled in on 3 rows." in reply
    assert [code for code, _ in await _projects(world, "U1")] == ["P1", "P2", "P3"]
    assert [code for code, _ in await _projects(world, "U2")] == ["P4", "P5"]


async def test_blank_unit_cells_in_a_gbk_csv_are_filled_but_a_blank_project_is_refused(world):
    lines = ["单位代码,单位名称,项目代码,项目名称", "U1,一公司,P1,一支部", ",,P2,", "U2,,P3,三支部"]
    reply = await _send(world, _csv(lines), "orgs.csv")
    assert "line 3: project_name is empty" in reply  # the unit filled, the project not
    assert "line 4: unit_name is empty" in reply  # another unit's name is not taken from above
    assert "line 3: unit" not in reply
    assert await orgs.unit_count(world.db) == 0


# --- 5. Excel's scientific numbers -------------------------------------------------------


async def test_scientific_numbers_are_read_when_exact_and_refused_when_digits_were_lost(world):
    _unknown_groups(world)
    head = "单位代码,单位名称,支部代码,支部名称,群号"
    exact = _csv([head, "U1,一公司,1.10101010101E+11,一支部,-1.00123456789E+12"])
    reply = await _send(world, exact, "orgs.csv")
    assert "Imported 1 rows" in reply, reply
    assert await _projects(world, "U1") == [("110101010101", "一支部")]
    assert (await chats.binding(world.db, -1001234567890)).project_id is not None
    rounded = _csv(
        [head, "U1,一公司,1.10101E+11,二支部,-1.00123E+12", "U1,一公司,P3,三支部,-1.25E+1"]
    )
    reply = await _send(world, rounded, "orgs.csv")
    assert "line 2: project_code “1.10101E+11” lost its last digits in Excel" in reply
    assert "line 2: chat_id “-1.00123E+12” lost its last digits in Excel" in reply
    assert "line 3: chat_id “-1.25E+1” is not a group chat id" in reply
    assert len(await _projects(world, "U1")) == 1


async def test_an_xlsx_chat_id_stored_as_a_float_is_read_exactly(world: World):
    _unknown_groups(world)
    data = _xlsx([[*HEADER, "群ID"], [1, "U1", "一公司", "P1", "一支部", None, -1.00123456789e12]])
    assert "Imported 1 rows" in await _send(world, data)
    assert (await chats.binding(world.db, -1001234567890)).project_id is not None
    # A 19-digit code typed as a number: Excel kept 15 digits of it.
    data = _xlsx([HEADER, [1, "U1", "一公司", 1234567890123456789, "二支部"]])
    reply = await _send(world, data)
    assert "line 2: project_code “1.23456789012346E+18” lost its last digits" in reply


# --- 6. what was left out, and why ------------------------------------------------------


async def test_the_reply_lists_the_lines_left_out_with_their_reasons(world: World):
    rows = [
        ["党支部名单"],
        HEADER,
        [1, "U1", "一公司", "P1", "一支部"],
        HEADER,  # printed on every page
        [2, "U1", "一公司", "P2", "二支部"],
        [3, None, None, None, None, "待定"],
        [4],
    ]
    reply = await _send(world, _xlsx(rows))
    assert "Imported 2 rows" in reply, reply
    assert "4 lines left out:" in reply
    for expected in (
        "line 1: above the header: 党支部名单",
        "line 4: the header again",
        "line 6: only ignored columns filled (序号, 备注)",
        "line 7: only ignored columns filled (序号)",
    ):
        assert expected in reply
    assert "Columns read (header on line 2): 单位代码 as unit code, 单位名称 as unit name" in reply


# --- 7. the groups, checked with Telegram -------------------------------------------------


def _unknown_groups(world: World) -> None:
    # Ids of groups the sandbox doesn't have: asked, Telegram says "chat not found".
    world.allow_rejections = True


async def test_the_groups_of_a_sheet_are_checked_and_one_joined_unseen_is_recorded(world):
    world.allow_rejections = True  # asked about a group it is not in, Telegram refuses
    sam = world.sb.user("Sam")
    seen = world.sb.supergroup("一支部群", creator=sam)
    await world.sb.add_bot(seen, by=sam)
    unseen = world.sb.supergroup("二支部群", creator=sam)
    without = world.sb.supergroup("三支部群", creator=sam)
    # Added while the bot was offline for over a day: the update that said so is gone.
    await world.stop()
    await world.sb.add_bot(unseen, by=sam, wait=False)
    world.sb.drop_pending_updates()
    await world.start()
    assert await chats.get(world.db, unseen.id) is None

    rows = [
        ["单位代码", "单位名称", "支部代码", "支部名称", "群号"],
        ["U1", "一公司", "P1", "一支部", seen.id],
        ["U1", "一公司", "P2", "二支部", unseen.id],
        ["U1", "一公司", "P3", "三支部", without.id],
        ["U1", "一公司", "P4", "四支部", -1009999999999],  # a wrong id
    ]
    before = len(world.admin.replies())
    await world.admin.send_document(_xlsx(rows), filename="名单.xlsx")
    answer, checked = world.admin.replies()[before:]
    assert "Imported 4 rows" in answer.text
    assert "Asking Telegram whether the bot is in each of the 4 group chats" in answer.text
    assert "I asked Telegram about the 4 group chats of 名单.xlsx." in checked.text
    assert "The bot is in 2 of them" in checked.text
    assert "The bot is not in these 2 groups yet, or their ids are wrong: add @" in checked.text
    assert f"三支部 (P3, line 4): {without.id}" in checked.text
    assert "四支部 (P4, line 5): -1009999999999" in checked.text
    assert "二支部" not in checked.text.split("yet", 1)[1]

    # The group joined unseen is now one the bot posts to; the answer came before any check.
    assert (await chats.get(world.db, unseen.id)).bot_present
    assert unseen.id in [chat_id for chat_id, _ in await chats.present_bindings(world.db)]
    methods = [method for method, _ in world.sb.requests]
    answered = max(i for i, m in enumerate(methods) if m == "editMessageText")
    assert answered < methods.index("getChat")
    members = [p for m, p in world.sb.requests if m == "getChatMember"]
    assert {p["user_id"] for p in members} == {world.sb.bot_id}


async def test_the_check_follows_the_answer_and_others_are_answered_meanwhile(world: World):
    sam = world.sb.user("Sam")
    group = world.sb.supergroup("一支部群", creator=sam)
    await world.sb.add_bot(group, by=sam)
    world.sb.hold("getChat")
    rows = [
        ["单位代码", "单位名称", "支部代码", "支部名称", "群号"],
        ["U1", "一公司", "P1", "一支部", group.id],
    ]
    sending = asyncio.create_task(world.admin.send_document(_xlsx(rows), filename="名单.xlsx"))
    await world.sb.wait_held()
    await until(lambda: "Imported 1 rows" in (world.admin.last_reply.text or ""), what="answer")
    await world.admin.send("/help", wait=False)
    await until(lambda: "Imported" not in world.admin.last_reply.text, what="/help's answer")
    world.sb.release("getChat")
    await sending
    await world.sb.settle()
    assert "The bot is in 1 of them" in world.admin.last_reply.text


async def test_a_check_under_way_does_not_hold_the_bot_from_stopping(world: World):
    sam = world.sb.user("Sam")
    group = world.sb.supergroup("一支部群", creator=sam)
    world.sb.hold("getChat")
    rows = [
        ["单位代码", "单位名称", "支部代码", "支部名称", "群号"],
        ["U1", "一公司", "P1", "一支部", group.id],
    ]
    sending = asyncio.create_task(world.admin.send_document(_xlsx(rows), filename="名单.xlsx"))
    await world.sb.wait_held()
    await asyncio.wait_for(world.stop(), timeout=30)  # not the minute a big check takes
    world.sb.release("getChat")
    await world.start()
    await sending
    assert "Imported 1 rows" in world.admin.last_reply.text
    assert await orgs.project_by_code(world.db, "P1") is not None


def test_the_cli_names_what_it_ignored_and_left_out(tmp_path):
    sheet = tmp_path / "名单.csv"
    sheet.write_bytes(
        _csv(["党支部名单,,,,,", *[",".join(HEADER)], "1,U1,一公司,P1,一支部,", "2,,,,,"])
    )
    env = {**os.environ, "PACESETTER_DB": str(tmp_path / "cli.db")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "orgs", "import", str(sheet)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "1 rows; units 1 new" in result.stdout
    assert "ignored columns: 序号, 备注" in result.stdout
    assert "line 1 left out: above the header: 党支部名单" in result.stdout
    assert "line 4 left out: only ignored columns filled (序号)" in result.stdout


async def test_lookups_are_paced_on_the_overall_rate_and_spare_the_groups_own():
    async with Sandbox(token=TOKEN) as sb:
        group = sb.supergroup("一支部群", creator=sb.user("Sam"))
        group.bot_status = "member"
        pacer = Pacer(Pace(overall_burst=3, overall_per_second=0.001))  # then one in 1,000 s
        async with ExtBot(TOKEN, base_url=f"{sb.api_url}/bot", rate_limiter=pacer) as bot:
            lookups = [
                asyncio.create_task(bot.get_chat(group.id, rate_limit_args=BULK)) for _ in range(4)
            ]
            await until(lambda: sum(task.done() for task in lookups) == 3, what="3 lookups")
            await asyncio.sleep(0.2)  # the fourth would have gone by now, unpaced
            assert sum(task.done() for task in lookups) == 3
            assert [m for m, _ in sb.requests].count("getChat") == 3
            assert pacer.ready_in(group.id) == 0  # the group's own budget: for its posts
            lookups[3].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lookups[3]


async def test_a_group_the_bot_left_unseen_is_no_longer_taken_to_hold_it(world: World):
    world.allow_rejections = True  # asked about a group it was removed from, Telegram refuses
    sam = world.sb.user("Sam")
    group = world.sb.supergroup("一支部群", creator=sam)
    await world.sb.add_bot(group, by=sam)
    await world.stop()
    await world.sb.remove_bot(group, by=sam, wait=False)
    world.sb.drop_pending_updates()  # removed while the bot was away, the update lost
    await world.start()
    assert (await chats.get(world.db, group.id)).bot_present
    rows = [
        ["单位代码", "单位名称", "支部代码", "支部名称", "群号"],
        ["U1", "一公司", "P1", "一支部", group.id],
    ]
    await world.admin.send_document(_xlsx(rows), filename="名单.xlsx")
    assert f"一支部 (P1, line 2): {group.id}" in world.admin.last_reply.text
    assert not (await chats.get(world.db, group.id)).bot_present
    assert await chats.present_bindings(world.db) == []
