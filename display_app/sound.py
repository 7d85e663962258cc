"""The call gong and spoken announcements: one worker plays one thing at a time, so nothing ever overlaps.

Playback sits behind the small `Player` port of `ui_common.speech` (shared with the kiosk's read-aloud):
`CommandPlayer` runs sox's `play` (or `aplay`) per sound, `FakePlayer` records what would have played and checks
that no two sounds overlap. Announcements are spoken by espeak-ng into a WAV file (`-w`), which the same player
then plays after the gong: first in the display's languages (`--announce`, e.g. German), then, once, in the
language the client chose at the kiosk to hear his call in (`TicketCalled.announce`). When espeak-ng has no
voice for it (Pashto, Tigrinya) the call language gets a chime and the number and room as single characters in
English ("Number J, 1, 7. Room 1, 0, 7."), which a client recognises even without English.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ui_common.speech import ESPEAK_VOICES as ESPEAK_VOICES  # the display's names for them, re-exported
from ui_common.speech import PLAY_TIMEOUT_S, espeak_command, voice_for
from ui_common.speech import CommandPlayer as CommandPlayer
from ui_common.speech import FakePlayer as FakePlayer
from ui_common.speech import Player as Player
from ui_common.speech import spoken_number as spoken_number

from .make_gong import CHIME, GONG

log = logging.getLogger("arkaden.display.sound")

MAX_PENDING = 8          # calls waiting for the loudspeaker; more are dropped (a burst, not a backlog)
ERROR_LOG_EVERY_S = 300.0  # a missing sound card is said once in a while, not on every call


def spoken_room(room: str) -> str:
    """'1.07' → '1 07' (espeak would read the dot as a decimal point)."""
    return room.replace(".", " ")


def spelled(text: str) -> str:
    """'J-017' → 'J, 1, 7'; '1.07' → '1, 0, 7': one character at a time, a number's leading zeros left out."""
    prefix, dash, digits = text.partition("-")
    if dash and digits.isdecimal():   # isdigit() would take "²", which int() refuses
        text = f"{prefix}{int(digits)}"
    return ", ".join(ch for ch in text if ch.isalnum())


FALLBACK_LANGUAGE = "en"
FALLBACK_TEXT = "Number {number}. Room {room}."   # spoken in English, character by character (not translated)


@dataclass(frozen=True)
class Announcement:
    """What is said for one call: the gong, then the text in each language (already translated), then, for a
    call language without a voice, the chime and ``fallback`` (language, text)."""

    texts: tuple[tuple[str, str], ...]  # (language, text)
    fallback: tuple[str, str] | None = None


class SoundWorker:
    """A single thread that plays the gong and the announcements of each call, one after the other."""

    def __init__(self, player: Player, *, gong: Path = GONG, chime: Path = CHIME, espeak: str | None = "espeak-ng"):
        self.player = player
        self.gong, self.chime = gong, chime
        self.espeak = shutil.which(espeak) if espeak else None
        self.dropped = 0
        self.done = 0
        self._jobs: queue.Queue[Announcement | None] = queue.Queue(maxsize=MAX_PENDING)
        self._last_error = 0.0
        self._tmp = Path(tempfile.mkdtemp(prefix="arkaden-speech-"))
        self._thread = threading.Thread(target=self._run, name="display-sound", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        try:
            self._jobs.put_nowait(None)
        except queue.Full:
            self._drain()
            self._jobs.put_nowait(None)
        self._thread.join(timeout=PLAY_TIMEOUT_S)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _drain(self) -> None:
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                return

    def submit(self, announcement: Announcement) -> bool:
        """Queue a call's sounds (from any thread); False when the queue is full and the call stays silent."""
        try:
            self._jobs.put_nowait(announcement)
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._play(self.gong)
            for lang, text in job.texts:
                wav = self._speak(lang, text)
                if wav is not None:
                    self._play(wav)
            if job.fallback is not None:
                self._play(self.chime)
                wav = self._speak(*job.fallback)
                if wav is not None:
                    self._play(wav)
            self.done += 1

    def _speak(self, lang: str, text: str) -> Path | None:
        if self.espeak is None or voice_for(lang) is None:
            return None
        out = self._tmp / f"speech-{lang}.wav"
        cmd = espeak_command(text, lang, out, espeak=self.espeak)
        try:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=PLAY_TIMEOUT_S, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            self._complain(f"espeak-ng could not speak {lang!r}: {exc}")
            return None
        return out

    def _play(self, wav: Path) -> None:
        try:
            self.player.play(wav)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            self._complain(f"cannot play {wav.name}: {exc}")

    def _complain(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_error > ERROR_LOG_EVERY_S or self._last_error == 0.0:
            log.warning("%s (said once every %d min)", message, ERROR_LOG_EVERY_S // 60)
            self._last_error = now


def announcement_for(number: str, room: str, counter: str, languages: Sequence[str],
                     gettext: Callable[[str, str], str], call_language: str | None = None) -> Announcement:
    """The texts for a call in each language (``gettext(lang, msgid)``), then in ``call_language`` (the client's
    choice) unless it is one of them; no languages and no call language: the gong alone."""
    from .messages import ANNOUNCEMENT

    def said(lang: str) -> tuple[str, str]:
        text = gettext(lang, ANNOUNCEMENT).format(number=spoken_number(number), room=spoken_room(room),
                                                  counter=counter)
        return lang, text

    texts = [said(lang) for lang in languages]
    fallback = None
    if call_language and call_language not in languages:
        if voice_for(call_language) is not None:
            texts.append(said(call_language))
        else:
            fallback = (FALLBACK_LANGUAGE, FALLBACK_TEXT.format(number=spelled(number), room=spelled(room)))
    return Announcement(tuple(texts), fallback)
