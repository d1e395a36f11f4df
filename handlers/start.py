"""/start (with invitation deep links), /help, /whoami, /cancel."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, filters

from bot import invites, notices
from bot.access import admin_ids, load_actor
from bot.core import Ctx
from handlers import (
    apply,
    deliverables,
    final,
    form_template,
    guards,
    nominations,
    ranking,
    report,
    review,
    roster,
    ui,
)
from storage import flows, invitations, orgs, roles
from storage.db import Executor, Transaction
from storage.invitations import Invitation
from storage.outbox import Cause
from storage.roles import RoleGrant


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("whoami", whoami, filters.ChatType.PRIVATE))
    # In a group, /cancel must not end what the sender is doing in private (fallback answers).
    app.add_handler(CommandHandler("cancel", cancel, filters.ChatType.PRIVATE))


def stage_context(ctx: Ctx) -> dict:
    now = ctx.now
    upcoming = [stage for stage in ctx.campaign.stages if stage.opens > now]
    return {
        "stage": ctx.campaign.current_stage(now),
        "next_stage": upcoming[0] if upcoming else None,
        "apply_open": ctx.campaign.is_open("apply", now),
        "cultivating": ctx.campaign.is_open("cultivate", now),
        "assessing": ctx.campaign.is_open("assess", now),
        "consolidating": ctx.campaign.is_open("consolidate", now),
    }


def role_lines(ctx: Ctx) -> list[str]:
    lines = [ui.role_line(ctx, grant) for grant in ctx.actor.grants]
    if ctx.actor.configured_admin and not ctx.actor.has("admin"):
        lines.insert(0, ui.role_line(ctx, _admin(ctx.actor.user_id)))
    return lines


def _admin(user_id: int) -> RoleGrant:
    return RoleGrant(user_id, "admin", None, None, None, None)


async def start(update: Update, ctx: Ctx) -> None:
    if ctx.args and ctx.args[0].startswith(invites.PAYLOAD_PREFIX):
        await _open_invitation(update, ctx, ctx.args[0])
        return
    # A group notice's button opens the private chat at the command it stands for.
    opens = _OPENED_BY_LINK.get(ctx.args[0]) if ctx.args else None
    if opens is not None:
        await opens(update, ctx)
        return
    if await _join_link_waiting(update, ctx):
        return
    await ui.reply(
        update,
        ctx,
        "start/welcome",
        name=ctx.actor.person.first_name,
        roles=role_lines(ctx),
        **stage_context(ctx),
    )


async def _join_link_waiting(update: Update, ctx: Ctx) -> bool:
    """Someone who tapped a group's join button but left the private chat it opened without
    starting it gets their own join link again, as a button; True if there was one."""
    invitation = await invitations.open_join_link_for(ctx.db, ctx.actor.user_id, ctx.now)
    if invitation is None:
        return False
    project = await orgs.project(ctx.db, invitation.project_id)
    actor = ctx.actor
    if project is None or actor.is_lead_of(project.id) or project.id in actor.projects("member"):
        return False  # gone, or theirs already some other way
    label = ctx.msgs.label(ctx.locale, "join_project", name=project.name)
    url = invites.deep_link(ctx.core.bot_username, invitation.code)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
    await ui.reply(update, ctx, "start/join_waiting", markup, project=project)
    return True


async def _roster_button(
    ctx: Ctx, db: Executor, inviter_id: int, grant: RoleGrant
) -> notices.Button | None:
    """👥 to where the new role holder is listed, for an inviter whom /people shows it."""
    inviter = await load_actor(
        db, inviter_id, admins=ctx.core.settings.admins, default_locale=ctx.campaign.default_locale
    )
    if inviter is None:
        return None
    where = grant.unit_id or roster.WIDE
    if not roster.may_see(inviter, where):
        return None
    return ("see_people", roster.BUTTONS.data("unit", where, 0))


async def _open_invitation(update: Update, ctx: Ctx, payload: str) -> None:
    code = invites.code_from_payload(payload)
    invitation = await invitations.by_code(ctx.db, code) if code else None
    if invitation is None:
        await ui.reply(update, ctx, "invite/unknown")
        return
    user_id = ctx.actor.user_id
    if invites.made_for(invitation) not in (None, user_id):
        await ui.reply(update, ctx, "invite/not_yours")
        return
    async with ctx.write() as tx:
        # Re-read inside the write lock: two people opening one link at once get one winner.
        invitation = await invitations.by_code(tx, code)
        result = invites.outcome(invitation, user_id, ctx.now)
        grant = await invitations.described_grant(tx, invitation, user_id)
        if result is invites.Redeem.OK and not await _still_allowed(ctx, tx, invitation, grant):
            await _withdraw(tx, invitation)
            result = invites.Redeem.REVOKED
        if result is invites.Redeem.OK:
            await invitations.redeem(tx, invitation, user_id)
            await notices.to_people(
                tx,
                ctx.core.writer,
                [invitation.created_by],
                "invite/accepted",
                notices.cause(tx, Cause("invitation", invitation.id)),
                button=await _roster_button(ctx, tx, invitation.created_by, grant),
                name=ctx.actor.person.display_name,
                grant=grant,
            )
    if result not in (invites.Redeem.OK, invites.Redeem.ALREADY_YOURS):
        full = result is invites.Redeem.USED and invitation.max_uses > 1
        key = "invite/full" if full else f"invite/{result.value}"
        await ui.reply(update, ctx, key, grant=grant, expires_at=invitation.expires_at)
        return
    # Opening your own link again shows the same welcome.
    await ui.reply(update, ctx, "invite/redeemed", name=ctx.actor.person.first_name, grant=grant)
    redelivered = invitation.used_in_update == update.update_id
    if result is invites.Redeem.OK or redelivered:
        # Also when this very update redeemed it before a crash: finish what it started.
        grants = tuple(await roles.of_user(ctx.db, user_id))
        await ui.refresh_menu(ctx, replace(ctx.actor, grants=grants))


async def _still_allowed(
    ctx: Ctx, tx: Transaction, invitation: Invitation, grant: RoleGrant
) -> bool:
    """The issuer still holds the role that let them invite (an admin, the unit's secretary,
    the project's lead); the first-admin link still has no admin to wait for."""
    admins = ctx.core.settings.admins
    issuer = await load_actor(
        tx, invitation.created_by, admins=admins, default_locale=ctx.campaign.default_locale
    )
    admins_exist = bool(await admin_ids(tx, admins))
    return invites.still_allowed(invitation, issuer, grant.unit_id, admins_exist=admins_exist)


async def _withdraw(tx: Transaction, invitation: Invitation) -> None:
    if invitation.origin == invites.SETUP_ORIGIN:
        await invitations.revoke_setup_links(tx)
    else:
        await invitations.revoke(tx, invitation, by=0)


@guards.person()
async def help_command(update: Update, ctx: Ctx) -> None:
    template = form_template.keyboard(update, ctx)  # 📄 the form, to send out
    await ui.reply(
        update,
        ctx,
        "help/help",
        template,
        roles=ctx.actor.role_names,
        template=template is not None,
        **stage_context(ctx),
    )


@guards.person()
async def whoami(update: Update, ctx: Ctx) -> None:
    await ui.reply(
        update,
        ctx,
        "whoami/whoami",
        name=ctx.actor.person.display_name,
        user_id=ctx.actor.user_id,
        roles=role_lines(ctx),
    )


@guards.person()
async def cancel(update: Update, ctx: Ctx) -> None:
    async with ctx.write() as tx:
        ended = await flows.end(tx, ctx.actor.user_id)
    await ui.reply(update, ctx, "cancel/cancelled" if ended else "cancel/nothing")


_OPENED_BY_LINK = {
    "apply": apply.apply_command,
    "nominations": nominations.nominations,
    "report": report.report_command,  # the cultivation opening's button
    "final": final.final_command,  # the assessment reminders' group button
    "review": review.review_command,  # the reviewers' reminders
    "ranking": ranking.ranking_command,  # the assessment's closing summary
    "deliverables": deliverables.deliverables_command,  # the consolidation reminders
}
