"""Every word sessioncheck says to people, in one place, per audience.

* **client**: no jargon, calm, at most a few steps they can do now.
* **therapist**: what it means for the session and what to ask the client to do.
* **support**: the numbers and the technical cause.

Texts are ``str.format`` templates; the values come from the rule that raised the
finding. A test formats every entry with its declared fields, so a typo cannot ship.

The words live in one module per area; this package is the only way in:

* finding wording (:data:`ENTRIES`, by finding code): :mod:`.system` (this computer and its
  WebRTC stack), :mod:`.ice` (the call servers), :mod:`.network` (the path to the check
  server), :mod:`.peer` (therapist ↔ client), :mod:`.devices` (camera, video pipeline),
  :mod:`.audio` (microphone, speaker);
* short phrases (:data:`PHRASES`, by key): :mod:`.common` (skip reasons, errors, verdict,
  status, CLI, report), :mod:`.probes` (probe names and what probes say while running),
  :mod:`.tui` (the app's labels), :mod:`.browser` (the /join page), and each area's own.

The catalogue holds words only: how bad a finding is (severity, impact) is judged beside
the rules, in :mod:`sessioncheck.advice.severity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...model import Audience, Value, Verdict, Wording
from . import audio, browser, common, devices, ice, network, peer, probes, system, tui
from ._entry import CatalogueError, Entry, W, w

__all__ = [
    "ENTRIES",
    "PHRASES",
    "CatalogueError",
    "Entry",
    "W",
    "phrase",
    "probe_started",
    "probe_title",
    "progress_note",
    "value_text",
    "verdict_title",
    "w",
    "wording",
]

ENTRIES: dict[str, Entry] = {}
"""Finding code → its wording for every audience."""
PHRASES: dict[str, str] = {}
"""Phrase key → its template."""


def _merge() -> None:
    """Join the areas' words; a key worded in two areas is a bug, caught at import."""
    for area in (system, ice, common, tui, network, peer, browser, devices, audio, probes):
        entries: dict[str, Entry] = getattr(area, "ENTRIES", {})
        phrases: dict[str, str] = getattr(area, "PHRASES", {})
        twice = (ENTRIES.keys() & entries.keys()) | (PHRASES.keys() & phrases.keys())
        if twice:
            raise CatalogueError(f"{area.__name__} words {sorted(twice)} again")
        ENTRIES.update(entries)
        PHRASES.update(phrases)


_merge()


def phrase(key: str, **values: Any) -> str:
    try:
        template = PHRASES[key]
    except KeyError:
        raise CatalogueError(f"no phrase {key!r} in the catalogue") from None
    return template.format(**values)


def probe_title(probe_id: str) -> str:
    """A probe's name ("Your camera"); an unknown id is shown as itself."""
    return PHRASES.get(f"probe.{probe_id}", probe_id)


def probe_started(probe_id: str) -> str:
    """What the runner announces when a probe starts ("Checking your camera"); else its name."""
    return PHRASES.get(f"probe.{probe_id}.started") or probe_title(probe_id)


def progress_note(probe_id: str, note: str, values: Mapping[str, Value] | None = None) -> str:
    """A probe's progress note in words: ``progress.<probe>.<note>``, else ``progress.<note>``.
    A note the catalogue does not know is shown as it came (a test probe's own words)."""
    template = PHRASES.get(f"progress.{probe_id}.{note}") or PHRASES.get(f"progress.{note}")
    if template is None:
        return note
    return template.format(**(values or {}))


def value_text(key: str, value: Value, related: Mapping[str, Value] | None = None) -> str | None:
    """A measurement value a probe recorded as a code, in words (``value.<key>.<code>``), or None
    when it is not one. Its template fields are other measurements of the same probe, named by
    their key's last part (``{down_socket_drops}`` is ``path.down_socket_drops``)."""
    template = PHRASES.get(f"value.{key}.{value}") if isinstance(value, str) else None
    if template is None:
        return None
    return template.format(**{k.rpartition(".")[2]: v for k, v in (related or {}).items()})


def verdict_title(verdict: Verdict, *, complete: bool = True) -> str:
    """The banner's title. A video verdict that is not complete is "Partly checked", never "Ready"."""
    if verdict is Verdict.VIDEO and not complete:
        return PHRASES["verdict.title.partly"]
    return PHRASES[f"verdict.title.{verdict.value}"]


def wording(code: str, /, **values: Any) -> dict[Audience, Wording]:
    """Every audience's wording of finding ``code``, formatted with the rule's values."""
    try:
        entry = ENTRIES[code]
    except KeyError:
        raise CatalogueError(f"no finding {code!r} in the catalogue") from None
    missing = [f for f in entry.fields if f not in values]
    if missing:
        raise CatalogueError(f"finding {code} needs value(s): {', '.join(missing)}")

    def fmt(t: W) -> Wording:
        return Wording(
            title=t.title.format(**values),
            text=t.text.format(**values),
            steps=tuple(s.format(**values) for s in t.steps),
        )

    return {
        Audience.CLIENT: fmt(entry.client),
        Audience.THERAPIST: fmt(entry.therapist),
        Audience.SUPPORT: fmt(entry.support),
    }
