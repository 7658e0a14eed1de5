"""Reports: versioned JSON, text rendering, redaction and safe saving."""

from .io import ReportFileError, load_report, save_report
from .redact import redact_report
from .text import render_text

__all__ = ["ReportFileError", "load_report", "redact_report", "render_text", "save_report"]
