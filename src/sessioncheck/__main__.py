"""``python -m sessioncheck`` and the ``sessioncheck`` console script."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C while Python is still importing: one line, no traceback
        print("sessioncheck: Stopped.", file=sys.stderr)
        sys.exit(130)
    sys.exit(cli_main())


if __name__ == "__main__":
    main()
