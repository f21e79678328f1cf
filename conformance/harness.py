"""The scenario harness: the reference world a scenario runs in, the hub the suite plays towards
the device under test, and the evidence an observer of the HAN sees.

One :class:`Harness` per scenario (the ``harness`` fixture of ``steps/common.py``). It owns the
virtual clock and builds the :class:`~conformance.models.premises.World` lazily from the
premises and pairing steps. Time moves only in :meth:`Harness.advance` and
:meth:`Harness.run_download_to_end`.

**Observation goes through the HAN only.** The device under test is read with ZCL Read
Attributes (CurrentFileVersion, ImageUpgradeStatus) sent by the hub, and judged by the frames
it sends; never by the model's Python attributes. The same steps therefore work for a device
reached over the DUT bridge (:mod:`conformance.adapters`): :attr:`Harness.dut` is the seam.

**The hub the suite plays.** :class:`HubPlayer` sits on the HAN in place of the reference
Communications Hub, with the hub's EUI-64 (the device takes firmware only from its paired hub).
While the scenario offers an image itself ("the hub offers image X to the device") the player
answers the device's OTA commands from a script — MinimumBlockPeriod, WAIT_FOR_DATA, a status
or a raw frame for the next command, the upgrade time, a link loss, fragments in an order.
Otherwise every frame goes to the reference :class:`~conformance.models.comms_hub.CommsHub`,
which the DCC drives (Service Requests, GBT, CCS08, 0x8F8B).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import itertools
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hanota.protocol import fragments as fr
from hanota.protocol import ota_commands as oc
from hanota.protocol import ota_image
from hanota.protocol.errors import DeviceViolationError, HarnessUsageError, ProtocolError
from hanota.protocol.ota_image import build_gbcs_image
from hanota.protocol.signatures import der_to_raw
from hanota.protocol.zcl import (
    OTA_CLUSTER_ID,
    DefaultResponse,
    Direction,
    FrameType,
    ImageUpgradeStatus,
    OtaAttribute,
    Status,
    peek_header,
)

from .adapters import DutAdapter, DutLink, DutNotApplicableError, WallTimeBoundError, open_dut
from .models.clock import VirtualClock
from .models.comms_hub import HUB_FAULTS, UTC_EPOCH_OFFSET_S, HandHeldTerminal
from .models.dcc import DeviceRecord
from .models.han import OTA_ENDPOINT, SE_PROFILE_ID, HanFrame, HanNetwork
from .models.premises import DeviceSpec, World, deterministic_key, sign_deterministically
from .params import (
    PIXIT_DURATIONS,
    Defect,
    DefectKind,
    Duration,
    Recipient,
    Relation,
    Size,
    UpgradeTime,
    UpgradeTimeKind,
)
from .pics import REFERENCE_DCC_PIXIT, Pics
from .signing import ImageUnavailableError, declared_public_key, signer_for, supplied_image

__all__ = ["DEFAULT_PIXIT_DURATIONS", "DutHandle", "Harness", "HubPlayer", "ImageInfo", "Offer"]

#: The reference DCC's declared PIXIT durations: the reference world is built with them, and a
#: run against it judges by them (a DCC under test declares its own: conformance.pics.DccPixit).
DEFAULT_PIXIT_DURATIONS = dict(REFERENCE_DCC_PIXIT)
#: "The download runs to its end" stops after this much virtual time with no word from the device.
QUIET_MS = 120_000
#: ... and never runs longer than this (a model that never ends is a bug to report).
MAX_DOWNLOAD_MS = 3 * 86_400_000
#: A long download reports its progress this often (wall time, seconds).
PROGRESS_EVERY_S = 5.0
_EVIDENCE_HEAD = 50
_EVIDENCE_TAIL = 50
_OTHER_NODE_EUI_LOW = 0xEF
_TSN_BASE = 0xC0  # the harness's own reads use TSNs 0xC0-0xFF, away from the hub's counter


@dataclass(frozen=True)
class ImageInfo:
    """An image built for the scenario: its bytes and the identity its header claims."""

    data: bytes
    manufacturer_code: int
    image_type: int
    file_version: int
    payload_size: int
    hardware_versions: tuple[int, int] | None = None
    #: a ZigBee OTA file signed with the reference profile's P-256 sub-element (else GBCS)
    zigbee: bool = False
    #: the Upgrade File Destination of a device-specific file (None: for any device)
    destination: int | None = None


@dataclass(frozen=True)
class DutHandle:
    """What the steps know of the device under test: its address and declared identity."""

    eui64: int
    kind: str
    manufacturer_code: int
    image_type: int
    file_version: int
    hardware_version: int


class OfferState(enum.Enum):
    NOTIFIED = "notified"
    DOWNLOADING = "downloading"
    ENDED = "ended"          # Upgrade End exchange done, refused, aborted or scripted to stop


@dataclass
class Offer:
    """One offer the played hub makes: the parts to serve (one image, or fragments in order)."""

    label: str
    parts: list[bytes]
    info: ImageInfo
    index: int = 0
    state: OfferState = OfferState.NOTIFIED
    withdrawn: bool = False          # after a scripted answer: NO_IMAGE_AVAILABLE / ABORT
    ended_because: str = ""
    served_end: int = 0              # furthest byte of the current part served
    served_total: int = 0            # bytes served over every part
    last_activity_ms: int = 0
    busy_until_ms: int = 0
    end_statuses: list[Status] = field(default_factory=list)
    cut_offset: int | None = None    # FileOffset reached when the link was cut
    link_back_ms: int | None = None

    @property
    def part(self) -> bytes:
        return self.parts[self.index]


@dataclass
class HubScript:
    """How the played hub answers, set by the Given steps before the offer."""

    minimum_block_period_ms: int = 0
    wait_for_data: deque[int] = field(default_factory=deque)        # seconds, one per request
    answers: dict[int, Status | bytes] = field(default_factory=dict)  # command id -> answer
    upgrade_time: UpgradeTime = field(default_factory=lambda: UpgradeTime(UpgradeTimeKind.NOW))
    cut_after_bytes: int | None = None
    outage_ms: int = 0
    #: Octets appended to every frame the hub sends (fields of a later ZCL revision, or zigpy's
    #: NO_IMAGE_AVAILABLE answer with its optional fields): a receiver ignores them.
    trailing_octets: bytes = b""


class HubPlayer:
    """The hub the suite plays (a :class:`HanNetwork` node with the hub's EUI-64).

    Frames from the device under test go to the current :class:`Offer` while there is one,
    answers to the harness's own Read Attributes are kept, and everything else is passed to
    the reference hub (``inner``). See the module docstring.
    """

    def __init__(self, inner: Any, network: HanNetwork, dut_eui64: int, upgrade_times: Callable[
            [UpgradeTime], tuple[int, int]], *, eui64: int | None = None) -> None:
        self.inner = inner
        self.network = network
        self.clock = network.clock
        self.eui64: int = inner.eui64 if eui64 is None else eui64
        self.dut = dut_eui64
        self.script = HubScript()
        self.offer: Offer | None = None
        self.reads: dict[int, Any] = {}
        #: (TSN, command id) of each raw frame the script sent, for the Default Responses to them
        self.raw_answers: list[tuple[int, int]] = []
        self._upgrade_times = upgrade_times
        self._out: deque[HanFrame] = deque()
        self._tsn = _TSN_BASE
        self._mbp_told = False

    # ---------------------------------------------------------------- HanNode
    def next_frame(self) -> HanFrame | None:
        if self._out:
            return self._out.popleft()
        frame: HanFrame | None = self.inner.next_frame()
        if frame is not None and frame.src != self.eui64:
            frame = dataclasses.replace(frame, src=self.eui64)
        return frame

    def receive(self, frame: HanFrame) -> None:
        if frame.src != self.dut or frame.cluster_id != OTA_CLUSTER_ID:
            self.inner.receive(frame)
            return
        try:
            header, cmd = oc.decode_command(frame.payload)
        except ProtocolError:
            self.inner.receive(frame)
            return
        if isinstance(cmd, oc.ReadAttributesResponse) and header.tsn in self.reads:
            self.reads[header.tsn] = cmd
            return
        offer = self.offer
        if offer is None or isinstance(cmd, (oc.ReadAttributesResponse, DefaultResponse)):
            self.inner.receive(frame)
            return
        offer.last_activity_ms = self.clock.now_ms
        if isinstance(cmd, oc.QueryNextImageRequest):
            self._on_query(offer, header.tsn, cmd)
        elif isinstance(cmd, oc.ImageBlockRequest):
            self._on_block_request(offer, header.tsn, cmd)
        elif isinstance(cmd, oc.UpgradeEndRequest):
            self._on_end_request(offer, header.tsn, cmd)

    # ---------------------------------------------------------------- the offer
    def start(self, offer: Offer) -> None:
        self.offer = offer
        self._mbp_told = False
        offer.last_activity_ms = offer.busy_until_ms = self.clock.now_ms
        self.notify()

    def notify(self) -> None:
        # Payload type 0 (jitter only): the device decides on the Query Next Image Response and
        # the image itself, so a device that filtered only the notification cannot pass.
        self._require_offer()
        self._send(oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.QUERY_JITTER, query_jitter=100))

    def upgrade_end_response(self, when: UpgradeTime) -> None:
        info = self._require_offer().info
        current, upgrade = self._upgrade_times(when)
        self._send(oc.UpgradeEndResponse(manufacturer_code=info.manufacturer_code,
                                         image_type=info.image_type, file_version=info.file_version,
                                         current_time=current, upgrade_time=upgrade))

    def read(self, attributes: Iterable[OtaAttribute]) -> int:
        self._tsn = _TSN_BASE + (self._tsn + 1 - _TSN_BASE) % (0x100 - _TSN_BASE)
        self.reads[self._tsn] = None
        self._send(oc.ReadAttributes(attribute_ids=tuple(int(a) for a in attributes)), tsn=self._tsn)
        return self._tsn

    def _require_offer(self) -> Offer:
        if self.offer is None:
            raise HarnessUsageError("the hub has offered no image yet in this scenario")
        return self.offer

    def _scripted(self, offer: Offer, command_id: int, tsn: int) -> bool:
        answer = self.script.answers.pop(command_id, None)
        if answer is None:
            return False
        offer.withdrawn = True
        if isinstance(answer, bytes):  # a raw frame: the request's TSN goes in byte 1
            payload = answer[:1] + bytes([tsn]) + answer[2:]
            self.raw_answers.append((tsn, _frame_key(payload)[1]))
            self._raw(payload)
        elif command_id == oc.CommandId.QUERY_NEXT_IMAGE_REQUEST:
            self._send(oc.QueryNextImageResponse(status=answer), tsn=tsn)
        else:
            self._send(oc.ImageBlockResponse(status=answer), tsn=tsn)
        return True

    def _on_query(self, offer: Offer, tsn: int, cmd: oc.QueryNextImageRequest) -> None:
        if self._scripted(offer, oc.CommandId.QUERY_NEXT_IMAGE_REQUEST, tsn):
            return
        if offer.withdrawn or offer.state is OfferState.ENDED:
            self._send(oc.QueryNextImageResponse(status=Status.NO_IMAGE_AVAILABLE), tsn=tsn)
            return
        offer.state = OfferState.DOWNLOADING
        info = offer.info
        self._send(oc.QueryNextImageResponse(
            status=Status.SUCCESS, manufacturer_code=info.manufacturer_code, image_type=info.image_type,
            file_version=info.file_version, image_size=len(offer.part)), tsn=tsn)

    def _on_block_request(self, offer: Offer, tsn: int, cmd: oc.ImageBlockRequest) -> None:
        now = self.clock.now_ms
        script = self.script
        if script.cut_after_bytes is not None and offer.served_total >= script.cut_after_bytes:
            # The link goes down after the device received that much: this request is lost.
            script.cut_after_bytes = None
            offer.cut_offset = offer.served_end
            self.network.link_down(self.dut)
            offer.link_back_ms = now + script.outage_ms
            offer.busy_until_ms = offer.link_back_ms
            self.clock.call_later(script.outage_ms, self._link_back)
            return
        if self._scripted(offer, oc.CommandId.IMAGE_BLOCK_REQUEST, tsn):
            return
        if offer.withdrawn or offer.state is OfferState.ENDED:
            self._send(oc.ImageBlockResponse(status=Status.ABORT), tsn=tsn)
            return
        utc = self._utc()
        if script.wait_for_data or (script.minimum_block_period_ms and not self._mbp_told):
            wait_s = script.wait_for_data.popleft() if script.wait_for_data else 0
            self._mbp_told = True
            offer.busy_until_ms = now + wait_s * 1000
            self._send(oc.ImageBlockResponse(status=Status.WAIT_FOR_DATA, current_time=utc,
                                             request_time=utc + wait_s,
                                             minimum_block_period=script.minimum_block_period_ms), tsn=tsn)
            return
        part = offer.part
        data = part[cmd.file_offset:cmd.file_offset + min(cmd.maximum_data_size, oc.MAX_IMAGE_DATA)]
        if not data:
            self._send(oc.ImageBlockResponse(status=Status.ABORT), tsn=tsn)
            return
        info = offer.info
        end = cmd.file_offset + len(data)
        offer.served_total += max(0, end - offer.served_end)
        offer.served_end = max(offer.served_end, end)
        self._send(oc.ImageBlockResponse(
            status=Status.SUCCESS, manufacturer_code=info.manufacturer_code, image_type=info.image_type,
            file_version=info.file_version, file_offset=cmd.file_offset, image_data=data), tsn=tsn)

    def _on_end_request(self, offer: Offer, tsn: int, cmd: oc.UpgradeEndRequest) -> None:
        status = Status(cmd.status)
        offer.end_statuses.append(status)
        if status == Status.SUCCESS and not offer.withdrawn:
            offer.state = OfferState.ENDED
            offer.ended_because = "Upgrade End Request SUCCESS answered"
            self.upgrade_end_response(self.script.upgrade_time)
            return
        self._send(DefaultResponse(command_id=oc.CommandId.UPGRADE_END_REQUEST, status=Status.SUCCESS,
                                   direction=Direction.SERVER_TO_CLIENT), tsn=tsn)
        if status == Status.REQUIRE_MORE_IMAGE and offer.index + 1 < len(offer.parts):
            offer.index += 1
            offer.served_end = 0
            offer.state = OfferState.NOTIFIED
            self.notify()
            return
        offer.state = OfferState.ENDED
        offer.ended_because = f"Upgrade End Request {status.name}"

    def _link_back(self) -> None:
        self.network.link_up(self.dut)
        if self.offer is not None and self.offer.state is not OfferState.ENDED:
            self.notify()  # as the hub does when a device falls silent: notify again

    # ---------------------------------------------------------------- sending
    def _utc(self) -> int:
        return UTC_EPOCH_OFFSET_S + self.clock.now_ms // 1000

    def _send(self, cmd: Any, *, tsn: int | None = None) -> None:
        if tsn is None:
            self._tsn = _TSN_BASE + (self._tsn + 1 - _TSN_BASE) % (0x100 - _TSN_BASE)
            tsn = self._tsn
        self._raw(oc.encode_command(cmd, tsn=tsn))

    def _raw(self, payload: bytes) -> None:
        trailing = self.script.trailing_octets
        peek = peek_header(payload) if trailing else None
        if peek is not None and peek.frame_type == FrameType.CLUSTER_SPECIFIC:
            payload += trailing  # not to Read Attributes: its list of ids runs to the frame's end
        self._out.append(HanFrame(self.eui64, self.dut, OTA_ENDPOINT, OTA_ENDPOINT, SE_PROFILE_ID,
                                  OTA_CLUSTER_ID, payload))


@dataclass(frozen=True)
class SeenFrame:
    """One frame of the HAN log, decoded on demand."""

    index: int
    time_ms: int
    frame: HanFrame
    command: Any

    @property
    def name(self) -> str:
        return type(self.command).__name__


class Harness:
    """Everything a scenario touches (see the module docstring and steps/common.py)."""

    def __init__(self, *, pics: Pics, rules: str = "wg-2016", seed: int = 0,
                 device_faults: Iterable[str] = (), dcc_faults: Iterable[str] = (),
                 hub_faults: Iterable[str] = (), dut: str = "reference", side: str = "device",
                 pixit: dict[str, int] | None = None, dcc: str | None = None,
                 duis: dict[str, Any] | None = None) -> None:
        unknown = set(hub_faults) - set(HUB_FAULTS)
        if unknown:
            raise HarnessUsageError(f"unknown hub faults: {', '.join(sorted(unknown))}")
        self.clock = VirtualClock()
        self.pics = pics
        self.rules = rules
        self.seed = seed
        self.side = side
        self.dut_spec = dut
        self.device_faults = frozenset(device_faults)
        self.dcc_faults = frozenset(dcc_faults)
        self.hub_faults = frozenset(hub_faults)
        self.max_image_bytes = pics.max_image_bytes
        durations = dict(DEFAULT_PIXIT_DURATIONS, **(pixit or {}))
        #: the PIXIT durations the DCC declared (all, when none are given: the reference DCC's)
        self.declared_pixit = frozenset(durations if pixit is None else pixit)
        self.alert_service_level_ms = durations["alert_service_level_ms"]
        self.version_confirmation_delay_ms = durations["version_confirmation_delay_ms"]
        self.alert_stagger_interval_ms = durations["alert_stagger_interval_ms"]
        self.world: World | None = None
        self.images: dict[str, bytes] = {}
        self.image_versions: dict[str, int] = {}
        self.image_info: dict[str, ImageInfo] = {}
        self.fragments: dict[str, list[bytes]] = {}
        self.player: HubPlayer | None = None
        self.extra_nodes: list[Any] = []
        #: Callables returning True while a DCC-driven transfer is still under way (dcc_side).
        self.download_probes: list[Callable[[], bool]] = []
        #: Callables adding evidence entries (Service Requests, alerts: dcc_side).
        self.evidence_sources: list[Callable[[], list[dict[str, Any]]]] = []
        self._suppliers: tuple[str, str | None] | None = None
        self._device_key = ""
        self._decoded: dict[int, Any] = {}
        #: The bridged device under test (None: the reference device in the world).
        self.adapter: DutAdapter | None = None
        self._link: DutLink | None = None
        #: A wall-time device: the harness's clock follows the wall clock (offset at pairing).
        self.wall_time = False
        self._wall_offset_ms = 0
        #: Where progress lines of long downloads go (the fixture routes them to the terminal).
        self.progress: Callable[[str], None] = _stderr_line
        #: ``--hanota-dcc URL``: the DCC-side scenarios run against that DCC test system.
        self.dcc_url = dcc
        #: The scenario's DCC side (``steps/dcc_steps.py`` makes the in-process one on first use).
        self.dcc_side: Any = None
        #: The DCC test system over HTTP when ``dcc_url`` is set and this is a DCC-side scenario:
        #: then the local world is only a twin (device identities, signing key), time is its.
        self.remote_dcc: Any = None
        #: The manufacturer's test key or signing command (None: the world's test key), and
        #: without one the manufacturer's signed images (docs/pics.md, "The device's key").
        self.signer = signer_for(pics)
        self.supplied = pics.newer_image is not None and self.signer is None
        #: ``--duis-*`` options of a DUIS run (``dcc`` is ``duis+http(s)://...``); closers run at the end.
        self.duis_options = dict(duis or {})
        self.closers: list[Callable[[], None]] = []

    def _new_world(self) -> World:
        """The reference world with the run's rules, seed, faults and PIXIT values."""
        return World(self.clock, rules=self.rules, seed=self.seed,  # type: ignore[arg-type]
                     dcc_faults=self.dcc_faults, max_image_bytes=self.max_image_bytes,
                     service_level_ms=self.alert_service_level_ms,
                     confirm_delay_ms=self.version_confirmation_delay_ms,
                     alert_stagger_interval_ms=self.alert_stagger_interval_ms)

    def _new_world_keyed(self) -> World:
        """The reference world, whose devices and DCC know the declared public key, if any."""
        world = self._new_world()
        declared = declared_public_key(self.pics)
        if declared is not None:
            world.public_key = declared
        return world

    # ================================================================ PIXIT and parameters
    @property
    def pixit_durations(self) -> dict[str, int]:
        return {"alert_service_level_ms": self.alert_service_level_ms,
                "version_confirmation_delay_ms": self.version_confirmation_delay_ms,
                "alert_stagger_interval_ms": self.alert_stagger_interval_ms}

    def ms(self, duration: Duration) -> int:
        if duration.pixit is not None and duration.pixit not in self.declared_pixit:
            name = next((k for k, v in PIXIT_DURATIONS.items() if v == duration.pixit), str(duration))
            raise DutNotApplicableError(f"the DCC declares no figure for {name} (DCC PIXIT); the "
                                        "minutes set none, and the suite invents none")
        return duration.resolve(self.pixit_durations)

    def size_bytes(self, size: Size) -> int:
        if size.capacity and self.pics.image_capacity_bytes is None:
            raise DutNotApplicableError("the device declares no image capacity (PICS [pixit] "
                                        "image_capacity_bytes), so the scenarios sized by it do not apply")
        return size.resolve(self.max_image_bytes, self.pics.image_capacity_bytes)

    # ================================================================ the premises
    def premises(self, electricity: str, gas: str | None) -> None:
        """Record the premises' Suppliers; the world is built when the device is paired."""
        if self.world is not None:
            raise HarnessUsageError("the premises are already built in this scenario")
        self._suppliers = (electricity, gas)

    def pair(self, kind: str | None) -> None:
        """Build the world: the premises with one device of ``kind`` (None: the PICS kind)."""
        if self._suppliers is None:
            raise HarnessUsageError("pairing needs the premises first")
        if self.world is not None:
            raise HarnessUsageError("a device is already paired in this scenario")
        if self.dut_spec != "reference" and self.side == "device":
            return self._pair_bridged()
        kind = kind or (self.pics.kind if self.side == "device" else "ppmid")
        world = self._new_world_keyed()
        self.world = world
        premises = world.add_premises(
            electricity_supplier=self._suppliers[0], gas_supplier=self._suppliers[1], devices=(kind,),
            device_faults=self.device_faults,
            supports_fragmentation=self.pics.supports("fragmentation"),
            consumer_refusal=self.pics.supports("consumer_refusal"), device_options=_pics_options(self.pics))
        self._device_key = kind
        hub = premises.hub
        hub.faults = self.hub_faults
        # The played hub takes the reference hub's place on the HAN, under the same EUI-64.
        premises.network.detach(hub.eui64)
        self.player = HubPlayer(hub, premises.network, premises.devices[kind].eui64, self._upgrade_times)
        premises.network.attach(self.player)
        self.image_versions["original"] = self.dut.file_version
        if self.dcc_url is not None and self.side == "dcc":
            self._connect_dcc(kind)

    def _connect_dcc(self, kind: str) -> None:
        """Start the scenario on the DCC test system at ``dcc_url`` (``POST /reset`` with the
        run's rules, seed and PIXIT durations, then ``POST /premises`` as here). The local world
        stays as a twin: the steps take device identities and the image signing key from it,
        so the remote premises must match it (the reference DCC served with the same seed does)."""
        from .dcc_http.client import HttpDccSide

        assert self._suppliers is not None and self.world is not None
        if (self.dcc_url or "").startswith("duis+"):
            from .duis.link import connect

            side = connect(self, kind, self.dcc_url or "", self.duis_options)
            self.remote_dcc = self.dcc_side = side
            self.evidence_sources.append(lambda: [{"kind": "dcc", "text": line} for line in side.evidence()])
            return
        world = self.world
        client = HttpDccSide(self.dcc_url or "")
        config: dict[str, Any] = {
            "rules": self.rules, "seed": self.seed, "max_image_bytes": self.max_image_bytes,
            "alert_window_ms": world.dcc.alert_window_ms, "service_level_ms": self.alert_service_level_ms,
            "confirm_delay_ms": self.version_confirmation_delay_ms,
            "alert_stagger_interval_ms": self.alert_stagger_interval_ms}
        if self.dcc_faults:  # otherwise the faults the system was started with stay (mutation runs)
            config["dcc_faults"] = sorted(self.dcc_faults)
        info = client.reset(**config)
        made = client.add_premises(
            electricity_supplier=self._suppliers[0], gas_supplier=self._suppliers[1], devices=(kind,),
            supports_fragmentation=self.pics.supports("fragmentation"),
            consumer_refusal=self.pics.supports("consumer_refusal"),
            device_faults=sorted(self.device_faults), hub_faults=sorted(self.hub_faults))
        self._check_twin(made, info)
        self.remote_dcc = self.dcc_side = client
        self.evidence_sources.append(lambda: [{"kind": "dcc", "text": line} for line in client.evidence()])
        self.evidence_sources.append(client.gbcs_evidence)

    def _check_twin(self, made: dict[str, Any], info: dict[str, Any]) -> None:
        """The remote premises' device must be the twin's (EUI-64, identity, signing key)."""
        from cryptography.hazmat.primitives import serialization

        dut = self.dut
        devices = made.get("devices") or [{}]
        got = devices[0]
        want = {"eui64": f"{dut.eui64:016X}", "manufacturer_code": dut.manufacturer_code,
                "image_type": dut.image_type, "file_version": f"{dut.file_version:08X}"}
        differ = {k: (v, got.get(k)) for k, v in want.items()
                  if str(got.get(k, "")).upper() != str(v).upper()}
        pem = self._world().public_key.public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
        remote_pem = info.get("manufacturer_public_key_pem")
        if remote_pem is not None and remote_pem.strip() != pem.decode("ascii").strip():
            differ["manufacturer_public_key_pem"] = ("the suite's test key for seed "
                                                     f"{self.seed}", "another key")
        if differ:
            raise HarnessUsageError(
                f"the DCC test system at {self.dcc_url} built a premises unlike the suite's reference "
                f"twin (seed {self.seed}); expected, got: {differ}. Serve it with 'hanota serve-dcc' "
                "or give devices and a signing key the suite can reproduce")

    def _pair_bridged(self) -> None:
        """The device under test is reached through ``conformance.adapters`` (``--hanota-dut
        tcp://HOST:PORT``): it joins the premises' HAN through a DutLink, and the played hub
        takes the address of the hub the device says it is paired with."""
        assert self._suppliers is not None
        adapter = open_dut(self.dut_spec, response_timeout_ms=self.pics.timing.response_timeout_ms)
        self.adapter = adapter
        ident = adapter.identity
        if ident.paired_hub is None:
            raise HarnessUsageError("the device under test says it is paired with no hub")
        if ident.can_reset:  # every scenario starts from the factory state ...
            adapter.reset()
            adapter.close()  # ... and a fresh handshake reports the firmware it then runs
            adapter = self.adapter = open_dut(self.dut_spec,
                                              response_timeout_ms=self.pics.timing.response_timeout_ms)
            ident = adapter.identity
        world = self._new_world_keyed()
        self.world = world
        premises = world.add_premises(electricity_supplier=self._suppliers[0],
                                      gas_supplier=self._suppliers[1], devices=())
        hub = premises.hub
        hub.faults = self.hub_faults
        spec = DeviceSpec(ident.eui64, ident.kind, ident.manufacturer_code, ident.image_type,
                          ident.file_version, ident.hardware_version)
        hub.pair(ident.eui64, ident.kind)
        world.dcc.register_device(DeviceRecord(ident.eui64, ident.kind, premises.premises_id,
                                               ident.manufacturer_code, ident.image_type,
                                               world.public_key), firmware_version=ident.file_version)
        # World has no public way to add a device it did not build; its request builder needs it.
        world._devices[ident.eui64] = (premises, spec)
        premises.specs[ident.eui64] = spec
        self._link = DutLink(adapter)
        premises.devices[ident.kind] = self._link
        self._device_key = ident.kind
        premises.network.detach(hub.eui64)
        self.player = HubPlayer(hub, premises.network, ident.eui64, self._upgrade_times,
                                eui64=ident.paired_hub)
        premises.network.attach(self.player)
        premises.network.attach(self._link)
        self.image_versions["original"] = ident.file_version
        # A real device runs on wall time: from now on the harness's clock follows it.
        self.wall_time = not ident.virtual_time
        self._wall_offset_ms = self.clock.now_ms - adapter.now_ms()

    def close(self) -> None:
        """End the scenario: close the connection to a bridged device (and a DUIS response address)."""
        if self.adapter is not None:
            self.adapter.close()
        for close in self.closers:
            close()

    def _world(self) -> World:
        if self.world is None:
            raise HarnessUsageError("no premises with a paired device yet in this scenario")
        return self.world

    def _player(self) -> HubPlayer:
        self._world()
        assert self.player is not None
        return self.player

    @property
    def premises_(self) -> Any:
        return self._world().first

    @property
    def hub(self) -> Any:
        """The reference Communications Hub (DCC side); on the HAN the player stands for it."""
        return self._world().first.hub

    @property
    def network(self) -> HanNetwork:
        return self._world().first.network

    @property
    def device(self) -> Any:
        """The scenario's device as the world holds it (use only for its address: ``.eui64``)."""
        return self._world().first.devices[self._device_key]

    @property
    def dut(self) -> DutHandle:
        """The device under test: its address and declared identity (the seam for adapters)."""
        if self.adapter is not None:
            i = self.adapter.identity
            return DutHandle(i.eui64, i.kind, i.manufacturer_code, i.image_type, i.file_version,
                             i.hardware_version)
        spec = self._world().spec(self.device.eui64)
        return DutHandle(spec.eui64, spec.kind, spec.manufacturer_code, spec.image_type,
                         spec.file_version, spec.hardware_version)

    # ================================================================ images
    def make_image(self, label: str, size: Size, relation: Relation, *, zigbee: bool = False) -> ImageInfo:
        """A signed image of ``size`` bytes in all: a GBCS Upgrade Image, or with ``zigbee`` a
        ZigBee OTA file (upgrade image sub-element, then the P-256 signature sub-element)."""
        dut = self.dut
        if label in self.images:
            raise HarnessUsageError(f"image {label!r} is already defined in this scenario")
        if self.supplied:  # the manufacturer's own signed images stand for the scenario's
            data, version = supplied_image(self.pics, size, relation, zigbee=zigbee,
                                           taken=set(self.image_versions.values()))
            parsed = ota_image.parse_image(data, max_size=len(data))
            info = ImageInfo(data, parsed.header.manufacturer_code, parsed.header.image_type, version,
                             len(parsed.manufacturer_image))
            self._store(label, info)
            return info
        known = list(self.image_versions.values()) or [dut.file_version]
        version = {Relation.NEWER: max(known) + 1, Relation.SAME: dut.file_version,
                   Relation.OLDER: dut.file_version - 1}[relation]
        overhead = len(self._build(payload_size=1, file_version=version, zigbee=zigbee)) - 1
        payload = 0 if size.header_only else self.size_bytes(size) - overhead
        if payload < 0:
            raise HarnessUsageError(f"an image of {self.size_bytes(size)} bytes cannot hold its own "
                                    f"header and signature ({overhead} bytes)")
        data = self._build(payload_size=payload, file_version=version, zigbee=zigbee)
        info = ImageInfo(data, dut.manufacturer_code, dut.image_type, version, payload, zigbee=zigbee)
        self._store(label, info)
        return info

    def _build(self, *, payload_size: int, file_version: int, manufacturer_code: int | None = None,
               image_type: int | None = None, key: Any = None, signed: bool = True,
               hardware_versions: tuple[int, int] | None = None, zigbee: bool = False,
               destination: int | None = None) -> bytes:
        """An image for the device under test, signed (deterministically, RFC 6979) with the
        world's manufacturer test key; the payload is drawn from the seed. A GBCS Upgrade Image,
        or with ``zigbee`` a ZigBee OTA file; ``destination`` makes it a device-specific file."""
        world, dut = self._world(), self.dut
        rng = random.Random(f"payload-{self.seed}-{dut.eui64}-{file_version}-{payload_size}")  # noqa: S311
        signer: Any = (key or self.signer or world.manufacturer_key) if signed else None
        low, high = hardware_versions if hardware_versions is not None else (None, None)
        identity: dict[str, Any] = dict(
            manufacturer_code=dut.manufacturer_code if manufacturer_code is None else manufacturer_code,
            image_type=dut.image_type if image_type is None else image_type, file_version=file_version,
            minimum_hardware_version=low, maximum_hardware_version=high,
            upgrade_file_destination=destination)
        if zigbee:
            return _build_signed_zigbee(rng.randbytes(payload_size), signer, identity)
        image = build_gbcs_image(manufacturer_image=rng.randbytes(payload_size),
                                 private_key=world.manufacturer_key if signer else None, **identity)
        return sign_deterministically(image, signer) if signer is not None else image

    def _store(self, label: str, info: ImageInfo) -> None:
        self.images[label] = info.data
        self.image_versions[label] = info.file_version
        self.image_info[label] = info

    def version_of(self, label: str) -> int:
        """The file version of image ``label`` ("original": what the device ran at the start)."""
        try:
            return self.image_versions[label]
        except KeyError:
            raise HarnessUsageError(f"no image {label!r} in this scenario; known: "
                                    f"{', '.join(sorted(self.image_versions)) or 'none'}") from None

    def image(self, label: str) -> ImageInfo:
        try:
            return self.image_info[label]
        except KeyError:
            raise HarnessUsageError(f"no image {label!r} in this scenario; known: "
                                    f"{', '.join(sorted(self.image_info)) or 'none'}") from None

    def alter_image(self, label: str, defect: Defect) -> None:
        """Make image ``label`` defective as the feature says (after signing, where it says so)."""
        info, dut = self.image(label), self.dut
        kind = defect.kind
        if kind is DefectKind.FRAGMENT_BYTE:
            parts = self.fragments.get(label)
            if parts is None or defect.fragment is None or defect.fragment > len(parts):
                raise HarnessUsageError(f"image {label!r} has no fragment {defect.fragment}")
            part = bytearray(parts[defect.fragment - 1])
            part[-1] ^= 0xFF  # the last byte of the fragment's slice of the whole image
            parts[defect.fragment - 1] = bytes(part)
            return
        if kind is DefectKind.FRAGMENT_FORGED_DIGEST:
            self.fragments[label] = self._forge_fragments(label, defect.fragment)
            return
        if kind in _FORGED_COUNTS:
            self.fragments[label] = self._forge_count(label, defect)
            return
        if self.fragments.get(label):
            raise HarnessUsageError("alter the image before splitting it into fragments")

        if kind in _SMUGGLING:
            self._store(label, dataclasses.replace(info, data=self._smuggle(info, kind)))
            return

        def remake(**options: Any) -> bytes:
            if self.supplied:  # every remade image needs the manufacturer's key ...
                if kind is DefectKind.SIGNATURE_OTHER_KEY:  # ... but one signed by another key
                    return sign_deterministically(info.data, options["key"])
                raise ImageUnavailableError(f"an image re-made so that {kind.value!r}", self.pics)
            options.setdefault("hardware_versions", info.hardware_versions)
            return self._build(payload_size=info.payload_size, file_version=info.file_version,
                               zigbee=info.zigbee, destination=info.destination, **options)

        data = bytearray(info.data)
        header_len = ota_image.parse_image(info.data, max_size=len(info.data)).header.header_length
        new = info
        if kind is DefectKind.PAYLOAD_BYTE:
            data[header_len + info.payload_size // 2] ^= 0x01
            new = dataclasses.replace(info, data=bytes(data))
        elif kind is DefectKind.LAST_PAYLOAD_BYTE:
            data[header_len + info.payload_size - 1] ^= 0x01
            new = dataclasses.replace(info, data=bytes(data))
        elif kind is DefectKind.SIGNATURE_MISSING:
            new = dataclasses.replace(info, data=remake(signed=False))
        elif kind is DefectKind.SIGNATURE_OTHER_KEY:
            other = deterministic_key(self.seed + 0x5EED)
            new = dataclasses.replace(info, data=remake(key=other))
        elif kind is DefectKind.SIGNATURE_TRUNCATED:
            new = dataclasses.replace(info, data=info.data[:-32])
        elif kind is DefectKind.OTHER_MANUFACTURER:
            code = dut.manufacturer_code ^ 0x0F0F
            new = dataclasses.replace(info, manufacturer_code=code,
                                      data=remake(manufacturer_code=code))
        elif kind is DefectKind.OTHER_IMAGE_TYPE:
            itype = dut.image_type ^ 0x00F0
            new = dataclasses.replace(info, image_type=itype,
                                      data=remake(image_type=itype))
        else:
            hw = dut.hardware_version
            span = (hw + 1, hw + 5) if kind is DefectKind.HARDWARE_ABOVE else (0, hw - 1)
            if span[1] < span[0]:
                raise HarnessUsageError(f"no hardware version lies below the device's ({hw})")
            new = dataclasses.replace(info, hardware_versions=span, data=remake(hardware_versions=span))
        self._store(label, new)

    def _forge_fragments(self, label: str, number: int | None) -> list[bytes]:
        """Change the last byte of fragment ``number``'s slice and re-make every descriptor so the
        set is self-consistent (slice SHA-256 and whole-image digest forged to match): only the
        whole image's signature can tell."""
        parts = self.fragments.get(label)
        if parts is None or number is None or number > len(parts):
            raise HarnessUsageError(f"image {label!r} has no fragment {number}")
        parsed = [fr.parse_fragment(part, max_bytes=len(part), max_whole_bytes=len(self.image(label).data))
                  for part in parts]
        payloads = [bytearray(f.payload) for f in parsed]
        payloads[number - 1][-1] ^= 0xFF
        slice_digests = [hashlib.sha256(payload).digest() for payload in payloads]
        offsets = [f.descriptor.fragment_offset for f in parsed]
        root = fr.whole_digest(digest for _, digest in sorted(zip(offsets, slice_digests, strict=True)))
        template = ota_image.parse_image(self.image(label).data,
                                         max_size=len(self.image(label).data)).header
        return [fr.build_fragment(dataclasses.replace(f.descriptor, whole_digest=root,
                                                      fragment_sha256=digest),
                                  bytes(payload), template=template)
                for f, payload, digest in zip(parsed, payloads, slice_digests, strict=True)]

    def address_image(self, label: str, recipient: Recipient) -> ImageInfo:
        """Make image ``label`` a device-specific file (header field control bit 1) whose Upgrade
        File Destination names the device under test or another device, signed as a whole by the
        manufacturer: only the destination differs from the file any device may take."""
        info, dut = self.image(label), self.dut
        if self.fragments.get(label):
            raise HarnessUsageError("make the image device-specific before splitting it into fragments")
        destination = dut.eui64 if recipient is Recipient.DEVICE else other_device_eui64(dut.eui64)
        if self.supplied:
            raise ImageUnavailableError("a device-specific file signed by the manufacturer", self.pics)
        new = dataclasses.replace(info, destination=destination, data=self._build(
            payload_size=info.payload_size, file_version=info.file_version, zigbee=info.zigbee,
            hardware_versions=info.hardware_versions, destination=destination))
        self._store(label, new)
        return new

    def _smuggle(self, info: ImageInfo, kind: DefectKind) -> bytes:
        """Image ``info`` with bytes its signature does not cover (docs/hostile-inputs.md). The
        header's total image size stays as signed unless the defect says it counts them; the hub
        serves the whole file either way (its Query Next Image Response gives the file's size)."""
        data = info.data
        rng = random.Random(f"smuggled-{self.seed}-{info.file_version}")  # noqa: S311
        code = rng.randbytes(_SMUGGLED_BYTES)  # stands for code the manufacturer never signed
        if kind is DefectKind.BYTES_AFTER_SIGNATURE:
            return data + code
        if kind is DefectKind.BYTES_AFTER_SIGNATURE_COUNTED:
            return _count_in_total(data + code)
        if not info.zigbee:
            raise HarnessUsageError(f"{kind.value!r} needs a ZigBee OTA image (sub-elements); "
                                    "this one is a GBCS Upgrade Image")
        parsed = ota_image.parse_image(data, max_size=len(data))
        signature = parsed.sub_elements[-1]
        signature_element = data[signature.offset:]
        if kind is DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE:
            return data + _element(ota_image.SubElementTag.UPGRADE_IMAGE, code)
        if kind is DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE_COUNTED:
            return _count_in_total(data + _element(ota_image.SubElementTag.UPGRADE_IMAGE, code))
        if kind is DefectKind.UNKNOWN_ELEMENT_AFTER_SIGNATURE:
            return data + _element(UNKNOWN_TAG, code)
        if kind is DefectKind.SIGNATURE_COPY_AFTER_UPGRADE_ELEMENT:
            return data + _element(ota_image.SubElementTag.UPGRADE_IMAGE, code) + signature_element
        # SIGNATURE_FIRST: the same elements, the signature moved in front of the upgrade image
        first = parsed.sub_elements[0].offset
        return data[:first] + signature_element + data[first:signature.offset]

    def _forge_count(self, label: str, defect: Defect) -> list[bytes]:
        """The fragments of ``label`` with forged fragment counts: each fragment is parsed and
        rebuilt from its own descriptor with only the count replaced (its slice and every other
        field, per-fragment check included, carried through as the library made them)."""
        parts = self.fragments.get(label)
        if parts is None:
            raise HarnessUsageError(f"image {label!r} has not been split into fragments")
        if defect.fragment is not None and defect.fragment > len(parts):
            raise HarnessUsageError(f"image {label!r} has no fragment {defect.fragment}")
        whole = len(self.image(label).data)
        out = []
        for number, part in enumerate(parts, start=1):
            parsed = fr.parse_fragment(part, max_bytes=len(part), max_whole_bytes=whole)
            desc = parsed.descriptor
            count = desc.fragment_count
            if defect.kind is DefectKind.COUNT_ONE_FEWER:
                count -= 1
            elif defect.kind is DefectKind.COUNT_ONE_MORE or number == defect.fragment:
                count += 1
            if count < 1:
                raise HarnessUsageError(f"image {label!r} has one fragment: no count is one fewer")
            out.append(fr.build_fragment(dataclasses.replace(desc, fragment_count=count),
                                         bytes(parsed.payload), template=parsed.header))
        return out

    def split_image(self, label: str, count: int) -> list[bytes]:
        """Cut image ``label`` into exactly ``count`` fragments, each within the size limit."""
        data = self.image(label).data
        header_len = ota_image.parse_image(data, max_size=len(data)).header.header_length
        room = -(-len(data) // count)
        max_bytes = header_len + 2 * 6 + fr.DESCRIPTOR_SIZE + room
        if max_bytes > self.max_image_bytes:
            raise HarnessUsageError(f"{count} fragments of image {label!r} ({len(data)} bytes) would "
                                    f"each be over the size limit ({self.max_image_bytes} bytes)")
        parts = fr.split_image(data, max_bytes=max_bytes, max_whole_bytes=max(len(data), 1))
        if len(parts) != count:
            raise HarnessUsageError(f"image {label!r} splits into {len(parts)} fragments, not {count}")
        self.fragments[label] = parts
        return parts

    # ================================================================ the played hub
    @property
    def script(self) -> HubScript:
        return self._player().script

    def set_wait_for_data(self, count: int, wait: Duration) -> None:
        ms = self.ms(wait)
        if ms % 1000:
            raise HarnessUsageError(f"WAIT_FOR_DATA times are whole seconds, not {wait}")
        self.script.wait_for_data.extend([ms // 1000] * count)

    def append_octets(self, count: int) -> None:
        """From now on the played hub appends ``count`` octets to every frame it sends."""
        self.script.trailing_octets = bytes((0xA0 + i) & 0xFF for i in range(count))

    def answer_next(self, command_id: int, answer: Status | bytes) -> None:
        self.script.answers[command_id] = answer

    def offer(self, label: str, order: tuple[int, ...] | None = None) -> Offer:
        """The hub notifies the device of image ``label`` (or its fragments in ``order``) and
        serves it as scripted. Frames in flight are delivered; time does not move."""
        info = self.image(label)
        if order is None:
            parts = [info.data]
        else:
            frags = self.fragments.get(label)
            if frags is None:
                raise HarnessUsageError(f"image {label!r} has not been split into fragments")
            if max(order) > len(frags):
                raise HarnessUsageError(f"order names fragment {max(order)}; image {label!r} has "
                                        f"{len(frags)}")
            parts = [frags[i - 1] for i in order]
        offer = Offer(label, parts, info)
        self._player().start(offer)
        self.pump()
        return offer

    def offer_from_other_node(self, label: str, *, hand_held_terminal: bool) -> None:
        """A node that is not the device's hub (an installer's HHT, or any other node) offers
        image ``label``, serving it as an OTA server would."""
        world = self._world()
        data = self.image(label).data
        if hand_held_terminal:
            node = world.hand_held_terminal(data)
        else:
            eui = (self.hub.eui64 & ~0xFF) | _OTHER_NODE_EUI_LOW
            node = HandHeldTerminal(self.clock, eui64=eui, image=data)
            self.network.attach(node)
        self.extra_nodes.append(node)
        node.offer(self.device.eui64)
        self.pump()

    def further_upgrade_end_response(self, when: UpgradeTime) -> None:
        self._player().upgrade_end_response(when)
        self.pump()

    def lose_link(self, outage: Duration, after: Size) -> None:
        script = self.script
        script.cut_after_bytes = self.size_bytes(after)
        script.outage_ms = self.ms(outage)

    def consumer_refuses(self) -> None:
        """The consumer declines the upgrade on the device (PICS consumer-refusal).

        A local act on the device: for the reference device its consumer prompt is set to
        refuse; a bridged device needs an operator or a bridge control for it.
        """
        if self.adapter is not None:
            # The bridge's CONSUMER control; a device without it: ControlNotSupportedError, which
            # the plugin reports as not applicable.
            self.adapter.set_consumer(False)
            return
        self.device.consumer_accepts = False

    def _upgrade_times(self, when: UpgradeTime) -> tuple[int, int]:
        utc = UTC_EPOCH_OFFSET_S + self.clock.now_ms // 1000
        if when.kind is UpgradeTimeKind.NOW:
            return utc, utc
        if when.kind is UpgradeTimeKind.WAIT:
            return utc, oc.UPGRADE_TIME_WAIT_FOR_COMMAND
        assert when.delay is not None
        seconds = -(-self.ms(when.delay) // 1000)
        return (0, seconds) if when.kind is UpgradeTimeKind.OFFSET else (utc, utc + seconds)

    # ================================================================ time
    def pump(self) -> int:
        """Deliver every frame in flight and every hub event, without moving time."""
        world = self._world()
        moved = 0
        while got := world.step():
            moved += got
        return moved

    def advance(self, ms: int) -> None:
        """Let ``ms`` of virtual time pass, running every timer due on the way (the world's
        and a bridged device's, in step). A wall-time device is waited for in wall time, at most
        the PICS ``max_wall_wait_ms`` (longer: WallTimeBoundError, a not-applicable verdict).
        With a DCC test system (``remote_dcc``), its clock moves instead."""
        if self.remote_dcc is not None:
            self.remote_dcc.advance(ms)
            return
        if self.wall_time:
            bound = self.pics.timing.max_wall_wait_ms
            if ms > bound:
                raise WallTimeBoundError(ms, bound)
            started = time.monotonic()

            def report() -> None:
                gone = time.monotonic() - started
                self.progress(f"waiting for {ms / 1000:g} s to pass on the device's wall clock: "
                              f"{gone:.0f} s elapsed, {ms / 1000 - gone:.0f} s to go")

            self._advance_wall(self.clock.now_ms + ms, report=report)
            return
        target = self.clock.now_ms + ms
        while True:
            self.pump()
            due = self._next_due()
            if due is None or due > target:
                self._advance_to(target)
                self.pump()
                return
            self._advance_to(due)

    def _next_due(self) -> int | None:
        dues = [self.clock.next_due_ms()]
        if self.adapter is not None:
            dut_due = self.adapter.next_due_ms()
            if dut_due is not None:
                dues.append(self.clock.now_ms + max(0, dut_due - self.adapter.now_ms()))
        known = [d for d in dues if d is not None]
        return min(known) if known else None

    def _advance_to(self, target_ms: int) -> None:
        delta = target_ms - self.clock.now_ms
        if self.adapter is not None:
            self.adapter.advance(max(0, delta))  # 0 too: runs the device's timers due now
        self.clock.advance_to(target_ms)

    def _follow_wall(self) -> None:
        """Move the harness's clock up to the device's wall clock (running the world's timers)."""
        assert self.adapter is not None
        wall = self._wall_offset_ms + self.adapter.now_ms()
        if wall > self.clock.now_ms:
            self.clock.advance_to(wall)

    def _advance_wall(self, target_ms: int, *, stop_on_frame: bool = False,
                      report: Callable[[], None] | None = None) -> None:
        """Wall time: wait for the device's frames until ``target_ms`` (harness clock), delivering
        each as it comes and running the world's timers as the clock reaches them. ``report``
        is called every PROGRESS_EVERY_S seconds of the wait: a wait is never silent."""
        assert self.adapter is not None and self._link is not None
        last_report = time.monotonic()
        while True:
            if report is not None and time.monotonic() - last_report >= PROGRESS_EVERY_S:
                last_report = time.monotonic()
                report()
            self.pump()
            self._follow_wall()
            self.pump()
            now = self.clock.now_ms
            if now >= target_ms:
                return
            due = self.clock.next_due_ms()
            until = target_ms if due is None else min(target_ms, max(due, now))
            frame = self.adapter.receive(max(0, min(until - now, int(PROGRESS_EVERY_S * 1000))))
            if frame is not None:
                self._link.hold(frame)
                if stop_on_frame:
                    self._follow_wall()
                    self.pump()
                    return

    def run_until_idle(self, max_virtual_ms: int = MAX_DOWNLOAD_MS) -> None:
        if self.remote_dcc is not None:
            self.remote_dcc.run_until_idle(max_virtual_ms)
            return
        self._world().run_until_idle(max_virtual_ms=max_virtual_ms)

    def run_download_to_end(self) -> None:
        """Advance, timer by timer, until the transfer has ended: the Upgrade End exchange is
        done, the device refused or aborted it, or the device has been silent for QUIET_MS.
        Bounded by MAX_DOWNLOAD_MS of virtual time. On a wall-time device, silence means the PICS
        response timeout (or block period, if longer) and the bound is ``max_download_ms``; the
        progress is reported every PROGRESS_EVERY_S seconds of wall time."""
        self._world()
        if self.remote_dcc is not None:
            return self._run_remote_download_to_end()
        start = self.clock.now_ms
        offer = self.player.offer if self.player else None
        timing = self.pics.timing
        quiet_ms = max(timing.response_timeout_ms, timing.block_period_ms) if self.wall_time else QUIET_MS
        max_ms = timing.max_download_ms if self.wall_time else MAX_DOWNLOAD_MS
        wall_start = last_report = time.monotonic()
        seen = [len(self.network.log)]  # the frame count at the last progress line

        def report() -> None:
            self.progress(self._progress_line(offer, time.monotonic() - wall_start, seen,
                                              quiet_ms=quiet_ms, max_ms=max_ms))

        while True:
            self.pump()
            now = self.clock.now_ms
            if time.monotonic() - last_report >= PROGRESS_EVERY_S:
                last_report = time.monotonic()
                report()
            if offer is not None:
                if offer.state is OfferState.ENDED:
                    return
                quiet_from = max(offer.last_activity_ms, offer.busy_until_ms)
            else:
                if not self._dcc_transfer_pending():
                    return
                quiet_from = self._last_frame_ms()
            if now - quiet_from >= quiet_ms:
                return
            horizon = quiet_from + quiet_ms
            if now - start > max_ms:
                raise DeviceViolationError(f"the download did not end within {max_ms} ms; "
                                           f"{self.last_frames()}") if self.wall_time else \
                    HarnessUsageError(f"the download did not end within {max_ms} virtual ms")
            if self.wall_time:
                self._advance_wall(horizon, stop_on_frame=True, report=report)
                last_report = time.monotonic()
                continue
            due = self._next_due()
            self._advance_to(min(due, horizon) if due is not None else horizon)

    def _run_remote_download_to_end(self) -> None:
        """As in process, on the DCC test system: step its clock timer by timer while a hub is
        distributing, activating or reading back, until QUIET_MS pass without a HAN frame
        (where the system reports its last frame). On wall time it polls once a second."""
        client = self.remote_dcc
        start = None
        while True:
            if client.virtual_time:
                client.advance(0)  # deliver what is in flight, as pump() does in process
            state = client.transfer_state()
            now = int(state["now_ms"])
            start = now if start is None else start
            if not (state.get("pending") or state.get("distributing")):
                return
            last = state.get("last_frame_ms")
            quiet_from = now if last is None else int(last)
            if now - quiet_from >= QUIET_MS:
                return
            if now - start > MAX_DOWNLOAD_MS:
                raise HarnessUsageError(f"the download on the DCC test system did not end within "
                                        f"{MAX_DOWNLOAD_MS} ms")
            if client.virtual_time:
                client.step(quiet_from + QUIET_MS)
            else:
                time.sleep(1.0)

    def _progress_line(self, offer: Offer | None, elapsed_s: float, seen: list[int] | None = None, *,
                       quiet_ms: int = QUIET_MS, max_ms: int = MAX_DOWNLOAD_MS) -> str:
        """What is awaited, for how long so far, and until when at most; a frame count that has
        not moved says so (``seen`` holds the count of the last line)."""
        bound = (f"; ends after {quiet_ms / 1000:g} s without a frame, fails after {max_ms / 1000:g} s"
                 if self.wall_time else "")
        if offer is None:
            count = len(self.network.log)
            moved = seen is None or count != seen[0]
            if seen is not None:
                seen[0] = count
            frames = (f"{count} frames on the HAN" if moved
                      else f"no new frame since the last line ({count} on the HAN)")
            return f"awaiting the end of the DCC's transfer: {frames} after {elapsed_s:.0f} s{bound}"
        total = sum(len(part) for part in offer.parts)
        share = 100 * offer.served_total / total if total else 100.0
        return (f"download of image {offer.label!r}: {offer.served_total:,} of {total:,} bytes served "
                f"({share:.0f}%) after {elapsed_s:.0f} s wall time{bound}")

    def _dcc_transfer_pending(self) -> bool:
        if any(probe() for probe in self.download_probes):
            return True
        for premises in self._world().premises:
            hub = premises.hub
            if getattr(hub, "_wan", None) is not None:
                return True
            stored = getattr(hub, "stored", None)
            if stored is not None and any(t.state.value in ("notified", "downloading", "wait-more")
                                          for t in stored.targets.values()):
                return True
        return False

    def _last_frame_ms(self) -> int:
        log = self.network.log
        return log[-1][0] if log else self.clock.now_ms

    # ================================================================ observing the device
    def read_attributes(self, *attributes: OtaAttribute) -> dict[OtaAttribute, int]:
        """Read the device's OTA attributes with ZCL Read Attributes from the hub."""
        player = self._player()
        first = len(self.network.log)
        tsn = player.read(attributes)
        self.pump()
        waited = 0
        timeout = self.pics.timing.response_timeout_ms
        while player.reads.get(tsn) is None and waited < timeout:
            self.advance(100)
            waited += 100
        answer = player.reads.pop(tsn, None)
        if answer is None:
            others = [_tsn(f.frame.payload) for f in self.frames(kinds=(oc.ReadAttributesResponse,))
                      if f.index >= first]
            wrong = (f"; it sent Read Attributes Responses with transaction sequence number(s) "
                     f"{', '.join(map(str, others))} instead of {tsn}") if others else ""
            raise DeviceViolationError(f"the device did not answer Read Attributes (transaction "
                                       f"sequence number {tsn}) within {timeout} ms{wrong}; "
                                       f"{self.last_frames()}")
        out: dict[OtaAttribute, int] = {}
        for record in answer.records:
            if record.status == Status.SUCCESS and record.value is not None:
                out[OtaAttribute(record.attribute_id)] = int(record.value)
        missing = [a.name for a in attributes if a not in out]
        if missing:
            raise DeviceViolationError(f"Read Attributes Response lacks {', '.join(missing)}: {answer}")
        return out

    def current_file_version(self) -> int:
        if self.remote_dcc is not None:  # the DCC test system's simulated device
            return int(self.remote_dcc.running_version(self.device.eui64))
        return self.read_attributes(OtaAttribute.CURRENT_FILE_VERSION)[OtaAttribute.CURRENT_FILE_VERSION]

    def image_upgrade_status(self) -> ImageUpgradeStatus:
        value = self.read_attributes(OtaAttribute.IMAGE_UPGRADE_STATUS)[OtaAttribute.IMAGE_UPGRADE_STATUS]
        try:
            return ImageUpgradeStatus(value)
        except ValueError:
            raise DeviceViolationError(f"ImageUpgradeStatus {value} is not a defined value") from None

    def frames(self, *, sent_by_dut: bool | None = True, kinds: tuple[type, ...] = ()) -> Iterator[SeenFrame]:
        """Decoded OTA frames of the HAN log, oldest first: sent by the device under test
        (True), sent to it (False) or either (None); only those of ``kinds`` if given."""
        eui = self.device.eui64
        ids = {(1 if k not in (oc.ReadAttributes, oc.ReadAttributesResponse, DefaultResponse) else 0,
                int(getattr(k, "COMMAND_ID"))) for k in kinds}  # noqa: B009
        for index, (time_ms, frame) in enumerate(self.network.log):
            if frame.cluster_id != OTA_CLUSTER_ID:
                continue
            mine = frame.src == eui
            if (sent_by_dut is True and not mine) or (sent_by_dut is False and frame.dst != eui) \
                    or (sent_by_dut is None and not (mine or frame.dst == eui)):
                continue
            if ids and _frame_key(frame.payload) not in ids:
                continue
            command = self._decode(index, frame)
            if command is not None and (not kinds or isinstance(command, kinds)):
                yield SeenFrame(index, time_ms, frame, command)

    def _decode(self, index: int, frame: HanFrame) -> Any:
        if index not in self._decoded:
            try:
                self._decoded[index] = oc.decode_command(frame.payload)[1]
            except ProtocolError:
                self._decoded[index] = None
        return self._decoded[index]

    def block_requests(self) -> list[SeenFrame]:
        return list(self.frames(kinds=(oc.ImageBlockRequest,)))

    def upgrade_end_statuses(self) -> list[Status]:
        return [Status(f.command.status) for f in self.frames(kinds=(oc.UpgradeEndRequest,))]

    def default_response_statuses(self) -> list[Status]:
        return [Status(f.command.status) for f in self.frames(kinds=(DefaultResponse,))]

    @property
    def current_offer(self) -> Offer:
        return self._player()._require_offer()

    def last_frames(self, count: int = 8, *, sent_by_dut: bool | None = None) -> str:
        """The last frames to and from the device, decoded, for failure messages."""
        eui = self.device.eui64
        log = self.network.log
        picked: list[str] = []
        for index in range(len(log) - 1, -1, -1):
            time_ms, frame = log[index]
            if frame.src != eui and frame.dst != eui:
                continue
            if sent_by_dut is not None and (frame.src == eui) != sent_by_dut:
                continue
            picked.append(_describe(time_ms, frame, self._decode(index, frame), eui))
            if len(picked) >= count:
                break
        return "\n  ".join(["last frames:", *picked[::-1]]) if picked else "no frames exchanged"

    # ================================================================ checks for Then-steps
    # Each returns None when the device did what the requirement expects, else a message that
    # says the expectation in plain words and shows the decoded evidence against it.

    def await_frame(self, kind: type, within_ms: int) -> SeenFrame | None:
        """The first frame of ``kind`` the device has sent, waiting up to ``within_ms``."""
        waited = 0
        while True:
            seen = next(iter(self.frames(kinds=(kind,))), None)
            if seen is not None or waited >= within_ms:
                return seen
            self.advance(100)
            waited += 100

    def check_query(self) -> str | None:
        dut, running = self.dut, self.version_of("original")
        bound = self.pics.timing.response_timeout_ms
        seen = self.await_frame(oc.QueryNextImageRequest, bound)
        if seen is None:
            return f"expected a Query Next Image Request within {bound} ms of the Image Notify, " \
                   f"but the device sent none; {self.last_frames()}"
        q = seen.command
        want = (dut.manufacturer_code, dut.image_type, running)
        got = (q.manufacturer_code, q.image_type, q.current_file_version)
        if got != want or q.hardware_version not in (None, dut.hardware_version):
            return (f"expected Query Next Image Request with manufacturer code 0x{want[0]:04x}, image "
                    f"type 0x{want[1]:04x}, current file version 0x{want[2]:08x} (hardware version "
                    f"{dut.hardware_version} if present), but it was {_text(q)}")
        return None

    def check_block_requests(self, label: str) -> str | None:
        info = self.image(label)
        received, count, asked = 0, 0, 0
        lost = {id(frame) for _, frame in self.network.dropped}
        for seen in self.frames(sent_by_dut=None, kinds=(oc.ImageBlockRequest, oc.ImageBlockResponse)):
            cmd = seen.command
            if isinstance(cmd, oc.ImageBlockResponse):
                # Data received = blocks that arrived and continue the data: a block at an offset
                # the device did not ask for, or larger than it asked for, is not data received.
                if cmd.status == Status.SUCCESS and cmd.image_data and cmd.file_offset == received \
                        and len(cmd.image_data) <= asked \
                        and seen.frame.src == self._player().eui64 and id(seen.frame) not in lost:
                    received += len(cmd.image_data)
                continue
            count += 1
            asked = cmd.maximum_data_size
            names = (cmd.manufacturer_code, cmd.image_type, cmd.file_version)
            if names != (info.manufacturer_code, info.image_type, info.file_version):
                return (f"expected every Image Block Request to name image {label!r} (0x"
                        f"{info.manufacturer_code:04x}, 0x{info.image_type:04x}, 0x"
                        f"{info.file_version:08x}); request {count} at t={seen.time_ms} ms was {_text(cmd)}")
            if cmd.file_offset != received or cmd.maximum_data_size == 0:
                return (f"expected Image Block Request {count} to continue from the {received} bytes "
                        f"received, with a non-zero maximum data size; it was {_text(cmd)}")
        if count == 0:
            return f"expected Image Block Requests for image {label!r}, but the device sent none; " \
                   f"{self.last_frames()}"
        return None

    def _block_requests_and_waits(self) -> list[tuple[SeenFrame, int | None]]:
        """Each Image Block Request with, if the hub answered it WAIT_FOR_DATA, the time (ms)
        before which the device must not ask again."""
        out: list[tuple[SeenFrame, int | None]] = []
        for seen in self.frames(sent_by_dut=None, kinds=(oc.ImageBlockRequest, oc.ImageBlockResponse)):
            cmd = seen.command
            if isinstance(cmd, oc.ImageBlockRequest):
                out.append((seen, None))
            elif cmd.status == Status.WAIT_FOR_DATA and out:
                wait_s = cmd.request_time if cmd.current_time == 0 else cmd.request_time - cmd.current_time
                out[-1] = (out[-1][0], seen.time_ms + max(0, wait_s) * 1000)
        return out

    def check_block_spacing(self, period: Duration) -> str | None:
        gap = self.ms(period)
        pairs = self._block_requests_and_waits()
        for (first, waited), (second, _) in itertools.pairwise(pairs):
            if waited is None and second.time_ms - first.time_ms < gap:
                return (f"expected Image Block Requests at least {gap} ms apart (MinimumBlockPeriod), "
                        f"but requests at t={first.time_ms} ms and t={second.time_ms} ms are "
                        f"{second.time_ms - first.time_ms} ms apart: {_text(second.command)}")
        if len(pairs) < 2:
            return f"expected a download of several blocks, but the device sent {len(pairs)} " \
                   f"Image Block Request(s); {self.last_frames()}"
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
                        f"{_text(nxt.command)}")
        return None

    def check_resumed(self) -> str | None:
        offer = self.current_offer
        if offer.cut_offset is None or offer.link_back_ms is None:
            raise HarnessUsageError("the link was never lost in this scenario")
        after = [f for f in self.frames(kinds=(oc.ImageBlockRequest,)) if f.time_ms >= offer.link_back_ms]
        if not after:
            return (f"expected the device to resume the download after the link came back at "
                    f"t={offer.link_back_ms} ms, but it sent no Image Block Request; {self.last_frames()}")
        first = after[0].command
        if first.file_offset != offer.cut_offset:
            return (f"expected the device to resume at FileOffset {offer.cut_offset} (the data it had "
                    f"received when the link was lost), but its first request after the outage was "
                    f"{_text(first)}")
        return None

    def check_upgrade_end(self, status: Status) -> str | None:
        """The Upgrade End Request for the offered image (its manufacturer code, image type and
        file version) has ``status``, and none for it has a contrary final status."""
        offer = self.current_offer
        info, label = offer.info, offer.label
        identity = (info.manufacturer_code, info.image_type, info.file_version)
        ends = list(self.frames(kinds=(oc.UpgradeEndRequest,)))
        mine = [f for f in ends if (f.command.manufacturer_code, f.command.image_type,
                                    f.command.file_version) == identity]
        sent = ", ".join(f"t={f.time_ms} ms {_text(f.command)}" for f in ends) or "none"
        if not any(Status(f.command.status) == status for f in mine):
            return (f"expected an Upgrade End Request with status {status.name} for image {label!r} "
                    f"(0x{identity[0]:04x}, 0x{identity[1]:04x}, 0x{identity[2]:08x}), but the device "
                    f"sent: {sent}; {self.last_frames()}")
        neutral = {status, Status.REQUIRE_MORE_IMAGE}
        contrary = [f for f in mine if Status(f.command.status) not in neutral]
        if contrary:
            return (f"expected the device to end the download of image {label!r} with status "
                    f"{status.name} only, but it also sent a contrary status: "
                    + ", ".join(f"t={f.time_ms} ms {_text(f.command)}" for f in contrary))
        return None

    def check_no_default_response(self, status: Status) -> str | None:
        """No Default Response with ``status`` from the device, to anything."""
        sent = [f for f in self.frames(kinds=(DefaultResponse,)) if Status(f.command.status) == status]
        if sent:
            return (f"expected no Default Response with status {status.name}, but the device sent "
                    f"{len(sent)}: {_text(sent[0].command)} with TSN {_tsn(sent[0].frame.payload)}; "
                    f"{self.last_frames()}")
        return None

    def check_default_response(self, status: Status) -> str | None:
        """A Default Response with ``status`` answers each raw frame the hub sent: the same
        transaction sequence number and the command id of that frame; none with another status."""
        answered = self._player().raw_answers
        if not answered:
            raise HarnessUsageError("the hub sent no scripted frame for a Default Response to answer")
        responses = list(self.frames(kinds=(DefaultResponse,)))
        seen = ", ".join(f"{_text(f.command)} with TSN {_tsn(f.frame.payload)}" for f in responses) or "none"
        for tsn, command_id in answered:
            mine = [f for f in responses
                    if _tsn(f.frame.payload) == tsn and f.command.command_id == command_id]
            if not any(Status(f.command.status) == status for f in mine):
                return (f"expected a Default Response with status {status.name} answering the frame "
                        f"the hub sent (transaction sequence number {tsn}, command id "
                        f"0x{command_id:02x}), but the device sent: {seen}; {self.last_frames()}")
            contrary = [f for f in mine if Status(f.command.status) != status]
            if contrary:
                return (f"expected only status {status.name} in the Default Response to the frame with "
                        f"transaction sequence number {tsn}, but the device also sent: "
                        + ", ".join(_text(f.command) for f in contrary))
        return None

    def check_not_downloaded(self, label: str) -> str | None:
        """No Image Block Request and no Image Page Request for image ``label``, to any node."""
        info = self.image(label)
        for seen in self.frames(kinds=(oc.ImageBlockRequest, oc.ImagePageRequest)):
            cmd = seen.command
            if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) == (
                    info.manufacturer_code, info.image_type, info.file_version):
                return (f"expected the device not to download image {label!r}, but at t={seen.time_ms} "
                        f"ms it sent to 0x{seen.frame.dst:016x}: {_text(cmd)}")
        return None

    # ================================================================ evidence
    def evidence(self) -> list[dict[str, Any]]:
        """The frames exchanged on the HAN (the first 50 and last 50, numbered as in the log, with
        the fields of docs/report-format.md), then any other evidence (Service Requests, alerts)
        its sources add."""
        if self.world is None:
            return []
        out: list[dict[str, Any]] = []
        # With a DCC test system the local world is only a twin: its HAN carried nothing.
        for premises in self.world.premises[:1] if self.remote_dcc is None else []:
            log = premises.network.log
            dropped = {id(f) for _, f in premises.network.dropped}
            picks = range(len(log)) if len(log) <= _EVIDENCE_HEAD + _EVIDENCE_TAIL else \
                list(range(_EVIDENCE_HEAD)) + list(range(len(log) - _EVIDENCE_TAIL, len(log)))
            previous = -1
            for index in picks:
                if index != previous + 1:
                    out.append({"kind": "gap", "decoded": f"... {index - previous - 1} frames left out ..."})
                previous = index
                time_ms, frame = log[index]
                command = self._decode_any(frame)
                out.append({"kind": "frame", "n": index + 1, "time_ms": time_ms,
                            "src": f"{frame.src:016x}", "dst": f"{frame.dst:016x}",
                            "cluster": f"0x{frame.cluster_id:04x}", "hex": frame.payload.hex(" "),
                            "decoded": _text(command) + (" (lost: link down)" if id(frame) in dropped
                                                         else "")})
            out.append({"kind": "summary", "frames": len(log), "dropped": len(premises.network.dropped),
                        "premises": len(self.world.premises)})
        for source in self.evidence_sources:
            out.extend(source())
        return out

    @staticmethod
    def _decode_any(frame: HanFrame) -> Any:
        if frame.cluster_id != OTA_CLUSTER_ID:
            return None
        try:
            return oc.decode_command(frame.payload)[1]
        except ProtocolError as err:
            return f"undecodable: {err}"


#: Bytes of "code" a smuggling defect adds (docs/hostile-inputs.md).
_SMUGGLED_BYTES = 1024
#: A sub-element tag the device does not know: reserved by 095264 (0x0007-0xEFFF), neither a
#: standard tag nor the manufacturer-specific range.
UNKNOWN_TAG = 0x0100
_SMUGGLING = frozenset({
    DefectKind.BYTES_AFTER_SIGNATURE, DefectKind.BYTES_AFTER_SIGNATURE_COUNTED,
    DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE, DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE_COUNTED,
    DefectKind.UNKNOWN_ELEMENT_AFTER_SIGNATURE, DefectKind.SIGNATURE_COPY_AFTER_UPGRADE_ELEMENT,
    DefectKind.SIGNATURE_FIRST})
_FORGED_COUNTS = frozenset({DefectKind.COUNT_ONE_FEWER, DefectKind.COUNT_ONE_MORE,
                            DefectKind.COUNT_DIFFERS})


def _pics_options(pics: Pics) -> dict[str, Any]:
    """The reference device as the PICS declares it: without an optional feature, it lacks it."""
    out: dict[str, Any] = {"supports_resume": pics.supports("resume"),
                           "device_specific_files": pics.supports("device_specific_files")}
    if not pics.supports("zigbee_ota_images"):
        out["expected_format"] = ota_image.ImageFormat.GBCS
    return out


def other_device_eui64(eui64: int) -> int:
    """The EUI-64 a file "for another device" names: the device's own with its last octet + 1."""
    return (eui64 & ~0xFF) | ((eui64 + 1) & 0xFF)


def _element(tag: int, value: bytes) -> bytes:
    return bytes(ota_image.SUB_ELEMENT.build({"tag": tag, "value": value}))


def _count_in_total(data: bytes) -> bytes:
    """``data`` with its header's total image size made to count every byte (so the header no
    longer matches its signature)."""
    return ota_image.with_total_size(data, len(data))


def _build_signed_zigbee(payload: bytes, signer: Any, identity: dict[str, Any]) -> bytes:
    """A ZigBee OTA file (upgrade image sub-element, then with ``signer`` the P-256 signature
    sub-element), signed deterministically (RFC 6979) over every byte before the signature's tag
    so that same-seed runs send the same bytes."""
    if signer is None:
        return ota_image.build_zigbee_image(sub_elements=[(ota_image.SubElementTag.UPGRADE_IMAGE, payload)],
                                            **identity)
    placeholder = ota_image.build_zigbee_image(
        sub_elements=[(ota_image.SubElementTag.UPGRADE_IMAGE, payload),
                      (ota_image.P256_SIGNATURE_TAG, bytes(ota_image.P256_SIGNATURE_SIZE))], **identity)
    signed = placeholder[:-(6 + ota_image.P256_SIGNATURE_SIZE)]
    der = signer.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return placeholder[:-ota_image.P256_SIGNATURE_SIZE] + der_to_raw(der)


def _frame_key(payload: bytes) -> tuple[int, int]:
    peek = peek_header(payload)
    return (peek.frame_type, peek.command_id) if peek else (-1, -1)


def _tsn(payload: bytes) -> int:
    peek = peek_header(payload)
    return peek.tsn if peek else -1


def _text(command: Any) -> str:
    if command is None:
        return "(not an OTA cluster frame)"
    if isinstance(command, str):
        return command
    fields = []
    for f in dataclasses.fields(command):
        value = getattr(command, f.name)
        if value is None:
            continue
        if isinstance(value, (bytes, bytearray)):
            fields.append(f"{f.name}=<{len(value)} bytes>")
        elif isinstance(value, enum.Enum):
            fields.append(f"{f.name}={value.name}")
        elif isinstance(value, int) and f.name in ("file_version", "current_file_version",
                                                   "new_file_version", "manufacturer_code", "image_type"):
            fields.append(f"{f.name}=0x{value:0{8 if 'version' in f.name else 4}x}")
        else:
            fields.append(f"{f.name}={value}")
    return f"{type(command).__name__}({', '.join(fields)})"


def _describe(time_ms: int, frame: HanFrame, command: Any, dut: int) -> str:
    arrow = "device ->" if frame.src == dut else "-> device"
    return f"t={time_ms} ms {arrow} {_text(command)}"


def _stderr_line(text: str) -> None:
    print(f"hanota: {text}", file=sys.stderr, flush=True)
