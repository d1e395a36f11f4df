from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.campaign import LOCALES, STAGE_KEYS, Campaign, CampaignError, Localized, with_deadline
from bot.campaign_load import DEFAULT_CAMPAIGN_PATH, check_campaign, load_campaign

SHANGHAI = ZoneInfo("Asia/Shanghai")

# --- the built-in campaign -------------------------------------------------------------------


@pytest.fixture(scope="module")
def default() -> Campaign:
    return load_campaign()


def all_localized(campaign: Campaign) -> Iterator[tuple[str, Localized]]:
    yield "name", campaign.name
    for s in campaign.stages:
        yield f"stage {s.key} title", s.title
        if s.description is not None:
            yield f"stage {s.key} description", s.description
    for sec in campaign.sections:
        yield f"section {sec.key} title", sec.title
        yield f"section {sec.key} hint", sec.hint
    for c in campaign.criteria:
        yield f"criterion {c.key} title", c.title
        yield f"criterion {c.key} description", c.description
    for a in campaign.activities:
        yield f"activity {a.key} title", a.title
    for d in campaign.deliverables:
        yield f"deliverable {d.key} title", d.title


def test_default_loads(default: Campaign) -> None:
    assert default.source == "built-in"
    assert default.timezone == SHANGHAI
    assert default.default_locale == "zh-Hans"
    assert default.quota.ratio == Fraction(1, 10)
    assert (default.quota.rounding, default.quota.minimum) == ("ceil", 1)
    assert (default.quiet_hours.start, default.quiet_hours.end) == (time(22), time(8))


def test_default_path_loads_the_same_campaign(default: Campaign) -> None:
    assert DEFAULT_CAMPAIGN_PATH.is_file()
    assert check_campaign(DEFAULT_CAMPAIGN_PATH) == []
    from_path = load_campaign(DEFAULT_CAMPAIGN_PATH)
    assert from_path.source == str(DEFAULT_CAMPAIGN_PATH)
    assert from_path == default


def test_default_stages(default: Campaign) -> None:
    assert tuple(s.key for s in default.stages) == STAGE_KEYS
    apply = default.stage("apply")
    assert apply.opens == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert apply.deadline == datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    assert apply.remind == (
        timedelta(days=7),
        timedelta(days=3),
        timedelta(days=1),
        timedelta(hours=2),
    )
    assert apply.title.get("zh-Hant") == "申報遴選"
    assert apply.title.get("zh-Hans") == "申报遴选"
    for earlier, later in zip(default.stages, default.stages[1:], strict=False):
        assert earlier.opens < earlier.deadline <= later.opens
    for s in default.stages:
        assert s.opens.tzinfo is UTC and s.deadline.tzinfo is UTC
    with pytest.raises(KeyError):
        default.stage("vote")


def test_default_sections(default: Campaign) -> None:
    assert [s.key for s in default.sections] == [
        "foundation",
        "experience",
        "achievements",
        "approach",
        "plan",
        "goals",
        "measures",
        "results",
        "support",
        "budget",
        "attachments",
    ]
    kinds = {s.key: s.kind for s in default.sections}
    assert kinds["budget"] == "number"
    assert kinds["attachments"] == "files"
    assert [s.key for s in default.sections if not s.required] == ["attachments"]
    assert {k for k, v in kinds.items() if v == "text"} == {s.key for s in default.sections[:9]}


def test_default_criteria_activities_deliverables(default: Campaign) -> None:
    assert [c.key for c in default.criteria] == [
        "ideology",
        "mechanism",
        "standards",
        "cohesion",
        "integration",
        "renewal",
    ]
    assert all(c.weight == 1.0 and c.scale == 10 for c in default.criteria)
    keys = [a.key for a in default.activities]
    assert len(keys) == 13
    assert keys[:4] == ["branch_meeting", "committee_meeting", "group_meeting", "party_lecture"]
    assert keys[-1] == "other"
    assert [(d.key, d.kind) for d in default.deliverables] == [
        ("experience", "document"),
        ("video", "video"),
        ("booklet", "booklet"),
    ]
    assert [(f.key, f.accepts) for f in default.finals] == [
        ("summary", ("document", "photo", "text")),
        ("results", ("document", "photo", "text")),
    ]
    assert default.final("results").title.get("zh-Hans") == "成果报告"
    assert default.final("nothing") is None


def test_default_assessment(default: Campaign) -> None:
    a = default.assessment
    assert (a.reviewers_per_candidate, a.conflict, a.shrinkage) == (5, "unit", 2.0)
    assert (a.show_others_after_own, a.vote) == (False, False)
    assert (a.spread_total, a.spread_criterion, a.min_reviews) == (0.2, 4.0, 3)
    assert a.rank_by == "calibrated"
    assert a.pacesetters is None  # /select suggests no number


def test_every_text_has_all_locales(default: Campaign) -> None:
    for where, text in all_localized(default):
        assert set(text.values) == set(LOCALES), where
        assert all(v.strip() for v in text.values.values()), where


# Characters that exist only in one script: a quick check that zh-Hans is really converted.
TRADITIONAL_ONLY = set("黨會們來這說發標創實與過經關讓為樣見長開設業驗總預導護項質審選報舉鞏")
SIMPLIFIED_ONLY = set("党会们来这说发标创实与过经关让为样见长开设业验总预导护项质审选报举巩")


def test_scripts_are_not_mixed(default: Campaign) -> None:
    for where, text in all_localized(default):
        assert not TRADITIONAL_ONLY & set(text.get("zh-Hans")), where
        assert not SIMPLIFIED_ONLY & set(text.get("zh-Hant")), where
    for stage in default.stages:
        assert stage.title.get("zh-Hans") != stage.title.get("zh-Hant")
    assert default.name.get("zh-Hans") != default.name.get("zh-Hant")


def test_localized_falls_back_to_english_then_any() -> None:
    text = Localized({"zh-Hant": "甲", "en": "A"})
    assert text.get("zh-Hant") == "甲"
    assert text.get("zh-Hans") == "A"
    assert Localized({"zh-Hant": "甲"}).get("en") == "甲"
    assert hash(text) == hash(Localized({"en": "A", "zh-Hant": "甲"}))


def test_current_stage_at_boundaries(default: Campaign) -> None:
    apply, cultivate, _, consolidate = default.stages
    tick = timedelta(microseconds=1)
    assert default.current_stage(apply.opens - tick) is None
    assert default.current_stage(apply.opens) == apply
    assert default.current_stage(apply.deadline - tick) == apply
    assert default.current_stage(apply.deadline) is None  # the night between two stages
    assert default.current_stage(cultivate.opens) == cultivate
    assert default.current_stage(consolidate.deadline - tick) == consolidate
    assert default.current_stage(consolidate.deadline) is None
    # Any time zone is fine as long as it is aware.
    assert default.current_stage(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)) == apply
    with pytest.raises(ValueError):
        default.current_stage(datetime(2027, 1, 1))


def test_local(default: Campaign) -> None:
    local = default.local(default.stage("apply").opens)
    assert local.tzinfo == SHANGHAI
    assert (local.date().isoformat(), local.hour, local.minute) == ("2026-12-01", 9, 0)


def test_with_deadline(default: Campaign) -> None:
    new_deadline = datetime(2027, 1, 16, 8, 0, tzinfo=SHANGHAI)
    changed = with_deadline(default, "apply", new_deadline)
    assert changed.stage("apply").deadline == new_deadline
    assert changed.stage("apply").deadline.tzinfo is UTC
    assert default.stage("apply").deadline == datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    assert changed.stages[1:] == default.stages[1:]
    assert changed.sections == default.sections
    late = datetime(2028, 3, 1, tzinfo=UTC)
    assert with_deadline(default, "consolidate", late).stage("consolidate").deadline == late
    # An extension may overlap the next stage: both are open, the earlier one is "current".
    overlap = with_deadline(default, "apply", datetime(2027, 1, 20, 18, 0, tzinfo=SHANGHAI))
    moment = datetime(2027, 1, 18, 12, 0, tzinfo=SHANGHAI)
    assert overlap.is_open("apply", moment) and overlap.is_open("cultivate", moment)
    assert overlap.current_stage(moment).key == "apply"


@pytest.mark.parametrize(
    "deadline",
    [
        datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI),  # not after opens
        datetime(2027, 1, 16, 8, 0),  # naive
    ],
)
def test_with_deadline_refuses(default: Campaign, deadline: datetime) -> None:
    with pytest.raises(CampaignError) as caught:
        with_deadline(default, "apply", deadline)
    assert [key for key, _ in caught.value.problems] == ["stage[0].deadline"]


def test_with_deadline_unknown_stage(default: Campaign) -> None:
    with pytest.raises(KeyError):
        with_deadline(default, "vote", datetime(2027, 1, 1, tzinfo=UTC))


# --- broken campaign files -------------------------------------------------------------------

L = '{ zh-Hant = "甲", zh-Hans = "甲", en = "A" }'

HEAD = """\
timezone = "Asia/Shanghai"
default_locale = "en"
name = { zh-Hant = "名", zh-Hans = "名", en = "Name" }

[quota]
ratio = 0.1
rounding = "ceil"
minimum = 1

[quiet_hours]
start = "22:00"
end = "08:00"
"""

CONSOLIDATE = f"""
[[stage]]
key = "consolidate"
title = {L}
opens = 2027-11-16T09:00:00+08:00
deadline = 2027-12-31T18:00:00+08:00
"""

STAGES = (
    f"""
[[stage]]
key = "apply"
title = {L}
opens = 2026-12-01T09:00:00+08:00
deadline = 2027-01-15T18:00:00+08:00
remind = ["7d", "2h"]

[[stage]]
key = "cultivate"
title = {L}
opens = 2027-01-16T09:00:00+08:00
deadline = 2027-09-30T18:00:00+08:00

[[stage]]
key = "assess"
title = {L}
opens = 2027-10-08T09:00:00+08:00
deadline = 2027-11-15T18:00:00+08:00
"""
    + CONSOLIDATE
)

SECTIONS = f"""
[[section]]
key = "foundation"
title = {L}
hint = {L}
kind = "text"

[[section]]
key = "budget"
title = {L}
hint = {L}
kind = "number"
required = true
"""

CRITERIA = f"""
[[criterion]]
key = "ideology"
title = {L}
description = {L}
weight = 1.0
scale = 10

[[criterion]]
key = "renewal"
title = {L}
description = {L}
"""

REST = f"""
[[activity]]
key = "party_day"
title = {L}

[[activity]]
key = "other"
title = {L}

[[deliverable]]
key = "experience"
title = {L}
kind = "document"

[[deliverable]]
key = "video"
title = {L}
kind = "video"
"""

VALID = HEAD + STAGES + SECTIONS + CRITERIA + REST


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return edit


def nth(n: int, old: str, new: str) -> Callable[[str], str]:
    """Replace only the n-th (0-based) occurrence of ``old``."""

    def edit(text: str) -> str:
        parts = text.split(old)
        assert len(parts) > n + 1, old
        return old.join(parts[: n + 1]) + new + old.join(parts[n + 1 :])

    return edit


def test_minimal_file_is_valid(tmp_path: Path) -> None:
    campaign = load_campaign(write(tmp_path, VALID))
    assert campaign.default_locale == "en"
    assert [s.required for s in campaign.sections] == [True, True]
    assert campaign.criteria[1].weight == 1.0 and campaign.criteria[1].scale == 10


def test_optional_tables_have_defaults(tmp_path: Path) -> None:
    text = HEAD.split("[quiet_hours]")[0] + STAGES + SECTIONS + CRITERIA
    campaign = load_campaign(write(tmp_path, text))
    assert campaign.activities == () and campaign.deliverables == ()
    assert (campaign.quiet_hours.start, campaign.quiet_hours.end) == (time(22), time(8))
    assert campaign.stage("cultivate").remind == ()
    assert campaign.stage("cultivate").description is None


def test_a_section_may_set_its_size_limit(tmp_path: Path) -> None:
    campaign = load_campaign(
        write(tmp_path, sub('kind = "text"', 'kind = "text"\nmax_chars = 800')(VALID))
    )
    assert campaign.sections[0].max_chars == 800
    assert campaign.sections[1].max_chars == 30_000  # the default


def test_a_section_may_name_other_titles_for_word_files(tmp_path: Path) -> None:
    campaign = load_campaign(
        write(tmp_path, sub('kind = "text"', 'kind = "text"\naliases = ["资金预算"]')(VALID))
    )
    assert campaign.sections[0].aliases == ("资金预算",)
    assert campaign.sections[1].aliases == ()  # the default


def test_ratio_of_one_and_minimum_zero_are_allowed(tmp_path: Path) -> None:
    text = sub("ratio = 0.1", "ratio = 1")(VALID).replace("minimum = 1", "minimum = 0")
    quota = load_campaign(write(tmp_path, text)).quota
    assert (quota.ratio, quota.minimum) == (1, 0)


def assessment(*lines: str) -> Callable[[str], str]:
    """Append an [assessment] table with these lines."""
    return lambda text: text + "\n[assessment]\n" + "\n".join(lines) + "\n"


def test_assessment_table_is_optional(tmp_path: Path) -> None:
    assert load_campaign(write(tmp_path, VALID)).assessment == load_campaign().assessment


def test_assessment_table_sets_each_key(tmp_path: Path) -> None:
    edit = assessment(
        "reviewers_per_candidate = 0",
        'conflict = "none"',
        "shrinkage = 0.5",
        "show_others_after_own = true",
        "vote = true",
        "spread_total = 0.15",
        "spread_criterion = 2.5",
        "min_reviews = 1",
        'rank_by = "raw"',
        "pacesetters = 8",
    )
    a = load_campaign(write(tmp_path, edit(VALID))).assessment
    assert a.pacesetters == 8
    assert (a.reviewers_per_candidate, a.conflict, a.shrinkage) == (0, "none", 0.5)
    assert (a.show_others_after_own, a.vote) == (True, True)
    assert (a.spread_total, a.spread_criterion, a.min_reviews, a.rank_by) == (0.15, 2.5, 1, "raw")
    assert all(isinstance(x, float) for x in (a.shrinkage, a.spread_total, a.spread_criterion))


def test_assessment_messages_say_what_is_allowed(tmp_path: Path) -> None:
    edit = assessment("reviewers_per_candidate = -1", "spread_total = 20", 'conflict = "team"')
    assert dict(check_campaign(write(tmp_path, edit(VALID)))) == {
        "assessment.reviewers_per_candidate": (
            "must not be negative (0 = every reviewer reviews every candidate)"
        ),
        "assessment.spread_total": (
            "must be a fraction of the maximum total, more than 0 and at most 1 (0.2 = 20%)"
        ),
        "assessment.conflict": "'team' is not one of unit, none",
    }
    edit = assessment("spread_criterion = 11")
    assert check_campaign(write(tmp_path, edit(VALID))) == [
        ("assessment.spread_criterion", "must not exceed the largest criterion scale (10)")
    ]


def test_consolidation_publishes_no_scores_unless_asked(tmp_path: Path) -> None:
    assert load_campaign().consolidation.publish_scores is False
    assert load_campaign(write(tmp_path, VALID)).consolidation.publish_scores is False
    text = VALID + '\n[consolidation]\npublish_scores = true\norganisation = "集团公司党委"\n'
    consolidation = load_campaign(write(tmp_path, text)).consolidation
    assert (consolidation.publish_scores, consolidation.organisation) == (True, "集团公司党委")
    text = VALID + '\n[consolidation]\npublish_scores = "yes"\n'
    assert [key for key, _ in check_campaign(write(tmp_path, text))] == [
        "consolidation.publish_scores"
    ]


BROKEN: list[tuple[str, Callable[[str], str], str]] = [
    ("unknown top-level key", lambda t: 'colour = "red"\n' + t, "colour"),
    ("typo in a stage", nth(1, "deadline = ", "deadlin = "), "stage[1].deadlin"),
    ("typo in quota", sub("rounding =", "roundng ="), "quota.roundng"),
    ("missing timezone", sub('timezone = "Asia/Shanghai"\n', ""), "timezone"),
    ("missing stage title", nth(2, f"title = {L}\n", ""), "stage[2].title"),
    ("missing section kind", sub('kind = "text"\n', ""), "section[0].kind"),
    ("missing quota", sub("[quota]\n", "[quota_]\n"), "quota"),
    (
        "name not a table",
        sub('name = { zh-Hant = "名", zh-Hans = "名", en = "Name" }', 'name = "N"'),
        "name",
    ),
    ("minimum not a number", sub("minimum = 1", 'minimum = "one"'), "quota.minimum"),
    ("minimum a float", sub("minimum = 1", "minimum = 1.5"), "quota.minimum"),
    ("required not a bool", sub("required = true", 'required = "yes"'), "section[1].required"),
    ("locale missing", sub('zh-Hans = "名", en = "Name"', 'zh-Hans = "名"'), "name.en"),
    ("unknown locale", sub('en = "Name" }', 'en = "Name", fr = "Nom" }'), "name.fr"),
    ("empty text", sub('en = "Name"', 'en = "  "'), "name.en"),
    ("text not a string", sub('en = "Name"', "en = 3"), "name.en"),
    ("unknown time zone", sub("Asia/Shanghai", "Mars/Olympus_Mons"), "timezone"),
    ("odd time zone", sub("Asia/Shanghai", "../etc/passwd"), "timezone"),
    (
        "unknown default locale",
        sub('default_locale = "en"', 'default_locale = "fr"'),
        "default_locale",
    ),
    ("ratio zero", sub("ratio = 0.1", "ratio = 0"), "quota.ratio"),
    ("ratio above one", sub("ratio = 0.1", "ratio = 1.5"), "quota.ratio"),
    ("ratio a string", sub("ratio = 0.1", 'ratio = "10%"'), "quota.ratio"),
    ("minimum negative", sub("minimum = 1", "minimum = -1"), "quota.minimum"),
    ("rounding unknown", sub('rounding = "ceil"', 'rounding = "bankers"'), "quota.rounding"),
    ("unknown stage key", sub('key = "apply"', 'key = "submit"'), "stage[0].key"),
    ("duplicate stage key", sub('key = "cultivate"', 'key = "apply"'), "stage[1].key"),
    (
        "stages out of order",
        lambda t: (
            t.replace('key = "apply"', "KEY")
            .replace('key = "cultivate"', 'key = "apply"')
            .replace("KEY", 'key = "cultivate"')
        ),
        "stage[0].key",
    ),
    ("missing stage", sub(CONSOLIDATE, ""), "stage"),
    (
        "deadline before opens",
        sub("deadline = 2027-01-15T18:00:00+08:00", "deadline = 2026-11-15T18:00:00+08:00"),
        "stage[0].deadline",
    ),
    (
        "deadline equals opens",
        sub("deadline = 2027-01-15T18:00:00+08:00", "deadline = 2026-12-01T09:00:00+08:00"),
        "stage[0].deadline",
    ),
    (
        "stages overlap",
        sub("opens = 2027-01-16T09:00:00+08:00", "opens = 2027-01-15T09:00:00+08:00"),
        "stage[1].opens",
    ),
    (
        "naive datetime",
        sub("opens = 2026-12-01T09:00:00+08:00", "opens = 2026-12-01T09:00:00"),
        "stage[0].opens",
    ),
    ("date only", sub("opens = 2026-12-01T09:00:00+08:00", "opens = 2026-12-01"), "stage[0].opens"),
    (
        "datetime as string",
        sub("opens = 2026-12-01T09:00:00+08:00", 'opens = "2026-12-01T09:00:00+08:00"'),
        "stage[0].opens",
    ),
    (
        "remind unit unknown",
        sub('remind = ["7d", "2h"]', 'remind = ["7d", "2x"]'),
        "stage[0].remind[1]",
    ),
    ("remind zero", sub('remind = ["7d", "2h"]', 'remind = ["0d"]'), "stage[0].remind[0]"),
    ("remind negative", sub('remind = ["7d", "2h"]', 'remind = ["-1d"]'), "stage[0].remind[0]"),
    ("remind a number", sub('remind = ["7d", "2h"]', "remind = [7]"), "stage[0].remind[0]"),
    ("remind not a list", sub('remind = ["7d", "2h"]', 'remind = "7d"'), "stage[0].remind"),
    (
        "remind duplicate",
        sub('remind = ["7d", "2h"]', 'remind = ["7d", "168h"]'),
        "stage[0].remind[1]",
    ),
    ("duplicate section key", sub('key = "budget"', 'key = "foundation"'), "section[1].key"),
    ("duplicate criterion key", sub('key = "renewal"', 'key = "ideology"'), "criterion[1].key"),
    ("duplicate activity key", sub('key = "party_day"', 'key = "other"'), "activity[1].key"),
    ("duplicate deliverable key", sub('key = "video"', 'key = "experience"'), "deliverable[1].key"),
    ("key with capitals", sub('key = "foundation"', 'key = "Foundation"'), "section[0].key"),
    ("key starting with a digit", sub('key = "ideology"', 'key = "1deology"'), "criterion[0].key"),
    ("key too long", sub('key = "party_day"', f'key = "{"a" * 25}"'), "activity[0].key"),
    ("key with a colon", sub('key = "video"', 'key = "vi:deo"'), "deliverable[1].key"),
    ("no sections", lambda t: "section = []\n" + t.replace(SECTIONS, ""), "section"),
    ("no criteria", lambda t: "criterion = []\n" + t.replace(CRITERIA, ""), "criterion"),
    ("sections not tables", lambda t: "section = [1, 2]\n" + t.replace(SECTIONS, ""), "section"),
    ("section kind unknown", sub('kind = "text"', 'kind = "video"'), "section[0].kind"),
    (
        "section size too small",
        sub('kind = "text"', 'kind = "text"\nmax_chars = 50'),
        "section[0].max_chars",
    ),
    (
        "section size not whole",
        sub('kind = "text"', 'kind = "text"\nmax_chars = "lots"'),
        "section[0].max_chars",
    ),
    (
        "section aliases not a list",
        sub('kind = "text"', 'kind = "text"\naliases = "资金预算"'),
        "section[0].aliases",
    ),
    (
        "section alias empty",
        sub('kind = "text"', 'kind = "text"\naliases = [" "]'),
        "section[0].aliases[0]",
    ),
    ("deliverable kind unknown", sub('kind = "document"', 'kind = "audio"'), "deliverable[0].kind"),
    (
        "final kind unknown",
        lambda t: t + f'[[final]]\nkey = "summary"\ntitle = {L}\naccepts = ["video"]\n',
        "final[0].accepts[0]",
    ),
    (
        "final accepting nothing",
        lambda t: t + f'[[final]]\nkey = "summary"\ntitle = {L}\naccepts = []\n',
        "final[0].accepts",
    ),
    ("weight zero", sub("weight = 1.0", "weight = 0"), "criterion[0].weight"),
    ("weight negative", sub("weight = 1.0", "weight = -2.5"), "criterion[0].weight"),
    ("weight not a number", sub("weight = 1.0", 'weight = "heavy"'), "criterion[0].weight"),
    ("scale too small", sub("scale = 10", "scale = 1"), "criterion[0].scale"),
    ("scale too large", sub("scale = 10", "scale = 101"), "criterion[0].scale"),
    ("scale not whole", sub("scale = 10", "scale = 2.5"), "criterion[0].scale"),
    ("quiet start not a time", sub('start = "22:00"', 'start = "25:00"'), "quiet_hours.start"),
    ("quiet end without zero", sub('end = "08:00"', 'end = "8:00"'), "quiet_hours.end"),
    ("quiet end equals start", sub('end = "08:00"', 'end = "22:00"'), "quiet_hours.end"),
    (
        "quiet hours unknown key",
        sub('end = "08:00"', 'end = "08:00"\nstop = "09:00"'),
        "quiet_hours.stop",
    ),
    ("toml syntax error", sub("ratio = 0.1", "ratio = = 0.1"), "file"),
    ("assessment not a table", lambda t: "assessment = 5\n" + t, "assessment"),
    ("assessment unknown key", assessment("reviewers = 5"), "assessment.reviewers"),
    (
        "reviewers per candidate negative",
        assessment("reviewers_per_candidate = -1"),
        "assessment.reviewers_per_candidate",
    ),
    (
        "reviewers per candidate not whole",
        assessment("reviewers_per_candidate = 2.5"),
        "assessment.reviewers_per_candidate",
    ),
    ("conflict unknown", assessment('conflict = "team"'), "assessment.conflict"),
    ("shrinkage zero", assessment("shrinkage = 0"), "assessment.shrinkage"),
    ("shrinkage negative", assessment("shrinkage = -1.0"), "assessment.shrinkage"),
    ("shrinkage a string", assessment('shrinkage = "2"'), "assessment.shrinkage"),
    (
        "show others not a bool",
        assessment('show_others_after_own = "no"'),
        "assessment.show_others_after_own",
    ),
    ("vote not a bool", assessment("vote = 1"), "assessment.vote"),
    ("spread total zero", assessment("spread_total = 0"), "assessment.spread_total"),
    ("spread total a percentage", assessment("spread_total = 20"), "assessment.spread_total"),
    ("spread criterion zero", assessment("spread_criterion = 0"), "assessment.spread_criterion"),
    (
        "spread criterion beyond the scale",
        assessment("spread_criterion = 11"),
        "assessment.spread_criterion",
    ),
    ("min reviews zero", assessment("min_reviews = 0"), "assessment.min_reviews"),
    ("rank by unknown", assessment('rank_by = "median"'), "assessment.rank_by"),
    ("no pacesetters", assessment("pacesetters = 0"), "assessment.pacesetters"),
    ("pacesetters not whole", assessment("pacesetters = 2.5"), "assessment.pacesetters"),
]


@pytest.mark.parametrize(
    ("edit", "key_path"), [(edit, key) for _, edit, key in BROKEN], ids=[n for n, _, _ in BROKEN]
)
def test_broken_file_names_the_key(
    tmp_path: Path, edit: Callable[[str], str], key_path: str
) -> None:
    path = write(tmp_path, edit(VALID))
    problems = check_campaign(path)
    assert key_path in [key for key, _ in problems], problems
    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    assert caught.value.problems == problems


def test_messages_are_helpful(tmp_path: Path) -> None:
    edit = sub("opens = 2026-12-01T09:00:00+08:00", "opens = 2026-12-01T09:00:00")
    problems = dict(check_campaign(write(tmp_path, edit(VALID))))
    assert problems["stage[0].opens"] == "needs a UTC offset such as +08:00"
    problems = dict(check_campaign(write(tmp_path, nth(1, "deadline = ", "deadlin = ")(VALID))))
    assert problems["stage[1].deadlin"] == "unknown key (did you mean 'deadline'?)"
    assert problems["stage[1].deadline"] == "missing required key"
    edit = sub("deadline = 2027-01-15T18:00:00+08:00", "deadline = 2026-11-15T18:00:00+08:00")
    assert check_campaign(write(tmp_path, edit(VALID))) == [
        ("stage[0].deadline", "must be after opens")
    ]


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    problems = check_campaign(tmp_path / "missing.toml")
    assert [key for key, _ in problems] == ["file"]
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe nonsense")
    assert [key for key, _ in check_campaign(tmp_path / "bad.toml")] == ["file"]


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = VALID
    for edit in (
        sub("Asia/Shanghai", "Mars/Base"),
        sub("ratio = 0.1", "ratio = 2"),
        nth(1, "deadline = ", "deadlin = "),
        sub("scale = 10", "scale = 1000"),
        sub('kind = "document"', 'kind = "audio"'),
        sub('en = "Name"', 'en = ""'),
    ):
        text = edit(text)
    with pytest.raises(CampaignError) as caught:
        load_campaign(write(tmp_path, text))
    keys = [key for key, _ in caught.value.problems]
    for expected in (
        "timezone",
        "quota.ratio",
        "stage[1].deadlin",
        "stage[1].deadline",
        "criterion[0].scale",
        "deliverable[0].kind",
        "name.en",
    ):
        assert expected in keys
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems)
    assert "stage[1].deadlin: unknown key (did you mean 'deadline'?)" in lines


def test_a_campaign_may_name_where_its_guide_is(tmp_path: Path) -> None:
    assert load_campaign(write(tmp_path, VALID)).guide_url is None
    url = "https://intranet.example.cn/pacesetter/guide.html"
    campaign = load_campaign(write(tmp_path, f'guide_url = "{url}"\n' + VALID))
    assert campaign.guide_url == url
    problems = check_campaign(write(tmp_path, 'guide_url = "see the wiki"\n' + VALID))
    assert [key for key, _ in problems] == ["guide_url"]
