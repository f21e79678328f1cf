"""Checks for the Then-steps: reads of the device's attributes over the HAN, and the frames it
sent judged against what a requirement expects.

Each ``check_*`` returns None when the device did what the requirement expects, else a message
that says the expectation in plain words and shows the decoded evidence against it.
"""

from __future__ import annotations

import itertools

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import DeviceViolationError, HarnessUsageError
from hanota.protocol.zcl import DefaultResponse, ImageUpgradeStatus, OtaAttribute, Status

from ..params import Duration
from .describe import command_text, frame_key, frame_tsn
from .observe import C, SeenFrame
from .part import HarnessPart

__all__ = ["DeviceObserver"]


class DeviceObserver(HarnessPart):
    """What the device under test reports and sends, read and judged as the requirements say."""

    def read_attributes(self, *attributes: OtaAttribute) -> dict[OtaAttribute, int]:
        """Read the device's OTA attributes with ZCL Read Attributes from the hub."""
        answer = self.read_records(*attributes)
        out: dict[OtaAttribute, int] = {}
        for record in answer.records:
            if record.status == Status.SUCCESS and record.value is not None:
                out[OtaAttribute(record.attribute_id)] = int(record.value)
        missing = [a.name for a in attributes if a not in out]
        if missing:
            raise DeviceViolationError(f"Read Attributes Response lacks {', '.join(missing)}: {answer}")
        return out

    def read_records(self, *attributes: OtaAttribute) -> oc.ReadAttributesResponse:
        """The device's answer to a Read Attributes of ``attributes`` from the hub (an attribute
        it does not support is a record with that status)."""
        player = self._scene.player_()
        first = len(self._scene.network.log)
        tsn = player.read(attributes)
        self._clock.pump()
        waited = 0
        timeout = self._config.pics.timing.response_timeout_ms
        while player.reads.get(tsn) is None and waited < timeout:
            self._clock.advance(100)
            waited += 100
        answer = player.reads.pop(tsn, None)
        if answer is None:
            others = [frame_tsn(f.frame.payload) for f in self._log.frames_of(oc.ReadAttributesResponse)
                      if f.index >= first]
            wrong = (f"; it sent Read Attributes Responses with transaction sequence number(s) "
                     f"{', '.join(map(str, others))} instead of {tsn}") if others else ""
            raise DeviceViolationError(f"the device did not answer Read Attributes (transaction "
                                       f"sequence number {tsn}) within {timeout} ms{wrong}; "
                                       f"{self._log.last_frames()}")
        return answer

    def current_file_version(self) -> int:
        if self._scene.remote_dcc is not None:  # the DCC test system's simulated device
            return int(self._scene.remote_dcc.running_version(self._scene.device_eui64))
        return self.read_attributes(OtaAttribute.CURRENT_FILE_VERSION)[OtaAttribute.CURRENT_FILE_VERSION]

    def image_upgrade_status(self) -> ImageUpgradeStatus:
        value = self.read_attributes(OtaAttribute.IMAGE_UPGRADE_STATUS)[OtaAttribute.IMAGE_UPGRADE_STATUS]
        try:
            return ImageUpgradeStatus(value)
        except ValueError:
            raise DeviceViolationError(f"ImageUpgradeStatus {value} is not a defined value") from None

    # ================================================================ checks for Then-steps
    # Each returns None when the device did what the requirement expects, else a message that
    # says the expectation in plain words and shows the decoded evidence against it.

    def await_frame(self, kind: type[C], within_ms: int) -> SeenFrame[C] | None:
        """The first frame of ``kind`` the device has sent, waiting up to ``within_ms``."""
        waited = 0
        while True:
            seen = next(self._log.frames_of(kind), None)
            if seen is not None or waited >= within_ms:
                return seen
            self._clock.advance(100)
            waited += 100

    def check_query(self) -> str | None:
        """The device answers the hub's (first) Image Notify with a Query Next Image Request that
        describes it, within its response timeout; and every query after that notify, up to the
        first Upgrade End Response (before which it cannot run another image), describes it too."""
        dut, running = self._scene.dut, self._images.version_of("original")
        bound = self._config.pics.timing.response_timeout_ms
        notify = next(self._log.frames_of(oc.ImageNotify, sent_by_dut=False), None)
        if notify is None:
            raise HarnessUsageError("the hub sent the device no Image Notify")
        waited = 0
        while not (queries := self._queries_after(notify.index)) and waited < bound:
            self._clock.advance(100)
            waited += 100
        if not queries:
            return f"expected a Query Next Image Request within {bound} ms of the Image Notify at " \
                   f"t={notify.time_ms} ms, but the device sent none after it; {self._log.last_frames()}"
        want = (dut.manufacturer_code, dut.image_type, running)
        for n, seen in enumerate(queries):
            q = seen.command
            got = (q.manufacturer_code, q.image_type, q.current_file_version)
            if got != want or q.hardware_version not in (None, dut.hardware_version):
                which = "its answer to the Image Notify was" if n == 0 else \
                    f"a later query (t={seen.time_ms} ms) contradicts its answer:"
                return (f"expected Query Next Image Request with manufacturer code 0x{want[0]:04x}, image "
                        f"type 0x{want[1]:04x}, current file version 0x{want[2]:08x} (hardware version "
                        f"{dut.hardware_version} if present), but {which} {command_text(q)}")
        return None

    def _queries_after(self, index: int) -> list[SeenFrame[oc.QueryNextImageRequest]]:
        """The device's Query Next Image Requests after log entry ``index``, up to the first
        Upgrade End Response it received."""
        end = next((f.index for f in self._log.frames_of(oc.UpgradeEndResponse, sent_by_dut=False)
                    if f.index > index), None)
        return [f for f in self._log.frames_of(oc.QueryNextImageRequest)
                if f.index > index and (end is None or f.index < end)]

    def check_block_requests(self, label: str) -> str | None:
        info = self._images.image(label)
        received, count, asked = 0, 0, 0
        lost = {id(frame) for _, frame in self._scene.network.dropped}
        for seen in self._log.frames(sent_by_dut=None, kinds=(oc.ImageBlockRequest, oc.ImageBlockResponse)):
            cmd = seen.command
            if isinstance(cmd, oc.ImageBlockResponse):
                # Data received = blocks that arrived and continue the data: a block at an offset
                # the device did not ask for, or larger than it asked for, is not data received.
                if cmd.status == Status.SUCCESS and cmd.image_data and cmd.file_offset == received \
                        and len(cmd.image_data) <= asked \
                        and seen.frame.src == self._scene.player_().eui64 and id(seen.frame) not in lost:
                    received += len(cmd.image_data)
                continue
            if not isinstance(cmd, oc.ImageBlockRequest):
                continue
            count += 1
            asked = cmd.maximum_data_size
            names = (cmd.manufacturer_code, cmd.image_type, cmd.file_version)
            if names != (info.manufacturer_code, info.image_type, info.file_version):
                return (f"expected every Image Block Request to name image {label!r} (0x"
                        f"{info.manufacturer_code:04x}, 0x{info.image_type:04x}, 0x"
                        f"{info.file_version:08x}); request {count} at t={seen.time_ms} ms was "
                        f"{command_text(cmd)}")
            if cmd.file_offset != received or cmd.maximum_data_size == 0:
                return (f"expected Image Block Request {count} to continue from the {received} bytes "
                        f"received, with a non-zero maximum data size; it was {command_text(cmd)}")
        if count == 0:
            return f"expected Image Block Requests for image {label!r}, but the device sent none; " \
                   f"{self._log.last_frames()}"
        return None

    def _block_requests_and_waits(self) -> list[tuple[SeenFrame[oc.ImageBlockRequest], int | None]]:
        """Each Image Block Request with, if the hub answered it WAIT_FOR_DATA, the time (ms)
        before which the device must not ask again."""
        out: list[tuple[SeenFrame[oc.ImageBlockRequest], int | None]] = []
        for seen in self._log.frames(sent_by_dut=None, kinds=(oc.ImageBlockRequest, oc.ImageBlockResponse)):
            cmd = seen.command
            if isinstance(cmd, oc.ImageBlockRequest):
                out.append((SeenFrame(seen.index, seen.time_ms, seen.frame, cmd), None))
            elif isinstance(cmd, oc.ImageBlockResponse) and cmd.status == Status.WAIT_FOR_DATA and out:
                request, current = cmd.request_time or 0, cmd.current_time or 0
                wait_s = request if current == 0 else request - current
                out[-1] = (out[-1][0], seen.time_ms + max(0, wait_s) * 1000)
        return out

    def check_block_spacing(self, period: Duration) -> str | None:
        gap = self._config.ms(period)
        pairs = self._block_requests_and_waits()
        for (first, waited), (second, _) in itertools.pairwise(pairs):
            if waited is None and second.time_ms - first.time_ms < gap:
                return (f"expected Image Block Requests at least {gap} ms apart (MinimumBlockPeriod), "
                        f"but requests at t={first.time_ms} ms and t={second.time_ms} ms are "
                        f"{second.time_ms - first.time_ms} ms apart: {command_text(second.command)}")
        if len(pairs) < 2:
            return f"expected a download of several blocks, but the device sent {len(pairs)} " \
                   f"Image Block Request(s); {self._log.last_frames()}"
        return None

    def check_wait_for_data(self) -> str | None:
        pairs = self._block_requests_and_waits()
        waits = [(i, w) for i, (_, w) in enumerate(pairs) if w is not None]
        if not waits:
            raise HarnessUsageError("the hub answered no Image Block Request with WAIT_FOR_DATA")
        for i, not_before in waits:
            if i + 1 < len(pairs) and pairs[i + 1][0].time_ms < not_before:
                nxt = pairs[i + 1][0]
                return (f"expected no Image Block Request before t={not_before} ms (the request time "
                        f"of the WAIT_FOR_DATA answer), but the device asked at t={nxt.time_ms} ms: "
                        f"{command_text(nxt.command)}")
        return None

    def check_resumed(self) -> str | None:
        offer = self._scene.player_().require_offer()
        if offer.cut_offset is None or offer.link_back_ms is None:
            raise HarnessUsageError("the link was never lost in this scenario")
        after = [f for f in self._log.frames_of(oc.ImageBlockRequest) if f.time_ms >= offer.link_back_ms]
        if not after:
            return (f"expected the device to resume the download after the link came back at "
                    f"t={offer.link_back_ms} ms, but it sent no Image Block Request; "
                    f"{self._log.last_frames()}")
        first = after[0].command
        if first.file_offset != offer.cut_offset:
            return (f"expected the device to resume at FileOffset {offer.cut_offset} (the data it had "
                    f"received when the link was lost), but its first request after the outage was "
                    f"{command_text(first)}")
        return None

    def check_upgrade_end(self, status: Status) -> str | None:
        """The Upgrade End Request for the offered image (its manufacturer code, image type and
        file version) has ``status``, and none for it has a contrary final status."""
        offer = self._scene.player_().require_offer()
        info, label = offer.info, offer.label
        identity = (info.manufacturer_code, info.image_type, info.file_version)
        ends = list(self._log.frames_of(oc.UpgradeEndRequest))
        mine = [f for f in ends if (f.command.manufacturer_code, f.command.image_type,
                                    f.command.file_version) == identity]
        sent = ", ".join(f"t={f.time_ms} ms {command_text(f.command)}" for f in ends) or "none"
        if not any(Status(f.command.status) == status for f in mine):
            return (f"expected an Upgrade End Request with status {status.name} for image {label!r} "
                    f"(0x{identity[0]:04x}, 0x{identity[1]:04x}, 0x{identity[2]:08x}), but the device "
                    f"sent: {sent}; {self._log.last_frames()}")
        neutral = {status, Status.REQUIRE_MORE_IMAGE}
        contrary = [f for f in mine if Status(f.command.status) not in neutral]
        if contrary:
            return (f"expected the device to end the download of image {label!r} with status "
                    f"{status.name} only, but it also sent a contrary status: "
                    + ", ".join(f"t={f.time_ms} ms {command_text(f.command)}" for f in contrary))
        return None

    def check_no_default_response(self, status: Status) -> str | None:
        """No Default Response with ``status`` from the device, to anything."""
        sent = [f for f in self._log.frames_of(DefaultResponse) if Status(f.command.status) == status]
        if sent:
            return (f"expected no Default Response with status {status.name}, but the device sent "
                    f"{len(sent)}: {command_text(sent[0].command)} with TSN "
                    f"{frame_tsn(sent[0].frame.payload)}; "
                    f"{self._log.last_frames()}")
        return None

    def check_default_response(self, status: Status) -> str | None:
        """A Default Response with ``status`` answers each raw frame the hub sent: sent after it,
        with its transaction sequence number and command id; and no answer to that frame with
        another status anywhere after it (up to a later frame that reuses its TSN and command id).
        A refusal status that ZCL revision 8 folds into UNSUP_COMMAND (0x81, the former
        UNSUP_CLUSTER_COMMAND) is met by 0x81 too."""
        allowed = {status, *_FOLDED.get(status, ())}
        player = self._scene.player_()
        if not player.raw_frames:
            raise HarnessUsageError("the hub sent no scripted frame for a Default Response to answer")
        for raw in player.raw_frames:
            tsn, command_id = frame_tsn(raw), frame_key(raw)[1]
            answers = self._answers_to(raw, player.eui64)
            if answers is None:
                raise HarnessUsageError(f"the hub's frame {raw.hex(' ')} never crossed the HAN")
            seen = ", ".join(f"t={f.time_ms} ms {command_text(f.command)} with TSN "
                             f"{frame_tsn(f.frame.payload)}" for f in answers) or "none"
            if not any(Status(f.command.status) in allowed for f in answers):
                return (f"expected a Default Response with status {_names(allowed)} answering the frame "
                        f"the hub sent (transaction sequence number {tsn}, command id "
                        f"0x{command_id:02x}), but the device answered it with: {seen}; "
                        f"{self._log.last_frames()}")
            contrary = [f for f in answers if Status(f.command.status) not in allowed]
            if contrary:
                return (f"expected only status {_names(allowed)} in the Default Response to the frame with "
                        f"transaction sequence number {tsn}, but the device also sent: "
                        + ", ".join(f"t={f.time_ms} ms {command_text(f.command)}" for f in contrary))
        return None

    def _answers_to(self, raw: bytes, hub: int) -> list[SeenFrame[DefaultResponse]] | None:
        """The device's Default Responses to the hub's frame ``raw`` (those after it with its TSN
        and command id, before a later frame to the device reuses both); None if it was not sent."""
        log, dut = self._scene.network.log, self._scene.device_eui64
        key = (frame_tsn(raw), frame_key(raw)[1])
        start = next((i for i, (_, f) in enumerate(log)
                      if f.src == hub and f.dst == dut and f.payload.startswith(raw)), None)
        if start is None:
            return None
        end = next((i for i in range(start + 1, len(log)) if log[i][1].dst == dut
                    and (frame_tsn(log[i][1].payload), frame_key(log[i][1].payload)[1]) == key
                    and frame_key(log[i][1].payload) != (0, DefaultResponse.COMMAND_ID)), len(log))
        return [f for f in self._log.frames_of(DefaultResponse)
                if start < f.index < end and f.frame.dst == hub
                and (frame_tsn(f.frame.payload), f.command.command_id) == key]

    def check_not_downloaded(self, label: str) -> str | None:
        """No Image Block Request and no Image Page Request for image ``label``, to any node."""
        info = self._images.image(label)
        for seen in self._log.frames(kinds=(oc.ImageBlockRequest, oc.ImagePageRequest)):
            cmd = seen.command
            if not isinstance(cmd, (oc.ImageBlockRequest, oc.ImagePageRequest)):
                continue
            if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) == (
                    info.manufacturer_code, info.image_type, info.file_version):
                return (f"expected the device not to download image {label!r}, but at t={seen.time_ms} "
                        f"ms it sent to 0x{seen.frame.dst:016x}: {command_text(cmd)}")
        return None


#: The refusal statuses ZCL revision 8 replaced by UNSUP_COMMAND (0x81, UNSUP_CLUSTER_COMMAND here).
_FOLDED = {s: (Status.UNSUP_CLUSTER_COMMAND,) for s in (
    Status.UNSUP_GENERAL_COMMAND, Status.UNSUP_MANUF_CLUSTER_COMMAND, Status.UNSUP_MANUF_GENERAL_COMMAND)}


def _names(statuses: set[Status]) -> str:
    return " or ".join(sorted(s.name for s in statuses))
