"""The evidence on a scoring card: what `gather` reads of a candidate (the application's key
sections, reports per criterion, highlights, final items) as the block shows it, and its
buttons, which send the full text, the photos and the final items to the candidate's
reviewers and the admins only. The buttons through the sandbox, tapped with their data."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import handlers.evidence
from bot import evidence
from bot.campaign_load import load_campaign
from bot.sandbox import SandboxUser
from handlers.evidence import BUTTONS, rows
from messages.render import Messages
from messages.split import visible_length
from storage import applications, finals, highlights, orgs, reports, reviews
from storage.applications import Part
from storage.db import Database, Executor
from storage.finals import Content
from storage.orgs import OrgRow
from storage.reports import Media
from tests.conftest import World

CAMPAIGN = load_campaign()
BUDGET = next(s for s in CAMPAIGN.sections if s.kind == "number")
ASSESSING = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)  # inside 考核验收 (8 Oct – 15 Nov)
FOUNDATION = "第一行：支部有党员32名。\n第二行：班子结构合理。\n第三行：活动阵地齐全。"
NOT_REVIEWER = "Only this candidate's reviewers and the campaign admins can open its evidence."
STALE = "This button is out of date. Send /review for a current one."


@dataclasses.dataclass
class Seeded:
    full: int  # a candidate with every kind of evidence
    empty: int  # a candidate with none but its application
    other: int  # a project that is not a candidate
    photos: list[str]  # the highlights' photos, in the order a tap sends them
    summary: str  # the work summary's file id


async def _seed(db: Database, author: int, file_id) -> Seeded:
    """Unit U1: P-U1-01 with an application, reports, highlights and both final items;
    P-U1-02 a candidate with an application only; P-U1-03 never accepted. `file_id(kind,
    name)` gives a file Telegram knows."""
    async with db.transaction(ASSESSING) as tx:
        rows_ = [
            OrgRow(i + 2, "U1", "Unit U1", f"P-U1-0{i}", f"Project U1-0{i}") for i in (1, 2, 3)
        ]
        await orgs.import_rows(tx, rows_, None)
    ids = {r["code"]: r["id"] for r in await db.fetch_all("SELECT code, id FROM projects")}
    full, empty, other = ids["P-U1-01"], ids["P-U1-02"], ids["P-U1-03"]
    async with db.transaction(ASSESSING) as tx:
        for project_id in (full, empty):
            application = await applications.open_for(tx, project_id, author)
            await tx.execute(
                "UPDATE applications SET status = 'accepted' WHERE id = ?", (application.id,)
            )
        application = await applications.of_project(tx, full)
        for n, (section, text) in enumerate(
            [
                ("foundation", FOUNDATION),
                ("foundation", "补充材料。"),
                ("achievements", "获奖3项。"),
            ]
        ):
            await applications.add_part(
                tx, application.id, section, Part(author, n + 1, "text", text)
            )
        for n in range(3):  # not a key section, and longer than a message: 📄 sends it all
            part = Part(author, 10 + n, "text", f"预期成果{n}。" + "成果" * 1_000)
            await applications.add_part(tx, application.id, "results", part)
        await applications.set_state(tx, application.id, "experience", "skipped", by=author)
        await applications.set_state(
            tx, application.id, "budget", "done", by=author, amount=Decimal("125000")
        )
        empty_application = await applications.of_project(tx, empty)
        await applications.add_part(
            tx, empty_application.id, "foundation", Part(author, 9, "text", "只有一行。")
        )
    photos: list[str] = []
    made: dict[str, int] = {}
    async with db.transaction(ASSESSING) as tx:
        plan = [
            ("ideology", "2027-03-01", 0),
            ("ideology", "2027-03-14", 9),  # a highlight with 9 photos
            ("ideology", "2027-02-10", 0),
            ("mechanism", "2027-04-02", 2),  # a highlight with 2 photos
            (None, "2027-05-01", 1),  # marked, then taken back: not a highlight
            (None, "2027-01-20", 0),
            ("ideology", "2027-06-01", 0),  # deleted: not counted
        ]
        for n, (criterion, day, pictures) in enumerate(plan):
            draft = await reports.start_draft(tx, author, full, media_done=True)
            await reports.update(
                tx,
                draft.id,
                activity="party_day",
                held_on=date.fromisoformat(day),
                participants=12,
                description="words",
                criterion=criterion,
            )
            media = [
                Media("photo", file_id("photo", None), f"u{n}-{i}", None, 10, "", 100 * n + i)
                for i in range(pictures)
            ]
            await reports.add_media(tx, draft.id, media)
            await reports.save(tx, draft.id, by=author)
            made[f"{criterion}:{day}"] = draft.id
        await reports.delete(tx, made["ideology:2027-06-01"], by=author)
        await reports.start_draft(tx, author, full, media_done=False)  # a draft: not counted
    # Marked one after another: the newest mark's photos come first.
    for key, keep in (("None:2027-05-01", False), ("ideology:2027-03-14", True)):
        async with db.transaction(ASSESSING) as tx:
            await highlights.mark(tx, made[key], by=author)
            if not keep:
                await highlights.unmark(tx, made[key], by=author)
    async with db.transaction(datetime(2027, 10, 21, 2, 0, tzinfo=UTC)) as tx:
        await highlights.mark(tx, made["mechanism:2027-04-02"], by=author)
    for report_id in (made["mechanism:2027-04-02"], made["ideology:2027-03-14"]):
        photos += [m.file_id for m in await reports.media_of(db, report_id)]
    summary = file_id("document", "总结.pdf")
    async with db.transaction(ASSESSING) as tx:
        document = Content("document", file_id=summary, file_unique_id="s", file_name="总结.pdf")
        await finals.submit(tx, full, "summary", document, by=author)
        await finals.submit(
            tx, full, "results", Content("text", text="成果一。\n成果二。"), by=author
        )
    return Seeded(full, empty, other, photos, summary)


async def _world(world: World) -> tuple[Seeded, SandboxUser]:
    """The seeded candidates in a running bot; Rita reviews P-U1-01."""
    rita = await world.join("Rita", "reviewer")
    world.clock.now = ASSESSING

    def file_id(kind: str, name: str | None) -> str:
        return world.sb.files.add(kind, b"data", file_name=name).file_id

    seeded = await _seed(world.db, world.admin.id, file_id)
    async with world.db.transaction(ASSESSING) as tx:
        await reviews.assign(tx, {(rita.id, seeded.full)}, by=world.admin.id)
    return seeded, rita


class Counting:
    """An executor that counts the queries made through it."""

    def __init__(self, db: Executor) -> None:
        self.db, self.queries = db, 0

    def __getattr__(self, name: str):
        method = getattr(self.db, name)

        async def counted(*args, **kwargs):
            self.queries += 1
            return await method(*args, **kwargs)

        return counted


async def _bare(tmp_path) -> tuple[Database, Seeded]:
    db = await Database.open(tmp_path / "evidence.db")
    async with db.transaction(ASSESSING) as tx:
        await tx.execute(
            "INSERT INTO people (user_id, first_name, created_at, updated_at)"
            " VALUES (1, 'A', ?, ?)",
            (ASSESSING.isoformat(), ASSESSING.isoformat()),
        )
    names = iter(range(1000))
    return db, await _seed(db, 1, lambda kind, name: f"{kind}-{next(names)}")


async def test_gather_reads_sections_reports_per_criterion_highlights_and_finals(tmp_path):
    db, seeded = await _bare(tmp_path)
    try:
        counting = Counting(db)
        found = await evidence.gather(counting, CAMPAIGN, seeded.full)
        queries = counting.queries
        assert [s.key for s in found.sections] == [
            "foundation",
            "experience",
            "achievements",
            "approach",
            "budget",
        ]
        foundation, experience, achievements, approach, budget = found.sections
        assert foundation.glimpse == "第一行：支部有党员32名。 第二行：班子结构合理。…"
        assert foundation.more and foundation.answered
        assert (achievements.glimpse, achievements.more) == ("获奖3项。", False)
        assert not experience.answered and not approach.answered
        assert budget.amount == Decimal("125000")
        by_key = {r.criterion: (r.count, r.latest) for r in found.reports}
        assert by_key["ideology"] == (3, date(2027, 3, 14))  # the deleted one not counted
        assert by_key["mechanism"] == (1, date(2027, 4, 2))
        assert by_key["renewal"] == (0, None)
        assert [r.criterion for r in found.reports] == [c.key for c in CAMPAIGN.criteria]
        assert (found.unsorted.count, found.unsorted.latest) == (2, date(2027, 5, 1))
        assert (found.report_count, found.latest_report) == (6, date(2027, 5, 1))
        assert (found.highlights, found.highlight_photos) == (2, 11)  # the taken-back one not
        assert set(found.finals) == {"summary", "results"}
        assert found.application
        # The same queries for a candidate with nothing: their number never grows with the data.
        counting.queries = 0
        bare = await evidence.gather(counting, CAMPAIGN, seeded.empty)
        assert counting.queries == queries
        assert (bare.report_count, bare.unsorted, bare.highlights, bare.finals) == (0, None, 0, {})
        assert bare.sections[0].glimpse == "只有一行。" and not bare.sections[0].more
        assert await evidence.gather(db, CAMPAIGN, 10**9) is None
    finally:
        await db.close()


MSGS = Messages(CAMPAIGN.timezone, clock=lambda: ASSESSING)


async def test_the_block_shows_it_plainly_in_chinese_and_english(tmp_path):
    db, seeded = await _bare(tmp_path)
    try:
        found = await evidence.gather(db, CAMPAIGN, seeded.full)
        bare = await evidence.gather(db, CAMPAIGN, seeded.empty)
    finally:
        await db.close()
    hans = MSGS.text("zh-Hans", "review/evidence", evidence=found)
    assert hans.startswith("<b>Project U1-01</b> · Unit U1\n\n📄 <b>申报书</b>\n")
    assert "· 党建工作基础：第一行：支部有党员32名。 第二行：班子结构合理。…" in hans
    assert "· 经验做法：<i>未填写</i>" in hans and "· 经费预算：125,000元" in hans
    assert "📝 <b>活动报告</b>：6份，最近一次活动在5月1日" in hans
    assert "· 思想引领有力：3份，最近3月14日" in hans
    assert "· 工作机制有力：1份，最近4月2日" in hans and "· 自我革新有力：暂无" in hans
    assert "· 未标注指标：2份，最近5月1日" in hans
    assert "⭐ <b>亮点</b>：2条 · 📷 照片11张" in hans
    assert "· 创建工作总结：《总结.pdf》（10月20日 10:00）" in hans
    assert "· 成果报告：输入的文字，共9字（10月20日 10:00）" in hans
    en = MSGS.text("en", "review/evidence", evidence=found)
    assert "📝 <b>Activity reports</b>: 6, the latest about 1 May" in en
    assert "· Ideological leadership: 3, latest 14 Mar" in en
    assert "· No criterion named: 2, latest 1 May" in en
    assert "⭐ <b>Highlights</b>: 2 · 📷 11" in en
    assert "· Work summary: 《总结.pdf》 (20 Oct 10:00)" in en
    empty = MSGS.text("en", "review/evidence", evidence=bare)
    assert "📝 <b>Activity reports</b>: none saved." in empty
    assert "⭐ <b>Highlights</b>: none." in empty
    assert "· Work summary: not handed in yet" in empty
    assert "· Results report: not handed in yet" in empty
    # The buttons: only those with something to send.
    ctx = SimpleNamespace(msgs=MSGS, locale="en")
    assert rows(ctx, found) == [
        [
            ("📄 The application", BUTTONS.data("application", seeded.full)),
            ("🖼 Highlight photos (11)", BUTTONS.data("photos", seeded.full)),
        ],
        [("📎 Final items", BUTTONS.data("finals", seeded.full))],
    ]
    assert rows(ctx, bare) == [[("📄 The application", BUTTONS.data("application", seeded.empty))]]


def test_the_block_stays_short_whatever_the_data():
    """Names of 200 characters, long sections, every criterion reported, long file names: the
    block stays under 1,500 characters in every locale, so the card stays one message."""
    long = "长" * 200
    glimpsed, _ = evidence.glimpse([long * 100], 20_000)
    worst = evidence.Evidence(
        project=orgs.Project(1, 1, "P", long),
        unit=orgs.Unit(1, "U", long),
        sections=(
            *(
                evidence.Section(s.key, glimpsed, True, s.title, answered=True)
                for s in evidence.key_sections(CAMPAIGN.sections)
                if s.kind == "text"
            ),
            evidence.Section("budget", "", False, BUDGET.title, Decimal("9" * 12), True),
        ),
        reports=tuple(
            evidence.Reports(c.key, 99_999, date(2026, 12, 31), c.title) for c in CAMPAIGN.criteria
        ),
        highlights=9_999,
        highlight_photos=99_999,
        finals={
            f.key: finals.Final(
                1, 1, f.key, Content("document", file_name=long + ".pdf"), 1, ASSESSING
            )
            for f in CAMPAIGN.finals
        },
        unsorted=evidence.Reports(None, 99_999, date(2026, 12, 31)),
        final_items=CAMPAIGN.finals,
        application=True,
    )
    for locale in ("zh-Hans", "zh-Hant", "en"):
        text = MSGS.text(locale, "review/evidence", evidence=worst)
        assert 800 < visible_length(text) < 1_500, (locale, visible_length(text))
        assert "…" in text


# --- the buttons, through the sandbox ---------------------------------------------------------


async def test_each_button_sends_what_it_says_to_an_assigned_reviewer(world: World, monkeypatch):
    seeded, rita = await _world(world)
    card = rita.last_reply  # any message of the bot's: the data is what counts
    before = len(rita.replies())
    answer = await world.answer_to(rita, card, BUTTONS.data("application", seeded.full))
    assert answer == "Sent below."
    sent = rita.replies()[before:]
    assert sent[0].text.startswith("Application: Project U1-01")
    assert len(sent) >= 2 and all(len(m.text) <= 4096 for m in sent)
    whole = "\n".join(m.text for m in sent)
    assert FOUNDATION in whole and "补充材料。" in whole  # in full, not the glimpse
    assert all(f"预期成果{n}。" in whole for n in range(3))
    # Photos: the newest highlight's first, in albums of at most 10, a lone one as a photo.
    before = len(rita.replies())
    assert await world.answer_to(rita, card, BUTTONS.data("photos", seeded.full)) == "Sent below."
    await world.sb.settle()
    sent = rita.replies()[before:]
    assert [m.kind for m in sent] == ["photo"] * 11
    assert [m.file_id for m in sent] == seeded.photos
    assert len({m.media_group_id for m in sent[:10]}) == 1 and sent[10].media_group_id is None
    assert [m.text for m in sent if m.text] == [
        "⭐ Themed Party day, 2 Apr",
        "⭐ Themed Party day, 14 Mar",
    ]
    assert sent[0].text and sent[2].text and not sent[1].text  # each report's first
    # However many there are, a tap sends a few albums and says where the rest are.
    monkeypatch.setattr(handlers.evidence, "PHOTO_LIMIT", 10)
    before = len(rita.replies())
    await world.answer_to(rita, card, BUTTONS.data("photos", seeded.full))
    await world.sb.settle()
    *album, note = rita.replies()[before:]
    assert [m.file_id for m in album] == seeded.photos[:10]
    assert note.text == "🖼 The first 10 of 11 photos are above; /highlights shows them all."
    # The final items: the document as handed in, the typed text as a message.
    before = len(rita.replies())
    assert await world.answer_to(rita, card, BUTTONS.data("finals", seeded.full)) == "Sent below."
    document, text = rita.replies()[before:]
    assert document.kind == "document" and document.file_id == seeded.summary
    assert document.text == "📎 Work summary of Project U1-01: 《总结.pdf》, handed in 20 Oct 10:00"
    assert text.text == (
        "📎 Results report of Project U1-01, typed text handed in 20 Oct 10:00:"
        "\n\n成果一。\n成果二。"
    )
    # An admin may read it too.
    before = len(world.admin.replies())
    answer = await world.answer_to(
        world.admin, world.admin.last_reply, BUTTONS.data("finals", seeded.full)
    )
    assert answer == "Sent below." and len(world.admin.replies()) == before + 2


async def test_refused_to_anyone_not_reviewing_it_and_forged_data_is_out_of_date(world: World):
    seeded, rita = await _world(world)
    ron = await world.join("Ron", "reviewer")  # a reviewer, not of this candidate
    rex = await world.join("Rex", "reviewer")  # recused from it
    mei = await world.join("Mei", "member", "P-U1-01")  # of its branch
    async with world.db.transaction(ASSESSING) as tx:
        await reviews.assign(tx, {(rex.id, seeded.full), (ron.id, seeded.empty)}, by=world.admin.id)
        review = await reviews.of(tx, rex.id, seeded.full)
        await reviews.recuse(tx, review.id, "my old unit", by=rex.id)
    for person in (ron, rex, mei):
        before = len(person.replies())
        for action in ("application", "photos", "finals"):
            data = BUTTONS.data(action, seeded.full)
            assert await world.answer_to(person, person.last_reply, data) == NOT_REVIEWER
        assert len(person.replies()) == before  # nothing sent
    card = rita.last_reply
    before = len(rita.replies())
    for forged in (
        BUTTONS.data("photos", seeded.other),  # not a candidate
        BUTTONS.data("finals", 10**9),  # no such project
        "ev:a:x",
        "ev:z:1",
        f"ev:a:{seeded.full}:1",
    ):
        assert await world.answer_to(rita, card, forged) == STALE, forged
    # In a group, where a card never is, the buttons are out of date too.
    group = world.sb.group("Reviewers", creator=world.admin)
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send("/help", chat=group)
    in_group = world.sb.messages(group)[-1]
    answer = await world.answer_to(world.admin, in_group, BUTTONS.data("finals", seeded.full))
    assert answer == STALE
    assert len(rita.replies()) == before


async def test_buttons_that_have_nothing_left_to_send_say_so(world: World):
    seeded, rita = await _world(world)
    async with world.db.transaction(ASSESSING) as tx:
        await reviews.assign(tx, {(rita.id, seeded.empty)}, by=world.admin.id)
        # The card showed photos, then their highlights were taken back.
        for row in await tx.fetch_all("SELECT report_id FROM highlights"):
            await highlights.unmark(tx, row["report_id"], by=world.admin.id)
    card = rita.last_reply
    before = len(rita.replies())
    answer = await world.answer_to(rita, card, BUTTONS.data("photos", seeded.full))
    assert answer == "This candidate's highlights have no photos now."
    answer = await world.answer_to(rita, card, BUTTONS.data("finals", seeded.empty))
    assert answer == "This candidate has handed in no final items yet."
    assert len(rita.replies()) == before
