"""Premises for tests and scenarios: a DCC, and per premises a hub, meters with their
Suppliers, IHD(s) and a PPMID on a HAN, paired as the scenario says.

``build_premises(clock, ...)`` returns a :class:`World` holding one premises; call
:meth:`World.add_premises` for more (one DCC serves them all). Everything is deterministic
from ``seed``: EUI-64s, the manufacturer test key, image payloads, image signatures (ECDSA
with RFC 6979 deterministic nonces) and every model's ``random.Random``.

:class:`ScriptedHub` is a HAN-less stand-in for the Communications Hub with the same DCC-side
methods: it reassembles the GBT blocks and then reports a scripted outcome per device. The
DCC's own tests and the load scenarios use it where the HAN download is not the point.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.dcc import DeviceRecord, MeterRecord, Rules
from hanota.conformance.models.faults.dcc_faults import dcc_class
from hanota.conformance.models.han import HanNetwork, HanNode
from hanota.conformance.models.service_request import (
    RequestVariant,
    ServiceRequestResponse,
    SupplierRole,
    UpdateFirmwareRequest,
    file_version_to_firmware_version,
)
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES
from hanota.protocol.ota_image import build_gbcs_image

if TYPE_CHECKING:
    from hanota.conformance.models.comms_hub import CommsHub
    from hanota.conformance.models.device import OtaDevice
    from hanota.conformance.models.hht import HandHeldTerminal

__all__ = [
    "DEFAULT_MANUFACTURER_CODE",
    "DeviceSpec",
    "Meter",
    "Premises",
    "ScriptedHub",
    "World",
    "build_premises",
    "deterministic_key",
    "sign_deterministically",
]

DEFAULT_MANUFACTURER_CODE = 0x1234
DEFAULT_IMAGE_TYPES = {"ihd": 0x0101, "ppmid": 0x0102, "hcalcs": 0x0103}
DEFAULT_FILE_VERSION = 0x01000000
DEFAULT_HARDWARE_VERSION = 1
_EUI_BASE = 0x000D_6F00_0000_0000
_TRAILER = 2 + 64
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def deterministic_key(seed: int) -> ec.EllipticCurvePrivateKey:
    """A P-256 test key derived from ``seed`` (never a real manufacturer's key)."""
    # a seeded PRNG on purpose: test keys must be reproducible, never secret
    secret = random.Random(f"manufacturer-key-{seed}").randrange(1, _P256_ORDER)  # noqa: S311
    return ec.derive_private_key(secret, ec.SECP256R1())


def sign_deterministically(image: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """Replace a signed GBCS image's trailer signature with an RFC 6979 one over the same bytes.

    ``protocol.signatures`` signs with a random nonce; same-seed runs must give the same
    frames byte for byte, so the builder re-signs deterministically (same key, same bytes).
    """
    signed = image[:-_TRAILER]
    der = key.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return signed + image[-_TRAILER:-64] + r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass(frozen=True)
class Meter:
    """An ESME or GSME: identity and responsible Supplier (meters run no OTA client here)."""

    eui64: int
    fuel: str
    supplier: str


@dataclass(frozen=True)
class DeviceSpec:
    """What the builder gave a HAN device: the values an image for it must carry."""

    eui64: int
    kind: str
    manufacturer_code: int
    image_type: int
    file_version: int
    hardware_version: int


#: a device at a premises: the reference device, a bridged one's node, or (scripted hubs) its spec
HanDevice: TypeAlias = "OtaDevice | HanNode | DeviceSpec"


@dataclass
class Premises:
    premises_id: str
    index: int
    network: HanNetwork
    hub: Any  # CommsHub, or ScriptedHub in a world of scripted hubs
    electricity_meter: Meter
    gas_meter: Meter | None
    devices: dict[str, Any]  # HanDevice values
    specs: dict[int, DeviceSpec]

    @property
    def meters(self) -> tuple[Meter, ...]:
        return (self.electricity_meter,) + ((self.gas_meter,) if self.gas_meter else ())

    @property
    def ihd(self) -> HanDevice:
        device: HanDevice = self.devices["ihd"]
        return device

    @property
    def ppmid(self) -> HanDevice:
        device: HanDevice = self.devices["ppmid"]
        return device

    @property
    def suppliers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.supplier for m in self.meters))


class World:
    """The DCC and every premises it serves, on one virtual clock."""

    def __init__(self, clock: VirtualClock, *, rules: Rules = "wg-2016", seed: int = 0,
                 dcc_faults: Iterable[str] = (), max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
                 alert_window_ms: int = 60_000, service_level_ms: int = 300_000,
                 confirm_delay_ms: int = 60_000, scripted_hubs: bool = False,
                 alert_stagger_interval_ms: int = 1_000) -> None:
        self.clock = clock
        self.rules: Rules = rules
        self.seed = seed
        self.max_image_bytes = max_image_bytes
        self.scripted_hubs = scripted_hubs
        self.manufacturer_key = deterministic_key(seed)
        self.public_key = self.manufacturer_key.public_key()
        self.dcc = dcc_class(dcc_faults)(
            clock, rules=rules, rng=random.Random(f"dcc-{seed}"),  # noqa: S311
            alert_window_ms=alert_window_ms, service_level_ms=service_level_ms,
            confirm_delay_ms=confirm_delay_ms, max_image_bytes=max_image_bytes,
            stagger_interval_ms=alert_stagger_interval_ms)
        self.premises: list[Premises] = []
        #: premises whose HAN may have frames to move (networks say so through on_pending).
        self._pending: set[int] = set()
        self._pass: list[int] | None = None  # premises still to pump in the step under way
        self._cursor = -1  # the premises that step is pumping
        self._devices: dict[int, tuple[Premises, DeviceSpec]] = {}
        self._request_seq = 0

    # -- building --------------------------------------------------------------------------
    def add_premises(self, *, electricity_supplier: str = "Supplier A",
                     gas_supplier: str | None = "Supplier B",
                     devices: Sequence[str] = ("ihd", "ppmid"),
                     device_faults: Iterable[str] = (), supports_fragmentation: bool = False,
                     consumer_refusal: bool = False,
                     device_options: dict[str, Any] | None = None, keep_log: bool = True,
                     hub_faults: Iterable[str] = ()) -> Premises:
        """One more premises: hub (with ``hub_faults`` switched on), ESME (and GSME), and
        ``devices`` paired to the hub.

        ``devices`` names kinds; a kind given twice gets keys ``ihd``, ``ihd2``, ...
        """
        index = len(self.premises)
        base = _EUI_BASE | (index + 1) << 16
        pid = f"premises-{index + 1}"
        rng_of = _RngFactory(self.seed, pid)
        network = HanNetwork(self.clock, keep_log=keep_log)
        network.on_pending = partial(self._wake, index)
        hub: Any
        if self.scripted_hubs:
            hub = ScriptedHub(self.clock, eui64=base | 0x01, max_image_bytes=self.max_image_bytes)
        else:
            from hanota.conformance.models.faults.hub_faults import hub_class

            hub = hub_class(hub_faults)(self.clock, eui64=base | 0x01, max_image_bytes=self.max_image_bytes,
                           rules=self.rules, rng=rng_of("hub"))
            network.attach(hub)
        esme = Meter(base | 0x02, "electricity", electricity_supplier)
        gsme = Meter(base | 0x03, "gas", gas_supplier) if gas_supplier is not None else None
        premises = Premises(pid, index, network, hub, esme, gsme, {}, {})
        self.premises.append(premises)
        self.dcc.register_premises(pid, hub, [MeterRecord(m.eui64, "electricity" if m.fuel ==
                                                          "electricity" else "gas", m.supplier)
                                              for m in premises.meters])
        for kind in devices:
            self.add_device(premises, kind, device_faults=device_faults,
                            supports_fragmentation=supports_fragmentation,
                            consumer_refusal=consumer_refusal, device_options=device_options)
        return premises

    def add_device(self, premises: Premises, kind: str, *, device_faults: Iterable[str] = (),
                   supports_fragmentation: bool = False, consumer_refusal: bool = False,
                   device_options: dict[str, Any] | None = None,
                   manufacturer_code: int = DEFAULT_MANUFACTURER_CODE, commissioned: bool = True,
                   gbcs_supports_request: bool = True) -> HanDevice:
        """One more device of ``kind`` at ``premises``, paired with its hub and known to the DCC
        (``commissioned`` and ``gbcs_supports_request`` set its DCC record). A kind given twice
        gets keys ``ihd``, ``ihd2``, ..."""
        if kind not in DEFAULT_IMAGE_TYPES:
            raise HarnessUsageError(f"device kind must be ihd, ppmid or hcalcs, not {kind!r}")
        count = 1 + sum(1 for s in premises.specs.values() if s.kind == kind)
        key = kind if count == 1 else f"{kind}{count}"
        base = _EUI_BASE | (premises.index + 1) << 16
        eui = base | {"ihd": 0x10, "ppmid": 0x20, "hcalcs": 0x30}[kind] | (count - 1)
        spec = DeviceSpec(eui, kind, manufacturer_code, DEFAULT_IMAGE_TYPES[kind],
                          DEFAULT_FILE_VERSION, DEFAULT_HARDWARE_VERSION)
        rng = _RngFactory(self.seed, premises.premises_id)(key)
        device = self._make_device(premises, spec, rng, device_faults, supports_fragmentation,
                                   consumer_refusal, device_options or {})
        premises.devices[key] = device
        premises.specs[eui] = spec
        self._devices[eui] = (premises, spec)
        premises.hub.pair(eui, kind)
        self.dcc.register_device(DeviceRecord(eui, kind, premises.premises_id, spec.manufacturer_code,
                                              spec.image_type, self.public_key, commissioned=commissioned,
                                              gbcs_supports_request=gbcs_supports_request),
                                 firmware_version=spec.file_version)
        return device

    def join_device(self, premises: Premises, key: str, node: HanNode, spec: DeviceSpec) -> None:
        """A device this world did not build (a bridged device under test, reached through
        ``node``) joins ``premises`` as ``key``: paired with its hub and known to the DCC."""
        premises.hub.pair(spec.eui64, spec.kind)
        self.dcc.register_device(DeviceRecord(spec.eui64, spec.kind, premises.premises_id,
                                              spec.manufacturer_code, spec.image_type, self.public_key),
                                 firmware_version=spec.file_version)
        self._devices[spec.eui64] = (premises, spec)
        premises.specs[spec.eui64] = spec
        premises.devices[key] = node

    def _make_device(self, premises: Premises, spec: DeviceSpec, rng: random.Random,
                     faults: Iterable[str], supports_fragmentation: bool, consumer_refusal: bool,
                     options: dict[str, Any]) -> OtaDevice | DeviceSpec:
        if self.scripted_hubs:
            assert isinstance(premises.hub, ScriptedHub)
            premises.hub.versions[spec.eui64] = spec.file_version
            return spec
        from hanota.conformance.models.faults.device_faults import device_class

        device = device_class(faults)(
            self.clock, eui64=spec.eui64, kind=spec.kind,  # type: ignore[arg-type]
            manufacturer_code=spec.manufacturer_code, image_type=spec.image_type,
            file_version=spec.file_version, hardware_version=spec.hardware_version,
            public_key=self.public_key, paired_hub=premises.hub.eui64, rng=rng,
            supports_fragmentation=supports_fragmentation, consumer_refusal=consumer_refusal,
            max_image_bytes=self.max_image_bytes, **options)
        premises.network.attach(device)
        return device

    # -- images and requests ---------------------------------------------------------------
    def spec(self, device: int | HanDevice) -> DeviceSpec:
        eui = device if isinstance(device, int) else device.eui64
        try:
            return self._devices[eui][1]
        except KeyError:
            raise HarnessUsageError(f"no device {eui:#018x} in this world") from None

    def premises_of(self, device: int) -> Premises | None:
        """The premises where the device with this EUI-64 was added (None: no such device)."""
        found = self._devices.get(device)
        return found[0] if found is not None else None

    def make_image(self, device: int | HanDevice, *, payload_size: int = 1024,
                   file_version: int | None = None,
                   manufacturer_code: int | None = None, image_type: int | None = None,
                   key: ec.EllipticCurvePrivateKey | None = None, signed: bool = True,
                   payload: bytes | None = None, hardware_versions: tuple[int, int] | None = None) -> bytes:
        """A GBCS Upgrade Image for ``device`` signed with the manufacturer test key.

        Defaults: the device's manufacturer code and image type, its file version + 1, a
        deterministic payload of ``payload_size`` bytes, no hardware-version range.
        """
        spec = self.spec(device)
        version = spec.file_version + 1 if file_version is None else file_version
        if payload is None:
            seed = f"payload-{self.seed}-{spec.eui64}-{version}-{payload_size}"
            payload = random.Random(seed).randbytes(payload_size)  # noqa: S311
        signer = (key or self.manufacturer_key) if signed else None
        lo, hi = hardware_versions if hardware_versions is not None else (None, None)
        image = build_gbcs_image(
            manufacturer_code=spec.manufacturer_code if manufacturer_code is None else manufacturer_code,
            image_type=spec.image_type if image_type is None else image_type,
            file_version=version, manufacturer_image=payload, private_key=signer,
            minimum_hardware_version=lo, maximum_hardware_version=hi)
        return sign_deterministically(image, signer) if signer is not None else image

    def request(self, devices: Sequence[int | HanDevice], image: bytes, *, requester: str | None = None,
                role: SupplierRole | None = None, request_id: str | None = None,
                firmware_version: int | None = None,
                variant: RequestVariant = RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE,
                fragments: tuple[bytes, ...] = ()) -> UpdateFirmwareRequest:
        """An SR built for ``devices`` (default requester: their premises' electricity Supplier)."""
        euis = tuple(d if isinstance(d, int) else d.eui64 for d in devices)
        if requester is None:
            requester = self._devices[euis[0]][0].electricity_meter.supplier
            role = role or SupplierRole.IMPORT_SUPPLIER
        if role is None:
            premises = self._devices[euis[0]][0]
            gas = premises.gas_meter is not None and premises.gas_meter.supplier == requester
            elec = premises.electricity_meter.supplier == requester
            role = SupplierRole.GAS_SUPPLIER if gas and not elec else SupplierRole.IMPORT_SUPPLIER
        if firmware_version is None:
            from hanota.protocol.ota_image import ImageFormat, parse_image

            firmware_version = parse_image(image, max_size=max(len(image), 1),
                                           expected_format=ImageFormat.GBCS).header.file_version
        if request_id is None:
            self._request_seq += 1
            request_id = f"sr-{self._request_seq:06d}"
        return UpdateFirmwareRequest(request_id, requester, role, image,
                                     file_version_to_firmware_version(firmware_version), euis, variant,
                                     fragments)

    def hand_held_terminal(self, image: bytes, premises: Premises | None = None) -> HandHeldTerminal:
        """An installer's HHT on the premises' HAN, holding ``image`` (for the local-upgrade ban)."""
        from hanota.conformance.models.hht import HandHeldTerminal

        where = premises or self.first
        hht = HandHeldTerminal(self.clock, eui64=_EUI_BASE | (where.index + 1) << 16 | 0xEE, image=image)
        where.network.attach(hht)
        return hht

    def submit(self, request: UpdateFirmwareRequest) -> ServiceRequestResponse:
        return self.dcc.submit(request)

    # -- running ---------------------------------------------------------------------------
    def step(self) -> int:
        """Deliver pending frames and hub events once; returns how much happened.

        Pumps, in premises order, only the HANs with something to move (the others would
        move nothing); a HAN that gets frames during the step is pumped in it if its turn
        has not come yet, as if every HAN were pumped in turn.
        """
        moved = 0
        pending = self._pending
        if pending:
            todo = sorted(pending)  # a sorted list is a heap
            self._pass, self._cursor = todo, -1
            premises = self.premises
            try:
                while todo:
                    index = heapq.heappop(todo)
                    if index <= self._cursor:
                        continue  # woken twice
                    self._cursor = index
                    network = premises[index].network
                    moved += network.pump()
                    if network.quiet:
                        pending.discard(index)
            finally:
                self._pass = None
        return moved + self.dcc.poll()

    def _wake(self, index: int) -> None:
        """Premises ``index``'s HAN has frames queued: pump it in the next step (or this one)."""
        self._pending.add(index)
        if self._pass is not None and index > self._cursor:
            heapq.heappush(self._pass, index)

    def run_until_idle(self, max_virtual_ms: int = 7 * 86_400_000, max_steps: int = 5_000_000) -> int:
        """Pump the HANs and the DCC, advancing the clock timer by timer, until nothing is left.

        Bounded: HarnessUsageError if idle is not reached within ``max_virtual_ms`` of virtual
        time or ``max_steps`` frames and events. Returns the number of frames and events moved.
        """
        deadline = self.clock.now_ms + max_virtual_ms
        moved = 0
        while True:
            got = self.step()
            moved += got
            if moved > max_steps:
                raise HarnessUsageError(f"world not idle after {max_steps} frames and events")
            if got:
                continue
            due = self.clock.next_due_ms()
            if due is None:
                return moved
            if due > deadline:
                raise HarnessUsageError(
                    f"world not idle within {max_virtual_ms} virtual ms (next timer at {due} ms)")
            self.clock.advance_to(due)

    def run_for(self, virtual_ms: int) -> None:
        """Run every timer due in the next ``virtual_ms`` and deliver what they cause."""
        target = self.clock.now_ms + virtual_ms
        while True:
            while self.step():
                pass
            due = self.clock.next_due_ms()
            if due is None or due > target:
                self.clock.advance_to(target)
                while self.step():
                    pass
                return
            self.clock.advance_to(due)

    # -- convenience for the single-premises case -----------------------------------------
    @property
    def first(self) -> Premises:
        if not self.premises:
            raise HarnessUsageError("the world has no premises yet")
        return self.premises[0]

    @property
    def hub(self) -> CommsHub | ScriptedHub:
        hub: CommsHub | ScriptedHub = self.first.hub
        return hub

    @property
    def network(self) -> HanNetwork:
        return self.first.network

    @property
    def ihd(self) -> HanDevice:
        return self.first.ihd

    @property
    def ppmid(self) -> HanDevice:
        return self.first.ppmid


class _RngFactory:
    """One ``random.Random`` per model, seeded from the world seed and the model's name."""

    def __init__(self, seed: int, scope: str) -> None:
        self.seed = seed
        self.scope = scope

    def __call__(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}-{self.scope}-{name}")  # noqa: S311


def build_premises(clock: VirtualClock, *, electricity_supplier: str = "Supplier A",
                   gas_supplier: str | None = "Supplier B", devices: Sequence[str] = ("ihd", "ppmid"),
                   rules: Rules = "wg-2016", seed: int = 0, device_faults: Iterable[str] = (),
                   dcc_faults: Iterable[str] = (), max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
                   alert_window_ms: int = 60_000, service_level_ms: int = 300_000,
                   confirm_delay_ms: int = 60_000, supports_fragmentation: bool = False,
                   consumer_refusal: bool = False, scripted_hubs: bool = False,
                   device_options: dict[str, Any] | None = None,
                   alert_stagger_interval_ms: int = 1_000) -> World:
    """A World with one dual-fuel (or electricity-only) premises and the DCC serving it."""
    world = World(clock, rules=rules, seed=seed, dcc_faults=dcc_faults, max_image_bytes=max_image_bytes,
                  alert_window_ms=alert_window_ms, service_level_ms=service_level_ms,
                  confirm_delay_ms=confirm_delay_ms, scripted_hubs=scripted_hubs,
                  alert_stagger_interval_ms=alert_stagger_interval_ms)
    world.add_premises(electricity_supplier=electricity_supplier, gas_supplier=gas_supplier,
                       devices=devices, device_faults=device_faults,
                       supports_fragmentation=supports_fragmentation,
                       consumer_refusal=consumer_refusal, device_options=device_options)
    return world


# -- a HAN-less hub ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScriptedTransferAlert:
    """Same fields as comms_hub.FirmwareTransferAlert (CCS08)."""

    request_id: str
    device: int
    response_code: int
    time_ms: int


@dataclass(frozen=True)
class ScriptedVersionAlert:
    """Same fields as comms_hub.FirmwareVersionAlert (0x8F8B)."""

    request_id: str
    device: int
    firmware_version: int
    activated: bool
    time_ms: int


@dataclass
class _Held:
    request_id: str
    targets: tuple[int, ...]
    reassembler: Any
    file_version: int | None = None
    done: set[int] = field(default_factory=set)


_last_version: tuple[bytes, int, int] | None = None


def _file_version(image: bytes, max_size: int) -> int:
    """The GBCS image's file version; the last answer is kept (every scripted hub of a load
    run parses the same image, and parsing is pure)."""
    global _last_version
    last = _last_version
    if last is not None and last[1] == max_size and last[0] == image:
        return last[2]
    from hanota.protocol.ota_image import ImageFormat, parse_image

    version = parse_image(image, max_size=max_size, expected_format=ImageFormat.GBCS).header.file_version
    _last_version = (image, max_size, version)
    return version


class ScriptedHub:
    """The hub's DCC side without a HAN: after the whole image arrives, each target reports
    CCS08 success ``transfer_ms`` later and activates ``activation_ms`` after that, unless
    ``outcomes[device]`` names a CCS08 failure code. A second image while one is held discards
    it (CCS08 Image Discarded for the targets not yet done), as the real hub's storage rule.
    """

    def __init__(self, clock: VirtualClock, *, eui64: int, max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
                 transfer_ms: int = 600_000, activation_ms: int = 60_000) -> None:
        self.clock = clock
        self.eui64 = eui64
        self.max_image_bytes = max_image_bytes
        self.transfer_ms = transfer_ms
        self.activation_ms = activation_ms
        self.paired: dict[int, str] = {}
        self.versions: dict[int, int] = {}
        self.outcomes: dict[int, int] = {}
        self.distributions: list[tuple[str, tuple[int, ...]]] = []
        self.blocks = 0
        #: (request_id, device) pairs whose image was discarded by a later one (evidence).
        self.discarded: list[tuple[str, int]] = []
        #: (device, version) for every activation (evidence).
        self.activated: list[tuple[int, int]] = []
        self._held: _Held | None = None
        self._events: deque[ScriptedTransferAlert | ScriptedVersionAlert] = deque()
        #: set by the DCC this hub is registered with: called on each event queued.
        self.dcc_notify: Callable[[], None] | None = None

    def pair(self, device: int, kind: str) -> None:
        self.paired[device] = kind

    def start_distribution(self, request_id: str, targets: Sequence[int]) -> None:
        from hanota.protocol.gbt import GbtReassembler

        held = self._held
        if held is not None:
            for device in held.targets:
                if device not in held.done:
                    held.done.add(device)
                    self.discarded.append((held.request_id, device))
                    self._events.append(ScriptedTransferAlert(held.request_id, device, 1, self.clock.now_ms))
                    if self.dcc_notify is not None:
                        self.dcc_notify()
        self._held = _Held(request_id, tuple(targets), GbtReassembler(self.max_image_bytes))
        self.distributions.append((request_id, tuple(targets)))

    def receive_wan_block(self, block: bytes) -> None:
        held = self._held
        if held is None:
            raise HarnessUsageError("a WAN block arrived before start_distribution")
        self.blocks += 1
        image = held.reassembler.receive(block)
        if image is None:
            return
        held.file_version = _file_version(bytes(image), self.max_image_bytes)
        for device in held.targets:
            self.clock.call_later(self.transfer_ms, partial(self._transferred, held, device))

    def _transferred(self, held: _Held, device: int) -> None:
        if device in held.done:
            return
        held.done.add(device)
        code = self.outcomes.get(device, 0)
        self._events.append(ScriptedTransferAlert(held.request_id, device, code, self.clock.now_ms))
        if self.dcc_notify is not None:
            self.dcc_notify()
        if code == 0:
            self.clock.call_later(self.activation_ms, partial(self._activate, held, device))

    def _activate(self, held: _Held, device: int) -> None:
        assert held.file_version is not None
        self.versions[device] = held.file_version
        self.activated.append((device, held.file_version))
        self._events.append(ScriptedVersionAlert(held.request_id, device, held.file_version, True,
                                                 self.clock.now_ms))
        if self.dcc_notify is not None:
            self.dcc_notify()

    def read_firmware_version(self, device: int) -> int | None:
        return self.versions.get(device)

    def next_event(self) -> ScriptedTransferAlert | ScriptedVersionAlert | None:
        return self._events.popleft() if self._events else None
