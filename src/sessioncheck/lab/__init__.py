"""The network impairment lab: kernel-shaped links in namespaces, and the scenario runner.

* :mod:`.netns` — client, router and server namespaces joined by veth (:class:`Lab`).
* :mod:`.shaping` — rate, queue, loss and blocked UDP in the router; :mod:`.delay` — the
  userspace NFQUEUE delay/jitter stage (this kernel has no netem).
* :mod:`.measure` — reference measurements: iperf3 and a UDP echo with one-way delays.
* :mod:`.turn` — coturn in the server namespace for the blocked-UDP fallback.
* :mod:`.scenario` / :mod:`.runner` — scenario files (``scenarios/network/*.toml``) and
  ``python -m sessioncheck.lab run FILES...``.
"""

from __future__ import annotations

from .netns import Lab, LabCommandError, LabUnavailable, lab_available

__all__ = ["Lab", "LabCommandError", "LabUnavailable", "lab_available"]
