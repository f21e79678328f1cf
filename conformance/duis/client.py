"""A :class:`~conformance.dcc_side.DccSide` over DUIS: the suite acts as a Supplier user.

It signs SR 11.4 with the Supplier's key the DCC PIXIT names, POSTs it to the DCC system's DUIS
endpoint, and judges the signed synchronous Response. Alerts arrive at the suite's own response
address (:class:`ResponseAddress`, ``--duis-listen``); each received message is kept with its
signature verdict, and only messages whose signature verifies with the DCC's certificate count
as alerts. What the alerts are, when they arrived and to whom they were addressed is what the
suite observed, never what the DCC says of itself:

* ``delivered_ms`` is the DCC clock when the message reached the response address (virtual
  time: the control channel's clock is moved timer by timer, and a message is dated by the
  step during which it arrived);
* the Supplier an alert is for is the one whose response address and ResponseID received it;
  an alert that concerns several Suppliers must reach each of them as its own message.

What DUIS cannot do (premises, virtual time, a hub discarding an image, a failing activation,
the WAN tap and the inventory's history) goes over the test-control channel the PIXIT declares
(``[dcc] control``, the JSON binding's test-support operations); without one, a scenario needing
it is *not applicable*, naming the control.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hanota.conformance.adapters.base import DutNotApplicableError
from hanota.conformance.dcc_http.client import DccHttpError, HttpDccSide
from hanota.conformance.dcc_side import (
    AlertSeen,
    DccSide,
    FirmwareRead,
    HubDelivery,
    SubmittedRequest,
    describe_response,
)
from hanota.conformance.models.service_request import Rejected, RequestVariant, SupplierRole
from hanota.protocol import gbcs
from hanota.protocol.duis import (
    ActivateFirmware,
    DuisError,
    DuisSchema,
    InventoryDevice,
    ReadFirmwareVersion,
    ReadInventory,
    Request,
    RequestBody,
    RequestHeader,
    RequestId,
    Response,
    ResponseKind,
    ResponseMessage,
    UpdateFirmware,
    UpdatePPMIDFirmware,
    read_document,
    sign_request,
)
from hanota.protocol.errors import HarnessUsageError, ProtocolError

from .config import DuisConfig
from .mapping import answer_from_duis, ms_to_datetime, seen_from_duis

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

__all__ = ["DuisControlMissingError", "DuisDccSide", "ReceivedMessage", "ResponseAddress"]

_SR_11_4_VARIANT = 8  # CommandVariant of SR 11.4 (a non-device request, answered synchronously)
#: CommandVariant of SR 11.3 as DCC Boxed's templates send it (CS06 to the device, future-dated).
_SR_11_3_VARIANT = 4
#: CommandVariant of SR 11.2 as DCC Boxed's template sends it (the DCC sends CS08, answers later).
_SR_11_2_VARIANT = 1


class DuisControlMissingError(HarnessUsageError, DutNotApplicableError):
    """The DCC system offers no test-control channel for what a scenario needs: *not applicable*."""


@dataclass
class ReceivedMessage:
    """One message the response address received, as evidence."""

    sequence: int
    size: int
    verdict: str  # "signature verified ..." or why it was refused
    delivered_ms: int | None = None
    supplier: str | None = None
    response: Response | None = None
    alert: AlertSeen | None = None

    def describe(self) -> str:
        at = "?" if self.delivered_ms is None else f"{self.delivered_ms} ms"
        what = self.alert.describe() if self.alert is not None else (
            _body_text(self.response) if self.response is not None else "not read")
        to = f" for {self.supplier!r}" if self.supplier else ""
        return f"DUIS message #{self.sequence} ({self.size} bytes) at {at}{to}: {self.verdict}; {what}"


def _body_text(response: Response) -> str:
    """A message that is no alert, as evidence: its body, and for a Service Response the service,
    the code and any GBCSPayload in hex (e.g. SR 11.2's CS08 response)."""
    body = response.body
    if not isinstance(body, ResponseMessage):
        return type(body).__name__
    payload = "" if body.gbcs_payload is None else f", GBCSPayload {body.gbcs_payload.hex()}"
    rid = response.header.request_id
    about = "" if rid is None else f" {rid.text()}"
    return f"Response {response.header.response_code} to SR {body.service_reference}{about}{payload}"


class ResponseAddress:
    """The suite's response address: an HTTP endpoint keeping every message POSTed to it."""

    def __init__(self, host: str, port: int, on_message: Callable[[bytes], None], *,
                 max_bytes: int) -> None:
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Request as HttpRequest
        from werkzeug.wrappers import Response as HttpResponse

        from hanota.conformance.dcc_http.server import QuietHandler

        def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            request = HttpRequest(environ)
            if request.method != "POST":
                return HttpResponse(status=405)(environ, start_response)
            if (request.content_length or 0) > max_bytes:
                return HttpResponse(status=413)(environ, start_response)
            on_message(request.get_data(cache=False)[: max_bytes + 1])
            return HttpResponse(status=200)(environ, start_response)

        try:
            self._server = make_server(host, port, app, threaded=False, request_handler=QuietHandler)
        except OSError as err:
            raise HarnessUsageError(f"--duis-listen {host}:{port}: cannot listen: {err}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="duis-response-address",
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}/duis/responses"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class DuisDccSide:
    """The DCC side over DUIS at ``endpoint`` (``http(s)://HOST:PORT/PATH``)."""

    def __init__(self, endpoint: str, config: DuisConfig, schema: DuisSchema, *, listen: tuple[str, int],
                 max_image_bytes: int, rules: str, timeout_s: float = 60.0) -> None:
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise HarnessUsageError(f"a DUIS endpoint is duis+http(s)://HOST:PORT/PATH, got {endpoint!r}")
        self.endpoint = endpoint
        self.config = config
        self.schema = schema
        self.rules = rules
        self.max_image_bytes = max_image_bytes
        self.timeout_s = timeout_s
        self.control = HttpDccSide(config.control) if config.control else None
        self._context = config.ssl_context() if parsed.scheme == "https" else None
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._requests: list[SubmittedRequest] = []
        self._sent_xml: list[str] = []
        self._counter = int(time.time() * 1000)  # unique across runs against a DCC that keeps state
        self._wall_start = time.monotonic()
        #: Set when the wg-2016 Supplier would now send fragments, which DUIS cannot carry.
        self.fragments_unavailable: DuisControlMissingError | None = None
        self.receiver = ResponseAddress(*listen, self._receive, max_bytes=config.limits.max_document_bytes)

    def close(self) -> None:
        self.receiver.close()

    # -- the control channel ---------------------------------------------------------------------
    def _control(self, what: str) -> HttpDccSide:
        if self.control is None:
            raise DuisControlMissingError(f"the DCC system declares no test-control channel (DCC PIXIT "
                                          f"[dcc] control) and this scenario needs one to {what}")
        return self.control

    @property
    def virtual_time(self) -> bool:
        return self.control is not None and self.control.virtual_time

    # -- receiving -------------------------------------------------------------------------------
    def _receive(self, data: bytes) -> None:
        """Called by the response address for each message (its own thread)."""
        with self._lock:
            sequence = len(self._messages) + 1
        message = ReceivedMessage(sequence, len(data), "")
        try:
            doc = read_document(data, schema=self.schema, certificates=self.config.dcc_certificates,
                                limits=self.config.limits)
            message.verdict = "schema-valid, signature verified with the DCC certificate"
            message.response = doc.message if isinstance(doc.message, Response) else None
        except DuisError as err:
            message.verdict = f"REFUSED: {type(err).__name__}: {err.describe()}"
        if message.response is not None:
            rid = message.response.header.response_id
            user = self.config.supplier_by_eui(rid.target) if rid is not None else None
            message.supplier = user.name if user is not None else None
            if user is None:
                message.verdict += "; addressed to no Supplier of the PIXIT (ResponseID target)"
        if not self.virtual_time:
            message.delivered_ms = self.now_ms()
        with self._lock:
            self._messages.append(message)

    def _date_pending(self, now_ms: int) -> None:
        """Messages that arrived during the last control step are dated by its end."""
        with self._lock:
            for m in self._messages:
                if m.delivered_ms is None:
                    m.delivered_ms = now_ms
                    if m.response is not None and m.supplier is not None:
                        m.alert = seen_from_duis(m.response, m.supplier, now_ms, self.config.clock_epoch)

    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    # -- time ----------------------------------------------------------------------------------
    def now_ms(self) -> int:
        if self.control is not None:
            now = self.control.now_ms()
            if self.virtual_time:
                self._date_pending(now)
            return now
        return int((time.monotonic() - self._wall_start) * 1000)

    def step(self, deadline_ms: int) -> int:
        now = self._control("move the DCC's clock").step(deadline_ms)
        self._date_pending(now)
        return now

    def advance(self, ms: int) -> int:
        """Let ``ms`` pass, timer by timer, so each message is dated by the step it arrived in."""
        control = self._control("let time pass on the DCC's clock")
        if not self.virtual_time:
            time.sleep(max(0, ms) / 1000)
            return self.now_ms()
        target = self.now_ms() + ms
        now = self.step(target)
        while now < target:
            now = self.step(target)
        if ms == 0:
            now = int(control.advance(0))  # deliver what is in flight at this instant
            self._date_pending(now)
        return now

    def run_until_idle(self, max_virtual_ms: int = 7 * 86_400_000) -> int:
        """Step timer by timer up to ``max_virtual_ms`` (the control channel cannot say it is
        idle without jumping: the last step runs to the bound)."""
        deadline = self.now_ms() + max_virtual_ms
        now = self.step(deadline)
        while now < deadline:
            now = self.step(deadline)
        return now

    def wait_until(self, done: Callable[[], bool], deadline_ms: int) -> bool:
        while not done():
            now = self.now_ms()
            if now >= deadline_ms:
                return False
            if self.virtual_time:
                self.step(deadline_ms)
            else:
                time.sleep(min(1_000, deadline_ms - now) / 1000)
        return True

    def transfer_state(self) -> dict[str, Any]:
        return self._control("see whether a transfer is under way").transfer_state()

    def transfer_pending(self) -> bool:
        return bool(self.transfer_state()["pending"])

    # -- acting --------------------------------------------------------------------------------
    def _post(self, data: bytes, what: str) -> Response:
        headers = {"Content-Type": "application/xml", "Accept": "application/xml"}
        request = urllib.request.Request(self.endpoint, data, headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s,  # noqa: S310
                                        context=self._context) as answer:
                raw = answer.read(self.config.limits.max_document_bytes + 1)
        except urllib.error.HTTPError as err:
            detail = err.read(400).decode("utf-8", "replace").strip()
            raise DccHttpError(f"{what}: the DCC system answered HTTP {err.code}: {detail}",
                               status=err.code) from None
        except OSError as err:
            raise DccHttpError(f"{what}: the DCC system at {self.endpoint} is unreachable ({err})") from None
        try:
            doc = read_document(raw, schema=self.schema, certificates=self.config.dcc_certificates,
                                limits=self.config.limits)
        except DuisError as err:
            raise HarnessUsageError(f"{what}: the DCC's answer is refused: {err.describe()}") from None
        if not isinstance(doc.message, Response):
            raise HarnessUsageError(f"{what}: the DCC answered with a request, not a Response")
        return doc.message

    def _signed(self, supplier: str, body: RequestBody, target: int, *, role: SupplierRole | None = None,
                variant: int = _SR_11_4_VARIANT) -> tuple[RequestId, bytes]:
        user = self.config.supplier(supplier) if role is None else self.config.user(supplier, role)
        if user is None:
            raise DuisControlMissingError(
                f"the DCC PIXIT names no DUIS User ID of {supplier!r} in the DCC user role {role} "
                "([[suppliers]] with role): the request cannot be sent in that role")
        self._counter += 1
        rid = RequestId(user.eui64, target, self._counter)
        request = Request(RequestHeader(rid, variant, body.service, body.service), body)
        data = sign_request(request, user.signer())
        # What the suite sends is itself checked: schema-valid and verifying with its certificate.
        read_document(data, schema=self.schema, certificates=[user.certificate], limits=self.config.limits)
        return rid, data

    def submit(self, supplier: str, devices: Sequence[int], image: bytes, *, label: str,
               file_version: int) -> SubmittedRequest:
        """SR 11.4 for ``supplier``, signed with its key; the DCC's answer, read and verified."""
        return self._submit(supplier, devices, image, label=label, file_version=file_version)

    def submit_request(self, requester: str, role: SupplierRole, devices: Sequence[int], image: bytes,
                       file_version: int, *, variant: RequestVariant, label: str = "",
                       fragments: Sequence[bytes] = (), request_id: str | None = None,
                       image_bytes: int | None = None) -> SubmittedRequest:
        """SR 11.4 with exactly these fields: any FirmwareVersion, and sent in ``role`` with the
        requester's User ID in that role (DUIS knows a role only by the User ID that signs). The
        variant is the DCC's (DUIS has the one SR 11.4); fragments and a chosen RequestID have no
        DUIS form."""
        if fragments or request_id is not None:
            raise DuisControlMissingError("DUIS has no form for fragments of an image or a RequestID "
                                          "the suite does not count itself")
        in_role = None if role in (SupplierRole.IMPORT_SUPPLIER, SupplierRole.GAS_SUPPLIER) else role
        return self._submit(requester, devices, image, label=label, file_version=file_version, role=in_role)

    def _submit(self, supplier: str, devices: Sequence[int], image: bytes, *, label: str,
                file_version: int, role: SupplierRole | None = None) -> SubmittedRequest:
        # An HCALCS takes SR 11.1 (then SR 11.3); the Supplier reads the device's type with SR 8.2.
        hcalcs = bool(devices) and self._device_type(devices[0]) == "HCALCS"
        cls = UpdateFirmware if hcalcs else UpdatePPMIDFirmware
        rid, data = self._signed(supplier, cls(image, file_version, tuple(devices)), self.config.dcc_eui64,
                                 role=role)
        submitted = self.now_ms()
        answer = answer_from_duis(self._post(data, f"SR {cls.service} {rid.text()}"), tuple(devices))
        sent = SubmittedRequest(rid.text(), supplier, label, tuple(devices), file_version, len(image),
                                submitted, answer)
        self._requests.append(sent)
        self._sent_xml.append(f"SR {cls.service} {rid.text()}: {len(data)} bytes signed by {supplier!r}")
        if self.rules == "wg-2016" and isinstance(answer, Rejected) and len(image) > self.max_image_bytes:
            # In process the Supplier would resend it in fragments; DUIS has no form for them. A
            # scenario judging the fragments is then not applicable (steps/dcc_steps.py).
            self.fragments_unavailable = DuisControlMissingError(
                "the working group's fragments of an image above the size limit have no form in DUIS "
                "(SR 11.4 carries one FirmwareImage); the DCC refused the whole image: "
                f"{describe_response(answer)}")
        return sent

    def activate(self, supplier: str, device: int, image_hash: bytes, *, label: str, file_version: int,
                 execution_ms: int | None) -> SubmittedRequest:
        """SR 11.3 'Activate Firmware' (CS06) to the HCALCS ``device``, signed by ``supplier``;
        future-dated to ``execution_ms`` on the DCC clock (its outcome comes as an alert)."""
        when = None if execution_ms is None else ms_to_datetime(execution_ms, self.config.clock_epoch)
        rid, data = self._signed(supplier, ActivateFirmware(image_hash, when), device,
                                 variant=_SR_11_3_VARIANT)
        submitted = self.now_ms()
        answer = answer_from_duis(self._post(data, f"SR 11.3 {rid.text()}"), (device,))
        sent = SubmittedRequest(rid.text(), supplier, label, (device,), file_version, 0, submitted, answer)
        self._requests.append(sent)
        self._sent_xml.append(f"SR 11.3 {rid.text()}: {len(data)} bytes signed by {supplier!r}")
        return sent

    def read_firmware_version(self, supplier: str, device: int, within_ms: int) -> FirmwareRead:
        """SR 11.2 Read Firmware Version (CS08) of ``device``, signed by ``supplier``: the DCC
        acknowledges it, and its Response to this RequestID reaches the response address for
        ``supplier`` (waited for up to ``within_ms`` on the DCC clock) carrying the device's CS08
        response in GBCSPayload, which the suite decodes with ``protocol.gbcs``."""
        rid, data = self._signed(supplier, ReadFirmwareVersion(), device, variant=_SR_11_2_VARIANT)
        sent = self.now_ms()
        ack = self._post(data, f"SR 11.2 {rid.text()}")
        self._sent_xml.append(f"SR 11.2 {rid.text()}: {len(data)} bytes signed by {supplier!r}, answered "
                              f"{ack.header.response_code}")

        def answer() -> Response | None:
            if ack.header.kind is not ResponseKind.ACKNOWLEDGEMENT:
                return ack  # refused, or answered at once
            return next((m.response for m in self.messages() if m.response is not None
                         and m.supplier == supplier and m.response.header.request_id == rid
                         and isinstance(m.response.body, ResponseMessage)
                         and m.response.body.service_reference == "11.2"), None)

        self.wait_until(lambda: answer() is not None, sent + within_ms)
        got = answer()
        if got is None:
            return FirmwareRead(rid.text(), device, sent, None, None,
                                f"SR 11.2 {rid.text()} acknowledged ({ack.header.response_code}), but no "
                                f"Response to it reached the response address for {supplier!r} within "
                                f"{within_ms} ms")
        return _cs08_answer(got, rid, device, sent)

    def discard_on_hub(self, request_ids: Sequence[str], reason: str) -> None:
        self._control("make the hub discard an image").discard_on_hub(request_ids, reason)

    def fail_next_activation(self, device: int) -> None:
        self._control("make the device fail its activation").fail_next_activation(device)

    def add_other_device(self, device: int, what: str) -> int:
        """A device in the state ``what`` at ``device``'s premises (test control: building the world)."""
        return self._control("add a device in a given state").add_other_device(device, what)

    def cut_off_device(self, device: int, when: str) -> None:
        """Cut ``device`` off its HAN at ``when`` (test control: a failure's cause, never its outcome)."""
        self._control("cut a device off its HAN").cut_off_device(device, when)

    def add_premises(self, *, electricity_supplier: str = "Supplier A",
                     gas_supplier: str | None = "Supplier B", devices: Sequence[str] = ("ihd", "ppmid"),
                     supports_fragmentation: bool = False, consumer_refusal: bool = False,
                     device_faults: Sequence[str] = (), hub_faults: Sequence[str] = ()) -> dict[str, Any]:
        return self._control("build premises").add_premises(
            electricity_supplier=electricity_supplier, gas_supplier=gas_supplier, devices=devices,
            supports_fragmentation=supports_fragmentation, consumer_refusal=consumer_refusal,
            device_faults=device_faults, hub_faults=hub_faults)

    def running_version(self, device: int) -> int:
        return self._control("read the firmware the simulated device runs").running_version(device)

    # -- observing -----------------------------------------------------------------------------
    def requests(self, supplier: str | None = None) -> list[SubmittedRequest]:
        return [r for r in self._requests if supplier is None or r.supplier == supplier]

    def alerts_for(self, supplier: str) -> list[AlertSeen]:
        """Alerts whose signature verified, received at the response address for ``supplier``."""
        if self.virtual_time:
            self.now_ms()  # dates what arrived since the last step
        with self._lock:
            return [m.alert for m in self._messages if m.alert is not None and m.supplier == supplier]

    def suppliers(self) -> list[str]:
        names = {s.name for s in self.config.suppliers} | {r.supplier for r in self._requests}
        return sorted(names)

    def hub_deliveries(self) -> list[HubDelivery]:
        return self._control("see what reached the hubs over the WAN").hub_deliveries()

    def _inventory(self, device: int) -> InventoryDevice | None:
        """SR 8.2 Read Inventory for ``device`` over DUIS: its record, if the DCC has one."""
        supplier = next((s.name for s in self.config.suppliers if s.role is None), "")
        rid, data = self._signed(supplier, ReadInventory(device), self.config.dcc_eui64)
        body = self._post(data, f"SR 8.2 {rid.text()}").body
        if not isinstance(body, ResponseMessage) or not body.inventory:
            return None
        return next((d for d in body.inventory if d.device_id == device), None)

    def _device_type(self, device: int) -> str | None:
        record = self._inventory(device)
        return None if record is None else record.device_type

    def inventory_version(self, device: int) -> int | None:
        """SR 8.2 Read Inventory for ``device`` over DUIS; its DeviceFirmwareVersion."""
        record = self._inventory(device)
        text = None if record is None else record.get("DeviceFirmwareVersion")
        if text is None or len(text) != 8:
            return None
        try:
            return int(text, 16)
        except ValueError:
            return None

    def inventory_history(self, device: int) -> list[str]:
        return self._control("read the inventory record's history").inventory_history(device)

    def evidence(self) -> list[str]:
        lines = [r.describe() for r in self._requests] + list(self._sent_xml)
        if self.control is not None:
            try:
                lines += [f"WAN: {d.describe()}" for d in self.control.hub_deliveries()]
            except DccHttpError as err:
                lines.append(f"WAN: not observable ({err})")
        lines += [m.describe() for m in self.messages()]
        return lines


def _cs08_answer(response: Response, rid: RequestId, device: int, sent_ms: int) -> FirmwareRead:
    """The CS08 response an SR 11.2 Response carries, as decoded from its GBCSPayload: from the
    device, a Read PPMID/HCALCS Firmware Version response; anything else reads no code."""
    code, body = response.header.response_code, response.body
    about = f"Response {code} to SR 11.2 {rid.text()}"
    if not isinstance(body, ResponseMessage) or body.gbcs_payload is None:
        return FirmwareRead(rid.text(), device, sent_ms, None, None, f"{about} carries no GBCSPayload")
    try:
        frame = body.gbcs_frame()
        payload = frame.payload()
    except ProtocolError as err:  # DuisContentError among them
        return FirmwareRead(rid.text(), device, sent_ms, None, None,
                            f"{about}: its GBCSPayload does not decode: {err.describe()}")
    shown = (f"{about}: GBCSPayload {body.gbcs_payload.hex()} = {payload!r} from "
             f"{frame.originator_title:#018x}")
    if not isinstance(payload, gbcs.FirmwareVersionResponse) or frame.originator_title != device:
        return FirmwareRead(rid.text(), device, sent_ms, None, None,
                            f"{shown}: not a CS08 response from the device")
    return FirmwareRead(rid.text(), device, sent_ms, int(payload.response_code),
                        int.from_bytes(payload.firmware_version, "big"), shown)


def _is_a_dcc_side(side: DuisDccSide) -> DccSide:
    """Never called: mypy checks here that DuisDccSide implements the DccSide Protocol."""
    return side

