"""One vocabulary: every word a reader sees follows docs/glossary.md (no retired word, 您 not 你,
stage names from the campaign, no space between Chinese and numbers or names, files in 《》, no
🎉), and dates read `1月20日 18:00`, with the year only when it is not this year."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import demo, menus
from bot.campaign_load import load_campaign
from messages.render import ROOT, Messages, catalog_path

DOCS = Path(__file__).parent.parent / "docs"
CHINESE = ("zh-Hans", "zh-Hant")
CAMPAIGN = load_campaign()

# Where a retired word is still the right one: (locale, retired word) -> the longer words that
# hold it legitimately, each with its reason. A glossary term holding a retired word (活动管理员
# holds 管理员) is allowed without being listed here.
ALLOWED: dict[tuple[str, str], dict[str, str]] = {
    ("zh-Hans", "管理员"): {
        "群管理员": "a Telegram group's administrator, not the campaign admin",
        "匿名管理员": "Telegram's own name for an admin who posts as the group",
        "管理员权限": "Telegram's admin rights screen, where “remain anonymous” is turned off",
    },
    ("zh-Hans", "上报"): {"上报告": "a place ending in 上 (手机上) before the verb 报告, not 上报"},
    ("zh-Hant", "上報"): {"上報告": "a place ending in 上 (手機上) before the verb 報告, not 上報"},
    ("zh-Hant", "管理員"): {
        "群管理員": "a Telegram group's administrator, not the campaign admin",
        "匿名管理員": "Telegram's own name for an admin who posts as the group",
        "管理員權限": "Telegram's admin rights screen, where “remain anonymous” is turned off",
    },
}
# Placeholders that keep their space, and why.
SPACED_PLACEHOLDERS = {
    "caption": "the person's own caption, set off from the kind of file (照片 开会合影)",
    "command": "a command is Latin: Telegram reads “/apply 获取”, not “/apply获取”, as one",
    "bot_username": "an @username is Latin, and a link only up to the space",
}


def _glossary() -> list[dict[str, str]]:
    lines = (DOCS / "glossary.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith("| concept |")))
    names = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(names, (c.strip() for c in line.strip("|").split("|")), strict=True)))
    return rows


def _words(cell: str) -> set[str]:
    return set() if not cell or cell.startswith("(") else set(cell.split(", "))


def _retired(row: dict[str, str]) -> dict[str, set[str]]:
    """ "zh-Hans: 项目负责人, 负责人; zh-Hant: 項目負責人" -> {locale: words}"""
    out: dict[str, set[str]] = {}
    for part in filter(None, row["retired"].split("; ")):
        locale, _, words = part.partition(": ")
        out[locale] = _words(words)
    return out


GLOSSARY = _glossary()
TERMS = {locale: set().union(*(_words(row[locale]) for row in GLOSSARY)) for locale in CHINESE}
RETIRED = {
    locale: set().union(*(_retired(row).get(locale, set()) for row in GLOSSARY))
    for locale in CHINESE
}


def _msgstrs(locale: str) -> list[tuple[str, str]]:
    """(msgid, one translated form) for every entry of the locale's catalog, labels included:
    the bot's description, short description and command menus are labels."""
    with catalog_path(ROOT, locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale.replace("-", "_"))
    return [
        (str(message.id), form)
        for message in catalog
        if message.id
        for form in (message.string if isinstance(message.string, tuple) else (message.string,))
    ]


def _guides(locale: str) -> list[tuple[str, str]]:
    path = DOCS / f"guide.{locale}.md"
    return [(path.name, path.read_text(encoding="utf-8"))] if path.exists() else []


def _sources() -> list[tuple[str, str]]:
    """The English sources, which still hold a few Chinese words (headers, examples)."""
    templates = sorted((ROOT / "templates").rglob("*.html"))
    with (ROOT / "labels.toml").open("rb") as handle:
        labels = tomllib.load(handle)
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in templates] + [
        (f"labels.toml:{key}", text) for key, text in labels.items()
    ]


def _demo(locale: str) -> list[tuple[str, str]]:
    """The demo's own narration (what its people type is theirs to word)."""
    cast = demo.CASTS.get(locale)
    return [(f"demo:{key}", text) for key, text in cast.chapters.items()] if cast else []


def _texts(locale: str) -> list[tuple[str, str]]:
    return _msgstrs(locale) + _guides(locale) + _sources() + _demo(locale)


def _retired_words_in(locale: str, text: str) -> list[str]:
    found = []
    for word in sorted(RETIRED[locale]):
        if word not in text:
            continue
        holders = {term for term in TERMS[locale] if word in term and term != word}
        holders |= set(ALLOWED.get((locale, word), {}))
        masked = text
        for holder in sorted(holders, key=len, reverse=True):
            masked = masked.replace(holder, "□")
        if word in masked:
            found.append(word)
    return found


def test_the_glossary_gives_every_concept_its_words():
    assert len(GLOSSARY) > 30
    for row in GLOSSARY:
        assert row["concept"] and row["zh-Hans"] and row["zh-Hant"] and row["en"], row
        assert set(_retired(row)) <= set(CHINESE), row
    for locale in CHINESE:
        assert RETIRED[locale] & TERMS[locale] == set()
        assert {"项目负责人", "候选项目", "资金预算", "你"} <= RETIRED["zh-Hans"]


@pytest.mark.parametrize("locale", CHINESE)
def test_no_retired_word_is_read_anywhere(locale):
    """Catalogs (labels, description and commands included), templates, labels and guides."""
    found = [
        (where, words, text[:80])
        for where, text in _texts(locale)
        if (words := _retired_words_in(locale, text))
    ]
    assert found == []


@pytest.mark.parametrize("locale", CHINESE)
def test_the_bot_describes_itself_in_the_glossarys_words(locale):
    msgs = Messages(CAMPAIGN.timezone)
    description = menus.description(msgs, CAMPAIGN, locale)
    assert "、".join(stage.title.get(locale) for stage in CAMPAIGN.stages) in description
    commands = [msgs.label(locale, key) for key in msgs.label_keys(locale) if key[:4] == "cmd_"]
    short = msgs.label(locale, "bot_short_description")
    for text in (description, short, *commands):
        assert _retired_words_in(locale, text) == [], text


def test_a_retired_word_is_found_and_an_allowed_one_is_not():
    assert _retired_words_in("zh-Hans", "请联系项目负责人") == ["负责人", "项目负责人"]
    assert _retired_words_in("zh-Hans", "请联系单位党组织书记或群管理员") == []
    assert _retired_words_in("zh-Hans", "请联系书记") == ["书记"]
    assert _retired_words_in("zh-Hant", "謝謝你") == ["你"]


@pytest.mark.parametrize("locale", CHINESE)
def test_stage_names_come_from_the_campaign(locale):
    titles = [stage.title.get(locale) for stage in CAMPAIGN.stages]
    spelled = [(msgid, text) for msgid, text in _msgstrs(locale) if any(t in text for t in titles)]
    assert spelled == []


_IDEOGRAPH = r"[\u3400-\u4dbf\u4e00-\u9fff]"
_VALUE = r"(?:%\((?P<name>\w+)\)s|\d)"  # a placeholder or a digit
_SPACED = (re.compile(rf"(?<={_IDEOGRAPH}) +{_VALUE}"), re.compile(rf"{_VALUE} +(?={_IDEOGRAPH})"))


def _spaced(text: str) -> list[str]:
    text = re.sub(r"</?[bi]>", "", text)  # bold or italic still touches its neighbours
    text = re.sub(r"[A-Za-z]+-\d+", "A", text)  # UTF-16 is a name, spaced like one
    return [
        match.group(0)
        for pattern in _SPACED
        for match in pattern.finditer(text)
        if match.group("name") not in SPACED_PLACEHOLDERS
    ]


@pytest.mark.parametrize("locale", CHINESE)
def test_no_space_between_chinese_and_a_number_or_a_name(locale):
    spaced = [
        (where, found)
        for where, text in _msgstrs(locale) + _guides(locale)
        if (found := _spaced(text))
    ]
    assert spaced == []


def test_the_spacing_rule_sees_numbers_and_placeholders():
    assert _spaced("共 %(n)s 个，最多 32 字") == [" %(n)s", " 3", "%(n)s ", "2 "]
    assert _spaced("发送 /apply、Word 文件、%(limit)s MB、照片 %(caption)s") == []


# Names of programs and formats stand apart from the Chinese around them, like commands.
_LATIN = r"(?:Excel|Word|WPS|Telegram|CSV|PDF|HTML|GBK|UTF-8|UTF-16|/[a-z_]+)"
_TOUCHING = re.compile(
    rf"(?<={_IDEOGRAPH}){_LATIN}(?![A-Za-z0-9-])|(?<![A-Za-z0-9/-]){_LATIN}(?={_IDEOGRAPH})"
)


@pytest.mark.parametrize("locale", CHINESE)
def test_a_program_or_a_command_stands_apart_from_chinese(locale):
    touching = [
        (where, _TOUCHING.findall(text))
        for where, text in _msgstrs(locale) + _guides(locale)
        if _TOUCHING.search(text)
    ]
    assert touching == []


def test_the_apart_rule_sees_programs_and_commands():
    assert _TOUCHING.findall("导出为Excel文件，发送/cancel可停止") == ["Excel", "/cancel"]
    assert _TOUCHING.findall("导出为 Excel 文件，发送 /cancel 可停止，用UTF-8") == ["UTF-8"]


_FILE = re.compile(r"(.?)%\((?:file|filename)\)s(.?)")


@pytest.mark.parametrize("locale", CHINESE)
def test_a_file_named_in_a_sentence_is_in_book_title_marks(locale):
    bare = [
        text
        for _, text in _msgstrs(locale)
        for before, after in _FILE.findall(text)
        if re.match(_IDEOGRAPH, before or " ") or re.match(_IDEOGRAPH, after or " ")
        if (before, after) != ("《", "》")
    ]
    assert bare == []


def test_no_party_popper_in_notices():
    texts = _sources() + [pair for locale in CHINESE for pair in _msgstrs(locale)]
    assert [where for where, text in texts if "🎉" in text] == []


# Dates: the renderer's clock says which year is "this year", in the campaign's time zone.
NOW = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)


def _messages(now: datetime) -> Messages:
    return Messages(CAMPAIGN.timezone, clock=lambda: now)


@pytest.mark.parametrize(
    ("locale", "this_year", "next_year"),
    [
        ("zh-Hans", "12月20日 18:00", "2027年1月20日 18:00"),
        ("zh-Hant", "12月20日 18:00", "2027年1月20日 18:00"),
        ("en", "20 Dec 18:00", "20 Jan 2027 18:00"),
    ],
)
def test_a_moment_shows_its_year_only_when_it_is_not_this_year(locale, this_year, next_year):
    msgs = _messages(NOW)
    assert msgs.when(locale, datetime(2026, 12, 20, 10, 0, tzinfo=UTC)) == this_year
    assert msgs.when(locale, datetime(2027, 1, 20, 10, 0, tzinfo=UTC)) == next_year


def test_this_year_is_the_campaign_time_zones_year():
    # 31 Dec 17:00 UTC is already 1 Jan 01:00 in Shanghai: 2027 is this year there.
    msgs = _messages(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    assert msgs.when("zh-Hans", datetime(2027, 1, 20, 10, 0, tzinfo=UTC)) == "1月20日 18:00"
    assert msgs.when("zh-Hans", datetime(2026, 12, 31, 10, 0, tzinfo=UTC)) == (
        "2026年12月31日 18:00"
    )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh-Hans", ["1月20日", "2027年1月20日", "12月", "2027年1月"]),
        ("en", ["20 Jan", "20 Jan 2027", "Dec", "Jan 2027"]),
    ],
)
def test_days_and_months_follow_the_same_rule(locale, expected):
    this_year = _messages(datetime(2027, 3, 1, tzinfo=UTC))
    last_year = _messages(NOW)
    env = this_year._envs[locale], last_year._envs[locale]
    shown = [
        env[0].from_string("{{ d | day }}").render(d=date(2027, 1, 20)),
        env[1].from_string("{{ d | day }}").render(d=date(2027, 1, 20)),
        env[1].from_string("{{ d | month }}").render(d=date(2026, 12, 1)),
        env[1].from_string("{{ d | month }}").render(d=date(2027, 1, 1)),
    ]
    assert shown == expected


async def test_the_timeline_dates_follow_the_campaigns_clock(world):
    """Through the bot: its clock (2026-12-10) says 2026 is this year."""
    fang = world.sb.user("Fang", language_code="zh-hans")
    await fang.send("/deadlines")
    text = fang.last_reply.text
    assert "12月1日 09:00至2027年1月15日 18:00" in text, text
    assert "进行中：距截止还有36天8小时。" in text
    assert "2026年" not in text
