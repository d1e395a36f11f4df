"""Stage 3's charts: drawn in Simplified and Traditional Chinese with every glyph in the font
(a missing one fails the test), PNG images of the promised size; 📊 and 🕸 send them as photos
to an admin in a private chat and to no one else; `pacesetter charts OUT_DIR` writes them."""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Callable

import pytest
from PIL import Image

import handlers.charts
from bot import charts, cli
from bot.campaign_load import load_campaign
from bot.ranking import Ranking, Row
from handlers.charts import BUTTONS, rows_for_candidate, rows_for_table
from messages.render import Messages
from storage import reviews
from tests.conftest import World
from tests.test_recuse import ASSESSING, assign, reviewing

CAMPAIGN = load_campaign()
MSGS = Messages(CAMPAIGN.timezone)
# Names an admin may import, with the characters whose two forms differ (党/黨, 标/標, 验/驗,
# 巩/鞏), full-width punctuation, Latin and digits; long enough to be wrapped and clipped.
NAMES = {
    "zh-Hans": [
        "港珠澳大桥沉管隧道项目党支部标杆创建（考核验收、巩固成果）示范工程第一标段",
        "深中通道项目党支部",
        r"第2标段$\foo{$党支部",  # as typed: never read as matplotlib's math
    ],
    "zh-Hant": [
        "港珠澳大橋沉管隧道項目黨支部標桿創建（考核驗收、鞏固成果）示範工程第一標段",
        "深中通道項目黨支部",
        r"第2標段$\foo{$黨支部",
    ],
}
UNITS = {"zh-Hans": "第一工程局党委", "zh-Hant": "第一工程局黨委"}
STALE = "This button is out of date. Send /ranking for a current one."
NOT_ALLOWED = "You are not allowed to do that."


class _Ctx:
    """What the button rows read of a handler's context."""

    def __init__(self, locale: str) -> None:
        self.msgs, self.locale = MSGS, locale


def _field(locale: str, count: int) -> charts.Field:
    """`count` scored candidates, each with its per-criterion means, and the field's average."""
    rows, means = [], {}
    for i in range(1, count + 1):
        calibrated = 60 - 1.5 * i
        name, unit = NAMES[locale][i % 3], UNITS[locale]
        scores = (calibrated + 1, calibrated, 6.0, calibrated, i, i, i)
        rows.append(Row(i, f"P-{i:02d}", name, 1, "U1", unit, 4, 5, *scores))
        means[i] = {c.key: (i + n) % 10 + 0.5 for n, c in enumerate(CAMPAIGN.criteria)}
    average = {c.key: 6.25 for c in CAMPAIGN.criteria}
    return charts.Field(Ranking(tuple(rows)), means, average)


def _complaints(draw: Callable[[], bytes], caplog: pytest.LogCaptureFixture):
    """The image, and what matplotlib warned or logged while drawing it (where a missing
    glyph is reported: "Glyph … missing from font(s) …")."""
    caplog.clear()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        image = draw()
    return image, [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]


def _size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        image.verify()
        return image.size


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant"])
def test_both_charts_draw_in_chinese_with_every_glyph_in_the_font(locale, caplog):
    field = _field(locale, charts.PER_IMAGE + 1)
    pages = charts.ranking_charts(field, MSGS, locale, CAMPAIGN)
    assert len(pages) == 2  # 26 candidates: 25 bars, then 1
    radar = charts.radar(field, field.ranking.rows[0], MSGS, locale, CAMPAIGN)
    sizes = []
    for draw in (*pages, radar):
        image, complaints = _complaints(draw, caplog)
        assert complaints == []
        sizes.append(_size(image))
    (width, tall), (_, short), radar_size = sizes
    assert width == charts.WIDTH and radar_size == (charts.WIDTH, charts.WIDTH)
    assert short < tall < 2560  # Telegram shows a photo at most 2,560 px on its long side
    # The words are the reader's: the title names the stage as the campaign file does.
    assert pages[0].args[0].startswith(CAMPAIGN.stage("assess").title.get(locale))
    assert ("黨" if locale == "zh-Hant" else "党") in radar.args[0]


def test_a_glyph_missing_from_the_font_is_caught(caplog):
    """The check above can fail: a character no font has is reported."""
    field = _field("zh-Hans", 3)
    draw = charts.radar(field, field.ranking.rows[0], MSGS, "zh-Hans", CAMPAIGN)
    unknown = functools.partial(draw.func, "\U000f0000", *draw.args[1:], **draw.keywords)
    _, complaints = _complaints(unknown, caplog)
    assert any("missing from font" in c for c in complaints), complaints


def test_an_unwritable_config_folder_is_replaced_by_a_private_one(tmp_path):
    """A service whose home can't be written: matplotlib's font list goes to a folder of ours
    in the temp dir (kept between starts), not to a new temporary one each time, with a warning.
    """
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "MPLCONFIGDIR": str(blocked / "matplotlib"), "TMPDIR": str(temp)}
    script = "from bot import charts; charts.radar_chart('党', ['一', '二', '三'], [1] * 3,"
    script += " [1] * 3, 2, value_label='甲', average_label='乙')"
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    [ours] = temp.iterdir()
    assert ours.name.startswith("pacesetter-matplotlib-")
    assert [p.name for p in ours.glob("fontlist-*.json")]


def test_a_score_outside_0_to_the_highest_total_stays_on_the_axis():
    assert charts.span([50.0, 40.0], 60) == (0.0, 66.0)
    low, high = charts.span([63.0, 58.0, -2.0], 60)  # calibration can leave the range
    assert low < -2.0 and high > 63.0


def test_long_names_are_wrapped_on_two_lines_and_clipped():
    wrapped = charts._wrap(NAMES["zh-Hans"][0])
    first, second = wrapped.split("\n")
    assert NAMES["zh-Hans"][0].startswith(first + second[:-1]) and second.endswith("…")
    assert charts._wrap("深中通道项目党支部") == "深中通道项目党支部"
    # English breaks between words (a criterion's title on the radar).
    assert charts._wrap("Ideological leadership", 8) == "Ideological\nleadership"
    assert charts._wrap("Line 3 第2标段项目党支部 of the bridge", 10) == (
        "Line 3 第2标段项目\n党支部 of the…"
    )


async def _scored(world: World) -> dict[str, int]:
    """Four candidates; three reviewers submit their reviews of the first three only."""
    people, ids = await reviewing(world, [("U1", 4)], ["Rita", "Ron", "Vic"], 3)
    found = await assign(world, *[(p, i) for p in people for i in ids.values()])
    world.clock.now = ASSESSING
    criteria = [c.key for c in CAMPAIGN.criteria]
    async with world.db.transaction(world.clock.now) as tx:
        for n, person in enumerate(people):
            for code in ("P-U1-01", "P-U1-02", "P-U1-03"):
                review_id = found[person.id, ids[code]]
                for m, key in enumerate(criteria):
                    await reviews.set_score(tx, review_id, key, (n + m) % 4 + 5)
                await reviews.submit(tx, review_id, criteria, by=person.id, comment=None)
    return ids


def _photo(world: World, message) -> tuple[int, int]:
    assert message.kind == "photo"
    return _size(world.sb.files.get(message.file_id).data)


async def test_an_admin_gets_the_fields_chart_and_a_candidates_radar_as_photos(world: World):
    ids = await _scored(world)
    admin = world.admin
    [[(label, data)]] = rows_for_table(_Ctx("en"))
    assert (label, data) == ("📊 Chart of the scores", BUTTONS.data("table"))
    start = len(world.sb.requests)
    assert await world.answer_to(admin, admin.last_reply, data) == "📊 Drawing the chart…"
    called = [method for method, _ in world.sb.requests[start:]]
    assert called.index("answerCallbackQuery") < called.index("sendPhoto")  # answered first
    photo = admin.last_reply
    assert _photo(world, photo)[0] == charts.WIDTH
    assert photo.text.startswith(
        "📊 Assessment and acceptance: the calibrated scores of 3 candidates, as of 20 Oct"
    )
    # A Traditional Chinese admin's radar, in their words.
    lin = await world.join("Lin", "admin", language_code="zh-hant")
    [[(label, data)]] = rows_for_candidate(_Ctx("zh-Hant"), ids["P-U1-01"])
    assert label == "🕸 雷達圖"
    assert await world.answer_to(lin, lin.last_reply, data) == "📊 正在繪製圖表…"
    assert _photo(world, lin.last_reply) == (charts.WIDTH, charts.WIDTH)
    assert "各項指標在3份計入評審中的平均分" in lin.last_reply.text
    # A candidate no review counts for has nothing to draw, and says so.
    before = len(admin.replies())
    answer = await world.answer_to(admin, photo, BUTTONS.data("radar", ids["P-U1-04"]))
    assert answer == "No review of Project U1-04 counts yet: there is nothing to draw."
    assert len(admin.replies()) == before


async def test_a_larger_field_comes_as_albums_the_caption_on_the_first(world: World, monkeypatch):
    await _scored(world)
    monkeypatch.setattr(charts, "PER_IMAGE", 1)  # 3 candidates: 3 images
    monkeypatch.setattr(handlers.charts, "ALBUM", 2)  # an album of 2, then one photo
    admin = world.admin
    before = len(admin.replies())
    assert await world.answer_to(admin, admin.last_reply, BUTTONS.data("table"))
    first, second, third = admin.replies()[before:]
    assert [m.kind for m in (first, second, third)] == ["photo"] * 3
    assert first.media_group_id and first.media_group_id == second.media_group_id
    assert third.media_group_id is None
    assert first.text.startswith("📊 Assessment and acceptance: the calibrated scores of 3")
    assert second.text == third.text == ""


async def test_only_admins_in_a_private_chat_get_charts_and_forged_buttons_are_stale(
    world: World,
):
    ids = await _scored(world)
    rita = await world.join("Rita2", "reviewer")
    sam = await world.join("Sam", "secretary", "U1")
    for person in (rita, sam):
        before = len(person.replies())
        for data in (BUTTONS.data("table"), BUTTONS.data("radar", ids["P-U1-01"])):
            assert await world.answer_to(person, person.last_reply, data) == NOT_ALLOWED
        assert len(person.replies()) == before  # no score reaches them
    admin = world.admin
    before = len(admin.replies())
    for forged in (BUTTONS.data("radar", 10**9), "ch:r:x", "ch:t:1", "ch:z"):
        assert await world.answer_to(admin, admin.last_reply, forged) == STALE, forged
    group = world.sb.group("Admins", creator=admin)
    await world.sb.add_bot(group, by=admin)
    await admin.send("/help", chat=group)
    in_group = world.sb.messages(group)[-1]
    assert await world.answer_to(admin, in_group, BUTTONS.data("table")) == STALE
    assert len(admin.replies()) == before and world.sb.messages(group)[-1] is in_group


async def test_pacesetter_charts_writes_the_ranking_and_each_scored_candidates_radar(
    world: World, tmp_path, monkeypatch, capsys
):
    await _scored(world)
    monkeypatch.setenv("PACESETTER_DB", str(world.settings.db_path))
    out = tmp_path / "charts"
    assert await asyncio.to_thread(cli.main, ["charts", str(out), "--lang", "zh-Hant"]) == 0
    written = ["ranking.png", *[f"radar-P-U1-0{n}.png" for n in (1, 2, 3)]]
    assert capsys.readouterr().out.splitlines() == [str(out / name) for name in written]
    assert sorted(p.name for p in out.iterdir()) == sorted(written)
    assert _size((out / "radar-P-U1-01.png").read_bytes()) == (charts.WIDTH, charts.WIDTH)
    assert _size((out / "ranking.png").read_bytes())[0] == charts.WIDTH


async def test_pacesetter_charts_says_when_there_is_nothing_to_draw(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PACESETTER_DB", str(tmp_path / "empty.db"))
    assert await asyncio.to_thread(cli.main, ["charts", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr()
    assert printed.out == "" and "there is nothing to draw" in printed.err
    assert not (tmp_path / "out").exists()


def test_the_bot_starts_without_loading_matplotlib():
    """Most of a second at every start: matplotlib loads when a chart is first asked for."""
    script = "import sys, bot.app; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
