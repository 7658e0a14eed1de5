"""Room codes a therapist can read aloud: ``4KQ-7PZ-M2X``.

Nine symbols from a 30-symbol alphabet that leaves out everything easily confused when
read aloud or typed (``0``/``O``, ``1``/``I``/``L``, and ``U``/``V``): 9 × log2(30) ≈ 44.2
bits of entropy, drawn with :mod:`secrets`. Shown in groups of three; typed in any case,
with or without dashes or spaces.
"""

from __future__ import annotations

import math
import secrets

from ..errors import SessioncheckError

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Digits 2-9 and letters without I, L, O, U."""
LENGTH = 9
GROUP = 3
ENTROPY_BITS = LENGTH * math.log2(len(ALPHABET))
"""≈ 44.2 bits: a random guess succeeds about once in 2 × 10^13 tries."""
EXAMPLE = "4KQ-7PZ-M2X"


class BadCode(SessioncheckError, ValueError):
    """Text that cannot be a room code; the message says what a code looks like."""


def new_code() -> str:
    """A fresh random code, normalised (no dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """``4KQ7PZM2X`` → ``4KQ-7PZ-M2X``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str:
    """What the user typed → the canonical code, or :class:`BadCode`.

    Accepts lower case, dashes, spaces and dots between groups.
    """
    cleaned = "".join(ch for ch in text.upper() if ch not in "- ._")
    if len(cleaned) != LENGTH:
        raise BadCode(f"{text.strip()!r} is not a test code: a code has {LENGTH} letters and digits, like {EXAMPLE}")
    wrong = sorted({ch for ch in cleaned if ch not in ALPHABET})
    if wrong:
        hint = ""
        if set(wrong) & set("01ILOU"):
            hint = " (codes never use 0, 1, I, L, O or U)"
        raise BadCode(
            f"{text.strip()!r} is not a test code: it contains {', '.join(wrong)}{hint}; check the code you were given"
        )
    return cleaned
