"""End to end through the reference models: Service Request -> DCC -> GBT -> hub -> HAN -> device
-> activation -> read-back -> alerts to each Supplier -> inventory (issue 4's scenario)."""

from __future__ import annotations

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.comms_hub import TargetState
from hanota.conformance.models.premises import World, build_premises
from hanota.conformance.models.service_request import (
    Acknowledged,
    AlertKind,
    FirmwareConfirmedAlert,
    Rejected,
    RejectReason,
    RequestVariant,
    TransferOutcomeAlert,
)
from hanota.protocol.fragments import split_image
from hanota.protocol.ota_image import ImageFormat

A, B = "Supplier A", "Supplier B"


def upgrade_both(world: World) -> tuple[str, str]:
    """Supplier A upgrades the IHD (the minutes' request) and the PPMID (SR 11.4)."""
    ihd_request = world.request([world.ihd], world.make_image(world.ihd, payload_size=1500),
                                variant=RequestVariant.SEND_PPMID_IHD_FIRMWARE)
    ppmid_request = world.request([world.ppmid], world.make_image(world.ppmid, payload_size=1500))
    assert isinstance(world.submit(ihd_request), Acknowledged)
    assert isinstance(world.submit(ppmid_request), Acknowledged)
    world.run_until_idle()
    return ihd_request.request_id, ppmid_request.request_id


def test_supplier_upgrades_ihd_and_ppmid_on_a_dual_fuel_two_supplier_premises():
    world = build_premises(VirtualClock(), electricity_supplier=A, gas_supplier=B, seed=1)
    before = {d.eui64: d.firmware_version for d in (world.ihd, world.ppmid)}
    ihd_rid, ppmid_rid = upgrade_both(world)

    for device in (world.ihd, world.ppmid):
        assert device.firmware_version == before[device.eui64] + 1
        assert world.dcc.inventory.firmware_version(device.eui64) == device.firmware_version

    for supplier in (A, B):  # each Supplier its own alerts, never a grouped one
        alerts = world.dcc.alerts_for(supplier)
        assert all(a.supplier == supplier and a.recipients == (supplier,) for a in alerts)
        by_request = {(a.request_id, a.kind) for a in alerts}
        assert by_request == {(rid, kind) for rid in (ihd_rid, ppmid_rid)
                              for kind in (AlertKind.REQUEST_PROCESSED, AlertKind.FIRMWARE_CONFIRMED)}
        assert len(alerts) == 4
        for c in (a for a in alerts if isinstance(a, FirmwareConfirmedAlert)):
            assert c.changed and c.matches_request
            assert c.delivered_ms - c.time_ms <= world.dcc.service_level_ms
        assert not any(isinstance(a, TransferOutcomeAlert) for a in alerts)
    assert world.network.dropped == [] and world.hub.violations == []


def test_same_seed_gives_identical_alerts_and_frames():
    runs = []
    for seed in (5, 5, 6):
        world = build_premises(VirtualClock(), seed=seed)
        upgrade_both(world)
        runs.append((world.dcc.delivered, world.network.log_bytes()))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1]
    assert runs[0][1] != runs[2][1]


def test_as_implemented_upgrades_the_ppmid_refuses_the_ihd_and_passes_on_ccs08():
    world = build_premises(VirtualClock(), rules="as-implemented", seed=2)
    refused = world.submit(world.request([world.ihd], world.make_image(world.ihd)))
    assert isinstance(refused, Rejected) and refused.reason is RejectReason.DEVICE_KIND_OUT_OF_SCOPE
    assert isinstance(world.submit(world.request([world.ppmid], world.make_image(world.ppmid))), Acknowledged)
    world.run_until_idle()
    for supplier in (A, B):
        outcomes = [a for a in world.dcc.alerts_for(supplier) if isinstance(a, TransferOutcomeAlert)]
        assert [(o.device, o.dcc_alert_code) for o in outcomes] == [(world.ppmid.eui64, "N60")]
    assert world.dcc.inventory.firmware_version(world.ppmid.eui64) == world.ppmid.firmware_version


def run_until(world: World, done, limit: int = 100_000) -> None:
    """Frame by frame, so a test can act in the middle of a download."""
    for _ in range(limit):
        if done():
            return
        if world.network.pump(max_frames=1) or world.dcc.poll():
            continue
        due = world.clock.next_due_ms()
        assert due is not None, "went idle before the condition held"
        world.clock.advance_to(due)
    raise AssertionError("condition never held")


def _discard_midway(world: World) -> None:
    """Another image lands on the hub while the PPMID is still downloading (harness action)."""
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid, payload_size=4000)))
    run_until(world, lambda: world.hub.target_state(world.ppmid.eui64) is TargetState.DOWNLOADING)
    world.hub.store_image("meter-priority", [], world.make_image(world.ihd, payload_size=100))
    world.run_until_idle()


def test_discarded_image_no_alert_b_under_wg_2016():
    world = build_premises(VirtualClock(), seed=3)
    old = world.ppmid.firmware_version
    _discard_midway(world)
    for supplier in (A, B):
        alerts = world.dcc.alerts_for(supplier)
        assert [a.kind for a in alerts] == [AlertKind.REQUEST_PROCESSED, AlertKind.FIRMWARE_CONFIRMED]
        assert not alerts[1].changed  # type: ignore[union-attr]
    assert world.ppmid.firmware_version == old == world.dcc.inventory.firmware_version(world.ppmid.eui64)


def test_discarded_image_is_passed_on_as_implemented():
    world = build_premises(VirtualClock(), rules="as-implemented", seed=3)
    _discard_midway(world)
    for supplier in (A, B):
        outcomes = [a for a in world.dcc.alerts_for(supplier) if isinstance(a, TransferOutcomeAlert)]
        assert [(o.response_code, o.dcc_alert_code) for o in outcomes] == [(1, "N61")]


def test_a_local_upgrade_by_hht_changes_neither_device_nor_inventory():
    world = build_premises(VirtualClock(), seed=4)
    old = world.ppmid.firmware_version
    hht = world.hand_held_terminal(world.make_image(world.ppmid))
    hht.offer(world.ppmid.eui64)
    hht.push_activation(world.ppmid.eui64)
    world.run_until_idle()
    assert world.ppmid.firmware_version == old
    assert world.dcc.inventory.firmware_version(world.ppmid.eui64) == old
    assert len(world.dcc.inventory.history(world.ppmid.eui64)) == 1


def test_two_premises_share_one_dcc():
    world = build_premises(VirtualClock(), seed=7)
    second = world.add_premises(electricity_supplier="Supplier C", gas_supplier=A)
    world.submit(world.request([second.ppmid], world.make_image(second.ppmid)))
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid)))
    world.run_until_idle()
    assert second.ppmid.firmware_version == world.ppmid.firmware_version == 0x01000001
    assert {a.device for a in world.dcc.alerts_for("Supplier C")} == {second.ppmid.eui64}
    assert {a.device for a in world.dcc.alerts_for(A)} == {second.ppmid.eui64, world.ppmid.eui64}
    assert {a.device for a in world.dcc.alerts_for(B)} == {world.ppmid.eui64}


def test_an_image_over_the_limit_goes_as_fragments_to_a_device_that_supports_them():
    world = build_premises(VirtualClock(), seed=8, max_image_bytes=4096, supports_fragmentation=True)
    image = world.make_image(world.ppmid, payload_size=10_000)
    # the Supplier sends the whole image; the DCC cuts it into fragments (working-group rules)
    response = world.submit(world.request([world.ppmid], image))
    assert isinstance(response, Acknowledged)
    fragments = split_image(image, max_bytes=4096, fmt=ImageFormat.GBCS)  # what the DCC makes
    assert len(fragments) == 3
    world.run_until_idle()
    assert world.ppmid.firmware_version == 0x01000001
    assert world.dcc.inventory.firmware_version(world.ppmid.eui64) == 0x01000001
    for supplier in (A, B):
        a, c = world.dcc.alerts_for(supplier)
        assert a.kind is AlertKind.REQUEST_PROCESSED and a.image_bytes == sum(map(len, fragments))
        assert isinstance(c, FirmwareConfirmedAlert) and c.changed
    assert world.hub.violations == []


def test_premises_that_keep_no_log_upgrade_alike_and_hold_no_frames():
    # Load scenarios add premises whose frames nobody reads: they must behave the same, unlogged.
    runs = []
    for keep_log in (True, False):
        world = World(VirtualClock(), seed=4)
        world.add_premises(electricity_supplier=A, gas_supplier=B, devices=("ppmid",), keep_log=keep_log)
        ppmid = world.premises[0].devices["ppmid"]
        world.submit(world.request([ppmid], world.make_image(ppmid, payload_size=1500)))
        world.run_until_idle()
        runs.append((world.dcc.delivered, len(world.premises[0].network.log), ppmid.firmware_version))
    (alerts_kept, frames_kept, version_kept), (alerts_unkept, frames_unkept, version_unkept) = runs
    assert alerts_kept == alerts_unkept and version_kept == version_unkept
    assert frames_kept > 50 and frames_unkept == 0
