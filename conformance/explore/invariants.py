"""What the specification implies about everything a device does, checked after every step.

The :class:`Checker` sees only what an observer of the HAN sees: the frames the hub sent, the
frames the device sent (with the time it sent them) and the hub's own acts (link loss, power
cycle). From those it keeps what the device may and must do next, and raises
:class:`InvariantViolation` naming the invariant the moment a frame breaks one. Each invariant is
tied to a catalogue requirement or a ZigBee / ZCL clause (:data:`INVARIANTS`).

Where the observations leave a doubt (an answer sent late, a power cycle mid-countdown), the
checker widens what it allows rather than guess: a false alarm against a conforming device is
a defect of the explorer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import ProtocolError
from hanota.protocol.zcl import (
    OTA_ATTRIBUTE_TYPES,
    OTA_CLUSTER_ID,
    SMART_ENERGY_PROFILE_ID,
    DefaultResponse,
    ImageUpgradeStatus,
    OtaAttribute,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
    peek_header,
)

from ..models.han import HanFrame
from .images import Catalogue, Image

__all__ = ["INVARIANTS", "Checker", "Invariant", "InvariantViolation"]

WAIT = oc.UPGRADE_TIME_WAIT_FOR_COMMAND
_NO_SERVER = 0xFFFF_FFFF_FFFF_FFFF
#: Attributes a device must support when read (ZigBee 095264 Table 6.x mandatory, and
#: CurrentFileVersion, which SECMP7-ACT-004 requires it to report).
_MANDATORY_ATTRIBUTES = {OtaAttribute.UPGRADE_SERVER_ID, OtaAttribute.CURRENT_FILE_VERSION,
                         OtaAttribute.IMAGE_UPGRADE_STATUS}


@dataclass(frozen=True)
class Invariant:
    id: str
    source: str  # a catalogue requirement ID, or a ZigBee / ZCL clause
    text: str


INVARIANTS: dict[str, Invariant] = {i.id: i for i in (
    Invariant("frame-addressing", "ZigBee 095264 §6.1 (Smart Energy profile 0x0109, OTA cluster 0x0019)",
              "every OTA cluster frame the device sends is on the Smart Energy profile, from its own "
              "address, to the endpoint the hub's frames come from (frames of other clusters are not "
              "judged; SECMP7-ZCL-003)"),
    Invariant("decodable", "ZCL r7 §2.4 (general frame format)",
              "every frame the device sends decodes as the ZCL command it claims to be"),
    Invariant("answers-match", "ZCL r7 §2.4.1.3 (transaction sequence number), §2.5.12 (Default Response)",
              "every answer (Default Response, Read Attributes Response) carries the TSN of a frame "
              "it answers, and a Default Response the command id of that frame; a second Default "
              "Response to one frame does not contradict the first (SECMP7-ZCL-005)"),
    Invariant("malformed-answered", "SECMP7-OTA-008; ZCL r7 §2.5.12.3",
              "a malformed OTA command is answered with Default Response MALFORMED_COMMAND"),
    Invariant("unsupported-answered", "SECMP7-ZCL-007, SECMP7-ZCL-008; ZCL r7 §2.5.12.3",
              "an OTA command id the client does not take is answered with Default Response "
              "UNSUP_CLUSTER_COMMAND, a manufacturer-specific command of a manufacturer it does not "
              "implement with UNSUP_MANUF_CLUSTER_COMMAND / UNSUP_MANUF_GENERAL_COMMAND (or 0x81, as "
              "ZCL revision 8 folds them), and never obeyed as the standard command with its id"),
    Invariant("trailing-octets-ignored", "SECMP7-OTA-009; ZCL 07-5123 §2.2.1.2",
              "a command with octets after its fields is not answered MALFORMED_COMMAND (the device acts "
              "on it as without them)"),
    Invariant("attribute-types", "ZigBee 095264 §6.7 (client attributes); ZCL r7 §2.5.2",
              "Read Attributes answers every attribute asked, the OTA attributes with their defined "
              "data type, the mandatory ones as supported"),
    Invariant("query-identity", "SECMP7-OTA-001",
              "Query Next Image Request carries the device's manufacturer code, image type, hardware "
              "version and a file version it may be running"),
    Invariant("requests-to-paired-hub", "SECMP7-AUTH-006",
              "OTA client requests go to the paired hub only, and UpgradeServerID never names another node"),
    Invariant("no-download-of-refusable-offer", "SECMP7-AUTH-003, SECMP7-AUTH-005, SECMP7-XFER-002",
              "no Image Block Request for an offer of another manufacturer or image type, or of a "
              "version not newer than the one running"),
    Invariant("block-within-image", "SECMP7-OTA-002",
              "each Image Block Request names an image the hub offered, an offset inside it that "
              "continues from the data the hub served at the offsets asked"),
    Invariant("block-request-fields", "SECMP7-ZCL-002",
              "an Image Block Request's request node address, when present, is the device's own, and "
              "its minimum block period, when present, the one the hub set with WAIT_FOR_DATA"),
    Invariant("min-block-period", "SECMP7-OTA-003",
              "Image Block Requests of one download are no closer together than the MinimumBlockPeriod "
              "the hub set"),
    Invariant("wait-for-data", "SECMP7-OTA-004",
              "after WAIT_FOR_DATA no Image Block Request for that image before the request time"),
    Invariant("resume", "SECMP7-OTA-005 (PICS resume)",
              "an interrupted download goes on from its offset; it does not start again from 0"),
    Invariant("abort-stops", "SECMP7-OTA-007",
              "after ABORT or NO_IMAGE_AVAILABLE no Image Block Request until the hub offers again"),
    Invariant("end-status-truthful", "SECMP7-OTA-006 (with AUTH-001..008, IMG-004, IMG-005)",
              "Upgrade End Request SUCCESS only for an image the hub served whole and the device may "
              "install"),
    Invariant("valid-offer-downloaded", "SECMP7-IMG-003",
              "a valid offer of the device's own image, newer and within its declared capacity, is not "
              "refused before any byte is fetched"),
    Invariant("version-only-at-activation", "SECMP7-ACT-001, SECMP7-ACT-003, SECMP7-AUTH-001..008",
              "CurrentFileVersion changes only to an image the device could install, after the hub "
              "commanded its activation with an upgrade time (never on 0xFFFFFFFF alone)"),
    Invariant("activated-at-upgrade-time", "SECMP7-ACT-002, SECMP7-ACT-004",
              "once the commanded upgrade time has passed, CurrentFileVersion reports the new image"),
    Invariant("upgrade-status-legal", "ZigBee 095264 §6.7.7 (ImageUpgradeStatus)",
              "ImageUpgradeStatus reports only a state the exchange so far can have led to, and Waiting "
              "to upgrade or Count down while a downloaded image awaits its command or upgrade time"),
)}


class InvariantViolation(AssertionError):
    """A frame broke an invariant: ``invariant`` names it, the message says how."""

    def __init__(self, invariant: str, message: str) -> None:
        self.invariant = invariant
        self.message = message
        inv = INVARIANTS[invariant]
        super().__init__(f"{invariant} ({inv.source}): {message}")


@dataclass
class _Awaiting:
    """The device's Upgrade End Request SUCCESS for ``image``, and what the hub did about it."""

    image: Image
    requested_ms: int
    phase: str = "end-requested"  # then "waiting" (0xFFFFFFFF) or "countdown"
    due_ms: int | None = None


@dataclass
class Checker:
    """The invariants of one exploration example, fed every frame both ways (see module doc)."""

    catalogue: Catalogue
    hub: int
    device: int
    #: The image capacity the PICS declares (None: not declared, IMG-003/004 do not apply).
    capacity: int | None
    resume: bool = False
    #: How long an answer to Upgrade End Request may be late and still reach a device that waits
    #: for it (its retries are not known): later answers only widen what is allowed.
    prompt_ms: int = 1_000
    #: Virtual time: 0. Wall time: how late an activation may run (PICS activation delay).
    activation_grace_ms: int = 0

    original: int = 0
    running: int | None = None  # None: not known (a power cycle during a countdown)
    possible: set[int] = field(default_factory=set)
    offers: dict[tuple[int, int, int], Image] = field(default_factory=dict)
    served: dict[tuple[int, int, int], int] = field(default_factory=dict)
    #: The device's unanswered Image Block Request: image -> (offset, maximum data size).
    open_request: dict[tuple[int, int, int], tuple[int, int]] = field(default_factory=dict)
    open_query: bool = False
    last_request: dict[tuple[int, int, int], int] = field(default_factory=dict)
    sent_tsn: dict[tuple[int, int], int] = field(default_factory=dict)
    read_tsn: dict[int, tuple[int, ...]] = field(default_factory=dict)
    malformed: dict[int, int] = field(default_factory=dict)
    trailing: set[int] = field(default_factory=set)  # TSNs of frames sent with trailing octets
    #: TSN -> (command id, the refusals allowed) of commands the client does not take
    unsupported: dict[int, tuple[int, frozenset[Status]]] = field(default_factory=dict)
    #: (node, TSN) -> the status of the device's first Default Response to that node's frame
    refused: dict[tuple[int, int], int] = field(default_factory=dict)
    stopped: bool = False
    wait_until: dict[tuple[int, int, int], int] = field(default_factory=dict)
    mbp_ms: int = 0
    #: The hub set a MinimumBlockPeriod (WAIT_FOR_DATA) that an Image Block Request's field echoes.
    mbp_set: bool = False
    #: The endpoint the hub's frames come from (the device's frames to it go there).
    hub_endpoint: int | None = None
    #: The first Image Block Request after the hub set the period was seen: from then on the
    #: period binds (the one before may have been sent under the old period).
    mbp_armed: bool = False
    last_block_ms: int | None = None
    awaiting: _Awaiting | None = None
    statuses: set[ImageUpgradeStatus] = field(default_factory=lambda: {ImageUpgradeStatus.NORMAL})
    checked: int = 0

    def __post_init__(self) -> None:
        self.original = self.catalogue.identity.file_version
        self.running = self.original
        self.possible = {self.original}

    # ================================================================ what the hub does
    def hub_frame(self, now: int, frame: HanFrame, cmd: oc.Command | None, *, malformed: bool = False,
                  trailing: bool = False, refusals: frozenset[Status] = frozenset()) -> None:
        """The hub (or another node it plays) sent ``frame``; ``cmd`` is what it encodes, or None.
        ``trailing``: octets follow the command's fields, which the device ignores (OTA-009);
        ``refusals``: a command the client does not take, to be answered with one of these."""
        peek = peek_header(frame.payload)  # the TSN and command id follow any manufacturer code
        if peek is not None:
            self.sent_tsn[(frame.src, peek.tsn)] = peek.command_id
            self.refused.pop((frame.src, peek.tsn), None)  # a new frame: a new answer
            if frame.src == self.hub:
                self.unsupported.pop(peek.tsn, None)  # a new frame with that TSN
                if refusals:
                    self.unsupported[peek.tsn] = (peek.command_id, refusals)
            if malformed and frame.src == self.hub:
                self.malformed[peek.tsn] = peek.command_id
            if trailing and frame.src == self.hub:
                self.trailing.add(peek.tsn)
            elif frame.src == self.hub:
                self.trailing.discard(peek.tsn)
        if frame.src == self.hub:
            self.hub_endpoint = frame.src_endpoint
        if frame.src != self.hub or cmd is None:
            return
        if isinstance(cmd, ReadAttributes):
            if peek is not None:  # always: it decoded
                self.read_tsn[peek.tsn] = cmd.attribute_ids
        elif isinstance(cmd, oc.QueryNextImageResponse):
            self._on_offer(cmd)
        elif isinstance(cmd, oc.ImageBlockResponse):
            self._on_block_response(now, cmd)
        elif isinstance(cmd, oc.UpgradeEndResponse):
            self._on_end_response(now, cmd)

    def _on_offer(self, cmd: oc.QueryNextImageResponse) -> None:
        if cmd.status != Status.SUCCESS:
            if self.open_query:  # an answer to its query: NO_IMAGE_AVAILABLE (OTA-007)
                self.stopped = True
            self.open_query = False
            return
        if self.open_query:  # a new download: the period binds its requests from the second on
            self.last_block_ms = None
        self.open_query = False
        key = (cmd.manufacturer_code or 0, cmd.image_type or 0, cmd.file_version or 0)
        image = self.catalogue.by_key(key)
        if image is not None and image.size == cmd.image_size:
            self.offers[key] = image
        self.stopped = False
        self.wait_until.clear()
        for other in list(self.last_request):  # another image offered: an old partial may go
            if other != key:
                del self.last_request[other]

    def _on_block_response(self, now: int, cmd: oc.ImageBlockResponse) -> None:
        # Only an answer to an open request binds the device: a stale one may be ignored.
        if not self.open_request:
            return
        if cmd.status == Status.WAIT_FOR_DATA:
            delay_s = int(cmd.request_time or 0) - (int(cmd.current_time or 0) if cmd.current_time else 0)
            for key in self.open_request:
                self.wait_until[key] = now + max(0, delay_s) * 1000
            if cmd.minimum_block_period is not None:
                self.mbp_ms, self.mbp_armed, self.mbp_set = int(cmd.minimum_block_period), False, True
            self.open_request.clear()
            return
        if cmd.status != Status.SUCCESS:
            self.stopped = True  # ABORT (OTA-007): the download is over
            self.last_request.clear()
            self.open_request.clear()
            return
        key = (cmd.manufacturer_code or 0, cmd.image_type or 0, cmd.file_version or 0)
        image = self.offers.get(key)
        asked = self.open_request.get(key)
        data = bytes(cmd.image_data or b"")
        if image is None or asked is None or cmd.file_offset != asked[0]:
            return
        offset, most = asked
        if data and len(data) <= most and offset + len(data) <= image.size \
                and data == image.data[offset:offset + len(data)]:
            self.served[key] = max(self.served.get(key, 0), offset + len(data))
            self.open_request.clear()

    def _on_end_response(self, now: int, cmd: oc.UpgradeEndResponse) -> None:
        aw = self.awaiting
        if aw is None:
            return
        mfr, itype, version = aw.image.key
        if cmd.manufacturer_code not in (mfr, 0xFFFF) or cmd.image_type not in (itype, 0xFFFF) \
                or cmd.file_version not in (version, 0xFFFF_FFFF):
            return  # names another image: the device must ignore it
        prompt = aw.phase != "end-requested" or now - aw.requested_ms <= self.prompt_ms
        if cmd.upgrade_time == WAIT:
            self.statuses.add(ImageUpgradeStatus.WAITING_TO_UPGRADE)
            if prompt:
                aw.phase, aw.due_ms = "waiting", None
            return
        delay_s = int(cmd.upgrade_time) if cmd.current_time == 0 else \
            max(0, int(cmd.upgrade_time) - int(cmd.current_time))
        self.statuses.update({ImageUpgradeStatus.WAITING_TO_UPGRADE, ImageUpgradeStatus.COUNT_DOWN})
        self.possible.add(version)  # commanded: from now on it may run it ...
        if prompt:  # ... and must, once the time has come (ACT-002)
            aw.phase, aw.due_ms = "countdown", now + delay_s * 1000

    def power_cycle(self) -> None:
        """Off and on: what does not survive a power loss is gone, but may also have survived."""
        if self.awaiting is not None and self.awaiting.phase == "countdown":
            self.running = None
        self.awaiting = None
        self.open_query = False
        self.open_request.clear()
        self.last_request.clear()
        self.wait_until.clear()
        self.last_block_ms = None
        self.mbp_ms, self.mbp_armed, self.mbp_set = 0, False, False

    # ================================================================ what the device does
    def device_frame(self, now: int, frame: HanFrame) -> None:
        """Check one frame the device sent at ``now`` (device time, ms)."""
        self.tick(now)
        if frame.cluster_id != OTA_CLUSTER_ID:
            return  # a device on a HAN has other clusters to speak: not judged here
        self.checked += 1
        if frame.profile_id != SMART_ENERGY_PROFILE_ID or frame.src != self.device:
            raise InvariantViolation("frame-addressing", f"OTA frame from 0x{frame.src:016x} on profile "
                                     f"0x{frame.profile_id:04x}")
        if frame.dst == self.hub and frame.dst_endpoint != (self.hub_endpoint or frame.dst_endpoint):
            raise InvariantViolation("frame-addressing", f"OTA frame to the hub's endpoint "
                                     f"{frame.dst_endpoint}; the hub's frames come from endpoint "
                                     f"{self.hub_endpoint}")
        peek = peek_header(frame.payload)
        if peek is not None and peek.manufacturer_code is not None:
            return  # a manufacturer-specific command (ZCL 2.4.1.1.3): its format is not ours to judge
        try:
            header, cmd = oc.decode_command(frame.payload)
        except ProtocolError as err:
            raise InvariantViolation("decodable", f"{frame.payload.hex()}: {err}") from None
        if isinstance(cmd, DefaultResponse):
            self._answer(frame, header.tsn, cmd.command_id, "Default Response")
            first = self.refused.setdefault((frame.dst, header.tsn), cmd.status)
            if first != cmd.status:
                raise InvariantViolation("answers-match", f"a second Default Response to the frame with TSN "
                                         f"{header.tsn} says {_status(cmd.status)}, the first said "
                                         f"{_status(first)}")
            if cmd.status == Status.MALFORMED_COMMAND and frame.dst == self.hub:
                if header.tsn in self.trailing:
                    raise InvariantViolation("trailing-octets-ignored", f"command 0x{cmd.command_id:02x} "
                                             f"(TSN {header.tsn}) with octets after its fields answered "
                                             "MALFORMED_COMMAND")
                self.malformed.pop(header.tsn, None)
            refused = self.unsupported.get(header.tsn) if frame.dst == self.hub else None
            if refused is not None and refused[0] == cmd.command_id:
                if cmd.status not in refused[1]:
                    raise InvariantViolation("unsupported-answered", f"command 0x{cmd.command_id:02x} "
                                             f"(TSN {header.tsn}), which the client does not take, answered "
                                             f"{_status(cmd.status)}, not {_statuses(refused[1])}")
                del self.unsupported[header.tsn]
            return
        if isinstance(cmd, ReadAttributesResponse):
            self._answer(frame, header.tsn, 0x00, "Read Attributes Response")
            self._read_response(header.tsn, cmd)
            return
        if frame.dst != self.hub:
            raise InvariantViolation("requests-to-paired-hub", f"{type(cmd).__name__} sent to "
                                     f"0x{frame.dst:016x}, not to the paired hub 0x{self.hub:016x}")
        if isinstance(cmd, oc.QueryNextImageRequest):
            self._query(cmd)
        elif isinstance(cmd, oc.ImageBlockRequest):
            self._block_request(now, cmd)
        elif isinstance(cmd, oc.UpgradeEndRequest):
            self._end_request(now, cmd)

    def step_done(self, now: int) -> None:
        """The hub has seen every frame the device sent in reaction to the step."""
        self.tick(now)
        if self.malformed:
            tsn, command_id = next(iter(self.malformed.items()))
            self.malformed.clear()
            raise InvariantViolation("malformed-answered", f"the malformed command 0x{command_id:02x} "
                                     f"(TSN {tsn}) got no Default Response MALFORMED_COMMAND")
        if self.unsupported:
            tsn, (command_id, allowed) = next(iter(self.unsupported.items()))
            self.unsupported.clear()
            raise InvariantViolation("unsupported-answered", f"command 0x{command_id:02x} (TSN {tsn}), "
                                     f"which the client does not take, got no Default Response "
                                     f"{_statuses(allowed)}")

    def tick(self, now: int) -> None:
        aw = self.awaiting
        if aw is not None and aw.phase == "countdown" and aw.due_ms is not None \
                and now >= aw.due_ms + self.activation_grace_ms:
            self.running = aw.image.file_version
            self.awaiting = None
            self.statuses.discard(ImageUpgradeStatus.COUNT_DOWN)

    def required_version(self) -> int | None:
        return self.running

    # ---------------------------------------------------------------- per command
    def _answer(self, frame: HanFrame, tsn: int, command_id: int, what: str) -> None:
        sent = self.sent_tsn.get((frame.dst, tsn))
        if sent is None:
            raise InvariantViolation("answers-match", f"{what} to 0x{frame.dst:016x} with TSN {tsn}, "
                                     "which no frame from that node carried")
        if what == "Default Response" and sent != command_id:
            raise InvariantViolation("answers-match", f"Default Response names command 0x{command_id:02x}, "
                                     f"the frame with TSN {tsn} was command 0x{sent:02x}")

    def _read_response(self, tsn: int, cmd: ReadAttributesResponse) -> None:
        asked = self.read_tsn.pop(tsn, None)
        if asked is None:
            raise InvariantViolation("answers-match", f"Read Attributes Response with TSN {tsn}, which "
                                     "answers no Read Attributes")
        got = [r.attribute_id for r in cmd.records]
        if sorted(got) != sorted(asked):  # one record per attribute asked (ZCL 2.5.2)
            raise InvariantViolation("attribute-types", f"asked for attributes {list(asked)}, "
                                     f"the records are for {got}")
        for record in cmd.records:
            try:
                attr = OtaAttribute(record.attribute_id)
            except ValueError:
                continue
            if record.status != Status.SUCCESS:
                if attr in _MANDATORY_ATTRIBUTES or record.status != Status.UNSUPPORTED_ATTRIBUTE:
                    raise InvariantViolation("attribute-types", f"{attr.name} read with status "
                                             f"{Status(record.status).name}")
                continue
            if record.data_type != OTA_ATTRIBUTE_TYPES[attr]:
                raise InvariantViolation("attribute-types", f"{attr.name} has data type "
                                         f"{record.data_type!r}, the cluster defines "
                                         f"{OTA_ATTRIBUTE_TYPES[attr]!r}")
            self._attribute(attr, int(record.value or 0))

    def _attribute(self, attr: OtaAttribute, value: int) -> None:
        ident = self.catalogue.identity
        if attr is OtaAttribute.CURRENT_FILE_VERSION:
            if value not in self.possible:
                raise InvariantViolation("version-only-at-activation", f"CurrentFileVersion is "
                                         f"0x{value:08x}; it may only be one of "
                                         f"{', '.join(f'0x{v:08x}' for v in sorted(self.possible))}")
            if self.running is not None and value != self.running:
                aw = self.awaiting
                if aw is not None and aw.image.file_version == value:
                    raise InvariantViolation("version-only-at-activation", f"CurrentFileVersion is "
                                             f"0x{value:08x} before the upgrade time was reached")
                raise InvariantViolation("activated-at-upgrade-time", f"CurrentFileVersion is "
                                         f"0x{value:08x}, expected 0x{self.running:08x}")
        elif attr is OtaAttribute.UPGRADE_SERVER_ID and value not in (self.hub, _NO_SERVER):
            raise InvariantViolation("requests-to-paired-hub", f"UpgradeServerID is 0x{value:016x}")
        elif attr is OtaAttribute.IMAGE_UPGRADE_STATUS:
            try:
                status = ImageUpgradeStatus(value)
            except ValueError:
                raise InvariantViolation("upgrade-status-legal", f"ImageUpgradeStatus {value} is "
                                         "not a defined value") from None
            if status not in self.statuses:
                raise InvariantViolation("upgrade-status-legal", f"ImageUpgradeStatus {status.name}; "
                                         "the exchange so far allows only "
                                         f"{', '.join(sorted(s.name for s in self.statuses))}")
            aw = self.awaiting
            pending = (ImageUpgradeStatus.WAITING_TO_UPGRADE, ImageUpgradeStatus.COUNT_DOWN)
            if aw is not None and aw.phase in ("waiting", "countdown") and status not in pending:
                raise InvariantViolation("upgrade-status-legal", f"ImageUpgradeStatus {status.name} "
                                         f"while '{aw.image.name}' awaits its "
                                         f"{'command' if aw.phase == 'waiting' else 'upgrade time'}")
        elif attr is OtaAttribute.MANUFACTURER_ID and value != ident.manufacturer_code:
            raise InvariantViolation("attribute-types", f"ManufacturerID 0x{value:04x}, the device "
                                     f"is 0x{ident.manufacturer_code:04x}")
        elif attr is OtaAttribute.IMAGE_TYPE_ID and value != ident.image_type:
            raise InvariantViolation("attribute-types", f"ImageTypeID 0x{value:04x}, the device "
                                     f"is 0x{ident.image_type:04x}")

    def _query(self, cmd: oc.QueryNextImageRequest) -> None:
        ident = self.catalogue.identity
        wrong = []
        if cmd.manufacturer_code != ident.manufacturer_code:
            wrong.append(f"manufacturer code 0x{cmd.manufacturer_code:04x}")
        if cmd.image_type != ident.image_type:
            wrong.append(f"image type 0x{cmd.image_type:04x}")
        if cmd.current_file_version not in self.possible or \
                self.running not in (None, cmd.current_file_version):
            wrong.append(f"current file version 0x{cmd.current_file_version:08x}")
        if cmd.hardware_version is not None and cmd.hardware_version != ident.hardware_version:
            wrong.append(f"hardware version {cmd.hardware_version}")
        if wrong:
            raise InvariantViolation("query-identity", "Query Next Image Request with " + ", ".join(wrong))
        self.open_query = True
        # A device that queries is in no download: an answer to an old block request can no
        # longer bind it, and a period set in one it gave up does not reach the next one.
        self.open_request.clear()
        self.mbp_ms, self.mbp_armed, self.mbp_set = 0, False, False

    def _newer_than_running(self, version: int) -> bool | None:
        """True/False when sure, None when the running version is not known."""
        lowest, highest = min(self.possible), max(self.possible)
        if version > highest:
            return True
        if version <= lowest:
            return False
        return None if self.running is None else version > self.running

    def _block_request(self, now: int, cmd: oc.ImageBlockRequest) -> None:
        key = (cmd.manufacturer_code, cmd.image_type, cmd.file_version)
        image = self.offers.get(key)
        name = f"image 0x{cmd.file_version:08x}"
        if image is None:
            raise InvariantViolation("block-within-image", f"Image Block Request for {name}, which the "
                                     "hub never offered")
        ident = self.catalogue.identity
        if (image.manufacturer_code, image.image_type) != (ident.manufacturer_code, ident.image_type) \
                or self._newer_than_running(image.file_version) is False:
            raise InvariantViolation("no-download-of-refusable-offer", f"Image Block Request for the "
                                     f"'{image.name}' image ({name})")
        served = self.served.get(key, 0)
        if cmd.file_offset >= image.size or cmd.file_offset > served:
            raise InvariantViolation("block-within-image", f"Image Block Request at offset "
                                     f"{cmd.file_offset} of the {image.size}-byte '{image.name}' image; "
                                     f"the hub has served {served} bytes of it at the offsets asked")
        if self.stopped:
            raise InvariantViolation("abort-stops", f"Image Block Request for {name} after the hub "
                                     "said ABORT or NO_IMAGE_AVAILABLE, with no new offer")
        until = self.wait_until.get(key)
        if until is not None and now < until:
            raise InvariantViolation("wait-for-data", f"Image Block Request at {now} ms; WAIT_FOR_DATA "
                                     f"asked it to wait until {until} ms")
        if cmd.request_node_address is not None and cmd.request_node_address != self.device:
            raise InvariantViolation("block-request-fields", f"Image Block Request with request node "
                                     f"address 0x{cmd.request_node_address:016x}, not the device's own")
        if cmd.minimum_block_period is not None and self.mbp_set and cmd.minimum_block_period != self.mbp_ms:
            raise InvariantViolation("block-request-fields", f"Image Block Request with minimum block "
                                     f"period {cmd.minimum_block_period} ms; the hub set {self.mbp_ms} ms")
        if self.mbp_armed and self.last_block_ms is not None and now - self.last_block_ms < self.mbp_ms:
            raise InvariantViolation("min-block-period", f"Image Block Requests {now - self.last_block_ms}"
                                     f" ms apart; the MinimumBlockPeriod set is {self.mbp_ms} ms")
        last = self.last_request.get(key)
        if self.resume and last is not None and cmd.file_offset < last:
            raise InvariantViolation("resume", f"Image Block Request at offset {cmd.file_offset} of "
                                     f"'{image.name}'; it had asked for offset {last} already")
        self.last_request[key] = cmd.file_offset
        self.open_request = {key: (cmd.file_offset, cmd.maximum_data_size)}
        self.last_block_ms = now
        self.mbp_armed = True
        self.statuses.add(ImageUpgradeStatus.DOWNLOAD_IN_PROGRESS)

    def _end_request(self, now: int, cmd: oc.UpgradeEndRequest) -> None:
        key = (cmd.manufacturer_code, cmd.image_type, cmd.file_version)
        image = self.offers.get(key)
        self.last_request.pop(key, None)
        self.open_request.pop(key, None)
        if cmd.status != Status.SUCCESS:
            if cmd.status == Status.REQUIRE_MORE_IMAGE:
                self.statuses.add(ImageUpgradeStatus.WAIT_FOR_MORE)
            if image is not None and self.served.get(key, 0) == 0 and self._offer_acceptable(image):
                raise InvariantViolation("valid-offer-downloaded", f"the valid offer of '{image.name}' "
                                         f"({image.size} bytes, capacity {self.capacity}) refused "
                                         f"with {_status(cmd.status)} before any byte was fetched")
            return
        if image is None:
            raise InvariantViolation("end-status-truthful", f"Upgrade End Request SUCCESS for image "
                                     f"0x{cmd.file_version:08x}, which the hub never offered")
        served = self.served.get(key, 0)
        if served < image.size:
            raise InvariantViolation("end-status-truthful", f"Upgrade End Request SUCCESS for "
                                     f"'{image.name}' after {served} of its {image.size} bytes")
        why = self._refusal(image)
        if why is not None:
            raise InvariantViolation("end-status-truthful", f"Upgrade End Request SUCCESS for the "
                                     f"'{image.name}' image, which it must refuse: {why}")
        self.awaiting = _Awaiting(image, now)
        self.statuses.add(ImageUpgradeStatus.DOWNLOAD_COMPLETE)

    def _offer_acceptable(self, image: Image) -> bool:
        ident = self.catalogue.identity
        return (image.defect is None and not image.optional
                and (image.manufacturer_code, image.image_type) == (ident.manufacturer_code, ident.image_type)
                and self.capacity is not None and 0 < image.size <= self.capacity
                and self._newer_than_running(image.file_version) is True)

    def _refusal(self, image: Image) -> str | None:
        if image.optional:
            return None
        if image.defect is not None:
            return f"{image.defect[1]} ({image.defect[0]})"
        if self.capacity is not None and image.size > self.capacity:
            return f"it is larger than the capacity declared, {self.capacity} bytes (SECMP7-IMG-004)"
        if self._newer_than_running(image.file_version) is False:
            return "its version is not newer than the one running (SECMP7-AUTH-005)"
        return None


def _status(value: int) -> str:
    try:
        return Status(value).name
    except ValueError:
        return f"0x{value:02x}"


def _statuses(values: frozenset[Status]) -> str:
    return " or ".join(sorted(_status(v) for v in values))
