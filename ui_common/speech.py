"""Speech and sound for the apps: espeak-ng speaks into WAV files, a small `Player` port plays them.

Shared by the wall display (the gong and spoken calls) and the kiosk (reading a screen aloud). espeak-ng is
offline and has voices for most of the site's languages; `voice_for()` says which, and None where it has none
(Pashto, Tigrinya): the caller then chooses its fallback. `CommandPlayer` runs sox's `play` (or `aplay`) per file
and can be stopped mid-file; `FakePlayer` records what would have played and whether two sounds overlapped;
`RecordingPlayer` also keeps a copy of each file played.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

PLAY_TIMEOUT_S = 30.0
SPEAK_TIMEOUT_S = 30.0
# arkaden language code -> espeak-ng voice; a language missing here has no voice (see voice_for)
ESPEAK_VOICES = {"de": "de", "en": "en", "ar": "ar", "fa": "fa", "uk": "uk", "ru": "ru", "tr": "tr",
                 "kmr": "ku", "ro": "ro", "fr": "fr-fr"}


def voice_for(lang: str) -> str | None:
    """espeak-ng's voice for an arkaden language code; None when espeak-ng cannot speak it (ps, ti)."""
    return ESPEAK_VOICES.get(lang)


def espeak_command(text: str, lang: str, out: Path, *, speed: int = 140, espeak: str = "espeak-ng") -> list[str]:
    """The espeak-ng command line that speaks ``text`` in ``lang`` (which must have a voice) into ``out``."""
    voice = voice_for(lang)
    if voice is None:
        raise ValueError(f"espeak-ng has no voice for {lang!r}")
    return [espeak, "-v", voice, "-s", str(speed), "-w", str(out), "--", text]


def speak_to_wav(text: str, lang: str, out: Path, *, speed: int = 140, espeak: str = "espeak-ng") -> Path:
    """Speak ``text`` into the WAV file ``out``; OSError/SubprocessError when espeak-ng is missing or fails."""
    subprocess.run(espeak_command(text, lang, out, speed=speed, espeak=espeak), stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=SPEAK_TIMEOUT_S, check=True)
    return out


def spoken_number(number: str) -> str:
    """'A-017' → 'A 17': said as letter and number, not as 'A minus null eins sieben'."""
    prefix, _, digits = number.partition("-")
    return f"{prefix} {int(digits)}" if digits.isdecimal() else number


def find_espeak(name: str = "espeak-ng") -> str | None:
    """The espeak-ng executable's path, or None (install the Debian package espeak-ng)."""
    return shutil.which(name)


class Player(Protocol):
    def play(self, wav: Path) -> None:
        """Play a WAV file and return when it has finished or was stopped (OSError/RuntimeError when it cannot)."""

    def stop(self) -> None:
        """Stop what is playing now (from any thread); nothing when nothing plays."""


class CommandPlayer:
    """Plays through a command-line player (sox `play -q`, or `aplay -q`), one file per call."""

    def __init__(self, command: Sequence[str]):
        self.command = list(command)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False

    @classmethod
    def find(cls) -> CommandPlayer | None:
        for cmd in (["play", "-q"], ["aplay", "-q"]):
            if shutil.which(cmd[0]):
                return cls(cmd)
        return None

    def play(self, wav: Path) -> None:
        with self._lock:
            self._stopped = False
            proc = self._proc = subprocess.Popen([*self.command, str(wav)], stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, err = proc.communicate(timeout=PLAY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise RuntimeError(f"{self.command[0]} did not finish within {PLAY_TIMEOUT_S:.0f} s") from None
        finally:
            with self._lock:
                self._proc = None
        if proc.returncode != 0 and not self._stopped:
            raise RuntimeError(f"{self.command[0]} failed ({proc.returncode}): "
                               f"{err.decode(errors='replace').strip()[-300:]}")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()


@dataclass
class Played:
    wav: Path
    start: float
    end: float
    stopped: bool = False


class FakePlayer:
    """Records every sound with its start and end; `overlaps` counts sounds started while another played.

    With ``seconds`` each sound "plays" that long; `stop()` ends the current one early (marked ``stopped``).
    """

    def __init__(self, seconds: float = 0.0):
        self.seconds = seconds
        self.played: list[Played] = []
        self.overlaps = 0
        self._busy = False
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def play(self, wav: Path) -> None:
        with self._lock:
            if self._busy:
                self.overlaps += 1
            self._busy = True
            self._stop.clear()
        start = time.monotonic()
        stopped = self._stop.wait(self.seconds) if self.seconds else False
        with self._lock:
            self._busy = False
            if len(self.played) >= 1000:  # a 24/7 display with the fake player keeps a bounded record
                del self.played[:500]
            self.played.append(Played(wav, start, time.monotonic(), stopped))

    def stop(self) -> None:
        self._stop.set()


class RecordingPlayer(FakePlayer):
    """A FakePlayer that also keeps a copy of every WAV it is asked to play, in order, in ``folder``
    (``001-gong.wav``, ``002-speech-de.wav``, …): tests listen to what a device would have said."""

    def __init__(self, folder: Path, seconds: float = 0.0):
        super().__init__(seconds)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._count = 0

    def play(self, wav: Path) -> None:
        with self._lock:
            self._count += 1
            copy = self.folder / f"{self._count:03d}-{wav.name}"
        shutil.copyfile(wav, copy)
        super().play(wav)
