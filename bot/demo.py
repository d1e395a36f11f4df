"""`pacesetter demo`: the sandbox and the real bot, a scripted walk-through, a transcript.

Runs on a fresh machine with no token and no network: the sandbox Bot API server listens on
loopback, the bot talks to it over HTTP exactly as it would to Telegram.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import BotRunner
from bot.sandbox import Sandbox, SandboxUser
from bot.settings import Secret, Settings
from messages.render import Messages

_LABELS = Messages(ZoneInfo("UTC"))
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
    """Headings placed between transcript lines, to make the walk-through readable."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.marks: list[tuple[int, str]] = []

    def __call__(self, title: str) -> None:
        self.marks.append((len(self.sb.transcript()), title))

    def lines(self) -> list[str]:
        lines = self.sb.transcript()
        for index, title in reversed(self.marks):
            lines[index:index] = ["", f"== {title} =="]
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
            runner = BotRunner(settings, poll_timeout=5)
            await runner.start()
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
