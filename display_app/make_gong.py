"""Makes the call gong (display_app/sounds/gong.wav) and the language chime (chime.wav) from sine partials:
`python -m display_app.make_gong`. The chime (three quick rising strokes, unlike the gong's "ding-dong") comes
before a call spoken in English digits for a client whose language espeak-ng cannot speak (Pashto, Tigrinya).

The sound is ours (no third-party recording, no licence question) and deterministic: the same bytes on
every run, so a test can check that the shipped file is what this script makes.
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from pathlib import Path

from host_support.package_data import package_path

RATE = 22050
SECONDS = 2.2
# two strokes, as a "ding-dong" gong: (start s, fundamental Hz); each stroke has a few inharmonic partials
STROKES = ((0.0, 659.25), (0.55, 523.25))
PARTIALS = ((1.0, 1.0, 1.6), (2.01, 0.35, 0.9), (2.76, 0.2, 0.6), (4.07, 0.08, 0.35))  # ratio, level, decay s
PEAK = 0.6  # of full scale: loud enough for a hall, no clipping
CHIME_SECONDS = 1.4
CHIME_STROKES = ((0.0, 783.99), (0.18, 987.77), (0.36, 1174.66))
CHIME_PARTIALS = ((1.0, 1.0, 0.45), (2.0, 0.25, 0.25), (3.0, 0.08, 0.15))


def _sound(name: str) -> Path:
    """A shipped sound, package data read in place (sox and aplay play it by path)."""
    return package_path("display_app", "sounds", name)


# played by display_app.sound; main() rewrites them in place, which is meant for a source checkout only
GONG = _sound("gong.wav")
CHIME = _sound("chime.wav")


def samples(strokes: tuple[tuple[float, float], ...] = STROKES, seconds: float = SECONDS,
            partials: tuple[tuple[float, float, float], ...] = PARTIALS) -> list[int]:
    n = int(RATE * seconds)
    out = []
    for i in range(n):
        t = i / RATE
        v = 0.0
        for start, f0 in strokes:
            dt = t - start
            if dt < 0:
                continue
            attack = min(1.0, dt / 0.005)  # 5 ms attack, no click
            for ratio, level, decay in partials:
                v += attack * level * math.exp(-dt / decay) * math.sin(2 * math.pi * f0 * ratio * dt)
        fade = min(1.0, (seconds - t) / 0.05)  # 50 ms fade-out at the very end
        out.append(v * fade)
    scale = PEAK / max(abs(x) for x in out)
    return [round(x * scale * 32767) for x in out]


def _wav(frames: list[int]) -> bytes:
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{len(frames)}h", *frames))
    return buf.getvalue()


def wav_bytes() -> bytes:
    """The gong."""
    return _wav(samples())


def chime_bytes() -> bytes:
    """The language chime."""
    return _wav(samples(CHIME_STROKES, CHIME_SECONDS, CHIME_PARTIALS))


def main(argv: list[str] | None = None) -> int:
    """Write gong.wav and chime.wav (into the directory given, else into the package's sounds/)."""
    folder = Path(argv[0]) if argv else GONG.parent
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (("gong.wav", wav_bytes()), ("chime.wav", chime_bytes())):
        (folder / name).write_bytes(data)
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
