"""The reference device's requests to its server (conformance/models/device_requests.py): Image
Page Requests and the fall-back to Image Block Requests, and asking again while it waits."""

from __future__ import annotations

from typing import Any

from hanota.conformance.models.device import DeviceState, OtaDevice
from hanota.conformance.models.device_requests import DEFAULT_PAGE_SIZE
from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import DefaultResponse, Direction, Status
from tests.models.test_device import NEW, block, end_response, image, make, offer, send, sent, serve

WAIT = oc.UPGRADE_TIME_WAIT_FOR_COMMAND
BIG = image(size=3 * DEFAULT_PAGE_SIZE)  # several pages


def _first_page(**kw: Any) -> tuple[Any, OtaDevice, oc.ImagePageRequest]:
    clock, dev = make(page_requests=True, **kw)
    dev.query_now()
    sent(dev)
    send(dev, offer(BIG))
    (request,) = sent(dev)
    assert isinstance(request, oc.ImagePageRequest)
    return clock, dev, request


def test_a_page_is_asked_for_and_taken_whole_before_the_next() -> None:
    _, dev, first = _first_page()
    assert (first.file_offset, first.page_size, first.maximum_data_size) == (0, DEFAULT_PAGE_SIZE, 64)
    for offset in range(0, DEFAULT_PAGE_SIZE, 64):
        assert sent(dev) == []  # nothing asked while the page is arriving
        send(dev, block(BIG, offset))
    (nxt,) = sent(dev)
    assert isinstance(nxt, oc.ImagePageRequest) and nxt.file_offset == DEFAULT_PAGE_SIZE


def test_a_short_page_is_asked_for_again_from_the_data_received() -> None:
    clock, dev, _ = _first_page()
    for offset in (0, 64, 128):
        send(dev, block(BIG, offset))
    assert sent(dev) == []
    clock.advance_to(clock.next_due_ms() or 0)  # the response timeout of the missing block
    (again,) = sent(dev)
    assert isinstance(again, oc.ImagePageRequest) and again.file_offset == 192


def test_a_hub_that_serves_no_pages_is_asked_by_blocks() -> None:
    _, dev, _ = _first_page()
    send(dev, DefaultResponse(command_id=oc.CommandId.IMAGE_PAGE_REQUEST, status=Status.UNSUP_CLUSTER_COMMAND,
                              direction=Direction.SERVER_TO_CLIENT))
    (request,) = sent(dev)
    assert isinstance(request, oc.ImageBlockRequest) and request.file_offset == 0
    send(dev, block(BIG, 0))
    (nxt,) = sent(dev)
    assert isinstance(nxt, oc.ImageBlockRequest) and nxt.file_offset == 64
    assert dev.state is DeviceState.BLOCK_REQUESTED


def test_other_default_responses_change_nothing() -> None:
    _, dev, _ = _first_page()
    send(dev, DefaultResponse(command_id=oc.CommandId.IMAGE_PAGE_REQUEST, status=Status.FAILURE,
                              direction=Direction.SERVER_TO_CLIENT))
    send(dev, DefaultResponse(command_id=oc.CommandId.IMAGE_PAGE_REQUEST, status=Status.UNSUP_CLUSTER_COMMAND,
                              direction=Direction.SERVER_TO_CLIENT), src=0x0012_4B00_0000_00FF)
    assert sent(dev) == []


def _waiting(wait_poll_ms: int) -> tuple[Any, OtaDevice]:
    clock, dev = make(wait_poll_ms=wait_poll_ms)
    dev.query_now()
    serve(dev, clock)
    send(dev, end_response(WAIT))
    assert dev.state is DeviceState.WAITING_TO_UPGRADE
    return clock, dev


def test_told_to_wait_the_device_asks_again_every_poll_interval() -> None:
    clock, dev = _waiting(3_600_000)
    asked: list[int] = []
    for _ in range(3):
        clock.advance_to(clock.now_ms + 3_600_000)
        (again,) = sent(dev)
        assert isinstance(again, oc.UpgradeEndRequest)
        assert (again.status, again.file_version) == (Status.SUCCESS, NEW)
        asked.append(clock.now_ms)
        send(dev, end_response(WAIT))  # the hub says wait again
    assert dev.state is DeviceState.WAITING_TO_UPGRADE and len(asked) == 3


def test_without_a_poll_interval_the_device_waits_silently() -> None:
    clock, dev = _waiting(0)
    clock.advance_to(clock.now_ms + 10 * 3_600_000)
    assert sent(dev) == [] and clock.next_due_ms() is None
