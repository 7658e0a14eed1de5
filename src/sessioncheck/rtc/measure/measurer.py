"""The measurer: drives a path test over the channels it creates (see :mod:`.wire`).

:class:`Measurer` is the plumbing of :class:`.core.MeasurerCore` with each phase mixed in
from its own module: the idle phase (:mod:`.idle`), loss streams (:mod:`.loss`), capacity
(:mod:`.capacity`) and the reliable-channel variant (:mod:`.bulk`). The media leg is
:func:`.media.run_media`.
"""

from __future__ import annotations

from .bulk import BulkPhase
from .capacity import CapacityPhase
from .idle import IdlePhase
from .loss import LossStreams


class Measurer(IdlePhase, LossStreams, CapacityPhase, BulkPhase):
    """Drives the path test over channels it creates on ``pc`` (call before the offer).

    Phases of a path test: :meth:`idle` (quiet pings, then paced packets both ways) →
    :meth:`upload` → :meth:`download`, with an upload loss stream (:meth:`send_stream`) →
    the media leg, with a download loss stream (:meth:`request_stream`)."""
