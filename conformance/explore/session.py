"""The hub the explorer plays towards a device under test, one action at a time.

A :class:`Session` drives any :class:`~conformance.adapters.base.DutAdapter` (the reference
device in process, or a device behind a DUT bridge): it applies *actions* — plain dicts, so a
counterexample can be saved and replayed — collects every frame the device sends in reaction,
feeds both directions to the :class:`~conformance.explore.invariants.Checker`, and keeps a
readable transcript. Actions are listed in docs/explore.md.

Time: a virtual-time device is moved timer by timer (so each frame is seen at the time it was
sent); a wall-time device is waited for in wall time, each wait bounded (``settle_ms``, and the
PICS ``max_wall_wait_ms``), as ``hanota run`` does.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, TypeVar

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.zcl import (
    OTA_CLUSTER_ID,
    ZCL_HEADER,
    DefaultResponse,
    Direction,
    FrameType,
    OtaAttribute,
    ReadAttributes,
    Status,
    ZclHeader,
)

from ..adapters.base import DutAdapter
from ..models.device_zcl import another_manufacturer
from ..models.han import OTA_ENDPOINT, SE_PROFILE_ID, HanFrame
from .images import Catalogue
from .invariants import Checker

C = TypeVar("C")

__all__ = ["Action", "Entry", "Session", "describe"]

Action = dict[str, Any]
#: The hub's clock for current_time / request_time fields (UTC seconds; any fixed epoch will do).
UTC_BASE_S = 0x2C00_0000
#: A well-behaved hub stops serving after this many exchanges in one ``serve`` action.
SERVE_EXCHANGES = 160
#: ... and lets at most this much device time pass waiting for the device's next frame.
SERVE_IDLE_MS = 15_000
#: The pending requests the hub remembers (older ones are stale anyway).
MAX_PENDING = 8
_ALL_ATTRIBUTES = tuple(int(a) for a in OtaAttribute)


@dataclass(frozen=True)
class Entry:
    """One line of the transcript: when (ms since the example began), who, what."""

    time_ms: int
    who: str  # "hub", "other node", "device", "note"
    text: str
    hex: str = ""

    def line(self) -> str:
        hexpart = f"  [{self.hex}]" if self.hex else ""
        arrow = {"hub": "hub    ->", "other node": "other  ->", "device": "device ->"}.get(self.who, "  --")
        return f"{self.time_ms:>9} ms {arrow} {self.text}{hexpart}"


class Session:
    """One exploration example against ``dut`` (see the module docstring)."""

    def __init__(self, dut: DutAdapter, catalogue: Catalogue, *, capacity: int | None, resume: bool,
                 settle_ms: int = 300, max_wall_wait_ms: int = 600_000) -> None:
        self.dut = dut
        ident = dut.identity
        if ident.paired_hub is None:
            raise HarnessUsageError("the device under test says it is paired with no hub")
        self.virtual = ident.virtual_time
        self.hub = ident.paired_hub
        self.device = ident.eui64
        self.other = self.hub ^ 0xEF  # a node that is not the paired hub (an HHT, say)
        self.catalogue = catalogue
        self.settle_ms = settle_ms
        self.max_wall_wait_ms = max_wall_wait_ms
        self.t0 = dut.now_ms()
        self.checker = Checker(catalogue, self.hub, self.device, capacity, resume=resume,
                               activation_grace_ms=0 if self.virtual else 2_000)
        self.transcript: list[Entry] = []
        self.actions: list[Action] = []
        self.pending: list[tuple[int, Any]] = []  # (device time, request) the hub has not answered
        self.link_up = True
        self.tsn = 0
        self.frames_seen = 0
        self._last_read: int | None = catalogue.identity.file_version
        self._page_refusals: list[int] = []  # TSNs of Image Page Requests to refuse

    # ================================================================ running actions
    def apply(self, action: Action) -> None:
        """Do one action, then check everything the device said in reaction."""
        self.actions.append(action)
        self.note(_action_text(action))
        handler = getattr(self, "_do_" + str(action.get("do", "")).replace("-", "_"), None)
        if handler is None:
            raise HarnessUsageError(f"unknown explore action {action.get('do')!r}")
        handler(action)
        self.collect()
        self.checker.step_done(self.now())

    def note(self, text: str) -> None:
        self.transcript.append(Entry(self.now(), "note", text))

    def now(self) -> int:
        return self.dut.now_ms() - self.t0

    # ---------------------------------------------------------------- sending
    def send(self, cmd: oc.Command, *, src: int | None = None, raw: bytes | None = None,
             malformed: bool = False, tsn: int | None = None) -> None:
        """Send ``cmd`` (or ``raw``, its octets altered: ``malformed``, or with trailing octets)."""
        if tsn is None:
            self.tsn = (self.tsn + 1) & 0xFF
            tsn = self.tsn
        payload = raw if raw is not None else oc.encode_command(cmd, tsn=tsn)
        text = describe(cmd) if raw is None else f"{describe(cmd)} as {len(payload)} octets"
        # a device acts on a frame with trailing octets as without them (OTA-009), never on a
        # malformed one
        self._transmit(payload, text, self.hub if src is None else src, None if malformed else cmd,
                       malformed=malformed, trailing=raw is not None and not malformed)

    def send_raw(self, payload: bytes, text: str, refusals: frozenset[Status]) -> None:
        """Send octets that are no command the client takes, to be refused with ``refusals``."""
        self._transmit(payload, text, self.hub, None, refusals=refusals)

    def _transmit(self, payload: bytes, text: str, src: int, cmd: oc.Command | None, *,
                  malformed: bool = False, trailing: bool = False,
                  refusals: frozenset[Status] = frozenset()) -> None:
        frame = HanFrame(src, self.device, OTA_ENDPOINT, OTA_ENDPOINT, SE_PROFILE_ID, OTA_CLUSTER_ID, payload)
        self.transcript.append(Entry(self.now(), "hub" if src == self.hub else "other node", text,
                                     payload.hex()))
        self.checker.hub_frame(self.now(), frame, cmd, malformed=malformed, trailing=trailing,
                               refusals=refusals)
        self.dut.send(frame)
        self.collect()

    def collect(self) -> None:
        """Take every frame the device has sent so far (wall time: what comes within settle_ms),
        and refuse each Image Page Request among them."""
        self._collect()
        while self._page_refusals:
            tsn = self._page_refusals.pop(0)
            self.send(DefaultResponse(command_id=oc.CommandId.IMAGE_PAGE_REQUEST,
                                      status=Status.UNSUP_CLUSTER_COMMAND,
                                      direction=Direction.SERVER_TO_CLIENT), tsn=tsn)

    def _collect(self) -> None:
        wait = 0 if self.virtual else self.settle_ms
        for _ in range(10_000):
            while (frame := self.dut.receive(wait)) is not None:
                self._seen(frame)
            if not self.virtual:
                return
            due = self.dut.next_due_ms()  # a timer due now (a zero delay) runs now
            if due is None or due > self.dut.now_ms():
                return
            self.dut.advance(0)
        raise HarnessUsageError("the device's timers keep falling due without time passing")

    def _seen(self, frame: HanFrame) -> None:
        now = self.now()
        self.frames_seen += 1
        try:
            header, cmd = oc.decode_command(frame.payload)
        except ProtocolError:
            header, cmd = None, None
        lost = "" if self.link_up else " (lost: the link is down)"
        to = "" if frame.dst == self.hub else f" to 0x{frame.dst:016x}"
        self.transcript.append(Entry(now, "device", describe(cmd) + to + lost, frame.payload.hex()))
        self.checker.device_frame(now, frame)
        if self.link_up and frame.dst == self.hub and isinstance(
                cmd, oc.QueryNextImageRequest | oc.ImageBlockRequest | oc.UpgradeEndRequest):
            self.pending.append((now, cmd))
            del self.pending[:-MAX_PENDING]
        elif self.link_up and frame.dst == self.hub and isinstance(cmd, oc.ImagePageRequest):
            # This hub serves no pages: it refuses at once, and the device asks by blocks
            # (095264 §6.10.8), as a hub without Image Page Request support does.
            assert header is not None  # it decoded
            self._page_refusals.append(header.tsn)

    def advance(self, ms: int, *, stop_on_frame: bool = False) -> None:
        """Let ``ms`` of device time pass, seeing each frame at the time it is sent (with
        ``stop_on_frame``, only until the device sends one)."""
        seen = self.frames_seen
        if not self.virtual:
            ms = min(ms, self.max_wall_wait_ms)
            end = self.dut.now_ms() + ms
            while (left := end - self.dut.now_ms()) > 0:
                frame = self.dut.receive(left)
                if frame is not None:
                    self._seen(frame)
                    if stop_on_frame:
                        break
            self.checker.tick(self.now())
            return
        target = self.dut.now_ms() + ms
        for _ in range(10_000):
            now = self.dut.now_ms()
            due = self.dut.next_due_ms()
            if due is None or due > target:
                if target > now:
                    self.dut.advance(target - now)
                self.collect()
                self.checker.tick(self.now())
                return
            self.dut.advance(max(0, due - now))
            self.collect()
            self.checker.tick(self.now())
            if stop_on_frame and self.frames_seen != seen:
                return
        raise HarnessUsageError("the device's timers keep falling due without time passing")

    def _take(self, kind: type[C]) -> C | None:
        for i, (_, cmd) in enumerate(self.pending):
            if isinstance(cmd, kind):
                del self.pending[i]
                return cmd
        return None

    def has_pending(self, kind: type) -> bool:
        return any(isinstance(cmd, kind) for _, cmd in self.pending)

    def utc(self) -> int:
        return UTC_BASE_S + self.now() // 1000

    # ================================================================ the actions
    def _do_notify(self, a: Action) -> None:
        image = self.catalogue[a["image"]]
        ptype = oc.ImageNotifyPayloadType(a["payload_type"])
        fields = [image.manufacturer_code, image.image_type, image.file_version][: int(ptype)]
        src = self.hub if a.get("from", "hub") == "hub" else self.other
        self.send(oc.ImageNotify(ptype, a["jitter"], *fields), src=src)

    def _do_answer_query(self, a: Action) -> None:
        if self._take(oc.QueryNextImageRequest) is None:
            return
        self.send(self._offer(a["image"]) if a["with"] == "offer"
                  else oc.QueryNextImageResponse(status=Status.NO_IMAGE_AVAILABLE))

    def _offer(self, name: str) -> oc.QueryNextImageResponse:
        image = self.catalogue[name]
        return oc.QueryNextImageResponse(Status.SUCCESS, image.manufacturer_code, image.image_type,
                                         image.file_version, image.size)

    def _do_answer_block(self, a: Action) -> None:
        req = self._take(oc.ImageBlockRequest)
        if req is not None and a["with"] != "silence":
            self.send(self._block_answer(req, a))

    def _block_answer(self, req: oc.ImageBlockRequest, a: Action) -> oc.ImageBlockResponse:
        how = a["with"]
        if how == "wait":
            return oc.ImageBlockResponse(Status.WAIT_FOR_DATA, current_time=self.utc(),
                                         request_time=self.utc() + a["delay_s"],
                                         minimum_block_period=a["mbp_ms"])
        if how == "abort":
            return oc.ImageBlockResponse(Status.ABORT)
        image = self.catalogue.by_key((req.manufacturer_code, req.image_type, req.file_version))
        data = image.data if image is not None else b""
        offset, size = req.file_offset, max(1, min(a.get("size", 255), req.maximum_data_size))
        version = req.file_version
        if how == "misplaced":
            offset += a["by"]
        elif how == "oversize":
            size = req.maximum_data_size + a["extra"]
        elif how == "other-image":
            version = (version + 0x100) & 0xFFFF_FFFF
        chunk = data[offset:offset + size] or b"\x00"
        return oc.ImageBlockResponse(Status.SUCCESS, req.manufacturer_code, req.image_type, version,
                                     offset, chunk[:oc.MAX_IMAGE_DATA])

    def _do_answer_end(self, a: Action) -> None:
        req = self._take(oc.UpgradeEndRequest)
        if req is None:
            return
        if req.status == Status.SUCCESS:
            self.send(self._end_response(req.manufacturer_code, req.image_type, req.file_version, a))

    def _end_response(self, mfr: int, itype: int, version: int, a: Action) -> oc.UpgradeEndResponse:
        """``when``: seconds from now, ``wait`` or ``past`` (an hour ago, in UTC: upgrade now);
        ``form``: ``offset`` (current time 0), ``utc``, or ``wildcard`` (offset, the image named
        by the wildcard values, which the device matches against any)."""
        when, form = a["when"], a["form"]
        if form == "wildcard":
            mfr, itype, version = 0xFFFF, 0xFFFF, 0xFFFF_FFFF
        if when == "wait":
            current, upgrade = (self.utc() if form == "utc" else 0), oc.UPGRADE_TIME_WAIT_FOR_COMMAND
        elif when == "past":
            current, upgrade = self.utc(), self.utc() - 3_600
        elif form == "utc":
            current, upgrade = self.utc(), self.utc() + int(when)
        else:
            current, upgrade = 0, int(when)
        return oc.UpgradeEndResponse(mfr, itype, version, current, upgrade)

    def _do_await(self, a: Action) -> None:
        """Wait (at most SERVE_IDLE_MS) for the device's next request."""
        for _ in range(16):
            if self.pending:
                return
            before = self.frames_seen
            self.advance(SERVE_IDLE_MS if self.virtual else self.settle_ms, stop_on_frame=True)
            if self.frames_seen == before:
                return

    def _do_silence(self, a: Action) -> None:
        if self.pending:
            self.pending.pop(0)

    def _do_end_response(self, a: Action) -> None:
        image = self.catalogue[a["image"]]
        self.send(self._end_response(image.manufacturer_code, image.image_type, image.file_version, a))

    def _do_read(self, a: Action) -> None:
        self.send(ReadAttributes(attribute_ids=tuple(a.get("attributes", _ALL_ATTRIBUTES))))

    def _do_malformed(self, a: Action) -> None:
        cmd = self._sample(a["command"])
        self.tsn = (self.tsn + 1) & 0xFF
        whole = oc.encode_command(cmd, tsn=self.tsn)
        cut = whole[: max(3, len(whole) - a["cut"])]
        try:
            oc.decode_command(cut)
        except ProtocolError:
            try:  # what a receiver reads of it, octets after the fields ignored (ZCL; OTA-009)
                _, read = oc.decode_command(cut, ignore_trailing=True)
            except ProtocolError:
                self.send(cmd, raw=cut, malformed=True, tsn=self.tsn)
                return
            # Read Attributes cut inside its last id: the whole ids are read, the odd octet ignored
            self.send(read, raw=cut, tsn=self.tsn)
            return
        self.note("(that cut still decodes: not malformed, not sent)")

    def _do_unsupported(self, a: Action) -> None:
        """A command the client does not take: an OTA command id it does not define (or one a
        server takes), or a manufacturer's own command with a standard command's id and fields
        (an offer of the valid image, a read), of a manufacturer that is not the device's."""
        self.tsn = (self.tsn + 1) & 0xFF
        kind = a["kind"]
        maker = another_manufacturer(self.catalogue.identity.manufacturer_code)
        if kind == "undefined-command":
            raw = ZCL_HEADER.build(ZclHeader(FrameType.CLUSTER_SPECIFIC, Direction.SERVER_TO_CLIENT, True,
                                             None, self.tsn, a["command_id"]))
            text, refusals = f"OTA command 0x{a['command_id']:02x}", {Status.UNSUP_CLUSTER_COMMAND}
        elif kind == "manufacturer-cluster":
            raw = oc.encode_command(self._offer("valid"), tsn=self.tsn, manufacturer_code=maker)
            text, refusals = "Query Next Image Response", {Status.UNSUP_MANUF_CLUSTER_COMMAND}
        else:
            raw = oc.encode_command(ReadAttributes(attribute_ids=(int(OtaAttribute.CURRENT_FILE_VERSION),)),
                                    tsn=self.tsn, manufacturer_code=maker)
            text, refusals = "Read Attributes", {Status.UNSUP_MANUF_GENERAL_COMMAND}
        if kind != "undefined-command":
            text = f"manufacturer 0x{maker:04x}'s own {text}"
        # ZCL revision 8 names each refusal UNSUP_COMMAND (0x81, the former UNSUP_CLUSTER_COMMAND)
        self.send_raw(bytes(raw), text, frozenset({*refusals, Status.UNSUP_CLUSTER_COMMAND}))

    def _do_trailing(self, a: Action) -> None:
        cmd = self._sample(a["command"])
        self.tsn = (self.tsn + 1) & 0xFF
        self.send(cmd, raw=oc.encode_command(cmd, tsn=self.tsn) + b"\x00" * a["extra"], tsn=self.tsn)

    def _sample(self, name: str) -> oc.Command:
        valid = self.catalogue["valid"]
        mfr, itype, version = valid.key
        samples: dict[str, oc.Command] = {
            "image-notify": oc.ImageNotify(oc.ImageNotifyPayloadType.NEW_FILE_VERSION, 100,
                                           mfr, itype, version),
            "query-response": self._offer("valid"),
            "block-response": oc.ImageBlockResponse(Status.SUCCESS, mfr, itype, version, 0, valid.data[:16]),
            "end-response": oc.UpgradeEndResponse(mfr, itype, version, 0, 0),
            "read-attributes": ReadAttributes(attribute_ids=(0x0002, 0x0006)),
        }
        return samples[name]

    def _do_time(self, a: Action) -> None:
        self.advance(a["ms"])
        self._read_back_if_due()

    def _do_link_loss(self, a: Action) -> None:
        self.link_up = False
        try:
            self.advance(a["ms"])
        finally:
            self.link_up = True
        self.note("the link is back")

    def _do_power_cycle(self, a: Action) -> None:
        self.dut.power_cycle()
        self.checker.power_cycle()
        self.pending.clear()

    def _do_start(self, a: Action) -> None:
        """A hub starts a download of ``image``: it serves ``blocks`` blocks well, then answers
        the device's next block requests with ``answers`` in turn (hostile ones included), and
        leaves the request after those unanswered for the next action — or, with ``outage``, loses
        the link for that many ms (an interrupted download, SECMP7-OTA-005)."""
        self._start(a)
        if a.get("outage"):
            self._do_link_loss({"ms": a["outage"]})

    def _start(self, a: Action) -> None:
        self.send(oc.ImageNotify(oc.ImageNotifyPayloadType.QUERY_JITTER, 100))
        answers = list(a.get("answers", ()))
        served = 0
        for _ in range(SERVE_EXCHANGES):
            self._do_await({})
            if self.has_pending(oc.QueryNextImageRequest):
                self._do_answer_query({"with": "offer", "image": a["image"]})
            elif self.has_pending(oc.ImageBlockRequest):
                if served < a["blocks"]:
                    self._do_answer_block({"with": "block"})
                    served += 1
                elif answers:
                    answer = answers.pop(0)
                    self.note(f"the hub answers {answer}")
                    self._do_answer_block(answer)
                else:
                    return
            else:
                return

    def _do_serve(self, a: Action) -> None:
        """A well-behaved hub: notify, then answer everything with ``image`` until quiet."""
        self.send(oc.ImageNotify(oc.ImageNotifyPayloadType.QUERY_JITTER, 100))
        for _ in range(SERVE_EXCHANGES):
            if self.has_pending(oc.QueryNextImageRequest):
                self._do_answer_query({"with": "offer", "image": a["image"]})
            elif self.has_pending(oc.ImageBlockRequest):
                self._do_answer_block({"with": "block"})
            elif self.has_pending(oc.UpgradeEndRequest):
                self._do_answer_end(a)
            elif self.pending:
                self.pending.pop(0)
            else:
                before = self.frames_seen
                self.advance(SERVE_IDLE_MS if self.virtual else self.settle_ms, stop_on_frame=True)
                if self.frames_seen == before:
                    break
        self._read_back_if_due(force=True)

    def _read_back_if_due(self, *, force: bool = False) -> None:
        """The hub's read-back once an activation has fallen due (as the GBCS hub does)."""
        if force or self.checker.running != self._last_read:
            self._last_read = self.checker.running
            self._do_read({"attributes": (int(OtaAttribute.CURRENT_FILE_VERSION),
                                          int(OtaAttribute.IMAGE_UPGRADE_STATUS))})
            self.collect()



_HEX_FIELDS = ("manufacturer_code", "image_type")


def describe(command: oc.Command | None) -> str:
    """A command as one readable line (field names, versions and codes in hex)."""
    if command is None:
        return "(a frame that is not an OTA cluster command)"
    parts = []
    for f in dataclasses.fields(command):
        value = getattr(command, f.name)
        if value is None or f.name == "direction":
            continue
        if isinstance(value, bytes | bytearray):
            parts.append(f"{f.name}=<{len(value)} bytes>")
        elif isinstance(value, enum.Enum):
            parts.append(f"{f.name}={value.name}")
        elif isinstance(value, int) and ("version" in f.name or f.name in _HEX_FIELDS):
            parts.append(f"{f.name}=0x{value:0{8 if 'version' in f.name else 4}x}")
        elif isinstance(value, tuple):
            parts.append(f"{f.name}=[{', '.join(_short(v) for v in value)}]")
        else:
            parts.append(f"{f.name}={value}")
    return f"{type(command).__name__}({', '.join(parts)})"


def _short(value: object) -> str:
    if isinstance(value, int):
        return f"0x{value:04x}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        try:
            attr = OtaAttribute(fields["attribute_id"]).name
        except (KeyError, ValueError):
            attr = str(fields.get("attribute_id"))
        status = fields.get("status")
        if status == Status.SUCCESS:
            return f"{attr}={fields.get('value')!r}"
        return f"{attr}:{getattr(status, 'name', status)}"
    return str(value)


def _action_text(a: Action) -> str:
    rest = ", ".join(f"{k}={v}" for k, v in a.items() if k != "do")
    return f"{a.get('do')}({rest})"

