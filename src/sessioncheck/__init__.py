"""sessioncheck: WebRTC connection-quality checks for online therapy sessions."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up on first use: importlib.metadata costs ~30 ms at start-up,
    # which every command (and a Ctrl-C in the first moments) would otherwise pay.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("sessioncheck")
        except PackageNotFoundError:  # running from a source tree that was not installed
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
