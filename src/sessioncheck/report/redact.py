"""Remove what identifies a person or a place from everything a report shows.

Applied to every rendered or saved report unless the user asks otherwise (``--no-redact``),
and always to what a peer test sends to the other side (that is another person).

What goes, and what it becomes:

* ICE candidate lines → :data:`REDACTED_CANDIDATE`; IPv4 and IPv6 addresses (bracketed,
  with zone ids, v4-mapped, followed by a port or by punctuation) → :data:`REDACTED_IP`.
* Hardware (MAC) addresses written ``aa:bb:cc:dd:ee:ff``, ``aa-bb-…`` or ``aa_bb_…`` (the
  form in Bluetooth audio device names) → :data:`REDACTED_MAC`; interface names that embed
  one (systemd's ``enx001122334455``, ``wlx…``, ``wwx…``) → ``enx-mac``, keeping the prefix
  that tells the kind; a second such name with the same prefix in one report becomes
  ``enx-mac2``, so names stay distinct and stable within a report. These names are also
  replaced inside measurement and evidence keys (``system.iface.<name>.kind``).
* The TURN user name: the value of every ``….username`` measurement and evidence entry,
  wherever it appears quoted in a text, after ``username`` in a text, as the user part of a
  URL (``turn:user@host``, ``https://user:pass@host``) and in ``username=``/``credential=``/
  ``password=``/``token=`` query parameters → :data:`REDACTED_USER` (or
  :data:`REDACTED_SECRET` for secrets). The TURN credential is never recorded at all.
* E-mail addresses → :data:`REDACTED_EMAIL`.
* A person's name in a device name (``camera.device``, ``microphone.device``, …), as phones
  and headsets name themselves: "Alice's AirPods" → "[name]'s AirPods", "AirPods de María" →
  "AirPods de [name]" — in the measurement and wherever a text repeats that device name.
* The home folder → ``~`` (``/home/alice/x.mp4`` → ``~/x.mp4``); other people's home
  folders keep their place but not their name (``/home/[user]/…``, ``/Users/[user]/…``,
  ``C:\\Users\\[user]\\…``).

Kept on purpose: server host names (the clinic's own), interface kinds, device models, the
report's creation time (with its time-zone offset) and every number.

Ordinary text is left alone: times (``14:05:33``), versions (``1.2.3``), hashes and DTLS
fingerprints, and ``a::b`` in code-ish strings (an IPv6 address must contain a decimal
digit here: every real one does, ``dead::beef`` does not look like one to people).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from ..model import Audience, Finding, Measurement, ProbeResult, Report, Value, Wording

REDACTED_IP = "[address removed]"
REDACTED_CANDIDATE = "[ICE candidate removed]"
REDACTED_MAC = "[hardware address removed]"
REDACTED_USER = "[user name removed]"
REDACTED_SECRET = "[secret removed]"
REDACTED_EMAIL = "[e-mail address removed]"
OTHER_HOME_USER = "[user]"
"""Stands for the account name in someone else's home folder path."""
REDACTED_NAME = "[name]"
"""Stands for a person's name inside a device name."""

_CANDIDATE = re.compile(r"(?:a=)?candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ \S+(?: [a-z-]+ \S+)*", re.I)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
# A run of characters an IPv6 address is made of, with an optional zone id. Which part of
# the run is an address is decided in code (``_ipv6_run``): a regex that tries every split
# backtracks badly, and trailing ``.`` / ``:`` (end of a sentence, "addr: message") must be
# given back to the text.
_IPV6_RUN = re.compile(r"[0-9A-Fa-f:.]+(?:%[0-9A-Za-z_-]+(?:\.[0-9A-Za-z_-]+)*)?")
_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.%\w]+)\]")
_V4_TAIL_PORT = re.compile(r"(.*\.\d{1,3}):(\d{1,5})")

_HEX2 = "[0-9A-Fa-f]{2}"
_MAC = re.compile(
    rf"(?<![0-9A-Fa-f])(?<![0-9A-Fa-f][:_-]){_HEX2}(?P<sep>[:_-]){_HEX2}(?:(?P=sep){_HEX2}){{4}}"
    r"(?![0-9A-Fa-f]|[:_-][0-9A-Fa-f])"
)
# systemd's predictable names "by MAC": en/wl/ww/sl/ib + "x" + the 12 hex digits.
_MAC_IFACE = re.compile(r"(?<![A-Za-z0-9])(?P<prefix>(?:en|wl|ww|sl|ib)x)(?P<mac>[0-9A-Fa-f]{12})(?![0-9A-Za-z])")

_URL_USERINFO = re.compile(r"(?i)\b(?P<scheme>(?:stuns?|turns?|https?|wss?|ftp|rtsp):(?://)?)[^@\s/?#\[\]'\"]+@")
_QUERY_SECRET = re.compile(
    r"(?i)(?P<name>[?&;](?:credential|password|passwd|pass|pwd|secret|token|access_token|key))=[^&\s#'\"]*"
)
_QUERY_USER = re.compile(r"(?i)(?P<name>[?&;](?:username|user))=[^&\s#'\"]*")
_SAID_USER = re.compile(r"(?i)(?P<name>\buser ?name\b\s*[=:]?\s*)(?P<q>['\"])(?P<value>[^'\"\n]*)(?P=q)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_NAME = r"[\w-]+(?:\.[\w-]+)*"
_OTHER_HOME = re.compile(rf"(?<![\w.~-])(?P<root>/home/|/var/home/|/Users/)(?P<name>{_NAME})(?![\w-])")
_OTHER_HOME_WIN = re.compile(
    r"(?i)(?<![\w.~-])(?P<root>[A-Za-z]:[\\/]{1,2}(?:Users|Documents and Settings)[\\/]{1,2})"
    r"(?P<name>[^\\/:*?\"<>|\s']+(?: [^\\/:*?\"<>|\s']+)*)(?=[\\/])"
)
_NOT_PEOPLE = {"shared", "public", "default", "all users", "[user]"}

_WORD = r"[^\W\d_][\w-]*"
_POSSESSIVE = re.compile(rf"(?<![\w\[])(?:(?P<first>{_WORD})\s)?(?P<last>{_WORD})['\u2019]s(?!\w)")
_OWNED_BY = re.compile(
    rf"(?<!\w)(?P<prep>de|von|di|da|van|du|del|della|do|dos)\s+(?P<name>{_WORD})(?:\s(?P<name2>{_WORD}))?(?!\w)"
)
_PRODUCT_WORDS = frozenset(
    "macbook imac mac iphone ipad airpods studio display galaxy pixel surface thinkpad dell hp lenovo "
    "logitech microsoft apple samsung sony bose jabra usb bluetooth android windows linux "
    "microphone camera speaker headset mikrofon kamera lautsprecher micrófono cámara altavoz auriculares "
    "microphone caméra haut-parleur microfono fotocamera entrada salida sortie entrée eingang ausgang".split()
)
"""Words in device names that are makes, models or parts, not owners ("Micrófono de MacBook Pro")."""


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def _looks_ipv6(text: str) -> bool:
    """A valid IPv6 address that people would read as one (it has a decimal digit)."""
    return any(c.isdigit() for c in text.split("%")[0]) and _is_ipv6(text)


def _ipv6_run(m: re.Match[str]) -> str:
    text = m.string
    run = m.group(0)
    if run.count(":") < 2:
        return run
    start, end = m.span()
    lead = ""
    core = run
    if core.startswith(":") and not core.startswith("::"):  # "turn:2001:db8::1", "at:fe80::1"
        lead, core = ":", core[1:]
    elif start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return run  # the end of a longer word ("std::vector")
    if end < len(text) and (text[end].isalnum() or text[end] == "_"):
        return run  # the start of a longer word ("a::bcdefg")
    tail = ""
    while core and not _looks_ipv6(core):
        if core[-1] in ".:":  # end of a sentence, "address: message"
            core, tail = core[:-1], core[-1] + tail
            continue
        port = _V4_TAIL_PORT.fullmatch(core)  # "::ffff:192.0.2.1:3478"
        if port and _looks_ipv6(port.group(1)):
            core, tail = port.group(1), ":" + port.group(2) + tail
            continue
        return run
    if not core:
        return run
    return lead + REDACTED_IP + tail


def _home() -> str | None:
    home = os.path.expanduser("~")
    if not home or home == "~" or home.rstrip("/\\") in ("", "/") or len(home.rstrip("/\\")) < 3:
        return None
    return home.rstrip("/\\")


def _home_pattern(home: str) -> re.Pattern[str]:
    if re.match(r"[A-Za-z]:[\\/]", home):  # Windows: either slash, doubled in reprs, any case
        body = r"[\\/]{1,2}".join(re.escape(p) for p in re.split(r"[\\/]", home))
        return re.compile(r"(?<![\w.~-])" + body + r"(?![\w-]|\.\w)", re.IGNORECASE)
    return re.compile(r"(?<![\w.~-])" + re.escape(home) + r"(?![\w-]|\.\w)")


def _possessive(m: re.Match[str]) -> str:
    first, last = m.group("first"), m.group("last")
    if not last[0].isupper() or last.lower() in _PRODUCT_WORDS:
        return m.group(0)
    if first is not None and first[0].isupper() and first.lower() not in _PRODUCT_WORDS:
        return REDACTED_NAME + m.group(0)[-2:]  # "Mary Ann's"
    return m.group(0)[: m.start("last") - m.start()] + REDACTED_NAME + m.group(0)[-2:]


def _owned_by(m: re.Match[str]) -> str:
    name, name2 = m.group("name"), m.group("name2")
    if not name[0].isupper() or name.lower() in _PRODUCT_WORDS:
        return m.group(0)
    keep = m.group(0)[: m.start("name") - m.start()] + REDACTED_NAME
    if name2 is None:
        return keep
    if name2[0].isupper() and name2.lower() not in _PRODUCT_WORDS:  # "de Ana García"
        return keep
    return keep + m.group(0)[m.end("name") - m.start() :]


def redact_device_name(label: str) -> str:
    """``label`` without the owner's name that phones and headsets put in their names."""
    return _OWNED_BY.sub(_owned_by, _POSSESSIVE.sub(_possessive, label))


def _other_home(m: re.Match[str]) -> str:
    if m.group("name").lower() in _NOT_PEOPLE:
        return m.group(0)
    return m.group("root") + OTHER_HOME_USER


class Redactor:
    """Redacts the strings and keys of one report, consistently.

    One instance per report: it numbers interface names that embed a MAC address
    (``enx-mac``, ``enx-mac2``) in the order it meets them, so the same name becomes the same
    placeholder in every key and text of that report.
    """

    def __init__(self, usernames: Iterable[str] = (), devices: Iterable[str] = ()) -> None:
        self._devices = {d: redact_device_name(d) for d in sorted(set(devices), key=len, reverse=True)}
        self._devices = {d: r for d, r in self._devices.items() if d != r}
        self._ifaces: dict[str, str] = {}
        self._per_prefix: dict[str, int] = {}
        self._users = sorted({u for u in usernames if u and u not in (REDACTED_USER,)}, key=len, reverse=True)
        home = _home()
        self._home = None if home is None else _home_pattern(home)

    def _iface(self, m: re.Match[str]) -> str:
        name = m.group(0).lower()
        if name not in self._ifaces:
            prefix = m.group("prefix").lower()
            n = self._per_prefix.get(prefix, 0) + 1
            self._per_prefix[prefix] = n
            self._ifaces[name] = f"{prefix}-mac" + ("" if n == 1 else str(n))
        return self._ifaces[name]

    def key(self, key: str) -> str:
        """A measurement or evidence key with MAC-bearing interface names replaced."""
        return _MAC_IFACE.sub(self._iface, key)

    def text(self, text: str) -> str:
        """``text`` with everything in the module docstring replaced by placeholders."""
        text = _CANDIDATE.sub(REDACTED_CANDIDATE, text)
        text = _URL_USERINFO.sub(lambda m: m.group("scheme") + REDACTED_USER + "@", text)
        text = _QUERY_SECRET.sub(lambda m: m.group("name") + "=" + REDACTED_SECRET, text)
        text = _QUERY_USER.sub(lambda m: m.group("name") + "=" + REDACTED_USER, text)
        text = _SAID_USER.sub(lambda m: m.group("name") + m.group("q") + REDACTED_USER + m.group("q"), text)
        for device, safe in self._devices.items():
            text = text.replace(device, safe)
        for user in self._users:
            for quoted in (repr(user), f'"{user}"', f"'{user}'"):
                text = text.replace(quoted, quoted[0] + REDACTED_USER + quoted[-1])
        text = _EMAIL.sub(REDACTED_EMAIL, text)
        if self._home is not None:
            text = self._home.sub("~", text)
        text = _OTHER_HOME.sub(_other_home, text)
        text = _OTHER_HOME_WIN.sub(_other_home, text)
        text = _BRACKETED.sub(lambda m: REDACTED_IP if _looks_ipv6(m.group(1)) else m.group(0), text)
        text = _IPV6_RUN.sub(_ipv6_run, text)
        text = _IPV4.sub(lambda m: REDACTED_IP if _is_ipv4(m.group(0)) else m.group(0), text)
        text = _MAC_IFACE.sub(self._iface, text)
        return _MAC.sub(REDACTED_MAC, text)

    def value(self, key: str, v: Value) -> Value:
        if isinstance(v, tuple):
            return tuple(self.text(s) for s in v)
        if not isinstance(v, str):
            return v
        if _is_username_key(key) and v:
            return REDACTED_USER
        if _is_device_key(key):
            v = redact_device_name(v)
        return self.text(v)

    def measurement(self, m: Measurement) -> Measurement:
        return Measurement(self.key(m.key), self.value(m.key, m.value), m.unit, m.samples)

    def mapping(self, values: Mapping[str, Value]) -> dict[str, Value]:
        return {self.key(k): self.value(k, v) for k, v in values.items()}

    def wording(self, w: Wording) -> Wording:
        return Wording(title=self.text(w.title), text=self.text(w.text), steps=tuple(self.text(s) for s in w.steps))

    def finding(self, f: Finding) -> Finding:
        wording: Mapping[Audience, Wording] = {a: self.wording(w) for a, w in f.wording.items()}
        return replace(f, wording=wording, evidence=self.mapping(f.evidence))

    def result(self, r: ProbeResult) -> ProbeResult:
        return replace(
            r,
            measurements=tuple(self.measurement(m) for m in r.measurements),
            findings=tuple(self.finding(f) for f in r.findings),
            skip_reason=None if r.skip_reason is None else self.text(r.skip_reason),
            error=None if r.error is None else self.text(r.error),
        )


def _is_username_key(key: str) -> bool:
    return key == "username" or key.endswith((".username", "_username"))


def _is_device_key(key: str) -> bool:
    return key.endswith((".device", ".microphone", ".speaker", ".camera"))


def _values_under(
    is_key: Callable[[str], bool], measurements: Iterable[Measurement], evidence: Iterable[Mapping[str, Value]]
) -> set[str]:
    found = {m.value for m in measurements if is_key(m.key) and isinstance(m.value, str)}
    for e in evidence:
        found |= {v for k, v in e.items() if is_key(k) and isinstance(v, str)}
    return {u for u in found if u}


def usernames_in(measurements: Iterable[Measurement], evidence: Iterable[Mapping[str, Value]] = ()) -> set[str]:
    """The user names recorded under ``….username`` keys (what :class:`Redactor` hides)."""
    return _values_under(_is_username_key, measurements, evidence)


def _redactor_for(measurements: Iterable[Measurement], evidence: Iterable[Mapping[str, Value]] = ()) -> Redactor:
    ms, ev = list(measurements), list(evidence)
    return Redactor(usernames_in(ms, ev), _values_under(_is_device_key, ms, ev))


def redact_text(text: str) -> str:
    """``text`` with addresses, candidates, MACs, user names in URLs and home paths replaced."""
    return Redactor().text(text)


def redact_measurements(measurements: Iterable[Measurement]) -> list[Measurement]:
    """Measurements redacted as one report would be (keys too): what may leave this computer."""
    ms = list(measurements)
    r = _redactor_for(ms)
    return [r.measurement(m) for m in ms]


def redact_host(host: Mapping[str, Value]) -> dict[str, Value]:
    """Host facts redacted like a report's."""
    return Redactor().mapping(host)


def redact_report(report: Report) -> Report:
    """A copy of ``report`` with everything the module docstring lists removed, marked ``redacted``."""
    r = _redactor_for(
        (m for x in report.results for m in x.measurements),
        (f.evidence for x in report.results for f in x.findings),
    )
    return replace(
        report,
        host=r.mapping(report.host),
        verdict_reason=r.text(report.verdict_reason),
        results=tuple(r.result(x) for x in report.results),
        redacted=True,
    )
