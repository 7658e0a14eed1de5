"""The measurement protocols over WebRTC data channels, one concept a module.

* :mod:`.wire` — channels, packet layout, control messages, protocol limits
* :mod:`.meters` — receive-side counters: RFC 3550 jitter, blast packets, decoded frames
* :mod:`.blast` — the capacity blast: its sender and the rules that read its windows
* :mod:`.timing` — pure timing and loss rules (budgets, stall, drain, loss-packet counts)
* :mod:`.results` — the plan and what each phase returns
* :mod:`.core` — the measurer's plumbing: requests, pings, the stall watchdog
* :mod:`.idle`, :mod:`.loss`, :mod:`.capacity`, :mod:`.bulk` — the measurer's phases
* :mod:`.measurer` — :class:`~.measurer.Measurer`, the phases put together
* :mod:`.media` — the media leg: generated tracks, send and receive statistics
* :mod:`.responder` — the side that answers

aiortc's private API is used only through :mod:`sessioncheck.rtc.aiortc_private`.
"""
