"""Room codes: readable aloud, unambiguous, at least 40 bits, forgiving input."""

from __future__ import annotations

import math
import re

import pytest

from sessioncheck.peer import codes


def test_entropy_is_at_least_40_bits() -> None:
    assert codes.ENTROPY_BITS >= 40
    assert codes.ENTROPY_BITS == pytest.approx(codes.LENGTH * math.log2(len(set(codes.ALPHABET))))


def test_alphabet_leaves_out_look_alikes() -> None:
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET)
    assert not set("01OILU") & set(codes.ALPHABET)


def test_codes_are_random_and_well_formed() -> None:
    drawn = [codes.new_code() for _ in range(5000)]
    assert len(set(drawn)) == len(drawn)
    for c in drawn[:100]:
        assert re.fullmatch(f"[{codes.ALPHABET}]{{{codes.LENGTH}}}", c)
        assert re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", codes.display(c))
    # every symbol is used, roughly evenly (5000 x 9 draws over 30 symbols: 1500 each)
    counts = {ch: 0 for ch in codes.ALPHABET}
    for c in drawn:
        for ch in c:
            counts[ch] += 1
    assert min(counts.values()) > 1200 and max(counts.values()) < 1800


@pytest.mark.parametrize("typed", ["4KQ-7PZ-M2X", "4kq7pzm2x", " 4kq 7pz m2x ", "4KQ.7PZ.M2X"])
def test_normalise_accepts_what_people_type(typed: str) -> None:
    assert codes.normalise(typed) == "4KQ7PZM2X"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("4KQ-7PZ", "9 letters and digits"),
        ("4KQ-7PZ-M2O", "never use 0, 1, I, L, O or U"),
        ("", "9 letters"),
        ("4KQ-7PZ-M2!", "contains !"),
    ],
)
def test_normalise_explains_bad_codes(typed: str, says: str) -> None:
    with pytest.raises(codes.BadCode, match=re.escape(says)):
        codes.normalise(typed)
