"""Results: the verdict, the top fixes in the reader's wording, and details per probe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Collapsible, Footer, Label, Static

from ...advice import catalogue
from ...model import Audience, Finding, Measurement, ProbeResult, Report, Severity, Value
from ..widgets.probe_row import STATUS_MARKS, probe_name
from ..widgets.title import TitleBar
from ..widgets.verdict import VerdictBanner

P = catalogue.phrase

SEVERITY_MARKS = {Severity.INFO: "i", Severity.WARN: "!", Severity.FAIL: "✖"}
"""A mark per finding severity (not per probe status: ``info`` is no status)."""


def format_measurement(m: Measurement, related: Mapping[str, Value]) -> str:
    value = m.value
    if isinstance(value, float):
        shown = f"{value:.3f}".rstrip("0").rstrip(".")
    elif value is None:
        shown = "–"
    elif isinstance(value, tuple):
        shown = ", ".join(value)
    else:
        shown = catalogue.value_text(m.key, value, related) or str(value)
    unit = f" {m.unit}" if m.unit and m.unit != "count" else ""
    extra = f"  ({len(m.samples)} samples)" if m.samples else ""
    return f"{m.key} = {shown}{unit}{extra}"


def finding_text(f: Finding, audience: Audience, *, evidence: bool) -> Text:
    w = f.for_audience(audience)
    text = Text()
    text.append(f"{SEVERITY_MARKS[f.severity]} {w.title}", style="bold")
    text.append(f"\n{w.text}")
    for i, step in enumerate(w.steps, 1):
        text.append(f"\n  {i}. {step}")
    if evidence and f.evidence:
        text.append(f"\n{P('tui.results.evidence')} ({f.code}):", style="italic")
        for k, v in f.evidence.items():
            text.append(f"\n  {k} = {', '.join(v) if isinstance(v, tuple) else v}")
    return text


class ResultsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "app.save_report", P("tui.key.save")),
        Binding("r", "app.start_check", P("tui.key.again")),
    ]

    def __init__(self, report: Report, audience: Audience, *, rerun: bool = True) -> None:
        super().__init__(name="results")
        self.report = report
        self.audience = audience
        self.rerun = rerun
        """Whether probes can be run again (not for a report opened from a file)."""

    def compose(self) -> ComposeResult:
        report, audience = self.report, self.audience
        yield TitleBar()
        with VerticalScroll(id="results"):
            yield VerdictBanner(report, id="verdict")
            with Horizontal(id="action-bar"):
                yield Button(P("tui.results.save"), id="save", variant="primary", compact=True)
                if self.rerun:
                    yield Button(P("tui.results.new_check"), id="again", compact=True)
                yield Label(P("tui.audience.label"), classes="audience-label")
                for a in Audience:
                    yield Button(
                        P(f"tui.audience.{a.value}"),
                        id=f"audience-{a.value}",
                        classes="audience" + (" -active" if a is audience else ""),
                        compact=True,
                    )
            yield Label(P("report.what_to_do"), classes="subheading")
            fixes = report.fixes()
            with Vertical(id="fixes"):
                if not fixes:
                    yield Static(P("tui.results.no_fixes"), classes="fix")
                for f in fixes:
                    support = audience is Audience.SUPPORT
                    yield Static(finding_text(f, audience, evidence=support), classes="fix")
            yield Label(P("report.details"), classes="subheading")
            for r in report.results:
                yield self._details(r)
        yield Footer()

    def _details(self, r: ProbeResult) -> Collapsible:
        support = self.audience is Audience.SUPPORT
        title = (
            f"{STATUS_MARKS[r.status]} {probe_name(r.probe)}: {P(f'status.{r.status.value}')} ({r.duration_s:.1f} s)"
        )
        body: list[Static | Button] = []
        if r.skip_reason:
            body.append(Static(P("tui.results.skipped", reason=r.skip_reason)))
        if r.error:
            body.append(Static(P("tui.results.error", error=r.error)))
        for f in r.findings:
            body.append(Static(finding_text(f, self.audience, evidence=support), classes="finding"))
        if not r.findings and not r.skip_reason and not r.error:
            body.append(Static(P("tui.results.all_fine")))
        shown = [m for m in r.measurements if support or m.unit]
        if shown:
            related = {x.key: x.value for x in r.measurements}
            lines = "\n".join(f"  {format_measurement(m, related)}" for m in shown)
            body.append(Static(f"{P('tui.results.measurements')}:\n{lines}", classes="measurements"))
        if self.rerun:
            body.append(Button(P("tui.results.run_again"), id=f"rerun-{r.probe}", classes="rerun", compact=True))
        return Collapsible(*body, title=title, collapsed=True, id=f"details-{r.probe}")

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id or ""
        if bid == "save":
            await self.app.run_action("save_report")
        elif bid == "again":
            await self.app.run_action("start_check")
        elif bid.startswith("audience-"):
            await self.app.run_action(f"set_audience('{bid.removeprefix('audience-')}')")
        elif bid.startswith("rerun-"):
            await self.app.run_action(f"rerun('{bid.removeprefix('rerun-')}')")
