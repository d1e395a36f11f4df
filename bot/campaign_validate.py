"""Checking what a campaign file says, and building the Campaign from it.

Every problem is reported, not only the first, each with the key path at fault.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.campaign import (
    CONFLICT_RULES,
    DEFAULT_ASSESSMENT,
    DEFAULT_CONSOLIDATION,
    DEFAULT_QUIET_HOURS,
    DEFAULT_SECTION_CHARS,
    DELIVERABLE_KINDS,
    FINAL_KINDS,
    KEY_PATTERN,
    LOCALES,
    RANKINGS,
    ROUNDINGS,
    SECTION_KINDS,
    STAGE_KEYS,
    Activity,
    Assessment,
    Campaign,
    Consolidation,
    Criterion,
    Deliverable,
    FinalItem,
    Localized,
    QuietHours,
    Quota,
    Section,
    Stage,
)

_REMIND_PATTERN = re.compile(r"([1-9][0-9]{0,5})([dhm])")
_CLOCK_PATTERN = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_REMIND_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse(data: dict[str, Any], source: str, problems: list[tuple[str, str]]) -> Campaign | None:
    """The campaign a parsed TOML file describes; None, with `problems` filled, if it is not
    a valid one."""
    return _Parser(problems).campaign(data, source)


class _Invalid:
    """Marks a value whose problem has already been reported."""


_INVALID: Any = _Invalid()

_Convert = Callable[[Any, str], Any]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, Decimal):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime):
        return "a date-time"
    return f"a {type(value).__name__}"


class _Parser:
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems

    def problem(self, path: str, message: str) -> Any:
        self.problems.append((path, message))
        return _INVALID

    def table(
        self,
        value: Any,
        path: str,
        fields: Mapping[str, tuple[_Convert, Any]],
    ) -> dict[str, Any] | None:
        """Read a table; ``fields`` maps each key to (converter, default), ``...`` = required."""
        if not isinstance(value, dict):
            self.problem(path, f"must be a table, not {_type_name(value)}")
            return None
        for key in value:
            if key not in fields:
                self.problem(_join(path, key), _unknown_key_message(key, fields))
        out: dict[str, Any] = {}
        for key, (convert, default) in fields.items():
            where = _join(path, key)
            if key in value:
                out[key] = convert(value[key], where)
            elif default is ...:
                out[key] = self.problem(where, "missing required key")
            else:
                out[key] = default
        return out

    # scalar converters: each returns the converted value or _INVALID (after reporting)

    def string(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            return self.problem(path, f"must be a string, not {_type_name(value)}")
        if not value.strip():
            return self.problem(path, "must not be empty")
        return value.strip()

    def url(self, value: Any, path: str) -> Any:
        value = self.string(value, path)
        if value is not _INVALID and not re.fullmatch(r"https?://\S+", value):
            return self.problem(path, f"'{value}' is not an http(s) address")
        return value

    def key(self, value: Any, path: str) -> Any:
        value = self.string(value, path)
        if value is not _INVALID and not KEY_PATTERN.fullmatch(value):
            return self.problem(
                path, f"'{value}' is not a valid key (lower-case a-z, 0-9, _; at most 24 long)"
            )
        return value

    def choice(self, options: tuple[str, ...]) -> _Convert:
        def convert(value: Any, path: str) -> Any:
            value = self.string(value, path)
            if value is not _INVALID and value not in options:
                return self.problem(path, f"'{value}' is not one of {', '.join(options)}")
            return value

        return convert

    def boolean(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            return self.problem(path, f"must be true or false, not {_type_name(value)}")
        return value

    def integer(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return self.problem(path, f"must be a whole number, not {_type_name(value)}")
        return value

    def number(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            return self.problem(path, f"must be a number, not {_type_name(value)}")
        if isinstance(value, Decimal) and not value.is_finite():
            return self.problem(path, "must be a finite number")
        return Decimal(value)

    def localized(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            return self.problem(
                path, f"must be a table with {', '.join(LOCALES)}, not {_type_name(value)}"
            )
        ok = True
        for locale in value:
            if locale not in LOCALES:
                ok = False
                self.problem(_join(path, locale), f"unknown locale (expected {', '.join(LOCALES)})")
        values: dict[str, str] = {}
        for locale in LOCALES:
            where = _join(path, locale)
            if locale not in value:
                ok = False
                self.problem(where, "missing translation")
                continue
            text = self.string(value[locale], where)
            if text is _INVALID:
                ok = False
            else:
                values[locale] = text
        return Localized(values) if ok else _INVALID

    def moment(self, value: Any, path: str) -> Any:
        if not isinstance(value, datetime):
            return self.problem(
                path,
                f"must be a date-time such as 2027-01-15T18:00:00+08:00, not {_type_name(value)}",
            )
        if value.tzinfo is None:
            return self.problem(path, "needs a UTC offset such as +08:00")
        return value.astimezone(UTC)

    def remind(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            return self.problem(
                path, f'must be a list such as ["7d", "2h"], not {_type_name(value)}'
            )
        out: list[timedelta] = []
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            match = _REMIND_PATTERN.fullmatch(item) if isinstance(item, str) else None
            if match is None:
                self.problem(where, f"{item!r} is not a duration such as 7d, 2h or 30m")
                continue
            delta = timedelta(**{_REMIND_UNITS[match.group(2)]: int(match.group(1))})
            if delta in out:
                self.problem(where, f"{item!r} repeats an earlier reminder")
                continue
            out.append(delta)
        return tuple(sorted(out, reverse=True)) if len(out) == len(value) else _INVALID

    def clock(self, value: Any, path: str) -> Any:
        match = _CLOCK_PATTERN.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            return self.problem(path, f"{value!r} is not a time of day as HH:MM")
        return time(int(match.group(1)), int(match.group(2)))

    def timezone(self, value: Any, path: str) -> Any:
        name = self.string(value, path)
        if name is _INVALID:
            return _INVALID
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return self.problem(path, f"unknown time zone '{name}'")

    # tables

    def quota(self, value: Any, path: str) -> Any:
        got = self.table(
            value,
            path,
            {
                "ratio": (self.number, ...),
                "rounding": (self.choice(ROUNDINGS), ...),
                "minimum": (self.integer, ...),
            },
        )
        if got is None:
            return _INVALID
        ratio, minimum = got["ratio"], got["minimum"]
        if ratio is not _INVALID and not 0 < ratio <= 1:
            ratio = self.problem(_join(path, "ratio"), "must be more than 0 and at most 1")
        if minimum is not _INVALID and minimum < 0:
            minimum = self.problem(_join(path, "minimum"), "must not be negative")
        if _any_invalid((ratio, got["rounding"], minimum)):
            return _INVALID
        return Quota(Fraction(ratio), got["rounding"], minimum)

    def quiet_hours(self, value: Any, path: str) -> Any:
        got = self.table(value, path, {"start": (self.clock, ...), "end": (self.clock, ...)})
        if got is None or _any_invalid(got.values()):
            return _INVALID
        if got["start"] == got["end"]:
            return self.problem(_join(path, "end"), "must differ from start")
        return QuietHours(got["start"], got["end"])

    def assessment(self, value: Any, path: str) -> Any:
        d = DEFAULT_ASSESSMENT
        got = self.table(
            value,
            path,
            {
                "reviewers_per_candidate": (self.integer, d.reviewers_per_candidate),
                "conflict": (self.choice(CONFLICT_RULES), d.conflict),
                "shrinkage": (self.number, d.shrinkage),
                "show_others_after_own": (self.boolean, d.show_others_after_own),
                "vote": (self.boolean, d.vote),
                "spread_total": (self.number, d.spread_total),
                "spread_criterion": (self.number, d.spread_criterion),
                "min_reviews": (self.integer, d.min_reviews),
                "rank_by": (self.choice(RANKINGS), d.rank_by),
                "pacesetters": (self.integer, d.pacesetters),
            },
        )
        if got is None:
            return _INVALID
        checks: dict[str, tuple[Callable[[Any], bool], str]] = {
            "reviewers_per_candidate": (
                lambda n: n >= 0,
                "must not be negative (0 = every reviewer reviews every candidate)",
            ),
            "shrinkage": (lambda x: x > 0, "must be more than 0"),
            "spread_total": (
                lambda x: 0 < x <= 1,
                "must be a fraction of the maximum total, more than 0 and at most 1 (0.2 = 20%)",
            ),
            "spread_criterion": (lambda x: x > 0, "must be more than 0 (points on the scale)"),
            "min_reviews": (lambda n: n >= 1, "must be at least 1"),
            "pacesetters": (
                lambda n: n is None or n >= 1,
                "must be at least 1 (leave it out to suggest no number)",
            ),
        }
        for key, (ok, message) in checks.items():
            if got[key] is not _INVALID and not ok(got[key]):
                got[key] = self.problem(_join(path, key), message)
        if _any_invalid(got.values()):
            return _INVALID
        for key in ("shrinkage", "spread_total", "spread_criterion"):
            got[key] = float(got[key])
        return Assessment(**got)

    def items(
        self,
        value: Any,
        path: str,
        fields: Mapping[str, tuple[_Convert, Any]],
        make: Callable[..., Any],
    ) -> Iterator[tuple[str, Any]]:
        """Read an array of tables ([[path]]); yield (path, item) for each valid item."""
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(path, f"must be a list of tables, written [[{path}]]")
            return
        seen: set[str] = set()
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            got = self.table(item, where, fields)
            if got is None:
                continue
            key = got.get("key")
            if isinstance(key, str):
                if key in seen:
                    self.problem(_join(where, "key"), f"duplicate key '{key}'")
                seen.add(key)
            if not _any_invalid(got.values()):
                yield where, make(**got)

    def stages(self, value: Any, path: str) -> Any:
        fields = {
            "key": (self.choice(STAGE_KEYS), ...),
            "title": (self.localized, ...),
            "description": (self.localized, None),
            "opens": (self.moment, ...),
            "deadline": (self.moment, ...),
            "remind": (self.remind, ()),
            "escalate": (self.boolean, False),
        }
        count = len(self.problems)
        stages = [stage for _, stage in self.items(value, path, fields, Stage)]
        if len(self.problems) > count:
            return _INVALID
        keys = tuple(s.key for s in stages)
        if keys != STAGE_KEYS:
            missing = [k for k in STAGE_KEYS if k not in keys]
            if missing:
                return self.problem(path, f"missing stage {', '.join(missing)}")
            wrong = next(
                i for i, (got, want) in enumerate(zip(keys, STAGE_KEYS, strict=True)) if got != want
            )
            return self.problem(
                f"{path}[{wrong}].key",
                f"expected '{STAGE_KEYS[wrong]}' here: stages run {', '.join(STAGE_KEYS)}",
            )
        previous: Stage | None = None
        for i, stage in enumerate(stages):
            if stage.deadline <= stage.opens:
                self.problem(f"{path}[{i}].deadline", "must be after opens")
            elif previous is not None and stage.opens < previous.deadline:
                self.problem(
                    f"{path}[{i}].opens", f"must not be before stage '{previous.key}' ends"
                )
            previous = stage
        return tuple(stages) if len(self.problems) == count else _INVALID

    def sequence(
        self,
        value: Any,
        path: str,
        fields: Mapping[str, tuple[_Convert, Any]],
        make: Callable[..., Any],
        *,
        at_least_one: bool,
    ) -> Any:
        count = len(self.problems)
        out = tuple(item for _, item in self.items(value, path, fields, make))
        if len(self.problems) > count:
            return _INVALID
        if at_least_one and not out:
            return self.problem(path, "needs at least one entry")
        return out

    def criterion_weight(self, value: Any, path: str) -> Any:
        weight = self.number(value, path)
        if weight is not _INVALID and weight <= 0:
            return self.problem(path, "must be more than 0")
        return weight if weight is _INVALID else float(weight)

    def criterion_scale(self, value: Any, path: str) -> Any:
        scale = self.integer(value, path)
        if scale is not _INVALID and not 2 <= scale <= 100:
            return self.problem(path, "must be a whole number from 2 to 100")
        return scale

    def section(self, value: Any, path: str) -> Any:
        fields = {
            "key": (self.key, ...),
            "title": (self.localized, ...),
            "hint": (self.localized, ...),
            "kind": (self.choice(SECTION_KINDS), ...),
            "required": (self.boolean, True),
            "max_chars": (self.section_chars, DEFAULT_SECTION_CHARS),
            "aliases": (self.strings, ()),
        }
        return self.sequence(value, path, fields, Section, at_least_one=True)

    def strings(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            return self.problem(path, f"must be a list of strings, not {_type_name(value)}")
        got = [self.string(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return _INVALID if _any_invalid(got) else tuple(got)

    def section_chars(self, value: Any, path: str) -> Any:
        chars = self.integer(value, path)
        if chars is not _INVALID and not 100 <= chars <= 100_000:
            return self.problem(path, "must be a whole number from 100 to 100000")
        return chars

    def criterion(self, value: Any, path: str) -> Any:
        fields = {
            "key": (self.key, ...),
            "title": (self.localized, ...),
            "description": (self.localized, ...),
            "weight": (self.criterion_weight, 1.0),
            "scale": (self.criterion_scale, 10),
        }
        return self.sequence(value, path, fields, Criterion, at_least_one=True)

    def activity(self, value: Any, path: str) -> Any:
        fields = {"key": (self.key, ...), "title": (self.localized, ...)}
        return self.sequence(value, path, fields, Activity, at_least_one=False)

    def consolidation(self, value: Any, path: str) -> Any:
        d = DEFAULT_CONSOLIDATION
        fields = {
            "publish_scores": (self.boolean, d.publish_scores),
            "organisation": (self.string, d.organisation),
        }
        got = self.table(value, path, fields)
        if got is None or _any_invalid(got.values()):
            return _INVALID
        return Consolidation(**got)

    def deliverable(self, value: Any, path: str) -> Any:
        fields = {
            "key": (self.key, ...),
            "title": (self.localized, ...),
            "kind": (self.choice(DELIVERABLE_KINDS), ...),
        }
        return self.sequence(value, path, fields, Deliverable, at_least_one=False)

    def final(self, value: Any, path: str) -> Any:
        fields = {
            "key": (self.key, ...),
            "title": (self.localized, ...),
            "accepts": (self.final_kinds, FINAL_KINDS),
        }
        return self.sequence(value, path, fields, FinalItem, at_least_one=False)

    def final_kinds(self, value: Any, path: str) -> Any:
        got = self.strings(value, path)
        if got is _INVALID:
            return got
        kinds = [self.choice(FINAL_KINDS)(kind, f"{path}[{i}]") for i, kind in enumerate(got)]
        if _any_invalid(kinds):
            return _INVALID
        return tuple(kinds) or self.problem(path, "needs at least one kind")

    def campaign(self, data: dict[str, Any], source: str) -> Campaign | None:
        fields = {
            "timezone": (self.timezone, ...),
            "default_locale": (self.choice(LOCALES), ...),
            "name": (self.localized, ...),
            "quota": (self.quota, ...),
            "quiet_hours": (self.quiet_hours, DEFAULT_QUIET_HOURS),
            "stage": (self.stages, ...),
            "section": (self.section, ...),
            "criterion": (self.criterion, ...),
            "activity": (self.activity, ()),
            "deliverable": (self.deliverable, ()),
            "final": (self.final, ()),
            "assessment": (self.assessment, DEFAULT_ASSESSMENT),
            "consolidation": (self.consolidation, DEFAULT_CONSOLIDATION),
            "guide_url": (self.url, None),
        }
        got = self.table(data, "", fields)
        if got is None or _any_invalid(got.values()):
            return None
        assessment, criteria = got["assessment"], got["criterion"]
        largest = max(c.scale for c in criteria)
        if assessment.spread_criterion > largest:
            # A spread no criterion can reach would never flag anything.
            self.problem(
                "assessment.spread_criterion",
                f"must not exceed the largest criterion scale ({largest})",
            )
            return None
        return Campaign(
            timezone=got["timezone"],
            default_locale=got["default_locale"],
            name=got["name"],
            quota=got["quota"],
            stages=got["stage"],
            sections=got["section"],
            criteria=got["criterion"],
            activities=got["activity"],
            deliverables=got["deliverable"],
            finals=got["final"],
            quiet_hours=got["quiet_hours"],
            assessment=assessment,
            consolidation=got["consolidation"],
            guide_url=got["guide_url"],
            source=source,
        )


def _any_invalid(values: Any) -> bool:
    return any(v is _INVALID for v in values)


def _unknown_key_message(key: str, fields: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(fields), n=1)
    return f"unknown key (did you mean '{close[0]}'?)" if close else "unknown key"
