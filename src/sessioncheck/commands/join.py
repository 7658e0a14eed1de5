"""``sessioncheck join CODE``: the client joins the therapist's peer test."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .host import add_common, run_peer, settings_for
from .terminal import stop_on_signals

if TYPE_CHECKING:
    from .terminal import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "join",
        help="client: join the connection test your therapist started, with their code",
        description=(
            "Join your therapist's connection test with the code they read to you (any case, "
            "dashes optional). Both computers then test the connection between them; you get "
            "the same report as your therapist, worded for you."
        ),
    )
    p.add_argument("code", metavar="CODE", help="the code your therapist gave you, e.g. 4KQ-7PZ-M2X")
    add_common(p)
    p.set_defaults(func=run_join)


def run_join(args: argparse.Namespace) -> int:
    stop_on_signals()  # SIGTERM/SIGHUP while importing act like Ctrl-C
    from ..peer.session import join

    settings, server = settings_for(args)
    test = join(args.code, settings, server)
    return run_peer(args, test, settings)
