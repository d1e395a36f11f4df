"""PACESETTER_PROXY: every request the bot makes goes through the proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from bot.app import BotRunner
from bot.sandbox import Sandbox
from bot.settings import Secret, Settings, SettingsError, load_settings
from tests.conftest import TOKEN, until


@asynccontextmanager
async def forward_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A plain HTTP forward proxy on loopback: it passes each request on and notes its path."""
    seen: list[str] = []
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def forward(request: web.Request) -> web.Response:
        seen.append(request.url.path.rsplit("/", 1)[-1])  # the Bot API method
        async with session.request(
            request.method,
            request.url,  # absolute-form: the proxy is told the whole address
            data=await request.read(),
            headers={"Content-Type": request.headers.get("Content-Type", "")},
        ) as answer:
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                content_type=answer.content_type,
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()
        await session.close()


async def test_the_bot_talks_to_telegram_through_the_proxy(tmp_path):
    async with Sandbox(token=TOKEN) as sb, forward_proxy() as (proxy, seen):
        settings = Settings(
            token=Secret(TOKEN),
            api_url=sb.api_url,
            db_path=tmp_path / "bot.db",
            proxy=Secret(proxy),
        )
        runner = BotRunner(settings, poll_timeout=1)
        await runner.start()
        try:
            user = sb.user("Pat", language_code="en")
            await user.send("/help", wait=False)
            await until(lambda: sb.messages(user.id), what="the answer, through the proxy")
        finally:
            await runner.stop()
    assert {"getMe", "getUpdates", "sendMessage"} <= set(seen)


@pytest.mark.parametrize(
    "value", ["socks5://127.0.0.1:1080", "http://user:pw@proxy.example:3128", "socks5h://h:1"]
)
def test_proxy_urls_are_read_and_kept_secret(value):
    settings = load_settings({"PACESETTER_PROXY": value})
    assert settings.proxy_url == value
    assert value not in repr(settings)


@pytest.mark.parametrize("value", ["secret.example:3128", "ftp://secret.example:1", "http://"])
def test_a_bad_proxy_url_is_refused_without_echoing_it(value):
    with pytest.raises(SettingsError, match="PACESETTER_PROXY must be a proxy URL") as refused:
        load_settings({"PACESETTER_PROXY": value})
    assert "secret" not in str(refused.value)
