"""The kiosk's screens: each a `<name>.py` + `<name>.kv` pair that shows the view model's state."""

from __future__ import annotations

from typing import Any

from kivy.uix.screenmanager import Screen


class KioskScreen(Screen):
    """A screen; ``refresh`` redraws its changing parts from the flow (called on every change of the flow)."""

    def refresh(self, app: Any) -> None:
        pass


def all_screens() -> list[type[KioskScreen]]:
    from .appointments import AppointmentsScreen  # noqa: PLC0415 - Kivy only after kivy_env.prepare()
    from .concerns import ConcernsScreen  # noqa: PLC0415
    from .confirm import ConfirmScreen  # noqa: PLC0415
    from .details import DetailsScreen  # noqa: PLC0415
    from .keypad import KeypadScreen  # noqa: PLC0415
    from .message import MessageScreen  # noqa: PLC0415
    from .start import StartScreen  # noqa: PLC0415
    from .ticket import TicketScreen  # noqa: PLC0415
    from .welcome import WelcomeScreen  # noqa: PLC0415
    from .working import WorkingScreen  # noqa: PLC0415

    return [WelcomeScreen, StartScreen, KeypadScreen, AppointmentsScreen, ConcernsScreen, DetailsScreen,
            ConfirmScreen, WorkingScreen, TicketScreen, MessageScreen]


# which screen shows which step of the flow
SCREEN_OF_STEP = {
    "welcome": "welcome", "start": "start", "keypad": "keypad", "appointments": "appointments",
    "concerns": "concerns", "details": "details", "confirm": "confirm", "working": "working",
    "done": "ticket", "on_screen": "ticket", "ticket_status": "ticket", "message": "message",
}
