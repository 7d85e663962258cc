"""Server-sent events: one long response per open page, pushed to by the hubs, never polled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.responses import StreamingResponse

HEARTBEAT_S = 15.0  # a comment line now and then keeps proxies and phones from closing a quiet stream
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def message(event: str, data: dict[str, Any]) -> str:
    """One event; the data is one JSON line (fragments of HTML already escaped by the templates)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def stream(queue: asyncio.Queue[str], first: str | None, on_close: Callable[[], None]) -> StreamingResponse:
    """A text/event-stream response that sends ``first``, then whatever arrives on ``queue``, until the browser goes."""

    async def events() -> AsyncIterator[str]:
        try:
            yield "retry: 2000\n\n"  # the browser reconnects after 2 s when the stream breaks
            if first is not None:
                yield first
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    yield ": still here\n\n"
        finally:
            on_close()

    return StreamingResponse(events(), media_type="text/event-stream", headers=HEADERS)


def once(first: str) -> StreamingResponse:
    """A stream that says one thing and ends (the page then knows what to do: log in again, stop)."""

    async def events() -> AsyncIterator[str]:
        yield first

    return StreamingResponse(events(), media_type="text/event-stream", headers=HEADERS)
