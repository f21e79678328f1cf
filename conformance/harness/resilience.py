"""Interruptions of a download (docs/harness.md, "Interruptions"): the device switched off and on,
the hub restarting without the download's state, the hub no longer answering; and the checks
that judge how the device comes through them (features/resilience.feature, SECMP7-RES).

:class:`HubTap` stands on the HAN in place of the played hub (same EUI-64) and passes every
frame through, until the scenario's interruption falls due: once the hub has served the given
number of bytes, it stops answering the device's OTA requests (they are recorded, unanswered).
What follows is the scenario's: the device's power is switched off and on, or the hub comes
back after an outage having forgotten the download (it answers Image Block and Upgrade End
Requests for it with ABORT and announces the image again with Image Notify, until the device
queries afresh), or the hub stays silent. The device is judged only by what it sends and by
its attributes read over the HAN.
"""

from __future__ import annotations

import enum
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import DeviceViolationError, HarnessUsageError, ProtocolError
from hanota.protocol.zcl import OTA_CLUSTER_ID, DefaultResponse, Direction, FrameType, Status, peek_header

from ..adapters import DutNotApplicableError
from ..models.comms_hub import UTC_EPOCH_OFFSET_S
from ..models.device_power import PowerCycle
from ..models.han import OTA_ENDPOINT, SE_PROFILE_ID, HanFrame
from ..params import Duration, parse_duration
from .clock import ClockDriver
from .config import RunConfig
from .describe import command_text
from .hub import HubPlayer, Offer
from .images import ImageFactory
from .observe import FrameLog
from .part import HarnessPart
from .world import Scene

__all__ = ["HubTap", "Interrupt", "Interruption", "Resilience", "parse_interruption"]

#: The OTA commands a client sends its server (095264): Query Next Image, Image Block, Image
#: Page, Upgrade End and Query Device Specific File Requests.
_REQUESTS = frozenset({oc.CommandId.QUERY_NEXT_IMAGE_REQUEST, oc.CommandId.IMAGE_BLOCK_REQUEST,
                       oc.CommandId.IMAGE_PAGE_REQUEST, oc.CommandId.UPGRADE_END_REQUEST,
                       oc.CommandId.QUERY_DEVICE_SPECIFIC_FILE_REQUEST})
#: Requests that belong to a download under way (a hub that forgot it answers them ABORT).
_DOWNLOAD = frozenset({oc.CommandId.IMAGE_BLOCK_REQUEST, oc.CommandId.IMAGE_PAGE_REQUEST,
                       oc.CommandId.UPGRADE_END_REQUEST})
#: How far "the download" may run, in device time, before the interruption must have come.
_RUN_BOUND_MS = 3_600_000
_STEP_MS = 1_000


class InterruptKind(enum.Enum):
    POWER_CYCLE = "a power cycle of the device"
    HUB_SILENT = "the hub falling silent"
    HUB_RESTART = "a restart of the hub"
    NEWER_OFFER = "the hub offering a newer image"


@dataclass(frozen=True)
class Interrupt:
    """What interrupts the download, as a feature says it."""

    kind: InterruptKind
    outage: Duration | None = None  # a hub restart: how long the hub is away
    label: str | None = None  # a newer offer: the image the hub offers instead


_RESTART = re.compile(r'^a restart of the hub lasting "([^"]+)"$')
_NEWER = re.compile(r'^the hub offering image "([^"]+)"$')
_INTERRUPT_EXPECTED = (f"'{InterruptKind.POWER_CYCLE.value}', '{InterruptKind.HUB_SILENT.value}', "
                       """'a restart of the hub lasting "<duration>"' or """
                       """'the hub offering image "<label>"'""")


def parse_interruption(text: str) -> Interrupt:
    """'a power cycle of the device', 'the hub falling silent', 'a restart of the hub lasting "10
    seconds"' (the hub comes back that long after it fell silent, without the download), 'the hub
    offering image "newer"' (from then on the hub offers that image instead)."""
    if text in (InterruptKind.POWER_CYCLE.value, InterruptKind.HUB_SILENT.value):
        return Interrupt(InterruptKind(text))
    if m := _RESTART.match(text):
        return Interrupt(InterruptKind.HUB_RESTART, parse_duration(m[1]))
    if m := _NEWER.match(text):
        return Interrupt(InterruptKind.NEWER_OFFER, label=m[1])
    raise HarnessUsageError(f"interruption {text!r} is not understood; expected {_INTERRUPT_EXPECTED}")


@dataclass
class Interruption:
    """When and how the download was interrupted (harness clock, HAN log index)."""

    at_ms: int
    log_index: int
    #: the bytes of the image the hub had served when it happened (the data the device received)
    received: int
    back_ms: int | None = None
    back_index: int | None = None


class HubTap:
    """The played hub's stand-in on the HAN (a HanNode with its EUI-64): see the module docstring."""

    def __init__(self, player: HubPlayer) -> None:
        self.player = player
        self.eui64 = player.eui64
        self.clock = player.clock
        #: go silent once the hub has served this many bytes of the offered image
        self.silent_after: int | None = None
        self.silent = False
        #: the hub restarted and forgot the download: ABORT its requests until a query
        self.forgetting = False
        #: (time, command id) of each request the hub left unanswered
        self.unanswered: list[tuple[int, int]] = []
        self.on_silence: Callable[[], None] | None = None
        #: the offer a newer one replaced: the hub still serves its blocks and ends its download
        self.replaced: Offer | None = None
        self._out: deque[HanFrame] = deque()

    def next_frame(self) -> HanFrame | None:
        return self._out.popleft() if self._out else self.player.next_frame()

    def receive(self, frame: HanFrame) -> None:
        peek = peek_header(frame.payload)
        request = (frame.src == self.player.dut and frame.cluster_id == OTA_CLUSTER_ID and peek is not None
                   and peek.frame_type == FrameType.CLUSTER_SPECIFIC and peek.command_id in _REQUESTS)
        if not request or peek is None:
            self.player.receive(frame)
            return
        offer = self.player.offer
        if self.silent_after is not None and offer is not None \
                and offer.served_total >= self.silent_after:
            self.silent_after = None
            self.silent = True
            if self.on_silence is not None:
                self.on_silence()
        if self.silent:
            self.unanswered.append((self.clock.now_ms, peek.command_id))
            return
        if self.forgetting:
            if peek.command_id in _DOWNLOAD:
                # A hub that lost the download's state does not know it: it aborts it and announces
                # the image it holds for the device again.
                answer = oc.encode_command(oc.ImageBlockResponse(status=Status.ABORT), tsn=peek.tsn) \
                    if peek.command_id != oc.CommandId.UPGRADE_END_REQUEST else None
                if answer is not None:
                    self._out.append(HanFrame(self.eui64, frame.src, OTA_ENDPOINT, frame.src_endpoint,
                                              SE_PROFILE_ID, OTA_CLUSTER_ID, answer))
                self.player.notify()
                return
            if peek.command_id == oc.CommandId.QUERY_NEXT_IMAGE_REQUEST:
                self.forgetting = False
        if self.replaced is not None and peek.command_id in _DOWNLOAD and self._serve_replaced(frame):
            return
        self.player.receive(frame)

    def _serve_replaced(self, frame: HanFrame) -> bool:
        """A request for the image a newer offer replaced, answered as a hub that still holds the
        file: its blocks, and the end of its download (upgrade now), after which the hub announces
        the newer image again. False: not a request for that image."""
        old = self.replaced
        assert old is not None
        try:
            header, cmd = oc.decode_command(frame.payload)
        except ProtocolError:
            return False
        info = old.info
        if not isinstance(cmd, (oc.ImageBlockRequest, oc.UpgradeEndRequest)) or \
                (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != \
                (info.manufacturer_code, info.image_type, info.file_version):
            return False
        answer: oc.Command
        if isinstance(cmd, oc.ImageBlockRequest):
            data = old.part[cmd.file_offset:cmd.file_offset + min(cmd.maximum_data_size, oc.MAX_IMAGE_DATA)]
            answer = oc.ImageBlockResponse(
                status=Status.SUCCESS, manufacturer_code=info.manufacturer_code, image_type=info.image_type,
                file_version=info.file_version, file_offset=cmd.file_offset, image_data=data) \
                if data else oc.ImageBlockResponse(status=Status.ABORT)
        elif Status(cmd.status) == Status.SUCCESS:
            utc = UTC_EPOCH_OFFSET_S + self.clock.now_ms // 1000
            answer = oc.UpgradeEndResponse(manufacturer_code=info.manufacturer_code,
                                           image_type=info.image_type, file_version=info.file_version,
                                           current_time=utc, upgrade_time=utc)
        else:
            answer = DefaultResponse(command_id=oc.CommandId.UPGRADE_END_REQUEST, status=Status.SUCCESS,
                                     direction=Direction.SERVER_TO_CLIENT)
        self._out.append(HanFrame(self.eui64, frame.src, OTA_ENDPOINT, frame.src_endpoint, SE_PROFILE_ID,
                                  OTA_CLUSTER_ID, oc.encode_command(answer, tsn=header.tsn)))
        if isinstance(cmd, oc.UpgradeEndRequest):
            self.player.notify()  # the image it holds for the device now: the newer one
        return True


class Resilience(HarnessPart):
    """The interruptions the steps ask for, and the checks of what the device did through them."""

    def __init__(self, config: RunConfig, scene: Scene, clock: ClockDriver, log: FrameLog,
                 images: ImageFactory) -> None:
        super().__init__(config, scene, clock, log, images)
        self._tap: HubTap | None = None
        self.kind: InterruptKind | None = None
        self.interruption: Interruption | None = None
        self.power_cycled: Interruption | None = None

    # ---------------------------------------------------------------- the tap
    def tap(self) -> HubTap:
        """The HubTap, put in the played hub's place on the HAN on first use."""
        if self._tap is None:
            player = self._scene.player_()
            network = self._scene.network
            network.detach(player.eui64)
            self._tap = HubTap(player)
            network.attach(self._tap)
        return self._tap

    def _mark(self) -> Interruption:
        offer = self._scene.player_().require_offer()
        return Interruption(self._clock.clock.now_ms, len(self._scene.network.log), offer.served_end)

    def _run_until_silent(self, after: int) -> Interruption:
        """Let the download run until the hub has served ``after`` bytes and the device asks for
        more: from then on the hub answers nothing (until the scenario says otherwise)."""
        tap = self.tap()
        if tap.silent or tap.silent_after is not None:
            raise HarnessUsageError("the download has already been interrupted in this scenario")
        size = len(self._scene.player_().require_offer().part)
        if not 0 <= after < size:
            raise HarnessUsageError(f"the download cannot be interrupted after {after} bytes of an "
                                    f"image of {size} bytes")
        marks: list[Interruption] = []
        tap.silent_after = after
        tap.on_silence = lambda: marks.append(self._mark())
        bound = self._config.pics.timing.max_download_ms if self._scene.wall_time else _RUN_BOUND_MS
        waited = 0
        self._clock.pump()
        while not marks:
            if waited >= bound:
                raise DeviceViolationError(
                    f"expected the device to download {after} bytes of the offered image, but after "
                    f"{waited} ms the hub had served {self._scene.player_().require_offer().served_total}; "
                    f"{self._log.last_frames()}")
            self._clock.advance(_STEP_MS)
            waited += _STEP_MS
        self.interruption = marks[0]
        return marks[0]

    # ---------------------------------------------------------------- acts
    def interrupt(self, what: Interrupt, after: int) -> None:
        """Interrupt the download once the hub has served ``after`` bytes of the offered image."""
        if self.kind is not None:
            raise HarnessUsageError("the download has already been interrupted in this scenario")
        self.kind = what.kind
        mark = self._run_until_silent(after)
        if what.kind is InterruptKind.POWER_CYCLE:
            self.power_cycle()
            # The hub answers again, and seeing the device back on the network it notifies it
            # again (as after a lost link); the offer records where the download was cut.
            self.tap().silent = False
            offer = self._scene.player_().require_offer()
            offer.cut_offset, offer.link_back_ms = mark.received, self._clock.clock.now_ms
            offer.last_activity_ms = offer.busy_until_ms = self._clock.clock.now_ms
            self._scene.player_().notify()
            self._clock.pump()
        elif what.kind is InterruptKind.HUB_RESTART:
            assert what.outage is not None
            self._restart(mark, self._config.ms(what.outage))
        elif what.kind is InterruptKind.NEWER_OFFER:
            assert what.label is not None
            # The hub has a newer image for the device: it offers (and notifies) that one from now
            # on, and still serves the one being downloaded to a device that asks for it.
            player, tap = self._scene.player_(), self.tap()
            tap.replaced = player.require_offer()
            info = self._images.image(what.label)
            player.start(Offer(what.label, [info.data], info))
            tap.silent = False
            self._clock.pump()

    def power_cycle(self) -> None:
        """Switch the device off and on: the bridge's POWER_CYCLE control (a device without it:
        not applicable), or the reference device's own power cycle."""
        if self.power_cycled is not None:
            raise HarnessUsageError("one power cycle per scenario")
        self._clock.pump()
        adapter = self._scene.adapter
        if adapter is not None:
            adapter.power_cycle()
        else:
            device = self._scene.device
            if not isinstance(device, PowerCycle):
                raise HarnessUsageError("the device in this world cannot be switched off and on")
            device.power_cycle()
        self.kind = self.kind or InterruptKind.POWER_CYCLE
        player = self._scene.player_()
        self.power_cycled = Interruption(self._clock.clock.now_ms, len(self._scene.network.log),
                                         player.offer.served_end if player.offer else 0)
        self._clock.pump()

    def _restart(self, mark: Interruption, outage_ms: int) -> None:
        """The silent hub is back ``outage_ms`` after it fell silent, without the download's state
        (see HubTap): it announces the image again."""
        back = mark.at_ms + outage_ms
        offer = self._scene.player_().require_offer()
        offer.busy_until_ms = back  # "the download runs to its end" waits for the hub's return

        def come_back() -> None:
            tap = self.tap()
            tap.silent, tap.forgetting = False, True
            mark.back_ms, mark.back_index = self._clock.clock.now_ms, len(self._scene.network.log)
            offer.last_activity_ms = self._clock.clock.now_ms
            self._scene.player_().notify()

        self._clock.clock.call_later(max(0, back - self._clock.clock.now_ms), come_back)

    # ---------------------------------------------------------------- checks
    def check_taken_up(self) -> str | None:
        """After a hub restart the device queries again. After a power cycle its first Image Block
        Request starts within the data it had received (0 if it starts again): never beyond it."""
        if self.kind is InterruptKind.HUB_RESTART:
            return self._check_queried_after_restart()
        cycled = self.power_cycled
        if cycled is None:
            raise HarnessUsageError("the device was not switched off and on in this scenario")
        first = next((f for f in self._log.frames_of(oc.ImageBlockRequest) if f.index >= cycled.log_index),
                     None)
        if first is None:
            return (f"expected the device to download the image again after the power cycle at "
                    f"t={cycled.at_ms} ms, but it sent no Image Block Request; {self._log.last_frames()}")
        if first.command.file_offset > cycled.received:
            return (f"expected the device to take the download up after the power cycle from an offset "
                    f"within the {cycled.received} bytes it had received (or from 0), but it asked for "
                    f"{command_text(first.command)}")
        return None

    def check_no_mix(self) -> str | None:
        """Every Image Block Request names an image the hub offered and asks for no offset beyond
        the data the device received of that image (the blocks the hub sent for it, in order)."""
        player = self._scene.player_()
        offered = {(o.info.manufacturer_code, o.info.image_type, o.info.file_version): o.label
                   for o in (self.tap().replaced if self._tap else None, player.offer) if o is not None}
        received: dict[tuple[int, int, int], int] = {}
        count = 0
        for seen in self._log.frames(sent_by_dut=None, kinds=(oc.ImageBlockRequest, oc.ImageBlockResponse)):
            cmd = seen.command
            if isinstance(cmd, oc.ImageBlockResponse):
                if cmd.status == Status.SUCCESS and cmd.image_data and seen.frame.src == player.eui64:
                    key = (cmd.manufacturer_code or 0, cmd.image_type or 0, cmd.file_version or 0)
                    if cmd.file_offset == received.get(key, 0):
                        received[key] = received.get(key, 0) + len(cmd.image_data)
                continue
            if not isinstance(cmd, oc.ImageBlockRequest):
                continue
            count += 1
            key = (cmd.manufacturer_code, cmd.image_type, cmd.file_version)
            if key not in offered:
                return (f"expected every Image Block Request to name an image the hub offered "
                        f"({', '.join(offered.values())}), but request {count} at t={seen.time_ms} ms was "
                        f"{command_text(cmd)}")
            if cmd.file_offset > received.get(key, 0):
                return (f"expected every Image Block Request to continue from the data received of the "
                        f"image it names, but request {count} at t={seen.time_ms} ms asks for image "
                        f"{offered[key]!r} at offset {cmd.file_offset} when the device had "
                        f"{received.get(key, 0)} bytes of it: {command_text(cmd)}")
        if count == 0:
            return f"expected Image Block Requests, but the device sent none; {self._log.last_frames()}"
        return None

    def check_gave_up(self, label: str) -> str | None:
        """No request for image ``label`` later than the declared give-up time after the first
        request the hub left unanswered (PICS timing.retry_give_up_ms)."""
        limit = self._config.pics.timing.retry_give_up_ms
        if limit is None:
            raise DutNotApplicableError("the device declares no retry limit (PICS [timing] "
                                        "retry_give_up_ms), so when it must give up is not known")
        tap = self.tap()
        if not tap.unanswered:
            return (f"expected the device to ask the silent hub for more of image {label!r}, but it "
                    f"sent no request after the hub fell silent; {self._log.last_frames()}")
        first = tap.unanswered[0][0]
        info = self._images.image(label)
        identity = (info.manufacturer_code, info.image_type, info.file_version)
        kinds = (oc.ImageBlockRequest, oc.ImagePageRequest, oc.UpgradeEndRequest)
        late = [f for f in self._log.frames(kinds=kinds) if f.time_ms > first + limit
                and (getattr(f.command, "manufacturer_code", None), getattr(f.command, "image_type", None),
                     getattr(f.command, "file_version", None)) == identity]
        if late:
            f = late[-1]
            return (f"expected the device to give up image {label!r} within {limit} ms (PICS "
                    f"timing.retry_give_up_ms) of its first unanswered request at t={first} ms, but "
                    f"it sent {len(late)} request(s) later, the last at t={f.time_ms} ms: "
                    f"{command_text(f.command)}")
        return None

    def _check_queried_after_restart(self) -> str | None:
        """A Query Next Image Request once the hub was back from its restart."""
        mark = self.interruption
        if mark is None or mark.back_index is None:
            raise HarnessUsageError("the hub did not restart (or is not back yet) in this scenario")
        if any(f.index >= mark.back_index for f in self._log.frames_of(oc.QueryNextImageRequest)):
            return None
        return (f"expected the device to query the hub again (Query Next Image Request) after the "
                f"hub came back at t={mark.back_ms} ms without the download, but it sent none; "
                f"{self._log.last_frames()}")

    def check_refused(self, label: str) -> str | None:
        """Image ``label`` refused where 095264 lets a client refuse it: no Image Block Request
        for it at all (refused on the Query Next Image Response), or an Upgrade End Request for it
        with a status other than SUCCESS; never SUCCESS."""
        info = self._images.image(label)
        identity = (info.manufacturer_code, info.image_type, info.file_version)

        def mine(cmd: oc.ImageBlockRequest | oc.ImagePageRequest | oc.UpgradeEndRequest) -> bool:
            return (cmd.manufacturer_code, cmd.image_type, cmd.file_version) == identity

        ends = [f for f in self._log.frames_of(oc.UpgradeEndRequest) if mine(f.command)]
        success = [f for f in ends if Status(f.command.status) == Status.SUCCESS]
        if success:
            return (f"expected the device to refuse image {label!r}, larger than the capacity it "
                    f"declares, but at t={success[0].time_ms} ms it sent {command_text(success[0].command)}")
        blocks = [f for f in self._log.frames(kinds=(oc.ImageBlockRequest, oc.ImagePageRequest))
                  if isinstance(f.command, (oc.ImageBlockRequest, oc.ImagePageRequest)) and mine(f.command)]
        refusals = [f for f in ends
                    if Status(f.command.status) not in (Status.SUCCESS, Status.REQUIRE_MORE_IMAGE)]
        if blocks and not refusals:
            return (f"expected the device to refuse image {label!r} on the Query Next Image Response "
                    f"or in an Upgrade End Request, but it asked for {len(blocks)} block(s) of it and "
                    f"sent no refusal; {self._log.last_frames()}")
        return None
