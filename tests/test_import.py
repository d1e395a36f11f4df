"""Importing units and projects: by CSV document in Telegram and by the CLI, checked whole."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import threading
import zipfile

import openpyxl
import pytest

from bot import orgs as org_import
from storage import audit, chats, orgs
from tests.conftest import World, org_csv, until


async def _send(world: World, data: bytes, name: str = "orgs.csv") -> str:
    """The answer to the file (the check of its groups, if any, follows it)."""
    before = len(world.admin.replies())
    await world.admin.send_document(data, filename=name, mime_type="text/csv")
    return world.admin.replies()[before].text


def _unknown_groups(world: World) -> None:
    # The file names groups the sandbox doesn't have: asked, Telegram says "chat not found".
    world.allow_rejections = True


async def test_import_then_reimport_updates_names_and_deletes_nothing(world: World):
    await world.admin.send("/import")
    assert "unit_code, unit_name, project_code, project_name" in world.admin.last_reply.text
    assert "单位代码, 单位名称, 项目代码, 项目名称" in world.admin.last_reply.text
    reply = await _send(world, org_csv([("U1", 3), ("U2", 1)]))
    assert "Imported 4 rows" in reply
    assert "Units: 2 new, 0 renamed." in reply and "Projects: 4 new, 0 renamed." in reply

    renamed = b"unit_code,unit_name,project_code,project_name\nU1,Unit One,P-U1-01,Renamed\n"
    reply = await _send(world, renamed)
    assert "Units: 0 new, 1 renamed." in reply and "Projects: 0 new, 1 renamed." in reply
    assert [u.name for u in await orgs.units(world.db)] == ["Unit One", "Unit U2"]
    assert len(await orgs.projects_of(world.db, (await orgs.unit_by_code(world.db, "U1")).id)) == 3

    reply = await _send(world, renamed)
    assert "Nothing changed" in reply
    assert len(await audit.entries(world.db, action="orgs.import")) == 2


async def test_a_bad_file_is_refused_whole_with_line_numbers(world: World):
    await _send(world, org_csv([("U1", 1)]))
    bad = (
        b"unit_code,unit_name,project_code,project_name,chat_id\n"
        b"U1,Unit U1,P-NEW-1,Fine,\n"
        b"U2,,P-2,No unit name,\n"
        b"U3,Unit 3,P 3,Bad code,\n"
        b"U1,Other name,P-4,Conflict,\n"
        b"U4,Unit 4,P-NEW-1,Duplicate,\n"
        b"U5,Unit 5,P-6,Bad chat,12345\n"
        b"U6,Unit 6,P-7\n"
    )
    reply = await _send(world, bad)
    assert "I did not import orgs.csv: nothing was changed" in reply
    for expected in (
        "line 3: unit_name is empty",
        "line 4: project_code “P 3” may only use",
        "line 5: unit U1 is called “Unit U1” on line 2",
        "line 6: project P-NEW-1 is already on line 2",
        "line 7: chat_id “12345” is not a group chat id",
        "line 8: project_name is empty",
    ):
        assert expected in reply
    assert await orgs.project_by_code(world.db, "P-NEW-1") is None
    assert await orgs.unit_count(world.db) == 1


async def test_moving_a_project_to_another_unit_is_refused(world: World):
    await _send(world, org_csv([("U1", 1)]))
    reply = await _send(world, b"unit_code,unit_name,project_code,project_name\nU2,Two,P-U1-01,x\n")
    assert "line 2: project P-U1-01 belongs to unit U1" in reply
    assert await orgs.unit_by_code(world.db, "U2") is None


async def test_header_encoding_empty_and_non_csv_files(world: World):
    assert "the header must name" in await _send(world, b"code,name\nU1,x\n")
    assert "neither UTF-8, UTF-16 nor GBK" in await _send(world, b"\x80\x80unit_code\n")
    assert "the file is empty" in await _send(world, b"\n\n")
    await world.admin.send("/import")
    await world.admin.send_document(b"%PDF", filename="units.pdf", mime_type="application/pdf")
    assert "neither an Excel sheet (.xlsx) nor a CSV file" in world.admin.last_reply.text
    await world.admin.send("please import")
    # Still waiting for the file; Excel's BOM is fine.
    reply = await _send(world, b"\xef\xbb\xbf" + org_csv([("U1", 1)]), "export.csv")
    assert "Imported 1 rows" in reply


async def test_chat_ids_in_the_file_link_project_groups(world: World):
    _unknown_groups(world)
    data = (
        b"unit_code,unit_name,project_code,project_name,chat_id\nU1,Unit,P1,Proj,-1001234567890\n"
    )
    assert "Group chats linked: 1." in await _send(world, data)
    binding = await chats.binding(world.db, -1001234567890)
    assert binding.project_id == (await orgs.project_by_code(world.db, "P1")).id
    assert not binding.bot_present  # the bot has not been added there yet


async def test_only_admins_import(world: World):
    stranger = world.sb.user("Sly")
    await stranger.send_document(org_csv([("U1", 1)]), filename="orgs.csv", mime_type="text/csv")
    assert "Only campaign admins" in stranger.last_reply.text
    assert await orgs.unit_count(world.db) == 0


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PACESETTER_DB": str(tmp_path / "cli.db")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_cli_import_is_idempotent_and_refuses_bad_files_whole(tmp_path):
    good = tmp_path / "orgs.csv"
    good.write_bytes(org_csv([("U1", 3), ("U2", 2)]))
    first = _cli(tmp_path, "orgs", "import", str(good))
    assert first.returncode == 0, first.stderr
    assert "5 rows; units 2 new, 0 renamed; projects 5 new" in first.stdout
    again = _cli(tmp_path, "orgs", "import", str(good))
    assert "units 0 new, 0 renamed; projects 0 new, 0 renamed" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes(org_csv([("U3", 1)]) + b"U3,Unit U3,,empty\n")
    refused = _cli(tmp_path, "orgs", "import", str(bad))
    assert refused.returncode == 1
    assert "line 3: project_code is empty" in refused.stderr
    assert "Traceback" not in refused.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM units WHERE code = 'U3'").fetchone() == (0,)

    missing = _cli(tmp_path, "orgs", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_cli_campaign_check(tmp_path):
    broken = tmp_path / "c.toml"
    broken.write_text('timezone = "Asia/Shanghai"\ndefault_locale = "fr"\n')
    result = _cli(tmp_path, "campaign", "check", str(broken))
    assert result.returncode == 1
    assert "default_locale" in result.stderr
    ok = _cli(tmp_path, "campaign", "check", "bot/campaigns/default.toml")
    assert ok.returncode == 0 and "OK" in ok.stdout


async def test_malformed_and_hostile_files_are_refused_briefly(world: World):
    huge = b'unit_code,unit_name,project_code,project_name\nU1,"' + b"x" * 200_000 + b'",P,p\n'
    reply = await _send(world, huge)
    assert "line 2: this is not a well-formed CSV file" in reply
    tabs = b"unit_code,unit_name,project_code,project_name\nU1,Unit\tOne,P1,p\n"
    assert "line 2: unit_name contains control characters" in await _send(world, tabs)
    long_code = b"unit_code,unit_name,project_code,project_name\n" + b"U" * 5000 + b",u,P,p\n"
    reply = await _send(world, long_code)
    assert "may only use letters" in reply and len(reply) < 400  # quoted back, cut short
    assert await orgs.unit_count(world.db) == 0


async def test_optional_chat_id_may_be_left_off_a_row(world: World):
    _unknown_groups(world)
    data = (
        b"unit_code,unit_name,project_code,project_name,chat_id\n"
        b"U1,Unit,P1,One,-100\nU1,Unit,P2,Two\n"
    )
    assert "Imported 2 rows" in await _send(world, data)


async def test_text_while_waiting_for_the_file_gets_a_nudge(world: World):
    await world.admin.send("/import")
    await world.admin.send("here it comes")
    assert "I'm waiting for the sheet" in world.admin.last_reply.text


def test_cli_refuses_a_malformed_file_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'unit_code,unit_name,project_code,project_name\nU1,"' + b"x" * 200_000 + b"\n")
    result = _cli(tmp_path, "orgs", "import", str(bad))
    assert result.returncode == 1
    assert "not a well-formed CSV file" in result.stderr and "Traceback" not in result.stderr


async def test_an_import_says_it_is_working_then_edits_that_message_into_the_outcome(world):
    await world.admin.send("/import")
    before = len(world.admin.replies())
    await world.admin.send_document(org_csv([("U1", 3)]), filename="orgs.csv", mime_type="text/csv")
    (outcome,) = world.admin.replies()[before:]  # one message, edited in place
    assert outcome.edited
    assert outcome.text.startswith("Imported 3 rows from orgs.csv.")
    edits = [p for m, p in world.sb.requests if m == "editMessageText"]
    assert any("Reading orgs.csv" in p["text"] for m, p in world.sb.requests if m == "sendMessage")
    assert edits and edits[-1]["message_id"] == outcome.message_id


# --- files as Excel and WPS save them --------------------------------------------------------

CHINESE = (
    "单位代码,单位名称,项目代码,项目名称,群ID\r\n"
    "FHB,第一分公司,FHB-01,党建引领项目,-1001234567890\r\n"
)


async def _imported_names(world: World) -> list[tuple[str, str]]:
    unit = await orgs.unit_by_code(world.db, "FHB")
    return [(unit.name, p.name) for p in await orgs.projects_of(world.db, unit.id)]


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (CHINESE.encode("gbk"), "export.csv"),  # Excel's "CSV (逗号分隔)" on Chinese Windows
        (CHINESE.encode("gb18030"), "export.csv"),
        (CHINESE.encode("utf-16"), "export.csv"),  # with its BOM
        (CHINESE.encode("utf-16-le"), "export.csv"),  # without
        (CHINESE.replace(",", "\t").encode("utf-16"), "export.txt"),  # "Unicode text"
        (("\ufeff" + CHINESE).encode("utf-8"), "export.csv"),
        (CHINESE.replace("单位代码", "单位代码 ").replace("群ID", "群 ID").encode(), "a.csv"),
    ],
)
async def test_chinese_headers_in_every_encoding_excel_and_wps_save(world: World, encoded, name):
    _unknown_groups(world)
    reply = await _send(world, encoded, name)
    assert "Imported 1 rows" in reply, reply
    assert await _imported_names(world) == [("第一分公司", "党建引领项目")]
    assert (await chats.binding(world.db, -1001234567890)).project_id is not None


async def test_traditional_headers_and_trailing_empty_columns_and_rows(world: World):
    data = "單位代碼,單位名稱,項目代碼,項目名稱,,,\nFHB,第一分公司,FHB-01,党建引领项目,,,\n,,,,,,\n"
    reply = await _send(world, data.encode("utf-8"))
    assert "Imported 1 rows" in reply, reply
    # A value under no header is still refused: it would be lost.
    data = "unit_code,unit_name,project_code,project_name,\nFHB,One,FHB-01,P,stray\n"
    assert "expected 4 values, found 5" in await _send(world, data.encode())


def _sheet(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["units.xlsx", "units.csv"])  # an .xlsx renamed to .csv too
async def test_an_excel_sheet_is_read_as_it_is(world: World, name: str):
    _unknown_groups(world)
    data = _sheet(
        [
            ["单位代码", "单位名称", "项目代码", "项目名称", "群ID", None],
            ["FHB", "第一分公司", "FHB-01", "党建引领项目", -1001234567890, None],
            [None, None, None, None, None, None],
        ]
    )
    reply = await _send(world, data, name)
    assert "Imported 1 rows" in reply, reply
    assert await _imported_names(world) == [("第一分公司", "党建引领项目")]
    assert (await chats.binding(world.db, -1001234567890)).project_id is not None
    assert "malformed" not in await _send(world, data, name)


async def test_excels_scientific_chat_ids_are_read_only_when_exact(world: World):
    _unknown_groups(world)
    head = "unit_code,unit_name,project_code,project_name,chat_id\n"
    exact = head + "U1,One,P1,x,-1.001234567890E+12\n"
    assert "Imported 1 rows" in await _send(world, exact.encode())
    assert (await chats.binding(world.db, -1001234567890)).project_id is not None
    rounded = head + "U1,One,P2,y,-1.00123E+12\n"
    reply = await _send(world, rounded.encode())
    assert "line 2: chat_id “-1.00123E+12” lost its last digits in Excel" in reply
    assert await orgs.project_by_code(world.db, "P2") is None
    assert "is not a group chat id" in await _send(world, (head + "U1,One,P3,z,1.5E+3\n").encode())


async def test_a_header_without_rows_says_so(world: World):
    reply = await _send(world, b"unit_code,unit_name,project_code,project_name\n")
    assert "the file has a header but no rows" in reply
    assert await orgs.unit_count(world.db) == 0


def test_cli_refuses_a_file_without_rows(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("单位代码,单位名称,项目代码,项目名称\n", encoding="gbk")
    result = _cli(tmp_path, "orgs", "import", str(empty))
    assert result.returncode == 1
    assert "no rows" in result.stderr and "Traceback" not in result.stderr


def test_cli_adds_and_lists_admins(tmp_path):
    added = _cli(tmp_path, "admins", "add", "4242", "4343")
    assert added.returncode == 0, added.stderr
    assert "4242 is a campaign admin" in added.stdout
    again = _cli(tmp_path, "admins", "add", "4242")  # twice is once
    assert again.returncode == 0, again.stderr
    env = {**os.environ, "PACESETTER_DB": str(tmp_path / "cli.db"), "PACESETTER_ADMINS": "77"}
    listed = subprocess.run(
        [sys.executable, "-m", "bot", "admins", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "77\t(not seen yet)\tPACESETTER_ADMINS",
        "4242\t(not seen yet)\trole",
        "4343\t(not seen yet)\trole",
    ]
    refused = _cli(tmp_path, "admins", "add", "not-a-number")
    assert refused.returncode == 2 and "invalid int value" in refused.stderr


def test_cli_refuses_a_group_id_as_an_admin_and_removes_admins(tmp_path):
    refused = _cli(tmp_path, "admins", "add", "-5")
    assert refused.returncode == 2 and "-5 is not a Telegram user id" in refused.stderr
    assert _cli(tmp_path, "admins", "add", "4242", "4343").returncode == 0
    removed = _cli(tmp_path, "admins", "remove", "4242", "99")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines() == [
        "4242 is no longer a campaign admin",
        "99 was not a campaign admin",
    ]
    assert _cli(tmp_path, "admins", "list").stdout.splitlines() == ["4343\t(not seen yet)\trole"]
    env = {**os.environ, "PACESETTER_DB": str(tmp_path / "cli.db"), "PACESETTER_ADMINS": "77"}
    configured = subprocess.run(
        [sys.executable, "-m", "bot", "admins", "remove", "77"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert configured.returncode == 1
    assert "77 stays a campaign admin: listed in PACESETTER_ADMINS" in configured.stderr


# --- hostile sheets: every row read, no more cells than there are, a clear refusal ------------

ROWS = [
    ["unit_code", "unit_name", "project_code", "project_name"],
    ["U1", "One", "P1", "First"],
    ["U1", "One", "P2", "Second"],
]


def _sheet_xml(data: bytes, change) -> bytes:
    """The .xlsx with its sheet's XML rewritten by `change`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            part = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                part = change(part)
            target.writestr(entry.filename, part)
    return out.getvalue()


def _declared(data: bytes, ref: str) -> bytes:
    """The sheet with `ref` as its declared dimension, whatever its cells are."""
    return _sheet_xml(
        data,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml),
    )


def _far_down(row: int, values: list) -> bytes:
    book = openpyxl.Workbook()
    for values_ in ROWS:
        book.active.append(values_)
    for column, value in enumerate(values, start=1):
        book.active.cell(row, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_sheet_declaring_every_cell_is_read_in_the_cells_it_has(world, monkeypatch):
    # Excel's largest sheet declared, a row far down: each row used to be 16,384 cells long.
    data = _declared(_far_down(300, ["U2", "Two", "P3", "Far down"]), "A1:XFD1048576")
    read = []
    cell_text = org_import._cell_text
    monkeypatch.setattr(org_import, "_cell_text", lambda value: read.append(1) or cell_text(value))
    assert "Imported 3 rows" in await _send(world, data, "units.xlsx")
    assert (await orgs.project_by_code(world.db, "P3")).name == "Far down"
    assert len(read) <= 4 * org_import.MAX_COLUMNS  # the rows there are, the columns capped


async def test_rows_past_the_declared_dimension_are_read_not_dropped(world: World):
    data = _declared(_sheet([*ROWS, ["U1", "One", "P3", "Third"]]), "A1:D2")
    assert "Imported 3 rows" in await _send(world, data, "units.xlsx")
    assert await orgs.project_by_code(world.db, "P3") is not None


async def test_rows_past_the_cap_refuse_the_file_whole(world: World, monkeypatch):
    many = org_csv([("U1", org_import.MAX_ROWS + 1)])
    reply = await _send(world, many)
    assert f"line {org_import.MAX_ROWS + 2}: the sheet has more than 20000 rows" in reply
    monkeypatch.setattr(org_import, "MAX_ROWS", 2)  # a sheet of 20,000 rows is slow to build
    data = _declared(_sheet([*ROWS, ["U1", "One", "P3", "Third"]]), "A1:D3")
    reply = await _send(world, data, "units.xlsx")
    assert "line 4: the sheet has more than 2 rows" in reply
    assert await orgs.unit_count(world.db) == 0
    # A value far down is read (and here refused for what it lacks), not lost.
    data = _declared(_far_down(25_000, ["stray"]), "A1:XFD1048576")
    monkeypatch.setattr(org_import, "MAX_ROWS", 20_000)
    assert "line 25000: unit_name is empty" in await _send(world, data, "units.xlsx")


def _malformed() -> bytes:
    return _sheet_xml(
        _sheet(ROWS),
        lambda xml: xml[: xml.index(b"</sheetData>")] + b'<row r="9"><c r="A9"><v>1</c></row>',
    )


@pytest.mark.parametrize("name", ["units.xlsx", "units.csv"])
async def test_a_damaged_sheet_is_refused_with_a_reason(world: World, name: str):
    reply = await _send(world, _malformed(), name)
    assert "this Excel file is damaged and can't be read" in reply
    assert "Sorry" not in world.admin.last_reply.text
    bomb = _sheet_xml(_sheet(ROWS), lambda xml: xml + bytes(60 * 2**20))
    assert "a part of this Excel file unpacks to more than 50 MB" in await _send(world, bomb, name)
    big = _sheet_xml(_sheet(ROWS), lambda xml: xml + bytes(12 * 2**20))
    assert "the sheet in this Excel file unpacks to more than 10 MB" in await _send(
        world, big, name
    )
    assert await orgs.unit_count(world.db) == 0


async def test_a_sheet_with_a_forged_zip_directory_is_refused_as_damaged(world: World):
    data = _sheet(ROWS)
    at = data.index(b"PK\x01\x02") + 6  # "version needed to extract": one none can read
    forged = data[:at] + bytes([200, 0]) + data[at + 2 :]
    assert "this Excel file is damaged and can't be read" in await _send(world, forged, "u.xlsx")


def test_cli_refuses_a_damaged_sheet_without_a_traceback(tmp_path):
    bad = tmp_path / "units.xlsx"
    bad.write_bytes(_malformed())
    result = _cli(tmp_path, "orgs", "import", str(bad))
    assert result.returncode == 1
    assert "this Excel file is damaged" in result.stderr and "Traceback" not in result.stderr


async def test_others_are_answered_while_a_sheet_is_parsed(world: World, monkeypatch):
    released, order = threading.Event(), []
    parse = org_import.parse

    def slow_parse(data: bytes):
        order.append("parsing")
        # On the event loop this would hold every chat; the bound is only for a broken test,
        # longer than any wait below, so a slow machine can't reorder what is asserted.
        released.wait(timeout=60)
        order.append("parsed")
        return parse(data)

    monkeypatch.setattr(org_import, "parse", slow_parse)
    importing = asyncio.create_task(_send(world, org_csv([("U1", 2)])))
    await until(lambda: order, what="the parse to start")
    bystander = world.sb.user("Bystander")
    await bystander.send("/help", wait=False)
    await until(lambda: bystander.last_reply is not None, what="the answer to /help")
    order.append("answered")
    released.set()
    assert "Imported 2 rows" in await importing
    assert order == ["parsing", "answered", "parsed"]
