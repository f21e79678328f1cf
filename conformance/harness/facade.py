"""The harness the steps use: one :class:`Harness` per scenario, a facade over the parts.

Each part does one job (docs/harness.md, "The harness's parts"): :class:`~.config.RunConfig`
(the run's settings), :class:`~.world.Scene` (world building), :class:`~.images.ImageFactory`
(images and their defects), :class:`~.offers.Offers` with :class:`~.hub.HubPlayer` (the scripted
hub), :class:`~.clock.ClockDriver` (time), :class:`~.observe.FrameLog` and
:class:`~.checks.DeviceObserver` (observation and checks), :class:`~.dcc.DccObserver` (the DCC
side's acts and checks), :class:`~.evidence.EvidenceLog`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import ImageUpgradeStatus, OtaAttribute, Status

from ..adapters import DutAdapter
from ..models.clock import VirtualClock
from ..models.comms_hub import CommsHub
from ..models.han import HanNetwork, HanNode
from ..models.premises import Premises, World
from ..params import Defect, Duration, Recipient, Relation, Size, UpgradeTime
from ..pics import Pics
from ..signing import CommandSigner, KeySigner
from .checks import DeviceObserver
from .clock import MAX_DOWNLOAD_MS, ClockDriver
from .config import RunConfig
from .dcc import DccObserver
from .evidence import EvidenceLog
from .frame_audit import FrameAudit
from .hub import HubPlayer, HubScript, Offer
from .hub_checks import check_patience
from .images import ImageFactory
from .lifecycle import UpgradeLifecycle
from .notify import ImageNotifies
from .observe import C, FrameLog, SeenFrame
from .offers import Offers
from .records import DutHandle, ImageInfo
from .resilience import Resilience
from .transfer_checks import TransferChecks
from .world import Evidence, EvidenceSource, Scene

if TYPE_CHECKING:
    from ..dcc_http.client import HttpDccSide
    from ..dcc_side import DccSide
    from ..duis.client import DuisDccSide

__all__ = ["Harness"]


class Harness:
    """Everything a scenario touches (see docs/harness.md and steps/common.py)."""

    def __init__(self, *, pics: Pics, rules: str = "wg-2016", seed: int = 0,
                 device_faults: Iterable[str] = (), dcc_faults: Iterable[str] = (),
                 hub_faults: Iterable[str] = (), dut: str = "reference", side: str = "device",
                 pixit: dict[str, int] | None = None, dcc: str | None = None,
                 duis: dict[str, str | None] | None = None) -> None:
        config = self.config = RunConfig.make(
            pics=pics, rules=rules, seed=seed, device_faults=device_faults, dcc_faults=dcc_faults,
            hub_faults=hub_faults, dut=dut, side=side, pixit=pixit, dcc=dcc, duis=duis)
        self.clock = VirtualClock()
        self.scene = Scene(config, self.clock)
        self.images_ = ImageFactory(config, self.scene)
        self.log = FrameLog(self.scene)
        self.time = ClockDriver(config, self.scene, self.log)
        self.offers = Offers(config, self.scene, self.time, self.images_)
        self.observer = DeviceObserver(config, self.scene, self.time, self.log, self.images_)
        self.evidence_log = EvidenceLog(self.scene)
        #: the stages of an upgrade and the attributes read at each (steps/lifecycle_steps.py)
        self.lifecycle = UpgradeLifecycle(config, self.scene, self.time, self.log, self.images_)
        #: Image Page Requests and device-specific files (steps/lifecycle_steps.py)
        self.transfer = TransferChecks(self.scene, self.log, self.images_)
        #: every frame the device sends, checked as it passes (Then steps fail on what it finds)
        self.frame_audit = FrameAudit(self.scene)
        #: scripted Image Notify commands and their checks (steps/notify_steps.py)
        self.notifies = ImageNotifies(config, self.scene, self.time, self.log)
        #: the DCC side's acts and checks (steps/dcc_steps.py)
        self.dcc = DccObserver(config, self.scene, self.images_)
        #: interruptions of a download and their checks (steps/resilience_steps.py)
        self.resilience = Resilience(config, self.scene, self.time, self.log, self.images_)

    # ================================================================ the run's settings
    @property
    def pics(self) -> Pics:
        return self.config.pics

    @property
    def rules(self) -> str:
        return self.config.rules

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def side(self) -> str:
        return self.config.side

    @property
    def dut_spec(self) -> str:
        return self.config.dut_spec

    @property
    def device_faults(self) -> frozenset[str]:
        return self.config.device_faults

    @property
    def dcc_faults(self) -> frozenset[str]:
        return self.config.dcc_faults

    @property
    def hub_faults(self) -> frozenset[str]:
        return self.config.hub_faults

    @property
    def max_image_bytes(self) -> int:
        return self.config.max_image_bytes

    @property
    def declared_pixit(self) -> frozenset[str]:
        return self.config.declared_pixit

    @property
    def alert_service_level_ms(self) -> int:
        return self.config.alert_service_level_ms

    @property
    def version_confirmation_delay_ms(self) -> int:
        return self.config.version_confirmation_delay_ms

    @property
    def alert_stagger_interval_ms(self) -> int:
        return self.config.alert_stagger_interval_ms

    @property
    def pixit_durations(self) -> dict[str, int]:
        return self.config.pixit_durations

    @property
    def dcc_url(self) -> str | None:
        return self.config.dcc_url

    @property
    def duis_options(self) -> dict[str, str | None]:
        return self.config.duis_options

    @property
    def signer(self) -> KeySigner | CommandSigner | None:
        return self.config.signer

    @property
    def supplied(self) -> bool:
        return self.config.supplied

    def ms(self, duration: Duration) -> int:
        return self.config.ms(duration)

    def size_bytes(self, size: Size) -> int:
        return self.config.size_bytes(size)

    # ================================================================ the premises (world building)
    def premises(self, electricity: str, gas: str | None) -> None:
        self.scene.premises(electricity, gas)

    def pair(self, kind: str | None) -> None:
        self.scene.pair(kind)
        self.images_.record_original(self.scene.dut.file_version)

    def close(self) -> None:
        self.scene.close()

    @property
    def world(self) -> World | None:
        return self.scene.world

    @property
    def player(self) -> HubPlayer | None:
        return self.scene.player

    @property
    def adapter(self) -> DutAdapter | None:
        return self.scene.adapter

    @property
    def wall_time(self) -> bool:
        return self.scene.wall_time

    @property
    def premises_(self) -> Premises:
        return self.scene.premises_

    @property
    def hub(self) -> CommsHub:
        return self.scene.hub

    @property
    def network(self) -> HanNetwork:
        return self.scene.network

    @property
    def device(self) -> HanNode:
        return self.scene.device

    @property
    def dut(self) -> DutHandle:
        return self.scene.dut

    @property
    def extra_nodes(self) -> list[HanNode]:
        return self.scene.extra_nodes

    @property
    def dcc_side(self) -> DccSide | None:
        return self.scene.dcc_side

    @dcc_side.setter
    def dcc_side(self, side: DccSide | None) -> None:
        self.scene.dcc_side = side

    @property
    def remote_dcc(self) -> HttpDccSide | DuisDccSide | None:
        return self.scene.remote_dcc

    @property
    def evidence_sources(self) -> list[EvidenceSource]:
        return self.scene.evidence_sources

    @property
    def download_probes(self) -> list[Callable[[], bool]]:
        return self.scene.download_probes

    @property
    def closers(self) -> list[Callable[[], None]]:
        return self.scene.closers

    # ================================================================ images
    @property
    def images(self) -> dict[str, bytes]:
        return self.images_.images

    @property
    def image_versions(self) -> dict[str, int]:
        return self.images_.image_versions

    @property
    def image_info(self) -> dict[str, ImageInfo]:
        return self.images_.image_info

    @property
    def fragments(self) -> dict[str, list[bytes]]:
        return self.images_.fragments

    def make_image(self, label: str, size: Size, relation: Relation, *, zigbee: bool = False) -> ImageInfo:
        return self.images_.make_image(label, size, relation, zigbee=zigbee)

    def version_of(self, label: str) -> int:
        return self.images_.version_of(label)

    def image(self, label: str) -> ImageInfo:
        return self.images_.image(label)

    def alter_image(self, label: str, defect: Defect) -> None:
        self.images_.alter_image(label, defect)

    def address_image(self, label: str, recipient: Recipient) -> ImageInfo:
        return self.images_.address_image(label, recipient)

    def split_image(self, label: str, count: int) -> list[bytes]:
        return self.images_.split_image(label, count)

    # ================================================================ the played hub
    @property
    def script(self) -> HubScript:
        return self.scene.player_().script

    def set_wait_for_data(self, count: int, wait: Duration) -> None:
        self.offers.set_wait_for_data(count, wait)

    def append_octets(self, count: int) -> None:
        self.offers.append_octets(count)

    def answer_next(self, command_id: int, answer: Status | bytes) -> None:
        self.offers.answer_next(command_id, answer)

    def notify_with(self, payload_type: int, query_jitter: int) -> None:
        self.offers.notify_with(payload_type, query_jitter)

    def set_upgrade_time(self, when: UpgradeTime) -> None:
        self.offers.set_upgrade_time(when)

    def short_blocks(self, shortfalls: tuple[int, ...]) -> None:
        self.offers.short_blocks(shortfalls)

    def answer_at_timeout_edge(self) -> None:
        self.offers.answer_at_timeout_edge()

    def offer(self, label: str, order: tuple[int, ...] | None = None) -> Offer:
        return self.offers.offer(label, order)

    def offer_from_other_node(self, label: str, *, hand_held_terminal: bool) -> None:
        self.offers.offer_from_other_node(label, hand_held_terminal=hand_held_terminal)

    def further_upgrade_end_response(self, when: UpgradeTime) -> None:
        self.offers.further_upgrade_end_response(when)

    def lose_link(self, outage: Duration, after: Size) -> None:
        self.offers.lose_link(outage, after)

    def consumer_refuses(self) -> None:
        self.offers.consumer_refuses()

    @property
    def current_offer(self) -> Offer:
        return self.scene.player_().require_offer()

    # ================================================================ time
    @property
    def progress(self) -> Callable[[str], None]:
        return self.time.progress

    @progress.setter
    def progress(self, line: Callable[[str], None]) -> None:
        self.time.progress = line

    def pump(self) -> int:
        return self.time.pump()

    def advance(self, ms: int) -> None:
        self.time.advance(ms)

    def run_until_idle(self, max_virtual_ms: int = MAX_DOWNLOAD_MS) -> None:
        self.time.run_until_idle(max_virtual_ms)

    def run_download_to_end(self) -> None:
        self.time.run_download_to_end()

    # ================================================================ observing the device
    def read_attributes(self, *attributes: OtaAttribute) -> dict[OtaAttribute, int]:
        return self.observer.read_attributes(*attributes)

    def read_every_attribute(self) -> oc.ReadAttributesResponse:
        """Read every attribute of the OTA client (those it lacks answered as unsupported)."""
        return self.observer.read_records(*OtaAttribute)

    def current_file_version(self) -> int:
        return self.observer.current_file_version()

    def image_upgrade_status(self) -> ImageUpgradeStatus:
        return self.observer.image_upgrade_status()

    def frames(self, *, sent_by_dut: bool | None = True,
               kinds: tuple[type, ...] = ()) -> Iterator[SeenFrame[oc.Command]]:
        return self.log.frames(sent_by_dut=sent_by_dut, kinds=kinds)

    def block_requests(self) -> list[SeenFrame[oc.ImageBlockRequest]]:
        return self.log.block_requests()

    def upgrade_end_statuses(self) -> list[Status]:
        return self.log.upgrade_end_statuses()

    def default_response_statuses(self) -> list[Status]:
        return self.log.default_response_statuses()

    def last_frames(self, count: int = 8, *, sent_by_dut: bool | None = None) -> str:
        return self.log.last_frames(count, sent_by_dut=sent_by_dut)

    # ================================================================ checks for Then-steps
    def await_frame(self, kind: type[C], within_ms: int) -> SeenFrame[C] | None:
        return self.observer.await_frame(kind, within_ms)

    def check_query(self) -> str | None:
        return self.observer.check_query()

    def check_block_requests(self, label: str) -> str | None:
        return self.observer.check_block_requests(label)

    def check_block_spacing(self, period: Duration) -> str | None:
        return self.observer.check_block_spacing(period)

    def check_wait_for_data(self) -> str | None:
        return self.observer.check_wait_for_data()

    def check_resumed(self) -> str | None:
        return self.observer.check_resumed()

    def check_upgrade_end(self, status: Status) -> str | None:
        return self.observer.check_upgrade_end(status)

    def check_no_default_response(self, status: Status) -> str | None:
        return self.observer.check_no_default_response(status)

    def check_default_response(self, status: Status) -> str | None:
        return self.observer.check_default_response(status)

    def check_not_downloaded(self, label: str) -> str | None:
        return self.observer.check_not_downloaded(label)

    def check_patience(self) -> str | None:
        return check_patience(self.log, self.config.pics.timing.response_timeout_ms,
                              self.scene.player_().eui64)

    def check_frames(self) -> str | None:
        """Every frame the device sent so far carries what it must (:mod:`.frame_audit`)."""
        return self.frame_audit.problem()

    # ================================================================ evidence
    def evidence(self) -> list[Evidence]:
        return self.evidence_log.entries()
