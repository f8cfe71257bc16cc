"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec

from app.security import PUBLIC


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    opt = PUBLIC
    include_in_schema = True

    @get("/live", operation_id="checkLiveness")
    async def live(self) -> dict[str, str]:
        """The process is up (no backend is checked)."""
        return {"status": "ok"}

    @get(
        "/ready",
        operation_id="checkReadiness",
        responses={
            503: ResponseSpec(
                dict[str, Any], description="A backend is down: `checks` says which", media_type=MediaType.JSON
            )
        },
    )
    async def ready(self, state: State) -> Response[dict[str, Any]]:
        """Every backend answers; 503 names the ones that do not (or that did not answer within about 1 s)."""
        services = state.services
        # Probed at once, each bounded (about 1 s): a hung backend makes the answer late by one timeout.
        backends, extras = await asyncio.gather(services.backends.readiness(), services.readiness_extras())
        checks: dict[str, Any] = {**backends, **extras}
        down = sorted(k for k, v in checks.items() if isinstance(v, str) and v.startswith("down"))
        body: dict[str, Any] = {"status": "ok" if not down else "unavailable", "checks": checks}
        if down:
            body["detail"] = f"backend down: {', '.join(down)}"
            return Response(body, status_code=503, media_type=MediaType.JSON)
        return Response(body, status_code=200, media_type=MediaType.JSON)
