"""The reference Communications Hub: the OTA Upgrade *server* of the HAN, sans-I/O.

WAN side (from the DCC): ``start_distribution`` then ``receive_wan_block`` for each GBCS General
Block Transfer block; the reassembled GBCS Upgrade Image is stored (one HAN-device image of up to
``max_image_bytes``) and announced with Image Notify to the devices the request targeted.
HAN side: a :class:`~conformance.models.han.HanNetwork` node answering Query Next Image, Image
Block Request and Upgrade End Request, managing activation the GBCS way (Upgrade End Response
upgrade_time 0xFFFFFFFF, then a later activating Upgrade End Response), reading the firmware
version back (CS08) and raising the CCS08 Firmware Transfer Alert and the 0x8F8B version alert
as :class:`HubEvent` values from ``next_event()``.

Each targeted device's transfer is a small state machine whose every transition is in
:data:`TARGET_TRANSITIONS` (one table, one file). A frame a device sends out of turn is
answered as ZCL says and recorded in ``violations``; it never changes a transfer's state.

Storage rules (also in docs/reference-models.md):

1. One HAN-device image slot. A second image stored while one is held replaces it; every
   target of the replaced image that had not completed its transfer (no Upgrade End Request
   SUCCESS yet) gets FirmwareTransferAlert(IMAGE_DISCARDED) under the replaced request's id,
   and from then on Query Next Image from it is answered from the new image only (if it is a
   target of it) or NO_IMAGE_AVAILABLE. Targets that had completed keep their activation.
2. A target that answered REQUIRE_MORE_IMAGE (it holds one fragment of a larger image) is not
   discarded by the next image: if it is a target of the new one it is notified again.
3. Meter firmware (ESME/GSME) is held in its own slot (``store_meter_image``) and never
   displaces or is displaced by the HAN-device image.
4. An image over ``max_image_bytes`` or that does not parse is not stored (the slot keeps its
   previous image) and every target of it gets FirmwareTransferAlert(FILE_TRANSFER_FAILURE).
5. The stored image stays until it is replaced; it is served only to the current targets.

One device's transfer (its table, its record, the events raised) is in :mod:`.hub_transfer`,
CS06 activation of an HCALCS in :mod:`.hub_activation`, the Hand Held Terminal in :mod:`.hht`.
The class here is the specification; its named faults (for the mutation tests) are subclasses
that override its small hook methods, in :mod:`.faults.hub_faults`.
"""

from __future__ import annotations

import hashlib
import random
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar

from hanota.protocol import gbcs, gbt, ota_image
from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError, ProtocolError, SizeLimitError, ValidationError
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES
from hanota.protocol.zcl import (
    OTA_CLUSTER_ID,
    DefaultResponse,
    Direction,
    OtaAttribute,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
    peek_header,
)

from . import gbcs_wan, hub_activation
from .clock import VirtualClock
from .gbcs_wan import UTC_EPOCH_OFFSET_S
from .han import OTA_ENDPOINT, SE_PROFILE_ID, HanFrame, make_frame
from .hht import HandHeldTerminal
from .hub_transfer import (
    _TERMINAL,
    TARGET_TRANSITIONS,
    FirmwareTransferAlert,
    FirmwareVersionAlert,
    HubEvent,
    HubViolation,
    TargetInput,
    TargetState,
    TransferResponseCode,
    _Stored,
    _Target,
    target_transitions_markdown,
)

__all__ = [
    "FirmwareTransferAlert",
    "FirmwareVersionAlert",
    "CommsHub",
    "HandHeldTerminal",
    "HubEvent",
    "TARGET_TRANSITIONS",
    "TargetInput",
    "TargetState",
    "TransferResponseCode",
    "UTC_EPOCH_OFFSET_S",
    "target_transitions_markdown",
]

UPGRADE_TIME_WAIT = 0xFFFF_FFFF
T, TI = TargetState, TargetInput


class CommsHub:
    """The reference Communications Hub (see the module docstring)."""

    def __init__(
        self,
        clock: VirtualClock,
        *,
        eui64: int,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        rules: str = "wg-2016",
        rng: random.Random,
        minimum_block_period_ms: int = 0,
        wait_for_data_s: int = 0,
        max_block_data: int = oc.MAX_IMAGE_DATA,
        query_jitter: int = 100,
        activation_delay_ms: int = 1_000,
        activation_offset_s: int = 0,
        readback_delay_ms: int = 5_000,
        readback_timeout_ms: int = 10_000,
        readback_tries: int = 3,
        stall_timeout_ms: int = 60_000,
        max_notifies: int = 3,
        endpoint: int = OTA_ENDPOINT,
    ) -> None:
        if rules not in ("wg-2016", "as-implemented"):
            raise HarnessUsageError(f"rules must be 'wg-2016' or 'as-implemented', not {rules!r}")
        if not 1 <= query_jitter <= 100:
            raise HarnessUsageError("query_jitter must be 1..100")
        self.clock = clock
        self.eui64 = eui64
        self.max_image_bytes = max_image_bytes
        self.rules = rules
        self.rng = rng
        self.minimum_block_period_ms = minimum_block_period_ms
        self.wait_for_data_s = wait_for_data_s
        self.max_block_data = max_block_data
        self.query_jitter = query_jitter
        self.activation_delay_ms = activation_delay_ms
        self.activation_offset_s = activation_offset_s
        self.readback_delay_ms = readback_delay_ms
        self.readback_timeout_ms = readback_timeout_ms
        self.readback_tries = readback_tries
        self.stall_timeout_ms = stall_timeout_ms
        self.max_notifies = max_notifies
        self.endpoint = endpoint

        self.paired: dict[int, str] = {}
        self.known_versions: dict[int, int] = {}
        self.stored: _Stored | None = None
        self.meter_image: bytes | None = None
        self.violations: list[HubViolation] = []
        self.wan_errors: list[tuple[int, str]] = []
        self._finished: dict[int, _Target] = {}  # targets of replaced images still activating
        self._wan: tuple[str, tuple[int, ...], gbt.GbtReassembler] | None = None
        self._wan_started = False
        self._out: deque[HanFrame] = deque()
        #: set by the HanNetwork this node is attached to: called on each frame queued.
        self.han_notify: Callable[[], None] | None = None
        self._events: deque[HubEvent] = deque()
        #: set by the DCC this hub is registered with: called on each event queued.
        self.dcc_notify: Callable[[], None] | None = None
        self._tsn = 0
        self._gbcs_counter = 0  # originator counter of the GBCS frames the hub sends
        self._by_command = False  # the WAN distribution under way activates on CS06 (SR 11.1)
        #: devices whose last read-back went unanswered: CS08 answers responseCode 1 for them.
        self.read_failed: set[int] = set()

    # ================================================================ DCC (WAN) side
    def pair(self, device_eui64: int, kind: str) -> None:
        if kind not in ("ihd", "ppmid", "hcalcs"):
            raise HarnessUsageError(f"unknown HAN device kind {kind!r}")
        self.paired[device_eui64] = kind

    def unpair(self, device_eui64: int) -> None:
        self.paired.pop(device_eui64, None)

    def start_distribution(self, request_id: str, targets: Sequence[int], *,
                           activation_by_command: bool = False) -> None:
        """Expect the GBT blocks of one image for ``targets`` (abandons an unfinished reception).
        ``activation_by_command``: SR 11.1 (HCALCS), the targets activate on CS06 only."""
        if self._wan is not None:
            self._fail_all(self._wan[0], self._wan[1], TransferResponseCode.FILE_TRANSFER_FAILURE)
        self._wan_started = True
        self._by_command = activation_by_command
        self._wan = (request_id, tuple(targets), gbt.GbtReassembler(self.max_image_bytes))

    def receive_wan_block(self, block: bytes) -> None:
        """One GBT block. A block over the size limit ends the distribution (every target gets
        FirmwareTransferAlert(FILE_TRANSFER_FAILURE)); a block that breaks another GBT rule is
        refused and recorded in ``wan_errors``, and the distribution goes on."""
        if self._wan is None:
            if not self._wan_started:
                raise HarnessUsageError("receive_wan_block before start_distribution")
            self.wan_errors.append((self.clock.now_ms, "block after the distribution ended: ignored"))
            return
        request_id, targets, reassembler = self._wan
        try:
            whole = reassembler.receive(block)
        except SizeLimitError as err:
            self._wan = None
            self.wan_errors.append((self.clock.now_ms, str(err)))
            self._fail_all(request_id, targets, TransferResponseCode.FILE_TRANSFER_FAILURE)
            return
        except ProtocolError as err:  # a bad block is refused; the DCC may send it again
            self.wan_errors.append((self.clock.now_ms, str(err)))
            return
        if whole is not None:
            self._wan = None
            self.store_image(request_id, targets, bytes(whole), activation_by_command=self._by_command)

    def store_image(self, request_id: str, targets: Sequence[int], data: bytes, *,
                    activation_by_command: bool = False) -> bool:
        """Store a whole image for ``targets`` and notify them (the end of a WAN distribution;
        also the harness's way to load the hub directly). Returns whether it was stored."""
        try:
            image = ota_image.parse_image(data, max_size=self.max_image_bytes)
        except ProtocolError:
            self._fail_all(request_id, tuple(targets), TransferResponseCode.FILE_TRANSFER_FAILURE)
            return False
        old = self.stored
        new = _Stored(request_id, data, image, by_command=activation_by_command)
        continuing: set[int] = set()
        if old is not None:
            for target in old.targets.values():
                if target.state is T.WAIT_MORE and target.device in targets:
                    continuing.add(target.device)
                    self._step(target, TI.NEXT_FRAGMENT)
                    new.targets[target.device] = target
                    target.request_id = request_id
                elif (target.state, TI.IMAGE_REPLACED) in TARGET_TRANSITIONS:
                    self._step(target, TI.IMAGE_REPLACED)
                elif target.state in (T.AWAITING_ACTIVATION, T.READBACK):
                    self._finished[target.device] = target
        self.stored = new
        for device in targets:
            if device in continuing:
                target = new.targets[device]
            else:
                target = _Target(device, request_id)
                new.targets[device] = target
            target.image = image
            if device not in self.paired:
                target.state = T.FAILED
                self._alert(target, TransferResponseCode.FILE_TRANSFER_FAILURE)
                continue
            self._notify(target)
        return True

    def store_meter_image(self, data: bytes) -> None:
        """Meter (ESME/GSME) firmware: its own slot; the HAN-device image is untouched (rule 3)."""
        self.meter_image = bytes(data)

    def read_firmware_version(self, device: int) -> int | None:
        """CS08: the device's last known CurrentFileVersion (from its last Read Attributes Response
        or Query Next Image Request), and a fresh Read Attributes is sent to refresh it."""
        if device not in self.paired:
            return None
        self._send(device, ReadAttributes(attribute_ids=(
            OtaAttribute.CURRENT_FILE_VERSION, OtaAttribute.IMAGE_UPGRADE_STATUS)))
        return self.known_versions.get(device)

    def gbcs_request(self, data: bytes) -> bytes:
        """A GBCS command from the DCC; returns the response frame. Only CS08 (Read PPMID/HCALCS
        Firmware Version) is served: it answers from :meth:`read_firmware_version`, with
        responseCode 1 when the device is not paired or its last read-back went unanswered.
        ``ProtocolError`` for a frame that does not decode or is not a CS08 command."""
        frame, payload = gbcs_wan.decode(data)
        if isinstance(payload, gbcs.ActivateFirmwareCommand):
            return hub_activation.on_activate_firmware(self, frame, payload)
        if not isinstance(payload, gbcs.FirmwareVersionCommand):
            raise ValidationError(f"the hub serves CS08 and CS06 only, not {type(payload).__name__}",
                                  field="frame.other_info.message_code")
        device = frame.recipient_title
        version = self._cs08_version(device, self.read_firmware_version(device))
        return gbcs_wan.cs08_response(device=device, counter=self._next_counter(), file_version=version)

    def next_event(self) -> HubEvent | None:
        return self._events.popleft() if self._events else None

    def target_state(self, device: int) -> TargetState | None:
        if self.stored is not None and device in self.stored.targets:
            return self.stored.targets[device].state
        finished = self._finished.get(device)
        return finished.state if finished is not None else None

    # ================================================================ HAN side
    def next_frame(self) -> HanFrame | None:
        return self._out.popleft() if self._out else None

    def receive(self, frame: HanFrame) -> None:
        if frame.cluster_id != OTA_CLUSTER_ID:
            return
        try:
            header, decoded = oc.decode_command(frame.payload)
        except ProtocolError as err:
            self._violation(frame.src, f"malformed frame: {err}")
            peek = peek_header(frame.payload)
            if peek is not None:
                self._reply(frame, peek.tsn, DefaultResponse(
                    command_id=peek.command_id, status=Status.MALFORMED_COMMAND,
                    direction=Direction.SERVER_TO_CLIENT))
            return
        cmd: Any = decoded
        tsn = header.tsn
        if isinstance(cmd, DefaultResponse):
            return
        if isinstance(cmd, ReadAttributesResponse):
            self._on_read_response(frame.src, cmd)
            return
        if frame.src not in self.paired:
            self._violation(frame.src, f"{type(cmd).__name__} from a device not paired with this hub")
            if isinstance(cmd, oc.QueryNextImageRequest):
                self._reply(frame, tsn, oc.QueryNextImageResponse(status=Status.NOT_AUTHORIZED))
            else:
                self._reply(frame, tsn, DefaultResponse(command_id=header.command_id,
                                                        status=Status.NOT_AUTHORIZED,
                                                        direction=Direction.SERVER_TO_CLIENT))
            return
        if isinstance(cmd, oc.QueryNextImageRequest):
            self.known_versions[frame.src] = cmd.current_file_version
            self._on_query(frame, tsn, cmd)
        elif isinstance(cmd, oc.ImageBlockRequest):
            self._on_block_request(frame, tsn, cmd)
        elif isinstance(cmd, oc.UpgradeEndRequest):
            self._on_end_request(frame, tsn, cmd)
        else:
            self._violation(frame.src, f"{type(cmd).__name__} is not a request an OTA server takes")
            self._reply(frame, tsn, DefaultResponse(command_id=header.command_id,
                                                    status=Status.UNSUP_CLUSTER_COMMAND,
                                                    direction=Direction.SERVER_TO_CLIENT))

    # ---------------------------------------------------------------- handlers
    def _target_for(self, device: int) -> _Target | None:
        stored = self.stored
        if stored is None:
            return None
        return stored.targets.get(device)

    def _on_query(self, frame: HanFrame, tsn: int, cmd: oc.QueryNextImageRequest) -> None:
        target = self._target_for(frame.src)
        no_image = oc.QueryNextImageResponse(status=Status.NO_IMAGE_AVAILABLE)
        if target is None or not self._allowed(target, TI.QUERY):
            self._reply(frame, tsn, no_image)
            return
        stored = self.stored
        assert stored is not None
        target.hardware_version = cmd.hardware_version
        self._touch(target)
        if not self._hardware_fits(target):
            self._reply(frame, tsn, no_image)
            self._step(target, TI.QUERY, T.FAILED)
            self._alert(target, TransferResponseCode.HARDWARE_VERSION_MISMATCH)
            return
        h = stored.image.header
        self._reply(frame, tsn, oc.QueryNextImageResponse(
            status=Status.SUCCESS, manufacturer_code=h.manufacturer_code, image_type=h.image_type,
            file_version=h.file_version, image_size=len(stored.data)))
        self._step(target, TI.QUERY, T.DOWNLOADING)

    def _on_block_request(self, frame: HanFrame, tsn: int, cmd: oc.ImageBlockRequest) -> None:
        target = self._target_for(frame.src)
        stored = self.stored
        if target is None or stored is None or not self._allowed(target, TI.BLOCK_REQUEST):
            self._violation(frame.src, "Image Block Request with no transfer in progress")
            self._reply(frame, tsn, oc.ImageBlockResponse(status=Status.ABORT))
            return
        h = stored.image.header
        if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != (
                h.manufacturer_code, h.image_type, h.file_version) or cmd.file_offset >= len(stored.data):
            self._violation(frame.src, "Image Block Request for another image or past its end")
            self._reply(frame, tsn, oc.ImageBlockResponse(status=Status.ABORT))
            return
        now = self.clock.now_ms
        if now < target.not_before_ms:
            self._violation(frame.src, f"Image Block Request {target.not_before_ms - now} ms before "
                                       "the WAIT_FOR_DATA time or MinimumBlockPeriod allowed")
        if target.last_block_ms is not None and self.minimum_block_period_ms and \
                now - target.last_block_ms < self.minimum_block_period_ms:
            self._violation(frame.src, f"Image Block Requests {now - target.last_block_ms} ms apart, "
                                       f"MinimumBlockPeriod is {self.minimum_block_period_ms} ms")
        target.last_block_ms = now
        self._touch(target)
        if not target.waited and (self.wait_for_data_s or self.minimum_block_period_ms):
            target.waited = True
            target.last_block_ms = None  # the retry after WAIT_FOR_DATA is timed by request_time
            utc = self._utc_now()
            target.not_before_ms = now + self.wait_for_data_s * 1000
            self._reply(frame, tsn, oc.ImageBlockResponse(
                status=Status.WAIT_FOR_DATA, current_time=utc, request_time=utc + self.wait_for_data_s,
                minimum_block_period=self.minimum_block_period_ms))
            self._step(target, TI.BLOCK_REQUEST)
            return
        offset, size = self._block_to_send(cmd.file_offset, min(cmd.maximum_data_size, self.max_block_data))
        data = stored.data[offset:offset + size]
        self._reply(frame, tsn, oc.ImageBlockResponse(
            status=Status.SUCCESS, manufacturer_code=h.manufacturer_code, image_type=h.image_type,
            file_version=h.file_version, file_offset=offset, image_data=data))
        self._step(target, TI.BLOCK_REQUEST)

    def _on_end_request(self, frame: HanFrame, tsn: int, cmd: oc.UpgradeEndRequest) -> None:
        target = self._target_for(frame.src)
        status = Status(cmd.status)
        event = {Status.SUCCESS: TI.END_SUCCESS, Status.REQUIRE_MORE_IMAGE: TI.END_REQUIRE_MORE}.get(
            status, TI.END_FAILURE)
        stored = self.stored
        if target is None or stored is None or not self._allowed(target, event):
            self._violation(frame.src, f"Upgrade End Request {status.name} out of turn")
            self._reply(frame, tsn, DefaultResponse(command_id=oc.CommandId.UPGRADE_END_REQUEST,
                                                    status=Status.FAILURE,
                                                    direction=Direction.SERVER_TO_CLIENT))
            return
        self._cancel(target)
        h = stored.image.header
        if event is TI.END_SUCCESS:
            utc = self._utc_now()
            upgrade_time = UPGRADE_TIME_WAIT
            self._reply(frame, tsn, oc.UpgradeEndResponse(
                manufacturer_code=h.manufacturer_code, image_type=h.image_type,
                file_version=h.file_version, current_time=utc, upgrade_time=upgrade_time))
            self._step(target, event, T.AWAITING_ACTIVATION)
            self._alert(target, TransferResponseCode.SUCCESS)
            target.by_command = stored.by_command
            if not target.by_command:
                self._arm(target, self.activation_delay_ms, TI.ACTIVATION_TIMER)
            return
        self._reply(frame, tsn, DefaultResponse(command_id=oc.CommandId.UPGRADE_END_REQUEST,
                                                status=Status.SUCCESS,
                                                direction=Direction.SERVER_TO_CLIENT))
        if event is TI.END_REQUIRE_MORE:
            self._step(target, event, T.WAIT_MORE)
            return
        self._step(target, event, T.FAILED)
        code = (TransferResponseCode.HARDWARE_VERSION_MISMATCH if not self._hardware_fits(target)
                else TransferResponseCode.FILE_TRANSFER_FAILURE)
        self._alert(target, code)

    def _on_read_response(self, device: int, cmd: ReadAttributesResponse) -> None:
        version: int | None = None
        for record in cmd.records:
            if record.attribute_id == OtaAttribute.CURRENT_FILE_VERSION and record.status == Status.SUCCESS:
                version = record.value
        if version is None:
            self._violation(device, "Read Attributes Response without CurrentFileVersion")
            return
        self.known_versions[device] = version
        self.read_failed.discard(device)
        target = self._finished.get(device)
        if self.stored is not None and device in self.stored.targets:
            target = self.stored.targets[device]
        if target is None or target.state is not T.READBACK:
            return  # an answer to a CS08 read outside a transfer
        self._cancel(target)
        self._step(target, TI.READ_RESPONSE, T.DONE)
        self._version_alert(target, version)

    # ---------------------------------------------------------------- timers
    def _timer(self, target: _Target, event: TargetInput) -> None:
        target.timer = None
        if event is TI.STALL_TIMER:
            if target.notifies < self.max_notifies:
                self._step(target, event, target.state)
                self._notify(target)
            elif target.state is T.NOTIFIED:  # never retrieved: the hub drops it (the minutes' (b))
                self._step(target, event, T.DISCARDED)
                self._alert(target, TransferResponseCode.IMAGE_DISCARDED)
            else:
                self._step(target, event, T.FAILED)
                self._alert(target, TransferResponseCode.FILE_TRANSFER_FAILURE)
        elif event is TI.ACTIVATION_TIMER:
            self._step(target, event, T.READBACK)
            stored = self._image_of(target)
            h = stored.header
            utc = self._utc_now()
            self._send(target.device, oc.UpgradeEndResponse(
                manufacturer_code=h.manufacturer_code, image_type=h.image_type,
                file_version=h.file_version, current_time=utc,
                upgrade_time=utc + self.activation_offset_s))
            target.executed_ms = self.clock.now_ms + self.activation_offset_s * 1000
            delay = self.activation_offset_s * 1000 + self.readback_delay_ms
            self._arm(target, delay, TI.READBACK_TIMER)
        elif event is TI.READBACK_TIMER:
            self._on_readback_timer(target)

    def _on_readback_timer(self, target: _Target) -> None:
        """Read the version back (Read Attributes); after the last unanswered try, 0x8F8B with
        the last known version and activated False, and CS08 answers responseCode 1."""
        event = TI.READBACK_TIMER
        if target.reads >= self.readback_tries:
            self._step(target, event, T.DONE)
            self.read_failed.add(target.device)
            self._version_alert(target, self.known_versions.get(target.device, 0), activated=False)
            return
        self._step(target, event, T.READBACK)
        target.reads += 1
        self._send(target.device, ReadAttributes(attribute_ids=(
            OtaAttribute.CURRENT_FILE_VERSION, OtaAttribute.IMAGE_UPGRADE_STATUS)))
        self._arm(target, self.readback_timeout_ms, TI.READBACK_TIMER)

    # ---------------------------------------------------------------- hooks (faults override them)
    #: The names of the faults switched on (none: this is the reference).
    faults: ClassVar[frozenset[str]] = frozenset()

    def _block_to_send(self, offset: int, size: int) -> tuple[int, int]:
        """(offset, size) of the Image Block Response: the offset asked, at most the size asked."""
        return offset, size

    def _cs08_version(self, device: int, version: int | None) -> int | None:
        """The version CS08 answers: none (responseCode 1) while the last read-back went unanswered."""
        return None if device in self.read_failed else version

    def _reported_code(self, code: TransferResponseCode) -> TransferResponseCode:
        """The CCS08 response code sent: the outcome as it was."""
        return code

    def _activated(self, target: _Target, version: int, activated: bool | None) -> bool:
        """activateImage of 0x8F8B: the version read back is the image's (or ``activated``)."""
        return version == self._image_of(target).header.file_version if activated is None else activated

    def _hash_matches(self, target: _Target, image_hash: bytes) -> bool:
        """CS06 activates only the held image whose Manufacturer Image hash it names."""
        return image_hash == hashlib.sha256(self._image_of(target).manufacturer_image).digest()

    # ---------------------------------------------------------------- helpers
    def _allowed(self, target: _Target, event: TargetInput) -> bool:
        return (target.state, event) in TARGET_TRANSITIONS

    def _step(self, target: _Target, event: TargetInput, new_state: TargetState | None = None) -> None:
        row = TARGET_TRANSITIONS.get((target.state, event))
        if row is None:
            raise HarnessUsageError(f"hub: {event.value} in state {target.state.value} is not in the table")
        if new_state is None:
            new_state = next(iter(row.next_states)) if len(row.next_states) == 1 else target.state
        if new_state not in row.next_states:
            raise HarnessUsageError(f"hub: {target.state.value} -> {new_state.value} on {event.value} "
                                    "is not in the table")
        if event is TI.IMAGE_REPLACED:
            self._alert(target, TransferResponseCode.IMAGE_DISCARDED)
        if new_state in _TERMINAL:
            self._cancel(target)
        target.state = new_state

    @staticmethod
    def _image_of(target: _Target) -> ota_image.OtaImage:
        if target.image is None:
            raise HarnessUsageError("hub: no image recorded for this target")
        return target.image

    def _hardware_fits(self, target: _Target) -> bool:
        stored = self.stored
        hw = target.hardware_version
        if stored is None or hw is None:
            return True
        low = stored.image.header.minimum_hardware_version
        high = stored.image.header.maximum_hardware_version
        return (low is None or hw >= low) and (high is None or hw <= high)

    def _notify(self, target: _Target) -> None:
        stored = self.stored
        assert stored is not None
        h = stored.image.header
        target.notifies += 1
        self._send(target.device, oc.ImageNotify(
            payload_type=oc.ImageNotifyPayloadType.NEW_FILE_VERSION, query_jitter=self.query_jitter,
            manufacturer_code=h.manufacturer_code, image_type=h.image_type,
            new_file_version=h.file_version))
        self._touch(target)

    def _touch(self, target: _Target) -> None:
        """Re-arm the stall timer: no word for stall_timeout_ms means notify again or give up."""
        self._arm(target, self.stall_timeout_ms, TI.STALL_TIMER)  # re-arming cancels

    def _arm(self, target: _Target, delay_ms: int, event: TargetInput) -> None:
        # Re-armed in place (VirtualClock.rearm): the stall timer moves on every block, and a
        # fresh timer each time would leave the clock a cancelled entry per block.
        target.timer_event = event
        handle = target.timer_handle
        if handle is None:
            handle = target.timer_handle = self.clock.call_later(delay_ms, partial(self._fire, target))
        else:
            self.clock.rearm(handle, delay_ms)
        target.timer = handle

    def _fire(self, target: _Target) -> None:
        self._timer(target, target.timer_event)

    def _cancel(self, target: _Target) -> None:
        if target.timer is not None:
            self.clock.cancel(target.timer)
            target.timer = None

    def _alert(self, target: _Target, code: TransferResponseCode) -> None:
        version = None if target.image is None else target.image.header.file_version
        self._transfer_event(target.request_id, target.device, code, version)

    def _transfer_event(self, request_id: str, device: int, code: TransferResponseCode,
                        version: int | None) -> None:
        """Queue CCS08 for the DCC, as the GBCS frame the WAN carries."""
        now = self.clock.now_ms
        code = self._reported_code(code)
        frame = gbcs_wan.transfer_alert(hub=self.eui64, counter=self._next_counter(), virtual_ms=now,
                                        device=device, file_version=version, response_code=code)
        self._events.append(FirmwareTransferAlert(request_id, device, code, now, frame))
        if self.dcc_notify is not None:
            self.dcc_notify()

    def _version_alert(self, target: _Target, version: int, *, activated: bool | None = None) -> None:
        ok = self._activated(target, version, activated)
        if target.command_counter is not None:  # HCALCS: CS06's outcome, not 0x8F8B
            code = (gbcs.ActivationResponseCode.SUCCESS if ok
                    else gbcs.ActivationResponseCode.ACTIVATION_FAILURE)
            hub_activation.outcome_alert(self, target.request_id, target.device, target.command_counter,
                                         target.executed_ms, code, version)
            self._finished.pop(target.device, None)
            return
        frame = gbcs_wan.version_alert(device=target.device, counter=self._next_counter(),
                                       executed_ms=target.executed_ms, file_version=version, activated=ok)
        self._events.append(FirmwareVersionAlert(target.request_id, target.device, version, ok,
                                                 self.clock.now_ms, frame))
        if self.dcc_notify is not None:
            self.dcc_notify()
        self._finished.pop(target.device, None)

    def _fail_all(self, request_id: str, targets: Sequence[int], code: TransferResponseCode) -> None:
        for device in targets:
            self._transfer_event(request_id, device, code, None)

    def _next_counter(self) -> int:
        self._gbcs_counter += 1
        return self._gbcs_counter

    def _violation(self, device: int, reason: str) -> None:
        self.violations.append(HubViolation(self.clock.now_ms, device, reason))

    def _utc_now(self) -> int:
        return UTC_EPOCH_OFFSET_S + self.clock.now_ms // 1000

    def _send(self, device: int, cmd: oc.Command) -> None:
        self._tsn = (self._tsn + 1) & 0xFF
        self._out.append(make_frame(self.eui64, device, self.endpoint, OTA_ENDPOINT, SE_PROFILE_ID,
                                  OTA_CLUSTER_ID, oc.encode_command(cmd, tsn=self._tsn)))
        if self.han_notify is not None:
            self.han_notify()

    def _reply(self, frame: HanFrame, tsn: int, cmd: oc.Command) -> None:
        self._out.append(make_frame(self.eui64, frame.src, self.endpoint, frame.src_endpoint,
                                  frame.profile_id, OTA_CLUSTER_ID, oc.encode_command(cmd, tsn=tsn)))
        if self.han_notify is not None:
            self.han_notify()
