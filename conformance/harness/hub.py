"""The hub the suite plays towards the device under test (docs/harness.md, "The hub the suite plays").

:class:`HubPlayer` sits on the HAN in place of the reference Communications Hub, with the hub's
EUI-64 (the device takes firmware only from its paired hub). While the scenario offers an image
itself the player answers the device's OTA commands from a :class:`HubScript` (MinimumBlockPeriod,
WAIT_FOR_DATA, a status or a raw frame for the next command, the upgrade time, a link loss,
blocks shorter than asked, answers late within the device's timeout) and serves the
:class:`Offer` (one image, or fragments in an order). Everything else goes to the reference hub
it stands for.

By default it behaves as a GB Communications Hub does (the project's reading where no public
text fixes a value, docs/harness.md): Image Notify payload type 3 with query jitter 100, and an
Upgrade End Response with upgrade time 0xFFFFFFFF (wait for a further command) followed, at the
activation the Service Request asks for, by the activating Upgrade End Response.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.zcl import (
    OTA_CLUSTER_ID,
    DefaultResponse,
    Direction,
    FrameType,
    OtaAttribute,
    Status,
    peek_header,
)

from ..models.clock import _Timer
from ..models.comms_hub import UTC_EPOCH_OFFSET_S
from ..models.han import BROADCAST, OTA_ENDPOINT, SE_PROFILE_ID, HanFrame, HanNetwork, HanNode
from ..params import Duration, UpgradeTime, UpgradeTimeKind
from .describe import frame_key
from .hub_pages import PageServer
from .hub_specific import SpecificFileServer
from .records import ImageInfo

__all__ = ["EDGE_MARGIN_MS", "GB_ACTIVATION_DELAY_MS", "GB_NOTIFY_PAYLOAD_TYPE", "GB_QUERY_JITTER",
           "HubPlayer", "HubScript", "Offer", "OfferState", "upgrade_times"]

_TSN_BASE = 0xC0  # the harness's own reads use TSNs 0xC0-0xFF, away from the hub's counter

# The GB-like defaults: the project's reading (no public text fixes them; docs/harness.md). The
# reference Communications Hub (models.comms_hub) notifies and activates the same way.
#: Image Notify payload type 3: query jitter, manufacturer code, image type and new file version
#: (the hub knows the whole identity of the one image it holds for the device it notifies).
GB_NOTIFY_PAYLOAD_TYPE = oc.ImageNotifyPayloadType.NEW_FILE_VERSION
#: A unicast notify to the one device the Service Request names: every such device answers.
GB_QUERY_JITTER = 100
#: SR 11.4 asks for no execution time: the hub activates as soon as the transfer is done, here
#: one second after its "wait" answer (the reference hub's activation_delay_ms).
GB_ACTIVATION_DELAY_MS = 1_000
#: An answer "at the edge" of the device's response timeout comes this much before it runs out.
EDGE_MARGIN_MS = 250


class OfferState(enum.Enum):
    NOTIFIED = "notified"
    DOWNLOADING = "downloading"
    ENDED = "ended"          # Upgrade End exchange done, refused, aborted or scripted to stop


@dataclass
class Offer:
    """One offer the played hub makes: the parts to serve (one image, or fragments in order)."""

    label: str
    parts: list[bytes]
    info: ImageInfo
    index: int = 0
    state: OfferState = OfferState.NOTIFIED
    withdrawn: bool = False          # after a scripted answer: NO_IMAGE_AVAILABLE / ABORT
    ended_because: str = ""
    served_end: int = 0              # furthest byte of the current part served
    served_total: int = 0            # bytes served over every part
    last_activity_ms: int = 0
    busy_until_ms: int = 0
    end_statuses: list[Status] = field(default_factory=list)
    cut_offset: int | None = None    # FileOffset reached when the link was cut
    link_back_ms: int | None = None
    #: TSN of an Upgrade End Request SUCCESS held for the scenario to answer (None: none held)
    held_end: int | None = None
    blocks_served: int = 0           # SUCCESS Image Block Responses sent
    activated_utc: int | None = None  # upgrade time of the activating Upgrade End Response sent

    @property
    def part(self) -> bytes:
        return self.parts[self.index]


@dataclass
class HubScript:
    """How the played hub answers, set by the Given steps before the offer (defaults: GB-like)."""

    minimum_block_period_ms: int = 0
    wait_for_data: deque[int] = field(default_factory=deque)        # seconds, one per request
    answers: dict[int, Status | bytes] = field(default_factory=dict)  # command id -> answer
    notify_payload_type: oc.ImageNotifyPayloadType = GB_NOTIFY_PAYLOAD_TYPE
    query_jitter: int = GB_QUERY_JITTER
    #: The one Upgrade End Response a scenario scripts ("now", "10 minutes later", "wait ...").
    #: None (GB): upgrade time 0xFFFFFFFF, then the activating response ``activation_after_ms``
    #: after it (None: never; the scenario sends the further command itself).
    upgrade_time: UpgradeTime | None = None
    activation_after_ms: int | None = GB_ACTIVATION_DELAY_MS
    #: Octets each SUCCESS block falls short of the maximum the device asked for, in turn (cycled;
    #: every block carries at least one octet). Empty: full blocks, the last one short.
    block_shortfalls: tuple[int, ...] = ()
    #: How long after a request the hub answers it (0: at once).
    answer_delay_ms: int = 0
    cut_after_bytes: int | None = None
    outage_ms: int = 0
    #: Octets appended to every frame the hub sends (fields of a later ZCL revision, or zigpy's
    #: NO_IMAGE_AVAILABLE answer with its optional fields): a receiver ignores them.
    trailing_octets: bytes = b""
    #: Upgrade End Request SUCCESS is answered only when the scenario says (to read the
    #: attributes while the device holds a complete image): :meth:`HubPlayer.answer_held_end`.
    hold_end_response: bool = False
    #: Fields of the Upgrade End Response sent as wildcards (0xFFFF, 0xFFFFFFFF), by field name.
    end_response_wildcards: frozenset[str] = frozenset()


class HubPlayer:
    """The hub the suite plays (a :class:`HanNetwork` node with the hub's EUI-64).

    Frames from the device under test go to the current :class:`Offer` while there is one,
    answers to the harness's own Read Attributes are kept, and everything else is passed to
    the reference hub (``inner``). See the module docstring.
    """

    def __init__(self, inner: HanNode, network: HanNetwork, dut_eui64: int,
                 upgrade_times: Callable[[UpgradeTime], tuple[int, int]], *,
                 eui64: int | None = None) -> None:
        self.inner = inner
        self.network = network
        self.clock = network.clock
        self.eui64: int = inner.eui64 if eui64 is None else eui64
        self.dut = dut_eui64
        self.script = HubScript()
        self.offer: Offer | None = None
        self.reads: dict[int, oc.ReadAttributesResponse | None] = {}
        #: (TSN, command id) of each raw frame the script sent, for the Default Responses to them
        self.raw_answers: list[tuple[int, int]] = []
        self.raw_frames: list[bytes] = []  #: and each such frame as sent (checks find it in the log)
        self._upgrade_times = upgrade_times
        self._out: deque[HanFrame] = deque()
        self._tsn = _TSN_BASE
        self._mbp_told = False
        self._activation: _Timer | None = None
        #: Image Page Requests: UNSUP_CLUSTER_COMMAND, or pages once a scenario serves them
        self.pages = PageServer(self.clock, lambda cmd, tsn: self._send(cmd, tsn=tsn))
        #: Query Device Specific File: NO_IMAGE_AVAILABLE, or the file a scenario gives the hub
        self.specific = SpecificFileServer(lambda cmd, tsn: self._send(cmd, tsn=tsn), self._utc)

    # ---------------------------------------------------------------- HanNode
    def next_frame(self) -> HanFrame | None:
        if self._out:
            return self._out.popleft()
        frame: HanFrame | None = self.inner.next_frame()
        if frame is not None and frame.src != self.eui64:
            frame = dataclasses.replace(frame, src=self.eui64)
        return frame

    def receive(self, frame: HanFrame) -> None:
        if frame.src != self.dut or frame.cluster_id != OTA_CLUSTER_ID:
            self.inner.receive(frame)
            return
        try:
            header, cmd = oc.decode_command(frame.payload)
        except ProtocolError:
            self.inner.receive(frame)
            return
        if isinstance(cmd, oc.ReadAttributesResponse) and header.tsn in self.reads:
            self.reads[header.tsn] = cmd
            return
        if self.specific.takes(header.tsn, cmd):  # the device-specific file (hub_specific)
            return
        offer = self.offer
        if offer is None or isinstance(cmd, (oc.ReadAttributesResponse, DefaultResponse)):
            self.inner.receive(frame)
            return
        offer.last_activity_ms = self.clock.now_ms
        delay = self.script.answer_delay_ms
        if delay and isinstance(cmd, (oc.QueryNextImageRequest, oc.ImageBlockRequest, oc.UpgradeEndRequest)):
            # A late answer, still within the device's timeout: legal, and the device must wait.
            offer.busy_until_ms = max(offer.busy_until_ms, self.clock.now_ms + delay)
            self.clock.call_later(delay, lambda: self._answer(offer, header.tsn, cmd))
            return
        self._answer(offer, header.tsn, cmd)

    def _answer(self, offer: Offer, tsn: int, cmd: oc.Command) -> None:
        if offer is not self.offer:
            return  # a late answer to an offer the scenario has since replaced
        if isinstance(cmd, oc.QueryNextImageRequest):
            self._on_query(offer, tsn, cmd)
        elif isinstance(cmd, oc.ImageBlockRequest):
            self._on_block_request(offer, tsn, cmd)
        elif isinstance(cmd, oc.UpgradeEndRequest):
            self._on_end_request(offer, tsn, cmd)
        elif isinstance(cmd, oc.ImagePageRequest):
            self._on_page_request(offer, tsn, cmd)

    # ---------------------------------------------------------------- the offer
    def start(self, offer: Offer) -> None:
        self.offer = offer
        self._mbp_told = False
        self._cancel_activation()
        offer.last_activity_ms = offer.busy_until_ms = self.clock.now_ms
        self.notify()

    def notify(self) -> None:
        """Image Notify of the offer, with the script's payload type and query jitter (GB
        default: type 3, every identity field of the image, jitter 100)."""
        info = self.require_offer().info
        kind = oc.ImageNotifyPayloadType(self.script.notify_payload_type)
        self._send(oc.ImageNotify(
            payload_type=kind, query_jitter=self.script.query_jitter,
            manufacturer_code=info.manufacturer_code if kind >= 1 else None,
            image_type=info.image_type if kind >= 2 else None,
            new_file_version=info.file_version if kind >= 3 else None))

    def upgrade_end_response(self, when: UpgradeTime, *, tsn: int | None = None) -> None:
        """An Upgrade End Response for the offer saying ``when`` (a further one the scenario
        sends replaces the activation the hub had planned)."""
        offer = self.require_offer()
        if tsn is None:
            self._cancel_activation()
        current, upgrade = self._upgrade_times(when)
        self._end_response(offer, current, upgrade, tsn=tsn)

    def answer_held_end(self) -> None:
        """Answer the Upgrade End Request the script held back, as it would have been answered."""
        offer = self.require_offer()
        if offer.held_end is None:
            raise HarnessUsageError("the hub holds no Upgrade End Request to answer")
        tsn, offer.held_end = offer.held_end, None
        self.script.hold_end_response = False
        offer.state = OfferState.ENDED
        offer.ended_because = "Upgrade End Request SUCCESS answered"
        self._answer_end_success(offer, tsn)

    def read(self, attributes: Iterable[OtaAttribute]) -> int:
        self._tsn = _TSN_BASE + (self._tsn + 1 - _TSN_BASE) % (0x100 - _TSN_BASE)
        self.reads[self._tsn] = None
        self._send(oc.ReadAttributes(attribute_ids=tuple(int(a) for a in attributes)), tsn=self._tsn)
        return self._tsn

    def send_image_notify(self, notify: oc.ImageNotify, *, broadcast: bool) -> int:
        """A scripted Image Notify (:mod:`.notify`), to the device or broadcast; returns its TSN."""
        self._tsn = _TSN_BASE + (self._tsn + 1 - _TSN_BASE) % (0x100 - _TSN_BASE)
        self._out.append(HanFrame(self.eui64, BROADCAST if broadcast else self.dut, OTA_ENDPOINT,
                                  OTA_ENDPOINT, SE_PROFILE_ID, OTA_CLUSTER_ID,
                                  oc.encode_command(notify, tsn=self._tsn)))
        return self._tsn

    def require_offer(self) -> Offer:
        if self.offer is None:
            raise HarnessUsageError("the hub has offered no image yet in this scenario")
        return self.offer

    def _scripted(self, offer: Offer, command_id: int, tsn: int) -> bool:
        answer = self.script.answers.pop(command_id, None)
        if answer is None:
            return False
        offer.withdrawn = True
        if isinstance(answer, bytes):  # a raw frame: the request's TSN goes in its TSN octet
            at = 3 if answer[0] & 0x04 else 1  # after the manufacturer code, when there is one
            payload = answer[:at] + bytes([tsn]) + answer[at + 1:]
            self.raw_answers.append((tsn, frame_key(payload)[1]))
            self.raw_frames.append(payload)
            self._raw(payload)
        elif command_id == oc.CommandId.QUERY_NEXT_IMAGE_REQUEST:
            self._send(oc.QueryNextImageResponse(status=answer), tsn=tsn)
        else:
            self._send(oc.ImageBlockResponse(status=answer), tsn=tsn)
        return True

    def _on_query(self, offer: Offer, tsn: int, cmd: oc.QueryNextImageRequest) -> None:
        if self._scripted(offer, oc.CommandId.QUERY_NEXT_IMAGE_REQUEST, tsn):
            return
        if offer.withdrawn or offer.state is OfferState.ENDED:
            self._send(oc.QueryNextImageResponse(status=Status.NO_IMAGE_AVAILABLE), tsn=tsn)
            return
        offer.state = OfferState.DOWNLOADING
        info = offer.info
        self._send(oc.QueryNextImageResponse(
            status=Status.SUCCESS, manufacturer_code=info.manufacturer_code, image_type=info.image_type,
            file_version=info.file_version, image_size=len(offer.part)), tsn=tsn)

    def _on_block_request(self, offer: Offer, tsn: int, cmd: oc.ImageBlockRequest) -> None:
        now = self.clock.now_ms
        script = self.script
        if script.cut_after_bytes is not None and offer.served_total >= script.cut_after_bytes:
            # The link goes down after the device received that much: this request is lost.
            script.cut_after_bytes = None
            offer.cut_offset = offer.served_end
            self.network.link_down(self.dut)
            offer.link_back_ms = now + script.outage_ms
            offer.busy_until_ms = offer.link_back_ms
            self.clock.call_later(script.outage_ms, self._link_back)
            return
        if self._scripted(offer, oc.CommandId.IMAGE_BLOCK_REQUEST, tsn):
            return
        if offer.withdrawn or offer.state is OfferState.ENDED:
            self._send(oc.ImageBlockResponse(status=Status.ABORT), tsn=tsn)
            return
        utc = self._utc()
        if script.wait_for_data or (script.minimum_block_period_ms and not self._mbp_told):
            wait_s = script.wait_for_data.popleft() if script.wait_for_data else 0
            self._mbp_told = True
            offer.busy_until_ms = now + wait_s * 1000
            self._send(oc.ImageBlockResponse(status=Status.WAIT_FOR_DATA, current_time=utc,
                                             request_time=utc + wait_s,
                                             minimum_block_period=script.minimum_block_period_ms), tsn=tsn)
            return
        part = offer.part
        data = part[cmd.file_offset:cmd.file_offset + self._block_size(offer, cmd.maximum_data_size)]
        if not data:
            self._send(oc.ImageBlockResponse(status=Status.ABORT), tsn=tsn)
            return
        offer.blocks_served += 1
        info = offer.info
        end = cmd.file_offset + len(data)
        offer.served_total += max(0, end - offer.served_end)
        offer.served_end = max(offer.served_end, end)
        self._send(oc.ImageBlockResponse(
            status=Status.SUCCESS, manufacturer_code=info.manufacturer_code, image_type=info.image_type,
            file_version=info.file_version, file_offset=cmd.file_offset, image_data=data), tsn=tsn)

    def _on_page_request(self, offer: Offer, tsn: int, cmd: oc.ImagePageRequest) -> None:
        info = offer.info
        live = not (offer.withdrawn or offer.state is OfferState.ENDED)

        def served(offset: int, length: int) -> None:
            offer.served_total += max(0, offset + length - offer.served_end)
            offer.served_end = max(offer.served_end, offset + length)

        self.pages.on_request(tsn, cmd, offer.part if live else None,
                              (info.manufacturer_code, info.image_type, info.file_version), served)

    def _block_size(self, offer: Offer, asked: int) -> int:
        """The octets of the next block: what was asked for (at most a frame's worth), less the
        script's shortfall for this block; never fewer than one."""
        size = min(asked, oc.MAX_IMAGE_DATA)
        shortfalls = self.script.block_shortfalls
        if shortfalls:
            size = max(1, size - shortfalls[offer.blocks_served % len(shortfalls)])
        return size

    def _on_end_request(self, offer: Offer, tsn: int, cmd: oc.UpgradeEndRequest) -> None:
        status = Status(cmd.status)
        offer.end_statuses.append(status)
        if status == Status.SUCCESS and isinstance(self.script.answers.get(cmd.COMMAND_ID), bytes):
            self._scripted(offer, cmd.COMMAND_ID, tsn)  # a raw Upgrade End Response
            offer.state = OfferState.ENDED
            return
        if status == Status.SUCCESS and not offer.withdrawn:
            if self.script.hold_end_response:
                offer.held_end = tsn  # the scenario answers it (answer_held_end)
                return
            offer.state = OfferState.ENDED
            offer.ended_because = "Upgrade End Request SUCCESS answered"
            self._answer_end_success(offer, tsn)
            return
        self._send(DefaultResponse(command_id=oc.CommandId.UPGRADE_END_REQUEST, status=Status.SUCCESS,
                                   direction=Direction.SERVER_TO_CLIENT), tsn=tsn)
        if status == Status.REQUIRE_MORE_IMAGE and offer.index + 1 < len(offer.parts):
            offer.index += 1
            offer.served_end = 0
            offer.state = OfferState.NOTIFIED
            self.notify()
            return
        offer.state = OfferState.ENDED
        offer.ended_because = f"Upgrade End Request {status.name}"

    def _answer_end_success(self, offer: Offer, tsn: int) -> None:
        """The answer to Upgrade End Request SUCCESS: the scripted upgrade time, or (GB) "wait
        for a further command" until the activation, and the activation time after it (a device
        that asks again once activated is told to upgrade at that time, now past)."""
        script = self.script
        if script.upgrade_time is not None:
            self.upgrade_end_response(script.upgrade_time, tsn=tsn)
            return
        if offer.activated_utc is not None:
            self._end_response(offer, self._utc(), offer.activated_utc, tsn=tsn)
            return
        self._end_response(offer, self._utc(), oc.UPGRADE_TIME_WAIT_FOR_COMMAND, tsn=tsn)
        if script.activation_after_ms is not None and self._activation is None:
            self._activation = self.clock.call_later(script.activation_after_ms,
                                                     lambda: self._activate(offer))

    def _activate(self, offer: Offer) -> None:
        """The activating Upgrade End Response: upgrade now (GB: the hub manages activation)."""
        self._activation = None
        if offer is not self.offer:
            return
        offer.activated_utc = self._utc()
        self._end_response(offer, offer.activated_utc, offer.activated_utc)

    def _cancel_activation(self) -> None:
        if self._activation is not None:
            self.clock.cancel(self._activation)
            self._activation = None

    def _end_response(self, offer: Offer, current: int, upgrade: int, *, tsn: int | None = None) -> None:
        info, wild = offer.info, self.script.end_response_wildcards
        self._send(oc.UpgradeEndResponse(
            manufacturer_code=0xFFFF if "manufacturer_code" in wild else info.manufacturer_code,
            image_type=0xFFFF if "image_type" in wild else info.image_type,
            file_version=0xFFFF_FFFF if "file_version" in wild else info.file_version,
            current_time=current, upgrade_time=upgrade), tsn=tsn)

    def _link_back(self) -> None:
        self.network.link_up(self.dut)
        if self.offer is not None and self.offer.state is not OfferState.ENDED:
            self.notify()  # as the hub does when a device falls silent: notify again

    # ---------------------------------------------------------------- sending
    def _utc(self) -> int:
        return UTC_EPOCH_OFFSET_S + self.clock.now_ms // 1000

    def _send(self, cmd: oc.Command, *, tsn: int | None = None) -> None:
        if tsn is None:
            self._tsn = _TSN_BASE + (self._tsn + 1 - _TSN_BASE) % (0x100 - _TSN_BASE)
            tsn = self._tsn
        self._raw(oc.encode_command(cmd, tsn=tsn))

    def _raw(self, payload: bytes) -> None:
        trailing = self.script.trailing_octets
        peek = peek_header(payload) if trailing else None
        if peek is not None and peek.frame_type == FrameType.CLUSTER_SPECIFIC:
            payload += trailing  # not to Read Attributes: its list of ids runs to the frame's end
        self._out.append(HanFrame(self.eui64, self.dut, OTA_ENDPOINT, OTA_ENDPOINT, SE_PROFILE_ID,
                                  OTA_CLUSTER_ID, payload))


def upgrade_times(now_ms: int, when: UpgradeTime, ms: Callable[[Duration], int]) -> tuple[int, int]:
    """(current time, upgrade time) of an Upgrade End Response that says ``when`` (UTC seconds;
    ``ms`` resolves the feature's duration)."""
    utc = UTC_EPOCH_OFFSET_S + now_ms // 1000
    if when.kind is UpgradeTimeKind.NOW:
        return utc, utc
    if when.kind is UpgradeTimeKind.WAIT:
        return utc, oc.UPGRADE_TIME_WAIT_FOR_COMMAND
    if when.kind is UpgradeTimeKind.WAIT_THEN:
        raise HarnessUsageError(f"upgrade time {when.kind.value!r} is a sequence of the hub's script "
                                "(the hub will set the upgrade time to ...), not one response")
    assert when.delay is not None
    seconds = -(-ms(when.delay) // 1000)
    if when.kind is UpgradeTimeKind.EARLIER:
        return utc, max(0, utc - seconds)
    return (0, seconds) if when.kind is UpgradeTimeKind.OFFSET else (utc, utc + seconds)
