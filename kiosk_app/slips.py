"""A printed slip's content from a check-in: the ticket, the concern in two languages, the way to the room, and
for a journey every stop of today and later days with the documents to bring."""

from __future__ import annotations

from datetime import timedelta

from queue_rules.site import Site

from . import journey
from .backend import Ticket
from .concerns import concern_title, service_title
from .journey import StopView, directions
from .printing.port import Slip, SlipStop


def what_for(site: Site, ticket: Ticket, concern_id: str | None, lang: str) -> tuple[str, str]:
    """The concern's title (walk-in) or the service's name (booked), client's language and German."""
    if concern_id is not None:
        c = site.concern(concern_id)
        return concern_title(c, lang), c.title["de"]
    if ticket.service and any(s.id == ticket.service for s in site.services):
        return service_title(site, ticket.service, lang)
    return "", ""


def _slip_stop(v: StopView, *, tomorrow: bool = False, later: bool = False) -> SlipStop:
    return SlipStop(time=v.time, agency=v.agency, what=v.title, what_de=v.title_de, rooms=v.rooms, floor=v.floor,
                    directions=v.directions, directions_de=v.directions_de, current=v.current,
                    called_from=v.called_from, day=v.day if later else None, tomorrow=tomorrow)


def slip_for(site: Site, ticket: Ticket, *, lang: str, concern_id: str | None) -> Slip:
    concern, concern_de = what_for(site, ticket, concern_id, lang)
    way, way_de = directions(site, ticket.rooms, lang)
    issued = ticket.issued_at.astimezone(site.tz)   # the core answers in UTC; the slip shows the local time
    today, later = journey.stop_views(site, ticket.stops, lang, issued)
    tomorrow = issued.date() + timedelta(days=1)
    services = [s.service for s in ticket.stops]
    return Slip(
        ticket_id=ticket.print_id or ticket.number, number=ticket.number, token=ticket.token, lang=lang,
        concern=concern, concern_de=concern_de, rooms=ticket.rooms, floor=ticket.floor, directions=way,
        directions_de=way_de, estimated_wait_min=ticket.estimated_wait_min, waiting_ahead=ticket.waiting_ahead,
        issued_at=issued, offline=ticket.offline,
        stops=tuple(_slip_stop(v) for v in today),
        later_stops=tuple(_slip_stop(v, tomorrow=v.day == tomorrow, later=True) for v in later),
        documents=tuple(journey.documents(site, services, lang)),
        called_from=journey.called_from(site, ticket.queued_from, ticket.issued_at),
        see_reception=ticket.see_reception, reception_room=journey.reception_room(site) if ticket.see_reception
        else "",
        link_base=site.phone_url() or "",
    )
