"""An update that takes the process down on every start is set aside after three, not replayed
for ever (with `Restart=on-failure` the bot would never come back)."""

from __future__ import annotations

import asyncio
import sys

from tests.test_restart import replied, running, until  # noqa: F401 (the fixture)

ASIDE = "SELECT update_id, attempts, set_aside_at IS NOT NULL, handled_at FROM inbox"
UNHANDLED = "SELECT update_id FROM inbox WHERE handled_at IS NULL ORDER BY update_id"


async def test_an_update_that_kills_every_start_is_set_aside_on_the_fourth_and_all_else_goes_on(
    running,  # noqa: F811
):
    sb, bot, admin = running
    lena = sb.user("Lena")
    await lena.send("/start")
    await until(replied(lena, "Hello, Lena"))
    for start in range(3):
        # Whatever the handler does for her message, the process dies in the middle of it.
        sb.hold("sendMessage")
        if start == 0:
            await lena.send("/help", wait=False)
            # Her next message waits in her lane behind it: it never begins, so never counts.
            await lena.send("/whoami", wait=False)
            await until(lambda: len(bot.query(UNHANDLED)) == 2)
        else:
            await bot.start()
        while (await sb.wait_request("sendMessage", timeout=20))["chat_id"] != lena.id:
            pass
        await bot.kill()
        sb.release("sendMessage")
    update_id, waiting = [row[0] for row in bot.query(UNHANDLED)]
    assert bot.query(ASIDE + " WHERE update_id = ?", update_id) == [(update_id, 3, 0, None)]
    assert bot.query(ASIDE + " WHERE update_id = ?", waiting) == [(waiting, 0, 0, None)]

    await bot.start()  # the fourth start sets it aside instead of dying on it again
    await until(replied(lena, "could not handle the message you sent me"))
    await until(replied(admin, "1 message was set aside"))
    await admin.send("/whoami")  # everyone else is served
    await until(replied(admin, f"(id {admin.id})"))
    mo = sb.user("Mo")
    await mo.send("/start")
    await until(replied(mo, "Hello, Mo"))
    await until(replied(lena, f"(id {lena.id})"))  # what waited behind it is answered
    await sb.settle(timeout=30)
    assert bot.query(ASIDE + " WHERE update_id = ?", update_id) == [(update_id, 3, 1, None)]
    assert bot.query(ASIDE + " WHERE update_id = ?", waiting)[0][1:3] == (1, 0)
    notice = next(r.text for r in admin.replies() if "set aside" in r.text)
    assert "From: Lena" in notice and f"pacesetter updates retry {update_id}" in notice
    assert not any("/help" in r.text and "Commands" in r.text for r in lena.replies())
    assert await bot.terminate() == 0

    # Told once: a later start says nothing more, and does not try it again.
    await bot.start()
    await admin.send("/whoami")
    await until(replied(admin, f"(id {admin.id})", count=2))
    await sb.settle(timeout=30)
    assert sum("set aside" in r.text for r in admin.replies()) == 1
    assert sum("could not handle" in r.text for r in lena.replies()) == 1
    assert await bot.terminate() == 0

    # The CLI lists it, and puts it back for the next start, which handles it.
    code, listed, _ = await pacesetter(bot, "updates", "list")
    assert code == 0
    assert f"{update_id}\t" in listed and f"from {lena.id}" in listed and "3 starts" in listed
    code, out, err = await pacesetter(bot, "updates", "retry", str(update_id), "999")
    assert code == 1
    assert f"{update_id} will be tried again" in out and "update 999 is not set aside" in err
    await bot.start()
    await until(lambda: bot.query(ASIDE + " WHERE update_id = ?", update_id)[0][3] is not None)
    await sb.settle(timeout=30)
    assert await bot.terminate() == 0


async def pacesetter(bot, *args: str) -> tuple[int, str, str]:
    """The CLI as an operator runs it on the server, beside the bot or not."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=bot.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode, out.decode(), err.decode()
