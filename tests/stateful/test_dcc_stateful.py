"""Hypothesis state machine over the reference DCC (scripted hubs, two premises, three Suppliers).

Random Service Requests from any user for any devices with good and bad images, random hub
failures and random passing of time; after every step the observable rules hold: responses
account for every listed device, no request overrides a distribution in progress, every alert
goes to one Supplier concerned within the window and its service level, no alert (b) under
wg-2016, and once everything settles each accepted device got alert (a) and (c) once per
Supplier and the inventory equals the version on the device.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, assume, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.premises import World, deterministic_key
from hanota.conformance.models.service_request import (
    AlertKind,
    Rejected,
    SupplierRole,
    TransferOutcomeAlert,
    UpdateFirmwareRequest,
    file_version_to_firmware_version,
)

LIMIT = 2048
USERS = ("Supplier A", "Supplier A", "Supplier B", "Supplier C", "Nobody")
IMAGES = ("good", "good", "good", "good", "forged", "oversize", "wrong-type", "unsigned")


class DccMachine(RuleBasedStateMachine):
    faults: tuple[str, ...] = ()

    @initialize(rules=st.sampled_from(["wg-2016", "as-implemented"]), seed=st.integers(0, 3))
    def build(self, rules, seed):
        self.world = World(VirtualClock(), rules=rules, seed=seed, max_image_bytes=LIMIT, scripted_hubs=True,
                           alert_window_ms=20_000, service_level_ms=30_000, dcc_faults=self.faults)
        self.world.add_premises(electricity_supplier="Supplier A", gas_supplier="Supplier B")
        self.world.add_premises(electricity_supplier="Supplier C", gas_supplier="Supplier A")
        self.devices = [spec for p in self.world.premises for spec in p.devices.values()]
        self.accepted: list[tuple[str, int]] = []
        self.version = 0x01000001

    def _image(self, device, kind: str) -> bytes:
        self.version += 1
        w = self.world
        if kind == "forged":
            return w.make_image(device, file_version=self.version, key=deterministic_key(77))
        if kind == "oversize":
            return w.make_image(device, file_version=self.version, payload_size=LIMIT)
        if kind == "wrong-type":
            return w.make_image(device, file_version=self.version, image_type=0x0999)
        return w.make_image(device, file_version=self.version, payload_size=200, signed=kind != "unsigned")

    @rule(user=st.sampled_from(USERS), role=st.sampled_from([None, None, None, *SupplierRole]),
          picks=st.lists(st.integers(0, 4), min_size=1, max_size=3), image=st.sampled_from(IMAGES))
    def submit(self, user, role, picks, image):
        # Under the working group's rules the DCC cuts an image above the limit into fragments,
        # which the scripted hubs here do not model (one image held, no REQUIRE_MORE_IMAGE): that
        # path is tested with the reference hub (tests/models/test_end_to_end.py, FRAG scenarios).
        assume(not (image == "oversize" and self.world.rules == "wg-2016"))
        euis = tuple(self.devices[i].eui64 if i < len(self.devices) else 0xDEAD for i in picks)
        target = next((d for d in self.devices if d.eui64 in euis), self.devices[0])
        data = self._image(target, image)
        if role is None:  # the role the user holds at the first device's premises, if any
            premises = next(p for p in self.world.premises if target.eui64 in p.specs)
            gas = premises.gas_meter is not None and premises.gas_meter.supplier == user
            role = SupplierRole.GAS_SUPPLIER if gas else SupplierRole.IMPORT_SUPPLIER
        rid = f"r{len(self.accepted)}-{self.version}"
        busy = {d for d in euis if self.world.dcc.in_progress(d)}
        version = file_version_to_firmware_version(self.version)
        request = UpdateFirmwareRequest(rid, user, role, data, version, euis)
        response = self.world.submit(request)
        event(type(response).__name__)
        if isinstance(response, Rejected):
            assert all(r != rid for r, _ in self.world.hub.distributions)
            return
        listed = set(response.devices) | {r.device for r in getattr(response, "invalid", ())}
        assert listed == set(euis)
        assert not busy & set(response.devices), "a request overrode a distribution in progress"
        assert user != "Nobody" and image == "good"
        self.accepted += [(rid, d) for d in response.devices]

    @rule(ms=st.integers(0, 2_000_000))
    def wait(self, ms):
        self.world.run_for(ms)

    @rule(i=st.integers(0, 3), code=st.integers(1, 3))
    def hub_fails_next_transfer(self, i, code):
        device = self.devices[i]
        self.world.premises[0 if i < 2 else 1].hub.outcomes[device.eui64] = code

    @invariant()
    def alerts_are_individual_staggered_and_in_time(self):
        if not hasattr(self, "world"):
            return
        dcc = self.world.dcc
        for alert in dcc.delivered:
            assert alert.recipients == (alert.supplier,)
            assert alert.supplier in dcc.suppliers_concerned(alert.device)
            assert 0 <= alert.delivered_ms - alert.time_ms < dcc.alert_window_ms <= dcc.service_level_ms
            if self.world.rules == "wg-2016":
                assert not isinstance(alert, TransferOutcomeAlert)
        for premises in self.world.premises:
            assert premises.hub.discarded == [], "the DCC let one image discard another"
            ran = {(d, s.file_version) for d, s in premises.specs.items()} | set(premises.hub.activated)
            for device in premises.specs:
                assert (device, dcc.inventory.firmware_version(device)) in ran, "inventory not read"

    @rule()
    def settle(self):
        world = self.world
        world.run_until_idle()
        dcc = world.dcc
        for premises in world.premises:
            for device in premises.specs:
                assert dcc.inventory.firmware_version(device) == premises.hub.read_firmware_version(device)
        counts = Counter((a.request_id, a.device, a.supplier, a.kind) for a in dcc.delivered)
        for rid, device in self.accepted:
            for supplier in dcc.suppliers_concerned(device):
                assert counts[(rid, device, supplier, AlertKind.REQUEST_PROCESSED)] == 1
                assert counts[(rid, device, supplier, AlertKind.FIRMWARE_CONFIRMED)] == 1
        assert all(n == 1 for n in counts.values())


TestDccStateMachine = DccMachine.TestCase
TestDccStateMachine.settings = settings(max_examples=30, stateful_step_count=15, deadline=None)


@pytest.mark.parametrize("fault", ["group-alerts", "allow-override", "inventory-from-request",
                                   "alert-c-too-late", "no-alert-c"])
def test_the_machine_catches_a_faulty_dcc(fault):
    faulty = type(f"Faulty{fault}", (DccMachine,), {"faults": (fault,)})
    # derandomize: the same examples every run, so a fault is caught every time or never (and
    # the test says so), not by luck: with random examples a full run once missed group-alerts.
    quick = settings(max_examples=100, stateful_step_count=15, deadline=None, database=None,
                     derandomize=True, phases=[Phase.generate], report_multiple_bugs=False,
                     suppress_health_check=list(HealthCheck))
    with pytest.raises(AssertionError):
        run_state_machine_as_test(faulty, settings=quick)
