from __future__ import annotations


class SandboxError(Exception):
    """A test drove the sandbox wrongly, or the bot did not do what was waited for."""


class ApiError(Exception):
    """A Bot API request refused: becomes {"ok": false, "error_code": status, ...}."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(detail: str, parameters: dict | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}", parameters)


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")
