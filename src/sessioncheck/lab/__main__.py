"""``python -m sessioncheck.lab run FILES...``: run scenarios, compare, exit non-zero on a miss.

Exit codes: 0 every scenario met its expectations; 1 something missed or a scenario could
not run; 2 bad usage or a malformed scenario file; 3 the lab (or, for ``[virtual_audio]``
scenarios, a private PulseAudio) cannot be built here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .netns import LabUnavailable, lab_available
from .pulse import pulse_missing
from .runner import format_outcome, run_scenario
from .scenario import ScenarioError, load_scenarios


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m sessioncheck.lab",
        description="Network lab for sessioncheck: run scenario files on real shaped links.",
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run scenarios and compare with their [expect] tables")
    r.add_argument(
        "files",
        nargs="+",
        help="scenario .toml files or folders of them (subfolders too: `scenarios` is the whole catalogue)",
    )
    r.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    r.add_argument("--references", action="store_true", help="also measure each link with iperf3 and a UDP echo")
    sub.add_parser("check", help="say whether the lab can be built on this machine")
    args = p.parse_args(argv)

    if args.cmd == "check":
        why = lab_available()
        print("the lab works here" if why is None else f"the lab cannot run here: {why}")
        return 0 if why is None else 3

    try:
        scenarios = load_scenarios(args.files)
    except ScenarioError as e:
        print(f"sessioncheck.lab: {e}", file=sys.stderr)
        return 2
    if any(s.network is not None for s in scenarios):
        why = lab_available()
        if why is not None:
            print(f"sessioncheck.lab: the network lab cannot run here: {why}", file=sys.stderr)
            return 3
    if any(s.virtual_audio is not None for s in scenarios):
        why = pulse_missing()
        if why is not None:
            print(f"sessioncheck.lab: the virtual speaker and microphone cannot run here: {why}", file=sys.stderr)
            return 3

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    outcomes = []
    for s in scenarios:
        log(f"running {s.name} …")
        try:
            o = run_scenario(s, references=args.references, log=log)
        except LabUnavailable as e:
            log(f"sessioncheck.lab: the network lab cannot run here: {e}")
            return 3
        outcomes.append(o)
        if not args.json:
            print(format_outcome(o), flush=True)
    failed = [o for o in outcomes if not o.passed]
    if args.json:
        print(json.dumps([o.to_dict() for o in outcomes], indent=2, allow_nan=False, default=str))
    else:
        print(
            f"\n{len(outcomes) - len(failed)} of {len(outcomes)} scenarios passed"
            + (f"; missed: {', '.join(o.scenario.name for o in failed)}" if failed else "")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
