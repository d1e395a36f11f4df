"""Pacesetter: the core (settings, campaign, rules, app assembly, CLI, sandbox)."""

import os

# python-telegram-bot 22 warns on every time period read as an int (retry_after, …) unless
# this documented opt-in makes them timedelta; we use timedelta throughout.
os.environ.setdefault("PTB_TIMEDELTA", "true")
