"""Messages to someone other than the sender, in the recipient's own language."""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest, Forbidden

from bot import locale
from bot.core import Ctx
from storage import orgs, people, roles

log = logging.getLogger(__name__)


async def person(ctx: Ctx, user_id: int, key: str, **context: Any) -> bool:
    """Send a template privately; False when they can't be reached (never started, blocked)."""
    who = await people.get(ctx.db, user_id)
    if who is None or not who.private_chat or who.blocked:
        return False
    their_locale = locale.choose(who.locale, who.telegram_language, ctx.campaign.default_locale)
    parts = ctx.msgs.texts(their_locale, key, campaign=ctx.campaign, **context)
    try:
        for part in parts:
            await ctx.bot.send_message(user_id, part)
    except Forbidden:
        await people.set_blocked(ctx.db, user_id, True)
        return False
    except BadRequest as error:
        log.warning("could not notify %s: %s", user_id, error)
        return False
    return True


async def project_people(
    ctx: Ctx,
    project: orgs.Project,
    key: str,
    *,
    leads: bool = True,
    secretaries: bool = True,
    **context: Any,
) -> None:
    """Tell a project's leads and/or its unit's secretaries, each in their own language;
    never the sender, who sees the outcome on screen."""
    unit = await orgs.unit(ctx.db, project.unit_id)
    recipients: set[int] = set()
    if leads:
        recipients |= {
            g.user_id for g in await roles.holders(ctx.db, "lead", project_id=project.id)
        }
    if secretaries:
        recipients |= {g.user_id for g in await roles.holders(ctx.db, "secretary", unit_id=unit.id)}
    sender = ctx.actor.user_id if ctx.actor else None
    for user_id in sorted(recipients - {sender}):
        await person(ctx, user_id, key, project=project, unit=unit, **context)
