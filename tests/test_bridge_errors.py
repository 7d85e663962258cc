"""The Kivy bridge under a failing handler (issue 15, "one exception in a Kivy bridge callback stops the app"):
logged with its topic, dropped, and the calls after it still run. The real app under Xvfb is in
test_display_wall.py; here the queue runs with a hand-driven trigger instead of Kivy's clock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from display_app.sound import announcement_for
from ui_common.bridge import MainThreadQueue

TOPIC = "arkaden/v1/mini/public/call"


class HandTrigger:
    """Stands for Kivy's Clock.create_trigger: remembers the callback, which the test runs as the frame would."""

    def __init__(self) -> None:
        self.callback: Callable[[float], None] | None = None
        self.pulled = 0

    def __call__(self, callback: Callable[[float], None]) -> Callable[[], None]:
        self.callback = callback

        def pull() -> None:
            self.pulled += 1
        return pull

    def frame(self) -> None:
        assert self.callback is not None
        self.callback(0.0)


def test_bridge_a_handler_that_raises_is_logged_with_its_topic_and_the_next_calls_still_run(
        caplog: pytest.LogCaptureFixture) -> None:
    trigger = HandTrigger()
    queue = MainThreadQueue(make_trigger=trigger)
    done: list[str] = []

    def chokes(topic: str, data: dict) -> None:
        raise KeyError(data["missing"])

    queue.post(done.append, "before")
    queue.post(chokes, TOPIC, {"number": "A-001"}, about=f"message on {TOPIC}")
    queue.post(done.append, "after")
    with caplog.at_level(logging.ERROR, logger="arkaden.ui"):
        trigger.frame()      # raised out of the frame before: Kivy's clock then stops the app
    assert done == ["before", "after"] and queue.failures == 1 and trigger.pulled == 3
    (record,) = caplog.records
    assert TOPIC in record.getMessage() and "chokes" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    # and later messages are handled as before
    queue.post(done.append, "later")
    trigger.frame()
    assert done == ["before", "after", "later"] and queue.failures == 1


def test_bridge_calls_from_many_threads_all_run_once_in_each_threads_order_despite_failures() -> None:
    trigger = HandTrigger()
    queue = MainThreadQueue(make_trigger=trigger)
    done: list[tuple[int, int]] = []

    def handle(thread: int, i: int) -> None:
        if i % 7 == 0:
            raise ValueError("a message the view model chokes on")
        done.append((thread, i))

    def feed(thread: int) -> None:
        for i in range(200):
            queue.post(handle, thread, i, about=f"thread {thread}")

    threads = [threading.Thread(target=feed, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trigger.frame()
    for thread in range(4):
        assert [i for t, i in done if t == thread] == [i for i in range(200) if i % 7]
    assert queue.failures == 4 * len(range(0, 200, 7))


def test_bridge_a_call_number_with_a_superscript_digit_does_not_break_the_fallback_announcement() -> None:
    # a malformed but parseable TicketCalled ("A-²": str.isdigit() is true, int() refuses it) for a client who
    # chose Pashto (no espeak voice: number and room spelled in English) raised ValueError on the Kivy thread
    said = announcement_for("A-²", "E.01", "Schalter 1", [], lambda lang, msgid: msgid, "ps")
    assert said.texts == () and said.fallback == ("en", "Number A, ². Room E, 0, 1.")
