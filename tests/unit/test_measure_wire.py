"""The wire format: probe packets."""

from __future__ import annotations

from sessioncheck.rtc.measure.wire import KIND_PACED, pack, unpack


def test_pack_unpack_round_trip_and_padding() -> None:
    data = pack(KIND_PACED, 7, 12345, 987.5, 64)
    assert len(data) == 64
    assert unpack(data) == (KIND_PACED, 7, 12345, 987.5)
    assert unpack(data[:5]) is None
