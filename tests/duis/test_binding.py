"""The DUIS binding in one process: the reference DCC served over DUIS and the suite's DCC side.

What the suite sends validates against DUIS 5.4 and verifies with the Supplier's certificate;
what it counts as alerts is only what reached its response address signed by the DCC; each
alert's delivery time is the DCC clock when the suite received it.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hanota.conformance.dcc_http.server import WorldConfig
from hanota.conformance.models.service_request import Acknowledged, Rejected, WarningResponse

from .conftest import SCHEMA, need_vectors


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple]:
    need_vectors()
    from hanota.conformance.duis.client import DuisDccSide
    from hanota.conformance.duis.config import load_config, write_test_config
    from hanota.conformance.duis.server import DuisDccService, serve_duis
    from hanota.protocol.duis import load_schema

    config = load_config(write_test_config(tmp_path / "keys", schema=SCHEMA))
    schema = load_schema(SCHEMA)
    service = DuisDccService(WorldConfig(rules="as-implemented"), config, schema)
    with serve_duis(service) as server:
        base = f"http://127.0.0.1:{server.port}"
        side = DuisDccSide(base + "/duis", config.with_overrides(control=base + "/control"), schema,
                           listen=("127.0.0.1", 0), max_image_bytes=768_000, rules="as-implemented")
        side.control.reset(rules="as-implemented", seed=0)
        put = urllib.request.Request(base + "/control/duis/response-address",
                                     json.dumps({"url": side.receiver.url}).encode(), method="PUT")
        urllib.request.urlopen(put).read()
        made = side.add_premises(devices=["ppmid"])
        try:
            yield side, service, int(made["devices"][0]["eui64"], 16), config
        finally:
            side.close()


def _image(service, device: int, bump: int = 1) -> tuple[bytes, int]:
    world = service.world
    premises = next(p for p in world.premises if device in p.specs)
    model = next(d for d in premises.devices.values() if d.eui64 == device)
    version = premises.specs[device].file_version + bump
    return world.make_image(model, payload_size=512, file_version=version), version


def test_a_whole_update_over_duis(world):
    side, service, ppmid, _ = world
    image, version = _image(service, ppmid)
    sent = side.submit("Supplier A", [ppmid], image, label="new", file_version=version)
    assert isinstance(sent.response, Acknowledged)
    side.advance(3_600_000)
    for supplier in ("Supplier A", "Supplier B"):
        kinds = sorted(a.kind for a in side.alerts_for(supplier))
        assert kinds == ["(a)", "(c)", "transfer outcome"], kinds
        assert all(a.recipients == (supplier,) and a.request_id == sent.request_id
                   for a in side.alerts_for(supplier))
    (c,) = [a for a in side.alerts_for("Supplier A") if a.kind == "(c)"]
    assert c.file_version == version
    assert side.inventory_version(ppmid) == version  # SR 8.2 over DUIS
    messages = side.messages()
    assert len(messages) == 6 and all("signature verified" in m.verdict for m in messages)
    assert all(m.delivered_ms is not None for m in messages)
    evidence = "\n".join(side.evidence())
    assert "DUIS message #6" in evidence and "signed by 'Supplier A'" in evidence


def test_alerts_are_dated_when_the_suite_received_them(world):
    side, service, ppmid, _ = world
    image, version = _image(service, ppmid)
    side.submit("Supplier B", [ppmid], image, label="new", file_version=version)
    side.advance(3_600_000)
    delivered = {(a.supplier, a.kind): a.delivered_ms for s in ("Supplier A", "Supplier B")
                 for a in side.alerts_for(s)}
    names = {"a-request-processed": "(a)", "c-firmware-version-confirmed": "(c)"}
    mailbox = {(a.supplier, names.get(a.kind.value, "transfer outcome")): a.delivered_ms
               for s in ("Supplier A", "Supplier B") for a in service.world.dcc.alerts_for(s)}
    assert delivered == mailbox  # each step runs to the next timer: the arrival is its time


def test_a_warning_lists_the_devices_not_accepted(world):
    side, service, ppmid, _ = world
    image, version = _image(service, ppmid)
    sent = side.submit("Supplier A", [ppmid, 0x000D6F00DEADBEEF], image, label="new", file_version=version)
    assert isinstance(sent.response, WarningResponse)
    assert sent.response.devices == (ppmid,)
    assert [r.device for r in sent.response.invalid] == [0x000D6F00DEADBEEF]


def test_a_refused_request_is_an_error_response(world):
    side, service, ppmid, _ = world
    image, version = _image(service, ppmid)
    sent = side.submit("Supplier C", [ppmid], image, label="new", file_version=version)  # supplies nothing
    assert isinstance(sent.response, Rejected)
    assert "DUIS response code E1104" in sent.response.detail


def test_an_alert_with_a_bad_signature_is_kept_as_evidence_but_never_counted(world):
    side, _, ppmid, config = world
    from hanota.conformance.duis.mapping import alert_to_duis
    from hanota.conformance.models.service_request import FirmwareConfirmedAlert
    from hanota.protocol.duis import RequestId, Signer, sign_response

    alert = FirmwareConfirmedAlert("Supplier A", ppmid, "x", 0, 0, ("Supplier A",), firmware_version=5,
                                   matches_request=True)
    message = alert_to_duis(alert, 1, None, RequestId(config.dcc_eui64, config.suppliers[0].eui64, 9),
                            config.clock_epoch)
    forged = sign_response(message, Signer(config.suppliers[0].key, config.suppliers[0].certificate))
    urllib.request.urlopen(urllib.request.Request(side.receiver.url, forged, method="POST")).read()
    tampered = sign_response(message, config.dcc_signer()).replace(b"ActivationSuccess", b"ActivationFailure")
    urllib.request.urlopen(urllib.request.Request(side.receiver.url, tampered, method="POST")).read()
    side.advance(0)
    verdicts = [m.verdict for m in side.messages()]
    assert verdicts[0].startswith("REFUSED: DuisUnknownSignerError"), verdicts
    assert verdicts[1].startswith("REFUSED: DuisSignatureInvalidError"), verdicts
    assert side.alerts_for("Supplier A") == []


def test_requests_the_suite_builds_are_schema_valid_and_verify_with_the_supplier_certificate(world):
    side, _, ppmid, config = world
    from hanota.protocol.duis import UpdatePPMIDFirmware, load_schema, read_document

    rid, data = side._signed("Supplier B", UpdatePPMIDFirmware(b"\x00" * 64, 1, (ppmid,)), config.dcc_eui64)
    doc = read_document(data, schema=load_schema(SCHEMA),
                        certificates=[config.supplier("Supplier B").certificate])
    assert doc.message.header.request_id == rid
    assert doc.message.header.command_variant == 8


def test_without_a_control_channel_a_scenario_needing_one_is_not_applicable(world, tmp_path):
    side, _, _, config = world
    from hanota.conformance.adapters.base import DutNotApplicableError
    from hanota.conformance.duis.client import DuisDccSide
    from hanota.protocol.duis import load_schema

    bare = DuisDccSide(side.endpoint, config, load_schema(SCHEMA), listen=("127.0.0.1", 0),
                       max_image_bytes=768_000, rules="as-implemented")
    try:
        with pytest.raises(DutNotApplicableError, match="make the hub discard an image"):
            bare.discard_on_hub(["x"], "the device did not retrieve it in time")
    finally:
        bare.close()


def test_a_request_signed_by_another_supplier_is_refused_by_the_dcc(world):
    _, service, ppmid, config = world
    from hanota.protocol.duis import Request, RequestHeader, RequestId, UpdatePPMIDFirmware, sign_request

    a, b = config.supplier("Supplier A"), config.supplier("Supplier B")
    request = Request(RequestHeader(RequestId(a.eui64, config.dcc_eui64, 1), 8, "11.4", "11.4"),
                      UpdatePPMIDFirmware(b"x", 1, (ppmid,)))
    status, body, _ = service.handle(sign_request(request, b.signer()))
    assert status == 403 and b"is not the user" in body
    status, body, _ = service.handle(b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>")
    assert status == 400 and b"HostileXmlError" not in body and b"DOCTYPE" in body


def test_a_supplier_user_id_in_another_role_is_named_in_the_duis_pixit(tmp_path: Path) -> None:
    """One User ID per DCC user role: the PIXIT's ``role`` entries, and one clear error for a
    role DUIS does not have."""
    from hanota.conformance.duis.config import load_config, write_test_config
    from hanota.conformance.models.service_request import SupplierRole
    from hanota.protocol.errors import HarnessUsageError

    pixit = write_test_config(tmp_path / "keys")
    config = load_config(pixit)
    export = config.user("Supplier A", SupplierRole.EXPORT_SUPPLIER)
    assert export is not None and export.eui64 != config.supplier("Supplier A").eui64
    assert config.supplier_by_eui(export.eui64) == export
    assert config.user("Supplier B", SupplierRole.EXPORT_SUPPLIER) is None
    pixit.write_text(pixit.read_text().replace('role = "export-supplier"', 'role = "exporter"'))
    with pytest.raises(HarnessUsageError, match=r"suppliers\[3\]\.role: expected one of"):
        load_config(pixit)


@pytest.mark.parametrize(("code", "alert"), [(0, 0x8F66), (2, 0x8F67)])
def test_an_activation_outcome_travels_as_the_gbcs_alert_a_device_alert_message_carries(
        tmp_path: Path, code: int, alert: int) -> None:
    """SR 11.3's outcome over DUIS: a DeviceAlertMessage whose GBCSPayload is the CS06 alert
    (0x00CA); the suite reads the outcome from those GBCS bytes, and the message validates."""
    need_vectors()
    from hanota.conformance.duis.config import load_config, write_test_config
    from hanota.conformance.duis.mapping import alert_to_duis, seen_from_duis
    from hanota.conformance.models.service_request import ActivationOutcomeAlert
    from hanota.protocol.duis import DeviceAlertMessage, RequestId, load_schema, read_document, sign_response

    config = load_config(write_test_config(tmp_path / "keys", schema=SCHEMA))
    rid = RequestId(config.suppliers[0].eui64, 0x000D6F0000010030, 7)
    outcome = ActivationOutcomeAlert("Supplier A", 0x000D6F0000010030, rid.text(), 61_000, 61_000,
                                     ("Supplier A",), response_code=code, device_alert_code=alert,
                                     firmware_version=0x01000001)
    message = alert_to_duis(outcome, 1, rid, RequestId(config.dcc_eui64, config.suppliers[0].eui64, 3),
                            config.clock_epoch)
    data = sign_response(message, config.dcc_signer())
    doc = read_document(data, schema=load_schema(SCHEMA), certificates=list(config.dcc_certificates))
    assert isinstance(doc.message.body, DeviceAlertMessage) and doc.message.body.alert_code == alert
    seen = seen_from_duis(doc.message, "Supplier A", 62_000, config.clock_epoch)
    assert seen is not None and seen.kind == "activation outcome" and seen.request_id == rid.text()
    assert (seen.device, seen.response_code, seen.device_alert_code, seen.file_version) == (
        0x000D6F0000010030, code, alert, 0x01000001)
    garbled = DeviceAlertMessage(alert, b"\x00\x01")
    assert seen_from_duis(type(message)(message.header, garbled), "Supplier A", 1, config.clock_epoch) is None


def test_an_hcalcs_takes_sr_11_1_then_sr_11_3_over_duis(world):
    """The suite reads the device's type with SR 8.2, sends SR 11.1 for an HCALCS, then SR 11.3
    signed to the device; the outcome is the CS06 alert the DUIS message carries."""
    import hashlib

    from hanota.protocol.ota_image import parse_image

    side, service, _, _ = world
    made = side.add_premises(devices=["hcalcs"])
    hcalcs = int(made["devices"][0]["eui64"], 16)
    image, version = _image(service, hcalcs)
    sent = side.submit("Supplier A", [hcalcs], image, label="new", file_version=version)
    assert isinstance(sent.response, Acknowledged)
    assert any(line.startswith(f"SR 11.1 {sent.request_id}") for line in side.evidence())
    side.advance(3_600_000)
    assert side.running_version(hcalcs) != version  # distributed, not activated
    digest = hashlib.sha256(parse_image(image, max_size=len(image)).manufacturer_image).digest()
    wrong = side.activate("Supplier A", hcalcs, bytes(b ^ 0xFF for b in digest), label="new",
                          file_version=version, execution_ms=side.now_ms() + 60_000)
    side.advance(120_000)
    right = side.activate("Supplier A", hcalcs, digest, label="new", file_version=version,
                          execution_ms=side.now_ms() + 60_000)
    side.advance(120_000)
    outcomes = {a.request_id: (a.response_code, a.device_alert_code) for a in side.alerts_for("Supplier A")
                if a.kind == "activation outcome"}
    assert outcomes == {wrong.request_id: (2, 0x8F67), right.request_id: (0, 0x8F66)}, outcomes
    assert side.running_version(hcalcs) == version


def test_sr_11_2_brings_back_the_hubs_cs08_response_in_gbcs_payload(world):
    """SR 11.2 over DUIS (issue 17, SECMP7-SEC-003): acknowledged (I99), then a signed Response
    at the response address whose GBCSPayload is the device's CS08 response, which the suite
    decodes: responseCode 0 and the version it runs; 1 once the device no longer answers."""
    from hanota.protocol.duis import ResponseMessage

    side, service, ppmid, _ = world
    image, version = _image(service, ppmid)
    side.submit("Supplier A", [ppmid], image, label="new", file_version=version)
    side.advance(3_600_000)
    read = side.read_firmware_version("Supplier B", ppmid, 60_000)
    assert (read.response_code, read.firmware_version) == (0, version), read.detail
    assert "FirmwareVersionResponse" in read.detail
    answers = [m for m in side.messages() if m.response is not None
               and isinstance(m.response.body, ResponseMessage)]
    assert len(answers) == 1 and "signature verified" in answers[0].verdict
    assert answers[0].response.header.response_id.originator == ppmid  # the device answers
    evidence = side.evidence()
    assert any(line.startswith(f"SR 11.2 {read.request_id}") and line.endswith("answered I99")
               for line in evidence)
    assert any(f"Response I0 to SR 11.2 {read.request_id}, GBCSPayload df09" in line for line in evidence)
    other = int(side.add_premises(devices=["ppmid"])["devices"][0]["eui64"], 16)
    side.cut_off_device(other, "once it has the whole image")
    image, version = _image(service, other)
    sent = side.submit("Supplier A", [other], image, label="cut off", file_version=version)
    side.advance(86_400_000)
    failed = side.read_firmware_version("Supplier A", other, 60_000)
    assert (failed.response_code, failed.firmware_version) == (1, 0), failed.detail
    (c,) = [a for a in side.alerts_for("Supplier A") if a.kind == "(c)" and a.request_id == sent.request_id]
    assert (c.file_version, c.read_response_code) == (None, 1)  # PPMIDAlert naming no version


def test_sr_11_2_for_a_device_the_dcc_does_not_know_or_not_the_suppliers_is_refused(world):
    side, _, ppmid, _ = world
    unknown = side.read_firmware_version("Supplier A", 0x000D6F00DEADBEEF, 60_000)
    assert unknown.response_code is None and "Response E19" in unknown.detail
    other = side.read_firmware_version("Supplier C", ppmid, 60_000)  # supplies nothing here
    assert other.response_code is None and "Response E4" in other.detail


def test_sr_11_2_signed_with_a_user_id_in_another_role_is_refused(world):
    from hanota.conformance.models.service_request import SupplierRole
    from hanota.protocol.duis import ReadFirmwareVersion

    side, _, ppmid, _ = world
    _, data = side._signed("Supplier A", ReadFirmwareVersion(), ppmid, role=SupplierRole.EXPORT_SUPPLIER,
                           variant=1)
    assert side._post(data, "SR 11.2").header.response_code == "E4"
