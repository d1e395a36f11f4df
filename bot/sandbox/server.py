"""The HTTP side: aiohttp routes speaking the Bot API's envelope, like api.telegram.org."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn

from aiohttp import web

from .errors import ApiError, bad_request
from .faults import DropConnection, Refusal, SlowReply
from .methods import METHODS, Upload

if TYPE_CHECKING:
    from .sandbox import Sandbox

log = logging.getLogger("bot.sandbox")

# Form-encoded requests (PTB's way) carry these as JSON strings, numbers and booleans as text.
_JSON_FIELDS = {
    "reply_markup",
    "reply_parameters",
    "link_preview_options",
    "entities",
    "caption_entities",
    "scope",
    "commands",
    "media",
    "menu_button",
    "allowed_updates",
    "message_ids",
}
_INT_FIELDS = {
    "chat_id",
    "from_chat_id",
    "message_id",
    "message_thread_id",
    "reply_to_message_id",
    "user_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "duration",
    "width",
    "height",
}
_BOOL_FIELDS = {
    "disable_notification",
    "protect_content",
    "show_alert",
    "drop_pending_updates",
    "allow_sending_without_reply",
    "disable_web_page_preview",
    "has_spoiler",
    "disable_content_type_detection",
}
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


def envelope_error(status: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _normalise(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


async def read_params(request: web.Request) -> dict:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        kind = request.content_type
        if kind == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request parameters") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request parameters")
            params.update(body)
        elif kind == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:
                    data = await part.read()
                    params[part.name] = Upload(
                        part.filename, bytes(data), part.headers.get("Content-Type")
                    )
                else:
                    params[part.name] = await part.text()
        else:
            params.update(await request.post())
    return {name: _normalise(name, value) for name, value in params.items()}


class SandboxServer:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        limit = max(self.sb.max_upload, self.sb.max_photo_upload) + 2 * 1024 * 1024
        app = web.Application(client_max_size=limit)
        app.router.add_route("*", "/bot{token}/{method}", self.api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self.download)
        # access_log=None: the access log would write the token (it is in every path).
        # handler_cancellation: a killed bot's abandoned requests stop instead of lingering.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.url = f"http://{host}:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _auth(self, token: str) -> web.Response | None:
        if self.sb.token_matches(token):
            return None
        if ":" not in token:
            return envelope_error(404, "Not Found")
        return envelope_error(401, "Unauthorized")

    async def api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        refused = self._auth(request.match_info["token"])
        if refused is not None:
            self.sb.rejections.append((name, refused.status, "Unauthorized"))
            return refused
        entry = METHODS.get(name.lower())
        if entry is None and name.lower() != "getupdates":
            self.sb.rejections.append((name, 404, "Not Found"))
            return envelope_error(404, "Not Found")
        canonical = entry[0] if entry else "getUpdates"
        try:
            params = await read_params(request)
            if entry is None:
                if self.sb.is_held("getUpdates"):
                    # Held before the offset is read: a poll that dies here confirms nothing.
                    await self._hold("getUpdates")
                return await self._serve(request, canonical, params, lambda: self._poll(params))
            return await self.call(request, canonical, entry[1], params)
        except web.HTTPRequestEntityTooLarge:
            self.sb.rejections.append((canonical, 413, "Request Entity Too Large"))
            return envelope_error(413, "Request Entity Too Large")
        except ApiError as error:
            return self._refuse(canonical, error)

    def _refuse(self, name: str, error: ApiError) -> web.Response:
        log.debug("%s refused: %s", name, error.description)
        self.sb.rejections.append((name, error.status, error.description))
        return envelope_error(error.status, error.description, error.parameters)

    async def call(
        self, request: web.Request, name: str, function: Any, params: dict
    ) -> web.StreamResponse:
        sb = self.sb
        sb._inflight += 1
        try:
            log.debug("bot calls %s %s", name, _summary(params))
            sb.note_request(name, params)
            if sb.is_held(name):
                await self._hold(name)
            return await self._serve(
                request, name, params, lambda: self._apply(name, function, params)
            )
        finally:
            sb._inflight -= 1
            sb._notify()

    async def _apply(self, name: str, function: Any, params: dict) -> web.Response:
        try:
            result = function(self.sb, params)
        except ApiError as error:
            return self._refuse(name, error)
        except Exception as error:  # a sandbox bug must not look like a Telegram answer
            log.exception("sandbox failed on %s", name)
            self.sb.problem(f"sandbox error in {name}: {error!r}")
            return envelope_error(500, "Internal Server Error")
        return web.json_response({"ok": True, "result": result})

    async def _poll(self, params: dict) -> web.Response:
        try:
            return web.json_response({"ok": True, "result": await self.get_updates(params)})
        except ApiError as error:
            return self._refuse("getUpdates", error)

    async def _serve(
        self,
        request: web.Request,
        name: str,
        params: dict,
        answer: Callable[[], Awaitable[web.Response]],
    ) -> web.StreamResponse:
        """The answer, unless a fault rule (see faults.py) makes this request fail."""
        rule = self.sb.faults.take(name, params)
        if rule is None:
            return await answer()
        log.debug("%s fails by %r", name, rule)
        if isinstance(rule, Refusal):
            error = rule.error(self.sb.faults.clock())
            return envelope_error(error.status, error.description, error.parameters)
        assert isinstance(rule, SlowReply | DropConnection)
        if not rule.applied:
            await self._stall_or_drop(request, name, rule)
            return await answer()  # a client still waiting gets the answer after all
        response = await answer()
        await self._stall_or_drop(request, name, rule)
        return response

    async def _stall_or_drop(
        self, request: web.Request, name: str, rule: SlowReply | DropConnection
    ) -> None:
        if isinstance(rule, DropConnection):
            await _drop(request)
        else:
            await self._delay(name, rule.delay)

    async def _hold(self, name: str) -> None:
        sb = self.sb
        sb._held_waiting += 1
        sb._notify()  # wake anyone in wait_held()
        try:
            while sb.is_held(name) and not sb.closing:
                await sb._wait_change(1.0)
        finally:
            sb._held_waiting -= 1
        if sb.closing:
            raise ApiError(502, "Bad Gateway")

    async def _delay(self, name: str, seconds: float) -> None:
        """Wait like a held request: settle() does not wait for it, and stop() ends it."""
        sb = self.sb
        # settle() looks at in flight minus held. call() has counted a method in flight already;
        # getUpdates, never counted (a long poll is idle), is counted in both while it stalls.
        extra = 1 if name == "getUpdates" else 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        sb._inflight += extra
        sb._held_waiting += 1
        sb._notify()  # wake anyone in wait_held()
        try:
            while not sb.closing and loop.time() < deadline:
                await sb._wait_change(deadline - loop.time())
        finally:
            sb._inflight -= extra
            sb._held_waiting -= 1
        if sb.closing:
            raise ApiError(502, "Bad Gateway")

    async def get_updates(self, params: dict) -> list[dict]:
        sb = self.sb
        offset = params.get("offset") or 0
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(params.get("allowed_updates"), list):
            sb.allowed_updates = list(params["allowed_updates"])
        if offset:
            sb.confirm(offset)
        sb._poll_serial += 1
        serial = sb._poll_serial
        sb._notify()  # an older long poll still waiting gets its 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            updates = sb.deliverable(offset, limit)
            if updates or sb.closing or loop.time() >= deadline:
                return updates
            if serial != sb._poll_serial:
                raise ApiError(409, _CONFLICT)
            await sb._wait_change(deadline - loop.time())

    async def download(self, request: web.Request) -> web.Response:
        refused = self._auth(request.match_info["token"])
        if refused is not None:
            return refused
        stored = self.sb.files.by_path(request.match_info["path"])
        if stored is None:
            return envelope_error(404, "Not Found")
        content_type = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type)


async def _drop(request: web.Request) -> NoReturn:
    transport = request.transport
    if transport is not None:
        transport.close()
    # aiohttp cancels this handler as soon as it sees the connection gone (handler_cancellation).
    await asyncio.sleep(5)
    raise ConnectionResetError("connection dropped by a fault rule")


def _summary(params: dict) -> str:
    shown = {k: (v if len(repr(v)) < 80 else repr(v)[:77] + "...") for k, v in params.items()}
    return repr(shown)
