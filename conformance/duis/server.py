"""The reference DCC over DUIS (``hanota serve-dcc --binding duis``).

One HTTP server, two clearly separate faces:

* ``POST <duis path>`` (default ``/duis``): a signed DUIS Service Request in, its signed
  synchronous Response out. The request is parsed safely, validated against the schema, its
  signature verified against the certificate of the Supplier its RequestID names, then handed to
  the reference DCC. Alerts are signed and POSTed to the response address, one message per
  alert as the DCC delivers it.
* ``/control/...``: the test-control channel, the JSON binding's test-support operations
  (premises, reset, virtual time, hub deliveries, discards, failed activations; see
  docs/dcc-adapter.md) plus ``PUT /control/duis/response-address``. DUIS cannot do these; a DCC
  test system may offer them or not.

The service level, stagger and size limit are the DCC's own configuration (``serve-dcc``
options), never set by the suite.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request as HttpRequest
from werkzeug.wrappers import Response as HttpResponse

from hanota.conformance.dcc_http.server import (
    DEFAULT_MAX_BODY_BYTES,
    DccService,
    QuietHandler,
    WorldConfig,
    make_app,
)
from hanota.conformance.dcc_side import SubmittedRequest
from hanota.conformance.models.service_request import (
    ActivateFirmwareRequest,
    Alert,
    RequestVariant,
    SupplierRole,
)
from hanota.protocol.duis import (
    ActivateFirmware,
    DuisError,
    DuisSchema,
    InventoryDevice,
    ReadFirmwareVersion,
    ReadInventory,
    Request,
    RequestId,
    Response,
    ResponseHeader,
    ResponseMessage,
    UpdateFirmware,
    UpdatePPMIDFirmware,
    read_document,
    sign_response,
)
from hanota.protocol.duis._read import version_text

from .config import DuisConfig
from .mapping import alert_to_duis, answer_to_duis, datetime_to_ms, ms_to_datetime

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

__all__ = ["DuisDccService", "make_duis_app", "serve_duis"]

_PUSH_TIMEOUT_S = 5.0
_KIND_TYPE = {"ppmid": "PPMID", "ihd": "IHD", "hcalcs": "HCALCS"}


@dataclass
class _Push:
    url: str | None
    delivered: int = 0
    failures: list[str] = field(default_factory=list)


class DuisDccService(DccService):
    """The reference DCC world of ``DccService`` with a DUIS face."""

    def __init__(self, config: WorldConfig, duis: DuisConfig, schema: DuisSchema, *, premises: int = 0,
                 response_address: str | None = None) -> None:
        self.duis = duis
        self.schema = schema
        self.push = _Push(response_address)
        #: Where signed alerts go instead of an HTTP POST (benchmarks, in-process tests).
        self.transport: Callable[[bytes], None] | None = None
        self._counter = 0
        self._rids: dict[str, RequestId] = {}
        self._versions: dict[str, int] = {}
        super().__init__(config, premises=premises)

    def reset(self, config: WorldConfig) -> None:
        super().reset(config)
        self.world.dcc.subscribe(self._push_alert)
        self._rids.clear()
        self._versions.clear()

    def _now(self) -> dt.datetime:
        return ms_to_datetime(int(self.world.clock.now_ms), self.duis.clock_epoch)

    def _response_id(self, target: int) -> RequestId:
        self._counter += 1
        return RequestId(self.duis.dcc_eui64, target, self._counter)

    # -- a Service Request in ------------------------------------------------------------------
    def handle(self, data: bytes) -> tuple[int, bytes, str]:
        """``(HTTP status, body, content type)`` for one POSTed DUIS document."""
        certificates = [s.certificate for s in self.duis.suppliers]
        try:
            doc = read_document(data, schema=self.schema, certificates=certificates, limits=self.duis.limits)
        except DuisError as err:
            return 400, f"refused: {err.describe()}\n".encode(), "text/plain"
        request = doc.message
        if not isinstance(request, Request):
            return 400, b"refused: expected an sr:Request\n", "text/plain"
        rid = request.header.request_id
        user = self.duis.supplier_by_eui(rid.originator)
        if user is None or user.certificate != doc.signer:
            return 403, (f"refused: RequestID originator {rid.text().split(':')[0]} is not the user whose "
                         "certificate signed the request\n").encode(), "text/plain"
        body = request.body
        if isinstance(body, UpdatePPMIDFirmware | UpdateFirmware):
            # The role is the signing User ID's (a Supplier has one User ID per DCC user role).
            role = user.role or self._role(user.name, body.device_ids)
            response = self._update_firmware(user.name, role, rid, body)
        elif isinstance(body, ActivateFirmware):
            response = self._activate(user.name, user.role or self._role(user.name, (rid.target,)), rid, body)
        elif isinstance(body, ReadInventory):
            response = self._read_inventory(rid, body)
        elif isinstance(body, ReadFirmwareVersion):
            response = self._read_firmware(user.name if user.role is None else None, rid, body)
        else:
            return 501, (f"the reference DCC serves SR 11.4, 11.1, 11.3, 11.2 and 8.2 over DUIS, not "
                         f"{request.header.service_reference}\n").encode(), "text/plain"
        return 200, sign_response(response, self.duis.dcc_signer()), "application/xml"

    def _update_firmware(self, supplier: str, role: SupplierRole, rid: RequestId,
                         body: UpdatePPMIDFirmware | UpdateFirmware) -> Response:
        """SR 11.4 (the rule set's PPMID firmware request) or SR 11.1 (an HCALCS's distribution)."""
        world, side = self.world, self.side
        side.tap_hubs()
        world.dcc.register_supplier(supplier)
        variant = (RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE if self.config.rules == "as-implemented"
                   else RequestVariant.SEND_PPMID_IHD_FIRMWARE)
        if isinstance(body, UpdateFirmware):
            variant = RequestVariant.SR_11_1_UPDATE_FIRMWARE
        request = world.request(list(body.device_ids), body.firmware_image, requester=supplier,
                                role=role, request_id=rid.text(),
                                firmware_version=body.firmware_version, variant=variant)
        answer = world.dcc.submit(request)
        side.record_request(request, "", len(body.firmware_image), answer)
        self._rids[rid.text()] = rid
        self._versions[rid.text()] = body.firmware_version
        return answer_to_duis(answer, rid, self._response_id(rid.originator), self._now(), body.service)

    def _activate(self, supplier: str, role: SupplierRole, rid: RequestId,
                  body: ActivateFirmware) -> Response:
        """SR 11.3 (CS06) for the HCALCS the RequestID targets; its outcome follows as an alert."""
        when = body.execution_datetime
        execution_ms = None if when is None else datetime_to_ms(when, self.duis.clock_epoch)
        request = ActivateFirmwareRequest(rid.text(), supplier, role, rid.target, body.firmware_hash,
                                          execution_ms)
        answer = self.world.dcc.activate(request)
        self.side.record(SubmittedRequest(rid.text(), supplier, "", (rid.target,), 0, 0,
                                         int(self.world.clock.now_ms), answer))
        self._rids[rid.text()] = rid
        return answer_to_duis(answer, rid, self._response_id(rid.originator), self._now(), body.service)

    def _role(self, supplier: str, devices: tuple[int, ...]) -> SupplierRole:
        """The role the Supplier holds at the first device's premises (gas only when it supplies
        gas there and not electricity): one DUIS user per Supplier in the reference DCC."""
        for premises in self.world.premises:
            if devices and devices[0] in premises.specs:
                gas = premises.gas_meter.supplier if premises.gas_meter is not None else None
                if gas == supplier and premises.electricity_meter.supplier != supplier:
                    return SupplierRole.GAS_SUPPLIER
        return SupplierRole.IMPORT_SUPPLIER

    def _read_inventory(self, rid: RequestId, body: ReadInventory) -> Response:
        inventory = self.world.dcc.inventory
        header_id = self._response_id(rid.originator)
        if body.device_id not in inventory:
            return Response(ResponseHeader("E080201", self._now(), rid, header_id),
                            ResponseMessage("8.2", "8.2"))
        entry = inventory.entry(body.device_id)
        spec = next((p.specs[body.device_id] for p in self.world.premises if body.device_id in p.specs), None)
        maker, model = ((f"{spec.manufacturer_code:04X}", f"{spec.image_type:04X}") if spec is not None
                        else ("unknown", "unknown"))
        device = InventoryDevice(body.device_id, _KIND_TYPE.get(entry.kind, "PPMID"), (
            ("DeviceStatus", "Commissioned"), ("DeviceManufacturer", maker), ("DeviceModel", model),
            ("DeviceFirmwareVersion", version_text(entry.firmware_version))))
        return Response(ResponseHeader("I0", self._now(), rid, header_id),
                        ResponseMessage("8.2", "8.2", inventory=(device,)))

    def _read_firmware(self, supplier: str | None, rid: RequestId, body: ReadFirmwareVersion) -> Response:
        """SR 11.2 (CS08) for the device the RequestID targets: acknowledged at once (I99); the
        device's answer follows at the response address, the hub's GBCS response passed on whole
        in GBCSPayload (as DCC Boxed's Response to SR 11.2 carries it). E19: no such device; E4:
        not a device of this Supplier, or a User ID in another role (``supplier`` None)."""
        dcc, now = self.world.dcc, int(self.world.clock.now_ms)
        device = rid.target
        if device not in dcc.inventory:
            code = "E19"
        elif supplier not in dcc.suppliers_concerned(device):
            code = "E4"
        else:
            code = "I99"
            when = body.execution_datetime
            due = now if when is None else max(now, datetime_to_ms(when, self.duis.clock_epoch))
            self.world.clock.call_at(due, partial(self._answer_read, rid))
        return Response(ResponseHeader(code, self._now(), rid, self._response_id(rid.originator)),
                        ResponseMessage(body.service, body.service))

    def _answer_read(self, rid: RequestId) -> None:
        """Send CS08 now and pass the hub's answer on to the Supplier who asked (ResponseID: the
        device to the Supplier, the request's counter, as DCC Boxed answers SR 11.2)."""
        frame = self.world.dcc.cs08_read(rid.target)
        if frame is None:
            self.push.failures.append(f"{self.world.clock.now_ms} ms: SR 11.2 {rid.text()}: no CS08 "
                                      "response from the hub")
            return
        header = ResponseHeader("I0", self._now(), rid, RequestId(rid.target, rid.originator, rid.counter))
        self._send(sign_response(Response(header, ResponseMessage("11.2", "11.2", gbcs_payload=frame)),
                                 self.duis.dcc_signer()))

    # -- alerts out ----------------------------------------------------------------------------
    def _push_alert(self, alert: Alert) -> None:
        """Sign the delivered alert and POST it to the response address (failures kept)."""
        user = next((s for s in self.duis.suppliers if s.name == alert.supplier and s.role is None), None)
        if user is None:
            self.push.failures.append(f"{self.world.clock.now_ms} ms: not sent (no DUIS identity for "
                                      f"{alert.supplier!r})")
            return
        premises = self.world.premises_of(alert.device)  # a dict: one alert per device, 50,000 devices
        hub = premises.hub.eui64 if premises is not None else 0
        message = alert_to_duis(alert, hub, self._rids.get(alert.request_id), self._response_id(user.eui64),
                                self.duis.clock_epoch, self._versions.get(alert.request_id, 0))
        self._send(sign_response(message, self.duis.dcc_signer()))

    def _send(self, data: bytes) -> None:
        """POST one signed message to the response address (failures kept)."""
        at = f"{self.world.clock.now_ms} ms"
        if self.push.url is None and self.transport is None:
            self.push.failures.append(f"{at}: not sent (no response address)")
            return
        if self.transport is not None:
            self.transport(data)
            self.push.delivered += 1
            return
        assert self.push.url is not None
        post = urllib.request.Request(self.push.url, data, {"Content-Type": "application/xml"},  # noqa: S310
                                      method="POST")
        try:
            with urllib.request.urlopen(post, timeout=_PUSH_TIMEOUT_S) as answer:  # noqa: S310
                answer.read()
            self.push.delivered += 1
        except OSError as err:
            self.push.failures.append(f"{at}: {err}")


def make_duis_app(service: DuisDccService, *, path: str = "/duis",
                  max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Callable[[dict[str, Any], Any], Any]:
    """The WSGI application: DUIS at ``path``, the control channel under ``/control``."""
    control = make_app(service, max_body_bytes=max_body_bytes)

    def duis(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = HttpRequest(environ)
        request.max_content_length = service.duis.limits.max_document_bytes
        if request.path == "/control/duis/response-address" and request.method in ("PUT", "GET"):
            with service.lock:
                if request.method == "PUT":
                    try:
                        url = json.loads(request.get_data() or b"{}").get("url")
                    except ValueError:
                        url = None
                    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                        return _text(400, "url: expected an http:// or https:// URL")(environ, start_response)
                    service.push = _Push(url)
                state = {"url": service.push.url, "delivered": service.push.delivered,
                         "failures": service.push.failures[-20:]}
            return HttpResponse(json.dumps(state), mimetype="application/json")(environ, start_response)
        if request.path.rstrip("/") != path.rstrip("/") or request.method != "POST":
            return _text(404 if request.method == "POST" else 405,
                         f"DUIS requests are POSTed to {path}")(environ, start_response)
        cap = service.duis.limits.max_document_bytes
        if request.content_length is not None and request.content_length > cap:
            return _text(413, "document above the size limit")(environ, start_response)
        try:
            data = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _text(413, "document above the size limit")(environ, start_response)
        with service.lock:
            status, body, kind = service.handle(data)
        return HttpResponse(body, status=status, mimetype=kind)(environ, start_response)

    dispatch = DispatcherMiddleware(duis, {"/control": control})

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/control/duis/response-address":
            return duis(environ, start_response)
        return dispatch(environ, start_response)

    return app


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, mimetype="text/plain")


@contextmanager
def serve_duis(service: DuisDccService, host: str = "127.0.0.1", port: int = 0, *,
               path: str = "/duis") -> Iterator[BaseWSGIServer]:
    """Serve ``service`` in a background thread for the ``with`` block (tests, benchmarks)."""
    server = make_server(host, port, make_duis_app(service, path=path), threaded=False,
                         request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="dcc-duis", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


