"""Every frame the device under test sends, checked field by field as it passes (docs/harness.md,
"Every frame the device sends").

The scenario-specific checks (:mod:`.checks`) judge what a requirement is about; this observer
judges what every frame must carry wherever it is sent, from what the device had received by
then: the profile and endpoint it travels on, the identity a query gives (the device's own), the image an
Upgrade End, Image Block or Image Page Request names (the one the node it sends to offered last),
the optional fields of an Image Block Request (its own address, the MinimumBlockPeriod it was
told), the data type of every attribute in a Read Attributes Response (as the OTA cluster defines
it) and the transaction sequence number and command id of every Default Response (those of a
frame that node sent it), and no second answer to the same frame that contradicts the first. The
plugin fails a scenario's Then step on the first violation recorded (SECMP7-ZCL-001 to -005).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import ProtocolError
from hanota.protocol.zcl import (
    OTA_ATTRIBUTE_TYPES,
    OTA_CLUSTER_ID,
    DefaultResponse,
    Direction,
    OtaAttribute,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
    peek_header,
)

from ..models.han import SE_PROFILE_ID, HanFrame
from .describe import command_text
from .world import Scene

__all__ = ["FrameAudit", "FrameViolation"]

_Identity = tuple[int, int, int]  # manufacturer code, image type, file version


@dataclass(frozen=True)
class FrameViolation:
    """One frame of the device that breaks a rule: when, what it was, and what was expected."""

    time_ms: int
    requirement: str
    text: str

    def __str__(self) -> str:
        return f"{self.requirement} at t={self.time_ms} ms: {self.text}"


@dataclass
class _Peer:
    """What one node (the hub, an HHT) sent the device so far, as the device's frames answer it."""

    offer: _Identity | None = None               # the last image it offered (query responses)
    endpoint: int | None = None                  # the endpoint its frames come from
    told_block_period: int | None = None         # MinimumBlockPeriod of its last WAIT_FOR_DATA
    frames: set[tuple[int, int]] = field(default_factory=set)        # (TSN, command id) sent
    reads: dict[int, tuple[int, ...]] = field(default_factory=dict)  # TSN -> attribute ids read
    #: the device's answers so far to the latest frame with that (TSN, command id) / read TSN
    refusals: dict[tuple[int, int], Status] = field(default_factory=dict)
    answers: dict[int, ReadAttributesResponse] = field(default_factory=dict)


class FrameAudit:
    """Walks the premises' HAN log in order, taking what is sent to the device as the context and
    checking each frame the device sends; :meth:`violations` is everything found so far."""

    def __init__(self, scene: Scene) -> None:
        self._scene = scene
        self._log_id = 0
        self._next = 0
        self._peers: dict[int, _Peer] = {}
        self._found: list[FrameViolation] = []

    def violations(self) -> list[FrameViolation]:
        """The violations in the frames exchanged so far (none before there is a device)."""
        scene = self._scene
        if scene.world is None or scene.remote_dcc is not None:
            return self._found
        log = scene.network.log
        if id(log) != self._log_id:  # a new world: start again
            self._log_id, self._next, self._peers, self._found = id(log), 0, {}, []
        dut = scene.device_eui64
        for time_ms, frame in log[self._next:]:
            if frame.cluster_id != OTA_CLUSTER_ID:
                continue
            if frame.dst == dut:
                self._received(frame)
            elif frame.src == dut:
                problem = self._check(frame, dut)
                if problem is not None:
                    self._found.append(FrameViolation(time_ms, *problem))
        self._next = len(log)
        return self._found

    def problem(self) -> str | None:
        """None when every frame the device sent so far is right, else a message for the step."""
        found = self.violations()
        if not found:
            return None
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        return f"expected every frame the device sends to carry what it must: {found[0]}{more}"

    # ---------------------------------------------------------------- frames to the device
    def _received(self, frame: HanFrame) -> None:
        peer = self._peers.setdefault(frame.src, _Peer())
        peer.endpoint = frame.src_endpoint
        peek = peek_header(frame.payload)
        if peek is None:
            return
        if (peek.frame_type, peek.command_id) != (0, DefaultResponse.COMMAND_ID):
            peer.frames.add((peek.tsn, peek.command_id))  # a Default Response is never answered
            peer.refusals.pop((peek.tsn, peek.command_id), None)  # a new frame: a new answer
        if peek.manufacturer_code is not None:
            return  # a manufacturer's own command: not the standard command with that id
        try:  # as the device reads it: octets after the known fields ignored
            _, cmd = oc.decode_command(frame.payload, ignore_trailing=True)
        except ProtocolError:
            return
        if isinstance(cmd, (oc.QueryNextImageResponse, oc.QueryDeviceSpecificFileResponse)) \
                and cmd.status == Status.SUCCESS:
            assert cmd.manufacturer_code is not None and cmd.image_type is not None
            assert cmd.file_version is not None
            peer.offer = (cmd.manufacturer_code, cmd.image_type, cmd.file_version)
        elif isinstance(cmd, oc.ImageBlockResponse) and cmd.status == Status.WAIT_FOR_DATA \
                and cmd.minimum_block_period is not None:
            peer.told_block_period = cmd.minimum_block_period
        elif isinstance(cmd, ReadAttributes):
            peer.reads[peek.tsn] = cmd.attribute_ids
            peer.answers.pop(peek.tsn, None)

    # ---------------------------------------------------------------- frames from the device
    def _check(self, frame: HanFrame, dut: int) -> tuple[str, str] | None:
        """(requirement, what is wrong) for a frame of the device, or None."""
        if frame.profile_id != SE_PROFILE_ID:
            return ("SECMP7-ZCL-003", f"a frame on profile 0x{frame.profile_id:04x}, not the Smart "
                    f"Energy profile 0x{SE_PROFILE_ID:04x} its OTA exchanges travel on "
                    f"({frame.payload.hex(' ')})")
        peer = self._peers.get(frame.dst, _Peer())
        if peer.endpoint is not None and frame.dst_endpoint != peer.endpoint:
            return ("SECMP7-ZCL-003", f"a frame to endpoint {frame.dst_endpoint}, not endpoint "
                    f"{peer.endpoint} that node's OTA cluster sends from ({frame.payload.hex(' ')})")
        peek = peek_header(frame.payload)
        if peek is not None and peek.manufacturer_code is not None:
            return None  # the device's own manufacturer-specific command: no standard to hold it to
        try:
            header, cmd = oc.decode_command(frame.payload)
        except ProtocolError as err:
            return ("SECMP7-ZCL-003", f"a frame that is not a well-formed OTA cluster command: {err} "
                    f"({frame.payload.hex(' ')})")
        if isinstance(cmd, (oc.QueryNextImageRequest, oc.QueryDeviceSpecificFileRequest)):
            return self._describes_device(cmd, dut)
        if isinstance(cmd, (oc.UpgradeEndRequest, oc.ImageBlockRequest, oc.ImagePageRequest)):
            return self._names_offer(cmd, peer, dut)
        if isinstance(cmd, ReadAttributesResponse):
            return _read_response(cmd, header.tsn, peer)
        if isinstance(cmd, DefaultResponse):
            return _default_response(cmd, header.tsn, peer)
        return None

    def _describes_device(self, cmd: oc.QueryNextImageRequest | oc.QueryDeviceSpecificFileRequest,
                          dut: int) -> tuple[str, str] | None:
        """A query gives the device's own manufacturer code (and, for Query Next Image, image type
        and hardware version when present; for a device-specific file, its own IEEE address)."""
        me = self._scene.dut
        if cmd.manufacturer_code != me.manufacturer_code:
            return ("SECMP7-ZCL-003", f"{command_text(cmd)} gives manufacturer code "
                    f"0x{cmd.manufacturer_code:04x}, not the device's 0x{me.manufacturer_code:04x}")
        if isinstance(cmd, oc.QueryDeviceSpecificFileRequest):
            if cmd.request_node_address != dut:
                return ("SECMP7-ZCL-003", f"{command_text(cmd)} gives request node address "
                        f"0x{cmd.request_node_address:016x}, not its own 0x{dut:016x}")
            return None
        if cmd.image_type != me.image_type:
            return ("SECMP7-ZCL-003", f"{command_text(cmd)} gives image type 0x{cmd.image_type:04x}, "
                    f"not the device's 0x{me.image_type:04x}")
        if cmd.hardware_version not in (None, me.hardware_version):
            return ("SECMP7-ZCL-003", f"{command_text(cmd)} gives hardware version "
                    f"{cmd.hardware_version}, not the device's {me.hardware_version}")
        return None

    def _names_offer(self, cmd: oc.UpgradeEndRequest | oc.ImageBlockRequest | oc.ImagePageRequest,
                     peer: _Peer, dut: int) -> tuple[str, str] | None:
        names = (cmd.manufacturer_code, cmd.image_type, cmd.file_version)
        requirement = "SECMP7-ZCL-001" if isinstance(cmd, oc.UpgradeEndRequest) else "SECMP7-ZCL-002"
        if peer.offer is None:
            return (requirement, f"{command_text(cmd)} to a node that offered no image")
        if names != peer.offer:
            return (requirement, f"{command_text(cmd)} names another image than the one offered "
                    f"(0x{peer.offer[0]:04x}, 0x{peer.offer[1]:04x}, 0x{peer.offer[2]:08x})")
        if isinstance(cmd, oc.UpgradeEndRequest):
            return None
        if cmd.request_node_address is not None and cmd.request_node_address != dut:
            return ("SECMP7-ZCL-002", f"{command_text(cmd)} gives request node address "
                    f"0x{cmd.request_node_address:016x}, not its own 0x{dut:016x}")
        period = getattr(cmd, "minimum_block_period", None)
        if period is not None and peer.told_block_period is not None and period != peer.told_block_period:
            return ("SECMP7-ZCL-002", f"{command_text(cmd)} gives minimum block period {period} ms, "
                    f"not the {peer.told_block_period} ms the hub set")
        return None


def _read_response(cmd: ReadAttributesResponse, tsn: int, peer: _Peer) -> tuple[str, str] | None:
    asked = peer.reads.get(tsn)
    if asked is None:
        return ("SECMP7-ZCL-004", f"a Read Attributes Response with transaction sequence number {tsn}, "
                f"which no Read Attributes from that node carried")
    first = peer.answers.setdefault(tsn, cmd)
    if first != cmd:
        return ("SECMP7-ZCL-004", f"a second Read Attributes Response to the Read Attributes with "
                f"transaction sequence number {tsn} that contradicts the first: {command_text(first)}, "
                f"then {command_text(cmd)}")
    if cmd.direction is not Direction.CLIENT_TO_SERVER:
        return ("SECMP7-ZCL-004", "a Read Attributes Response sent server→client from the OTA client")
    for record in cmd.records:
        if record.status != Status.SUCCESS:
            continue
        if record.attribute_id not in asked:
            return ("SECMP7-ZCL-004", f"a Read Attributes Response (TSN {tsn}) with a value for "
                    f"attribute 0x{record.attribute_id:04x}, which was not read")
        try:
            want = OTA_ATTRIBUTE_TYPES[OtaAttribute(record.attribute_id)]
        except ValueError:
            continue  # an attribute the cluster does not define: no type to hold it to
        if record.data_type != want:
            got = record.data_type.name if record.data_type is not None else "none"
            return ("SECMP7-ZCL-004", f"attribute {OtaAttribute(record.attribute_id).name} reported "
                    f"as data type {got}, not {want.name} (0x{int(want):02x}) as the cluster defines it")
    return None


def _default_response(cmd: DefaultResponse, tsn: int, peer: _Peer) -> tuple[str, str] | None:
    if (tsn, cmd.command_id) not in peer.frames:
        return ("SECMP7-ZCL-005", f"a Default Response (status {Status(cmd.status).name}) with "
                f"transaction sequence number {tsn} and command id 0x{cmd.command_id:02x}, which "
                f"answers no frame that node sent the device")
    if cmd.direction is not Direction.CLIENT_TO_SERVER:
        return ("SECMP7-ZCL-005", "a Default Response sent server→client from the OTA client")
    first = peer.refusals.setdefault((tsn, cmd.command_id), Status(cmd.status))
    if first != cmd.status:
        return ("SECMP7-ZCL-005", f"a second Default Response to the frame with transaction sequence "
                f"number {tsn} and command id 0x{cmd.command_id:02x}, status "
                f"{Status(cmd.status).name} after {first.name}")
    return None
