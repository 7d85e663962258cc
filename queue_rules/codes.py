"""Booking codes: short, easy to read aloud and to type, with a check character that catches a typo.

A code is six characters from an alphabet of 23 without the look-alikes 0/O, 1/I/L, 2/Z, 5/S, 8/B and U/V,
then one check character, written ``XXXX-XXX`` on letters. The check is a weighted sum modulo 23 (a prime,
weights 1 to 7): any single wrong character and any swap of two characters makes it fail, so a mistyped code is
told apart from an unknown one and never is somebody else's valid code (two valid codes differ in at least
two places). 23^6 codes are about 148 million.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Literal

ALPHABET = "ACDEFGHJKMNPQRTWXY34679"  # 23, a prime
DATA_LENGTH = 6
CODE_LENGTH = DATA_LENGTH + 1
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_N = len(ALPHABET)

CodeCheck = Literal["ok", "mistyped", "malformed"]


def check_character(data: str) -> str:
    """The character c that makes sum(weight * value) over data + c divisible by 23 (weights 1, 2, ... 7)."""
    total = sum((i + 1) * _VALUE[ch] for i, ch in enumerate(data))
    weight = len(data) + 1
    return ALPHABET[(-total * pow(weight, -1, _N)) % _N]


def new_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A fresh random code (normalised, without the hyphen); pass `random.Random(seed).randrange` to repeat one."""
    pick = randbelow
    data = "".join(ALPHABET[pick(_N)] for _ in range(DATA_LENGTH))
    return data + check_character(data)


def normalise(text: str) -> str:
    """What the client typed or scanned, upper case, without spaces and hyphens."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def check(text: str) -> CodeCheck:
    """Whether a typed code is well formed and its check character fits."""
    code = normalise(text)
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isalnum():
        return "malformed"
    if any(ch not in _VALUE for ch in code):  # a look-alike such as O for 0: a typo, not somebody else's code
        return "mistyped"
    return "ok" if check_character(code[:-1]) == code[-1] else "mistyped"


def display(code: str) -> str:
    """A code as printed and read aloud: ``XXXX-XXX``."""
    code = normalise(code)
    return f"{code[:4]}-{code[4:]}"
