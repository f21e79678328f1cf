"""The reference IHD/PPMID: a ZigBee OTA Upgrade *client* (ZigBee 095264), sans-I/O.

It is the device the suite is proven against and the default device under test. Every
transition is in :data:`TRANSITIONS` (one table, one file, :mod:`.device_table`: h11 rule 1)
and the image checks are in :mod:`.device_checks`; an input the table does not allow in the
current state raises :class:`IllegalEventError` and leaves the state unchanged. On the network
side :meth:`OtaDevice.receive` never raises for a peer's fault: it records the refusal in
``violations`` (and answers a Default Response where ZCL says so), which is what an observer
of the HAN sees.

The device takes firmware only from the OTA server of the Communications Hub it is paired to
(``paired_hub``): the working group banned local upgrades via Hand Held Terminals. The class
here is the specification; its named faults (for mutation tests that prove each scenario catches
the deviation it is written for, as tuf-conformance does) are subclasses that override its small
hook methods, in :mod:`.faults.device_faults`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, NoReturn

from cryptography.hazmat.primitives.asymmetric import ec

from hanota.protocol import fragments, ota_image
from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import DeviceViolationError, HarnessUsageError, ProtocolError
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES
from hanota.protocol.zcl import (
    OTA_ATTRIBUTE_TYPES,
    OTA_CLUSTER_ID,
    AttributeRecord,
    DataType,
    DefaultResponse,
    Direction,
    ImageUpgradeStatus,
    OtaAttribute,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
    peek_header,
)

from .clock import VirtualClock, _Timer
from .device_checks import ImageChecks, Offer
from .device_notify import NotifyHandling
from .device_power import PowerCycle
from .device_requests import ServerRequests
from .device_specific import SpecificFileQuery
from .device_table import (
    TRANSITIONS,
    UPGRADE_STATUS,
    DeviceInput,
    DeviceState,
    Transition,
    transitions_markdown,
)
from .device_zcl import ZclGate
from .han import BROADCAST, OTA_ENDPOINT, SE_PROFILE_ID, HanFrame, make_frame

__all__ = [
    "TRANSITIONS",
    "DeviceInput",
    "DeviceState",
    "IllegalEventError",
    "OtaDevice",
    "RefusedSourceError",
    "Transition",
    "UPGRADE_TIME_WAIT",
    "transitions_markdown",
]

UPGRADE_TIME_WAIT = 0xFFFF_FFFF
"""Upgrade End Response upgrade_time meaning 'wait for a further command' (GBCS hub)."""
_WILDCARD_16 = 0xFFFF
_WILDCARD_32 = 0xFFFF_FFFF
_NO_SERVER = 0xFFFF_FFFF_FFFF_FFFF
ZIGBEE_PRO_STACK = 0x0002
S, I = DeviceState, DeviceInput  # noqa: E741 - shorthand as in the table

class IllegalEventError(DeviceViolationError):
    """An input the transition table does not allow in the current state (state unchanged)."""


class RefusedSourceError(DeviceViolationError):
    """An OTA server command from a node that is not the paired hub's OTA server."""


@dataclass(frozen=True)
class Violation:
    """A frame the device refused, as evidence: when, from whom, and why."""

    time_ms: int
    src: int
    reason: str


class OtaDevice(NotifyHandling, ImageChecks, ServerRequests, ZclGate, PowerCycle, SpecificFileQuery):
    """The reference IHD / PPMID OTA client (the specification; its faulty variants override the
    hook methods, see :mod:`.faults.device_faults`). ``consumer_refusal`` enables the optional
    consumer prompt (an open question of the minutes): when enabled and ``consumer_accepts`` is
    False, a verified image is refused with Upgrade End Request status ABORT (0x95) and the
    running firmware is kept.
    """

    def __init__(
        self,
        clock: VirtualClock,
        *,
        eui64: int,
        kind: Literal["ihd", "ppmid", "hcalcs"],
        manufacturer_code: int,
        image_type: int,
        file_version: int,
        hardware_version: int,
        public_key: ec.EllipticCurvePublicKey | None,
        paired_hub: int | None,
        rng: random.Random,
        supports_fragmentation: bool = False,
        consumer_refusal: bool = False,
        consumer_accepts: bool = True,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        max_whole_image_bytes: int = DEFAULT_MAX_WHOLE_IMAGE_BYTES,
        max_data_size: int = 64,
        minimum_block_period_ms: int = 0,
        response_timeout_ms: int = 5_000,
        max_retries: int = 3,
        max_query_delay_ms: int = 1_000,
        expected_format: ota_image.ImageFormat | None = None,
        supports_resume: bool = True,
        resume_after_power_cycle: bool = True,
        device_specific_files: bool = True,
        page_requests: bool = False,
        device_file_query: int | None = None,
        wait_poll_ms: int = 0,
        query_interval_ms: int | None = None,
        endpoint: int = OTA_ENDPOINT,
    ) -> None:
        if kind not in ("ihd", "ppmid", "hcalcs"):
            raise HarnessUsageError(f"device kind must be 'ihd', 'ppmid' or 'hcalcs', not {kind!r}")
        if not 1 <= max_data_size <= 255:
            raise HarnessUsageError("max_data_size must be 1..255 (a uint8 on the wire)")
        self.clock = clock
        self.eui64 = eui64
        self.kind = kind
        self.manufacturer_code = manufacturer_code
        self.image_type = image_type
        self.firmware_version = file_version
        self.hardware_version = hardware_version
        self.public_key = public_key
        self.paired_hub = paired_hub
        self.rng = rng
        self.supports_fragmentation = supports_fragmentation
        self.consumer_refusal = consumer_refusal
        self.consumer_accepts = consumer_accepts
        self.max_image_bytes = max_image_bytes
        self.max_whole_image_bytes = max_whole_image_bytes
        self.max_data_size = max_data_size
        self.minimum_block_period_ms = minimum_block_period_ms
        self.response_timeout_ms = response_timeout_ms
        self.max_retries = max_retries
        self.max_query_delay_ms = max_query_delay_ms
        self.expected_format = expected_format
        #: PICS resume / device_specific_files: without them, every download starts again from
        #: offset 0 and every device-specific file is refused (both conforming).
        self.supports_resume = supports_resume
        self.keeps_download_over_power_cycle = resume_after_power_cycle  # PICS, .device_power
        self.device_specific_files = device_specific_files
        self.page_requests = page_requests  # PICS image_page_requests (.device_requests)
        self.specific_file_type, self.specific_files = device_file_query, []  # (.device_specific)
        self.wait_poll_ms = wait_poll_ms  # waiting to upgrade: ask again this often (0: never)
        self.query_interval_ms = query_interval_ms  # PICS periodic_query (.device_notify)
        self.endpoint = endpoint

        self.state = DeviceState.IDLE
        self._out: deque[HanFrame] = deque()
        #: set by the HanNetwork this node is attached to: called on each frame queued.
        self.han_notify: Callable[[], None] | None = None
        self._tsn = 0
        self._timer: _Timer | None = None  # the armed timer, None when none is
        self._timer_handle: _Timer | None = None
        self._timer_event = DeviceInput.RESPONSE_TIMEOUT
        self._retries = 0
        self._server: int | None = paired_hub
        self._offer: Offer | None = None
        self._buffer = bytearray()
        self._requested: tuple[int, int] | None = None  # (offset, max size) of the open request
        self._last_block_request_ms: int | None = None
        self._verified = False
        self._fail_activation = False
        self._reassembler = fragments.Reassembler(max_whole_bytes=max_whole_image_bytes,
                                                  max_fragment_bytes=max_image_bytes)
        self.violations: list[Violation] = []
        self.last_verification: str | None = None
        self.activations: list[tuple[int, int]] = []  # (time_ms, new file version)
        self._start_periodic_query()

    # ---------------------------------------------------------------- HanNode side
    def next_frame(self) -> HanFrame | None:
        return self._out.popleft() if self._out else None

    def receive(self, frame: HanFrame) -> None:
        """Take one frame from the HAN. Never raises for a peer's fault: refusals are recorded."""
        try:
            self.process(frame)
        except DeviceViolationError as err:
            self.violations.append(Violation(self.clock.now_ms, frame.src, str(err)))

    def process(self, frame: HanFrame) -> None:
        """Take one frame; raise a DeviceViolationError (state unchanged) if it is refused."""
        if frame.cluster_id != OTA_CLUSTER_ID:
            raise RefusedSourceError(f"cluster 0x{frame.cluster_id:04x} is not served here")
        self._refuse_unsupported(frame)  # manufacturer-specific or unknown commands (device_zcl)
        try:
            # Octets beyond the fields a command declares are ignored (ZCL forward compatibility).
            header, decoded = oc.decode_command(frame.payload, ignore_trailing=self.ignores_trailing_octets)
        except ProtocolError as err:
            self._answer_malformed(frame)
            raise DeviceViolationError(f"malformed frame: {err}") from None
        cmd: Any = decoded
        if self._take_specific(frame.src, cmd):  # the device-specific file exchange (.device_specific)
            return
        event = _INPUT_OF.get(type(cmd))
        if event is None:
            if isinstance(cmd, ReadAttributes):
                self._answer_read(frame, header.tsn, cmd)
                return
            if isinstance(cmd, DefaultResponse):
                self._on_default_response(frame.src, cmd)
                return
            raise IllegalEventError(f"{type(cmd).__name__} is not a command an OTA client takes")
        if event is I.QUERY_RESPONSE_SUCCESS and cmd.status != Status.SUCCESS:
            event = I.QUERY_RESPONSE_NO_IMAGE
        elif event is I.BLOCK_RESPONSE_SUCCESS:
            if cmd.status == Status.WAIT_FOR_DATA:
                event = I.BLOCK_RESPONSE_WAIT
            elif cmd.status != Status.SUCCESS:
                event = I.BLOCK_RESPONSE_ABORT
        if not self._from_server(frame.src, event):
            self._refuse_source(frame, header.tsn, header.command_id, cmd)
        self._notify_broadcast = frame.dst == BROADCAST
        self._dispatch(event, cmd, frame.src)

    # ---------------------------------------------------------------- hooks (faults override them)
    #: ZCL forward compatibility: octets after the fields a command declares are ignored.
    ignores_trailing_octets: ClassVar[bool] = True
    #: The names of the faults switched on (none: this is the reference).
    faults: ClassVar[frozenset[str]] = frozenset()

    def _answer_malformed(self, frame: HanFrame) -> None:
        """A malformed OTA command: Default Response MALFORMED_COMMAND echoing the frame's own TSN
        and command id (with no header to read, there is none)."""
        peek = peek_header(frame.payload)
        self._reply(frame, DefaultResponse(command_id=peek.command_id if peek else 0,
                                           status=Status.MALFORMED_COMMAND),
                    tsn=peek.tsn if peek else 0)

    def _from_server(self, src: int, event: DeviceInput) -> bool:
        """Whether a command from ``src`` is taken: only from the paired hub's OTA server."""
        return self.paired_hub is not None and src == self.paired_hub

    def _refuse_source(self, frame: HanFrame, tsn: int, command_id: int, cmd: oc.Command) -> NoReturn:
        """Refuse a command from a node other than the paired hub: Default Response NOT_AUTHORIZED."""
        self._reply(frame, DefaultResponse(command_id=command_id, status=Status.NOT_AUTHORIZED), tsn=tsn)
        raise RefusedSourceError(
            f"{type(cmd).__name__} from 0x{frame.src:016x}, which is not the OTA server of the "
            f"paired hub" + (f" 0x{self.paired_hub:016x}" if self.paired_hub is not None else ""))

    # ---------------------------------------------------------------- local acts
    def query_now(self) -> None:
        """Local act: ask the paired hub for an image now (the periodic query of a real device)."""
        self._dispatch(I.QUERY_NOW, None, None)

    def read_attribute(self, attribute: OtaAttribute) -> int:
        """The attribute as Read Attributes reports it."""
        return self._attributes()[attribute]

    @property
    def image_upgrade_status(self) -> ImageUpgradeStatus:
        if self.state is S.IDLE and self._reassembler.received:
            return ImageUpgradeStatus.WAIT_FOR_MORE
        return UPGRADE_STATUS[self.state]

    @property
    def file_offset(self) -> int:
        return len(self._buffer)

    # ---------------------------------------------------------------- the machine
    def _dispatch(self, event: DeviceInput, cmd: oc.Command | None, src: int | None) -> None:
        transition = TRANSITIONS.get((self.state, event))
        if transition is None:
            raise IllegalEventError(f"{event.value} is not allowed in state {self.state.value}")
        # a faulty variant may override a handler: look it up on the instance's class
        new_state = getattr(self, _HANDLERS[event])(cmd)  # may raise DeviceViolationError, nothing changed
        if new_state not in transition.next_states:  # a model bug, not a peer's fault
            raise HarnessUsageError(
                f"device went {self.state.value} -> {new_state.value} on {event.value}, "
                "which the transition table does not list")
        self.state = new_state

    def _on_query_now(self, _cmd: None) -> DeviceState:
        if self.state in (S.IDLE, S.QUERY_SCHEDULED):
            self._send_query()
            return S.QUERYING
        return self.state

    def _on_query_timer(self, _cmd: None) -> DeviceState:
        self._send_query()
        return S.QUERYING

    def _on_query_response(self, cmd: oc.QueryNextImageResponse) -> DeviceState:
        # a SUCCESS response carries every field (the codec refuses one without)
        assert cmd.manufacturer_code is not None and cmd.image_type is not None
        assert cmd.file_version is not None and cmd.image_size is not None
        offer = Offer(cmd.manufacturer_code, cmd.image_type, cmd.file_version, cmd.image_size)
        self._cancel_timer()
        refusal = self._check_offer(offer)
        if refusal is not None:
            self.last_verification = refusal
            self._send_upgrade_end(Status.INVALID_IMAGE, offer)
            self._drop_download()
            return S.IDLE
        if not self._resumes(offer):
            self._buffer = bytearray()
            self._verified = False
        self._offer = offer
        self._retries = 0
        if len(self._buffer) >= offer.image_size:
            return self._complete()
        self._send_block_request()
        return S.BLOCK_REQUESTED

    def _on_query_no_image(self, _cmd: oc.QueryNextImageResponse) -> DeviceState:
        self._cancel_timer()
        return S.IDLE

    def _on_block(self, cmd: oc.ImageBlockResponse) -> DeviceState:
        offer, requested = self._offer, self._requested
        assert offer is not None and requested is not None
        assert cmd.image_data is not None and cmd.file_offset is not None  # SUCCESS carries them
        data = bytes(cmd.image_data)
        offset, asked = requested
        if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != (
                offer.manufacturer_code, offer.image_type, offer.file_version):
            raise DeviceViolationError("Image Block Response for another image than requested",
                                       field="image_block_response.file_version")
        self._check_block(cmd.file_offset, data, offset, asked, offer)
        self._store_block(cmd.file_offset, data)
        self._requested = None
        self._retries = 0
        if len(self._buffer) >= offer.image_size:
            self._cancel_timer()
            return self._complete()
        if self._page_continues():
            return S.BLOCK_REQUESTED
        return self._next_block()  # re-arms the timer (as cancel + schedule: VirtualClock.rearm)

    def _on_block_wait(self, cmd: oc.ImageBlockResponse) -> DeviceState:
        self._cancel_timer()
        self._requested = None
        assert cmd.current_time is not None and cmd.request_time is not None  # WAIT_FOR_DATA's fields
        mbp = getattr(cmd, "minimum_block_period", None)
        if mbp is not None:
            self.minimum_block_period_ms = int(mbp)
        if cmd.current_time == 0:
            delay_s = int(cmd.request_time)
        else:
            delay_s = max(0, int(cmd.request_time) - int(cmd.current_time))
        self._set_timer(self._wait_for_data_ms(delay_s), I.BLOCK_TIMER)
        return S.BLOCK_WAIT

    def _on_block_abort(self, _cmd: oc.ImageBlockResponse) -> DeviceState:
        self._cancel_timer()
        self._drop_download()
        return S.IDLE

    def _on_block_timer(self, _cmd: None) -> DeviceState:
        self._send_block_request()
        return S.BLOCK_REQUESTED

    def _on_timeout(self, _cmd: None) -> DeviceState:
        self._timer = None
        self._retries += 1
        give_up = self._retries > self.max_retries
        if self.state is S.QUERYING:
            if give_up:
                return S.IDLE
            self._send_query(resend=True)
            return S.QUERYING
        if self.state is S.BLOCK_REQUESTED:
            if give_up:
                self._requested = None
                return S.IDLE  # keep _offer and _buffer: the next offer of this image resumes
            self._send_block_request()
            return S.BLOCK_REQUESTED
        # END_REQUESTED
        if give_up:
            self._drop_download()
            return S.IDLE
        assert self._offer is not None
        self._send_upgrade_end(Status.SUCCESS, self._offer, await_response=True)
        return S.END_REQUESTED

    def _on_upgrade_end_response(self, cmd: oc.UpgradeEndResponse) -> DeviceState:
        offer = self._offer
        assert offer is not None
        if cmd.manufacturer_code not in (offer.manufacturer_code, _WILDCARD_16) \
                or cmd.image_type not in (offer.image_type, _WILDCARD_16) \
                or cmd.file_version not in (offer.file_version, _WILDCARD_32):
            raise DeviceViolationError("Upgrade End Response names another image",
                                       field="upgrade_end_response.file_version")
        self._cancel_timer()
        delay_s = self._activation_delay_s(cmd)
        if delay_s is None:
            return self._wait_for_command()
        if delay_s == 0:
            self._activate()
            return S.IDLE
        self._set_timer(delay_s * 1000, I.ACTIVATION_TIMER)
        return S.COUNTDOWN

    def _on_activation_timer(self, _cmd: None) -> DeviceState:
        self._timer = None
        self._activate()
        return S.IDLE

    # ---------------------------------------------------------------- checks
    def _complete(self) -> DeviceState:
        """The whole file is here: reassemble fragments, verify, report in Upgrade End Request."""
        offer = self._offer
        assert offer is not None
        data = self._received_image(bytes(self._buffer[: offer.image_size]))
        limit = self.max_image_bytes
        if self.supports_fragmentation:
            whole, refusal = self._take_fragment(data)
            if whole is None and refusal is None:  # a fragment kept, the rest still to come
                self._send_upgrade_end(Status.REQUIRE_MORE_IMAGE, offer)
                self._drop_download()
                return S.IDLE
            if whole is not None and whole is not data:
                data, limit = whole, self.max_whole_image_bytes
        else:
            refusal = None
        refusal = refusal or self._verify(data, offer, limit)
        self.last_verification = refusal or "verified"
        self._verified = refusal is None
        if refusal is None and self.consumer_refusal and not self.consumer_accepts:
            self.last_verification = "refused by the consumer"
            self._send_upgrade_end(Status.ABORT, offer)
            self._drop_download()
            return S.IDLE
        if refusal is not None:
            return self._refuse_image(offer)
        return self._request_upgrade_end(offer)

    def _refuse_image(self, offer: Offer) -> DeviceState:
        """An image that failed verification: Upgrade End Request INVALID_IMAGE, download dropped."""
        self._send_upgrade_end(Status.INVALID_IMAGE, offer)
        self._drop_download()
        return S.IDLE

    def _request_upgrade_end(self, offer: Offer) -> DeviceState:
        """A verified image: Upgrade End Request SUCCESS, then wait for the hub's answer."""
        self._retries = 0
        self._send_upgrade_end(Status.SUCCESS, offer, await_response=True)
        return S.END_REQUESTED

    def _received_image(self, data: bytes) -> bytes:
        """What is verified: every byte the hub served for the image, up to its offered size."""
        return data

    def _resumes(self, offer: Offer) -> bool:
        """An interrupted download of the same image resumes at its FileOffset (PICS resume)."""
        return offer == self._offer and self.supports_resume

    def _check_block(self, file_offset: int, data: bytes, offset: int, asked: int, offer: Offer) -> None:
        """An Image Block Response is stored only at the offset asked for, no larger than asked
        and inside the image."""
        if file_offset != offset:
            raise DeviceViolationError(f"block at offset {file_offset}, asked for {offset}",
                                       field="image_block_response.file_offset")
        self._check_block_size(data, asked)
        if not data or offset + len(data) > offer.image_size:
            raise DeviceViolationError(
                f"block of {len(data)} bytes at {offset} does not fit an image of "
                f"{offer.image_size} bytes", field="image_block_response.data_size")

    def _check_block_size(self, data: bytes, asked: int) -> None:
        if len(data) > asked:
            raise DeviceViolationError(f"block of {len(data)} bytes, asked for at most {asked}",
                                       field="image_block_response.data_size")

    def _store_block(self, file_offset: int, data: bytes) -> None:
        """A checked block extends the download (its offset is the FileOffset)."""
        self._buffer += data

    def _wait_for_data_ms(self, delay_s: int) -> int:
        """WAIT_FOR_DATA: the retry waits the delay the server stated."""
        return delay_s * 1000

    def _block_wait_ms(self) -> int:
        """How long to wait before the next Image Block Request: MinimumBlockPeriod since the last."""
        if self._last_block_request_ms is None:
            return 0
        return self._last_block_request_ms + self.minimum_block_period_ms - self.clock.now_ms

    def _activation_delay_s(self, cmd: oc.UpgradeEndResponse) -> int | None:
        """Seconds until activation from an Upgrade End Response; None: wait for a further command
        (upgrade_time 0xFFFFFFFF). A current_time of 0 makes upgrade_time an offset."""
        if cmd.upgrade_time == UPGRADE_TIME_WAIT:
            return None
        if cmd.current_time == 0:
            return int(cmd.upgrade_time)
        return max(0, int(cmd.upgrade_time) - int(cmd.current_time))

    def _query_identity(self) -> tuple[int, int]:
        """(manufacturer code, current file version) that Query Next Image Request describes."""
        return self.manufacturer_code, self.firmware_version

    def _upgrade_end_version(self, offer: Offer) -> int:
        """The file version an Upgrade End Request names: the offered image's."""
        return offer.file_version

    def _current_file_version(self) -> int:
        """CurrentFileVersion as Read Attributes reports it: the running firmware's."""
        return self.firmware_version

    # ---------------------------------------------------------------- effects
    def fail_next_activation(self) -> None:
        """Make the next activation fail (a supported test option, not a fault): the image is
        downloaded and verified, the upgrade time comes, and the device keeps running and
        reporting the firmware it had. Used to check alert (c) and the inventory after a failed
        activation."""
        self._fail_activation = True

    def _activate(self) -> None:
        offer = self._offer
        if self._fail_activation:
            self._fail_activation = False
            self.last_verification = "activation failed (fail_next_activation)"
        elif self._verified and offer is not None:
            self.firmware_version = offer.file_version
            self.activations.append((self.clock.now_ms, offer.file_version))
        self._drop_download()

    def _drop_download(self) -> None:
        self._offer = None
        self._buffer = bytearray()
        self._requested = None
        self._verified = False

    def _next_block(self) -> DeviceState:
        wait = self._block_wait_ms()
        if wait > 0:
            self._set_timer(wait, I.BLOCK_TIMER)
            return S.BLOCK_WAIT
        self._send_block_request()
        return S.BLOCK_REQUESTED

    def _send_query(self, *, resend: bool = False) -> None:
        if not resend:
            self._retries = 0
        manufacturer, version = self._query_identity()
        self._send(oc.QueryNextImageRequest(
            manufacturer_code=manufacturer, image_type=self.image_type,
            current_file_version=version, hardware_version=self.hardware_version))
        self._set_timer(self.response_timeout_ms, I.RESPONSE_TIMEOUT)

    def _send_upgrade_end(self, status: Status, offer: Offer, *, await_response: bool = False) -> None:
        self._send(oc.UpgradeEndRequest(
            status=status, manufacturer_code=offer.manufacturer_code, image_type=offer.image_type,
            file_version=self._upgrade_end_version(offer)))
        if await_response:
            self._set_timer(self.response_timeout_ms, I.RESPONSE_TIMEOUT)

    def _send(self, cmd: oc.Command) -> None:
        if self._server is None:
            raise HarnessUsageError("the device is not paired with any hub")
        self._tsn = (self._tsn + 1) & 0xFF
        self._out.append(make_frame(self.eui64, self._server, self.endpoint, OTA_ENDPOINT,
                                  SE_PROFILE_ID, OTA_CLUSTER_ID,
                                  oc.encode_command(cmd, tsn=self._tsn)))
        if self.han_notify is not None:
            self.han_notify()

    def _reply(self, frame: HanFrame, cmd: oc.Command, *, tsn: int) -> None:
        self._out.append(make_frame(self.eui64, frame.src, self.endpoint, frame.src_endpoint,
                                  frame.profile_id, frame.cluster_id, oc.encode_command(cmd, tsn=tsn)))
        if self.han_notify is not None:
            self.han_notify()

    def _attribute_type(self, attr: OtaAttribute) -> DataType:
        """The ZCL data type an attribute is reported with: the one the cluster defines."""
        return OTA_ATTRIBUTE_TYPES[attr]

    def _answer_read(self, frame: HanFrame, tsn: int, cmd: ReadAttributes) -> None:
        self._reply(frame, ReadAttributesResponse(records=self._read_records(cmd, self._attributes()),
                                                  direction=Direction.CLIENT_TO_SERVER), tsn=tsn)

    def _read_records(self, cmd: ReadAttributes,
                      values: dict[OtaAttribute, int]) -> tuple[AttributeRecord, ...]:
        """One record per id asked for: its value, or UNSUPPORTED_ATTRIBUTE for an id it lacks."""
        records = []
        for attr_id in cmd.attribute_ids:
            try:
                attr = OtaAttribute(attr_id)
            except ValueError:
                records.append(AttributeRecord(attr_id, Status.UNSUPPORTED_ATTRIBUTE))
                continue
            records.append(AttributeRecord(attr_id, Status.SUCCESS, self._attribute_type(attr),
                                           values[attr]))
        return tuple(records)

    def _attributes(self) -> dict[OtaAttribute, int]:
        offer = self._offer
        return {
            OtaAttribute.UPGRADE_SERVER_ID: self._server if self._server is not None else _NO_SERVER,
            OtaAttribute.FILE_OFFSET: len(self._buffer),
            OtaAttribute.CURRENT_FILE_VERSION: self._current_file_version(),
            OtaAttribute.CURRENT_ZIGBEE_STACK_VERSION: ZIGBEE_PRO_STACK,
            OtaAttribute.DOWNLOADED_FILE_VERSION: offer.file_version if offer else _WILDCARD_32,
            OtaAttribute.DOWNLOADED_ZIGBEE_STACK_VERSION: ZIGBEE_PRO_STACK if offer else _WILDCARD_16,
            OtaAttribute.IMAGE_UPGRADE_STATUS: int(self.image_upgrade_status),
            OtaAttribute.MANUFACTURER_ID: self.manufacturer_code,
            OtaAttribute.IMAGE_TYPE_ID: self.image_type,
            OtaAttribute.MINIMUM_BLOCK_PERIOD: self.minimum_block_period_ms,
        }

    # ---------------------------------------------------------------- timers
    def _set_timer(self, delay_ms: int, event: DeviceInput) -> None:
        # One timer per device, re-armed in place: a timer per block would leave the clock a
        # cancelled entry per block (same order of events either way, see VirtualClock.rearm).
        self._timer_event = event
        handle = self._timer_handle
        if handle is None:
            handle = self._timer_handle = self.clock.call_later(delay_ms, self._fire)
        else:
            self.clock.rearm(handle, delay_ms)
        self._timer = handle

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self.clock.cancel(self._timer)
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        self._dispatch(self._timer_event, None, None)


_INPUT_OF: dict[type, DeviceInput] = {
    oc.ImageNotify: I.IMAGE_NOTIFY,
    oc.QueryNextImageResponse: I.QUERY_RESPONSE_SUCCESS,
    oc.ImageBlockResponse: I.BLOCK_RESPONSE_SUCCESS,
    oc.UpgradeEndResponse: I.UPGRADE_END_RESPONSE,
}

_HANDLERS: dict[DeviceInput, str] = {
    I.QUERY_NOW: "_on_query_now",
    I.IMAGE_NOTIFY: "_on_image_notify",
    I.QUERY_RESPONSE_SUCCESS: "_on_query_response",
    I.QUERY_RESPONSE_NO_IMAGE: "_on_query_no_image",
    I.BLOCK_RESPONSE_SUCCESS: "_on_block",
    I.BLOCK_RESPONSE_WAIT: "_on_block_wait",
    I.BLOCK_RESPONSE_ABORT: "_on_block_abort",
    I.UPGRADE_END_RESPONSE: "_on_upgrade_end_response",
    I.QUERY_TIMER: "_on_query_timer",
    I.BLOCK_TIMER: "_on_block_timer",
    I.RESPONSE_TIMEOUT: "_on_timeout",
    I.ACTIVATION_TIMER: "_on_activation_timer",
    I.WAIT_POLL_TIMER: "_on_wait_poll",
}
