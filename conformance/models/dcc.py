"""The reference DCC: the HAN-device firmware Service Request, alerts to Suppliers, inventory.

Sans-I/O and driven by the shared virtual clock. The DCC talks to each premises'
Communications Hub only through the hub's DCC-side methods (``start_distribution``,
``receive_wan_block`` with ``protocol.gbt`` blocks, ``read_firmware_version`` (CS08) and
``next_event``); the harness calls :meth:`Dcc.poll` to let it consume hub events.

What it does, by rule set (``wg-2016`` = the minutes, ``as-implemented`` = SECMP0007 as it
went live; docs/reference-dcc.md has the table):

* validates each request and answers Acknowledged, WarningResponse (some device IDs invalid)
  or Rejected, with a reason from :class:`RejectReason`;
* distributes the image to each target's hub in GBT blocks; one distribution per hub at a
  time (the hub holds one HAN image, a second would discard the first), later ones queue;
  a request for a device whose distribution is still in progress is refused for that device
  (no Supplier's request overrides another's);
* alert (a) once the hub holds the whole image; alert (c) ``confirm_delay_ms`` after the
  upgrade was due to activate, with the version read from the device (CS08), then the
  inventory is updated from that read and nothing else;
* ``wg-2016``: no alert when an image is discarded (requirement (b) removed);
  ``as-implemented``: each CCS08 outcome is passed on (N60 delivered / N61 not delivered);
* every alert goes to each Supplier concerned with the device individually, delayed by a
  seeded random stagger within ``alert_window_ms``, and each Supplier's alerts at least
  ``stagger_interval_ms`` apart (PIXIT ``alert_stagger_interval``): an alert waits for the
  next free slot of its Supplier. Within ``service_level_ms`` as long as a Supplier gets no
  more than ``(service_level_ms - alert_window_ms) / stagger_interval_ms`` alerts at once.

The request checks are in :mod:`.dcc_validation`, the DCC's records and the hub events it reads
in :mod:`.dcc_records`. The class here is the specification; its named faults (deliberate
deviations for the mutation tests) are subclasses that override its small hook methods, in
:mod:`.faults.dcc_faults`.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar, Literal, cast

from hanota.conformance.models import dcc_activation, gbcs_wan
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.inventory import SmartMeteringInventory
from hanota.conformance.models.service_request import (
    ActivateFirmwareRequest,
    Alert,
    FirmwareConfirmedAlert,
    Rejected,
    RequestProcessedAlert,
    RequestVariant,
    ServiceRequestResponse,
    TransferOutcomeAlert,
    UpdateFirmwareRequest,
)
from hanota.protocol import gbcs
from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.gbt import split
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES
from hanota.protocol.ota_image import OtaImage

from .dcc_records import (
    DeviceRecord,
    HubEventLike,
    HubPort,
    MeterRecord,
    _Alert8F8B,
    _Ccs08,
    _DeviceProgress,
    _Distribution,
    _event_kind,
    _Premises,
    _TransferAlertEvent,
    _VersionAlertEvent,
)
from .dcc_validation import RequestChecks

__all__ = [
    "DEFAULT_MAX_IMAGE_BYTES",
    "Dcc",
    "DeviceRecord",
    "HubPort",
    "MeterRecord",
    "Rules",
]

Rules = Literal["wg-2016", "as-implemented"]

_NEVER_TIMEOUT = 0


class Dcc(RequestChecks):
    """The DCC: takes firmware Service Requests, distributes, alerts, keeps the inventory."""

    def __init__(
        self,
        clock: VirtualClock,
        *,
        rules: Rules = "wg-2016",
        rng: random.Random,
        alert_window_ms: int = 60_000,
        service_level_ms: int = 300_000,
        confirm_delay_ms: int = 60_000,
        activation_timeout_ms: int = 86_400_000,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        gbt_block_size: int = 1024,
        stagger_interval_ms: int = 1_000,
        inventory: SmartMeteringInventory | None = None,
    ) -> None:
        if rules not in ("wg-2016", "as-implemented"):
            raise HarnessUsageError(f"unknown rule set {rules!r}")
        if not 0 <= alert_window_ms <= service_level_ms:
            raise HarnessUsageError("alert_window_ms must lie within service_level_ms")
        if not 0 <= stagger_interval_ms <= service_level_ms:
            raise HarnessUsageError("stagger_interval_ms must lie within service_level_ms")
        self.clock = clock
        self.rules: Rules = rules
        self.rng = rng
        self.alert_window_ms = alert_window_ms
        self.service_level_ms = service_level_ms
        self.confirm_delay_ms = confirm_delay_ms
        self.activation_timeout_ms = activation_timeout_ms
        self.max_image_bytes = max_image_bytes
        self.gbt_block_size = gbt_block_size
        self.stagger_interval_ms = stagger_interval_ms
        #: when each Supplier's latest alert is due: the next one comes a stagger interval later.
        self._last_due: dict[str, int] = {}
        self.inventory = inventory if inventory is not None else SmartMeteringInventory()
        self._premises: dict[str, _Premises] = {}
        #: premises whose hub may have events queued (hubs with ``dcc_notify`` say so)...
        self._dirty: dict[int, _Premises] = {}
        #: ...premises whose hub cannot say, and those with fragments still to send: every poll.
        self._always: dict[int, _Premises] = {}
        self._fragmenting: dict[int, _Premises] = {}
        self._by_index: list[_Premises] = []
        self._last_parsed: tuple[bytes, int, OtaImage] | None = None
        self._pass: list[int] | None = None  # premises still to visit in the poll under way
        self._cursor = -1  # the premises that poll is visiting
        self._devices: dict[int, DeviceRecord] = {}
        self._suppliers: set[str] = set()
        self._responses: dict[str, ServiceRequestResponse] = {}
        self._progress: dict[int, _DeviceProgress] = {}
        self._mailboxes: dict[str, list[Alert]] = {}
        self._subscribers: list[Callable[[Alert], None]] = []
        #: every alert in delivery order (evidence; the determinism tests compare it).
        self.delivered: list[Alert] = []
        #: distributions the hub refused (request_id, premises_id, error line).
        self.distribution_errors: list[tuple[str, str, str]] = []
        #: every GBCS frame exchanged with a hub, in order (evidence), and those that did not
        #: decode (time, premises_id, error line): such a frame is not acted on.
        self.gbcs_log: list[gbcs_wan.GbcsRecord] = []
        self.gbcs_errors: list[tuple[int, str, str]] = []
        self._gbcs_counter = 0
        self._activations: dict[int, str] = {}  # CS06 originator counter -> SR 11.3 request id

    # -- registry (commissioning) --------------------------------------------------------
    def register_supplier(self, supplier: str) -> None:
        """A DCC user holding a Supplier role, whether or not it supplies a premises yet."""
        self._suppliers.add(supplier)
        self._mailboxes.setdefault(supplier, [])

    def register_premises(self, premises_id: str, hub: HubPort, meters: Iterable[MeterRecord]) -> None:
        if premises_id in self._premises:
            raise HarnessUsageError(f"premises {premises_id!r} is already registered")
        record = _Premises(premises_id, hub, tuple(meters), index=len(self._premises))
        self._premises[premises_id] = record
        self._by_index.append(record)
        if getattr(hub, "dcc_notify", False) is None:  # it tells when it queues an event
            record.hub_notifies = True
            hub.dcc_notify = partial(self._wake, record)  # type: ignore[attr-defined]
            self._dirty[record.index] = record  # it may hold events already
        else:
            self._always[record.index] = record
        for meter in record.meters:
            self.register_supplier(meter.supplier)

    def register_device(self, record: DeviceRecord, *, firmware_version: int) -> None:
        """Commission a HAN device: the DCC's record and the inventory's first entry."""
        if record.premises_id not in self._premises:
            raise HarnessUsageError(f"unknown premises {record.premises_id!r}")
        if record.eui64 in self._devices:
            raise HarnessUsageError(f"device {record.eui64:#018x} is already registered")
        self._devices[record.eui64] = record
        self.inventory.commission(record.eui64, kind=record.kind, premises_id=record.premises_id,
                                  firmware_version=firmware_version, time_ms=self.clock.now_ms)

    def set_paired(self, device: int, paired: bool) -> None:
        self._device(device).paired = paired

    def device(self, device: int) -> DeviceRecord:
        return self._device(device)

    def _device(self, device: int) -> DeviceRecord:
        try:
            return self._devices[device]
        except KeyError:
            raise HarnessUsageError(f"unknown device {device:#018x}") from None

    def suppliers_concerned(self, device: int) -> tuple[str, ...]:
        """Each Supplier responsible for a meter at the device's premises, electricity first."""
        premises = self._premises[self._device(device).premises_id]
        seen: list[str] = []
        for meter in sorted(premises.meters, key=lambda m: m.fuel != "electricity"):
            if meter.supplier not in seen:
                seen.append(meter.supplier)
        return tuple(seen)

    # -- the Service Request ---------------------------------------------------------------
    def submit(self, request: UpdateFirmwareRequest) -> ServiceRequestResponse:
        """Validate, answer, and (when accepted) start or queue the distribution."""
        request = self._own_fragments(request)
        response = self._validate(request)
        if request.request_id not in self._responses:
            self._responses[request.request_id] = response
        if isinstance(response, Rejected):
            return response
        accepted = response.devices
        pieces = request.fragments or (request.firmware_image,)
        by_premises: dict[str, list[int]] = {}
        for device in dict.fromkeys(accepted):
            by_premises.setdefault(self._devices[device].premises_id, []).append(device)
        for premises_id, targets in by_premises.items():
            premises = self._premises[premises_id]
            dist = _Distribution(request, premises, tuple(targets), pieces, set(targets))
            for device in targets:
                self._progress[device] = _DeviceProgress(request, dist)
                self._accepted(device, request)
            if self._may_start(premises):
                self._start(dist)
            else:
                premises.queue.append(dist)
        return response

    # -- hooks: each a rule of the specification that a fault (faults/dcc_faults.py) overrides
    #: The names of the faults switched on (none: this is the reference).
    faults: ClassVar[frozenset[str]] = frozenset()

    def _accepted(self, device: int, request: UpdateFirmwareRequest) -> None:
        """A request was accepted for ``device``. The inventory changes only when a version is
        read back (alert (c)); no Supplier gains precedence by it."""

    def _may_start(self, premises: _Premises) -> bool:
        """One distribution per hub at a time: a second one would discard the first's image."""
        return premises.busy is None

    def _alert_processed(self, dist: _Distribution) -> None:
        """Alert (a) for each target once its hub holds the whole image."""
        now = self.clock.now_ms
        for device in dist.targets:
            self._raise_alert(RequestProcessedAlert(
                supplier="", device=device, request_id=dist.request.request_id, time_ms=now,
                delivered_ms=now, image_bytes=sum(len(p) for p in dist.pieces), blocks=dist.blocks,
                file_version=dist.request.file_version))

    def _passed_on(self, code: int) -> tuple[bool, int]:
        """Whether a CCS08 outcome is passed on to the Suppliers (as implemented: each one, N60
        or N61; the minutes removed alert (b)) and with which response code (the hub's)."""
        return self.rules == "as-implemented", code

    def _confirm_inventory(self, device: int, version: int, request: UpdateFirmwareRequest) -> None:
        """The inventory takes the version read back from the device, and nothing else."""
        self.inventory.confirm(device, version, time_ms=self.clock.now_ms, request_id=request.request_id)

    def _raise_confirmation(self, alert: FirmwareConfirmedAlert) -> None:
        """Alert (c), within its service level."""
        self._raise_alert(alert)

    def _activation_result(self, progress: _DeviceProgress) -> int | None:
        """activateImage as alert (c) reports it: the hub's 0x8F8B says (None without one)."""
        return None if progress.activation is None else progress.activation[0]

    def _failed_read(self, device: int, code: int) -> tuple[int | None, int]:
        """A CS08 read that failed reads no version."""
        return None, code

    def _activation_outcome(self, code: int, alert: int) -> tuple[int, int]:
        """An SR 11.3 (CS06) outcome is passed on as the hub reported it (dcc_activation)."""
        return code, alert

    def _batches(self, suppliers: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """(Supplier, recipients) of each copy of an alert: one each, addressed to it alone."""
        return [(s, (s,)) for s in suppliers]

    def _random_delay_ms(self) -> int:
        """An alert waits a seeded random stagger within the alert window."""
        return self.rng.randrange(self.alert_window_ms) if self.alert_window_ms > 0 else 0

    def _next_slot(self, due: int, last: int | None) -> int:
        """A Supplier's alerts at least the stagger interval apart: its next free slot."""
        return due if last is None else max(due, last + self.stagger_interval_ms)

    def response(self, request_id: str) -> ServiceRequestResponse | None:
        return self._responses.get(request_id)

    # -- distribution ------------------------------------------------------------------------
    def _start(self, dist: _Distribution) -> None:
        premises = dist.premises
        premises.busy = dist
        if len(dist.pieces) > 1:
            self._fragmenting[premises.index] = premises
            self._wake(premises)
        for device in dist.targets:
            if self.activation_timeout_ms != _NEVER_TIMEOUT:
                self._progress[device].timeout = self.clock.call_later(
                    self.activation_timeout_ms, partial(self._on_timeout, device))
        self._send_piece(dist)

    def _send_piece(self, dist: _Distribution) -> None:
        """Hand the next piece (the image, or its next fragment) to the hub in GBT blocks."""
        premises = dist.premises
        rid = dist.request.request_id
        piece = dist.pieces[dist.sent]
        dist.sent += 1
        try:
            blocks = split(piece, block_size=self.gbt_block_size)
            if dist.request.variant is RequestVariant.SR_11_1_UPDATE_FIRMWARE:
                hub: Any = premises.hub  # the reference hub; SR 11.1 needs CS06 on it
                hub.start_distribution(rid, sorted(dist.pending), activation_by_command=True)
            else:
                premises.hub.start_distribution(rid, sorted(dist.pending))
            for block in blocks:
                premises.hub.receive_wan_block(block)
        except ProtocolError as err:
            # The hub refused the image: nothing was processed, so no alert (a); each target
            # is resolved now and alert (c) will say its version did not change.
            self.distribution_errors.append((rid, premises.premises_id, err.describe()))
            for device in dist.targets:
                self._resolve(device, self.clock.now_ms, read_after_ms=self.confirm_delay_ms)
            return
        dist.blocks += len(blocks)
        if dist.sent == len(dist.pieces):
            self._alert_processed(dist)

    @staticmethod
    def _ready_for_next_fragment(dist: _Distribution) -> bool:
        """Every target still in the upgrade holds the last fragment (it answered Upgrade End
        REQUIRE_MORE_IMAGE), so the next image will not discard anything. A hub that cannot
        say (no ``target_state``) is sent the fragments one after another."""
        state_of = getattr(dist.premises.hub, "target_state", None)
        if state_of is None:
            return True
        return all(getattr(state_of(d), "value", None) == "wait-more" for d in dist.pending)

    def _on_timeout(self, device: int) -> None:
        """No word from the hub in time: treat the upgrade as due now and read the version."""
        self._resolve(device, self.clock.now_ms, read_after_ms=0)

    def _release(self, dist: _Distribution, device: int) -> None:
        dist.pending.discard(device)
        premises = dist.premises
        if dist.pending or premises.busy is not dist:
            return
        premises.busy = None
        if premises.queue:
            self._start(premises.queue.popleft())

    # -- hub events ------------------------------------------------------------------------
    def poll(self) -> int:
        """Consume every pending hub event; returns how many were handled.

        Visits, in registration order, only the premises that may have work: a hub that
        queued an event (``dcc_notify``), a hub that cannot tell, or a distribution with
        fragments still to send. Work that appears during the pass at a premises not yet
        visited is done in this pass, as if every premises were visited in turn.
        """
        dirty, always, fragmenting = self._dirty, self._always, self._fragmenting
        if not dirty and not always and not fragmenting:
            return 0
        todo = sorted({*dirty, *always, *fragmenting})  # a sorted list is a heap
        self._pass, self._cursor = todo, -1
        handled = 0
        try:
            while todo:
                index = heapq.heappop(todo)
                if index <= self._cursor:
                    continue  # woken twice
                self._cursor = index
                premises = self._by_index[index]
                dirty.pop(index, None)  # events queued from here on: the next poll
                hub = premises.hub
                try:
                    while (event := hub.next_event()) is not None:
                        handled += 1
                        self._on_hub_event(self._decoded(event, premises))
                except BaseException:
                    dirty[index] = premises
                    raise
                dist = premises.busy
                if dist is None or dist.sent >= len(dist.pieces):
                    fragmenting.pop(index, None)
                elif dist.pending and self._ready_for_next_fragment(dist):
                    handled += 1
                    self._send_piece(dist)
        finally:
            self._pass = None
        return handled

    def _wake(self, premises: _Premises) -> None:
        """``premises`` has work: note it for the next poll, or later in this one."""
        if premises.hub_notifies:
            self._dirty[premises.index] = premises
        if self._pass is not None and premises.index > self._cursor:
            heapq.heappush(self._pass, premises.index)

    def _decoded(self, event: HubEventLike, premises: _Premises) -> HubEventLike | None:
        """A hub event carrying its GBCS frame is read from that frame alone (the event's
        ``request_id`` is the distribution it answers: GBCS does not carry it). Events
        without a frame (``ScriptedHub``) are taken as they are; None: the frame did not decode."""
        data = getattr(event, "frame", b"")
        if not data:
            return event
        now = self.clock.now_ms
        self.gbcs_log.append(gbcs_wan.GbcsRecord(now, premises.premises_id, "hub -> DCC", data))
        try:
            frame, payload = gbcs_wan.decode(data)
        except ProtocolError as err:
            self.gbcs_errors.append((now, premises.premises_id, err.describe()))
            return None
        if isinstance(payload, gbcs.FirmwareTransferAlert):
            return _Ccs08(event.request_id, int.from_bytes(payload.entity_id, "big"),
                          int(payload.response_code), now, int(payload.alert_code),
                          int.from_bytes(payload.firmware_version, "big"))
        if isinstance(payload, gbcs.FutureDatedActivationAlert):
            outcome = payload.execution_outcome
            return dcc_activation.ActivationView(
                event.request_id, frame.originator_title, int(outcome.response_code), now,
                int(payload.alert_code), int.from_bytes(outcome.firmware_version, "big"),
                payload.originator_counter)
        if isinstance(payload, gbcs.FirmwareVersionAlert):
            return _Alert8F8B(event.request_id, frame.originator_title,
                              int.from_bytes(payload.firmware_version, "big"),
                              payload.activate_image is gbcs.ImageActivationResult.SUCCESS, now,
                              gbcs_wan.from_gbcs_time(payload.execution_date_time))
        self.gbcs_errors.append((now, premises.premises_id, f"unexpected {type(payload).__name__}"))
        return None

    def _on_hub_event(self, got: HubEventLike | None) -> None:
        if got is None:
            return
        if isinstance(got, dcc_activation.ActivationView):
            dcc_activation.on_activation_alert(self, got)
            return
        kind = _event_kind(got)
        if kind is _VersionAlertEvent:
            event = cast(_VersionAlertEvent, got)
            progress = self._progress.get(event.device)
            executed = getattr(event, "executed_ms", None)
            if executed is not None and progress is not None \
                    and progress.request.request_id == event.request_id:
                progress.activation = (0 if event.activated else 1, executed)
            self._resolve(event.device, event.time_ms, read_after_ms=self.confirm_delay_ms,
                          request_id=event.request_id)
        elif kind is _TransferAlertEvent:
            self._on_transfer_alert(cast(_TransferAlertEvent, got))
        else:
            raise HarnessUsageError(f"unexpected hub event {got!r}")

    def _on_transfer_alert(self, event: _TransferAlertEvent) -> None:
        pass_on, code = self._passed_on(int(event.response_code))
        progress = self._progress.get(event.device)
        if pass_on and progress is not None and progress.request.request_id == event.request_id:
            now = self.clock.now_ms
            self._raise_alert(TransferOutcomeAlert(
                supplier="", device=event.device, request_id=event.request_id, time_ms=now,
                delivered_ms=now, dcc_alert_code=("N60" if code == 0 else "N61"),
                response_code=code, hub_time_ms=event.time_ms,
                device_alert_code=getattr(event, "alert_code", None),
                firmware_version=getattr(event, "firmware_version", None)))
        if progress is not None and progress.request.variant is RequestVariant.SR_11_1_UPDATE_FIRMWARE \
                and progress.request.request_id == event.request_id:
            # SR 11.1 is distribution only: it ends here; SR 11.3 activates (dcc_activation).
            self._end_distribution_only(event.device, progress)
            return
        if code != 0:
            # The image will not activate on this device: its upgrade is over now.
            self._resolve(event.device, event.time_ms, read_after_ms=self.confirm_delay_ms,
                          request_id=event.request_id)

    def _end_distribution_only(self, device: int, progress: _DeviceProgress) -> None:
        if progress.due:
            return
        progress.due = progress.resolved = True
        if progress.timeout is not None:
            self.clock.cancel(progress.timeout)
        self._release(progress.distribution, device)

    def activate(self, request: ActivateFirmwareRequest) -> ServiceRequestResponse:
        """SR 11.3 'Activate Firmware' for an HCALCS (``dcc_activation``)."""
        return dcc_activation.activate(self, request)

    def _resolve(self, device: int, due_ms: int, *, read_after_ms: int,
                 request_id: str | None = None) -> None:
        """The upgrade was due at ``due_ms``: read the version after the delay, send (c)."""
        progress = self._progress.get(device)
        if progress is None or progress.due:
            return
        if request_id is not None and progress.request.request_id != request_id:
            return
        progress.due = True
        if progress.timeout is not None:
            self.clock.cancel(progress.timeout)
        self._release(progress.distribution, device)
        when = max(self.clock.now_ms, due_ms + read_after_ms)
        self.clock.call_at(when, partial(self._confirm, device, progress))

    def _confirm(self, device: int, progress: _DeviceProgress) -> None:
        now = self.clock.now_ms
        progress.resolved = True
        request = progress.request
        version, read_code = self._read_version(progress.distribution.premises, device)
        previous = self.inventory.firmware_version(device)
        changed = version is not None and version != previous
        if version is not None:
            self._confirm_inventory(device, version, request)
        self._raise_confirmation(FirmwareConfirmedAlert(
            supplier="", device=device, request_id=request.request_id, time_ms=now,
            delivered_ms=now, firmware_version=version, previous_version=previous,
            requested_version=request.file_version, changed=changed,
            matches_request=version == request.file_version, read_ms=now,
            read_response_code=read_code,
            device_alert_code=None if progress.activation is None else 0x8F8B,
            activate_image=self._activation_result(progress),
            executed_ms=None if progress.activation is None else progress.activation[1]))

    def cs08_read(self, device: int) -> bytes | None:
        """SR 11.2 (a Supplier's request): CS08 to ``device`` through its hub; the hub's response
        frame as it came, which the DCC passes on whole (None: a hub without a GBCS face, or
        one that did not answer)."""
        premises = self._premises[self._device(device).premises_id]
        if getattr(premises.hub, "gbcs_request", None) is None:
            return None
        try:
            return self._cs08_exchange(premises, device)
        except ProtocolError as err:
            self.gbcs_errors.append((self.clock.now_ms, premises.premises_id, err.describe()))
            return None

    def _cs08_exchange(self, premises: _Premises, device: int) -> bytes:
        """Send CS08 to ``device``'s hub and return its answer, both kept in the GBCS log."""
        self._gbcs_counter += 1
        command = gbcs_wan.cs08_command(device=device, counter=self._gbcs_counter)
        now = self.clock.now_ms
        self.gbcs_log.append(gbcs_wan.GbcsRecord(now, premises.premises_id, "DCC -> hub", command))
        answer: bytes = premises.hub.gbcs_request(command)  # type: ignore[attr-defined]
        self.gbcs_log.append(gbcs_wan.GbcsRecord(now, premises.premises_id, "hub -> DCC", answer))
        return answer

    def _read_version(self, premises: _Premises, device: int) -> tuple[int | None, int | None]:
        """CS08: the version read from the device and the responseCode (None: a hub without a
        GBCS face, read directly). A response that does not decode counts as a failed read."""
        hub = premises.hub
        if getattr(hub, "gbcs_request", None) is None:
            return hub.read_firmware_version(device), None
        now = self.clock.now_ms
        try:
            _, payload = gbcs_wan.decode(self._cs08_exchange(premises, device))
            if not isinstance(payload, gbcs.FirmwareVersionResponse):
                raise HarnessUsageError(f"the hub answered CS08 with {type(payload).__name__}")
        except (ProtocolError, HarnessUsageError) as err:
            text = err.describe() if isinstance(err, ProtocolError) else str(err)
            self.gbcs_errors.append((now, premises.premises_id, text))
            return None, int(gbcs.ReadResponseCode.FAILURE)
        if payload.response_code is not gbcs.ReadResponseCode.SUCCESS:
            return self._failed_read(device, int(payload.response_code))
        return int.from_bytes(payload.firmware_version, "big"), int(payload.response_code)

    # -- alerts ----------------------------------------------------------------------------
    def _raise_alert(self, template: Alert, *, delay_ms: int = 0) -> None:
        """One copy of ``template`` per Supplier concerned, each staggered on its own (and held
        back ``delay_ms`` more)."""
        for supplier, recipients in self._batches(self.suppliers_concerned(template.device)):
            offset = self._random_delay_ms() + delay_ms
            due = max(template.time_ms + offset, self.clock.now_ms)
            last = self._last_due.get(supplier)
            due = self._next_slot(due, last)
            self._last_due[supplier] = due if last is None else max(last, due)
            alert = replace(template, supplier=supplier, delivered_ms=due, recipients=recipients)
            self.clock.call_at(due, partial(self._deliver, alert))

    def _deliver(self, alert: Alert) -> None:
        self._mailboxes.setdefault(alert.supplier, []).append(alert)
        self.delivered.append(alert)
        for callback in self._subscribers:
            callback(alert)

    def subscribe(self, callback: Callable[[Alert], None]) -> None:
        """Call ``callback`` with each alert as it is delivered (bindings use this)."""
        self._subscribers.append(callback)

    def alerts_for(self, supplier: str) -> list[Alert]:
        """The alerts delivered to ``supplier`` so far, in delivery order."""
        return list(self._mailboxes.get(supplier, []))

    def in_progress(self, device: int) -> bool:
        progress = self._progress.get(device)
        return progress is not None and not progress.resolved

    def busy(self) -> bool:
        """True while any distribution is unresolved (timers may still deliver alerts)."""
        return any(not p.resolved for p in self._progress.values())
