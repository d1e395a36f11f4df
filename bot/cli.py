"""`pacesetter run | demo | orgs import FILE | admins add|remove|list | campaign check |
updates list | updates retry ID… | media [--retry] | template FILE.docx | assignments [--csv] |
ranking [--csv] | charts OUT_DIR | export FILE.xlsx | backup FILE | booklet OUT_DIR`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from telegram.error import Conflict, InvalidToken, NetworkError

from bot.campaign import CampaignError
from bot.campaign_load import check_campaign, load_campaign
from bot.settings import Settings, SettingsError, load_settings, log_level_number

log = logging.getLogger("pacesetter")
LANGUAGES = ("zh-Hans", "zh-Hant", "en")  # what --lang takes: the default first


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
    demo.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="zh-Hans",
        help="the language everyone in the demo reads, and its organisation's names",
    )
    demo.add_argument(
        "--out",
        type=Path,
        help="the folder for the booklet, the export and the charts "
        "(default: ./pacesetter-demo-LANG-DATE, a new one)",
    )
    orgs = commands.add_parser("orgs", help="units and projects").add_subparsers(
        dest="action", required=True
    )
    orgs_import = orgs.add_parser(
        "import", help="import units and projects from an Excel (.xlsx) or CSV file"
    )
    orgs_import.add_argument("file", type=Path)
    admins = commands.add_parser("admins", help="campaign admins").add_subparsers(
        dest="action", required=True
    )
    admins_add = admins.add_parser("add", help="make Telegram users campaign admins")
    admins_add.add_argument("user_ids", nargs="+", type=_user_id, metavar="USER_ID")
    admins_remove = admins.add_parser("remove", help="take the admin role back")
    admins_remove.add_argument("user_ids", nargs="+", type=_user_id, metavar="USER_ID")
    admins.add_parser("list", help="who the campaign admins are")
    updates = commands.add_parser(
        "updates", help="messages set aside because the bot kept stopping on them"
    ).add_subparsers(dest="action", required=True)
    updates.add_parser("list", help="the set-aside updates, oldest first")
    updates_retry = updates.add_parser(
        "retry", help="try set-aside updates again (at the bot's next start)"
    )
    updates_retry.add_argument("update_ids", nargs="+", type=int, metavar="UPDATE_ID")
    campaign = commands.add_parser("campaign", help="campaign files").add_subparsers(
        dest="action", required=True
    )
    check = campaign.add_parser("check", help="validate a campaign file")
    check.add_argument("file", type=Path)
    template = commands.add_parser(
        "template", help="write the application form as a Word template to FILE"
    )
    template.add_argument("file", type=Path, metavar="FILE.docx")
    template.add_argument("--lang", choices=LANGUAGES, default="zh-Hans")
    template.add_argument(
        "--campaign", type=Path, help="a campaign file (default: the built-in campaign)"
    )
    media = commands.add_parser(
        "media", help="local copies of reported files: counts, bytes, disk used and free"
    )
    media.add_argument(
        "--retry",
        action="store_true",
        help="try the failed downloads again (the running bot picks them up within 30 s)",
    )
    assignments = commands.add_parser(
        "assignments",
        help="who reviews which candidate in stage 3 (assessment), and how far they got",
    )
    assignments.add_argument(
        "--csv", action="store_true", help="comma-separated, with a header row"
    )
    ranking = commands.add_parser(
        "ranking", help="stage 3's ranking: calibrated and raw scores, ranks and flags"
    )
    ranking.add_argument("--csv", action="store_true", help="comma-separated, with a header row")
    charts = commands.add_parser(
        "charts",
        help="draw stage 3's charts into OUT_DIR: ranking.png, and radar-CODE.png for each"
        " candidate with counted reviews",
    )
    charts.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    charts.add_argument("--lang", choices=LANGUAGES, default="zh-Hans")
    export = commands.add_parser(
        "export", help="the campaign's record as one Excel workbook (.xlsx), a sheet per table"
    )
    export.add_argument("file", type=Path, metavar="FILE.xlsx")
    export.add_argument(
        "--names", action="store_true", help="name the reviewers (else Reviewer 1…n)"
    )
    export.add_argument(
        "--unit", action="append", default=[], metavar="CODE", help="only this unit (repeatable)"
    )
    export.add_argument(
        "--from", dest="first", type=_day, metavar="DATE", help="reports from this day"
    )
    export.add_argument("--to", dest="last", type=_day, metavar="DATE", help="to this day")
    export.add_argument("--lang", choices=LANGUAGES, default="zh-Hans")
    backup = commands.add_parser(
        "backup",
        help="copy the live database to FILE (mode 0600) while the bot runs; it holds live"
        " invitation codes",
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    booklet = commands.add_parser(
        "booklet",
        help="write stage 4's results booklet into OUT_DIR: a Word file and an HTML page (with"
        " its images folder), a chapter per pacesetter",
    )
    booklet.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    booklet.add_argument(
        "--project", metavar="CODE", help="only this pacesetter's chapter (a lead's own)"
    )
    booklet.add_argument("--lang", choices=LANGUAGES, default="zh-Hans")
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _user_id(text: str) -> int:
    """A person's Telegram id: a group's or a channel's is negative, and can't be an admin."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"{value} is not a Telegram user id (a group's or a channel's id is negative)"
        )
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings: Settings | None = None
    try:
        if args.command == "campaign":
            return _campaign_check(args.file)
        if args.command == "template":
            return _template(args.file, args.lang, args.campaign)
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(db_path=args.db, language=args.lang, folder=args.out))
        settings = load_settings(config=args.config)
        if args.command == "orgs":
            return asyncio.run(_orgs_import(settings, args.file))
        if args.command == "updates":
            return asyncio.run(_updates(settings, args.action, getattr(args, "update_ids", [])))
        if args.command == "media":
            return asyncio.run(_media(settings, retry=args.retry))
        if args.command == "admins":
            return asyncio.run(_admins(settings, args.action, getattr(args, "user_ids", [])))
        if args.command == "assignments":
            return asyncio.run(_assignments(settings, as_csv=args.csv))
        if args.command == "ranking":
            return asyncio.run(_ranking(settings, as_csv=args.csv))
        if args.command == "charts":
            return asyncio.run(_charts(settings, args.out_dir, args.lang))
        if args.command == "export":
            return asyncio.run(_export(settings, args))
        if args.command == "backup":
            return _backup(settings, args.file, force=args.force)
        if args.command == "booklet":
            return asyncio.run(_booklet(settings, args.out_dir, args.project, args.lang))
        return _run(settings)
    except SettingsError as error:
        print(f"pacesetter: {error}", file=sys.stderr)
        return 2
    except CampaignError as error:
        where = f"{error.source} (PACESETTER_CAMPAIGN)" if error.source else "the campaign"
        for line in _problem_lines(error.problems):
            print(f"pacesetter: {where}: {line}", file=sys.stderr)
        return 2
    except sqlite3.Error as error:
        where = f" {settings.db_path} (PACESETTER_DB)" if settings is not None else ""
        print(f"pacesetter: cannot use the database{where}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _problem_lines(problems: list[tuple[str, str]]) -> list[str]:
    # "file" problems are about the file as a whole, which each line names already.
    return [
        f"{key}: {message}" if key not in ("", "file") else message for key, message in problems
    ]


def _campaign_check(path: Path) -> int:
    problems = check_campaign(path)
    for line in _problem_lines(problems):
        print(f"pacesetter: {path}: {line}", file=sys.stderr)
    if not problems:
        print(f"{path}: OK")
    return 1 if problems else 0


def _template(path: Path, locale: str, campaign_path: Path | None) -> int:
    from bot import docx_template
    from messages.render import Messages

    try:
        campaign = load_campaign(campaign_path)
    except CampaignError as error:  # named by --campaign here, not PACESETTER_CAMPAIGN
        for line in _problem_lines(error.problems):
            print(f"pacesetter: {campaign_path}: {line}", file=sys.stderr)
        return 2
    msgs = Messages(campaign.timezone)
    words = docx_template.words(msgs, locale, campaign)
    try:
        path.write_bytes(docx_template.build(campaign.sections, locale, words))
    except OSError as error:
        print(f"pacesetter: cannot write {path}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"{path}: {words.title} ({locale}, {len(campaign.sections)} sections)")
    return 0


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
        sheet, counts = await import_csv(db, data, None, datetime.now(UTC))
    except ImportRefused as refused:
        # One line per problem, each naming the file: nothing was written.
        for problem in refused.problems:
            where = f"line {problem.line}: " if problem.line else ""
            text = msgs.label("en", f"csv_{problem.code}", **problem.args)
            print(f"pacesetter: {path}: {where}{text} (nothing imported)", file=sys.stderr)
        return 1
    finally:
        await db.close()
    rows = len(sheet.rows)
    print(
        f"{path}: {rows} rows; units {counts.units_added} new, {counts.units_renamed} renamed;"
        f" projects {counts.projects_added} new, {counts.projects_renamed} renamed;"
        f" group chats linked {counts.chats_bound}"
    )
    if sheet.ignored:
        print(f"{path}: ignored columns: {', '.join(sheet.ignored)}")
    for problem in sheet.skipped:  # what was left out, as the bot's answer lists it
        text = msgs.label("en", f"csv_{problem.code}", **problem.args)
        print(f"{path}: line {problem.line} left out: {text}")
    return 0


async def _admins(settings: Settings, action: str, user_ids: list[int]) -> int:
    from storage import people, roles
    from storage.db import Database

    db = await Database.open(settings.db_path)
    try:
        if action == "add":
            async with db.transaction(datetime.now(UTC)) as tx:
                for user_id in user_ids:
                    await people.expect(tx, user_id)
                    await roles.grant(tx, user_id, "admin")
            for user_id in user_ids:
                print(f"{user_id} is a campaign admin (their menu follows at their next message)")
            return 0
        if action == "remove":
            return await _remove_admins(db, settings, user_ids)
        invited = {grant.user_id for grant in await roles.holders(db, "admin")}
        everyone = sorted(invited | settings.admins)
        known = await people.get_many(db, everyone)
    finally:
        await db.close()
    for user_id in everyone:
        person = known.get(user_id)
        name = person.display_name if person and person.first_name else "(not seen yet)"
        source = "PACESETTER_ADMINS" if user_id in settings.admins else "role"
        print(f"{user_id}\t{name}\t{source}")
    if not everyone:
        print("no campaign admin yet: pacesetter admins add USER_ID", file=sys.stderr)
    return 0


def _excel_mark() -> None:
    """A CSV going to a file starts with the byte-order mark that Excel and WPS need to read
    it as UTF-8 (without it, Chinese names come out garbled); a terminal gets none."""
    if not sys.stdout.isatty():
        sys.stdout.write("\ufeff")


async def _assignments(settings: Settings, *, as_csv: bool) -> int:
    import csv

    from storage import reviews
    from storage.db import Database

    db = await Database.open(settings.db_path)
    try:
        rows = await reviews.record(db)
    finally:
        await db.close()
    lines = [
        (r.reviewer_id, r.reviewer_name or "(not seen yet)", r.project_code, r.state) for r in rows
    ]
    if as_csv:
        _excel_mark()
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(("reviewer_id", "reviewer", "project", "state"))
        out.writerows(lines)
    else:
        for line in lines:
            print("\t".join(str(v) for v in line))
    if not rows:
        print("no reviewer is assigned a candidate yet", file=sys.stderr)
    return 0


async def _ranking(settings: Settings, *, as_csv: bool) -> int:
    from bot import ranking
    from storage.db import Database

    campaign = load_campaign(settings.campaign_path)
    db = await Database.open(settings.db_path)
    try:
        result = await ranking.load(db, campaign)
    finally:
        await db.close()
    if as_csv:
        _excel_mark()
        print(ranking.csv_text(result), end="")
    else:
        for line in ranking.table_lines(result):
            print("\t".join(line))
    if not result.rows:
        print("no candidate yet", file=sys.stderr)
    return 0


async def _charts(settings: Settings, out_dir: Path, locale: str) -> int:
    from bot import charts
    from messages.render import Messages
    from storage.db import Database

    campaign = load_campaign(settings.campaign_path)
    db = await Database.open(settings.db_path)
    try:
        written = await charts.write_files(
            db, campaign, Messages(campaign.timezone), locale, out_dir
        )
    except OSError as error:
        print(f"pacesetter: cannot write to {out_dir}: {error.strerror}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    for path in written:
        print(path)
    if not written:
        print("no review counts yet: there is nothing to draw", file=sys.stderr)
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot import export, ranking
    from messages.render import Messages
    from storage import orgs, pacesetters
    from storage.db import Database
    from storage.export import Scope

    campaign = load_campaign(settings.campaign_path)
    db = await Database.open(settings.db_path)
    try:
        result = await ranking.load(db, campaign)
        chosen = await pacesetters.current(db)
        known = {u.code for u in await orgs.units(db)}
    finally:
        await db.close()
    unknown = [code for code in args.unit if code not in known]
    if unknown:
        print(f"pacesetter: no unit with the code {', '.join(unknown)}", file=sys.stderr)
        return 2
    options = export.Options(
        locale=args.lang,
        names=args.names,
        scope=Scope(units=tuple(args.unit), first=args.first, last=args.last),
    )
    try:
        written = await asyncio.to_thread(
            export.write,
            args.file,
            settings.db_path,
            campaign,
            Messages(campaign.timezone),
            options,
            result,
            chosen,
        )
    except OSError as error:
        print(f"pacesetter: cannot write {args.file}: {error.strerror}", file=sys.stderr)
        return 1
    for name, count in written:
        print(f"{name}\t{count}")
    return 0


async def _booklet(settings: Settings, out_dir: Path, code: str | None, locale: str) -> int:
    from datetime import UTC, datetime

    from bot import booklet, media
    from bot.booklet_sources import deliverables_loader
    from messages.render import Messages
    from storage import orgs, pacesetters
    from storage.db import Database

    campaign = load_campaign(settings.campaign_path)
    db = await Database.open(settings.db_path)
    try:
        chosen = await pacesetters.current(db)
        project_ids = None
        if code is not None:
            project = await orgs.project_by_code(db, code)
            if project is None or project.id not in chosen:
                print(f"pacesetter: {code} is not a pacesetter", file=sys.stderr)
                return 1
            project_ids = [project.id]
        elif not chosen:
            print("no pacesetter is selected yet: there is no booklet to write", file=sys.stderr)
            return 1
        msgs = Messages(campaign.timezone)
        files = await booklet.build(
            db,
            campaign,
            out_dir,
            msgs=msgs,
            media_root=media.folder_of(settings.db_path),
            today=datetime.now(UTC),
            locale=locale,
            project_ids=project_ids,
            deliverables=deliverables_loader(campaign, msgs, locale),
        )
    except OSError as error:
        print(f"pacesetter: cannot write to {out_dir}: {error.strerror}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(files.docx)
    print(files.html)
    return 0


def _backup(settings: Settings, path: Path, *, force: bool) -> int:
    import time

    from bot.backup import backup

    if not settings.db_path.exists():
        print(f"pacesetter: no database at {settings.db_path} (PACESETTER_DB)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        size = backup(settings.db_path, path, force=force)
    except FileExistsError:
        print(f"pacesetter: {path} exists: pass --force to overwrite it", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"pacesetter: cannot write {path}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"{path}: {_bytes(size)} in {time.perf_counter() - started:.1f} s")
    return 0


async def _updates(settings: Settings, action: str, update_ids: list[int]) -> int:
    import json

    from bot.set_aside import sender_of
    from storage import inbox
    from storage.db import Database

    db = await Database.open(settings.db_path)
    try:
        if action == "retry":
            async with db.transaction(datetime.now(UTC)) as tx:
                found = await inbox.retry(tx, update_ids)
            for update_id in found:
                print(f"{update_id} will be tried again at the bot's next start")
            for update_id in sorted(set(update_ids) - set(found)):
                print(f"pacesetter: update {update_id} is not set aside", file=sys.stderr)
            return 0 if len(found) == len(set(update_ids)) else 1
        aside = await inbox.set_aside(db)
    finally:
        await db.close()
    for update in aside:
        kind = next((k for k in update.payload if k != "update_id"), "?")
        body = json.dumps(update.payload.get(kind), ensure_ascii=False)
        print(
            f"{update.update_id}\t{update.received_at:%Y-%m-%d %H:%M} UTC\tfrom"
            f" {sender_of(update.payload)}\t{kind}\t{update.attempts} starts\t{body[:200]}"
        )
    if not aside:
        print("no update is set aside")
    return 0


async def _remove_admins(db, settings: Settings, user_ids: list[int]) -> int:
    from storage import roles

    async with db.transaction(datetime.now(UTC)) as tx:
        removed = {user_id for user_id in user_ids if await roles.revoke(tx, user_id, "admin")}
    kept = 0
    for user_id in user_ids:
        if user_id in settings.admins:
            kept += 1
            print(f"{user_id} stays a campaign admin: listed in PACESETTER_ADMINS", file=sys.stderr)
        elif user_id in removed:
            print(f"{user_id} is no longer a campaign admin")
        else:
            print(f"{user_id} was not a campaign admin")
    return 1 if kept else 0


def _bytes(n: int) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit} ({n} bytes)"
    return f"{n} bytes"


async def _media(settings: Settings, *, retry: bool) -> int:
    """What the local copies hold and the disk has left; with retry, the failed downloads go
    again. Safe beside the running bot: one short write, which its downloader reads at its
    next look."""
    from bot.media import disk_used, folder_of, free_space
    from storage import media
    from storage.db import Database

    db = await Database.open(settings.db_path)
    try:
        again = 0
        if retry:
            async with db.transaction(datetime.now(UTC)) as tx:
                again = await media.retry_failed(tx)
        found = await media.tallies(db)
    finally:
        await db.close()
    folder = folder_of(settings.db_path)
    used = await asyncio.to_thread(disk_used, folder)
    free = free_space(folder)
    for state, name in (
        ("stored", "stored"),
        ("waiting", "waiting"),
        ("too_big", "too big (kept in Telegram only)"),
        ("failed", "failed"),
        ("dropped", "to remove"),
    ):
        tally = found.get(state, media.Tally(0, 0))
        print(f"{name}: {tally.files} files, {_bytes(tally.bytes)}")
    print(f"{folder}: {_bytes(used)} used, {_bytes(free)} free")
    if retry:
        print(f"{again} failed downloads will be tried again (by the running bot, within 30 s)")
    return 0


def _run(settings: Settings) -> int:
    from bot.instance import AlreadyRunning
    from bot.logs import setup_logging
    from bot.polling import PollingRefused

    token = settings.require_token()
    setup_logging(log_level_number(settings), token.reveal())
    try:
        asyncio.run(_serve(settings))
    except AlreadyRunning as error:
        print(f"pacesetter: {error} (PACESETTER_DB); stop it first", file=sys.stderr)
        return 2
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
        through = f" through PACESETTER_PROXY={settings.proxy_shown}" if settings.proxy else ""
        print(
            f"pacesetter: cannot reach the Bot API at {settings.api_url}{through}: {error}",
            file=sys.stderr,
        )
        return 1
    return 0


async def _serve(settings: Settings) -> None:
    from bot.app import BotRunner

    runner = BotRunner(settings, scheduled_reminders=True)
    await runner.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("running as @%s", runner.core.bot_username)
    if runner.setup_link:
        print(
            "pacesetter: nobody is a campaign admin yet. Open this link in Telegram to become"
            f" the first: {runner.setup_link} (or: pacesetter admins add YOUR_USER_ID)",
            file=sys.stderr,
        )
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
