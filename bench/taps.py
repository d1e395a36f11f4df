"""Benchmark: what filing one realistic application costs a lead, from /apply to submitted.

Counts the lead's actions (messages sent, albums counted once, and taps) and the bot's
messages in the chat, and how many of those still carry buttons at the end (old keyboards
left behind). The application: ten text sections, each written in two messages; the budget;
an album of four photos and a PDF as supporting materials; the preview; submit. Then the
same application from the Word form (bench measures the bot's side; the typing is in Word).

Then the two decisions on it, counted the same way: the unit secretary nominates it from
/nominations, the organiser accepts it from /applications.

Run: python -m bench.taps
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from pathlib import Path

import docx

from bot.app import BotRunner
from bot.campaign_load import load_campaign
from bot.sandbox import Sandbox
from bot.sandbox.files import make_png
from bot.settings import Secret, Settings
from tests.conftest import APPLY_OPEN, FakeClock, org_csv

TOKEN = "777777:BENCH-taps"
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CAMPAIGN = load_campaign()


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        async with Sandbox(token=TOKEN) as sb:
            sb.limits.chat_per_second = 1000.0
            admin = sb.user("Admin")
            settings = Settings(
                token=Secret(TOKEN),
                api_url=sb.api_url,
                db_path=Path(scratch) / "taps.db",
                admins=frozenset({admin.id}),
            )
            runner = BotRunner(settings, poll_timeout=1, clock=FakeClock(APPLY_OPEN))
            await runner.start()
            sb.bot_busy = runner.busy
            try:
                await admin.send("/import")
                await admin.send_document(org_csv([("U1", 2)]), "orgs.csv", "text/csv")
                await admin.send("/invite lead P-U1-01")
                payload = admin.last_reply.text.split("start=")[1].split()[0]
                lead = sb.user("Lena")
                await lead.send(f"/start {payload}")
                before = len(lead.replies())
                actions = 0

                async def send(text: str) -> None:
                    nonlocal actions
                    actions += 1
                    await lead.send(text)

                async def tap(label: str) -> None:
                    nonlocal actions
                    actions += 1
                    await lead.tap(label)

                await send("/apply")
                for section in CAMPAIGN.sections:
                    if section.kind == "text":
                        await send(f"Our {section.key}: the first paragraph.")
                        await send("And a second paragraph.")
                        await tap("✓ Done")
                    elif section.kind == "number":
                        await send("12.5万")
                    else:
                        actions += 1  # an album is chosen and sent as one
                        await lead.send_media_group([("photo", None)] * 4)
                        actions += 1
                        await lead.send_document(b"%PDF-1.4", "plan.pdf", "application/pdf")
                        await tap("✓ Done")
                await tap("✅ Submit")
                assert "Submitted" in lead.last_reply.text, lead.last_reply.text
                sent = lead.replies()[before:]
                # The last message (Submitted, with ↩ Withdraw) still acts; any other is stale.
                stale = sum(bool(m.buttons) for m in sent[:-1])
                print("one realistic application, /apply to submitted:")
                print(f"  lead's actions: {actions}")
                print(f"  bot messages: {len(sent)} (old ones still with buttons: {stale})")
                await in_word(sb, admin)

                await admin.send("/invite secretary U1")
                payload = admin.last_reply.text.split("start=")[1].split()[0]
                secretary = sb.user("Sam")
                await secretary.send(f"/start {payload}")
                await decision(
                    secretary, "/nominations", ["Project U1-01 · submitted", "⭐ Nominate"]
                )
                await decision(
                    admin,
                    "/applications",
                    ["Project U1-01", "✅ Accept as a candidate", "✅ Yes, accept"],
                )
            finally:
                sb.bot_busy = None
                await runner.stop()


async def in_word(sb: Sandbox, admin) -> None:
    """The same application from the Word form: the ten text sections, the budget and four
    pictures filled in Word, sent back, submitted from the preview."""
    await admin.send("/invite lead P-U1-02")
    lead = sb.user("Wang")
    await lead.send(f"/start {admin.last_reply.text.split('start=')[1].split()[0]}")
    before, actions = len(lead.replies()), 4  # /apply, 📄, the file, ✅ Submit
    await lead.send("/apply")
    await lead.tap("📄 Fill in Word instead")
    document = docx.Document(io.BytesIO(sb.file_bytes(lead.last_reply.file_id)))
    headings = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    for section, heading in zip(CAMPAIGN.sections, headings, strict=True):
        answer = "12.5万" if section.kind == "number" else f"Our {section.key}: a paragraph."
        if section.kind != "files":
            heading._p.getnext().addprevious(document.add_paragraph(answer)._p)
    for shade in range(4):
        document.add_picture(io.BytesIO(make_png(32, 32, 40 + shade * 40)))
    filled = io.BytesIO()
    document.save(filled)
    await lead.send_document(filled.getvalue(), "application.docx", WORD)
    await lead.tap("✅ Submit")
    assert "Submitted" in lead.last_reply.text, lead.last_reply.text
    sent = lead.replies()[before:]
    stale = sum(bool(m.buttons) for m in sent[:-1])
    print("the same from the Word form, /apply to submitted:")
    print(f"  lead's actions: {actions} (and the typing in Word)")
    print(f"  bot messages: {len(sent)}, the 4 pictures included (old ones with buttons: {stale})")


async def decision(person, command: str, taps: list[str]) -> None:
    before = len(person.replies())
    await person.send(command)
    for label in taps:
        await person.tap(label)
    print(f"{command}, one decision: {1 + len(taps)} actions,", end=" ")
    print(f"{len(person.replies()) - before} bot messages")


if __name__ == "__main__":
    asyncio.run(main())
