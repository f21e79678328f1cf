"""The reference DCC world behind the HTTP + JSON binding (``hanota serve-dcc``).

:class:`DccService` holds one :class:`~conformance.models.premises.World` (DCC, hubs, simulated
premises of devices) and the in-process :class:`~conformance.dcc_side.ReferenceDccSide` over
it; :func:`make_app` turns it into a WSGI application (Werkzeug routing and request parsing)
and :func:`serve` runs that on ``werkzeug.serving.make_server``. Requests are handled one at a
time (``threaded=False`` and a lock): the world is a sans-I/O state machine, not thread-safe.

Every body is JSON, capped in size, and checked field by field; a bad one gets 400 with
``{"error": ..., "field": ...}`` naming the field. A Rejected Service Request is not an HTTP
error: it is the DCC's answer, 200 with ``"status": "rejected"``.
"""

from __future__ import annotations

import enum
import json
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.hazmat.primitives import serialization
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from hanota.conformance.dcc_http import (
    API_VERSION,
    FieldError,
    alert_to_json,
    b64_from_json,
    delivery_to_json,
    eui_from_json,
    eui_to_json,
    gbcs_record_to_json,
    response_to_json,
    version_from_json,
    version_to_json,
)
from hanota.conformance.dcc_side import (
    CUT_OFF_POINTS,
    DISCARD_REASONS,
    OTHER_DEVICES,
    ReferenceDccSide,
    make_activation_fail,
)
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.faults.dcc_faults import FAULTS
from hanota.conformance.models.faults.device_faults import FAULTS as DEVICE_FAULTS
from hanota.conformance.models.faults.hub_faults import FAULTS as HUB_FAULTS
from hanota.conformance.models.premises import Premises, World
from hanota.conformance.models.service_request import Alert, RequestVariant, SupplierRole
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

E = TypeVar("E", bound=enum.Enum)

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DccService", "QuietHandler", "WorldConfig", "make_app", "serve"]

#: Request bodies above this are refused with 413 (base64 inflates an image by 4/3).
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
_CALLBACK_TIMEOUT_S = 5.0
_RULES = ("wg-2016", "as-implemented")
_KINDS = ("ihd", "ppmid", "hcalcs")


@dataclass(frozen=True)
class WorldConfig:
    """How the served world is built (``POST /reset`` changes it)."""

    rules: str = "wg-2016"
    seed: int = 0
    dcc_faults: frozenset[str] = frozenset()
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    alert_window_ms: int = 60_000
    service_level_ms: int = 300_000
    confirm_delay_ms: int = 60_000
    alert_stagger_interval_ms: int = 1_000


@dataclass
class _Callback:
    url: str
    delivered: int = 0
    failures: list[str] = field(default_factory=list)


class DccService:
    """The reference DCC world and the operations the binding exposes (no HTTP here)."""

    def __init__(self, config: WorldConfig | None = None, *, premises: int = 0) -> None:
        self.lock = threading.RLock()
        self.callbacks: dict[str, _Callback] = {}
        self.reset(config or WorldConfig())
        for _ in range(premises):
            self.add_premises({})

    def reset(self, config: WorldConfig) -> None:
        if config.rules not in _RULES:
            raise FieldError("rules", f"expected one of {', '.join(_RULES)}")
        self.config = config
        self.world = World(VirtualClock(), rules=config.rules, seed=config.seed,  # type: ignore[arg-type]
                           dcc_faults=config.dcc_faults, max_image_bytes=config.max_image_bytes,
                           alert_window_ms=config.alert_window_ms,
                           service_level_ms=config.service_level_ms,
                           confirm_delay_ms=config.confirm_delay_ms,
                           alert_stagger_interval_ms=config.alert_stagger_interval_ms)
        self.side = ReferenceDccSide(self.world, rules=config.rules)
        self.world.dcc.subscribe(self._on_alert)
        self.callbacks.clear()

    # -- test support ---------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        c = self.config
        pem = self.world.public_key.public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        return {"api_version": API_VERSION, "implementation": "hanota reference DCC",
                "rules": c.rules, "seed": c.seed, "dcc_faults": sorted(c.dcc_faults),
                "max_image_bytes": c.max_image_bytes, "alert_window_ms": c.alert_window_ms,
                "service_level_ms": c.service_level_ms, "confirm_delay_ms": c.confirm_delay_ms,
                "alert_stagger_interval_ms": c.alert_stagger_interval_ms,
                "virtual_time": True, "test_support": True,
                "variants": [v.value for v in self._variants()],
                "manufacturer_public_key_pem": pem.decode("ascii")}

    def _variants(self) -> list[RequestVariant]:
        if self.config.rules == "as-implemented":
            return [RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE]
        return list(RequestVariant)

    def add_premises(self, body: dict[str, Any]) -> dict[str, Any]:
        elec = _opt_str(body, "electricity_supplier", "Supplier A")
        gas = body.get("gas_supplier", "Supplier B")
        if gas is not None and not isinstance(gas, str):
            raise FieldError("gas_supplier", "expected a string or null (electricity only)")
        kinds = _list_of(body, "devices", ["ihd", "ppmid"])
        for i, kind in enumerate(kinds):
            if kind not in _KINDS:
                raise FieldError(f"devices[{i}]", f"expected ihd, ppmid or hcalcs, got {kind!r:.40}")
        if not kinds:
            raise FieldError("devices", "name at least one device kind")
        faults = _list_of(body, "device_faults", [])
        hub_faults = _list_of(body, "hub_faults", [])
        checks = (("device_faults", faults, DEVICE_FAULTS), ("hub_faults", hub_faults, HUB_FAULTS))
        for name, given, known in checks:
            for i, fault in enumerate(given):
                if fault not in known:
                    raise FieldError(f"{name}[{i}]", f"unknown fault {fault!r:.40}")
        premises = self.world.add_premises(
            electricity_supplier=elec, gas_supplier=gas, devices=kinds, device_faults=faults,
            supports_fragmentation=_opt_bool(body, "supports_fragmentation"),
            consumer_refusal=_opt_bool(body, "consumer_refusal"), hub_faults=hub_faults)
        return _premises_json(premises)

    def premises(self) -> list[dict[str, Any]]:
        return [_premises_json(p) for p in self.world.premises]

    # -- the Service Request ------------------------------------------------------------------
    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        requester = _req_str(body, "requester")
        role = _enum(SupplierRole, body, "requester_role")
        variant = _enum(RequestVariant, body, "variant")
        rid = body.get("request_id")
        if rid is not None and (not isinstance(rid, str) or not rid or len(rid) > 64):
            raise FieldError("request_id", "expected 1 to 64 characters")
        version = version_from_json(body.get("FirmwareVersion"), "FirmwareVersion")
        assert version is not None
        image = b64_from_json(body.get("FirmwareImage"), "FirmwareImage")
        raw_ids = body.get("DeviceIDList")
        if not isinstance(raw_ids, list) or not raw_ids:
            raise FieldError("DeviceIDList", "expected a non-empty array of EUI-64s")
        devices = [eui_from_json(d, f"DeviceIDList[{i}]") for i, d in enumerate(raw_ids)]
        raw_fragments = body.get("fragments", [])
        if not isinstance(raw_fragments, list):
            raise FieldError("fragments", "expected an array of base64 strings")
        fragments = tuple(b64_from_json(f, f"fragments[{i}]") for i, f in enumerate(raw_fragments))
        if fragments and image:
            raise FieldError("FirmwareImage", "must be empty when the image is sent in fragments")
        label = _opt_str(body, "label", "")
        world, side = self.world, self.side
        _tap(side)
        # As in process: a requester is a DCC user holding a Supplier role; whether it may act
        # for these devices is the DCC's answer (responsibility, role), not a 400.
        world.dcc.register_supplier(requester)
        request = world.request(devices, image, requester=requester, role=role, request_id=rid,
                                firmware_version=version, variant=variant, fragments=fragments)
        response = world.dcc.submit(request)
        size = len(image) if not fragments else sum(len(f) for f in fragments)
        sent = side.record_request(request, label, size, response)
        return {"response": response_to_json(response), "submitted_ms": sent.submitted_ms,
                "fragments": sent.fragments}

    def activate(self, body: dict[str, Any]) -> dict[str, Any]:
        """SR 11.3 'Activate Firmware' for an HCALCS: CS06 with ManufacturerImageHash (64 hex
        digits) at ExecutionTimeMs (ms on the DCC's clock; absent or null: at once)."""
        requester = _req_str(body, "requester")
        device = eui_from_json(body.get("DeviceID"), "DeviceID")
        raw = _req_str(body, "ManufacturerImageHash")
        try:
            image_hash = bytes.fromhex(raw)
        except ValueError:
            raise FieldError("ManufacturerImageHash", "expected 64 hex digits") from None
        if len(image_hash) != 32:
            raise FieldError("ManufacturerImageHash", "expected 64 hex digits (SHA-256)")
        when = body.get("ExecutionTimeMs")
        if when is not None and (not isinstance(when, int) or isinstance(when, bool) or when < 0):
            raise FieldError("ExecutionTimeMs", "expected a non-negative integer or null")
        version = version_from_json(body.get("FirmwareVersion", "00000000"), "FirmwareVersion") or 0
        self.world.dcc.register_supplier(requester)
        sent = self.side.activate(requester, device, image_hash, label=_opt_str(body, "label", ""),
                                  file_version=version, execution_ms=when)
        return {"response": response_to_json(sent.response), "submitted_ms": sent.submitted_ms}

    def requests(self, supplier: str | None) -> list[dict[str, Any]]:
        return [{"request_id": r.request_id, "supplier": r.supplier, "label": r.label,
                 "devices": [eui_to_json(d) for d in r.devices],
                 "file_version": version_to_json(r.file_version), "image_bytes": r.image_bytes,
                 "submitted_ms": r.submitted_ms, "fragments": r.fragments,
                 "response": response_to_json(r.response)} for r in self.side.requests(supplier)]

    # -- alerts -------------------------------------------------------------------------------
    def _on_alert(self, alert: Alert) -> None:
        """Push a delivered alert to its Supplier's callback, if one is registered."""
        callback = self.callbacks.get(alert.supplier)
        if callback is None:
            return
        # The mailbox is appended before subscribers run: the last entry is this alert.
        seen = self.side.alerts_for(alert.supplier)[-1]
        data = json.dumps(alert_to_json(seen)).encode()
        # set_callback admits http:// and https:// URLs only
        headers = {"Content-Type": "application/json"}
        post = urllib.request.Request(callback.url, data, headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(post, timeout=_CALLBACK_TIMEOUT_S) as answer:  # noqa: S310
                answer.read()
            callback.delivered += 1
        except OSError as err:  # unreachable, refused, HTTP error: kept, never fatal to the DCC
            callback.failures.append(f"{self.world.clock.now_ms} ms: {err}")

    def set_callback(self, supplier: str, body: dict[str, Any]) -> dict[str, Any]:
        url = _req_str(body, "url")
        if not url.startswith(("http://", "https://")):
            raise FieldError("url", "expected an http:// or https:// URL")
        self.callbacks[supplier] = _Callback(url)
        return self.callback_state(supplier)

    def callback_state(self, supplier: str) -> dict[str, Any]:
        cb = self.callbacks.get(supplier)
        if cb is None:
            raise NotFound(f"no callback registered for {supplier!r}")
        return {"supplier": supplier, "url": cb.url, "delivered": cb.delivered, "failures": cb.failures}

    def transfer_state(self) -> dict[str, Any]:
        """``GET /transfers/pending``: ``pending`` (a hub activating or reading back a version),
        ``distributing`` (a hub still receiving an image over the WAN or serving it on the HAN)
        and ``last_frame_ms`` (the last frame on the first premises' HAN): together what "the
        download runs to its end" waits for, as the suite's harness judges it in process.
        An observation only: nothing in flight is delivered (``POST /time/advance`` with 0 ms
        does that)."""
        distributing = False
        for premises in self.world.premises:
            hub = premises.hub
            stored = getattr(hub, "stored", None)
            targets = stored.targets.values() if stored is not None else ()
            if getattr(hub, "_wan", None) is not None or any(
                    t.state.value in ("notified", "downloading", "wait-more") for t in targets):
                distributing = True
        now = self.side.now_ms()
        log = self.world.premises[0].network.log if self.world.premises else []
        return {"pending": self.side.transfer_pending(), "distributing": distributing, "now_ms": now,
                "last_frame_ms": log[-1][0] if log else None}

    # -- time -----------------------------------------------------------------------------------
    def time(self) -> dict[str, Any]:
        return {"now_ms": self.side.now_ms(), "virtual": True}

    def advance(self, body: dict[str, Any]) -> dict[str, Any]:
        ms = body.get("ms")
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= 366 * 86_400_000:
            raise FieldError("ms", "expected an integer number of milliseconds, 0 to one year")
        self.world.run_for(ms)
        return self.time()

    def step(self, body: dict[str, Any]) -> dict[str, Any]:
        """Run to the next timer due, or to ``deadline_ms`` if that comes first (one step of
        ``ReferenceDccSide.wait_until``: the client checks its condition between steps)."""
        deadline = body.get("deadline_ms")
        if not isinstance(deadline, int) or isinstance(deadline, bool) or deadline < 0:
            raise FieldError("deadline_ms", "expected a non-negative integer (ms on the DCC's clock)")
        clock = self.world.clock
        now = clock.now_ms
        if now < deadline:
            due = clock.next_due_ms()
            self.world.run_for((deadline if due is None else min(max(due, now), deadline)) - now)
        return self.time()

    def run_until_idle(self, body: dict[str, Any]) -> dict[str, Any]:
        limit = body.get("max_virtual_ms", 7 * 86_400_000)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise FieldError("max_virtual_ms", "expected a non-negative integer")
        self.world.run_until_idle(max_virtual_ms=limit)
        return self.time()


# -- helpers: body fields ---------------------------------------------------------------------------
def _req_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise FieldError(name, "required, a non-empty string")
    return value


def _opt_str(body: dict[str, Any], name: str, default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise FieldError(name, "expected a string")
    return value


def _opt_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise FieldError(name, "expected true or false")
    return value


def _list_of(body: dict[str, Any], name: str, default: list[str]) -> list[str]:
    value = body.get(name, default)
    if not isinstance(value, list):
        raise FieldError(name, "expected an array of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise FieldError(f"{name}[{i}]", "expected a string")
    return list(value)


def _enum(kind: type[E], body: dict[str, Any], name: str) -> E:
    value = body.get(name)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise FieldError(name, f"expected one of {allowed}; got {value!r:.40}") from None


def _int_field(body: dict[str, Any], name: str, default: int, *, low: int = 0) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise FieldError(name, f"expected an integer >= {low}")
    return value


def _tap(side: ReferenceDccSide) -> None:
    # ReferenceDccSide taps the hubs it is about to send to; the raw Service Request path
    # needs the same observer before the DCC distributes.
    side.tap_hubs()


def _premises_json(p: Premises) -> dict[str, Any]:
    return {"premises_id": p.premises_id,
            "hub": eui_to_json(p.hub.eui64),
            "meters": [{"eui64": eui_to_json(m.eui64), "fuel": m.fuel, "supplier": m.supplier}
                       for m in p.meters],
            "devices": [{"key": key, "eui64": eui_to_json(d.eui64), "kind": p.specs[d.eui64].kind,
                         "manufacturer_code": p.specs[d.eui64].manufacturer_code,
                         "image_type": p.specs[d.eui64].image_type,
                         "file_version": version_to_json(p.specs[d.eui64].file_version)}
                        for key, d in p.devices.items()]}


def _config_from(body: dict[str, Any], base: WorldConfig) -> WorldConfig:
    rules = body.get("rules", base.rules)
    if rules not in _RULES:
        raise FieldError("rules", f"expected one of {', '.join(_RULES)}")
    faults = _list_of(body, "dcc_faults", sorted(base.dcc_faults))
    for i, fault in enumerate(faults):
        if fault not in FAULTS:
            raise FieldError(f"dcc_faults[{i}]", f"unknown DCC fault {fault!r:.40}")
    config = replace(base, rules=rules, seed=_int_field(body, "seed", base.seed),
                     dcc_faults=frozenset(faults),
                     max_image_bytes=_int_field(body, "max_image_bytes", base.max_image_bytes, low=1),
                     alert_window_ms=_int_field(body, "alert_window_ms", base.alert_window_ms),
                     service_level_ms=_int_field(body, "service_level_ms", base.service_level_ms),
                     confirm_delay_ms=_int_field(body, "confirm_delay_ms", base.confirm_delay_ms),
                     alert_stagger_interval_ms=_int_field(body, "alert_stagger_interval_ms",
                                                          base.alert_stagger_interval_ms))
    if config.alert_window_ms > config.service_level_ms:
        raise FieldError("alert_window_ms", "must not exceed service_level_ms")
    if config.alert_stagger_interval_ms > config.service_level_ms:
        raise FieldError("alert_stagger_interval_ms", "must not exceed service_level_ms")
    return config


# -- HTTP ---------------------------------------------------------------------------------------------
_URLS = Map([
    Rule("/info", methods=["GET"], endpoint="info"),
    Rule("/reset", methods=["POST"], endpoint="reset"),
    Rule("/premises", methods=["GET"], endpoint="list_premises"),
    Rule("/premises", methods=["POST"], endpoint="add_premises"),
    Rule("/service-requests", methods=["POST"], endpoint="submit"),
    Rule("/service-requests", methods=["GET"], endpoint="list_requests"),
    Rule("/suppliers", methods=["GET"], endpoint="suppliers"),
    Rule("/suppliers/<supplier>/alerts", methods=["GET"], endpoint="alerts"),
    Rule("/suppliers/<supplier>/callback", methods=["PUT"], endpoint="set_callback"),
    Rule("/suppliers/<supplier>/callback", methods=["GET"], endpoint="get_callback"),
    Rule("/suppliers/<supplier>/callback", methods=["DELETE"], endpoint="delete_callback"),
    Rule("/devices/<device>/inventory", methods=["GET"], endpoint="inventory"),
    Rule("/devices/<device>/fail-next-activation", methods=["POST"], endpoint="fail_activation"),
    Rule("/devices/<device>/running-version", methods=["GET"], endpoint="running_version"),
    Rule("/devices/<device>/cut-off", methods=["POST"], endpoint="cut_off"),
    Rule("/devices/<device>/other-device", methods=["POST"], endpoint="other_device"),
    Rule("/gbcs-frames", methods=["GET"], endpoint="gbcs_frames"),
    Rule("/activations", methods=["POST"], endpoint="activate"),
    Rule("/hub-deliveries", methods=["GET"], endpoint="hub_deliveries"),
    Rule("/hub-deliveries/discard", methods=["POST"], endpoint="discard"),
    Rule("/time", methods=["GET"], endpoint="time"),
    Rule("/time/advance", methods=["POST"], endpoint="advance"),
    Rule("/time/run-until-idle", methods=["POST"], endpoint="run_until_idle"),
    Rule("/time/step", methods=["POST"], endpoint="step"),
    Rule("/transfers/pending", methods=["GET"], endpoint="transfer_pending"),
], strict_slashes=False)


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(status: int, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return _json(body, status)


def _body(request: Request, cap: int) -> dict[str, Any]:
    request.max_content_length = cap
    raw = request.get_data(cache=False)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise FieldError("body", f"not JSON: {err}") from None
    if not isinstance(data, dict):
        raise FieldError("body", "expected a JSON object")
    return data


def make_app(service: DccService, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
             ) -> Callable[[dict[str, Any], Any], Any]:
    """The WSGI application serving ``service``."""

    def handle(request: Request, endpoint: str, args: dict[str, str]) -> Response:
        s = service
        if endpoint == "info":
            return _json(s.info())
        if endpoint == "reset":
            s.reset(_config_from(_body(request, max_body_bytes), s.config))
            return _json(s.info())
        if endpoint == "list_premises":
            return _json({"premises": s.premises()})
        if endpoint == "add_premises":
            return _json(s.add_premises(_body(request, max_body_bytes)), 201)
        if endpoint == "submit":
            return _json(s.submit(_body(request, max_body_bytes)))
        if endpoint == "list_requests":
            return _json({"requests": s.requests(request.args.get("supplier"))})
        if endpoint == "suppliers":
            return _json({"suppliers": s.side.suppliers()})
        if endpoint == "alerts":
            supplier = args["supplier"]
            return _json({"supplier": supplier, "now_ms": s.side.now_ms(),
                          "alerts": [alert_to_json(a) for a in s.side.alerts_for(supplier)]})
        if endpoint == "set_callback":
            return _json(s.set_callback(args["supplier"], _body(request, max_body_bytes)))
        if endpoint == "get_callback":
            return _json(s.callback_state(args["supplier"]))
        if endpoint == "delete_callback":
            s.callbacks.pop(args["supplier"], None)
            return Response(status=204)
        if endpoint in ("inventory", "fail_activation", "running_version"):
            device = eui_from_json(args["device"], "device")
            return _device_endpoint(s, endpoint, device)
        if endpoint == "cut_off":
            device = eui_from_json(args["device"], "device")
            when = _req_str(_body(request, max_body_bytes), "when")
            if when not in CUT_OFF_POINTS:
                raise FieldError("when", f"expected one of: {'; '.join(CUT_OFF_POINTS)}")
            s.side.cut_off_device(device, when)
            return Response(status=204)
        if endpoint == "other_device":
            device = eui_from_json(args["device"], "device")
            what = _req_str(_body(request, max_body_bytes), "what")
            if what not in OTHER_DEVICES:
                raise FieldError("what", f"expected one of: {'; '.join(OTHER_DEVICES)}")
            return _json({"device": eui_to_json(s.side.add_other_device(device, what))}, 201)
        if endpoint == "activate":
            return _json(s.activate(_body(request, max_body_bytes)))
        if endpoint == "gbcs_frames":
            return _json({"frames": [gbcs_record_to_json(r) for r in s.side.gbcs_frames()]})
        if endpoint == "hub_deliveries":
            return _json({"deliveries": [delivery_to_json(d) for d in s.side.hub_deliveries()]})
        if endpoint == "discard":
            body = _body(request, max_body_bytes)
            ids = _list_of(body, "request_ids", [])
            reason = _req_str(body, "reason")
            if reason not in DISCARD_REASONS:
                raise FieldError("reason", f"expected one of: {'; '.join(DISCARD_REASONS)}")
            s.side.discard_on_hub(ids, reason)
            return Response(status=204)
        if endpoint == "time":
            return _json(s.time())
        if endpoint == "advance":
            return _json(s.advance(_body(request, max_body_bytes)))
        if endpoint == "step":
            return _json(s.step(_body(request, max_body_bytes)))
        if endpoint == "transfer_pending":
            return _json(s.transfer_state())
        if endpoint == "run_until_idle":
            return _json(s.run_until_idle(_body(request, max_body_bytes)))
        raise NotFound()  # pragma: no cover - every rule has a branch

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        adapter = _URLS.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            with service.lock:
                response = handle(request, str(endpoint), dict(args))
        except FieldError as err:
            response = _error(400, f"{err.field}: {err.message}", err.field)
        except RequestEntityTooLarge:
            response = _error(413, f"request body over {max_body_bytes} bytes", "body")
        except HarnessUsageError as err:
            response = _error(409, str(err))
        except HTTPException as err:
            response = _error(err.code or 500, err.description or err.name)
        return response(environ, start_response)

    return app


def _device_endpoint(s: DccService, endpoint: str, device: int) -> Response:
    dcc = s.world.dcc
    if device not in dcc.inventory:
        raise NotFound(f"device {device:016X} is not in the Smart Metering Inventory")
    if endpoint in ("fail_activation", "running_version"):
        premises = next(p for p in s.world.premises if device in p.specs)
        model = next(d for d in premises.devices.values() if d.eui64 == device)
        if endpoint == "running_version":
            # What the simulated device runs: its CurrentFileVersion attribute.
            return _json({"device": eui_to_json(device),
                          "file_version": version_to_json(int(model.firmware_version))})
        make_activation_fail(model)
        return Response(status=204)
    entry = dcc.inventory.entry(device)
    history = [{"old_version": version_to_json(c.old_version), "new_version": version_to_json(c.new_version),
                "source": c.source.value, "time_ms": c.time_ms, "request_id": c.request_id}
               for c in dcc.inventory.history(device)]
    return _json({"device": eui_to_json(device), "kind": entry.kind, "premises_id": entry.premises_id,
                  "firmware_version": version_to_json(entry.firmware_version),
                  "last_confirmed_ms": entry.last_confirmed_ms, "history": history})


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (tests and benchmarks make thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve(service: DccService, host: str = "127.0.0.1", port: int = 0, *,
          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Iterator[BaseWSGIServer]:
    """Serve ``service`` in a background thread for the ``with`` block (tests, benchmarks)."""
    server = make_server(host, port, make_app(service, max_body_bytes=max_body_bytes), threaded=False,
                         request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="dcc-http", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
