"""The kiosk's screens: each a `<name>.py` + `<name>.kv` pair that shows the view model's state."""

from __future__ import annotations

from .base import KioskScreen


def all_screens() -> list[type[KioskScreen]]:
    from .appointments import AppointmentsScreen
    from .concerns import ConcernsScreen
    from .confirm import ConfirmScreen
    from .details import DetailsScreen
    from .keypad import KeypadScreen
    from .message import MessageScreen
    from .start import StartScreen
    from .ticket import TicketScreen
    from .welcome import WelcomeScreen
    from .working import WorkingScreen

    return [WelcomeScreen, StartScreen, KeypadScreen, AppointmentsScreen, ConcernsScreen, DetailsScreen,
            ConfirmScreen, WorkingScreen, TicketScreen, MessageScreen]


# which screen shows which step of the flow
SCREEN_OF_STEP = {
    "welcome": "welcome", "start": "start", "keypad": "keypad", "appointments": "appointments",
    "concerns": "concerns", "details": "details", "confirm": "confirm", "working": "working",
    "done": "ticket", "on_screen": "ticket", "ticket_status": "ticket", "message": "message",
}
