"""Run the web server: the MQTT feed, the ASGI app under uvicorn (HTTPS), systemd readiness, a clean stop."""

from __future__ import annotations

import asyncio
import logging
import resource
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from host_support import sd_notify
from queue_rules.site import Site

from .accounts import AccountStore
from .app import make_app
from .context import Web
from .feed import CoreFeed

if TYPE_CHECKING:
    from device_link.broker_auth import BrokerAuth

log = logging.getLogger("arkaden.web")
WANTED_FILES = 16_384  # every phone page holds one connection open: 2 000 phones need more than the usual 1 024
MAX_CONNECTIONS = 8_000  # the pages' own caps (6 000 without login) plus the desks, well under WANTED_FILES


@dataclass(frozen=True)
class ServerOptions:
    host: str
    port: int
    https_cert: Path | None = None
    https_key: Path | None = None

    @property
    def tls(self) -> bool:
        return self.https_cert is not None


def raise_file_limit(wanted: int = WANTED_FILES) -> int:
    """As many open files as the hard limit allows, up to ``wanted``; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def build(site: Site, *, broker_host: str, broker_port: int, device_id: str, users: Path,
          auth: BrokerAuth | None, clock: Callable[[], datetime], secure_cookies: bool,
          version: str | None = None) -> tuple[Web, CoreFeed]:
    feed = CoreFeed(site, broker_host, broker_port, device_id=device_id, auth=auth, clock=clock, version=version)
    web = Web(site=site, feed=feed, accounts=AccountStore(users), clock=clock, secure_cookies=secure_cookies)
    web.accounts.accounts()  # a broken accounts file stops the start with its reason, not the first login
    return web, feed


def serve(web: Web, feed: CoreFeed, options: ServerOptions, *, stop: threading.Event | None = None) -> None:
    """Until SIGINT/SIGTERM (or ``stop``): serve HTTP(S), follow the core, tell systemd when ready."""
    raise_file_limit()
    app = make_app(web, on_startup=lambda: feed.start(asyncio.get_running_loop()), on_shutdown=feed.stop)
    config = uvicorn.Config(
        app, host=options.host, port=options.port, log_config=None, access_log=False,  # our own log, no tokens
        ssl_certfile=str(options.https_cert) if options.https_cert else None,
        ssl_keyfile=str(options.https_key) if options.https_key else None,
        proxy_headers=False, server_header=False, date_header=True, timeout_graceful_shutdown=2,
        # beyond this many connections uvicorn answers 503 at once: file descriptors stay below the limit
        backlog=4096, limit_concurrency=MAX_CONNECTIONS)
    server = uvicorn.Server(config)
    done = threading.Event()
    threading.Thread(target=sd_notify.serve, args=(done,), daemon=True, name="sd-notify", kwargs={
        "ready": lambda: server.started and feed.connected,
        "status": lambda: "serving; core link " + ("up" if feed.connected else "down")}).start()
    if stop is not None:
        def stop_when_asked() -> None:
            stop.wait()
            server.should_exit = True

        threading.Thread(target=stop_when_asked, daemon=True).start()
    scheme = "https" if options.tls else "http"
    log.info("web server on %s://%s:%d for site %s", scheme, options.host, options.port, web.site.site.id)
    try:
        server.run()
    finally:
        done.set()
