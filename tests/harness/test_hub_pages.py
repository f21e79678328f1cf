"""The played hub's answer to Image Page Request (conformance/harness/hub_pages.py)."""

from __future__ import annotations

from collections.abc import Callable

from hanota.conformance.harness.hub_pages import PageServer
from hanota.conformance.models.clock import VirtualClock
from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import DefaultResponse, Status

IDENTITY = (0x1234, 0x0102, 0x0100_0002)
PART = bytes(range(256)) * 4  # 1,024 octets


def _server(*, serving: bool = False, blocks_per_page: int | None = None,
            ) -> tuple[VirtualClock, PageServer, list[tuple[int, int, oc.Command]]]:
    clock = VirtualClock()
    out: list[tuple[int, int, oc.Command]] = []
    server = PageServer(clock, lambda cmd, tsn: out.append((clock.now_ms, tsn, cmd)), serving=serving,
                        blocks_per_page=blocks_per_page)
    return clock, server, out


def _request(offset: int = 0, page: int = 256, size: int = 64, spacing: int = 50) -> oc.ImagePageRequest:
    return oc.ImagePageRequest(*IDENTITY, file_offset=offset, maximum_data_size=size, page_size=page,
                               response_spacing=spacing)


def _noted(into: list[tuple[int, int]]) -> Callable[[int, int], None]:
    return lambda offset, length: into.append((offset, length))


def test_by_default_page_requests_are_unsupported() -> None:
    _, server, out = _server()
    server.on_request(7, _request(), PART, IDENTITY, _noted([]))
    ((_, tsn, answer),) = out
    assert tsn == 7 and answer == DefaultResponse(command_id=oc.CommandId.IMAGE_PAGE_REQUEST,
                                                  status=Status.UNSUP_CLUSTER_COMMAND,
                                                  direction=answer.direction)
    assert server.pages == []


def test_a_page_is_served_in_blocks_response_spacing_apart_with_the_request_tsn() -> None:
    clock, server, out = _server(serving=True)
    served: list[tuple[int, int]] = []
    server.on_request(7, _request(offset=100, page=200, size=64, spacing=50), PART, IDENTITY, _noted(served))
    clock.advance_to(1_000)
    assert [(t, tsn) for t, tsn, _ in out] == [(0, 7), (50, 7), (100, 7), (150, 7)]
    blocks = [cmd for _, _, cmd in out]
    assert all(isinstance(b, oc.ImageBlockResponse) and b.status == Status.SUCCESS for b in blocks)
    assert served == [(100, 64), (164, 64), (228, 64), (292, 8)]
    assert [bytes(b.image_data or b"") for b in blocks if isinstance(b, oc.ImageBlockResponse)] == \
        [PART[100:164], PART[164:228], PART[228:292], PART[292:300]]
    assert server.pages[0].sent == 4 and server.pages[0].overlapped_at_ms is None


def test_a_request_during_a_page_stops_it_and_is_recorded() -> None:
    clock, server, out = _server(serving=True)
    server.on_request(1, _request(page=512), PART, IDENTITY, _noted([]))
    clock.advance_to(60)
    server.on_request(2, _request(offset=128, page=64), PART, IDENTITY, _noted([]))
    clock.advance_to(10_000)
    assert server.pages[0].overlapped_at_ms == 60 and server.pages[0].sent == 2
    assert [tsn for _, tsn, _ in out] == [1, 1, 2]


def test_short_pages_and_requests_past_the_end() -> None:
    clock, server, out = _server(serving=True, blocks_per_page=2)
    server.on_request(1, _request(page=512), PART, IDENTITY, _noted([]))
    clock.advance_to(10_000)
    assert len(out) == 2
    server.on_request(3, _request(offset=len(PART)), PART, IDENTITY, _noted([]))
    server.on_request(4, _request(), None, IDENTITY, _noted([]))
    assert [cmd for _, _, cmd in out[2:]] == [oc.ImageBlockResponse(status=Status.ABORT)] * 2
