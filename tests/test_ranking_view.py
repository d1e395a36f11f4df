"""/ranking, the admins' table of stage 3's results: ranks (ties as ties), scores, counts and
flags with their reasons, sorted and paged in one message; a candidate's detail, reviewers
anonymised; nobody but an admin sees any of it. Through the sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import ranking
from bot.ranking import Ranking
from handlers import ranking as view
from storage import reviews, votes
from tests.conftest import World
from tests.test_recuse import AFTER, ASSESSING, YES, reviewing

STALE = "This button is out of date. Send /ranking for a current one."
REFUSED = "Only campaign admins can do that."


async def _score(user, code: str, value: int | list[int], comment: str = "") -> None:
    values = value if isinstance(value, list) else [value] * 6
    await user.send(f"/score {code} {' '.join(map(str, values))} {comment}".strip())
    assert "Submitted" in user.last_reply.text, user.last_reply.text


async def _three_scored(world: World):
    """Four candidates, three reviewers who each review every one (the campaign's scores of
    0–10 on six criteria, weights 1): P-U1-01 54/48/42, P-U1-02 48/42/36, P-U2-01 42 from
    each, P-U2-02 nothing. Every reviewer scores the same candidates, so calibrating moves
    no score: calibrated = raw, and P-U1-02 and P-U2-01 share rank 2."""
    people, ids = await reviewing(world, [("U1", 2), ("U2", 2)], ["Rita", "Ron", "Vic"], 0)
    world.clock.now = ASSESSING
    for user, (first, second) in zip(people, [(9, 8), (8, 7), (7, 6)], strict=True):
        await _score(user, "P-U1-01", first, f"{user.first_name} says first")
        await _score(user, "P-U1-02", second)
        await _score(user, "P-U2-01", 7)
    return people, ids


def _with_rows(monkeypatch: pytest.MonkeyPatch, **changes: dict) -> None:
    """bot/ranking.py's numbers with these fields changed per candidate code: what the table
    shows of flags and of ranks that differ, whatever the numbers' model makes of them."""
    real = ranking.load

    async def load(db, campaign) -> Ranking:
        found = await real(db, campaign)
        rows = tuple(replace(row, **changes.get(row.code, {})) for row in found.rows)
        return Ranking(rows, found.biases)

    monkeypatch.setattr(ranking, "load", load)


def _labels(message) -> list[list[str]]:
    return [[label for label, _ in row] for row in message.buttons]


async def test_the_table_ranks_with_ties_scores_and_counts_in_english_and_chinese(world: World):
    [rita, *_], _ = await _three_scored(world)
    await world.admin.send("/ranking")
    table = world.admin.last_reply
    text = table.text
    assert text.startswith(
        "📈 Ranking in Assessment and acceptance (8 Oct 09:00 – 15 Nov 18:00), as of 20 Oct 10:00"
        "\nResults so far: 9 of 12 reviews submitted; more may come until the deadline."
        "\nSorted by calibrated score"
    )
    assert (
        "\n\n1. Project U1-01 (P-U1-01), Unit U1\n"
        "   calibrated 48.00 (1) · raw 48.00 (1) · median 48.00 · reviews 3/3\n"
    ) in text
    assert (
        "\n\n=2. Project U1-02 (P-U1-02), Unit U1\n"
        "   calibrated 42.00 (=2) · raw 42.00 (=2) · median 42.00 · reviews 3/3\n"
    ) in text
    assert (
        "\n\n=2. Project U2-01 (P-U2-01), Unit U2\n   calibrated 42.00 (=2) · raw 42.00 (=2)"
        in (text)
    )
    assert (
        "\n\n–. Project U2-02 (P-U2-02), Unit U2\n   no score: no review counts yet · reviews 0/3"
        in (text)
    )
    assert text.index("(P-U1-01)") < text.index("(P-U1-02)") < text.index("(P-U2-01)")
    assert text.index("(P-U2-01)") < text.index("(P-U2-02)") and "Page" not in text
    assert "<b>1</b>. Project U1-01" in table.html
    assert _labels(table) == [
        ["🔎 1 · Project U1-01 (P-U1-01)"],
        ["🔎 =2 · Project U1-02 (P-U1-02)"],
        ["🔎 =2 · Project U2-01 (P-U2-01)"],
        ["🔎 – · Project U2-02 (P-U2-02)"],
        ["✓ Calibrated", "Raw", "🔄 Refresh"],
        ["📊 Chart of the scores"],
    ]
    # 🔄 computes again, in the same message.
    await _score(rita, "P-U2-02", 5)
    world.advance(minutes=5)
    await world.admin.tap("🔄 Refresh", message=table)
    assert table.edited and table is world.admin.last_reply
    assert "Results so far: 10 of 12 reviews submitted" in table.text
    assert "\n\n4. Project U2-02 (P-U2-02), Unit U2\n   calibrated " in table.text
    assert "raw 30.00 (4) · median 30.00 · reviews 1/3" in table.text
    # In Chinese, for an admin who reads it.
    li = await world.join("Li", "admin", language_code="zh-hans")
    await li.send("/ranking")
    text = li.last_reply.text
    assert text.startswith(
        "📈 考核验收排名（10月8日 09:00至11月15日 18:00，截至10月20日 10:05）"
        "\n目前结果：已提交10份，共12份评审；截止时间前仍可能有新的评审。"
        "\n按校准分排序"
    )
    assert (
        "\n\n=2. Project U1-02（P-U1-02），Unit U1\n"
        "   校准分42.00（=2）· 原始分42.00（=2）· 中位数42.00 · 评审3/3\n"
    ) in text
    assert _labels(li.last_reply)[-2] == ["✓ 按校准分", "按原始分", "🔄 刷新"]
    # Once the stage has closed, the results are final.
    world.clock.now = AFTER
    await world.admin.tap("🔄 Refresh", message=table)
    assert "\nFinal results: the stage has closed with 10 of 12 reviews submitted.\n" in table.text


async def test_sorting_follows_the_chosen_rank_and_flags_say_why(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    await _three_scored(world)
    # As the numbers could make them: calibration lifts P-U2-01 to the top, with flags.
    _with_rows(
        monkeypatch,
        **{
            "P-U2-01": {
                "calibrated": 50.0,
                "calibrated_rank": 1,
                "rank": 1,
                "flags": ("rank_moved", "spread_criterion"),
            },
            "P-U1-01": {"calibrated_rank": 2, "rank": 2, "flags": ("spread_total",)},
            "P-U1-02": {"calibrated_rank": 3, "rank": 3},
            "P-U2-02": {"flags": ("few_reviews",)},
        },
    )
    await world.admin.send("/ranking")
    table = world.admin.last_reply
    text = table.text
    assert text.index("(P-U2-01)") < text.index("(P-U1-01)") < text.index("(P-U1-02)")
    assert (
        "\n\n1. Project U2-01 (P-U2-01), Unit U2\n"
        "   calibrated 50.00 (1) · raw 42.00 (=2) · median 42.00 · reviews 3/3\n"
        "   ⚠ Calibration moves it: calibrated rank 1, raw rank =2.\n"
        "   ⚠ Reviewers disagree on a criterion: their scores differ by 4 points or more.\n"
    ) in text
    assert "   ⚠ Reviewers disagree: their totals differ by 12.00, more than 12." in text
    assert "   ⚠ Few reviews: only 0 count, fewer than 3." in text
    assert _labels(table)[0] == ["🔎 1 · Project U2-01 (P-U2-01)"]
    # By raw score: the raw ranks' order, the mark on Raw, in the same message.
    await world.admin.tap("Raw", message=table)
    text = table.text
    assert table is world.admin.last_reply
    assert "Sorted by raw score, the mean of the reviews' weighted totals" in text
    assert text.index("(P-U1-01)") < text.index("(P-U1-02)") < text.index("(P-U2-01)")
    assert "\n\n=2. Project U2-01 (P-U2-01), Unit U2\n   calibrated 50.00 (1) · raw 42.00 (=2)" in (
        text
    )
    assert _labels(table)[0] == ["🔎 1 · Project U1-01 (P-U1-01)"]
    assert _labels(table)[-2:] == [
        ["Calibrated", "✓ Raw", "🔄 Refresh"],
        ["📊 Chart of the scores"],
    ]
    # The detail carries the flags too, and ◀ returns to the sort it came from.
    await world.admin.tap("🔎 =2 · Project U2-01 (P-U2-01)", message=table)
    assert "⚠ Calibration moves it: calibrated rank 1, raw rank =2." in table.text
    await world.admin.tap("◀ Back to the ranking", message=table)
    assert "Sorted by raw score" in table.text
    li = await world.join("Li", "admin", language_code="zh-hans")
    await li.send("/ranking")
    text = li.last_reply.text
    assert "   ⚠ 校准后排名变化：校准排名1，原始排名=2。\n" in text
    assert "   ⚠ 评审意见分歧：总分相差12.00，超过12。" in text
    assert "   ⚠ 计入的评审较少：仅0份，少于3份。" in text


LONG_PROJECT = "中国建筑第八工程局有限公司华东区域总部大厦及配套设施工程项目" * 7  # 203
LONG_UNIT = "中国建筑第八工程局有限公司上海分公司第三项目管理部党总支" * 7


async def test_twelve_candidates_page_in_one_message_that_fits_with_long_chinese_names(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    lines = ["unit_code,unit_name,project_code,project_name"]
    lines += [f"U1,{LONG_UNIT[:200]},P-{i:02d},{i:02d}{LONG_PROJECT[:198]}" for i in range(1, 13)]
    await world.admin.send("/import")
    await world.admin.send_document(
        ("\n".join(lines) + "\n").encode(), filename="orgs.csv", mime_type="text/csv"
    )
    assert "Imported" in world.admin.last_reply.text, world.admin.last_reply.text
    await world.accept()
    every = ("spread_total", "spread_criterion", "few_reviews", "rank_moved")
    _with_rows(monkeypatch, **{f"P-{i:02d}": {"flags": every} for i in range(1, 13)})
    world.clock.now = ASSESSING
    li = await world.join("Li", "admin", language_code="zh-hans")
    await li.send("/ranking")
    table = li.last_reply
    sent = len(li.replies())
    assert len(table.text) <= 4096 and "第1/2页。" in table.text
    assert "(P-10)" not in table.text and "（P-10）" in table.text and "（P-11）" not in table.text
    assert "…（P-01）" in table.text  # the long names clipped
    assert table.text.count("⚠") == 40
    labels = _labels(table)
    assert len(labels) == 10 + 3 and labels[10] == ["下一页 ▶"]  # and sort, chart
    assert labels[0][0].startswith("🔎 – · 01中国建筑") and labels[0][0].endswith("（P-01）")
    await li.tap("下一页 ▶", message=table)
    assert table is li.last_reply and "第2/2页。" in table.text
    assert "（P-11）" in table.text and "（P-12）" in table.text and "（P-01）" not in table.text
    assert _labels(table)[2] == ["◀ 上一页"]
    # A detail remembers its page: ◀ returns to page 2.
    await li.tap(_labels(table)[0][0], message=table)
    assert table.text.startswith(f"📈 11{LONG_PROJECT[:198]}（P-11）")
    await li.tap("◀ 返回排名", message=table)
    assert "第2/2页。" in table.text and "（P-12）" in table.text
    assert len(li.replies()) == sent  # one message throughout


async def test_a_candidates_detail_anonymises_reviewers_and_shows_the_vote(world: World):
    [rita, ron, vic], ids = await reviewing(
        world, [("U1", 1), ("U2", 1)], ["Rita", "Ron", "Vic"], 0
    )
    world.clock.now = ASSESSING
    await _score(rita, "P-U1-01", 9, "Praise from Rita")
    await _score(ron, "P-U1-01", [6, 7, 8, 6, 7, 8], "<b>Ron</b> & doubts")
    await vic.send("/recuse P-U1-01 A conflict")
    await vic.tap(YES)
    project = ids["P-U1-01"]
    async with world.db.transaction(world.clock.now) as tx:
        vote = await votes.open_vote(tx, project, -100, by=world.admin.id)
        await votes.cast(tx, vote.id, rita.id, "recommend")
        await votes.cast(tx, vote.id, ron.id, "not_yet")
        await votes.close(tx, vote.id, by=world.admin.id)
    # Reviewer 1…n by review id, whoever scored first.
    ritas, rons = [(await reviews.of(world.db, u.id, project)).id for u in (rita, ron)]
    first, second = ("Praise from Rita", "<b>Ron</b> & doubts")[:: 1 if ritas < rons else -1]
    totals = ("54.00", "42.00")[:: 1 if ritas < rons else -1]
    await world.admin.send("/ranking")
    table = world.admin.last_reply
    await world.admin.tap("🔎 1 · Project U1-01 (P-U1-01)", message=table)
    assert table is world.admin.last_reply
    text = table.text
    assert text.startswith(
        "📈 Project U1-01 (P-U1-01), Unit U1\n"
        "Calibrated score: 48.00, rank 1.\n"
        "Raw score: 48.00, rank 1; median 48.00; the totals spread 12.00.\n"
        "Reviews that count: 2 of 2 assigned; recused: 1.\n"
    )
    assert (
        "\n\nEach criterion's mean over the reviews\n"
        "Ideological leadership: 7.50 of 10\n"
        "Working mechanisms: 8.00 of 10\n"
    ) in text
    assert ": 8.50 of 10\n" in text
    assert (
        "\n\nEach review that counts (reviewers anonymised)\n"
        f"Reviewer 1: {totals[0]} of 60\n   💬 {first}\n"
        f"Reviewer 2: {totals[1]} of 60\n   💬 {second}\n"
    ) in text
    assert "&lt;b&gt;Ron&lt;/b&gt; &amp; doubts" in table.html  # their words, escaped
    assert text.endswith("\n\n🗳 Quick vote, closed 20 Oct 10:00: 👍 1 · 🤔 0 · 👎 1")
    for name in ("Rita", "Ron", "Vic"):
        assert name not in text.replace(first, "").replace(second, "")
    assert _labels(table) == [["◀ Back to the ranking"], ["🕸 Radar chart"]]
    await world.admin.tap("◀ Back to the ranking", message=table)
    assert table.text.startswith("📈 Ranking in") and table is world.admin.last_reply
    # No vote closed on the other, nor any review counted.
    await world.admin.tap("🔎 – · Project U2-01 (P-U2-01)", message=table)
    assert "No score: no review counts yet.\nReviews that count: 0 of 3 assigned" in table.text
    assert table.text.endswith("🗳 No quick vote on it has been closed.")
    li = await world.join("Li", "admin", language_code="zh-hans")
    await li.send("/ranking")
    await li.tap("🔎 1 · Project U1-01（P-U1-01）", message=li.last_reply)
    text = li.last_reply.text
    assert "计入的评审：已分配2份，计入2份；回避1份。" in text
    assert f"评审专家1：{totals[0]}/60" in text and "各项指标的评审平均分" in text
    assert text.endswith("🗳 快速投票（10月20日 10:00结束）：👍 1 · 🤔 0 · 👎 1")


async def test_only_admins_in_private_see_any_of_it(world: World):
    [rita, ron, vic], ids = await _three_scored(world)
    sam = await world.join("Sam", "secretary", "U1")
    lee = await world.join("Lee", "lead", "P-U1-01")
    await world.admin.send("/ranking")
    table = world.admin.last_reply
    page = view.BUTTONS.data("page", "raw", 0)
    detail = view.BUTTONS.data("detail", ids["P-U1-01"], "calibrated", 0)
    for user in (rita, sam, lee):
        await user.send("/ranking")
        assert user.last_reply.text == REFUSED
        for data in (page, detail, view.BUTTONS.data("refresh", "calibrated", 0)):
            answer = await world.answer_to(user, user.last_reply, data)
            assert answer == "You are not allowed to do that."
    # Forged or stale data changes nothing: out of date, the table as it was.
    shown = table.text
    not_a_candidate = await world.db.fetch_value("SELECT MAX(id) + 1 FROM projects")
    for forged in (
        "rk:p:nosuch:0",
        "rk:p:raw",
        "rk:d:abc:raw:0",
        "rk:x:1",
        view.BUTTONS.data("detail", not_a_candidate, "raw", 0),
        view.BUTTONS.data("detail", ids["P-U1-01"], "other", 0),
    ):
        assert await world.answer_to(world.admin, table, forged) == STALE, forged
    assert table.text == shown
    # A page past the end is the last page.
    await world.answer_to(world.admin, table, view.BUTTONS.data("page", "raw", 7))
    assert "Sorted by raw score" in table.text and "(P-U2-02)" in table.text
    # In a group: the way to the private chat, and a tap there is out of date.
    group = world.sb.group("Reviewers", creator=world.admin, members=[rita, ron])
    await world.sb.add_bot(group, by=world.admin)
    await world.admin.send("/ranking", chat=group)
    hint = world.sb.messages(group)[-1]
    assert hint.text == "/ranking works in our private chat: tap below to open it."
    assert await world.answer_to(world.admin, hint, detail) == STALE
    assert world.sb.messages(group)[-1] is hint
    # Nothing of the ranking reached anyone else: no score but a reviewer's own card.
    said = [
        "Ranking",
        "calibrated",
        "48.00",
        "42.00",
        "Reviewer 1",
        "says first",
        "median",
    ]
    for user in (rita, ron, vic, sam, lee):
        for message in world.sb.messages(user.id):
            for words in said:
                theirs = f"{user.first_name} says first"
                assert words not in message.text.replace(theirs, ""), (user, message.text)
    for message in world.sb.messages(group):
        assert not any(words in message.text for words in said)
    for user in (sam, lee):
        assert not any("/60" in m.text or " of 60" in m.text for m in world.sb.messages(user.id))
