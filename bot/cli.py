"""`pacesetter run | demo | orgs import FILE | campaign check FILE`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from telegram.error import Conflict, InvalidToken, NetworkError

from bot.campaign import CampaignError, check_campaign, load_campaign
from bot.settings import Settings, SettingsError, load_settings, log_level_number

log = logging.getLogger("pacesetter")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pacesetter", description=__doc__)
    parser.add_argument(
        "--config",
        type=Path,
        help="a TOML file with the same settings as the "
        "PACESETTER_* variables (the environment wins)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling) until SIGINT/SIGTERM")
    demo = commands.add_parser("demo", help="play a scripted campaign against the sandbox")
    demo.add_argument("--db", type=Path, help="keep the demo's SQLite file here")
    orgs = commands.add_parser("orgs", help="units and projects").add_subparsers(
        dest="action", required=True
    )
    orgs_import = orgs.add_parser("import", help="import units and projects from a CSV file")
    orgs_import.add_argument("file", type=Path)
    campaign = commands.add_parser("campaign", help="campaign files").add_subparsers(
        dest="action", required=True
    )
    check = campaign.add_parser("check", help="validate a campaign file")
    check.add_argument("file", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "campaign":
            return _campaign_check(args.file)
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(db_path=args.db))
        settings = load_settings(config=args.config)
        if args.command == "orgs":
            return asyncio.run(_orgs_import(settings, args.file))
        return _run(settings)
    except (SettingsError, CampaignError) as error:
        print(f"pacesetter: {error}", file=sys.stderr)
        return 2
    except sqlite3.Error as error:
        print(f"pacesetter: cannot use the database: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _campaign_check(path: Path) -> int:
    problems = check_campaign(path)
    for key, message in problems:
        print(f"{path}: {key}: {message}" if key else f"{path}: {message}", file=sys.stderr)
    if not problems:
        print(f"{path}: OK")
    return 1 if problems else 0


async def _orgs_import(settings: Settings, path: Path) -> int:
    from bot.orgs import ImportRefused, import_csv
    from messages.render import Messages
    from storage.db import Database

    try:
        data = path.read_bytes()
    except OSError as error:
        raise SettingsError(f"cannot read {path}: {error.strerror}") from None
    msgs = Messages(load_campaign(settings.campaign_path).timezone)
    db = await Database.open(settings.db_path)
    try:
        rows, counts = await import_csv(db, data, None, datetime.now(UTC))
    except ImportRefused as refused:
        print(f"{path}: refused, nothing was written:", file=sys.stderr)
        for problem in refused.problems:
            where = f"line {problem.line}: " if problem.line else ""
            text = msgs.label("en", f"csv_{problem.code}", **problem.args)
            print(f"  {where}{text}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(
        f"{path}: {rows} rows; units {counts.units_added} new, {counts.units_renamed} renamed;"
        f" projects {counts.projects_added} new, {counts.projects_renamed} renamed;"
        f" group chats linked {counts.chats_bound}"
    )
    return 0


def _run(settings: Settings) -> int:
    from bot.logs import setup_logging
    from bot.polling import PollingRefused

    token = settings.require_token()
    setup_logging(log_level_number(settings), token.reveal())
    try:
        asyncio.run(_serve(settings))
    except InvalidToken:
        print("pacesetter: Telegram refused the token (PACESETTER_TOKEN)", file=sys.stderr)
        return 2
    except PollingRefused as error:
        print(f"pacesetter: {error} (check PACESETTER_API_URL and the token)", file=sys.stderr)
        return 2
    except Conflict:
        print(
            "pacesetter: another copy of the bot is already polling with this token",
            file=sys.stderr,
        )
        return 2
    except NetworkError as error:
        print(
            f"pacesetter: cannot reach the Bot API at {settings.api_url}: {error}", file=sys.stderr
        )
        return 1
    return 0


async def _serve(settings: Settings) -> None:
    from bot.app import BotRunner

    runner = BotRunner(settings)
    await runner.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("running as @%s", runner.core.bot_username)
    polling = asyncio.ensure_future(runner.wait())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    log.info("stopping: finishing the updates in hand")
    try:
        await runner.stop()  # re-raises what ended polling, if it failed
    finally:
        if polling.done() and not polling.cancelled():
            polling.exception()  # raised by stop() already: not "never retrieved"
        else:
            polling.cancel()
