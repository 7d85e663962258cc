"""What every page handler needs, in one object: the site, the link to the core, accounts, sessions, hubs, templates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from queue_rules.site import Site
from ui_common.i18n import Translations

from .accounts import AccountStore
from .feed import CoreFeed
from .hubs import BoardHub, DeskHub, PhoneHub
from .security import FailureLimiter, LoginGuard, Sessions
from .texts import translations

HERE = Path(__file__).parent


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"

# unknown tokens one address may try per window before it must wait: tokens have ~96 random bits, so this only
# spares the core; it is high because a whole Wi-Fi may reach the server through one address
TOKEN_GUESSES = 100
TOKEN_GUESS_WINDOW = timedelta(minutes=10)
PASSWORD_CHECKS = 2                  # argon2 checks at once (64 MiB each)


@dataclass
class Web:
    """Everything a request needs: the site, the link to the core, the accounts and sessions, the live hubs."""

    site: Site
    feed: CoreFeed
    accounts: AccountStore
    clock: Callable[[], datetime]
    secure_cookies: bool = True
    sessions: Sessions = field(default_factory=Sessions)
    guard: LoginGuard = field(default_factory=LoginGuard)
    guesses: FailureLimiter = field(default_factory=lambda: FailureLimiter(TOKEN_GUESSES, TOKEN_GUESS_WINDOW))
    desk_tr: Translations = field(default_factory=lambda: translations("desk"))
    phone_tr: Translations = field(default_factory=lambda: translations("phone"))
    env: Environment = field(default_factory=lambda: Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
        trim_blocks=True, lstrip_blocks=True, auto_reload=False))  # templates do not change while running
    # a session's password hash at login: a reset changes it (a new salt), and the session ends
    logged_in_as: dict[str, str] = field(default_factory=dict)
    flash: dict[str, str] = field(default_factory=dict)  # a page without script: the last action's result
    password_checks: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PASSWORD_CHECKS))
    phones: PhoneHub = field(init=False)
    desks: DeskHub = field(init=False)
    board: BoardHub = field(init=False)

    def __post_init__(self) -> None:
        self.phones = PhoneHub(self.site, self.feed, self.clock)
        self.desks = DeskHub(self.site, self.feed)
        self.board = BoardHub(self.feed)

    def forget_ended_sessions(self) -> None:
        """What the pages keep per session, for sessions that have ended (called at each login)."""
        for kept in (self.logged_in_as, self.flash):
            for sid in [sid for sid in kept if sid not in self.sessions]:
                del kept[sid]

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.render(template, **context), status_code=status)
