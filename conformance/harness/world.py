"""World building: the premises, the paired device under test and the played hub of a scenario.

:class:`Scene` records the Suppliers (premises step), builds the reference
:class:`~hanota.conformance.models.premises.World` when the device is paired (or joins a bridged
device to it), connects a DCC test system for DCC-side scenarios, and holds what was built for
the other parts of the harness: the world, the played hub, the adapter, the DCC side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hanota.protocol import ota_image
from hanota.protocol.errors import HarnessUsageError

from ..adapters import DutAdapter, DutLink, open_dut
from ..models.clock import VirtualClock
from ..models.comms_hub import CommsHub
from ..models.device_requests import WAIT_POLL_MS
from ..models.han import HanNetwork, HanNode
from ..models.premises import DeviceSpec, Premises, World
from ..params import UpgradeTime
from ..pics import Pics
from .config import RunConfig
from .hub import HubPlayer, upgrade_times
from .records import DutHandle

if TYPE_CHECKING:
    from ..dcc_http.client import HttpDccSide
    from ..dcc_side import DccSide
    from ..duis.client import DuisDccSide

__all__ = ["Evidence", "EvidenceSource", "Scene"]

#: One entry of a scenario's evidence (docs/report-format.md): JSON values by field name.
Evidence = dict[str, Any]
#: A part of the run that adds evidence entries (Service Requests, alerts: the DCC side).
EvidenceSource = Callable[[], list[Evidence]]


class Scene:
    """What a scenario has built so far, and the steps that build it."""

    def __init__(self, config: RunConfig, clock: VirtualClock) -> None:
        self.config = config
        self.clock = clock
        self.world: World | None = None
        self.player: HubPlayer | None = None
        #: the Suppliers of the premises step (electricity, gas), until pairing builds them
        self.suppliers: tuple[str, str | None] | None = None
        #: the bridged device under test (None: the reference device in the world)
        self.adapter: DutAdapter | None = None
        self.link: DutLink | None = None
        #: a wall-time device: the harness's clock follows the wall clock (offset at pairing)
        self.wall_time = False
        self.wall_offset_ms = 0
        #: the scenario's DCC side (the DCC test system's, or the reference DCC's on first use)
        self.dcc_side: DccSide | None = None
        #: the DCC test system when ``dcc_url`` is set and this is a DCC-side scenario: then the
        #: local world is only a twin (device identities, signing key), and time is the system's
        self.remote_dcc: HttpDccSide | DuisDccSide | None = None
        #: nodes other than the device's hub that offered an image (HHT, another node)
        self.extra_nodes: list[HanNode] = []
        #: evidence beyond the HAN's frames (the DCC side adds Service Requests and alerts)
        self.evidence_sources: list[EvidenceSource] = []
        #: True while a DCC-driven transfer is still under way (the DCC side adds them)
        self.download_probes: list[Callable[[], bool]] = []
        #: run at the end of the scenario (a DUIS response address)
        self.closers: list[Callable[[], None]] = []
        self._device_key = ""

    def _upgrade_times(self, when: UpgradeTime) -> tuple[int, int]:
        return upgrade_times(self.clock.now_ms, when, self.config.ms)

    # ------------------------------------------------------------------ what was built
    def world_(self) -> World:
        if self.world is None:
            raise HarnessUsageError("no premises with a paired device yet in this scenario")
        return self.world

    def player_(self) -> HubPlayer:
        self.world_()
        assert self.player is not None
        return self.player

    @property
    def premises_(self) -> Premises:
        return self.world_().first

    @property
    def hub(self) -> CommsHub:
        """The reference Communications Hub (DCC side); on the HAN the player stands for it."""
        hub: CommsHub = self.world_().first.hub
        return hub

    @property
    def network(self) -> HanNetwork:
        return self.world_().first.network

    @property
    def device(self) -> HanNode:
        """The scenario's device as the world holds it (the reference OtaDevice, or the DutLink
        of a bridged one): use only for its address, ``.eui64``."""
        node: HanNode = self.world_().first.devices[self._device_key]
        return node

    @property
    def device_eui64(self) -> int:
        return self.device.eui64

    @property
    def dut(self) -> DutHandle:
        """The device under test: its address and declared identity (the seam for adapters)."""
        if self.adapter is not None:
            i = self.adapter.identity
            return DutHandle(i.eui64, i.kind, i.manufacturer_code, i.image_type, i.file_version,
                             i.hardware_version)
        spec = self.world_().spec(self.device_eui64)
        return DutHandle(spec.eui64, spec.kind, spec.manufacturer_code, spec.image_type,
                         spec.file_version, spec.hardware_version)

    # ------------------------------------------------------------------ building
    def premises(self, electricity: str, gas: str | None) -> None:
        """Record the premises' Suppliers; the world is built when the device is paired."""
        if self.world is not None:
            raise HarnessUsageError("the premises are already built in this scenario")
        self.suppliers = (electricity, gas)

    def pair(self, kind: str | None) -> None:
        """Build the world: the premises with one device of ``kind`` (None: the PICS kind)."""
        config = self.config
        if self.suppliers is None:
            raise HarnessUsageError("pairing needs the premises first")
        if self.world is not None:
            raise HarnessUsageError("a device is already paired in this scenario")
        if config.dut_spec != "reference" and config.side == "device":
            self._pair_bridged(self.suppliers)
            return
        kind = kind or (config.pics.kind if config.side == "device" else "ppmid")
        world = self.world = config.new_world(self.clock)
        pics = config.pics
        premises = world.add_premises(
            electricity_supplier=self.suppliers[0], gas_supplier=self.suppliers[1], devices=(kind,),
            device_faults=config.device_faults, supports_fragmentation=pics.supports("fragmentation"),
            consumer_refusal=pics.supports("consumer_refusal"),
            device_options=_pics_options(pics, under_test=config.side == "device"),
            hub_faults=config.hub_faults)
        self._device_key = kind
        hub = premises.hub
        # The played hub takes the reference hub's place on the HAN, under the same EUI-64.
        premises.network.detach(hub.eui64)
        self.player = HubPlayer(hub, premises.network, premises.devices[kind].eui64, self._upgrade_times)
        premises.network.attach(self.player)
        if config.dcc_url is not None and config.side == "dcc":
            self._connect_dcc(kind)

    def _connect_dcc(self, kind: str) -> None:
        """Start the scenario on the DCC test system at ``dcc_url`` (``POST /reset`` with the
        run's rules, seed and PIXIT durations, then ``POST /premises`` as here). The local world
        stays as a twin: the steps take device identities and the image signing key from it,
        so the remote premises must match it (the reference DCC served with the same seed does)."""
        from ..dcc_http.client import HttpDccSide

        config, url = self.config, self.config.dcc_url or ""
        suppliers, world = self.suppliers, self.world_()
        assert suppliers is not None
        if url.startswith("duis+"):
            from ..duis.link import connect

            side = connect(self, kind, url, config.duis_options)
            self.remote_dcc = self.dcc_side = side
            self.evidence_sources.append(lambda: [{"kind": "dcc", "text": line} for line in side.evidence()])
            return
        client = HttpDccSide(url)
        settings: dict[str, Any] = {
            "rules": config.rules, "seed": config.seed, "max_image_bytes": config.max_image_bytes,
            "alert_window_ms": world.dcc.alert_window_ms, "service_level_ms": config.alert_service_level_ms,
            "confirm_delay_ms": config.version_confirmation_delay_ms,
            "alert_stagger_interval_ms": config.alert_stagger_interval_ms}
        if config.dcc_faults:  # otherwise the faults the system was started with stay (mutation runs)
            settings["dcc_faults"] = sorted(config.dcc_faults)
        info = client.reset(**settings)
        made = client.add_premises(
            electricity_supplier=suppliers[0], gas_supplier=suppliers[1], devices=(kind,),
            supports_fragmentation=config.pics.supports("fragmentation"),
            consumer_refusal=config.pics.supports("consumer_refusal"),
            device_faults=sorted(config.device_faults), hub_faults=sorted(config.hub_faults))
        self.check_twin(made, info)
        self.remote_dcc = self.dcc_side = client
        self.evidence_sources.append(lambda: [{"kind": "dcc", "text": line} for line in client.evidence()])
        self.evidence_sources.append(client.gbcs_evidence)

    def check_twin(self, made: dict[str, Any], info: dict[str, Any]) -> None:
        """The remote premises' device must be the twin's (EUI-64, identity, signing key)."""
        from cryptography.hazmat.primitives import serialization

        dut, seed = self.dut, self.config.seed
        devices = made.get("devices") or [{}]
        got = devices[0]
        want = {"eui64": f"{dut.eui64:016X}", "manufacturer_code": dut.manufacturer_code,
                "image_type": dut.image_type, "file_version": f"{dut.file_version:08X}"}
        differ = {k: (v, got.get(k)) for k, v in want.items()
                  if str(got.get(k, "")).upper() != str(v).upper()}
        pem = self.world_().public_key.public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        remote_pem = info.get("manufacturer_public_key_pem")
        if remote_pem is not None and remote_pem.strip() != pem.decode("ascii").strip():
            differ["manufacturer_public_key_pem"] = (f"the suite's test key for seed {seed}", "another key")
        if differ:
            raise HarnessUsageError(
                f"the DCC test system at {self.config.dcc_url} built a premises unlike the suite's "
                f"reference twin (seed {seed}); expected, got: {differ}. Serve it with 'hanota serve-dcc' "
                "or give devices and a signing key the suite can reproduce")

    def _pair_bridged(self, suppliers: tuple[str, str | None]) -> None:
        """The device under test is reached through ``conformance.adapters`` (``--hanota-dut
        tcp://HOST:PORT``): it joins the premises' HAN through a DutLink, and the played hub
        takes the address of the hub the device says it is paired with."""
        config = self.config
        timeout = config.pics.timing.response_timeout_ms
        adapter = self.adapter = open_dut(config.dut_spec, response_timeout_ms=timeout)
        ident = adapter.identity
        if ident.paired_hub is None:
            raise HarnessUsageError("the device under test says it is paired with no hub")
        if ident.can_reset:  # every scenario starts from the factory state ...
            adapter.reset()
            adapter.close()  # ... and a fresh handshake reports the firmware it then runs
            adapter = self.adapter = open_dut(config.dut_spec, response_timeout_ms=timeout)
            ident = adapter.identity
        world = self.world = config.new_world(self.clock)
        premises = world.add_premises(electricity_supplier=suppliers[0], gas_supplier=suppliers[1],
                                      devices=(), hub_faults=config.hub_faults)
        hub = premises.hub
        spec = DeviceSpec(ident.eui64, ident.kind, ident.manufacturer_code, ident.image_type,
                          ident.file_version, ident.hardware_version)
        self.link = DutLink(adapter)
        world.join_device(premises, ident.kind, self.link, spec)
        self._device_key = ident.kind
        premises.network.detach(hub.eui64)
        self.player = HubPlayer(hub, premises.network, ident.eui64, self._upgrade_times,
                                eui64=ident.paired_hub)
        premises.network.attach(self.player)
        premises.network.attach(self.link)
        # A real device runs on wall time: from now on the harness's clock follows it.
        self.wall_time = not ident.virtual_time
        self.wall_offset_ms = self.clock.now_ms - adapter.now_ms()

    def close(self) -> None:
        """End the scenario: close the connection to a bridged device (and a DUIS response address)."""
        if self.adapter is not None:
            self.adapter.close()
        for close in self.closers:
            close()


def _pics_options(pics: Pics, *, under_test: bool = False) -> dict[str, Any]:
    """The reference device as the PICS declares it: without an optional feature, it lacks it.
    Under test (device side) it queries on its own at its declared interval, and asks its hub
    again while it waits to upgrade, as 095264 recommends; not on the DCC side, whose world runs
    until idle, which a device asking forever never is."""
    out: dict[str, Any] = {"supports_resume": pics.supports("resume"),
                           "resume_after_power_cycle": pics.supports("resume_after_power_cycle"),
                           "device_specific_files": pics.supports("device_specific_files"),
                           "page_requests": pics.supports("image_page_requests"),
                           "device_file_query": pics.device_file_query}
    if under_test and pics.supports("periodic_query") and pics.timing.query_interval_ms:
        out["query_interval_ms"] = pics.timing.query_interval_ms
    if not pics.supports("zigbee_ota_images"):
        out["expected_format"] = ota_image.ImageFormat.GBCS
    if under_test:
        out["wait_poll_ms"] = WAIT_POLL_MS
    return out
