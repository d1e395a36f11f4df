"""Dates typed the way people type them, and as the bot prints them (issue 17, point 5):
bot.rules.parse_moment and parse_day, the one reading behind every date step."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules import parse_day, parse_moment
from messages.render import LOCALES, ROOT, Messages

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 9)  # a Wednesday


@pytest.mark.parametrize(
    ("typed", "moment"),
    [
        ("1月20日（周三）18：00", (2027, 1, 20, 18, 0)),  # a weekday as the bot may add it
        ("1月20日(星期三) 18:00", (2027, 1, 20, 18, 0)),
        ("2027年1月20日（週三）18:00", (2027, 1, 20, 18, 0)),  # zh-Hant
        ("2027年1月20日 17時30分", (2027, 1, 20, 17, 30)),
        ("1月20日下午6点半", (2027, 1, 20, 18, 30)),
        ("1月20日晚上8点", (2027, 1, 20, 20, 0)),
        ("1月20日上午9点", (2027, 1, 20, 9, 0)),
        ("1月20号", (2027, 1, 20, 18, 0)),
        ("1月20日18:00前", (2027, 1, 20, 18, 0)),  # "before": a deadline
        ("Wed 20 Jan 18:00", (2027, 1, 20, 18, 0)),
        ("20 Jan (Wed) 18:00", (2027, 1, 20, 18, 0)),
        ("Wednesday, 20 January 2027, 18:00", (2027, 1, 20, 18, 0)),
        ("Jan 20, 2027 18:00", (2027, 1, 20, 18, 0)),
        ("jan 20", (2027, 1, 20, 18, 0)),
        ("12月24日", (2026, 12, 24, 18, 0)),  # still ahead this year
        ("12月9日 9:00", (2026, 12, 9, 9, 0)),  # today is not "the next one": it counts
    ],
)
def test_typed_and_printed_forms_are_read(typed: str, moment: tuple[int, ...]) -> None:
    assert parse_moment(typed, TODAY) == datetime(*moment)


@pytest.mark.parametrize(
    "typed",
    ["1月20日 24:00", "1-20 18:60", "2月30日", "20 Foo", "周三", "Wed", "下午6点", "1月20日 周八"],
)
def test_what_is_no_moment_is_none(typed: str) -> None:
    assert parse_moment(typed, TODAY) is None


@pytest.mark.parametrize(
    ("typed", "today", "past", "day"),
    [
        ("3-12", date(2027, 3, 15), True, date(2027, 3, 12)),
        ("12-24", date(2027, 1, 10), True, date(2026, 12, 24)),  # last year's: the latest one
        ("12-24", date(2027, 1, 10), False, date(2027, 12, 24)),
        ("3月15日", date(2027, 3, 15), True, date(2027, 3, 15)),  # today, either way
        ("3月16日", date(2027, 3, 15), True, date(2026, 3, 16)),
        ("2-29", date(2029, 3, 1), True, date(2028, 2, 29)),  # only in a leap year
        ("2-29", date(2027, 3, 1), False, date(2028, 2, 29)),
        ("2-29", date(2027, 3, 1), True, None),  # 2026 and 2027 have none
        ("2027年3月16日", date(2027, 3, 15), True, date(2027, 3, 16)),  # a year typed is kept
        ("3月12日 18:00", date(2027, 3, 15), True, date(2027, 3, 12)),  # a time is let be
        ("14 Mar 2027", date(2027, 3, 15), True, date(2027, 3, 14)),
    ],
)
def test_a_day_without_its_year_is_the_next_or_the_latest(
    typed: str, today: date, past: bool, day: date | None
) -> None:
    assert parse_day(typed, today, past=past) == day


@given(st.text(max_size=40), st.booleans())
def test_any_text_reads_as_a_moment_or_none_and_never_raises(text: str, past: bool) -> None:
    moment = parse_moment(text, TODAY, past=past)
    assert moment is None or isinstance(moment, datetime)


# --- the bot's own printed dates read back ---------------------------------------------------


@pytest.fixture(scope="module")
def printer(tmp_path_factory: pytest.TempPathFactory) -> Messages:
    """The bot's messages with one screen more, showing a moment and a day through the
    `when` and `day` filters every other screen uses."""
    root = tmp_path_factory.mktemp("messages") / "messages"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    screen = root / "templates" / "test_dates" / "printed.html"
    screen.parent.mkdir()
    screen.write_text("{{ moment | when }}\n{{ moment.date() | day }}\n", encoding="utf-8")
    return Messages(SHANGHAI, root=Path(root))


_moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2029, 12, 31, 23, 59)
).map(lambda m: m.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(_moments, st.sampled_from(LOCALES))
def test_what_the_bot_prints_reads_back_as_the_same_moment(
    printer: Messages, moment: datetime, locale: str
) -> None:
    # A date printed without its year means this year's: read towards the side it lies on.
    past = moment.date() < TODAY
    shown = printer.text(locale, "test_dates/printed", moment=moment.replace(tzinfo=SHANGHAI))
    when, day = shown.splitlines()
    assert parse_moment(when, TODAY, past=past) == moment, when
    assert parse_day(day, TODAY, past=past) == moment.date(), day


_WEEKDAYS = {
    "zh-Hans": "一二三四五六日",
    "zh-Hant": "一二三四五六日",
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _printed_short(moment: datetime, locale: str, weekday: str) -> str:
    """The style the glossary asks for: 1月20日 18:00, the year only when not this year;
    20 Jan 18:00 in English; with the weekday as the bot may add it, or none."""
    name = _WEEKDAYS[locale][moment.weekday()]
    year = moment.year != TODAY.year
    if locale == "en":
        day = moment.strftime("%-d %b %Y" if year else "%-d %b")
        day = {"": day, "before": f"{name} {day}", "after": f"{day} ({name})"}[weekday]
        return f"{day} {moment:%H:%M}"
    day = moment.strftime("%Y年%-m月%-d日" if year else "%-m月%-d日")
    week = "周" if locale == "zh-Hans" else "週"
    mark = {"": "", "before": f"（星期{name}）", "after": f"（{week}{name}）"}[weekday]
    return f"{day}{mark} {moment:%H:%M}"


@given(_moments, st.sampled_from(LOCALES), st.sampled_from(["", "before", "after"]))
def test_the_short_style_with_or_without_a_weekday_reads_back(
    moment: datetime, locale: str, weekday: str
) -> None:
    printed = _printed_short(moment, locale, weekday)
    assert parse_moment(printed, TODAY, past=moment.date() < TODAY) == moment, printed


def test_a_short_date_this_year_reads_as_this_years_on_its_side_of_today() -> None:
    ahead, behind = TODAY + timedelta(days=10), TODAY - timedelta(days=200)
    assert parse_day(f"{ahead.month}月{ahead.day}日", TODAY) == ahead
    assert parse_day(f"{behind.month}月{behind.day}日", TODAY, past=True) == behind
