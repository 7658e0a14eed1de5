"""The verdict banner: ready for video / audio only / call by phone, with the reason."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...advice import catalogue
from ...model import Report, Verdict

MARKS = {Verdict.VIDEO: "✔", Verdict.AUDIO_ONLY: "!", Verdict.PHONE: "✖"}
"""A mark per verdict, so the meaning never depends on colour alone (NO_COLOR, colour blindness)."""


class VerdictBanner(Static):
    """Shows the report's verdict title and reason; styled per verdict in app.tcss."""

    def __init__(self, report: Report, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show(report)

    def show(self, report: Report) -> None:
        partly = report.verdict is Verdict.VIDEO and not report.verdict_complete
        for v in Verdict:
            self.set_class(report.verdict is v and not partly, f"-{v.value}")
        self.set_class(partly, "-partly")
        mark = "!" if partly else MARKS[report.verdict]
        title = catalogue.verdict_title(report.verdict, complete=report.verdict_complete)
        text = Text()
        text.append(f"{mark} {title}", style="bold")
        text.append("\n")
        text.append(report.verdict_reason)
        if report.interrupted:
            text.append("\n")
            text.append(catalogue.phrase("report.interrupted"), style="italic")
        self.update(text)
