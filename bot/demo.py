"""`pacesetter demo`: the sandbox and the real bot, a scripted walk-through, a transcript.

Runs on a fresh machine with no token and no network: the sandbox Bot API server listens on
loopback, the bot talks to it over HTTP exactly as it would to Telegram.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import BotRunner
from bot.campaign import load_campaign
from bot.pacing import Pace
from bot.sandbox import Sandbox, SandboxUser
from bot.settings import Secret, Settings
from messages.render import Messages

_LABELS = Messages(ZoneInfo("UTC"))
CAMPAIGN = load_campaign()
DEMO_TOKEN = "424242:DEMO-sandbox-token"
UNITS = [
    ("FHB-1", "First Harbour Engineering Co.", 12),
    ("RBR-2", "Road & Bridge Co.", 5),
    ("DSN-3", "Design Institute", 1),
]


def demo_csv() -> bytes:
    lines = ["unit_code,unit_name,project_code,project_name"]
    for code, name, count in UNITS:
        lines += [
            f"{code},{name},{code}-P{i:02d},{name} project {i:02d}" for i in range(1, count + 1)
        ]
    return ("\n".join(lines) + "\n").encode()


def label(locale: str, key: str, **values: str) -> str:
    """What a button says to a person reading that locale (the demo taps like a person)."""
    return _LABELS.label(locale, key, **values)


def _link(user: SandboxUser) -> str:
    match = re.search(r"start=(inv_[A-Za-z0-9_-]+)", user.last_reply.text)
    if not match:
        raise RuntimeError(f"no invitation link in: {user.last_reply.text}")
    return match.group(1)


class Chapters:
    """Headings between transcript lines, and long repetitive stretches told in one line."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.marks: list[tuple[int, str]] = []
        self.summaries: list[tuple[int, int, str]] = []  # (start, end, summary)

    def __call__(self, title: str) -> None:
        self.marks.append((len(self.sb.transcript()), title))

    @contextmanager
    def summarised(self, summary: str) -> Iterator[None]:
        start = len(self.sb.transcript())
        yield
        self.summaries.append((start, len(self.sb.transcript()), summary))

    def lines(self) -> list[str]:
        lines = self.sb.transcript()
        edits = [(i, i, ["", f"== {title} =="]) for i, title in self.marks]
        edits += [(start, end, [f"   … {summary}"]) for start, end, summary in self.summaries]
        for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            lines[start:end] = replacement
        return lines


async def play(sb: Sandbox, admin: SandboxUser, chapter: Chapters) -> None:
    chapter("The organiser imports the units and projects")
    await admin.send("/start")
    await admin.send("/import")
    await admin.send_document(demo_csv(), filename="units.csv", mime_type="text/csv")

    chapter("The organiser invites a unit secretary (buttons)")
    await admin.send("/invite")
    await admin.tap(label("zh-Hans", "role_secretary"))
    await admin.tap(label("zh-Hans", "choice", name=UNITS[0][1], code=UNITS[0][0]))
    secretary = sb.user("Chen Li", language_code="zh-hant", username="chenli")
    await secretary.send(f"/start {_link(admin)}")

    chapter("The secretary invites a project lead and a member")
    await secretary.send("/invite")
    await secretary.tap(label("zh-Hant", "role_lead"))
    first_project = {"name": f"{UNITS[0][1]} project 01", "code": f"{UNITS[0][0]}-P01"}
    await secretary.tap(label("zh-Hant", "choice", **first_project))
    lead = sb.user("Sam Lee", language_code="en", username="samlee")
    await lead.send(f"/start {_link(secretary)}")
    await lead.send(f"/invite member {UNITS[0][0]}-P01")
    member = sb.user("Wang Fang", language_code="zh-hans")
    await member.send(f"/start {_link(lead)}")

    chapter("The project's group chat is bound")
    group = sb.group("FHB-1 P01 branch", creator=secretary, members=[lead, member])
    await sb.add_bot(group, by=secretary)
    await secretary.send("/bind", chat=group)
    await secretary.tap(label("zh-Hant", "choice", **first_project), message=sb.messages(group)[-1])

    chapter("Everyone knows where they stand")
    await member.send("/help")
    await lead.send("/whoami")
    await member.send("where do I upload photos?")
    await play_stage_one(sb, admin, secretary, lead, chapter)


async def write_application(lead: SandboxUser, locale: str, budget: str) -> None:
    """Every section answered the quick way: a message and Done; the budget; no attachments."""
    await lead.send("/apply")
    for section in CAMPAIGN.sections:
        if section.kind == "text":
            await lead.send(f"{section.title.get('en')}: what our branch did, in brief.")
            await lead.tap(label(locale, "done"))
        elif section.kind == "number":
            await lead.send(budget)
        else:
            await lead.tap(label(locale, "skip"))
    await lead.tap(label(locale, "submit"))


async def join(sb: Sandbox, inviter: SandboxUser, name: str, locale: str, args: str):
    await inviter.send(f"/invite {args}")
    person = sb.user(name, language_code=locale.lower())
    await person.send(f"/start {_link(inviter)}")
    return person


def item(locale: str, project: str, status: str) -> str:
    """The button a secretary taps for an application in the /nominations list."""
    return label(locale, "application_item", name=project, status=label(locale, f"status_{status}"))


async def play_stage_one(
    sb: Sandbox, admin: SandboxUser, secretary: SandboxUser, lead: SandboxUser, chapter: Chapters
) -> None:
    fhb, rbr = UNITS[0], UNITS[1]
    chapter("Stage 1: a project lead writes the application, section by section")
    await lead.send("/apply")
    await lead.send("Foundation: a 32-member branch on the harbour site; <weekly> study & talks.")
    await lead.send("…and a Party members' vanguard post on every shift. 🙂")
    await lead.tap(label("en", "done"))
    await lead.tap(label("en", "save_exit"))
    await lead.send("/apply")  # days later: back where they were
    with chapter.summarised("Sam Lee answers the other sections the same way"):
        for section in CAMPAIGN.sections[1:]:
            if section.kind == "text":
                await lead.send(f"{section.title.get('en')}: what our branch did, in brief.")
                await lead.tap(label("en", "done"))
            elif section.kind == "number":
                await lead.send("12.5万")
    await lead.send_photo(caption="Themed Party day, June")
    await lead.tap(label("en", "done"))
    await lead.tap(label("en", "submit"))

    chapter("Two more First Harbour projects apply; Road & Bridge gets a secretary and a lead")
    with chapter.summarised("invitations, and three applications written and submitted"):
        liu = await join(sb, secretary, "Liu Yang", "zh-Hans", f"lead {fhb[0]}-P02")
        zhou = await join(sb, secretary, "Zhou Min", "zh-Hans", f"lead {fhb[0]}-P03")
        await write_application(liu, "zh-Hans", "80000")
        await write_application(zhou, "zh-Hans", "9.8万元")
        rbr_secretary = await join(sb, admin, "Huang Lei", "en", f"secretary {rbr[0]}")
        rbr_lead = await join(sb, rbr_secretary, "Ma Jun", "en", f"lead {rbr[0]}-P01")
        await write_application(rbr_lead, "en", "60,000 元")

    chapter(f"{fhb[1]} nominates within its quota: 12 projects, 10% rounded up = 2 places")
    for number in ("01", "02", "03"):
        await secretary.send("/nominations")
        await secretary.tap(item("zh-Hant", f"{fhb[1]} project {number}", "submitted"))
        await secretary.tap(label("zh-Hant", "nominate"))

    chapter("Road & Bridge returns its application with a comment; the lead revises it")
    await rbr_secretary.send("/nominations")
    await rbr_secretary.tap(item("en", f"{rbr[1]} project 01", "submitted"))
    await rbr_secretary.tap(label("en", "return"))
    await rbr_secretary.send("Please split the budget by quarter.")
    await rbr_lead.send("/apply")
    await rbr_lead.tap(label("en", "edit_section", number="10"))
    await rbr_lead.send("15000 per quarter: 60000")
    await rbr_lead.send("60000")
    await rbr_lead.tap(label("en", "submit"))
    await rbr_secretary.send("/nominations")
    await rbr_secretary.tap(item("en", f"{rbr[1]} project 01", "submitted"))
    await rbr_secretary.tap(label("en", "nominate"))

    chapter("The organiser decides from the overview")
    await admin.send("/applications")
    await admin.tap(f"{fhb[1]} project 01")
    await admin.tap(label("zh-Hans", "accept"))
    await admin.tap(label("zh-Hans", "accept_yes"))
    await admin.send("/applications")
    await admin.tap(f"{rbr[1]} project 01")
    await admin.tap(label("zh-Hans", "accept"))
    await admin.tap(label("zh-Hans", "accept_yes"))
    await admin.send("/applications")


async def run_demo(db_path: Path | None = None, out=sys.stdout) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pacesetter-demo-") as scratch:
        async with Sandbox(token=DEMO_TOKEN) as sb:
            sb.limits.chat_per_second = 1000.0  # the script types faster than any person
            admin = sb.user("Zhao Min", language_code="zh-hans", username="zhaomin")
            settings = Settings(
                token=Secret(DEMO_TOKEN),
                api_url=sb.api_url,
                db_path=db_path or Path(scratch) / "demo.db",
                admins=frozenset({admin.id}),
            )
            chapter = Chapters(sb)
            # The campaign's own calendar: a week into the application stage.
            apply_stage = CAMPAIGN.stage("apply")
            runner = BotRunner(
                settings,
                poll_timeout=5,
                clock=lambda: apply_stage.opens + timedelta(days=7),
                pace=Pace(chat_per_second=1000.0, chat_burst=1000.0),
            )
            await runner.start()
            sb.bot_busy = runner.busy  # each step waits for the bot's answers and notices
            try:
                await play(sb, admin, chapter)
            finally:
                await runner.stop()
            for line in chapter.lines():
                print(line, file=out)
            trouble = sb.rejections or sb.problems
            for item in trouble:
                print(f"!! {item}", file=out)
    print(f"\n-- demo finished in {time.monotonic() - started:.1f} s", file=out)
    return 1 if trouble else 0
