"""The stages of an upgrade as the hub sees them, and the device's OTA attributes read at each
(features/upgrade_status.feature, SECMP7-STAT).

The scenario moves the download to a stage (part of the image served, the Upgrade End Request
received and held, answered), then reads the device's ImageUpgradeStatus, UpgradeServerID,
FileOffset, DownloadedFileVersion and CurrentFileVersion with one Read Attributes from the hub.
Each value is judged against what the played hub itself did: its EUI-64, the image it offered,
the data it delivered before the read. Nothing the device says about itself is the yardstick.
"""

from __future__ import annotations

import itertools

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import DeviceViolationError, HarnessUsageError
from hanota.protocol.zcl import ImageUpgradeStatus, OtaAttribute, Status

from .clock import MAX_DOWNLOAD_MS
from .hub import Offer, OfferState
from .observe import FrameLog
from .part import HarnessPart

__all__ = ["STAGE_ATTRIBUTES", "UpgradeLifecycle"]

#: What one stage read asks for (ImageUpgradeStatus and UpgradeServerID are mandatory in 095264;
#: the others are optional attributes, judged where the device supports them).
STAGE_ATTRIBUTES = (OtaAttribute.IMAGE_UPGRADE_STATUS, OtaAttribute.UPGRADE_SERVER_ID,
                    OtaAttribute.FILE_OFFSET, OtaAttribute.DOWNLOADED_FILE_VERSION,
                    OtaAttribute.CURRENT_FILE_VERSION)
_MANDATORY = (OtaAttribute.IMAGE_UPGRADE_STATUS, OtaAttribute.UPGRADE_SERVER_ID)
#: Stages at which the device holds (part of) the offered image: DownloadedFileVersion names it.
_HOLDING = (ImageUpgradeStatus.DOWNLOAD_IN_PROGRESS, ImageUpgradeStatus.DOWNLOAD_COMPLETE,
            ImageUpgradeStatus.WAITING_TO_UPGRADE, ImageUpgradeStatus.COUNT_DOWN)


class UpgradeLifecycle(HarnessPart):
    """Acts that bring the download to a stage, and the check of the attributes at that stage."""

    # ------------------------------------------------------------------ the hub's script
    def hold_end_response(self) -> None:
        self._scene.player_().script.hold_end_response = True

    def wildcard_end_response(self, fields: frozenset[str]) -> None:
        self._scene.player_().script.end_response_wildcards = fields

    # ------------------------------------------------------------------ stages
    def run_until_served(self, size: int) -> None:
        """Let the download run until the hub has served ``size`` bytes of the offered image."""
        offer = self._scene.player_().require_offer()
        if size >= sum(len(part) for part in offer.parts):
            raise HarnessUsageError(f"{size} bytes is not part of image {offer.label!r}: it is the whole")
        bound = self._bound_ms()
        if not self._clock.run_until(lambda: offer.served_total >= size or offer.state is OfferState.ENDED,
                                     bound):
            raise DeviceViolationError(f"expected the device to download {size} bytes of image "
                                       f"{offer.label!r} within {bound} ms, but the hub served "
                                       f"{offer.served_total}; {self._log.last_frames()}")
        if offer.served_total < size:
            raise DeviceViolationError(
                f"expected the device to download image {offer.label!r} past {size} bytes, but the "
                f"transfer ended ({offer.ended_because or 'withdrawn'}) after {offer.served_total} "
                f"bytes; {self._log.last_frames()}")

    def run_until_end_request(self) -> None:
        """Let the download run until the device sends its Upgrade End Request SUCCESS (which the
        hub holds, :meth:`hold_end_response`)."""
        offer = self._scene.player_().require_offer()
        self._clock.run_until(lambda: offer.held_end is not None or offer.state is OfferState.ENDED,
                              self._bound_ms())
        if offer.held_end is None:
            raise DeviceViolationError(
                f"expected an Upgrade End Request with status SUCCESS for image {offer.label!r}, but "
                f"the transfer ended without one ({offer.ended_because or 'no answer'}); "
                f"{self._log.last_frames()}")

    def _bound_ms(self) -> int:
        """How long a stage may take: the suite's bound, or a wall-time device's max_download_ms."""
        return self._config.pics.timing.max_download_ms if self._scene.wall_time else MAX_DOWNLOAD_MS

    def answer_end_request(self) -> None:
        self._scene.player_().answer_held_end()
        self._clock.pump()

    # ------------------------------------------------------------------ the read and its check
    def check_stage(self, status: ImageUpgradeStatus, label: str) -> str | None:
        """One Read Attributes of :data:`STAGE_ATTRIBUTES`, each judged against what the hub did:
        ImageUpgradeStatus ``status``; UpgradeServerID the hub's EUI-64; CurrentFileVersion the
        firmware the device ran at the start; while the device holds image ``label``,
        DownloadedFileVersion its file version; while downloading, FileOffset the bytes of it the
        hub delivered before the read."""
        player = self._scene.player_()
        offer = player.require_offer()
        info = self._images.image(label)
        values, read_at = self._read()
        wants: dict[OtaAttribute, tuple[int, str]] = {
            OtaAttribute.IMAGE_UPGRADE_STATUS: (int(status), "the stage the hub brought it to"),
            OtaAttribute.UPGRADE_SERVER_ID: (player.eui64, f"the hub's EUI-64 {player.eui64:016x}"),
            OtaAttribute.CURRENT_FILE_VERSION: (self._images.version_of("original"),
                                                "the version of image 'original'")}
        if status in _HOLDING:
            wants[OtaAttribute.DOWNLOADED_FILE_VERSION] = (info.file_version,
                                                           f"the version of image {label!r}")
        if status is ImageUpgradeStatus.DOWNLOAD_IN_PROGRESS:
            delivered = self._delivered_before(offer, read_at)
            wants[OtaAttribute.FILE_OFFSET] = (delivered, f"the {delivered} bytes the hub delivered")
        wrong = [f"{attr.name} {_show(attr, got)} (expected {_show(attr, want)}, {why})"
                 for attr, (want, why) in wants.items()
                 if (got := values.get(attr)) is not None and got != want]
        unsupported = [a.name for a in STAGE_ATTRIBUTES if values.get(a) is None]
        if wrong:
            note = f"; not supported: {', '.join(unsupported)}" if unsupported else ""
            return (f"expected the device at stage {status.name} of the download of image {label!r} "
                    f"to report its attributes as the hub served it, but Read Attributes gave "
                    f"{'; '.join(wrong)}{note}; {self._log.last_frames()}")
        return None

    def check_repolls(self, label: str, period_ms: int) -> str | None:
        """Told to wait for the hub's command, the device asked again (Upgrade End Request SUCCESS
        for image ``label``) at least every ``period_ms`` until now."""
        info = self._images.image(label)
        identity = (info.manufacturer_code, info.image_type, info.file_version)
        now = self._scene.clock.now_ms
        gaps = _wait_gaps(self._log, identity, now)
        if gaps is None:
            raise HarnessUsageError("the hub never told the device to wait for a further command")
        if gaps[-1][1] - gaps[0][0] < 2 * period_ms:
            raise HarnessUsageError(f"the device waited {gaps[-1][1] - gaps[0][0]} ms: too short to "
                                    f"judge asking again every {period_ms} ms")
        for since, until in gaps:
            if until - since > period_ms:
                return (f"expected the device, told to wait for the hub's command, to ask again with an "
                        f"Upgrade End Request SUCCESS for image {label!r} at least every {period_ms} ms, "
                        f"but it sent none from t={since} ms to t={until} ms; "
                        f"{self._log.last_frames(sent_by_dut=True)}")
        return None

    def _read(self) -> tuple[dict[OtaAttribute, int | None], int]:
        """Read :data:`STAGE_ATTRIBUTES` from the hub: value per attribute (None where the device
        answered UNSUPPORTED_ATTRIBUTE for an optional one) and the log index of the request."""
        player = self._scene.player_()
        first = len(self._scene.network.log)
        tsn = player.read(STAGE_ATTRIBUTES)
        self._clock.pump()
        timeout = self._config.pics.timing.response_timeout_ms
        for _ in range(0, timeout, 100):
            if player.reads.get(tsn) is not None:
                break
            self._clock.advance(100)
        answer = player.reads.pop(tsn, None)
        if answer is None:
            raise DeviceViolationError(f"the device did not answer Read Attributes (transaction "
                                       f"sequence number {tsn}) within {timeout} ms; "
                                       f"{self._log.last_frames()}")
        read_at = next((f.index for f in self._log.frames_of(oc.ReadAttributes, sent_by_dut=False)
                        if f.index >= first), first)
        values: dict[OtaAttribute, int | None] = {}
        for record in answer.records:
            try:
                attr = OtaAttribute(record.attribute_id)
            except ValueError:
                continue
            if record.status == Status.SUCCESS and record.value is not None:
                values[attr] = int(record.value)
            elif record.status == Status.UNSUPPORTED_ATTRIBUTE and attr not in _MANDATORY:
                values[attr] = None
        missing = [a.name for a in STAGE_ATTRIBUTES if a not in values]
        if missing:
            raise DeviceViolationError(f"Read Attributes Response lacks {', '.join(missing)} (a "
                                       f"mandatory attribute, or no status record at all): {answer}")
        return values, read_at

    def _delivered_before(self, offer: Offer, index: int) -> int:
        """The bytes of the offered image that reached the device, contiguous from offset 0, in
        Image Block Responses delivered before frame ``index`` of the HAN log."""
        info = offer.info
        identity = (info.manufacturer_code, info.image_type, info.file_version)
        lost = {id(frame) for _, frame in self._scene.network.dropped}
        delivered = 0
        blocks = self._log.frames_of(oc.ImageBlockResponse, sent_by_dut=False)
        for seen in itertools.takewhile(lambda s: s.index < index, blocks):
            cmd = seen.command
            if cmd.status == Status.SUCCESS and cmd.image_data and cmd.file_offset == delivered \
                    and (cmd.manufacturer_code, cmd.image_type, cmd.file_version) == identity \
                    and id(seen.frame) not in lost:
                delivered += len(cmd.image_data)
        return delivered


def _show(attr: OtaAttribute, value: int) -> str:
    if attr is OtaAttribute.IMAGE_UPGRADE_STATUS:
        try:
            return f"{value} ({ImageUpgradeStatus(value).name})"
        except ValueError:
            return f"{value} (undefined)"
    if attr is OtaAttribute.UPGRADE_SERVER_ID:
        return f"{value:016x}"
    if attr in (OtaAttribute.DOWNLOADED_FILE_VERSION, OtaAttribute.CURRENT_FILE_VERSION):
        return f"0x{value:08x}"
    return str(value)


def _wait_gaps(log: FrameLog, identity: tuple[int, int, int], until_ms: int) -> list[tuple[int, int]] | None:
    """While the device waited for the hub's command (from the first Upgrade End Response with
    upgrade time 0xFFFFFFFF to one with another, or ``until_ms``): the (from, to) times between
    which it did not ask again with an Upgrade End Request SUCCESS for the image. None: it was
    never told to wait."""
    start: int | None = None
    asked: list[int] = []
    end = until_ms
    for seen in log.frames(sent_by_dut=None, kinds=(oc.UpgradeEndRequest, oc.UpgradeEndResponse)):
        cmd = seen.command
        if isinstance(cmd, oc.UpgradeEndResponse):
            if cmd.upgrade_time == oc.UPGRADE_TIME_WAIT_FOR_COMMAND:
                start = seen.time_ms if start is None else start
            elif start is not None:
                end = seen.time_ms
                break
        elif isinstance(cmd, oc.UpgradeEndRequest) and start is not None and cmd.status == Status.SUCCESS \
                and (cmd.manufacturer_code, cmd.image_type, cmd.file_version) == identity:
            asked.append(seen.time_ms)
    if start is None:
        return None
    times = [start, *asked, end]
    return list(itertools.pairwise(times))
