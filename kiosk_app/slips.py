"""A printed slip's content from a check-in: the ticket, the concern in two languages, the way to the room."""

from __future__ import annotations

from queue_rules.site import Room, Site

from .backend import Ticket
from .concerns import concern_title, service_title
from .printing.port import Slip


def room_by_number(site: Site, number: str) -> Room | None:
    return next((r for r in site.rooms if r.number == number), None)


def directions(site: Site, rooms: tuple[str, ...], lang: str) -> tuple[str, str]:
    """The way to the first room, in the client's language (English, then German, as fallbacks) and in German."""
    room = room_by_number(site, rooms[0]) if rooms else None
    if room is None:
        return "", ""
    d = room.directions
    return d.get(lang) or d.get("en") or d.get("de", ""), d.get("de", "")


def what_for(site: Site, ticket: Ticket, concern_id: str | None, lang: str) -> tuple[str, str]:
    """The concern's title (walk-in) or the service's name (booked), client's language and German."""
    if concern_id is not None:
        c = site.concern(concern_id)
        return concern_title(c, lang), c.title["de"]
    if ticket.service:
        return service_title(site, ticket.service, lang)
    return "", ""


def slip_for(site: Site, ticket: Ticket, *, lang: str, concern_id: str | None) -> Slip:
    concern, concern_de = what_for(site, ticket, concern_id, lang)
    way, way_de = directions(site, ticket.rooms, lang)
    return Slip(
        ticket_id=ticket.print_id or ticket.number, number=ticket.number, token=ticket.token, lang=lang,
        concern=concern, concern_de=concern_de, rooms=ticket.rooms, floor=ticket.floor, directions=way,
        directions_de=way_de, estimated_wait_min=ticket.estimated_wait_min, waiting_ahead=ticket.waiting_ahead,
        issued_at=ticket.issued_at, offline=ticket.offline,
    )
