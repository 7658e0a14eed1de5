"""The wording catalogue: every entry formats, every audience is present, clients get no jargon."""

from __future__ import annotations

import re
import string

import pytest

from sessioncheck.advice import catalogue, rules
from sessioncheck.advice.severity import SEVERITY
from sessioncheck.model import Audience, Severity

# Words a worried, non-technical client should never have to read.
JARGON = re.compile(
    r"\b(ICE|STUN|TURN|NAT|UDP|TCP|TLS|SCTP|DTLS|RTP|RTT|SDP|WebRTC|jitter|packet|latency|"
    r"kbit|kbps|Mbit|ms|dBFS|codec|fps|CPU|DNS|IP|401|486|p95|median|bitrate|candidate|relay(ed)?|srflx)\b"
)


def _sample_values(entry: catalogue.Entry) -> dict[str, object]:
    names: set[str] = set()
    for w in (entry.client, entry.therapist, entry.support):
        for text in (w.title, w.text, *w.steps):
            names |= {f for _, f, _, _ in string.Formatter().parse(text) if f}
    return {n.split(".")[0].split("[")[0]: 1.0 for n in names}


@pytest.mark.parametrize("code", sorted(catalogue.ENTRIES))
def test_every_entry_formats_with_its_declared_fields(code: str) -> None:
    entry = catalogue.ENTRIES[code]
    values = _sample_values(entry)
    undeclared = set(values) - set(entry.fields)
    assert not undeclared, f"{code} uses fields it does not declare: {undeclared}"
    f = rules.finding(code, {}, **{k: 1.0 for k in entry.fields})
    assert set(f.wording) == set(Audience)
    assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", code)


@pytest.mark.parametrize("code", sorted(catalogue.ENTRIES))
def test_client_wording_has_no_jargon(code: str) -> None:
    c = catalogue.ENTRIES[code].client
    for text in (c.title, c.text, *c.steps):
        assert not JARGON.search(text), f"{code}: client wording uses jargon: {text!r}"


@pytest.mark.parametrize("code", sorted(catalogue.ENTRIES))
def test_problems_come_with_fix_steps(code: str) -> None:
    entry = catalogue.ENTRIES[code]
    if SEVERITY[code][0] is not Severity.INFO:
        assert entry.client.steps, f"{code}: a client with a problem needs at least one step"
        assert len(entry.client.steps) <= 5


def test_unknown_code_and_missing_fields_are_bugs() -> None:
    with pytest.raises(catalogue.CatalogueError):
        rules.finding("no.such_code", {})
    with pytest.raises(catalogue.CatalogueError, match="needs value"):
        rules.finding("system.cpu_busy", {})


def test_phrases_format() -> None:
    for key, template in catalogue.PHRASES.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        assert catalogue.phrase(key, **{f.split(".")[0].split("[")[0]: 1 for f in fields})
