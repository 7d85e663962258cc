"""What a scanned line means: a ticket slip's QR code or a booking code from an invitation letter.

Slips carry ``ARKADEN-T:<token>`` so a scanner at a desk or at the next kiosk can tell a ticket from a booking
code without asking anyone; where the site runs `arkaden web`, the slip carries the link to the client's phone
page instead, ``https://<host>/t/<token>``, and a scanner reads that as the ticket too. Invitation letters carry
the bare booking code (or ``ARKADEN-B:<code>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TICKET_PREFIX = "ARKADEN-T:"
BOOKING_PREFIX = "ARKADEN-B:"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
BOOKING_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
PHONE_PATH = "/t/"
# a phone link: http(s), a host (name, IPv4, [IPv6], optional port), then /t/<token> and nothing else
LINK_RE = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+/t/([A-Za-z0-9_-]{8,64})$", re.IGNORECASE)


@dataclass(frozen=True)
class Scanned:
    kind: Literal["ticket", "booking"]
    value: str


def ticket_qr(token: str) -> str:
    """The text of a slip's QR code."""
    if not TOKEN_RE.match(token):
        raise ValueError(f"not a ticket token: {token!r}")
    return TICKET_PREFIX + token


def ticket_link(base_url: str, token: str) -> str:
    """The text of a slip's QR code where the site has a phone page: the link to it."""
    link = base_url.rstrip("/") + PHONE_PATH + token
    if not TOKEN_RE.match(token) or not LINK_RE.match(link):
        raise ValueError(f"not a phone link: {link!r}")
    return link


def booking_qr(code: str) -> str:
    """The text of an invitation letter's QR code."""
    if not BOOKING_RE.match(code):
        raise ValueError(f"not a booking code: {code!r}")
    return BOOKING_PREFIX + code


def classify_scan(text: str) -> Scanned | None:
    """A ticket token or a booking code, or None when the line is neither (garbage, another QR code)."""
    line = text.strip()
    link = LINK_RE.match(line)
    if link:
        return Scanned("ticket", link.group(1))
    if line[: len(TICKET_PREFIX)].upper() == TICKET_PREFIX:
        token = line[len(TICKET_PREFIX):]
        return Scanned("ticket", token) if TOKEN_RE.match(token) else None
    if line[: len(BOOKING_PREFIX)].upper() == BOOKING_PREFIX:
        line = line[len(BOOKING_PREFIX):]
    return Scanned("booking", line) if BOOKING_RE.match(line) else None
