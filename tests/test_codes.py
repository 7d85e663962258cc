"""Booking codes: no look-alike characters, and the check character catches every single typo and swap."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from queue_protocol.scan import booking_qr, classify_scan
from queue_rules import codes

CODES = st.builds(lambda seed: codes.new_code(random.Random(seed).randrange), st.integers())


def test_codes_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL2Z5S8BUV") & set(codes.ALPHABET)
    assert len(codes.ALPHABET) == 23 and len(set(codes.ALPHABET)) == 23


@given(CODES, st.integers(0, codes.CODE_LENGTH - 1), st.sampled_from(codes.ALPHABET))
def test_codes_every_single_wrong_character_is_caught(code: str, at: int, wrong: str) -> None:
    assert codes.check(code) == "ok"
    typo = code[:at] + wrong + code[at + 1:]
    assert codes.check(typo) == ("ok" if typo == code else "mistyped")


@given(CODES, st.integers(0, codes.CODE_LENGTH - 1), st.integers(0, codes.CODE_LENGTH - 1))
def test_codes_every_swap_of_two_characters_is_caught(code: str, i: int, j: int) -> None:
    chars = list(code)
    chars[i], chars[j] = chars[j], chars[i]
    swapped = "".join(chars)
    assert codes.check(swapped) == ("ok" if swapped == code else "mistyped")


def test_codes_are_read_as_typed_and_scanned() -> None:
    code = codes.new_code(random.Random(7).randrange)
    shown = codes.display(code)
    assert len(shown) == 8 and shown[4] == "-"
    assert codes.check(shown.lower()) == "ok" and codes.normalise(f" {shown.lower()} ") == code
    assert codes.check("KIA-47") == "malformed" and codes.check("") == "malformed"
    assert codes.check("ÄCDE-FGH") == "malformed"
    assert codes.check(code[:3] + "O" + code[4:]) == "mistyped"  # a look-alike: a typo, not an unknown code
    scanned = classify_scan(booking_qr(code))
    assert scanned is not None and scanned.kind == "booking" and scanned.value == code


def test_codes_are_spread_over_the_alphabet() -> None:
    rng = random.Random(1)
    made = {codes.new_code(rng.randrange) for _ in range(2000)}
    assert len(made) == 2000
    assert set("".join(made)) == set(codes.ALPHABET)
