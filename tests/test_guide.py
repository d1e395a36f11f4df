"""/guide: the member guide inside Telegram, in the reader's language, true to the bot."""

from __future__ import annotations

import glob
import re
import tomllib
from zoneinfo import ZoneInfo

import pytest

from bot import menus
from bot.access import actor_of
from messages import guide
from messages.render import LOCALES, ROOT, Messages
from messages.split import TELEGRAM_LIMIT, visible_length
from storage.people import Person
from storage.roles import RoleGrant
from tests.conftest import World

MSGS = Messages(ZoneInfo("Asia/Shanghai"))
# Buttons the guide names: each as the bot labels it in that language, so the two agree.
NAMED_BUTTONS = (
    "join_branch",
    "report_it",
    "report_open",
    "done",
    "no_photo",
    "report_criterion",
    "report_save",
    "skip",
    "save_exit",
    "preview",
    "submit",
    "word_form",
)


async def test_guide_arrives_in_each_readers_language(world: World):
    for locale, code in (("en", "en"), ("zh-Hans", "zh-hans"), ("zh-Hant", "zh-TW")):
        reader = world.sb.user(f"Reader {locale}", language_code=code)
        before = len(reader.replies())
        await reader.send("/guide")
        sent = [m.html for m in reader.replies()[before:]]
        assert sent == list(guide.texts(locale))
    english = "\n".join(guide.texts("en"))
    assert "<b>1. Joining</b>" in english
    assert "tap <b>🙋 Join this branch</b>" in english
    assert "simply send the activity's photos" in english


async def test_help_names_the_guide_and_a_group_gets_the_way_to_the_private_chat(
    world: World,
):
    nina = world.sb.user("Nina")
    await nina.send("/help")
    assert "📖 /guide — how to join, report activities and apply" in nina.last_reply.text
    sam = world.sb.user("Sam")
    group = world.sb.group("Branch", creator=sam, members=[nina])
    await world.sb.add_bot(group, by=sam)
    await nina.send("/guide", chat=group)  # the whole guide is not for a busy group
    assert world.sb.messages(group)[-1].text == (
        "/guide works in our private chat: tap below to open it."
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_guide_is_valid_telegram_html_in_few_messages(locale):
    parts = guide.texts(locale)
    assert 1 <= len(parts) <= 3
    assert all(visible_length(part) <= TELEGRAM_LIMIT for part in parts)
    text = "\n".join(parts)
    assert "**" not in text and "## " not in text and "\n- " not in text
    assert text.count("<b>") == text.count("</b>")
    # Each message after the first starts at a heading.
    assert all(part.startswith("<b>") for part in parts)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_guide_names_the_buttons_and_commands_as_the_bot_has_them(locale):
    text = "\n".join(guide.texts(locale))
    for key in NAMED_BUTTONS:
        assert f"<b>{MSGS.label(locale, key)}</b>" in text, key
    plain = re.sub(r"<[^>]*>", "", text)
    commands = set(re.findall(r"(?<![\w/])/([a-z]+)\b", plain))
    known = {*menus.EVERYONE, *menus.ADMIN, *menus.SECRETARY, *menus.LEAD, *menus.MEMBER}
    assert commands and commands <= known


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant"])
def test_the_chinese_guides_use_the_glossarys_words(locale):
    text = guide.path(locale).read_text(encoding="utf-8")
    for retired in ("项目负责人", "項目負責人", "候选项目", "候選項目", "创建对象", "資金預算"):
        assert retired not in text
    assert "资金预算" not in text and "总结推广" not in text and "你" not in text
    assert ("经费预算" if locale == "zh-Hans" else "經費預算") in text
    assert re.search(r"[\u4e00-\u9fff] \d|\d [\u4e00-\u9fff]", text) is None  # no space


def test_markdown_is_read_only_as_far_as_the_guide_uses_it():
    markdown = "# Title <x>\n\n## Part **two**\n- a **b** & `c<d>`\n1. one\n\n\n\ntail *not* _it_"
    assert guide.to_html(markdown) == (
        "<b>Title &lt;x&gt;</b>\n\n"
        "\x1e<b>Part two</b>\n"
        "• a <b>b</b> &amp; <code>c&lt;d&gt;</code>\n"
        "1. one\n\n"
        "tail *not* _it_"
    )


def test_the_guides_are_packaged():
    """A plain `pip install .` ships every guide where messages/guide.py looks for it."""
    config = tomllib.loads((ROOT.parent / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert "messages.docs" in setuptools["packages"]
    folder = ROOT.parent / setuptools["package-dir"]["messages.docs"]
    assert folder == guide.folder()  # a checkout reads them where they are written
    patterns = setuptools["package-data"]["messages.docs"]
    packaged = {found for p in patterns for found in glob.glob(p, root_dir=folder)}
    assert packaged == {f"guide.{locale}.md" for locale in LOCALES}


def test_members_leads_and_people_without_a_role_have_guide_in_their_menu():
    person = Person(1, "Mei", None, None, "en", None, True, False)
    for grants in [(), (RoleGrant(1, "member", 1, 2, "U", "P"),)]:
        actor = actor_of(person, grants, admins=frozenset(), default_locale="zh-Hans")
        assert menus.commands_for(actor)[:3] == ("start", "help", "guide")
