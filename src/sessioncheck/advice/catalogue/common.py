"""Short phrases every part uses: skip reasons, errors, the verdict, status labels, the CLI's
and the report's lines."""

from __future__ import annotations

PHRASES: dict[str, str] = {
    "skip.cancelled": "The check was stopped before this test finished.",
    "skip.dependency": "This was not tested because {dependency} did not succeed.",
    "skip.not_requested": "Not requested.",
    "skip.path_no_server": (
        "The connection to your clinic was not tested because no check server is set up. "
        "Ask your clinic for its check server address and run the check again with it."
    ),
    "skip.loopback_no_network": "This computer has no network connection, so a test call could not be made.",
    "error.timeout": "The test did not finish within {seconds} seconds.",
    # titles of user-facing errors (sessioncheck.errors.SessioncheckError.title_key)
    "error.title.usage": "Check the command",
    "error.title.settings": "Check the settings",
    "error.title.report_file": "This report file cannot be used",
    "error.title.server": "The check server cannot be used",
    "error.title.device": "This device cannot be used",
    "error.title.lab": "The test lab cannot run here",
    "verdict.video": "Everything needed for a video session works.",
    "verdict.partly": "{gaps} Everything else we tested is ready for a video session.",
    "verdict.partly_nothing": "{gaps} Run the whole check to know if you are ready.",
    "verdict.not_tested": "We could not test {what}.",
    "verdict.stopped_early": "The check was stopped before it finished.",
    "verdict.list_and": "{first} and {last}",
    "verdict.untested.system": "your computer",
    "verdict.untested.ice": "the clinic's call servers",
    "verdict.untested.path": "your connection to the clinic",
    "verdict.untested.camera": "your camera",
    "verdict.untested.microphone": "your microphone",
    "verdict.untested.speaker": "your speaker",
    "verdict.untested.peer": "the connection between you and the other person",
    "verdict.title.partly": "Partly checked",
    "verdict.audio_only": "{reason} Use audio only for this session.",
    "verdict.phone": "{reason} Call your therapist by phone instead.",
    "verdict.title.video": "Ready for a video session",
    "verdict.title.audio_only": "Ready for an audio-only session",
    "verdict.title.phone": "Not ready: call by phone instead",
    "status.pass": "OK",
    "status.warn": "Needs attention",
    "status.fail": "Problem",
    "status.skip": "Not tested",
    "status.error": "Could not test",
    "cli.stopping": "Stopping... the results so far will be kept (press Ctrl-C again to quit at once).",
    "cli.stopped": "Stopped.",
    "cli.crash": "Sorry: sessioncheck itself ran into a problem. This is not a problem with your "
    "computer or your connection.",
    "cli.crash.report_saved": "The results so far were saved to {path}.",
    "cli.crash.what_to_do": "What to do: run it again. If this happens again, send the file {log} "
    "to your clinic's support. It holds the details, with network addresses and passwords removed.",
    "cli.crash.no_log": "What to do: run it again. If this happens again, tell your clinic's support "
    "(the details could not be saved: {reason}).",
    "report.interrupted": "The check was stopped early; these are the results so far.",
    "report.what_to_do": "What to do now:",
    "report.details": "Details:",
    "report.footer": "Checked {created} with sessioncheck {version}. {redacted}",
    "report.redacted": "Network addresses and other details that could identify you or this computer "
    "(hardware addresses, user names, your home folder's name) were removed from this report.",
    "report.not_redacted": "This report contains network addresses and may contain other details that "
    "identify you or this computer.",
}
