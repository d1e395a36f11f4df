"""Loading a campaign file: TOML (see ``bot/campaigns/default.toml``), checked whole.

Loading reports every problem at once, each with the key path at fault, e.g.
``stage[2].deadline`` (list indexes count from 0, in file order).
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

from bot.campaign import BUILT_IN, Campaign, CampaignError
from bot.campaign_validate import parse

DEFAULT_CAMPAIGN_PATH: Path = Path(str(files("bot").joinpath("campaigns", "default.toml")))


def load_campaign(path: str | Path | None = None) -> Campaign:
    if path is None:
        text = files("bot").joinpath("campaigns", "default.toml").read_text(encoding="utf-8")
        return _build(text, BUILT_IN)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CampaignError([("file", f"cannot read it: {reason}")], str(path)) from None
    try:
        return _build(text, str(path))
    except CampaignError as exc:
        exc.source = str(path)
        raise


def check_campaign(path: str | Path) -> list[tuple[str, str]]:
    try:
        load_campaign(path)
    except CampaignError as exc:
        return exc.problems
    return []


def _build(text: str, source: str) -> Campaign:
    try:
        # Decimal keeps 0.10 exact for the quota.
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError([("file", f"not valid TOML: {exc}")]) from exc
    problems: list[tuple[str, str]] = []
    campaign = parse(data, source, problems)
    if problems or campaign is None:
        raise CampaignError(problems)
    return campaign
