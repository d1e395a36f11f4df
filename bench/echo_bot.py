"""A bare python-telegram-bot echo bot: the baseline bench/scale.py compares CPU against.

Reads PACESETTER_TOKEN and PACESETTER_API_URL like the real bot; answers every text message
with its text. PTB's own polling, no database, no templates.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    root = os.environ["PACESETTER_API_URL"]
    app = (
        ApplicationBuilder()
        .token(os.environ["PACESETTER_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=5)


if __name__ == "__main__":
    main()
