"""The named faults of the reference device (:class:`~..device.OtaDevice`), for mutation tests.

Each fault is a subclass of the reference device that overrides the hook methods it needs; its
docstring says what the device then does (docs/reference-models.md is made from it). Build a
faulty device with ``REGISTRY.model(names)(clock, ...)``; an unknown name is a usage error.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from typing import NoReturn

from hanota.protocol import fragments, ota_image
from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import ProtocolError
from hanota.protocol.zcl import (
    DataType,
    DefaultResponse,
    Direction,
    HeaderPeek,
    ImageUpgradeStatus,
    OtaAttribute,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
    peek_header,
)

from ..device import DeviceInput, DeviceState, OtaDevice, RefusedSourceError
from ..device_checks import Offer
from ..han import HanFrame
from . import Registry

__all__ = ["FAULTS", "REGISTRY", "DeviceFault", "device_class", "faults_markdown"]

S, I = DeviceState, DeviceInput  # noqa: E741 - shorthand as in the model


class DeviceFault(enum.StrEnum):
    """The device's fault names (the values), in the order the table lists them."""

    ACCEPT_OVERSIZE_IMAGE = "accept-oversize-image"
    ACCEPT_FROM_ANY_SERVER = "accept-from-any-server"
    SKIP_SIGNATURE_CHECK = "skip-signature-check"
    ALLOW_DOWNGRADE = "allow-downgrade"
    REPORT_OLD_VERSION_AFTER_ACTIVATION = "report-old-version-after-activation"
    IGNORE_MIN_BLOCK_PERIOD = "ignore-min-block-period"
    IGNORE_WAIT_FOR_DATA = "ignore-wait-for-data"
    NO_RESUME = "no-resume"
    ACTIVATE_IMMEDIATELY = "activate-immediately"
    WRONG_UPGRADE_END_STATUS = "wrong-upgrade-end-status"
    ACCEPT_WRONG_MANUFACTURER = "accept-wrong-manufacturer"
    ACCEPT_WRONG_HARDWARE_VERSION = "accept-wrong-hardware-version"
    ACCEPT_MISPLACED_BLOCK = "accept-misplaced-block"
    ACCEPT_OVERSIZE_BLOCK = "accept-oversize-block"
    REFUSE_AT_LIMIT = "refuse-at-limit"
    INSTALL_EMPTY_IMAGE = "install-empty-image"
    BAD_QUERY_NEXT_IMAGE = "bad-query-next-image"
    IGNORE_ABORT = "ignore-abort"
    REFUSE_TRAILING_OCTETS = "refuse-trailing-octets"
    NO_MALFORMED_RESPONSE = "no-malformed-response"
    IGNORE_UNSIGNED_TAIL = "ignore-unsigned-tail"
    IGNORE_FILE_DESTINATION = "ignore-file-destination"
    IGNORE_FRAGMENT_COUNT = "ignore-fragment-count"
    UNBOUND_DEFAULT_RESPONSE = "unbound-default-response"
    UPGRADE_END_NAMES_RUNNING_IMAGE = "upgrade-end-names-running-image"
    CONTRARY_UPGRADE_END = "contrary-upgrade-end"
    STATUS_NORMAL_WHILE_PENDING = "status-normal-while-pending"
    PAGE_REQUEST_TO_OTHER_NODE = "page-request-to-other-node"
    # the legal things a GB hub does (issue 16: features/hub_behaviour.feature)
    NOTIFY_TYPE_0_ONLY = "notify-type-0-only"
    ASSUME_FULL_BLOCKS = "assume-full-blocks"
    FIXED_BLOCK_SIZE = "fixed-block-size"
    IMPATIENT = "impatient"
    BLOCK_PERIOD_AS_TIMEOUT = "block-period-as-timeout"
    STUCK_WAITING = "stuck-waiting"
    UPGRADE_END_WILDCARD_IMAGE_TYPE = "upgrade-end-wildcard-image-type"
    BLOCK_REQUEST_HUB_ADDRESS = "block-request-hub-address"
    STALE_BLOCK_PERIOD_FIELD = "stale-block-period-field"
    HOME_AUTOMATION_PROFILE = "home-automation-profile"
    WRONG_SERVER_ENDPOINT = "wrong-server-endpoint"
    STATUS_AS_UINT8 = "status-as-uint8"
    REFUSAL_WITH_OWN_TSN = "refusal-with-own-tsn"
    PADS_SHORT_FRAMES = "pads-short-frames"
    MANUFACTURER_SPECIFIC_AS_STANDARD = "manufacturer-specific-as-standard"
    UNKNOWN_COMMAND_MALFORMED = "unknown-command-malformed"
    CONTRARY_QUERY = "contrary-query"
    CONTRARY_REFUSAL = "contrary-refusal"
    CONTRARY_READ_ANSWER = "contrary-read-answer"
    # resilience of the download (issue 16: features/resilience.feature)
    RUN_PARTIAL_IMAGE_AFTER_POWER_CYCLE = "run-partial-image-after-power-cycle"
    LOSE_DOWNLOAD_ON_POWER_CYCLE = "lose-download-on-power-cycle"
    ACTIVATE_ON_POWER_UP = "activate-on-power-up"
    IGNORE_NOTIFY_AFTER_ABORT = "ignore-notify-after-abort"
    RETRY_FOREVER = "retry-forever"
    STUCK_AFTER_REFUSAL = "stuck-after-refusal"
    SWITCH_VERSION_KEEPING_DATA = "switch-version-keeping-data"
    CORRUPT_TAIL_ON_POWER_CYCLE = "corrupt-tail-on-power-cycle"
    STATUS_NORMAL_WHILE_DOWNLOADING = "status-normal-while-downloading"
    NO_DOWNLOAD_COMPLETE_STATUS = "no-download-complete-status"
    FILE_OFFSET_BEHIND = "file-offset-behind"
    DOWNLOADED_VERSION_UNSET = "downloaded-version-unset"
    UPGRADE_SERVER_ID_UNSET = "upgrade-server-id-unset"
    PAST_UPGRADE_TIME_WRAPS = "past-upgrade-time-wraps"
    REFUSE_WILDCARD_END_RESPONSE = "refuse-wildcard-end-response"
    PAGE_REQUEST_PER_BLOCK = "page-request-per-block"
    SPECIFIC_QUERY_OTHER_ADDRESS = "specific-query-other-address"
    SPECIFIC_QUERY_FIRMWARE_TYPE = "specific-query-firmware-type"
    SPECIFIC_QUERY_RESERVED_STACK = "specific-query-reserved-stack"
    DOWNLOAD_WITHOUT_SPECIFIC_FILE = "download-without-specific-file"
    RUN_SPECIFIC_FILE = "run-specific-file"
    PAGE_SKIPS_MISSING_BLOCKS = "page-skips-missing-blocks"
    # Image Notify, query jitter, periodic query and hardware range (SECMP7-NTFY)
    NOTIFY_IGNORES_MANUFACTURER = "notify-ignores-manufacturer"
    NOTIFY_IGNORES_IMAGE_TYPE = "notify-ignores-image-type"
    NOTIFY_NO_WILDCARD = "notify-no-wildcard"
    NOTIFY_SAME_VERSION = "notify-same-version"
    NOTIFY_ONLY_NEWER = "notify-only-newer"
    IGNORE_QUERY_JITTER = "ignore-query-jitter"
    NO_BROADCAST_NOTIFY = "no-broadcast-notify"
    JITTER_ON_UNICAST = "jitter-on-unicast"
    SLOW_PERIODIC_QUERY = "slow-periodic-query"
    HARDWARE_RANGE_EXCLUSIVE = "hardware-range-exclusive"
    HARDWARE_RANGE_WIDENED = "hardware-range-widened"
    REFUSE_WITHOUT_HARDWARE_RANGE = "refuse-without-hardware-range"
    NO_ASKING_AGAIN_WHILE_WAITING = "no-asking-again-while-waiting"
    RESERVED_TYPE_AS_FIRMWARE = "reserved-type-as-firmware"
    FILTER_UNICAST_NOTIFY = "filter-unicast-notify"


F = DeviceFault
REGISTRY: Registry[DeviceFault, OtaDevice] = Registry("device", OtaDevice, DeviceFault)
implements = REGISTRY.implements


@implements(F.ACCEPT_OVERSIZE_IMAGE)
class AcceptOversizeImage(OtaDevice):
    """downloads and installs an image larger than max_image_bytes"""

    def _offer_too_big(self, image_size: int) -> bool:
        return False

    def _size_limit(self, limit: int, data: bytes) -> int:
        return max(limit, len(data))


@implements(F.ACCEPT_FROM_ANY_SERVER)
class AcceptFromAnyServer(OtaDevice):
    """takes Image Notify and OTA server responses from any node (e.g. an HHT), not only from its
    paired hub"""

    def _from_server(self, src: int, event: DeviceInput) -> bool:
        if event is I.IMAGE_NOTIFY and self.state is S.IDLE:
            self._server = src  # follows whoever notified it
        return True


@implements(F.SKIP_SIGNATURE_CHECK)
class SkipSignatureCheck(OtaDevice):
    """does not verify the manufacturer signature"""

    def _signature_refusal(self, image: ota_image.OtaImage) -> str | None:
        return None


@implements(F.ALLOW_DOWNGRADE)
class AllowDowngrade(OtaDevice):
    """accepts an image whose file version is lower than or equal to the running one"""

    def _is_newer(self, file_version: int) -> bool:
        return True


@implements(F.REPORT_OLD_VERSION_AFTER_ACTIVATION)
class ReportOldVersionAfterActivation(OtaDevice):
    """after activation, Read Attributes still reports the previous CurrentFileVersion"""

    _version_before: int | None = None

    def _activate(self) -> None:
        if self._version_before is None:
            self._version_before = self.firmware_version
        super()._activate()

    def _current_file_version(self) -> int:
        return self.firmware_version if self._version_before is None else self._version_before


@implements(F.IGNORE_MIN_BLOCK_PERIOD)
class IgnoreMinBlockPeriod(OtaDevice):
    """sends Image Block Requests back to back, ignoring MinimumBlockPeriod"""

    def _block_wait_ms(self) -> int:
        return 0


@implements(F.IGNORE_WAIT_FOR_DATA)
class IgnoreWaitForData(OtaDevice):
    """answers WAIT_FOR_DATA by retrying at once instead of after the stated delay"""

    def _wait_for_data_ms(self, delay_s: int) -> int:
        return 0


@implements(F.NO_RESUME)
class NoResume(OtaDevice):
    """after an interrupted download, starts again at offset 0 instead of its FileOffset"""

    def _resumes(self, offer: Offer) -> bool:
        return False


@implements(F.ACTIVATE_IMMEDIATELY)
class ActivateImmediately(OtaDevice):
    """activates on Upgrade End Response upgrade_time 0xFFFFFFFF instead of waiting"""

    def _activation_delay_s(self, cmd: oc.UpgradeEndResponse) -> int | None:
        delay = super()._activation_delay_s(cmd)
        return 0 if delay is None else delay


@implements(F.WRONG_UPGRADE_END_STATUS)
class WrongUpgradeEndStatus(OtaDevice):
    """reports Upgrade End Request SUCCESS even when verification failed (it still never installs
    the failed image)"""

    def _refuse_image(self, offer: Offer) -> DeviceState:
        return self._request_upgrade_end(offer)  # not verified: activation installs nothing


@implements(F.ACCEPT_WRONG_MANUFACTURER)
class AcceptWrongManufacturer(OtaDevice):
    """accepts an image whose manufacturer code or image type is not its own"""

    def _identity_refusal(self, what: str, manufacturer_code: int, image_type: int) -> str | None:
        return None


@implements(F.ACCEPT_WRONG_HARDWARE_VERSION)
class AcceptWrongHardwareVersion(OtaDevice):
    """accepts an image whose hardware version range excludes it"""

    def _hardware_refusal(self, h: ota_image.OtaHeader) -> str | None:
        return None


@implements(F.ACCEPT_MISPLACED_BLOCK)
class AcceptMisplacedBlock(OtaDevice):
    """stores an Image Block Response at an offset it did not ask for or larger than asked"""

    def _check_block(self, file_offset: int, data: bytes, offset: int, asked: int, offer: Offer) -> None:
        return None

    def _store_block(self, file_offset: int, data: bytes) -> None:
        del self._buffer[min(file_offset, len(self._buffer)):]
        self._buffer += data


@implements(F.ACCEPT_OVERSIZE_BLOCK)
class AcceptOversizeBlock(OtaDevice):
    """stores an Image Block Response carrying more data than its request's maximum data size (it
    still refuses a block at an offset it did not ask for)"""

    def _check_block_size(self, data: bytes, asked: int) -> None:
        return None


@implements(F.REFUSE_AT_LIMIT)
class RefuseAtLimit(OtaDevice):
    """refuses an image of exactly max_image_bytes (an off-by-one size check)"""

    def _offer_too_big(self, image_size: int) -> bool:
        return image_size >= self.max_image_bytes


@implements(F.INSTALL_EMPTY_IMAGE)
class InstallEmptyImage(OtaDevice):
    """installs an image whose Manufacturer Image is empty (header only)"""

    def _content_refusal(self, image: ota_image.OtaImage) -> str | None:
        return None


@implements(F.BAD_QUERY_NEXT_IMAGE)
class BadQueryNextImage(OtaDevice):
    """sends Query Next Image Request with the image type in place of its manufacturer code and a
    current file version one below the one it runs"""

    def _query_identity(self) -> tuple[int, int]:
        return self.image_type, max(0, self.firmware_version - 1)


@implements(F.IGNORE_ABORT)
class IgnoreAbort(OtaDevice):
    """keeps its download going after ABORT and queries again after NO_IMAGE_AVAILABLE"""

    def _on_block_abort(self, _cmd: oc.ImageBlockResponse) -> DeviceState:
        self._cancel_timer()  # carries on as if the answer had been lost
        self._requested = None
        self._set_timer(self.response_timeout_ms, I.BLOCK_TIMER)
        return S.BLOCK_WAIT


@implements(F.REFUSE_TRAILING_OCTETS)
class RefuseTrailingOctets(OtaDevice):
    """treats octets after the fields of a command as malformed, against the ZCL's forward
    compatibility (zigpy's server answers NO_IMAGE_AVAILABLE with all its fields)"""

    ignores_trailing_octets = False


@implements(F.NO_MALFORMED_RESPONSE)
class NoMalformedResponse(OtaDevice):
    """drops a malformed OTA command silently instead of answering Default Response
    MALFORMED_COMMAND"""

    def _answer_malformed(self, frame: HanFrame) -> None:
        return None


@implements(F.IGNORE_UNSIGNED_TAIL)
class IgnoreUnsignedTail(OtaDevice):
    """verifies only the bytes its header's total image size declares and ignores what the hub
    served after them (bytes after the GBCS signature trailer, sub-elements after a ZigBee file's
    signature)"""

    def _received_image(self, data: bytes) -> bytes:
        declared = ota_image.declared_total_size(data)  # None or 0 when too short to say
        return data[:declared] if declared and declared < len(data) else data


@implements(F.IGNORE_FILE_DESTINATION)
class IgnoreFileDestination(OtaDevice):
    """installs a device-specific file whatever device its Upgrade File Destination names"""

    def _destination_refusal(self, h: ota_image.OtaHeader) -> str | None:
        return None


@implements(F.IGNORE_FRAGMENT_COUNT)
class IgnoreFragmentCount(OtaDevice):
    """places fragments by their offsets and ignores the fragment counts they declare: installs
    once the slices cover the whole image and it verifies, even when the counts are forged"""

    #: the whole image's key and its slices by offset
    _slices: tuple[tuple[object, ...], dict[int, bytes]] | None = None

    def _take_fragment(self, data: bytes) -> tuple[bytes | None, str | None]:
        """A fragment's slice is placed by its offset alone, its descriptor read without the rules
        on index and count; the image is whole when the slices cover it (its digest and, in
        ``_verify``, its signature are still checked)."""
        try:
            parsed = ota_image.parse_image(data, max_size=max(len(data), 1))
        except ProtocolError:
            return data, None  # not a fragment: ``_verify`` decides
        elements = parsed.sub_elements
        if len(elements) != 2 or elements[0].tag != fragments.FRAGMENT_DESCRIPTOR_TAG:
            return data, None
        try:
            desc = fragments.FragmentDescriptor.from_bytes(elements[0].value,
                                                           base_offset=elements[0].offset + 6)
        except ProtocolError as err:
            return None, f"fragment: {err}"
        if self._slices is None or self._slices[0] != desc.image_key:
            self._slices = (desc.image_key, {})
        slices = self._slices[1]
        slices[desc.fragment_offset] = elements[1].value
        covered = 0
        for offset in sorted(slices):
            if offset != covered:
                return None, None
            covered += len(slices[offset])
        if covered != desc.total_size:
            return None, None
        order = sorted(slices)
        self._slices = None
        if fragments.whole_digest(hashlib.sha256(slices[o]).digest() for o in order) != desc.whole_digest:
            return None, "reassembled image: its slices do not give the fragments' whole-image digest"
        return b"".join(slices[o] for o in order), None


@implements(F.UNBOUND_DEFAULT_RESPONSE)
class UnboundDefaultResponse(OtaDevice):
    """answers a malformed command with Default Response MALFORMED_COMMAND carrying command id 0 and
    the next transaction sequence number, not those of the frame it answers"""

    def _answer_malformed(self, frame: HanFrame) -> None:
        peek = peek_header(frame.payload)
        self._reply(frame, DefaultResponse(command_id=0, status=Status.MALFORMED_COMMAND),
                    tsn=((peek.tsn + 1) & 0xFF) if peek else 0)


@implements(F.UPGRADE_END_NAMES_RUNNING_IMAGE)
class UpgradeEndNamesRunningImage(OtaDevice):
    """names its running file version, not the offered image's, in Upgrade End Request"""

    def _upgrade_end_version(self, offer: Offer) -> int:
        return self.firmware_version


@implements(F.CONTRARY_UPGRADE_END)
class ContraryUpgradeEnd(OtaDevice):
    """after refusing an image with Upgrade End Request INVALID_IMAGE, also sends one with SUCCESS
    (it still never installs the refused image)"""

    def _send_upgrade_end(self, status: Status, offer: Offer, *, await_response: bool = False) -> None:
        super()._send_upgrade_end(status, offer, await_response=await_response)
        if status == Status.INVALID_IMAGE:
            self._send(oc.UpgradeEndRequest(
                status=Status.SUCCESS, manufacturer_code=offer.manufacturer_code,
                image_type=offer.image_type, file_version=offer.file_version))


@implements(F.STATUS_NORMAL_WHILE_PENDING)
class StatusNormalWhilePending(OtaDevice):
    """reports ImageUpgradeStatus normal while it holds a downloaded image waiting for its upgrade
    time or for the hub's command"""

    @property
    def image_upgrade_status(self) -> ImageUpgradeStatus:
        if self.state in (S.WAITING_TO_UPGRADE, S.COUNTDOWN):
            return ImageUpgradeStatus.NORMAL
        return super().image_upgrade_status


@implements(F.PAGE_REQUEST_TO_OTHER_NODE)
class PageRequestToOtherNode(OtaDevice):
    """answers an Image Notify from a node other than its hub with an Image Page Request for the
    image it names (it still takes no image from that node)"""

    def _refuse_source(self, frame: HanFrame, tsn: int, command_id: int, cmd: oc.Command) -> NoReturn:
        if isinstance(cmd, oc.ImageNotify) and cmd.manufacturer_code is not None \
                and cmd.image_type is not None and cmd.new_file_version is not None:
            self._reply(frame, oc.ImagePageRequest(
                manufacturer_code=cmd.manufacturer_code, image_type=cmd.image_type,
                file_version=cmd.new_file_version, file_offset=0, maximum_data_size=64,
                page_size=1024, response_spacing=100), tsn=(self._tsn + 1) & 0xFF)
        super()._refuse_source(frame, tsn, command_id, cmd)


@implements(F.NOTIFY_TYPE_0_ONLY)
class NotifyType0Only(OtaDevice):
    """answers only an Image Notify of payload type 0 (query jitter alone) and ignores one that
    names the image (payload types 1-3, which a GB hub sends)"""

    def _on_image_notify(self, cmd: oc.ImageNotify) -> DeviceState:
        if int(cmd.payload_type) != 0:
            return self.state
        return super()._on_image_notify(cmd)


@implements(F.ASSUME_FULL_BLOCKS)
class AssumeFullBlocks(OtaDevice):
    """counts every block as the maximum data size it asked for (a shorter block is padded), so a
    hub that serves blocks shorter than asked corrupts its download"""

    def _store_block(self, file_offset: int, data: bytes) -> None:
        asked = self._requested[1] if self._requested is not None else len(data)
        self._buffer += data.ljust(asked, b"\0")


@implements(F.FIXED_BLOCK_SIZE)
class FixedBlockSize(OtaDevice):
    """takes the size of the first block of a download as the size of every block (a shorter one is
    padded, a longer one cut), so block sizes that vary within a download corrupt it"""

    _fixed_size = 0

    def _store_block(self, file_offset: int, data: bytes) -> None:
        if file_offset == 0 or not self._fixed_size:
            self._fixed_size = len(data)
        self._buffer += data[:self._fixed_size].ljust(self._fixed_size, b"\0")


@implements(F.IMPATIENT)
class Impatient(OtaDevice):
    """waits for the hub's answer only half its declared response timeout before repeating a
    request (and gives up after as many repeats)"""

    def _set_timer(self, delay_ms: int, event: DeviceInput) -> None:
        if event is I.RESPONSE_TIMEOUT:
            delay_ms //= 2
        super()._set_timer(delay_ms, event)


@implements(F.BLOCK_PERIOD_AS_TIMEOUT)
class BlockPeriodAsTimeout(OtaDevice):
    """while a minimum block period is in force, waits for the hub's answer only that long
    before repeating its request (one timer for both)"""

    def _set_timer(self, delay_ms: int, event: DeviceInput) -> None:
        if event is I.RESPONSE_TIMEOUT and self.minimum_block_period_ms:
            delay_ms = min(delay_ms, self.minimum_block_period_ms)
        super()._set_timer(delay_ms, event)


@implements(F.STUCK_WAITING)
class StuckWaiting(OtaDevice):
    """once told to wait for a further command (upgrade time 0xFFFFFFFF) ignores the hub's
    activating Upgrade End Response, so it never runs the image"""

    def _on_upgrade_end_response(self, cmd: oc.UpgradeEndResponse) -> DeviceState:
        if self.state is S.WAITING_TO_UPGRADE:
            return self.state
        return super()._on_upgrade_end_response(cmd)


# -------------------------------------------------- every field of every frame (SECMP7-ZCL)
@implements(F.UPGRADE_END_WILDCARD_IMAGE_TYPE)
class UpgradeEndWildcardImageType(OtaDevice):
    """sends its Upgrade End Requests with the wildcard image type 0xFFFF instead of the image's"""

    def _send(self, cmd: oc.Command) -> None:
        if isinstance(cmd, oc.UpgradeEndRequest):
            cmd = dataclasses.replace(cmd, image_type=0xFFFF)
        super()._send(cmd)


@implements(F.BLOCK_REQUEST_HUB_ADDRESS)
class BlockRequestHubAddress(OtaDevice):
    """puts the hub's IEEE address, not its own, in the request node address of its Image Block
    Requests"""

    def _send(self, cmd: oc.Command) -> None:
        if isinstance(cmd, oc.ImageBlockRequest):
            cmd = dataclasses.replace(cmd, request_node_address=self.paired_hub)
        super()._send(cmd)


@implements(F.STALE_BLOCK_PERIOD_FIELD)
class StaleBlockPeriodField(OtaDevice):
    """honours the MinimumBlockPeriod the hub sets but keeps sending 0 in the minimum block period
    field of its Image Block Requests"""

    def _send(self, cmd: oc.Command) -> None:
        if isinstance(cmd, oc.ImageBlockRequest):
            cmd = dataclasses.replace(cmd, minimum_block_period=0)
        super()._send(cmd)


@implements(F.HOME_AUTOMATION_PROFILE)
class HomeAutomationProfile(OtaDevice):
    """sends the OTA commands it starts (queries, block requests, Upgrade End Requests) on the Home
    Automation profile 0x0104, not on the Smart Energy profile of the hub's frames"""

    def _send(self, cmd: oc.Command) -> None:
        super()._send(cmd)
        sent = self._out.pop()
        self._out.append(dataclasses.replace(sent, profile_id=0x0104))


@implements(F.WRONG_SERVER_ENDPOINT)
class WrongServerEndpoint(OtaDevice):
    """sends the OTA commands it starts to endpoint 2 of its hub, not to the endpoint the hub's
    OTA server sends from"""

    def _send(self, cmd: oc.Command) -> None:
        super()._send(cmd)
        sent = self._out.pop()
        self._out.append(dataclasses.replace(sent, dst_endpoint=sent.dst_endpoint + 1))


@implements(F.STATUS_AS_UINT8)
class StatusAsUint8(OtaDevice):
    """reports ImageUpgradeStatus with data type uint8 (0x20) instead of enum8 (0x30)"""

    def _attribute_type(self, attr: OtaAttribute) -> DataType:
        return DataType.UINT8 if attr is OtaAttribute.IMAGE_UPGRADE_STATUS else super()._attribute_type(attr)


@implements(F.REFUSAL_WITH_OWN_TSN)
class RefusalWithOwnTsn(OtaDevice):
    """refuses a command from a node other than its hub with Default Response NOT_AUTHORIZED
    carrying its own next transaction sequence number, not the frame's"""

    def _refuse_source(self, frame: HanFrame, tsn: int, command_id: int, cmd: oc.Command) -> NoReturn:
        self._tsn = (self._tsn + 1) & 0xFF
        self._reply(frame, DefaultResponse(command_id=command_id, status=Status.NOT_AUTHORIZED),
                    tsn=self._tsn if self._tsn != tsn else (tsn + 1) & 0xFF)
        raise RefusedSourceError(f"{type(cmd).__name__} from 0x{frame.src:016x}")


@implements(F.PADS_SHORT_FRAMES)
class PadsShortFrames(OtaDevice):
    """reads a command cut short as if the missing octets were zeros (a truncated Upgrade End
    Response becomes 'upgrade now', a truncated answer an image of size 0) and never answers
    MALFORMED_COMMAND for it"""

    def process(self, frame: HanFrame) -> None:
        for pad in range(17):
            try:
                oc.decode_command(frame.payload + bytes(pad), ignore_trailing=True)
            except ProtocolError:
                continue
            super().process(dataclasses.replace(frame, payload=frame.payload + bytes(pad)))
            return
        super().process(frame)


@implements(F.MANUFACTURER_SPECIFIC_AS_STANDARD)
class ManufacturerSpecificAsStandard(OtaDevice):
    """ignores frame-control bit 2: a manufacturer-specific command is obeyed as the standard OTA
    command with the same id"""

    def _unsupported(self, peek: HeaderPeek) -> Status | None:
        if peek.manufacturer_code is not None:
            return None
        return super()._unsupported(peek)


@implements(F.UNKNOWN_COMMAND_MALFORMED)
class UnknownCommandMalformed(OtaDevice):
    """answers an OTA command id the cluster does not define with MALFORMED_COMMAND instead of
    UNSUP_CLUSTER_COMMAND"""

    def _unsupported(self, peek: HeaderPeek) -> Status | None:
        status = super()._unsupported(peek)
        return None if status == Status.UNSUP_CLUSTER_COMMAND else status


# -------------------------------------------------- answers bound to the frame they answer
@implements(F.CONTRARY_QUERY)
class ContraryQuery(OtaDevice):
    """follows each Query Next Image Request with a second one that gives current file version 0"""

    def _send_query(self, *, resend: bool = False) -> None:
        super()._send_query(resend=resend)
        self._send(oc.QueryNextImageRequest(
            manufacturer_code=self.manufacturer_code, image_type=self.image_type,
            current_file_version=0, hardware_version=self.hardware_version))


@implements(F.CONTRARY_REFUSAL)
class ContraryRefusal(OtaDevice):
    """refuses a command from a node other than its hub with Default Response NOT_AUTHORIZED, then
    answers the same frame again with SUCCESS"""

    def _refuse_source(self, frame: HanFrame, tsn: int, command_id: int, cmd: oc.Command) -> NoReturn:
        try:
            super()._refuse_source(frame, tsn, command_id, cmd)
        finally:
            self._reply(frame, DefaultResponse(command_id=command_id, status=Status.SUCCESS), tsn=tsn)


@implements(F.CONTRARY_READ_ANSWER)
class ContraryReadAnswer(OtaDevice):
    """answers each Read Attributes twice with the same TSN, the second answer giving
    CurrentFileVersion 0 (an uninitialised copy)"""

    def _answer_read(self, frame: HanFrame, tsn: int, cmd: ReadAttributes) -> None:
        super()._answer_read(frame, tsn, cmd)
        stale = {**self._attributes(), OtaAttribute.CURRENT_FILE_VERSION: 0}
        self._reply(frame, ReadAttributesResponse(records=self._read_records(cmd, stale),
                                                  direction=Direction.CLIENT_TO_SERVER), tsn=tsn)


# The faults of the resilience (SECMP7-RES), of the client attributes and of page requests
# (SECMP7-STAT, XFER), and of Image Notify, periodic query and hardware range (SECMP7-NTFY) are
# in modules of their own; importing them registers them (they need REGISTRY and F, defined above).
from . import device_notify_faults, device_status_faults, file_faults, resilience_faults  # noqa: E402, F401

REGISTRY.complete()

#: fault name -> what the device then does (the mutation table, explore and the docs list them)
FAULTS: dict[str, str] = REGISTRY.descriptions()
device_class = REGISTRY.model


def faults_markdown() -> str:
    """The device's faults as Markdown (docs/reference-models.md is made from it)."""
    return REGISTRY.markdown("the device then")
