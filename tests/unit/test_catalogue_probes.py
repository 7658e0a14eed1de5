"""Probes write no English: their names, progress notes and coded values are worded by the catalogue.

The notes and codes are read from the probes' source, so a new ``ctx.progress(..., "note")`` or
a new reason code without words fails here.
"""

from __future__ import annotations

import ast
import re
from importlib import resources

import pytest

from sessioncheck.advice import catalogue
from sessioncheck.events import Progress
from sessioncheck.probes import PROBES, load_probe
from sessioncheck.rtc.measure.blast import CAPPED_GENTLE

SOURCES = {
    **{f"probes/{p}.py": p for p in PROBES if p != "peer"},
    "peer/session.py": "peer",
}


def _notes(path: str) -> list[str]:
    """The note argument of every ``….progress(fraction, note, ...)`` call, as a regex."""
    package, _, name = path.partition("/")
    tree = ast.parse(resources.files(f"sessioncheck.{package}").joinpath(name).read_text())
    out = []
    # a method that only forwards its own note (``def progress(self, f, note): ctx.progress(f, note)``)
    forwarded = {
        id(call)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.name == "progress"
        for call in ast.walk(fn)
        if isinstance(call, ast.Call)
    }
    for node in ast.walk(tree):
        if id(node) in forwarded:
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "progress"
            and len(node.args) >= 2
        ):
            note = node.args[1]
            if isinstance(note, ast.Constant) and isinstance(note.value, str):
                out.append(re.escape(note.value))
            elif isinstance(note, ast.JoinedStr):
                out.append(
                    "".join(
                        re.escape(v.value) if isinstance(v, ast.Constant) and isinstance(v.value, str) else "[a-z_]+"
                        for v in note.values
                    )
                )
            elif isinstance(note, ast.IfExp):
                out += [re.escape(b.value) for b in (note.body, note.orelse) if isinstance(b, ast.Constant)]
            else:
                raise AssertionError(f"{path}: a progress note the test cannot read: {ast.unparse(note)}")
    return out


NOTES = [(path, probe, note) for path, probe in sorted(SOURCES.items()) for note in _notes(path)]


def test_the_scan_reads_every_probe() -> None:
    assert {probe for _, probe, _ in NOTES} == set(SOURCES.values())
    assert len(NOTES) >= 30


@pytest.mark.parametrize(("path", "probe", "note"), NOTES)
def test_every_progress_note_is_a_worded_code(path: str, probe: str, note: str) -> None:
    assert re.fullmatch(r"[a-z_\[\]+\\-]+", note), f"{path}: progress note {note!r} is words, not a code"
    keys = [k for k in catalogue.PHRASES if re.fullmatch(rf"progress\.({re.escape(probe)}\.)?{note}", k)]
    assert keys, f"{path}: progress note {note!r} has no words (progress.{probe}.<note>)"


def test_progress_notes_read_as_before() -> None:
    assert catalogue.progress_note("system", "cpu") == "measuring processor load"
    assert catalogue.progress_note("camera", "done") == "done"
    assert catalogue.progress_note("ice", "trying", {"checks": 3}) == "trying 3 connection(s) to the call servers"
    note = catalogue.progress_note("ice", "check", {"url": "stun:a", "transport": "udp", "outcome": "ok"})
    assert note == "stun:a over udp: ok"
    assert catalogue.progress_note("peer", "client_upload") == "measuring the client's upload"
    assert catalogue.progress_note("path", "down_measured") == "download speed measured"
    assert catalogue.progress_note("peer", "half way") == "half way"  # not a code: shown as it came
    assert Progress("ice", 0.5, "trying", {"checks": 2}).values == {"checks": 2}


@pytest.mark.parametrize("probe_id", sorted(PROBES))
def test_probes_take_their_title_from_the_catalogue(probe_id: str) -> None:
    probe = load_probe(probe_id)
    assert "title" not in type(probe).__dict__, f"{probe_id} names itself; the catalogue does"
    assert probe.title == catalogue.probe_started(probe_id)
    assert catalogue.probe_title(probe_id) != probe_id  # it has a name


def test_started_titles_and_names() -> None:
    assert catalogue.probe_started("camera") == "Checking your camera"
    assert catalogue.probe_title("camera") == "Your camera"
    assert catalogue.probe_started("path") == catalogue.probe_title("path") == "Your connection to the clinic"
    assert catalogue.probe_started("peer") == "The connection between therapist and client"


def _capped_codes() -> set[str]:
    files = resources.files("sessioncheck.rtc.measure").iterdir()
    text = "\n".join(f.read_text() for f in files if f.name.endswith(".py"))
    return set(re.findall(r'\bwhy = True, (?:CAPPED_GENTLE if .+? else )?"([a-z_]+)"', text)) | {CAPPED_GENTLE}


def test_capacity_reasons_are_codes_with_words() -> None:
    codes = _capped_codes()
    assert {"sender_slow", "gentle_cap", "receiver_drops", "receiver_busy"} <= codes
    for code in codes:
        assert catalogue.value_text("path.down_kbps_capped_why", code, {"path.down_socket_drops": 31}), code
    for code in codes - {"receiver_drops"}:  # only a download's receiver drops packets
        assert catalogue.value_text("path.up_kbps_capped_why", code), code


def test_coded_values_read_as_before() -> None:
    assert catalogue.value_text("path.up_kbps_capped_why", "gentle_cap") == "the gentle test's cap"
    drops = catalogue.value_text("path.down_kbps_capped_why", "receiver_drops", {"path.down_socket_drops": 31})
    assert drops == "this computer read too slowly (31 packets dropped in its own buffer)"
    relay = catalogue.value_text("path.loaded_rtt_not_judged", "tcp_relay")
    assert relay is not None and relay.startswith("relayed over TCP: a saturating test fills TCP's own buffers")
    clocks = catalogue.value_text("speaker.loop_delay_note", "clocks_unusable")
    assert clocks == "the audio system's clocks gave no usable delay"
    # values that are not codes (a saved report's old words, numbers) are left to the renderer
    assert catalogue.value_text("path.up_kbps_capped_why", "the sender could not keep up") is None
    assert catalogue.value_text("path.up_kbps", 1200.0) is None
