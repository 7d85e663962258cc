"""Pictograms for the concern tiles, as vector shapes in a unit square (y up), drawn by Kivy at any size.

One entry per `pictogram` value in the site files; an unknown name gets the info sign. Plain data, so a test
can check that every pictogram a site names exists.
"""

from __future__ import annotations

from typing import Any

Op = tuple[Any, ...]
# ("line", [x, y, ...], width, close) · ("rline", x, y, w, h, radius, width) · ("circle", cx, cy, r, width)
# ("disc", cx, cy, r) · ("rect", x, y, w, h) · ("tri", x1, y1, x2, y2, x3, y3)
# ("arc", cx, cy, r, degrees from, degrees to, width): clockwise from the top

DOCUMENT: list[Op] = [("rline", 0.22, 0.08, 0.56, 0.84, 0.05, 2.2)]
PERSON: list[Op] = [("disc", 0.5, 0.68, 0.12), ("line", [0.28, 0.22, 0.32, 0.42, 0.5, 0.5, 0.68, 0.42, 0.72, 0.22],
                                                      2.5, False)]
BRIEFCASE: list[Op] = [
    ("rline", 0.12, 0.18, 0.76, 0.5, 0.06, 2.4),
    ("rline", 0.38, 0.68, 0.24, 0.12, 0.04, 2.2),
    ("line", [0.12, 0.46, 0.88, 0.46], 2.2, False),
    ("rect", 0.45, 0.40, 0.10, 0.10),
]

SHAPES: dict[str, list[Op]] = {
    # a passport: document, globe, title lines
    "residence-permit": DOCUMENT + [
        ("circle", 0.5, 0.58, 0.15, 2.0), ("line", [0.35, 0.58, 0.65, 0.58], 1.6, False),
        ("line", [0.5, 0.43, 0.5, 0.73], 1.6, False), ("line", [0.34, 0.28, 0.66, 0.28], 2.0, False),
        ("line", [0.38, 0.2, 0.62, 0.2], 2.0, False)],
    "passport": [],  # filled below: same as residence-permit
    # an ID card: card, face, text lines
    "id-card": [("rline", 0.08, 0.22, 0.84, 0.56, 0.06, 2.4), ("disc", 0.3, 0.56, 0.09),
                ("line", [0.17, 0.32, 0.2, 0.42, 0.3, 0.46, 0.4, 0.42, 0.43, 0.32], 2.0, False),
                ("line", [0.52, 0.6, 0.82, 0.6], 2.2, False), ("line", [0.52, 0.48, 0.82, 0.48], 2.2, False),
                ("line", [0.52, 0.36, 0.72, 0.36], 2.2, False)],
    # health: a medical cross in a heart-free circle
    "health": [("circle", 0.5, 0.5, 0.4, 2.4), ("rect", 0.42, 0.24, 0.16, 0.52), ("rect", 0.24, 0.42, 0.52, 0.16)],
    # bank: temple front with columns
    "bank": [("tri", 0.1, 0.66, 0.9, 0.66, 0.5, 0.9), ("rect", 0.12, 0.12, 0.76, 0.07),
             ("rect", 0.18, 0.22, 0.09, 0.4), ("rect", 0.355, 0.22, 0.09, 0.4), ("rect", 0.555, 0.22, 0.09, 0.4),
             ("rect", 0.73, 0.22, 0.09, 0.4)],
    # school: a schoolhouse with a flag and a door
    "school": [("line", [0.15, 0.1, 0.15, 0.55, 0.5, 0.78, 0.85, 0.55, 0.85, 0.1], 2.4, True),
               ("rect", 0.42, 0.1, 0.16, 0.26), ("circle", 0.5, 0.55, 0.07, 2.0),
               ("line", [0.5, 0.78, 0.5, 0.95], 2.0, False), ("tri", 0.5, 0.95, 0.5, 0.85, 0.65, 0.9)],
    # certificate: a document with a seal and ribbons
    "certificate": DOCUMENT + [("line", [0.32, 0.76, 0.68, 0.76], 2.0, False),
                               ("line", [0.32, 0.66, 0.68, 0.66], 2.0, False),
                               ("disc", 0.5, 0.38, 0.11),
                               ("tri", 0.42, 0.3, 0.47, 0.3, 0.38, 0.12), ("tri", 0.53, 0.3, 0.58, 0.3, 0.62, 0.12)],
    # further training: a mortarboard with tassel
    "training": [("tri", 0.06, 0.62, 0.5, 0.84, 0.94, 0.62), ("tri", 0.06, 0.62, 0.94, 0.62, 0.5, 0.42),
                 ("line", [0.26, 0.52, 0.26, 0.3, 0.5, 0.2, 0.74, 0.3, 0.74, 0.52], 2.4, False),
                 ("line", [0.86, 0.62, 0.86, 0.32], 2.0, False), ("disc", 0.86, 0.3, 0.04)],
    # job centre (money to live on and for the rent): a house with a coin in it, unlike the employment agency's
    # person with a briefcase
    "jobcenter": [("line", [0.1, 0.08, 0.1, 0.56, 0.5, 0.9, 0.9, 0.56, 0.9, 0.08], 2.4, True),
                  ("circle", 0.5, 0.36, 0.2, 2.2), ("arc", 0.52, 0.36, 0.1, 140, 400, 1.8),
                  ("line", [0.36, 0.39, 0.52, 0.39], 1.6, False), ("line", [0.36, 0.33, 0.52, 0.33], 1.6, False)],
    "briefcase": BRIEFCASE,
    # employment agency: a person with a small briefcase
    "employment": [("disc", 0.36, 0.72, 0.12),
                   ("line", [0.12, 0.12, 0.16, 0.42, 0.36, 0.52, 0.56, 0.42, 0.58, 0.3], 2.5, False),
                   ("rline", 0.56, 0.1, 0.34, 0.24, 0.04, 2.2), ("line", [0.66, 0.34, 0.66, 0.4, 0.8, 0.4, 0.8, 0.34],
                                                                 2.0, False)],
    # German course: two speech bubbles, one with an "A"
    "language-course": [("rline", 0.06, 0.42, 0.52, 0.4, 0.08, 2.4), ("tri", 0.16, 0.44, 0.28, 0.44, 0.12, 0.3),
                        ("line", [0.2, 0.52, 0.32, 0.74, 0.44, 0.52], 2.2, False),
                        ("line", [0.25, 0.6, 0.39, 0.6], 2.0, False),
                        ("rline", 0.46, 0.14, 0.46, 0.34, 0.08, 2.4), ("tri", 0.76, 0.16, 0.86, 0.16, 0.88, 0.04),
                        ("line", [0.56, 0.34, 0.82, 0.34], 2.0, False), ("line", [0.56, 0.24, 0.76, 0.24], 2.0, False)],
    # information: the i in a circle
    "info": [("circle", 0.5, 0.5, 0.4, 2.4), ("disc", 0.5, 0.7, 0.06), ("rect", 0.45, 0.22, 0.1, 0.34)],
    # the scanner hint on the start screen: a letter with a QR-like square
    "scan": DOCUMENT + [("rect", 0.32, 0.52, 0.12, 0.12), ("rect", 0.56, 0.52, 0.12, 0.12),
                        ("rect", 0.32, 0.28, 0.12, 0.12), ("rect", 0.5, 0.34, 0.06, 0.06),
                        ("rect", 0.6, 0.28, 0.08, 0.08), ("line", [0.1, 0.46, 0.9, 0.46], 1.4, False)],
    # walk-in: a person
    "walk-in": PERSON,
    # read aloud: a loudspeaker with sound waves
    "speaker": [("rect", 0.12, 0.4, 0.16, 0.2), ("tri", 0.26, 0.4, 0.48, 0.2, 0.48, 0.8),
                ("tri", 0.26, 0.4, 0.48, 0.8, 0.26, 0.6), ("arc", 0.48, 0.5, 0.14, 50, 130, 2.6),
                ("arc", 0.48, 0.5, 0.26, 45, 135, 2.6), ("arc", 0.48, 0.5, 0.38, 40, 140, 2.6)],
    # where something is, seen from the client: the slip comes out, the scanner sits (not mirrored in RTL)
    "arrow-below": [("line", [0.5, 0.92, 0.5, 0.34], 7.0, False), ("tri", 0.2, 0.38, 0.8, 0.38, 0.5, 0.06)],
    "arrow-left": [("line", [0.92, 0.5, 0.34, 0.5], 7.0, False), ("tri", 0.38, 0.2, 0.38, 0.8, 0.06, 0.5)],
    "arrow-right": [("line", [0.08, 0.5, 0.66, 0.5], 7.0, False), ("tri", 0.62, 0.2, 0.62, 0.8, 0.94, 0.5)],
}
SHAPES["passport"] = SHAPES["residence-permit"]


def shapes(name: str) -> list[Op]:
    """The shapes of a pictogram; the info sign for a name without a drawing."""
    return SHAPES.get(name) or SHAPES["info"]
