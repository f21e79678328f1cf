"""The parameter types of the features, each parsed once (features/README.md, "Parameter types").

Every parser takes the text as written in the feature (without its quotes) and returns a typed
value, or raises :class:`~protocol.errors.HarnessUsageError` naming the bad text and what was
expected: a typo in a feature is a usage error of the suite, never a device's failure.

Sizes and durations may name PIXIT values ("the size limit", "the alert service level"), so
they parse to small specs resolved against the run's PIXIT by the harness
(:meth:`Size.resolve`, :meth:`Duration.resolve`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.ota_commands import CommandId
from hanota.protocol.zcl import ImageUpgradeStatus, Status

from .models.device_zcl import another_manufacturer

__all__ = [
    "PIXIT_DURATIONS",
    "Alert",
    "Defect",
    "DefectKind",
    "DiscardReason",
    "Duration",
    "Recipient",
    "Relation",
    "Size",
    "Source",
    "Target",
    "UpgradeTime",
    "parse_alert",
    "parse_count",
    "parse_count_list",
    "parse_defect",
    "parse_discard_reason",
    "parse_duration",
    "parse_fragment_order",
    "HexFrame",
    "parse_hex_frame",
    "parse_kind",
    "parse_label",
    "parse_ota_command",
    "parse_recipient",
    "parse_relation",
    "parse_size",
    "parse_source",
    "parse_status",
    "parse_supplier",
    "parse_target",
    "parse_upgrade_status",
    "parse_upgrade_time",
    # the DCC side's
    "STEP_TYPES",
    "ImageHash",
    "Irregularity",
    "RejectionReason",
    "parse_activation_outcome",
    "parse_ccs08_code",
    "parse_gbcs_alert_code",
    "parse_image_hash",
    "parse_irregularity",
    "parse_rejection_reason",
    "parse_result",
    # Image Notify (SECMP7-NTFY)
    "NotifyField",
    "NotifyFields",
    "NotifyShare",
    "NotifyVersion",
    "parse_addressing",
    "parse_notify_fields",
    "parse_notify_share",
]


def _bad(what: str, text: str, expected: str) -> HarnessUsageError:
    return HarnessUsageError(f"{what} {text!r} is not understood; expected {expected}")


# ---------------------------------------------------------------------------------- sizes
_KB = 1024
_SIZE_EXPECTED = ("'N bytes', 'N kB', 'the size limit', 'the size limit + N byte(s)', "
                  "'the size limit - N byte(s)', 'K times the size limit', 'the declared capacity' "
                  "(+ or - N byte(s)) or 'header only'")
_SIZE_PLAIN = re.compile(r"^(\d+) (bytes?|kB)$")
_SIZE_LIMIT = re.compile(r"^the (size limit|declared capacity)(?: ([+-]) (\d+) bytes?)?$")
_SIZE_TIMES = re.compile(r"^(\d+) times the size limit$")


@dataclass(frozen=True)
class Size:
    """A size as written: ``limit_times`` times the size limit plus ``extra`` bytes.

    ``header_only`` is the image with an empty payload (its size is the header's, not a number).
    """

    extra: int = 0
    limit_times: int = 0
    header_only: bool = False
    #: relative to the image capacity the device declares (PIXIT image_capacity_bytes)
    capacity: bool = False

    def resolve(self, limit: int, capacity: int | None = None) -> int:
        """Bytes, given the PIXIT size limit and the device's declared image capacity
        (``header_only`` resolves to 0 payload bytes)."""
        if self.capacity:
            if capacity is None:
                raise HarnessUsageError(f"size {self} needs the device's declared image capacity")
            return max(0, capacity + self.extra)
        value = self.limit_times * limit + self.extra
        if value < 0:
            raise HarnessUsageError(f"size {self} is negative with a size limit of {limit} bytes")
        return value


def parse_size(text: str) -> Size:
    if text == "header only":
        return Size(header_only=True)
    if m := _SIZE_PLAIN.match(text):
        n = int(m[1])
        if m[2] == "byte" and n != 1:
            raise _bad("size", text, _SIZE_EXPECTED)
        return Size(extra=n * (_KB if m[2] == "kB" else 1))
    if m := _SIZE_LIMIT.match(text):
        capacity = m[1] == "declared capacity"
        if m[2] is None:
            return Size(limit_times=0 if capacity else 1, capacity=capacity)
        n = int(m[3])
        return Size(limit_times=0 if capacity else 1, extra=n if m[2] == "+" else -n, capacity=capacity)
    if m := _SIZE_TIMES.match(text):
        if int(m[1]) < 1:
            raise _bad("size", text, _SIZE_EXPECTED)
        return Size(limit_times=int(m[1]))
    raise _bad("size", text, _SIZE_EXPECTED)


# ------------------------------------------------------------------------------ durations
#: PIXIT names a duration may be written as, and the PIXIT key each stands for.
PIXIT_DURATIONS: dict[str, str] = {
    "the alert service level": "alert_service_level_ms",
    "the version confirmation delay": "version_confirmation_delay_ms",
    "the alert stagger interval": "alert_stagger_interval_ms",
}
_UNIT_MS = {"ms": 1, "second": 1_000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
_DURATION = re.compile(r"^(\d+) (ms|seconds?|minutes?|hours?|days?)$")
_DURATION_EXPECTED = ("'N ms', 'N second(s)', 'N minute(s)', 'N hour(s)', 'N day(s)' or one of "
                      + ", ".join(repr(k) for k in PIXIT_DURATIONS))


@dataclass(frozen=True)
class Duration:
    """Milliseconds, or the name of a PIXIT duration resolved by the harness."""

    ms: int | None = None
    pixit: str | None = None

    def resolve(self, pixit: Mapping[str, int]) -> int:
        if self.ms is not None:
            return self.ms
        assert self.pixit is not None
        try:
            return pixit[self.pixit]
        except KeyError:
            raise HarnessUsageError(f"no PIXIT value {self.pixit!r} in this run") from None

    def __str__(self) -> str:
        return f"{self.ms} ms" if self.ms is not None else str(self.pixit)


def parse_duration(text: str) -> Duration:
    if text in PIXIT_DURATIONS:
        return Duration(pixit=PIXIT_DURATIONS[text])
    m = _DURATION.match(text)
    if m is None:
        raise _bad("duration", text, _DURATION_EXPECTED)
    n, unit = int(m[1]), m[2]
    singular = unit.rstrip("s") if unit != "ms" else unit
    if unit != "ms" and (n == 1) != (unit == singular):
        raise _bad("duration", text, _DURATION_EXPECTED + " (singular for 1, plural otherwise)")
    return Duration(ms=n * _UNIT_MS[singular])


# -------------------------------------------------------------------------- upgrade times
class UpgradeTimeKind(enum.Enum):
    NOW = "now"
    LATER = "later"            # current time and absolute upgrade time
    OFFSET = "offset"          # current time 0, upgrade time an offset in seconds
    WAIT = "wait"              # 0xFFFFFFFF: wait for a further command
    EARLIER = "earlier"        # an absolute upgrade time before the current time: upgrade now
    WAIT_THEN = "wait, then"   # 0xFFFFFFFF, and the activating response ``delay`` later (GB)


@dataclass(frozen=True)
class UpgradeTime:
    kind: UpgradeTimeKind
    delay: Duration | None = None


_UPGRADE_EXPECTED = ("'now', '<duration> later', '<duration> later, as an offset', "
                     "'<duration> earlier', 'wait for a further command' or 'wait for a further "
                     "command, sent <duration> later'")
_WAIT_THEN = "wait for a further command, sent "


def parse_upgrade_time(text: str) -> UpgradeTime:
    if text == "now":
        return UpgradeTime(UpgradeTimeKind.NOW)
    if text == "wait for a further command":
        return UpgradeTime(UpgradeTimeKind.WAIT)
    if text.startswith(_WAIT_THEN) and text.endswith(" later"):
        try:
            return UpgradeTime(UpgradeTimeKind.WAIT_THEN,
                               parse_duration(text.removeprefix(_WAIT_THEN).removesuffix(" later")))
        except HarnessUsageError:
            pass
    for suffix, kind in ((" later, as an offset", UpgradeTimeKind.OFFSET),
                         (" later", UpgradeTimeKind.LATER), (" earlier", UpgradeTimeKind.EARLIER)):
        if text.endswith(suffix):
            try:
                delay = parse_duration(text.removesuffix(suffix))
            except HarnessUsageError:
                break
            return UpgradeTime(kind, delay)
    raise _bad("upgrade time", text, _UPGRADE_EXPECTED)


# ------------------------------------------------------------------------ fragment orders
def parse_fragment_order(text: str) -> tuple[int, ...]:
    """'3,1,2' -> (3, 1, 2): 1-based fragment numbers, each at most once."""
    parts = [p.strip() for p in text.split(",")]
    if not parts or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise _bad("fragment order", text, "comma-separated fragment numbers from 1, e.g. '3,1,2'")
    order = tuple(int(p) for p in parts)
    if len(set(order)) != len(order):
        raise _bad("fragment order", text, "each fragment number at most once")
    return order


# ------------------------------------------------------------------------------ statuses
def parse_status(text: str) -> Status:
    """A ZigBee (ZCL/OTA) status name: 'SUCCESS', 'WAIT_FOR_DATA', 'MALFORMED_COMMAND', ..."""
    try:
        return Status[text]
    except KeyError:
        raise _bad("status", text, "a ZigBee status name such as SUCCESS, ABORT, INVALID_IMAGE, "
                   "WAIT_FOR_DATA, NO_IMAGE_AVAILABLE or MALFORMED_COMMAND") from None


def parse_upgrade_status(text: str) -> ImageUpgradeStatus:
    """An ImageUpgradeStatus name, as the features write it ('normal', 'download complete')."""
    key = text.strip().upper().replace(" ", "_").replace("-", "_")
    try:
        return ImageUpgradeStatus[key]
    except KeyError:
        names = ", ".join(s.name.lower().replace("_", " ") for s in ImageUpgradeStatus)
        raise _bad("ImageUpgradeStatus", text, f"one of: {names}") from None


_COMMANDS = {
    "Query Next Image Request": CommandId.QUERY_NEXT_IMAGE_REQUEST,
    "Image Block Request": CommandId.IMAGE_BLOCK_REQUEST,
    "Upgrade End Request": CommandId.UPGRADE_END_REQUEST,
}


def parse_ota_command(text: str) -> CommandId:
    """An OTA command the device sends, by its name in 095264."""
    try:
        return _COMMANDS[text]
    except KeyError:
        raise _bad("OTA command", text, " or ".join(repr(k) for k in _COMMANDS)) from None


# ---------------------------------------------------------------------------- hex frames
_HEX_PAIR = re.compile(r"^[0-9A-Fa-f]{2}$")
_IDENTITY_TOKEN = re.compile(r"^\{identity of ([A-Za-z0-9_-]+)\}$")
#: ``{another manufacturer}``: 2 octets, a manufacturer code that is not the device's, for a
#: manufacturer-specific frame the device must not take for one of its own commands.
ANOTHER_MANUFACTURER = "{another manufacturer}"


@dataclass(frozen=True)
class HexFrame:
    """A frame written in a feature: hex octets, ``{identity of LABEL}`` where the frame names
    an image of the scenario (its manufacturer code, image type and file version, 8 octets as
    every OTA command carries them) and ``{another manufacturer}`` (2 octets), so the frame
    means the same on any device."""

    parts: tuple[bytes | str, ...]

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(part for part in self.parts if isinstance(part, str) and part != ANOTHER_MANUFACTURER)

    def render(self, identity: Callable[[str], bytes], device_manufacturer: int = 0) -> bytes:
        """The octets, with each image's identity from ``identity(label)`` and another
        manufacturer's code than ``device_manufacturer``."""
        other = another_manufacturer(device_manufacturer).to_bytes(2, "little")
        return b"".join(other if part == ANOTHER_MANUFACTURER else identity(part) if isinstance(part, str)
                        else part for part in self.parts)


def parse_hex_frame(text: str) -> HexFrame:
    """'19 00 02 00 {identity of new}' -> a HexFrame; hex pairs and identity tokens separated by
    single spaces, the 3 octets of a ZCL header at least."""
    expected = ("hex byte pairs separated by single spaces, e.g. '19 00 05 00', "
                "'{identity of LABEL}' for the 8 octets naming an image and '{another manufacturer}' "
                "for 2 octets of a manufacturer code that is not the device's")
    tokens = re.split(r" (?![^{]*\})", text)  # a space inside {...} does not split
    parts: list[bytes | str] = []
    octets = 0
    for token in tokens:
        if _HEX_PAIR.match(token):
            parts.append(bytes.fromhex(token))
            octets += 1
        elif match := _IDENTITY_TOKEN.match(token):
            parts.append(match.group(1))
            octets += 8
        elif token == ANOTHER_MANUFACTURER:
            parts.append(token)
            octets += 2
        else:
            raise _bad("hex frame", text, expected)
    if octets < 3:
        raise _bad("hex frame", text, "at least the 3 bytes of a ZCL header")
    merged: list[bytes | str] = []
    for part in parts:  # adjacent octets as one run, for a readable repr
        if isinstance(part, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += part
        else:
            merged.append(part)
    return HexFrame(tuple(merged))


# ------------------------------------------------------------------- names and choices
_NAME = re.compile(r"^\S(?:.*\S)?$")


def parse_supplier(text: str) -> str:
    """A Supplier's name as quoted in the feature ('Supplier A')."""
    if not _NAME.match(text) or not text.startswith("Supplier "):
        raise _bad("Supplier", text, "a name like 'Supplier A'")
    return text


def parse_label(text: str) -> str:
    """An image label ('new', 'original')."""
    if not _NAME.match(text):
        raise _bad("image label", text, "a non-empty name without surrounding spaces")
    return text


def parse_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise _bad("count", text, "a decimal integer of at least 1")
    return int(text)


def parse_count_list(text: str) -> tuple[int, ...]:
    """'0, 13, 1' -> (0, 13, 1): comma-separated decimal integers from 0 (octets, in turn)."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() for p in parts):
        raise _bad("list of octet counts", text, "comma-separated decimal integers from 0, e.g. '0, 13, 1'")
    return tuple(int(p) for p in parts)


class Relation(enum.Enum):
    NEWER = "newer"
    SAME = "same"
    OLDER = "older"


class Source(enum.Enum):
    HUB = "the hub"
    HHT = "a Hand Held Terminal"
    OTHER_NODE = "another node of the HAN"


class Target(enum.Enum):
    DEVICE = "the device"
    EVERY_DEVICE = "every device"
    DEVICE_AND_OTHER = "the device and the other device"
    DEVICE_TWICE = "the device listed twice"


class Recipient(enum.Enum):
    """Whom a device-specific file's Upgrade File Destination names."""

    DEVICE = "the device"
    ANOTHER_DEVICE = "another device"


class DiscardReason(enum.Enum):
    NOT_RETRIEVED = "the device did not retrieve it in time"
    METER_IMAGE_PRIORITY = "an electricity meter image took priority"


class Alert(enum.Enum):
    A = "(a)"
    B = "(b)"
    C = "(c)"
    IMAGE_DISCARDED = "Image Discarded"


def _choice(cls: type[enum.Enum], what: str, text: str) -> enum.Enum:
    try:
        return cls(text)
    except ValueError:
        raise _bad(what, text, " or ".join(repr(m.value) for m in cls)) from None


def parse_relation(text: str) -> Relation:
    return Relation(_choice(Relation, "relation", text).value)


def parse_source(text: str) -> Source:
    return Source(_choice(Source, "source", text).value)


def parse_target(text: str) -> Target:
    return Target(_choice(Target, "target", text).value)


def parse_recipient(text: str) -> Recipient:
    return Recipient(_choice(Recipient, "recipient", text).value)


def parse_discard_reason(text: str) -> DiscardReason:
    return DiscardReason(_choice(DiscardReason, "discard reason", text).value)


def parse_alert(text: str) -> Alert:
    return Alert(_choice(Alert, "alert", text).value)


def parse_kind(text: str) -> str | None:
    """'device' -> None (the kind the PICS declares), 'IHD' -> 'ihd', 'PPMID' -> 'ppmid'."""
    kinds: dict[str, str | None] = {"device": None, "IHD": "ihd", "PPMID": "ppmid", "HCALCS": "hcalcs"}
    if text not in kinds:
        raise _bad("device kind", text, "'device', 'IHD', 'PPMID' or 'HCALCS'")
    return kinds[text]


# ------------------------------------------------------------------------------- defects
class DefectKind(enum.Enum):
    PAYLOAD_BYTE = "a byte of the Manufacturer Image is changed after signing"
    LAST_PAYLOAD_BYTE = "the last byte of the Manufacturer Image is changed after signing"
    FRAGMENT_BYTE = "a byte of fragment N is changed after signing"
    FRAGMENT_FORGED_DIGEST = ("a byte of fragment N is changed after signing and the whole-image "
                              "digest is forged to match")
    SIGNATURE_MISSING = "the signature is missing"
    SIGNATURE_OTHER_KEY = "the signature is made with another key"
    SIGNATURE_TRUNCATED = "the signature is truncated"
    OTHER_MANUFACTURER = "the manufacturer code is another manufacturer's"
    OTHER_IMAGE_TYPE = "the image type is another image type"
    RESERVED_IMAGE_TYPE = "the image type is 0xNNNN, reserved for device-specific files"
    HARDWARE_ABOVE = "the hardware version range is entirely above the device's"
    HARDWARE_BELOW = "the hardware version range is entirely below the device's"
    # the edges of the range, and no range (SECMP7-NTFY-006): the image stays one to install
    HARDWARE_STARTS_AT = "the hardware version range starts at the device's"
    HARDWARE_ENDS_AT = "the hardware version range ends at the device's"
    HARDWARE_ABSENT = "the image declares no hardware version range"
    # bytes the signature does not cover (total image size left as signed unless it says so)
    BYTES_AFTER_SIGNATURE = "bytes are appended after the signature"
    BYTES_AFTER_SIGNATURE_COUNTED = ("bytes are appended after the signature and the total image size "
                                     "counts them")
    # ZigBee OTA files only: sub-elements outside the signed part
    UPGRADE_ELEMENT_AFTER_SIGNATURE = "a second upgrade image element follows the signature element"
    UPGRADE_ELEMENT_AFTER_SIGNATURE_COUNTED = ("a second upgrade image element follows the signature "
                                               "element and the total image size counts it")
    UNKNOWN_ELEMENT_AFTER_SIGNATURE = ("an element with a tag the device does not know follows the "
                                       "signature element")
    SIGNATURE_COPY_AFTER_UPGRADE_ELEMENT = ("a second upgrade image element and a copy of the signature "
                                            "element follow the signature element")
    SIGNATURE_FIRST = "the signature element is moved before the upgrade image element"
    # fragment descriptors with a forged fragment count
    COUNT_ONE_FEWER = "every fragment declares one fragment fewer than there are"
    COUNT_ONE_MORE = "every fragment declares one fragment more than there are"
    COUNT_DIFFERS = "fragment N declares one fragment more than the others"


@dataclass(frozen=True)
class Defect:
    kind: DefectKind
    #: 1-based, for FRAGMENT_BYTE, FRAGMENT_FORGED_DIGEST and COUNT_DIFFERS
    fragment: int | None = None
    #: the image type, for RESERVED_IMAGE_TYPE (0xFFC0-0xFFFE)
    image_type: int | None = None


_FRAGMENT_BYTE = re.compile(r"^a byte of fragment (\d+) is changed after signing"
                            r"( and the whole-image digest is forged to match)?$")
_COUNT_DIFFERS = re.compile(r"^fragment (\d+) declares one fragment more than the others$")
_NUMBERED = (DefectKind.FRAGMENT_BYTE, DefectKind.FRAGMENT_FORGED_DIGEST, DefectKind.COUNT_DIFFERS)


_RESERVED_TYPE = re.compile(r"^the image type is 0x([0-9A-Fa-f]{4}), reserved for device-specific files$")


def parse_defect(text: str) -> Defect:
    if m := _RESERVED_TYPE.match(text):
        if not 0xFFC0 <= int(m[1], 16) <= 0xFFFE:
            raise _bad("image defect", text, "an image type from 0xFFC0 to 0xFFFE (ZigBee 095264's "
                       "range for device-specific files)")
        return Defect(DefectKind.RESERVED_IMAGE_TYPE, image_type=int(m[1], 16))
    if m := _FRAGMENT_BYTE.match(text):
        if int(m[1]) < 1:
            raise _bad("image defect", text, "a fragment number from 1")
        kind = DefectKind.FRAGMENT_FORGED_DIGEST if m[2] else DefectKind.FRAGMENT_BYTE
        return Defect(kind, int(m[1]))
    if m := _COUNT_DIFFERS.match(text):
        if int(m[1]) < 1:
            raise _bad("image defect", text, "a fragment number from 1")
        return Defect(DefectKind.COUNT_DIFFERS, int(m[1]))
    for kind in DefectKind:
        if kind not in _NUMBERED and kind is not DefectKind.RESERVED_IMAGE_TYPE and kind.value == text:
            return Defect(kind)
    raise _bad("image defect", text, "one of the defects listed in features/README.md")


# ------------------------------------------------------------------- the DCC side's choices
class _Quoted:
    """A quoted step parameter: text without a double quote (parse's ``pattern`` protocol)."""

    pattern = r'[^"]+'

    def __call__(self, text: str) -> str:
        return text


#: Types for step patterns (``parsers.parse(..., extra_types=STEP_TYPES)``): ``"{name:q}"`` is a
#: quoted parameter with no double quote inside, so a phrasing never matches a longer one's
#: (``... from "{supplier:q}"`` does not take ``"Supplier A" because "..."``).
STEP_TYPES = {"q": _Quoted()}

#: CCS08 Firmware Transfer Alert response codes (domain.md section 2b).
CCS08_CODES = {"Success": 0, "Image Discarded": 1, "Hardware Version Mismatch": 2, "File Transfer Failure": 3}
#: A CS08 responseCode and 0x8F8B's activateImage.
RESULTS = {"Success": 0, "Failure": 1}
#: The SR 11.3 activation outcome (CS06 alert 0x8F66 / 0x8F67 response code).
ACTIVATION_OUTCOMES = {"Success": 0, "No Image Held": 1, "Hash Mismatch": 2, "Activation Failure": 3}
_GBCS_ALERT = re.compile(r"^0x[0-9A-Fa-f]{4}$")


def _code(table: dict[str, int], what: str, text: str) -> int:
    try:
        return table[text]
    except KeyError:
        raise _bad(what, text, " or ".join(repr(k) for k in table)) from None


def parse_ccs08_code(text: str) -> int:
    return _code(CCS08_CODES, "CCS08 response code", text)


def parse_result(text: str) -> int:
    return _code(RESULTS, "result", text)


def parse_activation_outcome(text: str) -> int:
    return _code(ACTIVATION_OUTCOMES, "activation outcome", text)


def parse_gbcs_alert_code(text: str) -> int:
    """'0x8F89' -> 0x8F89."""
    if not _GBCS_ALERT.match(text):
        raise _bad("GBCS alert code", text, "four hex digits after 0x, e.g. '0x8F89'")
    return int(text, 16)


class Irregularity(enum.Enum):
    """What makes a Service Request irregular: the role it is sent in, or its FirmwareVersion."""

    EXPORT_SUPPLIER = "the role Export Supplier"
    ELECTRICITY_DISTRIBUTOR = "the role Electricity Distributor"
    GAS_TRANSPORTER = "the role Gas Transporter"
    OTHER_USER = "the role Other User"
    OTHER_VERSION = "a FirmwareVersion other than the image header's"


class RejectionReason(enum.Enum):
    """Why the DCC rejects a Service Request, in the features' words."""

    ROLE_MAY_NOT_SEND = "its role may not send it"
    FIRMWARE_VERSION_MISMATCH = "its FirmwareVersion differs from the image header"


class ImageHash(enum.Enum):
    """The hash an SR 11.3 'Activate Firmware' carries."""

    MANUFACTURER_IMAGE = "its Manufacturer Image hash"
    WRONG = "a wrong hash"


def parse_irregularity(text: str) -> Irregularity:
    return Irregularity(_choice(Irregularity, "irregularity", text).value)


def parse_rejection_reason(text: str) -> RejectionReason:
    return RejectionReason(_choice(RejectionReason, "rejection reason", text).value)


def parse_image_hash(text: str) -> ImageHash:
    return ImageHash(_choice(ImageHash, "image hash", text).value)


# ------------------------------------------------------------------- Image Notify (SECMP7-NTFY)
class NotifyField(enum.Enum):
    """A manufacturer code or image type in an Image Notify, relative to the device's own."""

    OWN = "the device's"
    OTHER = "another"
    WILDCARD = "the wildcard"


class NotifyVersion(enum.Enum):
    """The new file version of an Image Notify of payload type 3, relative to the running one."""

    RUNNING = "the running"
    NEWER = "a newer"
    OLDER = "an older"
    WILDCARD = "the wildcard"


@dataclass(frozen=True)
class NotifyFields:
    """The fields an Image Notify names after its query jitter (None: not named)."""

    manufacturer_code: NotifyField | None = None
    image_type: NotifyField | None = None
    file_version: NotifyVersion | None = None

    @property
    def payload_type(self) -> int:
        """The payload type that carries exactly these fields."""
        return sum(f is not None for f in (self.manufacturer_code, self.image_type, self.file_version))


class NotifyShare(enum.Enum):
    """How many of the Image Notify commands the device answers."""

    EACH = "each Image Notify"
    NONE = "no Image Notify"
    JITTER = "a share of the Image Notify consistent with the query jitter"


_NOTIFY_ITEM = re.compile(r"^(.+) (manufacturer code|image type|file version)$")
_NOTIFY_ORDER = ("manufacturer code", "image type", "file version")


def parse_notify_fields(text: str) -> NotifyFields:
    """'nothing', or the fields in their order: "the device's manufacturer code, another image
    type, a newer file version" (values: the device's, another, the wildcard; for the file
    version: the running, a newer, an older, the wildcard)."""
    expected = ("'nothing' or, in this order, '<value> manufacturer code', '<value> image type', "
                "'<version> file version' separated by ', '")
    if text == "nothing":
        return NotifyFields()
    values: dict[str, str] = {}
    for item in text.split(", "):
        m = _NOTIFY_ITEM.match(item)
        if m is None or m[2] in values:
            raise _bad("Image Notify fields", text, expected)
        values[m[2]] = m[1]
    if tuple(values) != _NOTIFY_ORDER[:len(values)]:
        raise _bad("Image Notify fields", text, expected)
    manufacturer = values.get("manufacturer code")
    image_type = values.get("image type")
    version = values.get("file version")
    return NotifyFields(
        None if manufacturer is None else _notify_field("manufacturer code", manufacturer),
        None if image_type is None else _notify_field("image type", image_type),
        None if version is None else cast(NotifyVersion, _choice(NotifyVersion, "file version", version)))


def _notify_field(what: str, text: str) -> NotifyField:
    return cast(NotifyField, _choice(NotifyField, what, text))


def parse_addressing(text: str) -> bool:
    """'broadcasts' (True) or 'unicasts' (False)."""
    if text not in ("broadcasts", "unicasts"):
        raise _bad("addressing", text, "'broadcasts' or 'unicasts'")
    return text == "broadcasts"


def parse_notify_share(text: str) -> NotifyShare:
    return cast(NotifyShare, _choice(NotifyShare, "share of the Image Notify", text))
