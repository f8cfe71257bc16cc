"""ASGI middleware: every request an administrator makes on an admin route goes into the audit log.

Domain services record what they changed in detail (the catalog's wine edits, for instance); this records
that an admin route was used at all, by whom, on what and with which outcome — including reads of customer
data and refused attempts by signed-in non-admins.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.audit import AuditLog
from app.client_address import client_address
from app.security import Principal

log = logging.getLogger("cuvee.audit")


def admin_audit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if scope["type"] != ScopeType.HTTP or handler is None or handler.opt.get("access") != "admin":
            await app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises past every handler

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_note)
        finally:
            await _record(scope, status)

    return middleware


async def _record(scope: Scope, status: int) -> None:
    principal: Principal | None = scope.get("user")
    if principal is None:  # anonymous calls never reach the route: nothing was done by anyone
        return
    params: dict[str, Any] = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
    method = str(scope.get("method", "?"))
    action = "admin.request" if principal.is_admin else "admin.denied"
    try:
        audit: AuditLog = scope["app"].state.services.privacy.audit
        await audit.record(
            principal.user_id,
            action,
            "route",
            next(iter(params.values()), None),
            method=method,
            path=scope.get("path_template", scope["path"]),
            params=params,
            status=status,
            client=client_address(scope),
        )
    except Exception:  # the request is done either way; a failed audit write is an operator's alarm
        log.exception("could not write the audit entry for %s %s", method, scope["path"])
