"""The reference DCC against a scripted (HAN-less) hub: validation, alerts, override, faults."""

from __future__ import annotations

import itertools
import random

import pytest

from hanota.conformance.dcc_side import CUT_OFF_POINTS, _cut_off
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.dcc import Dcc
from hanota.conformance.models.faults.dcc_faults import FAULTS, dcc_class
from hanota.conformance.models.inventory import InventorySource
from hanota.conformance.models.premises import World, build_premises, deterministic_key
from hanota.conformance.models.service_request import (
    Acknowledged,
    ActivateFirmwareRequest,
    ActivationOutcomeAlert,
    AlertKind,
    FirmwareConfirmedAlert,
    Rejected,
    RejectReason,
    RequestProcessedAlert,
    RequestVariant,
    SupplierRole,
    TransferOutcomeAlert,
    UpdateFirmwareRequest,
    WarningResponse,
    file_version_to_firmware_version,
    firmware_version_to_file_version,
)
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.fragments import split_image
from hanota.protocol.ota_image import ImageFormat

A, B = "Supplier A", "Supplier B"
LIMIT = 4096


def make_world(*, rules="wg-2016", faults=(), seed=0, gas_supplier=B, **kw) -> World:
    world = World(VirtualClock(), rules=rules, seed=seed, dcc_faults=faults, max_image_bytes=LIMIT,
                  scripted_hubs=True, **kw)
    world.add_premises(electricity_supplier=A, gas_supplier=gas_supplier)
    return world


def kinds(alerts) -> list[AlertKind]:
    return [a.kind for a in alerts]


def upgrade(world: World, device=None, **kw):
    device = device if device is not None else world.ppmid
    response = world.submit(world.request([device], world.make_image(device), **kw))
    world.run_until_idle()
    return response


# -- the happy path ----------------------------------------------------------------------------
def test_accepted_request_alerts_each_supplier_and_updates_inventory():
    world = make_world()
    ppmid = world.ppmid.eui64
    old = world.dcc.inventory.firmware_version(ppmid)
    response = upgrade(world)
    assert isinstance(response, Acknowledged) and response.devices == (ppmid,)
    for supplier in (A, B):
        alerts = world.dcc.alerts_for(supplier)
        assert kinds(alerts) == [AlertKind.REQUEST_PROCESSED, AlertKind.FIRMWARE_CONFIRMED]
        assert all(a.supplier == supplier and a.recipients == (supplier,) for a in alerts)
        assert all(a.device == ppmid and a.request_id == response.request_id for a in alerts)
        confirmed = alerts[1]
        assert isinstance(confirmed, FirmwareConfirmedAlert)
        assert confirmed.firmware_version == old + 1 and confirmed.changed and confirmed.matches_request
        assert confirmed.previous_version == old
        assert all(0 <= a.delivered_ms - a.time_ms < world.dcc.alert_window_ms for a in alerts)
    assert world.dcc.inventory.firmware_version(ppmid) == old + 1
    (_, change) = world.dcc.inventory.history(ppmid)
    assert change.source is InventorySource.CONFIRMED_BY_DEVICE and change.request_id == response.request_id


def test_alert_c_comes_confirm_delay_after_activation():
    world = make_world()
    hub = world.hub
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid)))
    start = world.clock.now_ms
    world.run_until_idle()
    activated = start + hub.transfer_ms + hub.activation_ms
    for supplier in (A, B):
        (c,) = [a for a in world.dcc.alerts_for(supplier) if a.kind is AlertKind.FIRMWARE_CONFIRMED]
        assert c.time_ms == activated + world.dcc.confirm_delay_ms
        assert c.delivered_ms - c.time_ms <= world.dcc.service_level_ms


def test_alert_a_evidence_names_the_image():
    world = make_world()
    image = world.make_image(world.ppmid, payload_size=3000)
    world.submit(world.request([world.ppmid], image))
    world.run_until_idle()
    a = world.dcc.alerts_for(A)[0]
    assert isinstance(a, RequestProcessedAlert)
    assert a.image_bytes == len(image) and a.blocks == world.hub.blocks >= 3


def test_single_supplier_premises_gets_one_alert_each():
    world = make_world(gas_supplier=None)
    upgrade(world)
    assert kinds(world.dcc.alerts_for(A)) == [AlertKind.REQUEST_PROCESSED, AlertKind.FIRMWARE_CONFIRMED]
    assert world.dcc.alerts_for(B) == []


def test_same_supplier_for_both_fuels_gets_one_alert_not_two():
    world = make_world(gas_supplier=A)
    upgrade(world)
    assert len(world.dcc.alerts_for(A)) == 2


def test_gas_supplier_may_send_it():
    world = make_world()
    response = upgrade(world, requester=B, role=SupplierRole.GAS_SUPPLIER)
    assert isinstance(response, Acknowledged)
    assert len(world.dcc.alerts_for(A)) == 2


# -- validation --------------------------------------------------------------------------------
def rejected(world: World, request: UpdateFirmwareRequest) -> Rejected:
    response = world.submit(request)
    assert isinstance(response, Rejected), response
    world.run_until_idle()
    assert world.dcc.delivered == []
    assert world.hub.distributions == []
    return response


def test_rejects_a_requester_without_a_supplier_role():
    world = make_world()
    r = rejected(world, world.request([world.ppmid], world.make_image(world.ppmid),
                                      requester="Network Operator", role=SupplierRole.IMPORT_SUPPLIER))
    assert r.reason is RejectReason.REQUESTER_NOT_A_SUPPLIER


def test_rejects_a_supplier_not_responsible_for_the_premises():
    world = make_world()
    world.add_premises(electricity_supplier="Supplier C", gas_supplier=None)
    r = rejected(world, world.request([world.ppmid], world.make_image(world.ppmid), requester="Supplier C",
                                      role=SupplierRole.IMPORT_SUPPLIER))
    assert r.reason is RejectReason.NOT_RESPONSIBLE_SUPPLIER


def test_rejects_a_role_the_requester_does_not_hold_there():
    world = make_world()
    r = rejected(world, world.request([world.ppmid], world.make_image(world.ppmid), requester=B,
                                      role=SupplierRole.IMPORT_SUPPLIER))
    assert r.reason is RejectReason.ROLE_NOT_HELD


def test_rejects_an_image_over_the_limit_and_accepts_one_at_it():
    # as implemented: SR 11.4 has no fragments (under wg-2016 the DCC makes them, see below)
    world = make_world(rules="as-implemented")
    at_limit = world.make_image(world.ppmid, payload_size=LIMIT - 56 - 66)
    assert len(at_limit) == LIMIT
    over = world.make_image(world.ppmid, payload_size=LIMIT - 56 - 66 + 1)
    r = rejected(world, world.request([world.ppmid], over))
    assert r.reason is RejectReason.IMAGE_TOO_LARGE and str(LIMIT) in r.detail
    assert isinstance(world.submit(world.request([world.ppmid], at_limit)), Acknowledged)


def test_rejects_an_image_that_does_not_parse():
    world = make_world()
    image = bytearray(world.make_image(world.ppmid))
    image[0] ^= 0xFF
    r = rejected(world, world.request([world.ppmid], bytes(image), firmware_version=0x01000001))
    assert r.reason is RejectReason.IMAGE_MALFORMED and "offset" in r.detail


def test_rejects_a_signature_by_another_key_and_an_unsigned_image():
    world = make_world()
    forged = world.make_image(world.ppmid, key=deterministic_key(99))
    assert rejected(world, world.request([world.ppmid], forged)).reason is RejectReason.SIGNATURE_INVALID
    unsigned = world.make_image(world.ppmid, signed=False)
    assert rejected(world, world.request([world.ppmid], unsigned)).reason is RejectReason.SIGNATURE_MISSING


def test_rejects_an_image_for_another_manufacturer_or_type():
    world = make_world()
    image = world.make_image(world.ppmid, manufacturer_code=0x9999)
    assert rejected(world, world.request([world.ppmid], image)).reason is RejectReason.IMAGE_NOT_FOR_DEVICE


def test_rejects_a_firmware_version_that_differs_from_the_header():
    world = make_world()
    image = world.make_image(world.ppmid, file_version=0x01000002)
    r = rejected(world, world.request([world.ppmid], image, firmware_version=0x01000003))
    assert r.reason is RejectReason.FIRMWARE_VERSION_MISMATCH


def test_rejects_a_duplicate_request_id():
    world = make_world()
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid), request_id="x"))
    world.run_until_idle()
    again = world.submit(world.request([world.ihd], world.make_image(world.ihd), request_id="x"))
    assert isinstance(again, Rejected) and again.reason is RejectReason.DUPLICATE_REQUEST_ID


def test_unknown_device_gives_a_warning_listing_it():
    world = make_world()
    stranger = 0x1122334455667788
    response = world.submit(world.request([world.ppmid.eui64, stranger], world.make_image(world.ppmid)))
    assert isinstance(response, WarningResponse)
    assert response.devices == (world.ppmid.eui64,) and response.invalid_device_ids == (stranger,)
    assert response.invalid[0].reason is RejectReason.UNKNOWN_DEVICE


def test_only_unknown_devices_is_a_rejection():
    world = make_world()
    image = world.make_image(world.ppmid)
    r = rejected(world, UpdateFirmwareRequest("sr-x", A, SupplierRole.IMPORT_SUPPLIER, image,
                                              file_version_to_firmware_version(0x01000001), (0x42,)))
    assert r.reason is RejectReason.UNKNOWN_DEVICE and r.invalid[0].device == 0x42


def test_unpaired_device_is_refused():
    world = make_world()
    world.dcc.set_paired(world.ppmid.eui64, False)
    r = rejected(world, world.request([world.ppmid], world.make_image(world.ppmid)))
    assert r.reason is RejectReason.NOT_PAIRED_TO_HUB


def test_ihd_targets_are_accepted_under_wg_2016():
    world = make_world()
    assert isinstance(upgrade(world, world.ihd, variant=RequestVariant.SEND_PPMID_IHD_FIRMWARE), Acknowledged)


def test_ihd_targets_are_refused_as_implemented():
    world = make_world(rules="as-implemented")
    r = rejected(world, world.request([world.ihd], world.make_image(world.ihd)))
    assert r.reason is RejectReason.DEVICE_KIND_OUT_OF_SCOPE


def test_the_minutes_variant_does_not_exist_as_implemented():
    world = make_world(rules="as-implemented")
    r = rejected(world, world.request([world.ppmid], world.make_image(world.ppmid),
                                      variant=RequestVariant.SEND_PPMID_IHD_FIRMWARE))
    assert r.reason is RejectReason.VARIANT_NOT_SUPPORTED


# -- no override ---------------------------------------------------------------------------------
def test_another_suppliers_request_does_not_override_a_distribution_in_progress():
    world = make_world()
    first = world.submit(world.request([world.ppmid], world.make_image(world.ppmid)))
    assert isinstance(first, Acknowledged)
    world.run_for(1000)
    second = world.submit(world.request([world.ppmid], world.make_image(world.ppmid, file_version=0x01000005),
                                        requester=B, role=SupplierRole.GAS_SUPPLIER))
    assert isinstance(second, Rejected) and second.reason is RejectReason.DISTRIBUTION_IN_PROGRESS
    world.run_until_idle()
    assert world.dcc.inventory.firmware_version(world.ppmid.eui64) == 0x01000001
    third = world.submit(world.request([world.ppmid], world.make_image(world.ppmid, file_version=0x01000005),
                                       requester=B, role=SupplierRole.GAS_SUPPLIER))
    assert isinstance(third, Acknowledged)


def test_a_second_image_for_the_same_hub_waits_instead_of_discarding():
    world = make_world()
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid), request_id="first"))
    world.run_for(1000)
    world.submit(world.request([world.ihd], world.make_image(world.ihd), requester=B,
                               role=SupplierRole.GAS_SUPPLIER, request_id="second"))
    assert [rid for rid, _ in world.hub.distributions] == ["first"]
    world.run_until_idle()
    assert [rid for rid, _ in world.hub.distributions] == ["first", "second"]
    confirmed = [a for a in world.dcc.alerts_for(A) if isinstance(a, FirmwareConfirmedAlert)]
    assert {a.device for a in confirmed if a.changed} == {world.ihd.eui64, world.ppmid.eui64}


# -- discarded images: (b) removed, CCS08 passed on as implemented ---------------------------------
@pytest.mark.parametrize("rules", ["wg-2016", "as-implemented"])
def test_discarded_image(rules):
    world = make_world(rules=rules)
    world.hub.outcomes[world.ppmid.eui64] = 1  # Image Discarded
    upgrade(world)
    for supplier in (A, B):
        alerts = world.dcc.alerts_for(supplier)
        outcome = [a for a in alerts if isinstance(a, TransferOutcomeAlert)]
        if rules == "wg-2016":
            assert outcome == []
        else:
            assert [(o.response_code, o.dcc_alert_code) for o in outcome] == [(1, "N61")]
        (c,) = [a for a in alerts if isinstance(a, FirmwareConfirmedAlert)]
        assert not c.changed and c.firmware_version == c.previous_version
    assert len(world.dcc.inventory.history(world.ppmid.eui64)) == 1


def test_as_implemented_passes_on_success_as_n60():
    world = make_world(rules="as-implemented")
    upgrade(world)
    outcome = [a for a in world.dcc.alerts_for(B) if isinstance(a, TransferOutcomeAlert)]
    assert [(o.response_code, o.dcc_alert_code, o.delivered) for o in outcome] == [(0, "N60", True)]


def test_silent_hub_times_out_into_an_unchanged_alert_c():
    world = make_world()
    world.hub.transfer_ms = 10 * 86_400_000
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid)))
    world.run_for(2 * 86_400_000)
    (c,) = [a for a in world.dcc.alerts_for(A) if isinstance(a, FirmwareConfirmedAlert)]
    assert not c.changed and c.time_ms == world.dcc.activation_timeout_ms


# -- determinism and stagger -------------------------------------------------------------------
def test_same_seed_same_alerts_other_seed_other_stagger():
    runs = []
    for seed in (3, 3, 4):
        world = make_world(seed=seed)
        upgrade(world)
        upgrade(world, world.ihd)
        runs.append(world.dcc.delivered)
    assert runs[0] == runs[1]
    assert [a.delivered_ms for a in runs[0]] != [a.delivered_ms for a in runs[2]]


def test_each_suppliers_alerts_are_at_least_the_stagger_interval_apart():
    world = make_world(alert_stagger_interval_ms=2_000)
    devices = [world.ppmid] + [world.add_premises(electricity_supplier=A, gas_supplier=B).ppmid
                               for _ in range(5)]
    for device in devices:
        world.submit(world.request([device], world.make_image(device)))
    world.run_until_idle()
    for supplier in (A, B):
        times = [a.delivered_ms for a in world.dcc.alerts_for(supplier)]
        assert len(times) >= 12 and times == sorted(times)
        assert all(t1 - t0 >= 2_000 for t0, t1 in itertools.pairwise(times))
        assert all(a.delivered_ms - a.time_ms <= world.dcc.service_level_ms
                   for a in world.dcc.alerts_for(supplier))


def test_stagger_spreads_alerts_raised_together():
    world = make_world()
    world.submit(world.request([world.ppmid, world.ihd], world.make_image(world.ppmid)))
    world.run_until_idle()
    offsets = {a.delivered_ms - a.time_ms for a in world.dcc.delivered}
    assert len(offsets) > 1


# -- constructor rules -------------------------------------------------------------------------
def test_constructor_refuses_unknown_faults_and_a_window_beyond_the_service_level():
    clock = VirtualClock()
    with pytest.raises(HarnessUsageError, match=r"unknown DCC faults: nope; valid: group-alerts, "):
        dcc_class({"nope", "no-n60"})(clock, rng=random.Random(0))
    with pytest.raises(HarnessUsageError):
        Dcc(clock, rng=random.Random(0), alert_window_ms=10, service_level_ms=5)
    with pytest.raises(HarnessUsageError):
        Dcc(clock, rng=random.Random(0), rules="2030")  # type: ignore[arg-type]


def test_firmware_version_byte_order_is_most_significant_first():
    assert firmware_version_to_file_version(bytes.fromhex("01020304")) == 0x01020304
    assert file_version_to_firmware_version(0x01020304) == bytes.fromhex("01020304")
    with pytest.raises(HarnessUsageError):
        firmware_version_to_file_version(b"\x01\x02\x03")


# -- each deliberate fault shows ------------------------------------------------------------------
def test_every_fault_is_documented_and_tested():
    assert set(FAULTS) == set(FAULT_CHECKS)


def _grouped(world):
    upgrade(world)
    return world.dcc.alerts_for(B) == [] and all(a.recipients == (A, B) for a in world.dcc.alerts_for(A))


def _inventory_from_request(world):
    world.hub.outcomes[world.ppmid.eui64] = 3
    upgrade(world)
    return world.dcc.inventory.history(world.ppmid.eui64)[-1].source is InventorySource.SERVICE_REQUEST


def _no_alert(kind):
    def check(world):
        upgrade(world)
        return kind not in kinds(world.dcc.alerts_for(A))
    return check


def _override(world):
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid)))
    world.run_for(1000)
    second = world.submit(world.request([world.ppmid], world.make_image(world.ppmid, file_version=0x01000007),
                                        requester=B, role=SupplierRole.GAS_SUPPLIER))
    return not isinstance(second, Rejected)


def _oversize(world):
    image = world.make_image(world.ppmid, payload_size=LIMIT)
    return not isinstance(world.submit(world.request([world.ppmid], image)), Rejected)


def _no_fragmentation(world):
    image = world.make_image(world.ppmid, payload_size=LIMIT)
    return isinstance(world.submit(world.request([world.ppmid], image)), Rejected)


def _no_stagger(world):
    upgrade(world)
    return all(a.delivered_ms == a.time_ms for a in world.dcc.delivered)


def _non_supplier(world):
    request = world.request([world.ppmid], world.make_image(world.ppmid), requester="Somebody",
                            role=SupplierRole.IMPORT_SUPPLIER)
    return not isinstance(world.submit(request), Rejected)


def _too_late(world):
    upgrade(world)
    return any(a.delivered_ms - a.time_ms > world.dcc.service_level_ms for a in world.dcc.delivered
               if a.kind is AlertKind.FIRMWARE_CONFIRMED)


def _at_limit(world):
    overhead = len(world.make_image(world.ppmid, payload_size=0))
    image = world.make_image(world.ppmid, payload_size=LIMIT - overhead)
    assert len(image) == LIMIT
    return isinstance(world.submit(world.request([world.ppmid], image)), Rejected)


def _empty_image(world):
    image = world.make_image(world.ppmid, payload_size=0)
    return not isinstance(world.submit(world.request([world.ppmid], image)), Rejected)


def _lock_out(world):
    upgrade(world)
    world.run_for(world.dcc.activation_timeout_ms)
    second = upgrade(world, requester=B, role=SupplierRole.GAS_SUPPLIER)
    return isinstance(second, Rejected)


def _no_image_discarded(world):
    world.hub.outcomes[world.ppmid.eui64] = 1
    upgrade(world)
    return not any(isinstance(a, TransferOutcomeAlert) and a.response_code == 1
                   for a in world.dcc.alerts_for(A))


def _outcomes(world, code):
    world.hub.outcomes[world.ppmid.eui64] = code
    upgrade(world)
    return [a for a in world.dcc.alerts_for(A) if isinstance(a, TransferOutcomeAlert)]


def _real_hubs(world):
    """The same rules and faults with the reference hub and device (GBCS frames, CS08)."""
    return build_premises(VirtualClock(), rules=world.rules, dcc_faults=world.dcc.faults, devices=("ppmid",),
                          electricity_supplier=A, gas_supplier=B)


def _cs08_failure_as_success(world):
    real = _real_hubs(world)
    _cut_off(real.clock, real.network, real.ppmid, CUT_OFF_POINTS.index("once it has the whole image"))
    upgrade(real)
    confirmed = [a for a in real.dcc.alerts_for(A) if isinstance(a, FirmwareConfirmedAlert)]
    return bool(confirmed) and confirmed[-1].read_response_code == 0


def _8f8b_ignored(world):
    real = _real_hubs(world)
    real.ppmid.fail_next_activation()
    upgrade(real)
    confirmed = [a for a in real.dcc.alerts_for(A) if isinstance(a, FirmwareConfirmedAlert)]
    return bool(confirmed) and confirmed[-1].activate_image == 0


def _all_invalid(world):
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid)))
    again = world.make_image(world.ppmid, file_version=0x01000007)
    second = world.submit(world.request([world.ppmid], again))
    return [r.warning_list for r in second.invalid] == ["InvalidDeviceIDList"]


def _any_role(world):
    request = world.request([world.ppmid], world.make_image(world.ppmid), role=SupplierRole.OTHER_USER)
    return not isinstance(world.submit(request), Rejected)


def _duplicates(world):
    request = world.request([world.ppmid, world.ppmid], world.make_image(world.ppmid))
    world.submit(request)
    world.run_until_idle()
    return sum(rid == request.request_id for rid, _ in world.first.hub.distributions) > 1


def _activation_as_success(world):
    real = _real_hcalcs(world)
    device = real.first.devices["hcalcs"]
    sr_11_1 = RequestVariant.SR_11_1_UPDATE_FIRMWARE
    real.submit(real.request([device], real.make_image(device), variant=sr_11_1))
    real.run_until_idle()
    real.dcc.activate(ActivateFirmwareRequest("act-1", A, SupplierRole.IMPORT_SUPPLIER, device.eui64,
                                              bytes(32), real.clock.now_ms + 60_000))
    real.run_until_idle()
    outcomes = [a for a in real.dcc.alerts_for(A) if isinstance(a, ActivationOutcomeAlert)]
    return bool(outcomes) and outcomes[-1].response_code == 0


def _real_hcalcs(world):
    return build_premises(VirtualClock(), rules=world.rules, dcc_faults=world.dcc.faults, devices=("hcalcs",),
                          electricity_supplier=A, gas_supplier=B)


FAULT_CHECKS = {
    "group-alerts": _grouped,
    "inventory-from-request": _inventory_from_request,
    "no-alert-a": _no_alert(AlertKind.REQUEST_PROCESSED),
    "no-alert-c": _no_alert(AlertKind.FIRMWARE_CONFIRMED),
    "allow-override": _override,
    "accept-oversize": _oversize,
    "no-fragmentation": _no_fragmentation,
    "no-stagger": _no_stagger,
    "accept-non-supplier": _non_supplier,
    "alert-c-too-late": _too_late,
    "reject-at-limit": _at_limit,
    "accept-empty-image": _empty_image,
    "lock-out-second-supplier": _lock_out,
    "drop-image-discarded": _no_image_discarded,
    "no-n60": lambda world: not any(a.response_code == 0 for a in _outcomes(world, 0)),
    "ccs08-code-lost": lambda world: [a.response_code for a in _outcomes(world, 2)] == [3],
    "cs08-failure-as-success": _cs08_failure_as_success,
    "8f8b-result-ignored": _8f8b_ignored,
    "warn-all-invalid": _all_invalid,
    "accept-any-role": _any_role,
    "act-on-duplicates": _duplicates,
    "activation-outcome-as-success": _activation_as_success,
}
#: Faults of one rule set only (the as-implemented CCS08 pass-on, GBCS frames; and accept-oversize:
#: under wg-2016 the DCC cuts an oversize image into fragments, as implemented it refuses it).
FAULT_RULES = {fault: "as-implemented" for fault in (
    "drop-image-discarded", "no-n60", "ccs08-code-lost", "cs08-failure-as-success", "8f8b-result-ignored",
    "accept-oversize", "activation-outcome-as-success")}


@pytest.mark.parametrize("fault", sorted(FAULT_CHECKS))
def test_fault_is_observable_and_absent_without_it(fault):
    check = FAULT_CHECKS[fault]
    big = {"max_image_bytes": LIMIT}
    rules = FAULT_RULES.get(fault, "wg-2016")
    assert check(make_world(faults=(fault,), rules=rules)) is True
    clean = World(VirtualClock(), rules=rules, dcc_faults=(), scripted_hubs=True, **big)
    clean.add_premises(electricity_supplier=A, gas_supplier=B)
    assert check(clean) is False


# -- fragments ---------------------------------------------------------------------------------
def _fragments(world: World, payload_size: int = 6000) -> tuple[bytes, ...]:
    image = world.make_image(world.ppmid, payload_size=payload_size)
    return tuple(split_image(image, max_bytes=LIMIT, fmt=ImageFormat.GBCS))


def test_the_dcc_cuts_an_image_above_the_limit_into_fragments_under_the_working_group_rules():
    world = make_world()
    image = world.make_image(world.ppmid, payload_size=LIMIT)
    request = world.request([world.ppmid], image)
    assert isinstance(world.submit(request), Acknowledged)
    world.run_until_idle()
    assert [rid for rid, _ in world.hub.distributions] == [request.request_id]
    # the whole path, fragment by fragment to a device that reassembles them: test_end_to_end


def test_proper_fragments_are_accepted():
    world = make_world()
    fragments = _fragments(world)
    request = world.request([world.ppmid], b"", firmware_version=0x01000001, fragments=fragments)
    response = world.submit(request)
    assert isinstance(response, Acknowledged)


def test_a_missing_or_oversize_fragment_is_refused():
    world = make_world()
    fragments = _fragments(world)
    missing = world.request([world.ppmid], b"", firmware_version=0x01000001, fragments=fragments[:-1])
    assert rejected(world, missing).reason is RejectReason.FRAGMENTS_INVALID
    big = tuple(split_image(world.make_image(world.ppmid, payload_size=9000), max_bytes=2 * LIMIT,
                            fmt=ImageFormat.GBCS))
    r = rejected(world, world.request([world.ppmid], b"", firmware_version=0x01000001, fragments=big))
    assert r.reason is RejectReason.FRAGMENTS_INVALID and "fragments[0]" in r.detail


def test_fragments_of_a_forged_image_are_refused():
    world = make_world()
    image = world.make_image(world.ppmid, payload_size=6000, key=deterministic_key(5))
    fragments = tuple(split_image(image, max_bytes=LIMIT, fmt=ImageFormat.GBCS))
    r = rejected(world, world.request([world.ppmid], b"", firmware_version=0x01000001, fragments=fragments))
    assert r.reason is RejectReason.SIGNATURE_INVALID
