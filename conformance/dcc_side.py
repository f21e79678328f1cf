"""The DCC side of the suite: what a Supplier does at the DCC and what it sees come back.

The ``@side-dcc`` scenarios talk to the DCC only through :class:`DccSide`: submit a firmware
Service Request for a Supplier, read the DCC's answer, the alerts each Supplier received (with
when they were raised and when they arrived), what reached each premises' Communications Hub
over the WAN (a whole image, or fragments), and a device's record in the Smart Metering
Inventory. :class:`ReferenceDccSide` implements it in process over the reference world
(``conformance.models``); an HTTP binding of a DCC's test system (issue 8) implements the same
Protocol, so the same steps judge either.

Alerts are classified once, here, in the vocabulary of the features (``features/README.md``):

* ``(a)``: the DCC processed the request (``RequestProcessedAlert``);
* ``(c)``: the firmware version read from the device after activation was due
  (``FirmwareConfirmedAlert``);
* ``Image Discarded``: the as-implemented CCS08 failure passed on, response code 1 (N61);
* ``(b)``: any alert telling a Supplier that the hub did not deliver the image (a passed-on
  CCS08 failure, response code other than 0). The working group removed it.

A passed-on CCS08 success (N60) is none of these and is listed as ``transfer outcome``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import Any, ClassVar, Protocol

from hanota.conformance.adapters.base import DutNotApplicableError
from hanota.conformance.models import gbcs_wan
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.comms_hub import CommsHub
from hanota.conformance.models.han import HanFrame, HanNetwork, HanNode
from hanota.conformance.models.premises import DEFAULT_MANUFACTURER_CODE, Premises, ScriptedHub, World
from hanota.conformance.models.service_request import (
    Acknowledged,
    ActivateFirmwareRequest,
    ActivationOutcomeAlert,
    Alert,
    FirmwareConfirmedAlert,
    Rejected,
    RequestProcessedAlert,
    RequestVariant,
    ServiceRequestResponse,
    SupplierRole,
    TransferOutcomeAlert,
    UpdateFirmwareRequest,
    WarningResponse,
)
from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.gbt import GbtReassembler, split

__all__ = [
    "ALERT_KINDS",
    "DISCARD_REASONS",
    "AlertSeen",
    "CUT_OFF_POINTS",
    "DccSide",
    "GbcsNotObservableError",
    "OTHER_DEVICES",
    "FirmwareRead",
    "HubDelivery",
    "ReferenceDccSide",
    "SubmittedRequest",
    "describe_change",
    "describe_response",
    "format_alerts",
    "gbcs_frames_of",
    "is_kind",
]

#: The alert names the features use.
ALERT_KINDS = ("(a)", "(b)", "(c)", "Image Discarded")
#: Why a hub may drop an image it holds (the minutes' requirement (b) cases).
DISCARD_REASONS = ("the device did not retrieve it in time", "an electricity meter image took priority")
#: The other devices a DeviceIDList can name beside the device (test support: the SR 11.4
#: validation matrix). Each but the first is added to the device's premises in that state.
OTHER_DEVICES = ("a device unknown to the DCC", "an IHD", "a PPMID not commissioned",
                 "a PPMID of another manufacturer", "a PPMID with another request in progress",
                 "a PPMID whose GBCS version does not support the request")
#: When a device can be cut off its HAN (test support: the causes of CCS08 and CS08 failures).
CUT_OFF_POINTS = ("before it retrieves the image", "during the download", "once it has the whole image")
#: CCS08 response code 'Image Discarded' (domain.md section 2b).
_IMAGE_DISCARDED = 1
#: What the WAN tap will reassemble: generous, the tap only observes what the DCC sent.
_TAP_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SubmittedRequest:
    """One Service Request as a Supplier sent it, and the DCC's answer."""

    request_id: str
    supplier: str
    label: str
    devices: tuple[int, ...]
    file_version: int
    image_bytes: int
    submitted_ms: int
    response: ServiceRequestResponse
    fragments: int = 0  # how many fragments carried the image (0: sent whole)

    @property
    def accepted_devices(self) -> tuple[int, ...]:
        return () if isinstance(self.response, Rejected) else tuple(self.response.devices)

    def describe(self) -> str:
        devices = ", ".join(f"{d:#018x}" for d in self.devices)
        how = f"in {self.fragments} fragments" if self.fragments else "whole"
        return (f"Service Request {self.request_id} from {self.supplier!r} at {self.submitted_ms} ms: "
                f"image {self.label!r} ({self.image_bytes} bytes {how}, "
                f"file version {self.file_version:#010x}) "
                f"for [{devices}] -> {describe_response(self.response)}")


@dataclass(frozen=True)
class AlertSeen:
    """One alert as a Supplier received it."""

    supplier: str
    kind: str  # one of ALERT_KINDS, or "transfer outcome" (an N60 success passed on)
    request_id: str
    device: int
    raised_ms: int
    delivered_ms: int
    recipients: tuple[str, ...]
    #: (c): the version read from the device (None if the read failed); (a): the version requested.
    file_version: int | None = None
    response_code: int | None = None
    dcc_alert_code: str | None = None
    #: the GBCS alert the DCC passed on: 0x8F8A / 0x8F89 (CCS08) or 0x8F8B (CS08); None: none.
    device_alert_code: int | None = None
    #: (c) as implemented: 0x8F8B's activateImage (0 success, 1 failure) and executionDateTime
    #: (virtual ms), and the CS08 read's responseCode (0 success, 1 failure).
    activate_image: int | None = None
    executed_ms: int | None = None
    read_response_code: int | None = None

    def describe(self) -> str:
        version = "" if self.file_version is None else f", file version {self.file_version:#010x}"
        code = "" if self.response_code is None else f", CCS08 response code {self.response_code}"
        dcc = "" if self.dcc_alert_code is None else f" ({self.dcc_alert_code})"
        gbcs = "" if self.device_alert_code is None else f", GBCS alert 0x{self.device_alert_code:04X}"
        if self.activate_image is not None:
            gbcs += f", activateImage {self.activate_image} executed at {self.executed_ms} ms"
        if self.read_response_code is not None:
            gbcs += f", CS08 read responseCode {self.read_response_code}"
        to = ", ".join(self.recipients) or self.supplier
        return (f"alert {self.kind}{dcc} to {self.supplier!r} (addressed to: {to}) about request "
                f"{self.request_id}, device {self.device:#018x}{version}{code}{gbcs}; raised at "
                f"{self.raised_ms} ms, delivered at {self.delivered_ms} ms")


@dataclass(frozen=True)
class FirmwareRead:
    """A Supplier's read of a device's firmware version (SR 11.2, CS08) and the answer that came
    back: the CS08 responseCode and firmwareVersion of the GBCS response, decoded by the suite
    (None: no such response came, ``detail`` says what did)."""

    request_id: str
    device: int
    sent_ms: int
    response_code: int | None
    firmware_version: int | None
    detail: str


@dataclass
class HubDelivery:
    """One distribution the DCC sent to a hub over the WAN (GBT blocks), as the hub got it."""

    premises_id: str
    request_id: str
    targets: tuple[int, ...]
    started_ms: int
    blocks: int = 0
    payload: bytes | None = None  # the reassembled bytes once the last block arrived
    stored_by_hub: bool = False
    _reassembler: GbtReassembler = field(default_factory=lambda: GbtReassembler(_TAP_MAX_BYTES),
                                         repr=False)

    def describe(self) -> str:
        size = "incomplete" if self.payload is None else f"{len(self.payload)} bytes"
        kept = "stored by the hub" if self.stored_by_hub else "not stored by the hub"
        return (f"{self.premises_id}: request {self.request_id}, {self.blocks} GBT block(s), "
                f"{size}, {kept}, from {self.started_ms} ms")


def describe_response(response: ServiceRequestResponse | None) -> str:
    if response is None:
        return "no response"
    if isinstance(response, Acknowledged):
        return f"Acknowledged for {len(response.devices)} device(s)"
    if isinstance(response, WarningResponse):
        bad = "; ".join(f"{r.device:#018x}: {r.reason.value} ({r.detail})" for r in response.invalid)
        return f"WarningResponse: accepted {len(response.devices)} device(s), invalid: {bad}"
    bad = "".join(f"; {r.device:#018x}: {r.reason.value}" for r in response.invalid)
    return f"Rejected: {response.reason.value} ({response.detail}){bad}"


def describe_change(old: int | None, new: int, source: str, time_ms: int, request_id: str | None) -> str:
    """One change of an inventory record, as a line of evidence."""
    before = "nothing" if old is None else f"{old:#010x}"
    about = f", request {request_id}" if request_id else ""
    return f"{before} -> {new:#010x} ({source}, at {time_ms} ms{about})"


def format_alerts(alerts: Sequence[AlertSeen], limit: int = 20) -> str:
    """The alerts as indented lines for a failure message (first ``limit``, then a count)."""
    if not alerts:
        return "  (none)"
    lines = [f"  {a.describe()}" for a in alerts[:limit]]
    if len(alerts) > limit:
        lines.append(f"  ... and {len(alerts) - limit} more")
    return "\n".join(lines)


class DccSide(Protocol):
    """What the DCC-side scenarios need of a DCC (in process, or a DCC's test system)."""

    def submit(self, supplier: str, devices: Sequence[int], image: bytes, *, label: str,
               file_version: int) -> SubmittedRequest: ...

    def requests(self, supplier: str | None = None) -> list[SubmittedRequest]: ...

    def alerts_for(self, supplier: str) -> list[AlertSeen]: ...

    def suppliers(self) -> list[str]: ...

    def hub_deliveries(self) -> list[HubDelivery]: ...

    def inventory_version(self, device: int) -> int | None: ...

    def inventory_history(self, device: int) -> list[str]: ...

    def discard_on_hub(self, request_ids: Sequence[str], reason: str) -> None: ...

    def fail_next_activation(self, device: int) -> None: ...

    def now_ms(self) -> int: ...

    def wait_until(self, done: Callable[[], bool], deadline_ms: int) -> bool: ...

    def transfer_pending(self) -> bool: ...

    def evidence(self) -> list[str]: ...


class GbcsNotObservableError(DutNotApplicableError):
    """The DCC side cannot show the GBCS frames it exchanged with the hubs (a scenario that
    judges them is then *not applicable*, with this as the reason)."""


def gbcs_frames_of(side: object) -> list[gbcs_wan.GbcsRecord]:
    """The GBCS frames ``side`` exchanged with the hubs, oldest first (an optional operation:
    a DCC side without ``gbcs_frames`` makes the asking scenario not applicable)."""
    frames = getattr(side, "gbcs_frames", None)
    if frames is None:
        raise GbcsNotObservableError("this DCC side does not show the GBCS frames it exchanges with hubs")
    got: list[gbcs_wan.GbcsRecord] = frames()
    return got


class ReferenceDccSide:
    """:class:`DccSide` over the reference world (``conformance.models.premises.World``).

    It taps each hub's WAN face (``start_distribution`` / ``receive_wan_block`` /
    ``store_image``) to record what the DCC actually sent: an observer on the link, it never
    changes what passes.
    """

    #: What the servers that put this side behind DUIS or HTTP call (not part of :class:`DccSide`).
    SERVING_HOOKS: ClassVar[frozenset[str]] = frozenset({"record", "record_request", "tap_hubs"})

    def __init__(self, world: World, *, rules: str) -> None:
        self.world = world
        self.rules = rules
        self._requests: list[SubmittedRequest] = []
        self._deliveries: list[HubDelivery] = []
        self._tapped: set[int] = set()
        self.discards: list[str] = []  # evidence: what the harness made the hub drop, and why
        self._seq = 0  # SR 11.3 request ids

    # -- acting -------------------------------------------------------------------------------
    def submit(self, supplier: str, devices: Sequence[int], image: bytes, *, label: str,
               file_version: int) -> SubmittedRequest:
        """Send the firmware Service Request of the run's rule set for ``supplier``."""
        self.tap_hubs()
        dcc = self.world.dcc
        # A Supplier of no meter here is still a DCC user with a Supplier role: the request is
        # then refused for responsibility, not because the DCC has never heard of it.
        dcc.register_supplier(supplier)
        variant = (RequestVariant.SEND_PPMID_IHD_FIRMWARE if self.rules == "wg-2016"
                   else RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE)
        if devices and self.world.premises_of(devices[0]) is not None \
                and self.world.spec(devices[0]).kind == "hcalcs":
            variant = RequestVariant.SR_11_1_UPDATE_FIRMWARE  # HCALCS: distribution, then SR 11.3
        request = self.world.request(list(devices), image, requester=supplier, variant=variant,
                                     firmware_version=file_version)
        # The Supplier sends the whole image: cutting one above the limit into fragments is the
        # DCC's mechanism under the working group's rules (SECMP7-FRAG-001), never the suite's.
        return self.record_request(request, label, len(image), dcc.submit(request))

    def record_request(self, request: UpdateFirmwareRequest, label: str, size: int,
                response: ServiceRequestResponse) -> SubmittedRequest:
        return self.record(SubmittedRequest(request.request_id, request.requester, label,
                                            tuple(request.device_ids), request.file_version, size,
                                            self.now_ms(), response, len(request.fragments)))

    def record(self, sent: SubmittedRequest) -> SubmittedRequest:
        """Keep ``sent`` in the run's list of requests (the servers record what they took in)."""
        self._requests.append(sent)
        return sent

    def discard_on_hub(self, request_ids: Sequence[str], reason: str) -> None:
        """Make each hub holding the image of ``request_ids`` drop it, as for ``reason``.

        Each reason has its own cause on the reference hub (docs/reference-models.md):

        * "the device did not retrieve it in time": every target that has not started the
          download is cut off its HAN; the hub's notifications go unanswered until
          ``max_notifies``, and it discards the image for it (CCS08 'Image Discarded');
        * "an electricity meter image took priority": another image (for no HAN device) reaches
          the hub over the WAN in GBT blocks and takes its one HAN-device image slot (storage
          rule 1): every target not yet done gets CCS08 'Image Discarded'.
        """
        if reason not in DISCARD_REASONS:
            raise HarnessUsageError(f"unknown discard reason {reason!r}; known: {', '.join(DISCARD_REASONS)}")
        wanted = set(request_ids)
        hit = 0
        for premises in self.world.premises:
            hub = premises.hub
            stored = getattr(hub, "stored", None)
            if stored is None or stored.request_id not in wanted:
                continue
            if reason == DISCARD_REASONS[0]:
                waiting = [t.device for t in stored.targets.values() if t.state.value == "notified"]
                for device in waiting:
                    premises.network.link_down(device)
                how = f"cut {len(waiting)} target(s) that had not started the download off the HAN"
            else:
                device = next(iter(premises.devices.values()))
                filler = self.world.make_image(device, payload_size=16, file_version=0x00000001)
                hub.start_distribution(f"harness-displace-{len(self.discards) + 1}", [])
                for block in split(filler, block_size=1024):
                    hub.receive_wan_block(block)
                how = f"sent another image ({len(filler)} bytes) to the hub's HAN-device slot over the WAN"
            self.discards.append(f"{self.now_ms()} ms: {premises.premises_id}: {how}, so that it drops "
                                 f"request {stored.request_id} because {reason}")
            hit += 1
        if not hit:
            raise HarnessUsageError(f"no hub holds the image of request(s) {sorted(wanted)} to discard")

    # -- observing ----------------------------------------------------------------------------
    def requests(self, supplier: str | None = None) -> list[SubmittedRequest]:
        return [r for r in self._requests if supplier is None or r.supplier == supplier]

    def alerts_for(self, supplier: str) -> list[AlertSeen]:
        return [_seen(a, supplier) for a in self.world.dcc.alerts_for(supplier)]

    def suppliers(self) -> list[str]:
        names = {m.supplier for p in self.world.premises for m in p.meters}
        names |= {r.supplier for r in self._requests}
        return sorted(names)

    def hub_deliveries(self) -> list[HubDelivery]:
        return list(self._deliveries)

    def inventory_version(self, device: int) -> int | None:
        inventory = self.world.dcc.inventory
        return inventory.firmware_version(device) if device in inventory else None

    def inventory_history(self, device: int) -> list[str]:
        """Every change of the device's inventory record, oldest first, with its source."""
        inventory = self.world.dcc.inventory
        if device not in inventory:
            return []
        return [describe_change(c.old_version, c.new_version, c.source.value, c.time_ms, c.request_id)
                for c in inventory.history(device)]

    def submit_request(self, requester: str, role: SupplierRole, devices: Sequence[int], image: bytes,
                       file_version: int, *, variant: RequestVariant, label: str = "",
                       fragments: Sequence[bytes] = (), request_id: str | None = None,
                       image_bytes: int | None = None) -> SubmittedRequest:
        """A Service Request with exactly these fields (any role, any FirmwareVersion), as
        ``HttpDccSide.submit_request`` sends it."""
        self.tap_hubs()
        self.world.dcc.register_supplier(requester)
        request = self.world.request(list(devices), image, requester=requester, role=role,
                                     request_id=request_id, firmware_version=file_version,
                                     variant=variant, fragments=tuple(fragments))
        size = len(image) if image_bytes is None else image_bytes
        return self.record_request(request, label, size, self.world.dcc.submit(request))

    def activate(self, supplier: str, device: int, image_hash: bytes, *, label: str, file_version: int,
                 execution_ms: int | None) -> SubmittedRequest:
        """SR 11.3 'Activate Firmware' for the HCALCS ``device`` (CS06 with ``image_hash``)."""
        self._seq += 1
        role = _role_at(self.world, supplier, device)
        request = ActivateFirmwareRequest(f"act-{self._seq:06d}", supplier, role, device, image_hash,
                                          execution_ms)
        sent = SubmittedRequest(request.request_id, supplier, label, (device,), file_version, 0,
                                self.now_ms(), self.world.dcc.activate(request))
        self._requests.append(sent)
        return sent

    def add_other_device(self, device: int, what: str) -> int:
        """Make ``what`` (one of :data:`OTHER_DEVICES`) at ``device``'s premises; its EUI-64.
        "with another request in progress": a PPMID the gas Supplier (else the electricity
        Supplier) has just asked to update, with an image made for it."""
        if what not in OTHER_DEVICES:
            raise HarnessUsageError(f"unknown other device {what!r}; known: {'; '.join(OTHER_DEVICES)}")
        world = self.world
        premises = world.premises_of(device)
        if premises is None:
            raise HarnessUsageError(f"no device {device:#018x} in the reference world")
        if what == OTHER_DEVICES[0]:
            return int(device ^ 0xFF00)  # same premises range, never registered
        kind = "ihd" if what == OTHER_DEVICES[1] else "ppmid"
        model = world.add_device(premises, kind, commissioned=what != OTHER_DEVICES[2],
                                 manufacturer_code=DEFAULT_MANUFACTURER_CODE + (what == OTHER_DEVICES[3]),
                                 gbcs_supports_request=what != OTHER_DEVICES[5])
        if what == OTHER_DEVICES[4]:
            meter = premises.gas_meter or premises.electricity_meter
            supplier = meter.supplier
            self.submit(supplier, [model.eui64], world.make_image(model, payload_size=512),
                        label="other request", file_version=world.spec(model).file_version + 1)
        return int(model.eui64)

    def cut_off_device(self, device: int, when: str) -> None:
        """Cut the reference device ``device`` off its HAN at the point ``when`` (one of
        :data:`CUT_OFF_POINTS`): frames to and from it are lost from then on (test support:
        the cause of a transfer failure, a discard, or a failed read-back)."""
        if when not in CUT_OFF_POINTS:
            raise HarnessUsageError(f"unknown point {when!r}; known: {', '.join(CUT_OFF_POINTS)}")
        for premises in self.world.premises:
            for model in premises.devices.values():
                if model.eui64 == device:
                    _cut_off(self.world.clock, premises.network, model, CUT_OFF_POINTS.index(when))
                    self.discards.append(f"{self.now_ms()} ms: device {device:#018x} to be cut off its "
                                         f"HAN {when}")
                    return
        raise HarnessUsageError(f"no device {device:#018x} in the reference world")

    def gbcs_frames(self) -> list[gbcs_wan.GbcsRecord]:
        """Every GBCS frame the DCC exchanged with a hub, oldest first."""
        return list(self.world.dcc.gbcs_log)

    def gbcs_evidence(self) -> list[dict[str, Any]]:
        """The GBCS frames as report evidence rows (hex and decoded)."""
        return [r.evidence() for r in self.world.dcc.gbcs_log]

    def fail_next_activation(self, device: int) -> None:
        """Make the device ``device`` of the reference world fail its next activation."""
        for premises in self.world.premises:
            for model in premises.devices.values():
                if model.eui64 == device:
                    make_activation_fail(model)
                    return
        raise HarnessUsageError(f"no device {device:#018x} in the reference world")

    def now_ms(self) -> int:
        return int(self.world.clock.now_ms)

    def wait_until(self, done: Callable[[], bool], deadline_ms: int) -> bool:
        """Let virtual time run, timer by timer, until ``done()`` or ``deadline_ms``; returns
        ``done()``. Alerts in transit arrive this way (the Then-steps wait for them)."""
        clock = self.world.clock
        while not done():
            now = clock.now_ms
            if now >= deadline_ms:
                return False
            due = clock.next_due_ms()
            self.world.run_for((deadline_ms if due is None else min(max(due, now), deadline_ms)) - now)
        return True

    def transfer_pending(self) -> bool:
        """True while a hub is still activating or reading back a device's version after its
        download (so "the download runs to its end" includes them, as the DCC sees it)."""
        for premises in self.world.premises:
            stored = getattr(premises.hub, "stored", None)
            targets = list(stored.targets.values()) if stored is not None else []
            targets += list(getattr(premises.hub, "_finished", {}).values())
            # An HCALCS waiting for SR 11.3 (CS06) is not under way: nothing happens until it comes.
            if any(t.state.value == "readback" or (t.state.value == "awaiting-activation"
                                                   and not getattr(t, "by_command", False))
                   for t in targets):
                return True
        return False

    def evidence(self) -> list[str]:
        """Requests, hub deliveries, discards and alerts as lines, for reports."""
        lines = [r.describe() for r in self._requests]
        lines += [f"WAN: {d.describe()}" for d in self._deliveries]
        lines += self.discards
        for supplier in self.suppliers():
            lines += [a.describe() for a in self.alerts_for(supplier)]
        return lines

    # -- the WAN tap --------------------------------------------------------------------------
    def tap_hubs(self) -> None:
        """Watch every hub's WAN side (once each), for the GBCS frames the evidence shows."""
        for premises in self.world.premises:
            hub = premises.hub
            if id(hub) in self._tapped or not hasattr(hub, "receive_wan_block"):
                continue
            self._tapped.add(id(hub))
            self._tap(hub, premises.premises_id)

    def _tap(self, hub: CommsHub | ScriptedHub, premises_id: str) -> None:
        start, receive = hub.start_distribution, hub.receive_wan_block
        store = getattr(hub, "store_image", None)
        current: list[HubDelivery] = []

        @wraps(start)
        def start_distribution(request_id: str, targets: Sequence[int], **options: object) -> None:
            delivery = HubDelivery(premises_id, request_id, tuple(targets), self.now_ms())
            self._deliveries.append(delivery)
            current[:] = [delivery]
            start(request_id, targets, **options)

        @wraps(receive)
        def receive_wan_block(block: bytes) -> None:
            if current:
                delivery = current[0]
                delivery.blocks += 1
                try:
                    whole = delivery._reassembler.receive(block)
                except ProtocolError:
                    whole = None
                if whole is not None:
                    delivery.payload = bytes(whole)
            receive(block)

        # The tap re-wires the hub's WAN face (an observer on the link: it changes nothing that passes).
        hub.start_distribution = start_distribution  # type: ignore[method-assign]
        hub.receive_wan_block = receive_wan_block  # type: ignore[method-assign]
        if store is not None:
            @wraps(store)
            def store_image(request_id: str, targets: Sequence[int], data: bytes, **options: object) -> bool:
                kept = bool(store(request_id, targets, data, **options))
                for delivery in reversed(self._deliveries):
                    if delivery.premises_id == premises_id and delivery.request_id == request_id:
                        delivery.stored_by_hub = kept
                        break
                return kept

            hub.store_image = store_image  # type: ignore[method-assign,union-attr]


def _seen(alert: Alert, supplier: str) -> AlertSeen:
    version: int | None = None
    code: int | None = None
    if isinstance(alert, RequestProcessedAlert):
        kind = "(a)"
        version = alert.file_version
    elif isinstance(alert, FirmwareConfirmedAlert):
        kind = "(c)"
        version = alert.firmware_version
    elif isinstance(alert, ActivationOutcomeAlert):
        kind, code, version = "activation outcome", int(alert.response_code), alert.firmware_version
    elif isinstance(alert, TransferOutcomeAlert):
        code = int(alert.response_code)
        kind = "transfer outcome" if code == 0 else ("Image Discarded" if code == _IMAGE_DISCARDED else "(b)")
        version = alert.firmware_version
    else:  # pragma: no cover - the Alert union is closed
        raise HarnessUsageError(f"unknown alert {alert!r}")
    confirmed = alert if isinstance(alert, FirmwareConfirmedAlert) else None
    return AlertSeen(supplier, kind, alert.request_id, alert.device, alert.time_ms, alert.delivered_ms,
                     tuple(alert.recipients), version, code, alert.dcc_alert_code,
                     device_alert_code=getattr(alert, "device_alert_code", None),
                     activate_image=None if confirmed is None else confirmed.activate_image,
                     executed_ms=None if confirmed is None else confirmed.executed_ms,
                     read_response_code=None if confirmed is None else confirmed.read_response_code)


def is_kind(alert: AlertSeen, wanted: str) -> bool:
    """Whether ``alert`` counts as the features' ``wanted`` alert (see the module docstring)."""
    if wanted == "(b)":  # a CCS08 failure passed on
        return alert.kind in ("(b)", "Image Discarded")
    return alert.kind == wanted


# -- reference-world actions the DCC-side scenarios need -------------------------------------------
def make_activation_fail(device: object) -> None:
    """Make the reference device fail its next activation: it downloads and verifies the image,
    the activation time comes, and it keeps running (and reporting) the firmware it had.

    For ``@side-dcc`` scenarios only (alert (c) and the inventory after a failed activation);
    it uses the reference device's supported option ``fail_next_activation()``.
    """
    fail = getattr(device, "fail_next_activation", None)
    if fail is None:
        raise HarnessUsageError("only the reference device can be made to fail its activation")
    fail()


def _role_at(world: World, supplier: str, device: int) -> SupplierRole:
    """The role ``supplier`` holds at ``device``'s premises (gas only if not also electricity)."""
    premises = world.premises_of(device)
    if premises is None:
        raise HarnessUsageError(f"no device {device:#018x} in the reference world")
    gas = premises.gas_meter is not None and premises.gas_meter.supplier == supplier
    return SupplierRole.GAS_SUPPLIER if gas and premises.electricity_meter.supplier != supplier \
        else SupplierRole.IMPORT_SUPPLIER


def _cut_off(clock: VirtualClock, network: HanNetwork, device: HanNode, point: int) -> None:
    """Take ``device`` off ``network`` now (point 0), after its second Image Block Request
    (1), or right after its Upgrade End Request SUCCESS went out (2): the hub gets that
    request, the device's link goes down before anything else happens."""
    if point == 0:
        network.link_down(device.eui64)
        return
    inner = device.next_frame
    blocks = [0]

    def next_frame() -> HanFrame | None:
        frame = inner()
        if frame is None or frame.cluster_id != 0x0019:
            return frame
        try:
            cmd = oc.decode_command(frame.payload)[1]
        except ProtocolError:
            return frame
        if point == 1 and isinstance(cmd, oc.ImageBlockRequest):
            blocks[0] += 1
            if blocks[0] == 2:
                network.link_down(device.eui64)
        elif point == 2 and isinstance(cmd, oc.UpgradeEndRequest) and cmd.status == 0:
            clock.call_later(0, partial(network.link_down, device.eui64))
        return frame

    device.next_frame = next_frame  # type: ignore[method-assign]  # the reference device, re-wired


def add_premises_like(world: World, premises: Premises, count: int, *,
                      device_faults: Sequence[str] = ()) -> list[Premises]:
    """``count`` more premises with the same Suppliers, devices and hub faults as ``premises``.
    Their HAN frames are not logged: the suite observes them through the DCC, never frame by frame."""
    kinds = tuple(premises.specs[d.eui64].kind for d in premises.devices.values())
    first = next(iter(premises.devices.values()))
    added = []
    for _ in range(count):
        new = world.add_premises(
            electricity_supplier=premises.electricity_meter.supplier,
            gas_supplier=premises.gas_meter.supplier if premises.gas_meter is not None else None,
            devices=kinds, device_faults=device_faults,
            supports_fragmentation=bool(getattr(first, "supports_fragmentation", False)), keep_log=False,
            hub_faults=getattr(premises.hub, "faults", ()))
        added.append(new)
    return added
