"""What the codec builds parses back to the same values, and is valid against DUIS 5.4."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import hanota.protocol.duis as d
from hanota.protocol.gbcs import FirmwareTransferResponseCode

eui = st.integers(0, 2**64 - 1)
counter = st.integers(0, 2**64 - 1)
version = st.integers(0, 2**32 - 1)
when = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31),
                    timezones=st.just(UTC)).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
rid = st.builds(d.RequestId, eui, eui, counter)
devices = st.lists(eui, min_size=1, max_size=20).map(tuple)

bodies = st.one_of(
    st.builds(d.UpdatePPMIDFirmware, st.binary(max_size=300), version, devices),
    st.builds(d.UpdateFirmware, st.binary(max_size=300), version, devices),
    st.builds(d.ActivateFirmware, st.binary(min_size=32, max_size=32), st.none() | when),
    st.builds(d.ReadFirmwareVersion, st.none() | when),
    st.builds(d.ReadInventory, eui),
)
_CV = {"11.4": 8, "11.1": 8, "11.3": 4, "11.2": 1, "8.2": 8}


@st.composite
def requests(draw):
    body = draw(bodies)
    header = d.RequestHeader(draw(rid), _CV[body.service], body.service, body.service)
    return d.Request(header, body)


warnings = st.builds(d.PPMIDFirmwareWarning, *(st.lists(eui, max_size=4).map(tuple) for _ in range(5)))
alerts = st.one_of(
    st.builds(d.PPMIDAlert, eui, st.just(0x8F8B), st.none() | when, version, st.booleans()),
    st.builds(d.PPMIDAlert, eui, st.just(0x8F8B), st.none() | when),  # no version read
    st.builds(d.CommsHubAlert, eui, st.sampled_from([0x8F8A, 0x8F89]), st.none() | when,
              st.builds(d.FirmwareTransferAlert, eui, version,
                        st.sampled_from(list(FirmwareTransferResponseCode)), st.none() | rid)),
    st.builds(d.CSPFirmwareDeliveryStatus, rid, eui, eui, version, when, st.booleans()),
)
response_bodies = st.one_of(
    st.builds(d.ResponseMessage, st.just("11.4"), st.just("11.4"), st.none() | warnings),
    st.builds(d.ResponseMessage, st.just("11.2"), st.just("11.2"), st.none(),
              st.binary(min_size=1, max_size=80)),
    st.builds(d.DccAlertMessage, st.sampled_from(["N60", "N61"]), alerts),
    st.builds(d.DeviceAlertMessage, st.sampled_from([0x8F8B, 0x8F66]), st.binary(min_size=1, max_size=80)),
)
codes = st.sampled_from(["I0", "I99", "W050201", "E50"])
responses = st.builds(d.Response, st.builds(d.ResponseHeader, codes, when, st.none() | rid, st.none() | rid),
                      response_bodies)

_SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _roundtrip(root):
    return d.parse(etree.tostring(root))


@_SLOW
@given(requests())
def test_requests_round_trip_and_validate(schema, request):
    root = _roundtrip(d.build_request(request))
    assert d.read_request(root) == request
    schema.validate(root)


@_SLOW
@given(responses)
def test_responses_and_alerts_round_trip_and_validate(schema, response):
    if isinstance(response.body, d.ResponseMessage) and response.body.warning == d.PPMIDFirmwareWarning():
        response = d.Response(response.header, d.ResponseMessage("11.4", "11.4", None))
    root = _roundtrip(d.build_response(response))
    assert d.read_response(root) == response
    schema.validate(root)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests())
def test_signed_requests_verify_and_read_back(schema, supplier, request):
    signed = d.sign_request(request, supplier)
    doc = d.read_document(signed, schema=schema, certificates=[supplier.certificate])
    assert doc.message == request


def test_a_device_id_list_of_50000_devices_is_valid_and_reads_back(schema):
    ids = tuple(0x000D6F0000000000 + i for i in range(50_000))
    header = d.RequestHeader(d.RequestId(0x90B3D51F30010000, 0x90B3D51F30000002, 7), 8, "11.4", "11.4")
    request = d.Request(header, d.UpdatePPMIDFirmware(b"\x1e\xf1\xee\x0b" + bytes(60), 1, ids))
    root = _roundtrip(d.build_request(request))
    schema.validate(root)
    assert d.read_request(root).body.device_ids == ids
