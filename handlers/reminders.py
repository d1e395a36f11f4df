"""Stage reminders on a schedule (bot/reminders.py decides what is due and who owes what):
the job that looks, and the buttons each reminder carries to its item."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import Application

from bot import reminders
from bot.core import Core, Ctx
from handlers import apply, nominations, selection

# How often the schedule is looked at. Each look derives the due waves from the campaign and
# the database, so a look that is late or missed (a restart) loses nothing: the next catches up.
LOOK_EVERY = timedelta(seconds=30)


def register(app: Application) -> None:
    app.job_queue.run_repeating(
        _look,
        interval=LOOK_EVERY,
        first=timedelta(seconds=1),
        name="reminders",
        # APScheduler's default would drop a look that starts late; one is enough when several.
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


async def _look(ctx: Ctx) -> None:
    await remind_due(ctx.bot_data)


async def remind_due(core: Core) -> list[tuple[reminders.Wave, int]]:
    """Write the waves due now; what was written, and to how many people."""
    return await reminders.write_due(
        core.db,
        core.writer,
        core.now(),
        admins=core.settings.admins,
        bot_username=core.bot_username,
        buttons=reminder_buttons(core.bot_username),
    )


def reminder_buttons(bot_username: str | None = None) -> dict[str, tuple[str, str]]:
    """The button each reminder carries to its item, by whom it is for (reporting opens with
    /report, the final items with /final, the scores with /review, by a link to the bot's
    /start)."""
    buttons = {
        "lead": ("continue_application", apply.BUTTONS.data("resume")),
        "secretary": ("applications_waiting", nominations.BUTTONS.data("start")),
        "admin": ("nominations_waiting", selection.BUTTONS.data("start")),
    }
    if bot_username:
        buttons["report"] = ("report_open", f"https://t.me/{bot_username}?start=report")
        buttons["final"] = ("final_open", f"https://t.me/{bot_username}?start=final")
        buttons["review"] = ("review_open", f"https://t.me/{bot_username}?start=review")
        buttons["ranking"] = ("ranking_open", f"https://t.me/{bot_username}?start=ranking")
        buttons["deliverables"] = (
            "deliverables_open",
            f"https://t.me/{bot_username}?start=deliverables",
        )
    return buttons
