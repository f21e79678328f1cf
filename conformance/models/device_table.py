"""The reference device's state machine as data: its states, its inputs and every transition
(one table, one file: h11 rule 1). :mod:`.device` implements it; docs/reference-models.md is
made from :func:`transitions_markdown`."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hanota.protocol.zcl import ImageUpgradeStatus

__all__ = ["TRANSITIONS", "UPGRADE_STATUS", "DeviceInput", "DeviceState", "Transition",
           "transitions_markdown"]


class DeviceState(enum.Enum):
    # members are singletons: identity hashing is exact and far cheaper than hashing the name
    __hash__ = object.__hash__

    IDLE = "idle"
    QUERY_SCHEDULED = "query-scheduled"
    QUERYING = "querying"
    BLOCK_REQUESTED = "block-requested"
    BLOCK_WAIT = "block-wait"
    END_REQUESTED = "end-requested"
    WAITING_TO_UPGRADE = "waiting-to-upgrade"
    COUNTDOWN = "countdown"


class DeviceInput(enum.Enum):
    """What can happen to the device: a frame from its OTA server, a timer, or a local act."""

    # members are singletons: identity hashing is exact and far cheaper than hashing the name
    __hash__ = object.__hash__

    QUERY_NOW = "query-now (local)"
    IMAGE_NOTIFY = "Image Notify"
    QUERY_RESPONSE_SUCCESS = "Query Next Image Response SUCCESS"
    QUERY_RESPONSE_NO_IMAGE = "Query Next Image Response not SUCCESS"
    BLOCK_RESPONSE_SUCCESS = "Image Block Response SUCCESS"
    BLOCK_RESPONSE_WAIT = "Image Block Response WAIT_FOR_DATA"
    BLOCK_RESPONSE_ABORT = "Image Block Response ABORT"
    UPGRADE_END_RESPONSE = "Upgrade End Response"
    QUERY_TIMER = "query jitter delay elapsed (timer)"
    BLOCK_TIMER = "block wait elapsed (timer)"
    RESPONSE_TIMEOUT = "response timeout (timer)"
    ACTIVATION_TIMER = "upgrade time reached (timer)"
    WAIT_POLL_TIMER = "waiting to upgrade: time to ask the hub again (timer)"


@dataclass(frozen=True)
class Transition:
    next_states: frozenset[DeviceState]
    action: str


def _t(action: str, *states: DeviceState) -> Transition:
    return Transition(frozenset(states), action)


S, I = DeviceState, DeviceInput  # noqa: E741 - table shorthand

_IGNORE_BUSY = "ignored: an upgrade is already under way"

#: Every transition of the device. Read Attributes and Default Response are answered/accepted in
#: every state and change no state, so they are not rows (a Default Response UNSUP_CLUSTER_COMMAND
#: to an Image Page Request makes the device ask by Image Block Requests instead: .device_requests).
#: A (state, input) pair absent here is illegal: IllegalEventError, state unchanged.
TRANSITIONS: dict[tuple[DeviceState, DeviceInput], Transition] = {
    (S.IDLE, I.QUERY_NOW): _t("send Query Next Image Request", S.QUERYING),
    (S.IDLE, I.IMAGE_NOTIFY): _t(
        "broadcast: check the payload type's fields (own value or wildcard; type 3: not the "
        "version running or downloaded), draw 1..100, answer only if <= query jitter; unicast: "
        "always answer; answering: schedule Query Next Image after a random delay",
        S.QUERY_SCHEDULED, S.IDLE),
    (S.QUERY_SCHEDULED, I.QUERY_TIMER): _t("send Query Next Image Request", S.QUERYING),
    (S.QUERY_SCHEDULED, I.QUERY_NOW): _t("send Query Next Image Request now", S.QUERYING),
    (S.QUERY_SCHEDULED, I.IMAGE_NOTIFY): _t("ignored: a query is already scheduled",
                                             S.QUERY_SCHEDULED),
    (S.QUERYING, I.QUERY_RESPONSE_SUCCESS): _t(
        "check the offer (manufacturer, image type, version, size); resume from FileOffset if it "
        "is the interrupted image, else start at 0; send Image Block Request (with the whole image "
        "already kept over a power cycle: verify it, send Upgrade End Request) — or refuse the "
        "offer with Upgrade End Request INVALID_IMAGE", S.BLOCK_REQUESTED, S.END_REQUESTED, S.IDLE),
    (S.QUERYING, I.QUERY_RESPONSE_NO_IMAGE): _t("nothing to do", S.IDLE),
    (S.QUERYING, I.RESPONSE_TIMEOUT): _t("resend Query Next Image; give up after max_retries",
                                         S.QUERYING, S.IDLE),
    (S.QUERYING, I.IMAGE_NOTIFY): _t("ignored: a query is outstanding", S.QUERYING),
    (S.QUERYING, I.QUERY_NOW): _t("ignored: a query is outstanding", S.QUERYING),
    (S.BLOCK_REQUESTED, I.BLOCK_RESPONSE_SUCCESS): _t(
        "refuse a block at another offset, larger than asked or past the image (state kept; the "
        "timeout re-requests); else store it, advance FileOffset; when complete verify and send "
        "Upgrade End Request; within a page asked by Image Page Request await its next block; else "
        "request the next block (or page), waiting MinimumBlockPeriod",
        S.BLOCK_REQUESTED, S.BLOCK_WAIT, S.END_REQUESTED, S.IDLE),
    (S.BLOCK_REQUESTED, I.BLOCK_RESPONSE_WAIT): _t(
        "take MinimumBlockPeriod from the response; retry the same offset after "
        "request_time - current_time", S.BLOCK_WAIT),
    (S.BLOCK_REQUESTED, I.BLOCK_RESPONSE_ABORT): _t(
        "server aborted: discard the download (fault ignore-abort: ask again after the response "
        "timeout)", S.IDLE, S.BLOCK_WAIT),
    (S.BLOCK_REQUESTED, I.RESPONSE_TIMEOUT): _t(
        "re-request at FileOffset; after max_retries give up, keeping the partial download "
        "to resume", S.BLOCK_REQUESTED, S.IDLE),
    (S.BLOCK_REQUESTED, I.IMAGE_NOTIFY): _t(_IGNORE_BUSY, S.BLOCK_REQUESTED),
    (S.BLOCK_REQUESTED, I.QUERY_NOW): _t(_IGNORE_BUSY, S.BLOCK_REQUESTED),
    (S.BLOCK_WAIT, I.BLOCK_TIMER): _t("send Image Block Request at FileOffset", S.BLOCK_REQUESTED),
    (S.BLOCK_WAIT, I.IMAGE_NOTIFY): _t(_IGNORE_BUSY, S.BLOCK_WAIT),
    (S.BLOCK_WAIT, I.QUERY_NOW): _t(_IGNORE_BUSY, S.BLOCK_WAIT),
    (S.END_REQUESTED, I.UPGRADE_END_RESPONSE): _t(
        "upgrade_time 0xFFFFFFFF: wait for a further command; else count down to the upgrade "
        "time (current_time 0: an offset) and activate", S.WAITING_TO_UPGRADE, S.COUNTDOWN,
        S.IDLE),
    (S.END_REQUESTED, I.RESPONSE_TIMEOUT): _t(
        "resend Upgrade End Request; after max_retries discard the image", S.END_REQUESTED, S.IDLE),
    (S.END_REQUESTED, I.IMAGE_NOTIFY): _t(_IGNORE_BUSY, S.END_REQUESTED),
    (S.END_REQUESTED, I.QUERY_NOW): _t(_IGNORE_BUSY, S.END_REQUESTED),
    (S.WAITING_TO_UPGRADE, I.UPGRADE_END_RESPONSE): _t(
        "the hub's activating command: count down to the upgrade time, or keep waiting on "
        "0xFFFFFFFF", S.WAITING_TO_UPGRADE, S.COUNTDOWN, S.IDLE),
    (S.WAITING_TO_UPGRADE, I.WAIT_POLL_TIMER): _t(
        "ask the hub again: Upgrade End Request SUCCESS for the image held; again after the wait "
        "poll interval (095264 recommends at least hourly)", S.WAITING_TO_UPGRADE),
    (S.WAITING_TO_UPGRADE, I.IMAGE_NOTIFY): _t(_IGNORE_BUSY, S.WAITING_TO_UPGRADE),
    (S.WAITING_TO_UPGRADE, I.QUERY_NOW): _t(_IGNORE_BUSY, S.WAITING_TO_UPGRADE),
    (S.COUNTDOWN, I.ACTIVATION_TIMER): _t("activate the verified image", S.IDLE),
    (S.COUNTDOWN, I.UPGRADE_END_RESPONSE): _t("reschedule (or wait on 0xFFFFFFFF)",
                                              S.WAITING_TO_UPGRADE, S.COUNTDOWN, S.IDLE),
    (S.COUNTDOWN, I.IMAGE_NOTIFY): _t(_IGNORE_BUSY, S.COUNTDOWN),
    (S.COUNTDOWN, I.QUERY_NOW): _t(_IGNORE_BUSY, S.COUNTDOWN),
}

UPGRADE_STATUS: dict[DeviceState, ImageUpgradeStatus] = {
    S.IDLE: ImageUpgradeStatus.NORMAL,
    S.QUERY_SCHEDULED: ImageUpgradeStatus.NORMAL,
    S.QUERYING: ImageUpgradeStatus.NORMAL,
    S.BLOCK_REQUESTED: ImageUpgradeStatus.DOWNLOAD_IN_PROGRESS,
    S.BLOCK_WAIT: ImageUpgradeStatus.DOWNLOAD_IN_PROGRESS,
    S.END_REQUESTED: ImageUpgradeStatus.DOWNLOAD_COMPLETE,
    S.WAITING_TO_UPGRADE: ImageUpgradeStatus.WAITING_TO_UPGRADE,
    S.COUNTDOWN: ImageUpgradeStatus.COUNT_DOWN,
}


def transitions_markdown() -> str:
    """The device's transition table as Markdown (docs/reference-models.md is made from it)."""
    lines = ["| state | input | next state(s) | action |", "|---|---|---|---|"]
    for (state, event), row in TRANSITIONS.items():
        nexts = ", ".join(s.value for s in DeviceState if s in row.next_states)
        lines.append(f"| {state.value} | {event.value} | {nexts} | {row.action} |")
    return "\n".join(lines) + "\n"
