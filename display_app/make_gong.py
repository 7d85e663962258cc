"""Makes the call gong (display_app/sounds/gong.wav) from sine partials: `python -m display_app.make_gong`.

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


def _gong() -> Path:
    """The shipped gong, package data read in place (sox and aplay play it by path)."""
    return package_path("display_app", "sounds", "gong.wav")


# played by display_app.sound; main() rewrites it in place, which is meant for a source checkout only
GONG = _gong()


def samples() -> list[int]:
    n = int(RATE * SECONDS)
    out = []
    for i in range(n):
        t = i / RATE
        v = 0.0
        for start, f0 in STROKES:
            dt = t - start
            if dt < 0:
                continue
            attack = min(1.0, dt / 0.005)  # 5 ms attack, no click
            for ratio, level, decay in PARTIALS:
                v += attack * level * math.exp(-dt / decay) * math.sin(2 * math.pi * f0 * ratio * dt)
        fade = min(1.0, (SECONDS - t) / 0.05)  # 50 ms fade-out at the very end
        out.append(v * fade)
    scale = PEAK / max(abs(x) for x in out)
    return [round(x * scale * 32767) for x in out]


def wav_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{int(RATE * SECONDS)}h", *samples()))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    target = Path(argv[0]) if argv else GONG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(wav_bytes())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
