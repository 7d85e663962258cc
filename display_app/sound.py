"""The call gong and spoken announcements: one worker plays one thing at a time, so nothing ever overlaps.

Playback sits behind the small `Player` port: `CommandPlayer` runs sox's `play` (or `aplay`) per sound,
`FakePlayer` records what would have played and checks that no two sounds overlap. Announcements are
spoken by espeak-ng into a WAV file (`-w`), which the same player then plays after the gong.
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
from typing import Protocol

from .make_gong import GONG

log = logging.getLogger("arkaden.display.sound")

MAX_PENDING = 8          # calls waiting for the loudspeaker; more are dropped (a burst, not a backlog)
PLAY_TIMEOUT_S = 30.0
ERROR_LOG_EVERY_S = 300.0  # a missing sound card is said once in a while, not on every call
# arkaden language code -> espeak-ng voice; languages espeak-ng has no voice for are not spoken
ESPEAK_VOICES = {"de": "de", "en": "en", "ar": "ar", "fa": "fa", "uk": "uk", "ru": "ru", "tr": "tr",
                 "kmr": "ku", "ro": "ro", "fr": "fr-fr"}


class Player(Protocol):
    def play(self, wav: Path) -> None:
        """Play a WAV file and return when it has finished (raise OSError/RuntimeError when it cannot)."""


class CommandPlayer:
    """Plays through a command-line player (sox `play -q`, or `aplay -q`), one file per call."""

    def __init__(self, command: Sequence[str]):
        self.command = list(command)

    @classmethod
    def find(cls) -> CommandPlayer | None:
        for cmd in (["play", "-q"], ["aplay", "-q"]):
            if shutil.which(cmd[0]):
                return cls(cmd)
        return None

    def play(self, wav: Path) -> None:
        out = subprocess.run([*self.command, str(wav)], check=False, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=PLAY_TIMEOUT_S)
        if out.returncode != 0:
            raise RuntimeError(f"{self.command[0]} failed ({out.returncode}): "
                               f"{out.stderr.decode(errors='replace').strip()[-300:]}")


@dataclass
class Played:
    wav: Path
    start: float
    end: float


class FakePlayer:
    """Records every sound with its start and end; `overlaps` counts sounds started while another played."""

    def __init__(self, seconds: float = 0.0):
        self.seconds = seconds
        self.played: list[Played] = []
        self.overlaps = 0
        self._busy = False
        self._lock = threading.Lock()

    def play(self, wav: Path) -> None:
        with self._lock:
            if self._busy:
                self.overlaps += 1
            self._busy = True
        start = time.monotonic()
        if self.seconds:
            time.sleep(self.seconds)
        with self._lock:
            self._busy = False
            if len(self.played) >= 1000:  # a 24/7 display with the fake player keeps a bounded record
                del self.played[:500]
            self.played.append(Played(wav, start, time.monotonic()))


def espeak_command(text: str, lang: str, out: Path, *, speed: int = 140) -> list[str]:
    """The espeak-ng command line that speaks ``text`` in ``lang`` into the WAV file ``out``."""
    return ["espeak-ng", "-v", ESPEAK_VOICES[lang], "-s", str(speed), "-w", str(out), "--", text]


def spoken_number(number: str) -> str:
    """'A-017' → 'A 17': said as letter and number, not as 'A minus null eins sieben'."""
    prefix, _, digits = number.partition("-")
    return f"{prefix} {int(digits)}" if digits.isdigit() else number


def spoken_room(room: str) -> str:
    """'1.07' → '1 07' (espeak would read the dot as a decimal point)."""
    return room.replace(".", " ")


@dataclass(frozen=True)
class Announcement:
    """What is said for one call: the gong, then the text in each language (already translated)."""

    texts: tuple[tuple[str, str], ...]  # (language, text)


class SoundWorker:
    """A single thread that plays the gong and the announcements of each call, one after the other."""

    def __init__(self, player: Player, *, gong: Path = GONG, espeak: str | None = "espeak-ng"):
        self.player = player
        self.gong = gong
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
            self.done += 1

    def _speak(self, lang: str, text: str) -> Path | None:
        if self.espeak is None or lang not in ESPEAK_VOICES:
            return None
        out = self._tmp / f"speech-{lang}.wav"
        cmd = espeak_command(text, lang, out)
        cmd[0] = self.espeak
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
                     gettext: Callable[[str, str], str]) -> Announcement:
    """The texts for a call in each language (``gettext(lang, msgid)``); no languages: the gong alone."""
    from .messages import ANNOUNCEMENT

    texts = tuple((lang, gettext(lang, ANNOUNCEMENT).format(number=spoken_number(number), room=spoken_room(room),
                                                            counter=counter)) for lang in languages)
    return Announcement(texts)
