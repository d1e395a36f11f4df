"""The evidence on a scoring card (bot/evidence.py): its buttons send what the card only
glimpses (a section's full text, the highlights' photos, the final items), to a reviewer of
that candidate."""

from __future__ import annotations

from telegram.ext import Application

from bot.core import Ctx
from bot.evidence import Evidence
from handlers import guards, ui
from handlers.callbacks import Buttons

BUTTONS = Buttons("ev", command="review")


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS))


def rows(ctx: Ctx, evidence: Evidence) -> list[list[ui.Button]]:
    """The evidence's buttons, to go on the card above the scores."""
    return []
