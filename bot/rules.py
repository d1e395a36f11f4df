"""Domain rules as plain functions: data in, data out (no Telegram, no SQL)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from bot.campaign import QuietHours, Quota, Stage

# --- quota -----------------------------------------------------------------------------------


def _exact(ratio: Fraction | Decimal | float | int) -> Fraction:
    # A float such as 0.1 goes through its shortest repr so that 0.1 × 10 is exactly 1.
    return Fraction(repr(ratio)) if isinstance(ratio, float) else Fraction(ratio)


def unit_quota(project_count: int, quota: Quota) -> int:
    """How many of a unit's projects it may nominate."""
    if project_count < 0:
        raise ValueError("project_count must not be negative")
    if project_count == 0:
        return 0
    share = _exact(quota.ratio) * project_count
    if quota.rounding == "ceil":
        allowed = math.ceil(share)
    elif quota.rounding == "floor":
        allowed = math.floor(share)
    elif quota.rounding == "round":
        allowed = math.floor(share + Fraction(1, 2))  # half up, not Python's half to even
    else:
        raise ValueError(f"unknown rounding {quota.rounding!r}")
    # The minimum lifts small units, but a unit cannot nominate projects it does not have.
    return min(max(allowed, quota.minimum), project_count)


# --- reminders -------------------------------------------------------------------------------


def reminder_times(stage: Stage) -> list[datetime]:
    """When to remind about a stage's deadline, in UTC, oldest first."""
    deadline = stage.deadline.astimezone(UTC)
    times = {deadline - offset for offset in stage.remind}
    # A reminder before the stage opens would announce a deadline nobody can act on yet.
    return sorted(t for t in times if t > stage.opens)


def countdown(now: datetime, moment: datetime) -> tuple[int, int, int]:
    """Whole days, hours and minutes from `now` until `moment` (zeros once it has passed):
    real time, so a night when clocks change counts as the hours it lasts."""
    seconds = max(0, int((_aware(moment) - _aware(now)).total_seconds()))
    days, rest = divmod(seconds, 86_400)
    return days, rest // 3_600, rest % 3_600 // 60


def in_quiet_hours(moment: datetime, quiet: QuietHours, tz: ZoneInfo) -> bool:
    clock = _aware(moment).astimezone(tz).time().replace(tzinfo=None)
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= clock < quiet.end
    return clock >= quiet.start or clock < quiet.end  # wraps over midnight


def shift_out_of_quiet_hours(moment: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """Move a moment inside quiet hours to the end of the quiet period; always returns UTC."""
    moment = _aware(moment)
    if not in_quiet_hours(moment, quiet, tz):
        return moment.astimezone(UTC)
    local = moment.astimezone(tz)
    day = local.date()
    # Late evening of a period that wraps midnight: the quiet ends tomorrow morning.
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        day += timedelta(days=1)
    return datetime.combine(day, quiet.end, tzinfo=tz).astimezone(UTC)


LEAVE_PRESETS = (7, 14, 30)  # days of leave offered as buttons


def end_of_leave(moment: datetime, tz: ZoneInfo) -> datetime:
    """A leave lasts to the end of its last day, on the campaign's clock (23:59 there)."""
    local = _aware(moment).astimezone(tz)
    return datetime.combine(local.date(), time(23, 59), tzinfo=tz)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return moment


# --- money -----------------------------------------------------------------------------------

_MULTIPLIERS = {
    "": 1,
    "百": 100,
    "千": 1_000,
    "k": 1_000,
    "万": 10_000,
    "萬": 10_000,
    "w": 10_000,
    "十万": 100_000,
    "十萬": 100_000,
    "百万": 1_000_000,
    "百萬": 1_000_000,
    "千万": 10_000_000,
    "千萬": 10_000_000,
    "亿": 100_000_000,
    "億": 100_000_000,
}
_PREFIXES = ("¥", "rmb", "cny", "人民币", "人民幣")
_SUFFIXES = ("元整", "元", "圆", "圓", "块", "塊", "yuan", "rmb", "cny")
_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def parse_amount(text: str) -> Decimal | None:
    """Read a budget amount such as "12.5万", "125,000 元" or "¥125000"; None if it is not one."""
    read = _parse_amount(text)
    return read[0] if read is not None else None


def _parse_amount(text: str) -> tuple[Decimal, bool] | None:
    """The amount, and whether it was a bare number (no ¥, 元, 万 or the like to say its unit)."""
    # NFKC turns full-width digits, commas and ￥ into their ASCII forms.
    rest = unicodedata.normalize("NFKC", text).strip().lower()
    if not rest or len(rest) > 24:  # keeps well inside Decimal's 28-digit precision
        return None
    unprefixed = _strip_affix(rest, _PREFIXES, prefix=True)
    match = _NUMBER.match(unprefixed)
    if match is None:
        return None
    number = Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))
    after = unprefixed[match.end() :].strip()
    tail = _strip_affix(after, _SUFFIXES, prefix=False)
    multiplier = _MULTIPLIERS.get(tail)
    if multiplier is None:
        return None
    return _whole(number * multiplier), unprefixed == rest and not after


def _whole(amount: Decimal) -> Decimal:
    # Whole amounts come back as plain integers (125000, not 125000.0).
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount


def _either(words) -> str:
    """A regex alternation of the words (longest first), those in Chinese only: inside a
    longer text, a Latin letter after a number is more likely a word of its own."""
    chinese = sorted((w for w in words if w and not w.isascii()), key=len, reverse=True)
    return "|".join(map(re.escape, chinese))


# An amount inside a longer text: the same prefixes, multipliers and suffixes as above.
_AMOUNT_IN_TEXT = re.compile(
    rf"(?:{_either(_PREFIXES)})?\s*\d[\d,.]*\s*(?:{_either(_MULTIPLIERS)})?\s*(?:{_either(_SUFFIXES)})?"
)


def amount_in(text: str) -> Decimal | None:
    """The first amount a longer text states ("总额：12.5万元，其中…"), or None."""
    for match in _AMOUNT_IN_TEXT.finditer(unicodedata.normalize("NFKC", text).lower()):
        amount = parse_amount(match.group(0))
        if amount is not None:
            return amount
    return None


# A budget below or above these is more likely a slip (12.5 for 12.5万) than the amount meant.
PLAUSIBLE_BUDGET = (Decimal(100), Decimal(10_000_000))
# Units a heading gives its figures: "经费预算（万元）", "(单位：元)".
_UNITS = {"元": 1, "千元": 1_000, "万元": 10_000, "萬元": 10_000, "万": 10_000, "萬": 10_000}
_UNIT_IN_HEADING = re.compile(
    r"[（(【\[]\s*(?:单位|單位)?\s*[:：]?\s*(千元|万元|萬元|万|萬|元)\s*[)）】\]]"
)
# The figure a breakdown marks as its total: "合计6万元", "总额：12.5万元", "共计 60,000 元".
_TOTAL_BEFORE = re.compile(
    r"(?:合计|合計|总计|總計|共计|共計|总额|總額|总预算|總預算|总经费|總經費|总金额|總金額|共)"
    r"\s*(?:金额|金額|经费|經費|预算|預算)?\s*(?:[:：为為是]|约|約)?\s*$"
)
# A bare number followed by one of these counts something else: 2027年, 32名, 3次, 1季度.
_NOT_MONEY_AFTER = re.compile(r"\s*(?:[年月日号號人名个個次项項期季届屆岁歲%]|周|週|天|小时|小時)")

_GLUED = re.compile(r"[0-9万萬千百亿億]")


@dataclass(frozen=True)
class Budget:
    amount: Decimal
    # One amount, or the one marked as the total, and a plausible one: stored without asking.
    sure: bool


def unit_in_heading(heading: str) -> Decimal:
    """What a bare figure under this heading is worth in yuan: 10000 under "经费预算（万元）"."""
    found = _UNIT_IN_HEADING.search(unicodedata.normalize("NFKC", heading))
    return Decimal(_UNITS[found.group(1)]) if found else Decimal(1)


def read_budget(
    text: str, unit: Decimal = Decimal(1), *, bare_figures: bool = True
) -> Budget | None:
    """The budget a text states, bare figures counted in `unit` (from the heading): the text
    itself if it is an amount, else the figure marked as the total (合计/总计/共计), else the
    one amount it states. Several amounts without a total: the first, or the one the others
    add up to, and not sure. None if it states no amount; without `bare_figures`, a figure
    inside a sentence counts only with its unit ("3万元", not "3")."""
    folded = unicodedata.normalize("NFKC", text).strip()
    lines = [line for line in folded.splitlines() if line.strip()]
    for candidate in (folded, *lines[:1]):
        read = _parse_amount(candidate)
        if read is not None:
            return _budget(_in_unit(read, unit), sure=True)
    found = [f for f in _amounts_in(folded.lower(), unit) if bare_figures or not f[2]]
    if not found:
        return None
    totals = [amount for amount, total, _ in found if total]
    if totals:
        return _budget(totals[-1], sure=True)
    money = [amount for amount, _, bare in found if not bare] or [a for a, _, _ in found]
    if len(set(money)) == 1:
        return _budget(money[0], sure=True)
    largest = max(money)
    if largest * 2 == sum(money):  # "12.5万元，其中培训3万元、活动9.5万元"
        return _budget(largest, sure=True)
    return _budget(money[0], sure=False)


def typed_budget(text: str) -> Budget | None:
    """A budget as typed in the chat: an amount ("12.5万"), or a text stating amounts with
    their unit ("第一季度1.5万元……合计6万元")."""
    return read_budget(text, bare_figures=False)


def budget_doubt(amount: Decimal) -> str | None:
    """Why an amount is implausible for a budget: "low", "high", or None."""
    low, high = PLAUSIBLE_BUDGET
    return "low" if amount < low else "high" if amount > high else None


def _budget(amount: Decimal, *, sure: bool) -> Budget:
    return Budget(amount, sure and budget_doubt(amount) is None)


def _in_unit(read: tuple[Decimal, bool], unit: Decimal) -> Decimal:
    amount, bare = read
    return _whole(amount * unit) if bare else amount


def _amounts_in(text: str, unit: Decimal) -> Iterator[tuple[Decimal, bool, bool]]:
    """Each amount in a text: its value, whether it is marked as the total, and whether it was a
    bare figure (numbers that count years, people or times left out)."""
    for match in _AMOUNT_IN_TEXT.finditer(text):
        read = _parse_amount(match.group(0))
        if read is None:
            continue
        if read[1] and _NOT_MONEY_AFTER.match(text, match.end()):
            continue
        if _GLUED.match(text, match.end()):  # "12.5万万": no amount anyone writes
            continue
        # The marker sits just before the figure: a short look back, not the whole text.
        total = _TOTAL_BEFORE.search(text, max(0, match.start() - 16), match.start()) is not None
        yield _in_unit(read, unit), total, read[1]


def _strip_affix(text: str, affixes: tuple[str, ...], *, prefix: bool) -> str:
    for affix in affixes:
        if prefix and text.startswith(affix):
            return text[len(affix) :].strip()
        if not prefix and text.endswith(affix):
            return text[: -len(affix)].strip()
    return text


# --- typed moments ----------------------------------------------------------------------------

# 2027-01-20 18:00, 2027/1/20, 2027年1月20日 18时30分, 1月20日下午6点半, 1-20, 1.20 18:00 …
_TYPED_MOMENT = re.compile(
    r"(?:(?P<y>\d{4})\s*[-/.年]\s*)?(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号號]?"
    r"(?:\s*t?\s*(?P<noon>上午|早上|中午|下午|晚上|傍晚)?\s*(?P<H>\d{1,2})"
    r"\s*(?:[:时時點点]\s*(?:(?P<M>\d{1,2})\s*分?|(?P<half>半))?)?)?\s*(?:之前|以前|前)?"
)
# …and as the bot prints it in English: 20 Jan 2027 18:00, 20 Jan 18:00; or Jan 20, 2027.
_PRINTED_MOMENT = re.compile(
    r"(?P<d>\d{1,2})\s+(?P<mon>[a-z]{3})[a-z]*\.?,?(?:\s+(?P<y>\d{4}))?"
    r"(?:,?\s+(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2}))?"
)
_PRINTED_MONTH_FIRST = re.compile(
    r"(?P<mon>[a-z]{3})[a-z]*\.?\s+(?P<d>\d{1,2})(?:,?\s+(?P<y>\d{4}))?"
    r"(?:,?\s+(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2}))?"
)
# A weekday beside a date, the bot's or the typist's, says nothing the date doesn't: （周三）,
# 星期三, 週三, (Wed), Wednesday, — dropped before reading. (No month starts like a weekday.)
_WEEKDAY = re.compile(
    r"\(?\s*(?:星期|礼拜|禮拜|周|週)[一二三四五六日天]\s*\)?"
    r"|\(?\s*\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b\.?\s*\)?,?"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_AFTERNOON = ("下午", "晚上", "傍晚")


def parse_moment(text: str, today: date, *, hour: int = 18, past: bool = False) -> datetime | None:
    """A local date and time as people type it, or as the bot prints it: '2027-01-20 18:00',
    '2027年1月20日', '1月20日（周三）18：00', '1-20', '20 Jan 2027 18:00', '20 Jan (Wed) 18:00'.
    A day alone is at `hour`. A day without its year is the next such day from `today` on, or
    with `past` the latest one up to `today`. Naive: the caller gives it the campaign's time
    zone. None when it reads as no moment."""
    # NFKC: full-width digits, colon and brackets (a Chinese IME's) become ASCII.
    typed = unicodedata.normalize("NFKC", text).strip().lower()
    typed = " ".join(_WEEKDAY.sub(" ", typed).split())
    found = next(
        (
            m
            for m in (
                _TYPED_MOMENT.fullmatch(typed),
                _PRINTED_MOMENT.fullmatch(typed),
                _PRINTED_MONTH_FIRST.fullmatch(typed),
            )
            if m is not None
        ),
        None,
    )
    if found is None:
        return None
    parts = found.groupdict()
    month = _month(parts)
    clock = _clock(parts, hour)
    if month is None or clock is None:
        return None
    day = _day(parts["y"], month, int(parts["d"]), today, past=past)
    return None if day is None else datetime.combine(day, clock)


def parse_day(text: str, today: date, *, past: bool = False) -> date | None:
    """A calendar day read as parse_moment reads it (a time typed with it is let be)."""
    moment = parse_moment(text, today, past=past)
    return None if moment is None else moment.date()


def _month(parts: dict[str, str | None]) -> int | None:
    if parts.get("mon"):
        name = parts["mon"]
        return _MONTHS.index(name) + 1 if name in _MONTHS else None
    return int(parts["m"]) if parts.get("m") else None


def _clock(parts: dict[str, str | None], hour: int) -> time | None:
    if not parts["H"]:
        return time(hour)
    hours = int(parts["H"])
    if parts.get("noon") in _AFTERNOON and 1 <= hours < 12:
        hours += 12  # 下午6点 is 18:00
    minutes = 30 if parts.get("half") else int(parts["M"] or 0)
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def _day(year: str | None, month: int, day: int, today: date, *, past: bool) -> date | None:
    if year is not None:
        return _valid(int(year), month, day)
    # This year's, else the year after (or before): 2月29日 may only exist in the other.
    for candidate in (today.year, today.year - 1 if past else today.year + 1):
        found = _valid(candidate, month, day)
        if found is not None and (found <= today if past else found >= today):
            return found
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 2月30日, 13-01, year 0
        return None
