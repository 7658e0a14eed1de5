"""The shapes of the catalogue: a wording template per audience, an entry per finding code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class W:
    """A wording template for one audience."""

    title: str
    text: str
    steps: tuple[str, ...] = ()


def w(title: str, text: str, *steps: str) -> W:
    return W(title, text, tuple(steps))


@dataclass(frozen=True)
class Entry:
    """One finding code: what each audience reads. How bad it is lives beside the rules
    (:mod:`sessioncheck.advice.severity`), not here."""

    client: W
    therapist: W
    support: W
    fields: tuple[str, ...] = ()
    """Template fields the rule must supply."""


class CatalogueError(KeyError):
    """A code or phrase is not in the catalogue, or its fields are missing (our bug)."""
