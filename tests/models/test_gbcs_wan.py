"""GBCS bytes between the reference Communications Hub and the reference DCC (issue 13, section 3).

The hub sends CCS08 and the CS08 alert 0x8F8B as GBCS frames, the DCC reads versions with
CS08 frames, every frame is encoded and decoded by ``protocol.gbcs``, the DCC acts on what
it decodes (not on the hub's event fields), and a scenario's evidence carries each frame in
hex with its decoding.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hanota.conformance.models import gbcs_wan
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.comms_hub import FirmwareTransferAlert, TransferResponseCode
from hanota.conformance.models.premises import World, build_premises
from hanota.conformance.models.service_request import (
    Acknowledged,
    ActivateFirmwareRequest,
    SupplierRole,
    TransferOutcomeAlert,
)
from hanota.conformance.report.render import render_report
from hanota.protocol import gbcs
from tests.test_suite_over_tcp import result, run_suite


def _upgraded() -> World:
    world = build_premises(VirtualClock(), rules="as-implemented", devices=("ppmid",))
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid, payload_size=800)))
    world.run_until_idle()
    return world


def test_an_upgrade_exchanges_ccs08_8f8b_and_cs08_as_gbcs_frames() -> None:
    world = _upgraded()
    ppmid = world.ppmid.eui64
    log = world.dcc.gbcs_log
    decoded = [(r.direction, *gbcs_wan.decode(r.data)) for r in log]
    kinds = [(d, type(p).__name__) for d, _, p in decoded]
    assert kinds == [("hub -> DCC", "FirmwareTransferAlert"), ("hub -> DCC", "FirmwareVersionAlert"),
                     ("DCC -> hub", "FirmwareVersionCommand"), ("hub -> DCC", "FirmwareVersionResponse")]
    for record, (_, frame, _) in zip(log, decoded, strict=True):
        assert gbcs.encode_frame(frame) == record.data  # byte for byte
    (_, ccs08_frame, ccs08), (_, alert_frame, alert), (_, command, _), (_, _, response) = decoded
    version = world.spec(ppmid).file_version + 1
    assert ccs08_frame.originator_title == world.hub.eui64
    assert isinstance(ccs08, gbcs.FirmwareTransferAlert) and isinstance(alert, gbcs.FirmwareVersionAlert)
    assert isinstance(response, gbcs.FirmwareVersionResponse)
    assert (ccs08.alert_code, ccs08.response_code) == (0x8F8A, 0)
    assert ccs08.entity_id == ppmid.to_bytes(8, "big")
    assert ccs08.firmware_version == version.to_bytes(4, "big")
    assert alert_frame.originator_title == ppmid and alert.activate_image == 0
    assert command.recipient_title == ppmid
    assert response.response_code == 0 and response.firmware_version == version.to_bytes(4, "big")
    n60 = [a for a in world.dcc.delivered if isinstance(a, TransferOutcomeAlert)]
    assert n60 and all((a.dcc_alert_code, a.device_alert_code) == ("N60", 0x8F8A) for a in n60)


def test_the_dcc_acts_on_the_decoded_frame_not_on_the_event_fields() -> None:
    world = build_premises(VirtualClock(), rules="as-implemented", devices=("ppmid",))
    ppmid = world.ppmid.eui64
    request = world.request([ppmid], world.make_image(ppmid, payload_size=800))
    world.submit(request)
    frame = gbcs_wan.transfer_alert(hub=world.hub.eui64, counter=99, virtual_ms=0, device=ppmid,
                                    file_version=request.file_version, response_code=2)
    # The event's own fields say Success; its frame says Hardware Version Mismatch.
    world.hub._events.appendleft(FirmwareTransferAlert(request.request_id, ppmid,
                                                       TransferResponseCode.SUCCESS, 0, frame))
    world.run_until_idle()
    first = next(a for a in world.dcc.delivered if isinstance(a, TransferOutcomeAlert))
    assert (first.dcc_alert_code, first.response_code, first.device_alert_code) == ("N61", 2, 0x8F89)


def test_a_frame_that_does_not_decode_is_recorded_and_not_acted_on() -> None:
    world = build_premises(VirtualClock(), rules="as-implemented", devices=("ppmid",))
    ppmid = world.ppmid.eui64
    request = world.request([ppmid], world.make_image(ppmid, payload_size=800))
    world.submit(request)
    world.hub._events.appendleft(FirmwareTransferAlert(request.request_id, ppmid,
                                                       TransferResponseCode.IMAGE_DISCARDED, 0,
                                                       bytes.fromhex("DF0903") + bytes(4)))
    world.run_until_idle()
    assert len(world.dcc.gbcs_errors) == 1
    line = world.dcc.gbcs_errors[0][2]
    assert "offset" in line and "\n" not in line
    codes = [a.response_code for a in world.dcc.delivered if isinstance(a, TransferOutcomeAlert)]
    assert codes and 1 not in codes  # the garbled discard was not passed on


def test_the_hub_answers_cs08_failure_after_an_unanswered_read_back() -> None:
    world = build_premises(VirtualClock(), rules="as-implemented", devices=("ppmid",))
    ppmid = world.ppmid.eui64
    world.network.link_down(ppmid)
    answer = world.hub.gbcs_request(gbcs_wan.cs08_command(device=ppmid, counter=1))
    _, payload = gbcs_wan.decode(answer)
    assert payload == gbcs.FirmwareVersionResponse(bytes(4), gbcs.ReadResponseCode.FAILURE)  # never seen
    world.hub.known_versions[ppmid] = 0x01000000
    _, payload = gbcs_wan.decode(world.hub.gbcs_request(gbcs_wan.cs08_command(device=ppmid, counter=2)))
    assert isinstance(payload, gbcs.FirmwareVersionResponse)
    assert payload.response_code is gbcs.ReadResponseCode.SUCCESS
    world.hub.read_failed.add(ppmid)
    _, payload = gbcs_wan.decode(world.hub.gbcs_request(gbcs_wan.cs08_command(device=ppmid, counter=3)))
    assert isinstance(payload, gbcs.FirmwareVersionResponse)
    assert payload.response_code is gbcs.ReadResponseCode.FAILURE


def test_a_scenarios_evidence_carries_each_gbcs_frame_in_hex_with_its_decoding(tmp_path: Path) -> None:
    data = run_suite(tmp_path, "sec", "--hanota-rules=as-implemented", "-p", "no:hypothesispytest",
                     "-k", "reports_CCS08_Success_and_each_Supplier")
    scenario = result(data, "ccs08_success_and_each_supplier")
    assert scenario["verdict"] == "pass", data["_output"]
    rows = [e for e in scenario["evidence"] if e.get("kind") == "gbcs"]
    assert rows, scenario["evidence"]
    for row in rows:  # the hex is the frame; its decoding is protocol.gbcs's
        assert row["decoded"] == gbcs_wan.describe(bytes.fromhex(row["hex"]))
    ccs08 = [r for r in rows if r["decoded"]["message"] == "CCS08 Firmware Transfer Alert"]
    assert ccs08 and ccs08[0]["decoded"]["alert_code"].startswith("0x8F8A")
    assert ccs08[0]["decoded"]["response_code"] == "0 (Success)"
    html = render_report(Path(data["_dir"])).read_text(encoding="utf-8")
    assert ccs08[0]["hex"][:23] in html and "CCS08 Firmware Transfer Alert" in html


def _hcalcs_world(*, key_seed: int | None = None) -> tuple[World, object, bytes, bytes]:
    from hanota.conformance.models.premises import deterministic_key
    from hanota.conformance.models.service_request import RequestVariant
    from hanota.protocol.ota_image import parse_image

    world = build_premises(VirtualClock(), rules="as-implemented", devices=("hcalcs",))
    device = world.first.devices["hcalcs"]
    key = None if key_seed is None else deterministic_key(key_seed)
    image = world.make_image(device, payload_size=900, key=key)
    world.submit(world.request([device], image, variant=RequestVariant.SR_11_1_UPDATE_FIRMWARE))
    world.run_until_idle()
    digest = hashlib.sha256(parse_image(image, max_size=len(image)).manufacturer_image).digest()
    return world, device, image, digest


@pytest.mark.parametrize(("hash_ok", "signed_by_manufacturer", "want"), [
    (True, True, gbcs.ActivationResponseCode.SUCCESS),
    (False, True, gbcs.ActivationResponseCode.HASH_MISMATCH),  # a valid signature, the wrong hash
    (True, False, gbcs.ActivationResponseCode.NO_IMAGE_HELD),  # the right hash, an invalid signature
])
def test_cs06_activates_an_hcalcs_only_with_the_hash_of_a_held_image(
        hash_ok: bool, signed_by_manufacturer: bool, want: gbcs.ActivationResponseCode) -> None:
    world, device, _, digest = _hcalcs_world(key_seed=None if signed_by_manufacturer else 99)
    before = device.firmware_version  # type: ignore[attr-defined]
    request = ActivateFirmwareRequest("act-1", "Supplier A", SupplierRole.IMPORT_SUPPLIER,
                                      device.eui64, digest if hash_ok else bytes(32),  # type: ignore[attr-defined]
                                      world.clock.now_ms + 60_000)
    assert isinstance(world.dcc.activate(request), Acknowledged)
    world.run_until_idle()
    alerts = [gbcs_wan.decode(r.data)[1] for r in world.dcc.gbcs_log if r.direction == "hub -> DCC"]
    outcome = [p for p in alerts if isinstance(p, gbcs.FutureDatedActivationAlert)]
    assert len(outcome) == 1 and outcome[0].execution_outcome.response_code is want
    assert outcome[0].alert_code == (0x8F66 if want is gbcs.ActivationResponseCode.SUCCESS else 0x8F67)
    activated = device.firmware_version != before  # type: ignore[attr-defined]
    assert activated is (want is gbcs.ActivationResponseCode.SUCCESS)


def test_an_immediate_cs06_is_answered_with_its_outcome_at_once() -> None:
    world, device, _, digest = _hcalcs_world()
    eui = device.eui64  # type: ignore[attr-defined]
    wrong = world.hub.gbcs_request(gbcs_wan.activate_command(device=eui, counter=7, image_hash=bytes(32),
                                                             execution_ms=None))
    _, payload = gbcs_wan.decode(wrong)
    assert isinstance(payload, gbcs.ActivateFirmwareResponse) and payload.outcome is not None
    assert payload.outcome.response_code is gbcs.ActivationResponseCode.HASH_MISMATCH
    right = world.hub.gbcs_request(gbcs_wan.activate_command(device=eui, counter=8, image_hash=digest,
                                                             execution_ms=None))
    _, payload = gbcs_wan.decode(right)
    assert isinstance(payload, gbcs.ActivateFirmwareResponse) and payload.outcome is not None
    assert payload.outcome.response_code is gbcs.ActivationResponseCode.SUCCESS
    world.run_until_idle()
    assert device.firmware_version == world.spec(eui).file_version + 1  # type: ignore[attr-defined]
