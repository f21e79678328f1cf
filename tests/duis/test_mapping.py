"""The reference DCC's answers and alerts survive the trip through DUIS as the suite reads them."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import hanota.protocol.duis as d
from hanota.conformance.duis.mapping import alert_to_duis, answer_from_duis, answer_to_duis, seen_from_duis
from hanota.conformance.models.service_request import (
    Acknowledged,
    DeviceRejection,
    FirmwareConfirmedAlert,
    Rejected,
    RejectReason,
    RequestProcessedAlert,
    TransferOutcomeAlert,
    WarningResponse,
)

EPOCH = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
RID = d.RequestId(0x90B3D51F30010000, 0x90B3D51F30000002, 7)
TO_A = d.RequestId(0x90B3D51F30000002, 0x90B3D51F30010000, 1)
eui = st.integers(0, 2**64 - 1)


def _trip(response: d.Response) -> d.Response:
    return d.read_response(d.parse(etree.tostring(d.build_response(response))))


@st.composite
def answers(draw):
    devices = draw(st.lists(eui, min_size=1, max_size=6, unique=True))
    cut = draw(st.integers(0, len(devices)))
    accepted, refused = tuple(devices[:cut]), devices[cut:]
    reasons = st.sampled_from(list(RejectReason))
    invalid = tuple(DeviceRejection(x, draw(reasons), "") for x in refused)
    if not refused:
        return tuple(devices), Acknowledged(RID.text(), accepted)
    if accepted:
        return tuple(devices), WarningResponse(RID.text(), accepted, invalid)
    return tuple(devices), Rejected(RID.text(), draw(reasons), "", invalid)


@settings(max_examples=80, deadline=None)
@given(answers())
def test_answers_read_back_as_the_same_decision(case):
    devices, answer = case
    got = answer_from_duis(_trip(answer_to_duis(answer, RID, TO_A, EPOCH)), devices)
    assert type(got) is type(answer)
    assert got.request_id == RID.text()
    if not isinstance(answer, Rejected):
        assert set(got.devices) == set(answer.devices)
    def refused(x):
        return {r.device for r in getattr(x, "invalid", ())}

    assert refused(got) == refused(answer)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 3), eui, st.integers(0, 10**9), st.integers(0, 10**6), st.integers(0, 2**32 - 1))
def test_alerts_read_back_as_the_features_alerts(which, device, raised, delay, version):
    delivered = raised + delay
    base = {"supplier": "Supplier A", "device": device, "request_id": RID.text(), "time_ms": raised,
            "delivered_ms": delivered, "recipients": ("Supplier A",)}
    alert, kind = [
        (RequestProcessedAlert(**base, file_version=version), "(a)"),
        (FirmwareConfirmedAlert(**base, firmware_version=version, matches_request=True), "(c)"),
        (TransferOutcomeAlert(**base, response_code=0, hub_time_ms=raised), "transfer outcome"),
        (TransferOutcomeAlert(**base, response_code=1, hub_time_ms=raised), "Image Discarded"),
    ][which]
    seen = seen_from_duis(_trip(alert_to_duis(alert, 1, RID, TO_A, EPOCH, version)), "Supplier A", delivered,
                          EPOCH)
    assert seen is not None and seen.kind == kind
    assert (seen.device, seen.request_id, seen.raised_ms, seen.delivered_ms) == (device, RID.text(), raised,
                                                                                delivered)
    assert seen.recipients == ("Supplier A",)
    if kind in ("(a)", "(c)"):
        assert seen.file_version == version


@settings(max_examples=40, deadline=None)
@given(eui, st.integers(0, 10**9), st.integers(0, 10**6), st.sampled_from([0, 1]),
       st.one_of(st.none(), st.integers(0, 2**32 - 1)))
def test_alert_c_carries_the_8f8b_execution_time_and_names_no_version_after_a_failed_read(
        device, executed, delay, activate, version):
    """Alert (c) over DUIS (issue 17, SECMP7-SEC-003 / 004): PPMIDAlert's Timestamp is 0x8F8B's
    executionDateTime; a read that failed is a PPMIDAlert without PPMIDFirmwareUpgradeAlert,
    which the suite reads as CS08 responseCode 1 (one with a version as 0)."""
    read_at = executed + 1_800_000
    alert = FirmwareConfirmedAlert("Supplier A", device, RID.text(), read_at, read_at + delay,
                                   ("Supplier A",), firmware_version=version,
                                   read_response_code=0 if version is not None else 1,
                                   device_alert_code=0x8F8B, activate_image=activate,
                                   executed_ms=executed // 1000 * 1000)
    message = _trip(alert_to_duis(alert, 1, RID, TO_A, EPOCH))
    body = message.body.alert
    assert (body.firmware_version is None) == (version is None)
    seen = seen_from_duis(message, "Supplier A", read_at + delay, EPOCH)
    assert seen is not None and seen.kind == "(c)" and seen.device_alert_code == 0x8F8B
    assert seen.executed_ms == executed // 1000 * 1000
    assert (seen.file_version, seen.read_response_code) == (version, 0 if version is not None else 1)
    assert seen.activate_image == (None if version is None else activate)
