"""Reads a screen aloud for clients who cannot read well: espeak-ng (offline) into WAV, played by a `Player`.

One worker thread speaks and plays, so the Kivy thread never waits. ``read()`` stops whatever is playing and
starts the new text (a second tap starts again from the beginning); ``stop()`` (the screen changed) ends it.
The sound goes wherever the player plays: sox's ``play`` uses the system's default output (PulseAudio or
PipeWire's default sink, else ALSA's ``default`` device; ``AUDIODEV`` picks another), see docs/hardware.md.
Languages without an espeak-ng voice (Pashto, Tigrinya) cannot be read: ``can_read()`` says so and the app hides
the button.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ui_common.speech import Player, speak_to_wav, voice_for

log = logging.getLogger("arkaden.kiosk.reader")
Speak = Callable[[str, str, Path], Path]


class ScreenReader:
    def __init__(self, player: Player, *, folder: Path | None = None, speak: Speak = speak_to_wav):
        self.player, self.speak = player, speak
        self._own = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="arkaden-read-"))
        self._jobs: queue.Queue[tuple[int, Sequence[tuple[str, str]]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = 0
        self._reading = 0          # the generation being read now (0: none)
        self._closed = False
        self.spoken = 0            # pieces played to the end (tests, logs)
        self._thread = threading.Thread(target=self._work, name="kiosk-read-aloud", daemon=True)
        self._thread.start()

    @staticmethod
    def can_read(lang: str) -> bool:
        return voice_for(lang) is not None

    def read(self, pieces: Sequence[tuple[str, str]]) -> None:
        """Stop what is being read and read these (language, text) pieces, one after another."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.player.stop()
        self._jobs.put((generation, [p for p in pieces if self.can_read(p[0]) and p[1].strip()]))

    def stop(self) -> None:
        """Stop reading now (from any thread); what was asked for and not yet played is dropped."""
        with self._lock:
            self._generation += 1
            self.player.stop()

    @property
    def busy(self) -> bool:
        """Whether a screen is being read now (the kiosk does not start over in the middle of it)."""
        with self._lock:
            return self._reading == self._generation and self._reading != 0

    def close(self) -> None:
        """Stop and end the worker; safe to call more than once (Kivy sends on_stop twice)."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        self._jobs.put(None)
        self._thread.join(timeout=5)
        if self._own:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            generation, pieces = job
            with self._lock:
                self._reading = generation
            self._read(generation, pieces)
            with self._lock:
                self._reading = 0

    def _read(self, generation: int, pieces: Sequence[tuple[str, str]]) -> None:
        for i, (lang, text) in enumerate(pieces):
            if not self._current(generation):
                break
            wav = self.folder / f"read-{generation}-{i}-{lang}.wav"
            try:
                self.speak(text, lang, wav)
            except (OSError, subprocess.SubprocessError) as exc:
                log.error("espeak-ng could not speak %s: %s", lang, exc)
                break
            if not self._current(generation):
                wav.unlink(missing_ok=True)
                break
            try:
                self.player.play(wav)
                self.spoken += 1
            except (OSError, RuntimeError) as exc:
                log.error("the read-aloud sound could not be played: %s", exc)
            finally:
                wav.unlink(missing_ok=True)
