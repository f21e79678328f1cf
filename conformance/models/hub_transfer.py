"""One device's transfer at the reference Communications Hub, as data: its states, its inputs and
every transition (one table, one file), the hub's record of it, and the events the hub raises
to the DCC. :mod:`.comms_hub` implements it; docs/reference-models.md is made from
:func:`target_transitions_markdown`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from hanota.protocol import ota_image

__all__ = [
    "TARGET_TRANSITIONS",
    "ActivationOutcome",
    "FirmwareTransferAlert",
    "FirmwareVersionAlert",
    "HubEvent",
    "HubViolation",
    "TargetInput",
    "TargetState",
    "TransferResponseCode",
    "target_transitions_markdown",
]


class TransferResponseCode(enum.IntEnum):
    """CCS08 Firmware Transfer Alert response codes (SEC as implemented, domain 2b)."""

    SUCCESS = 0
    IMAGE_DISCARDED = 1
    HARDWARE_VERSION_MISMATCH = 2
    FILE_TRANSFER_FAILURE = 3


@dataclass(frozen=True)
class FirmwareTransferAlert:
    """CCS08: a device finished (SUCCESS) or failed its transfer of the image of ``request_id``.

    ``frame`` is the GBCS frame the hub sends on the WAN (``gbcs_wan.transfer_alert``); the
    DCC acts on what it decodes from it. ``request_id`` is the distribution it answers (the
    hub's own record; GBCS does not carry it)."""

    request_id: str
    device: int
    response_code: TransferResponseCode
    time_ms: int
    frame: bytes = field(default=b"", compare=False, repr=False)


@dataclass(frozen=True)
class FirmwareVersionAlert:
    """0x8F8B: the firmware version read back from a device after its activation was due."""

    request_id: str
    device: int
    firmware_version: int
    activated: bool
    time_ms: int
    #: the CS08 alert 0x8F8B as a GBCS frame on the WAN (``gbcs_wan.version_alert``).
    frame: bytes = field(default=b"", compare=False, repr=False)


@dataclass(frozen=True)
class ActivationOutcome:
    """CS06's outcome for an HCALCS (future-dated alert 0x00CA: 0x8F66 / 0x8F67)."""

    request_id: str
    device: int
    response_code: int  # ActivationResponseCode
    time_ms: int
    frame: bytes = field(default=b"", compare=False, repr=False)


HubEvent = FirmwareTransferAlert | FirmwareVersionAlert | ActivationOutcome

class TargetState(enum.Enum):
    # members are singletons: identity hashing is exact and far cheaper than hashing the name
    __hash__ = object.__hash__

    NOTIFIED = "notified"
    DOWNLOADING = "downloading"
    WAIT_MORE = "wait-more"
    AWAITING_ACTIVATION = "awaiting-activation"
    READBACK = "readback"
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"


class TargetInput(enum.Enum):
    # members are singletons: identity hashing is exact and far cheaper than hashing the name
    __hash__ = object.__hash__

    QUERY = "Query Next Image Request"
    BLOCK_REQUEST = "Image Block Request"
    END_SUCCESS = "Upgrade End Request SUCCESS"
    END_REQUIRE_MORE = "Upgrade End Request REQUIRE_MORE_IMAGE"
    END_FAILURE = "Upgrade End Request INVALID_IMAGE / ABORT"
    STALL_TIMER = "no word from the device for stall_timeout_ms (timer)"
    ACTIVATION_TIMER = "activation time reached (timer)"
    ACTIVATION_COMMAND = "CS06 Activate Firmware executed, its hash the image's (HCALCS, SR 11.3)"
    READ_RESPONSE = "Read Attributes Response"
    READBACK_TIMER = "no Read Attributes Response in time (timer)"
    IMAGE_REPLACED = "another image stored"
    NEXT_FRAGMENT = "the next image stored, this device a target of it"


@dataclass(frozen=True)
class _Row:
    next_states: frozenset[TargetState]
    action: str


def _r(action: str, *states: TargetState) -> _Row:
    return _Row(frozenset(states), action)


T, TI = TargetState, TargetInput

#: Every transition of one device's transfer. Pairs absent here: the frame is answered as ZCL
#: says (NO_IMAGE_AVAILABLE, ABORT or a Default Response), recorded, and the state is unchanged.
TARGET_TRANSITIONS: dict[tuple[TargetState, TargetInput], _Row] = {
    (T.NOTIFIED, TI.QUERY): _r(
        "hardware version outside the image's range: NO_IMAGE_AVAILABLE and CCS08 "
        "HARDWARE_VERSION_MISMATCH; else offer the image (Query Next Image Response SUCCESS)",
        T.DOWNLOADING, T.FAILED),
    (T.NOTIFIED, TI.STALL_TIMER): _r("notify again; after max_notifies the image was never retrieved: "
                                     "CCS08 IMAGE_DISCARDED", T.NOTIFIED, T.DISCARDED),
    (T.NOTIFIED, TI.END_FAILURE): _r("the device refused the offer: CCS08 FILE_TRANSFER_FAILURE",
                                     T.FAILED),
    (T.NOTIFIED, TI.IMAGE_REPLACED): _r("CCS08 IMAGE_DISCARDED", T.DISCARDED),
    (T.DOWNLOADING, TI.QUERY): _r("offer the image again (the device resumes)", T.DOWNLOADING),
    (T.DOWNLOADING, TI.BLOCK_REQUEST): _r(
        "first request (if a MinimumBlockPeriod or a wait is configured): WAIT_FOR_DATA; else "
        "the block at the asked offset, at most the asked size; note a request sooner than "
        "MinimumBlockPeriod or the WAIT_FOR_DATA time as a violation", T.DOWNLOADING),
    (T.DOWNLOADING, TI.END_SUCCESS): _r(
        "Upgrade End Response upgrade_time 0xFFFFFFFF (wait); CCS08 SUCCESS; schedule the "
        "activating Upgrade End Response", T.AWAITING_ACTIVATION),
    (T.DOWNLOADING, TI.END_REQUIRE_MORE): _r("the device holds a fragment: wait for the next image",
                                             T.WAIT_MORE),
    (T.DOWNLOADING, TI.END_FAILURE): _r(
        "CCS08 FILE_TRANSFER_FAILURE (HARDWARE_VERSION_MISMATCH if the device's hardware version "
        "is outside the image's range)", T.FAILED),
    (T.DOWNLOADING, TI.STALL_TIMER): _r("notify again; after max_notifies CCS08 FILE_TRANSFER_FAILURE",
                                        T.DOWNLOADING, T.FAILED),
    (T.DOWNLOADING, TI.IMAGE_REPLACED): _r("CCS08 IMAGE_DISCARDED", T.DISCARDED),
    (T.WAIT_MORE, TI.NEXT_FRAGMENT): _r("notify the device of the next image", T.NOTIFIED),
    (T.WAIT_MORE, TI.IMAGE_REPLACED): _r("CCS08 IMAGE_DISCARDED", T.DISCARDED),
    (T.AWAITING_ACTIVATION, TI.ACTIVATION_COMMAND): _r(
        "send the activating Upgrade End Response; schedule the read-back, after which 0x8F66 "
        "(0x00CA) reports the outcome (a hash that is not the image's: 0x8F67 hashMismatch, no "
        "transition)", T.READBACK),
    (T.AWAITING_ACTIVATION, TI.ACTIVATION_TIMER): _r(
        "send the activating Upgrade End Response (upgrade_time = now + activation_offset_s); "
        "schedule the read-back", T.READBACK),
    (T.READBACK, TI.READ_RESPONSE): _r(
        "0x8F8B FirmwareVersionAlert with the version read; activated = it is the image's",
        T.DONE),
    (T.READBACK, TI.READBACK_TIMER): _r(
        "send Read Attributes (CurrentFileVersion, ImageUpgradeStatus); on the last try without "
        "answer, 0x8F8B with the last known version, activated = False, and CS08 reads of the "
        "device answer responseCode 1 until it answers again", T.READBACK, T.DONE),
}


_TERMINAL = frozenset({TargetState.DONE, TargetState.FAILED, TargetState.DISCARDED})


@dataclass
class _Target:
    device: int
    request_id: str
    state: TargetState = TargetState.NOTIFIED
    notifies: int = 0
    timer: Any = None  # the armed timer, None when none is
    timer_event: TargetInput = TargetInput.STALL_TIMER
    timer_handle: Any = None  # one timer per target, re-armed in place
    last_block_ms: int | None = None
    not_before_ms: int = 0
    waited: bool = False
    reads: int = 0
    hardware_version: int | None = None
    image: ota_image.OtaImage | None = None
    executed_ms: int = 0  # when the activating Upgrade End Response told it to activate
    #: HCALCS (SR 11.1): activation waits for CS06; then the CS06 command's originator counter.
    by_command: bool = False
    command_counter: int | None = None


@dataclass
class _Stored:
    request_id: str
    data: bytes
    image: ota_image.OtaImage
    targets: dict[int, _Target] = field(default_factory=dict)
    by_command: bool = False  # SR 11.1: its targets activate on CS06 only


@dataclass(frozen=True)
class HubViolation:
    time_ms: int
    device: int
    reason: str


def target_transitions_markdown() -> str:
    """The hub's per-device transfer table as Markdown (for docs/reference-models.md)."""
    lines = ["| state | input | next state(s) | action |", "|---|---|---|---|"]
    for (state, event), row in TARGET_TRANSITIONS.items():
        nexts = ", ".join(s.value for s in TargetState if s in row.next_states)
        lines.append(f"| {state.value} | {event.value} | {nexts} | {row.action} |")
    return "\n".join(lines) + "\n"
