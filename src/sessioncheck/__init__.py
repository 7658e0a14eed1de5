"""sessioncheck: WebRTC connection-quality checks for online therapy sessions."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sessioncheck")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
