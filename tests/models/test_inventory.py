"""The Smart Metering Inventory: versions change only from a version read from the device."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.inventory import InventorySource, SmartMeteringInventory
from hanota.conformance.models.premises import World
from hanota.conformance.models.service_request import Acknowledged
from hanota.protocol.errors import HarnessUsageError

DEV = 0x000D6F0000000010


def fresh() -> SmartMeteringInventory:
    inv = SmartMeteringInventory()
    inv.commission(DEV, kind="ppmid", premises_id="p1", firmware_version=5, time_ms=0)
    return inv


def test_commissioning_records_the_installed_version():
    inv = fresh()
    assert inv.firmware_version(DEV) == 5 and DEV in inv and inv.devices() == [DEV]
    (first,) = inv.history(DEV)
    assert first.source is InventorySource.COMMISSIONED and first.old_version is None


def test_a_confirmed_version_changes_the_record_with_its_source():
    inv = fresh()
    assert inv.confirm(DEV, 6, time_ms=100, request_id="r1") is True
    assert inv.firmware_version(DEV) == 6 and inv.entry(DEV).last_confirmed_ms == 100
    change = inv.history(DEV)[-1]
    assert (change.old_version, change.new_version, change.source, change.request_id) == (
        5, 6, InventorySource.CONFIRMED_BY_DEVICE, "r1")


def test_confirming_the_same_version_adds_no_change():
    inv = fresh()
    assert inv.confirm(DEV, 5, time_ms=100, request_id="r1") is False
    assert len(inv.history(DEV)) == 1 and inv.entry(DEV).last_confirmed_ms == 100


def test_there_is_no_public_writer_from_a_request_or_a_local_action():
    public = {n for n in dir(SmartMeteringInventory) if not n.startswith("_")}
    writers = public & {"commission", "confirm", "set", "update", "record", "apply", "set_version"}
    assert writers == {"commission", "confirm"}


def test_unknown_and_duplicate_devices_are_usage_errors():
    inv = fresh()
    with pytest.raises(HarnessUsageError):
        inv.firmware_version(1)
    with pytest.raises(HarnessUsageError):
        inv.commission(DEV, kind="ppmid", premises_id="p1", firmware_version=1, time_ms=0)
    with pytest.raises(HarnessUsageError):
        inv.confirm(2, 1, time_ms=0, request_id="r")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=20))
def test_history_replays_to_the_current_version(reads):
    inv = fresh()
    for i, version in enumerate(reads):
        inv.confirm(DEV, version, time_ms=i, request_id=f"r{i}")
    history = inv.history(DEV)
    assert history[-1].new_version == inv.firmware_version(DEV)
    assert all(a.new_version == b.old_version for a, b in itertools.pairwise(history))
    assert all(c.old_version != c.new_version for c in history[1:])


def test_an_accepted_request_leaves_the_inventory_alone_until_the_version_is_read():
    world = World(VirtualClock(), scripted_hubs=True, max_image_bytes=4096)
    world.add_premises()
    ppmid = world.ppmid.eui64
    before = world.dcc.inventory.firmware_version(ppmid)
    assert isinstance(world.submit(world.request([ppmid], world.make_image(ppmid))), Acknowledged)
    world.run_for(world.hub.transfer_ms + world.hub.activation_ms)
    assert world.dcc.inventory.firmware_version(ppmid) == before  # activated, but not yet read
    world.run_until_idle()
    assert world.dcc.inventory.firmware_version(ppmid) == before + 1


def test_a_failed_transfer_keeps_the_inventory_equal_to_the_device():
    world = World(VirtualClock(), scripted_hubs=True, max_image_bytes=4096)
    world.add_premises()
    ppmid = world.ppmid.eui64
    world.hub.outcomes[ppmid] = 2  # Hardware Version Mismatch
    world.submit(world.request([ppmid], world.make_image(ppmid)))
    world.run_until_idle()
    assert world.dcc.inventory.firmware_version(ppmid) == world.hub.read_firmware_version(ppmid)
    assert len(world.dcc.inventory.history(ppmid)) == 1
