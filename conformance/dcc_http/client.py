"""A :class:`~conformance.dcc_side.DccSide` that reaches a DCC test system over HTTP + JSON.

:class:`HttpDccSide` has the methods of the in-process
:class:`~conformance.dcc_side.ReferenceDccSide` (``submit``, ``requests``, ``alerts_for``,
``suppliers``, ``hub_deliveries``, ``inventory_version``, ``discard_on_hub``, ``now_ms``,
``evidence``) and gives the same results for the same operations, so the DCC-side steps run
unchanged against ``hanota serve-dcc`` or a DCC's own implementation of ``openapi.yaml``. It
acts as a Supplier does: it records the requests it sent, picks the role it holds at the
premises, and under the wg-2016 rules resends an image the DCC refused as too large in
fragments each within the limit. It adds the optional controls: time, premises, reset.

Only the standard library is used (``urllib.request`` + ``json``). :class:`AlertReceiver` is a
Supplier's callback endpoint: a small Werkzeug server that keeps each alert POSTed to it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from hanota.conformance.adapters.base import DutNotApplicableError
from hanota.conformance.dcc_http import (
    FieldError,
    alert_from_json,
    delivery_from_json,
    eui_from_json,
    eui_to_json,
    gbcs_record_from_json,
    response_from_json,
    version_from_json,
    version_to_json,
)
from hanota.conformance.dcc_side import AlertSeen, DccSide, HubDelivery, SubmittedRequest, describe_change
from hanota.conformance.models.gbcs_wan import GbcsRecord
from hanota.conformance.models.service_request import (
    RequestVariant,
    ServiceRequestResponse,
    SupplierRole,
)
from hanota.protocol.errors import HarnessUsageError

__all__ = ["AlertReceiver", "DccHttpError", "DccNotOfferedError", "HttpDccSide"]

#: What a DCC test system answers for an optional (test-support) operation it does not offer.
NOT_OFFERED = (404, 501)

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

T = TypeVar("T")


class DccHttpError(HarnessUsageError):
    """The DCC test system answered with an HTTP error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class DccNotOfferedError(DccHttpError, DutNotApplicableError):
    """The DCC test system does not offer a test-support operation a scenario needs (404/501):
    the scenario is *not applicable*, with this message as the reason (``conformance/plugin.py``)."""


class HttpDccSide:
    """The DCC side of the suite over the HTTP binding at ``base_url`` (``http://HOST:PORT``)."""

    def __init__(self, base_url: str, *, timeout_s: float = 60.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise HarnessUsageError(f"a DCC test system URL is http://HOST:PORT[/PREFIX], got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._requests: list[SubmittedRequest] = []
        self._info: dict[str, Any] | None = None
        self._roles: dict[int, tuple[str, str | None]] = {}  # device -> (electricity, gas) Supplier
        self._kinds: dict[int, str] = {}  # device -> kind (an HCALCS is updated by SR 11.1)

    # -- transport ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Mapping[str, object] | None = None, *,
              optional: bool = False) -> dict[str, Any]:
        """One operation; ``optional`` marks a test-support one, which a DCC test system may
        lack (404/501: DccNotOfferedError). Every answer is a JSON object (``{}`` when empty)."""
        data = None if body is None else json.dumps(body).encode()
        # the scheme was checked in __init__: http or https only
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        request = urllib.request.Request(self.base_url + path, data, headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:  # noqa: S310
                raw = answer.read()
        except urllib.error.HTTPError as err:
            raise _http_error(method, path, err, optional=optional) from None
        except OSError as err:
            raise DccHttpError(f"{method} {self.base_url}{path}: "
                               f"DCC test system unreachable ({err})") from None
        if not raw:
            return {}
        try:
            answer = json.loads(raw)
        except ValueError:
            raise DccHttpError(f"{method} {path}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise DccHttpError(f"{method} {path}: the answer is not a JSON object")
        return answer

    def _checked(self, what: str, parse: Callable[[], T]) -> T:
        try:
            return parse()
        except FieldError as err:
            raise DccHttpError(f"{what}: malformed answer from the DCC test system: {err}",
                               field=err.field) from None

    # -- the optional controls (test support) ----------------------------------------------------
    def info(self) -> dict[str, Any]:
        """``GET /info``: rules, limits, whether time is virtual (cached)."""
        if self._info is None:
            self._info = dict(self._call("GET", "/info"))
        return self._info

    @property
    def rules(self) -> str:
        return str(self.info()["rules"])

    @property
    def max_image_bytes(self) -> int:
        return int(self.info()["max_image_bytes"])

    @property
    def virtual_time(self) -> bool:
        return bool(self.info().get("virtual_time", False))

    def reset(self, **config: object) -> dict[str, Any]:
        """``POST /reset``: a fresh world (``rules``, ``seed``, ``dcc_faults``, ``max_image_bytes``,
        ``alert_window_ms``, ``service_level_ms``, ``confirm_delay_ms``); forgets local records."""
        faults = config.get("dcc_faults")
        if isinstance(faults, Iterable) and not isinstance(faults, str):
            config["dcc_faults"] = sorted(str(f) for f in faults)
        self._info = dict(self._call("POST", "/reset", config, optional=True))
        self._requests.clear()
        self._roles.clear()
        return self._info

    def add_premises(self, *, electricity_supplier: str = "Supplier A",
                     gas_supplier: str | None = "Supplier B", devices: Sequence[str] = ("ihd", "ppmid"),
                     supports_fragmentation: bool = False, consumer_refusal: bool = False,
                     device_faults: Sequence[str] = (), hub_faults: Sequence[str] = ()) -> dict[str, Any]:
        """``POST /premises``: one more premises; returns its hub, meters and devices."""
        made = self._call("POST", "/premises", {
            "electricity_supplier": electricity_supplier, "gas_supplier": gas_supplier,
            "devices": list(devices), "supports_fragmentation": supports_fragmentation,
            "consumer_refusal": consumer_refusal, "device_faults": sorted(device_faults),
            "hub_faults": sorted(hub_faults)}, optional=True)
        self._learn(made)
        return dict(made)

    def premises(self) -> list[dict[str, Any]]:
        """``GET /premises``."""
        listed = list(self._call("GET", "/premises", optional=True)["premises"])
        for p in listed:
            self._learn(p)
        return listed

    def _learn(self, premises: dict[str, Any]) -> None:
        meters = {m["fuel"]: m["supplier"] for m in premises.get("meters", [])}
        for d in premises.get("devices", []):
            eui = eui_from_json(d["eui64"], "devices[].eui64")
            self._roles[eui] = (meters.get("electricity", ""), meters.get("gas"))
            self._kinds[eui] = str(d.get("kind", ""))

    def advance(self, ms: int) -> int:
        """Let ``ms`` pass on the DCC's clock; returns the time after.

        Virtual time: ``POST /time/advance`` runs every timer due on the way. Wall time (a DCC
        test system without virtual time): time passes by itself, so this waits ``ms``.
        """
        if not self.virtual_time:
            time.sleep(max(0, ms) / 1000)
            return self.now_ms()
        return int(self._call("POST", "/time/advance", {"ms": int(ms)}, optional=True)["now_ms"])

    def run_until_idle(self, max_virtual_ms: int = 7 * 86_400_000) -> int:
        """``POST /time/run-until-idle``: until no timer is left (bounded); returns the time.

        Only with virtual time: a wall-clock DCC cannot say it is idle; use :meth:`wait_for`
        with the PIXIT timeout instead."""
        if not self.virtual_time:
            raise HarnessUsageError("the DCC test system runs on wall time: wait for the expected "
                                    "alerts with wait_for(..., timeout_ms=<PIXIT timeout>) instead")
        answer = self._call("POST", "/time/run-until-idle", {"max_virtual_ms": max_virtual_ms}, optional=True)
        return int(answer["now_ms"])

    def wait_until(self, done: Callable[[], bool], deadline_ms: int) -> bool:
        """Until ``done()`` or ``deadline_ms`` on the DCC's clock; returns ``done()``.

        Virtual time: ``POST /time/step``, timer by timer, checking ``done()`` between steps
        (as in process). Wall time: polls once a second (or less, near the deadline)."""
        while not done():
            now = self.now_ms()
            if now >= deadline_ms:
                return False
            if self.virtual_time:
                self.step(deadline_ms)
            else:
                time.sleep(min(1_000, deadline_ms - now) / 1000)
        return True

    def wait_for(self, done: Callable[[], bool], timeout_ms: int, *, step_ms: int = 1_000) -> bool:
        """Until ``done()`` holds or ``timeout_ms`` has passed on the DCC's clock, checking every
        ``step_ms`` (virtual: advancing the clock; wall: polling). Returns ``done()``."""
        if step_ms <= 0:
            raise HarnessUsageError("step_ms must be positive")
        waited = 0
        while not done():
            if waited >= timeout_ms:
                return False
            step = min(step_ms, timeout_ms - waited)
            self.advance(step)
            waited += step
        return True

    def step(self, deadline_ms: int) -> int:
        """``POST /time/step``: run to the next timer due or to ``deadline_ms``, whichever comes
        first (virtual time only); returns the time after."""
        answer = self._call("POST", "/time/step", {"deadline_ms": int(deadline_ms)}, optional=True)
        return int(answer["now_ms"])

    def transfer_state(self) -> dict[str, Any]:
        """``GET /transfers/pending``: ``pending``, ``now_ms`` and, where the system gives them,
        ``distributing`` and ``last_frame_ms`` (what "the download runs to its end" waits for)."""
        return dict(self._call("GET", "/transfers/pending", optional=True))

    def running_version(self, device: int) -> int:
        """``GET /devices/{eui}/running-version``: the firmware the simulated device runs."""
        got = self._call("GET", f"/devices/{eui_to_json(device)}/running-version", optional=True)
        version: int = self._checked("running version",
                                     lambda: version_from_json(got["file_version"], "file_version"))
        return version

    def fail_next_activation(self, device: int) -> None:
        """``POST /devices/{eui}/fail-next-activation`` (the reference world only)."""
        self._call("POST", f"/devices/{eui_to_json(device)}/fail-next-activation", optional=True)

    def inventory_record(self, device: int) -> dict[str, Any] | None:
        """``GET /devices/{eui}/inventory``: the record with its history, or None if unknown."""
        try:
            return dict(self._call("GET", f"/devices/{eui_to_json(device)}/inventory"))
        except DccHttpError as err:
            if err.status == 404:
                return None
            raise

    def set_callback(self, supplier: str, url: str) -> None:
        """``PUT /suppliers/{id}/callback``: have each alert to ``supplier`` POSTed to ``url``."""
        self._call("PUT", f"/suppliers/{_seg(supplier)}/callback", {"url": url})

    # -- DccSide: acting -------------------------------------------------------------------------
    def submit(self, supplier: str, devices: Sequence[int], image: bytes, *, label: str,
               file_version: int) -> SubmittedRequest:
        """Send the firmware Service Request of the DCC's rule set for ``supplier``."""
        wg = self.rules == "wg-2016"
        variant = (RequestVariant.SEND_PPMID_IHD_FIRMWARE if wg
                   else RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE)
        role = self._role(supplier, devices)
        if devices and self._kinds.get(devices[0]) == "hcalcs":
            variant = RequestVariant.SR_11_1_UPDATE_FIRMWARE
        # The whole image, as in process: fragmenting it is the DCC's mechanism, not the suite's.
        return self.submit_request(supplier, role, devices, image, file_version, variant=variant,
                                   label=label, image_bytes=len(image))

    def submit_request(self, requester: str, role: SupplierRole, devices: Sequence[int], image: bytes,
                       file_version: int, *, variant: RequestVariant, label: str = "",
                       fragments: Sequence[bytes] = (), request_id: str | None = None,
                       image_bytes: int | None = None) -> SubmittedRequest:
        """``POST /service-requests`` with exactly these SR fields; recorded for :meth:`requests`."""
        body: dict[str, Any] = {
            "requester": requester, "requester_role": role.value, "variant": variant.value,
            "FirmwareImage": base64.b64encode(image).decode("ascii"),
            "FirmwareVersion": version_to_json(file_version),
            "DeviceIDList": [eui_to_json(d) for d in devices], "label": label}
        if fragments:
            body["fragments"] = [base64.b64encode(f).decode("ascii") for f in fragments]
        if request_id is not None:
            body["request_id"] = request_id
        answer = self._call("POST", "/service-requests", body)
        response: ServiceRequestResponse = self._checked(
            "the Service Request's answer", lambda: response_from_json(answer["response"]))
        size = len(image) if image_bytes is None else image_bytes
        sent = SubmittedRequest(response.request_id, requester, label, tuple(devices), file_version, size,
                                int(answer["submitted_ms"]), response, len(fragments))
        self._requests.append(sent)
        return sent

    def _role(self, supplier: str, devices: Sequence[int]) -> SupplierRole:
        """The role ``supplier`` holds at the first device's premises (gas only if it is not also
        the electricity Supplier), as a Supplier user picks it; Import Supplier otherwise."""
        if devices and devices[0] not in self._roles:
            self.premises()
        elec, gas = self._roles.get(devices[0], ("", None)) if devices else ("", None)
        if gas == supplier and elec != supplier:
            return SupplierRole.GAS_SUPPLIER
        return SupplierRole.IMPORT_SUPPLIER

    def activate(self, supplier: str, device: int, image_hash: bytes, *, label: str, file_version: int,
                 execution_ms: int | None) -> SubmittedRequest:
        """``POST /activations``: SR 11.3 'Activate Firmware' (CS06) for the HCALCS ``device``."""
        body = {"requester": supplier, "DeviceID": eui_to_json(device),
                "ManufacturerImageHash": image_hash.hex(), "ExecutionTimeMs": execution_ms,
                "FirmwareVersion": version_to_json(file_version), "label": label}
        answer = self._call("POST", "/activations", body, optional=True)
        response: ServiceRequestResponse = self._checked(
            "the activation's answer", lambda: response_from_json(answer["response"]))
        sent = SubmittedRequest(response.request_id, supplier, label, (device,), file_version, 0,
                                int(answer["submitted_ms"]), response)
        self._requests.append(sent)
        return sent

    def add_other_device(self, device: int, what: str) -> int:
        """``POST /devices/{eui}/other-device`` (test support): ``what`` at the device's premises."""
        got = self._call("POST", f"/devices/{eui_to_json(device)}/other-device", {"what": what},
                         optional=True)
        other: int = self._checked("the other device", lambda: eui_from_json(got["device"], "device"))
        return other

    def cut_off_device(self, device: int, when: str) -> None:
        """``POST /devices/{eui}/cut-off`` (test support: the device leaves its HAN at ``when``)."""
        self._call("POST", f"/devices/{eui_to_json(device)}/cut-off", {"when": when}, optional=True)

    def gbcs_frames(self) -> list[GbcsRecord]:
        """``GET /gbcs-frames`` (test support): every GBCS frame between the DCC and the hubs."""
        got = self._call("GET", "/gbcs-frames", optional=True)
        frames: list[GbcsRecord] = self._checked(
            "GBCS frames",
            lambda: [gbcs_record_from_json(f, f"frames[{i}]") for i, f in enumerate(got["frames"])])
        return frames

    def gbcs_evidence(self) -> list[dict[str, Any]]:
        """The GBCS frames as report evidence rows, decoded here (none if not offered)."""
        try:
            return [r.evidence() for r in self.gbcs_frames()]
        except DccNotOfferedError:
            return []

    def discard_on_hub(self, request_ids: Sequence[str], reason: str) -> None:
        """``POST /hub-deliveries/discard`` (test support: the hub drops the image it holds)."""
        self._call("POST", "/hub-deliveries/discard", {"request_ids": list(request_ids), "reason": reason},
                   optional=True)

    # -- DccSide: observing ------------------------------------------------------------------------
    def requests(self, supplier: str | None = None) -> list[SubmittedRequest]:
        return [r for r in self._requests if supplier is None or r.supplier == supplier]

    def alerts_for(self, supplier: str) -> list[AlertSeen]:
        """``GET /suppliers/{id}/alerts``: every alert delivered to ``supplier`` so far."""
        got = self._call("GET", f"/suppliers/{_seg(supplier)}/alerts")
        alerts: list[AlertSeen] = self._checked(
            "alerts", lambda: [alert_from_json(a, f"alerts[{i}]") for i, a in enumerate(got["alerts"])])
        return alerts

    def suppliers(self) -> list[str]:
        names = set(self._call("GET", "/suppliers")["suppliers"])
        return sorted(names | {r.supplier for r in self._requests})

    def hub_deliveries(self) -> list[HubDelivery]:
        got = self._call("GET", "/hub-deliveries", optional=True)
        deliveries: list[HubDelivery] = self._checked(
            "hub deliveries",
            lambda: [delivery_from_json(d, f"deliveries[{i}]") for i, d in enumerate(got["deliveries"])])
        return deliveries

    def inventory_version(self, device: int) -> int | None:
        record = self.inventory_record(device)
        if record is None:
            return None
        version: int | None = self._checked(
            "inventory", lambda: version_from_json(record["firmware_version"], "firmware_version"))
        return version

    def inventory_history(self, device: int) -> list[str]:
        """The record's history as lines (as in process), from ``GET /devices/{eui}/inventory``."""
        record = self.inventory_record(device)
        if record is None:
            return []

        def lines() -> list[str]:
            out = []
            for i, c in enumerate(record.get("history", [])):
                at = f"history[{i}]"
                new = version_from_json(c.get("new_version"), f"{at}.new_version")
                assert new is not None
                out.append(describe_change(version_from_json(c.get("old_version"), f"{at}.old_version",
                                                             nullable=True),
                                           new, str(c.get("source")), int(c.get("time_ms") or 0),
                                           c.get("request_id")))
            return out

        history: list[str] = self._checked("inventory history", lines)
        return history

    def now_ms(self) -> int:
        return int(self._call("GET", "/time")["now_ms"])

    def transfer_pending(self) -> bool:
        """``GET /transfers/pending``: a hub is still activating or reading back a version."""
        return bool(self.transfer_state()["pending"])

    def evidence(self) -> list[str]:
        """Requests, hub deliveries and alerts as lines, for reports (as in process)."""
        lines = [r.describe() for r in self._requests]
        try:
            lines += [f"WAN: {d.describe()}" for d in self.hub_deliveries()]
        except DccNotOfferedError as err:
            lines.append(f"WAN: not observable ({err})")
        for supplier in self.suppliers():
            lines += [a.describe() for a in self.alerts_for(supplier)]
        return lines


def _seg(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _http_error(method: str, path: str, err: urllib.error.HTTPError, *,
                optional: bool = False) -> DccHttpError:
    try:
        body = json.loads(err.read() or b"{}")
    except ValueError:
        body = {}
    message = body.get("error", err.reason) if isinstance(body, dict) else err.reason
    field = body.get("field") if isinstance(body, dict) else None
    if optional and err.code in NOT_OFFERED:
        return DccNotOfferedError(f"the DCC test system does not offer the test-support operation "
                                  f"{method} {path} (HTTP {err.code}: {message})",
                                  status=err.code, field=field)
    return DccHttpError(f"{method} {path}: HTTP {err.code}: {message}", status=err.code, field=field)


class AlertReceiver:
    """A Supplier's callback endpoint: keeps every alert POSTed to it (a Werkzeug server)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Request, Response

        from hanota.conformance.dcc_http.server import QuietHandler

        self.alerts: list[AlertSeen] = []
        self.errors: list[str] = []

        def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            request = Request(environ)
            request.max_content_length = 64 * 1024
            try:
                self.alerts.append(alert_from_json(json.loads(request.get_data())))
                response = Response(status=204)
            except (FieldError, ValueError) as err:
                self.errors.append(str(err))
                response = Response(json.dumps({"error": str(err)}), status=400, mimetype="application/json")
            return response(environ, start_response)

        self._server = make_server(host, port, app, threaded=False, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="alert-receiver", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}/alerts"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> AlertReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_a_dcc_side(side: HttpDccSide) -> DccSide:
    """Never called: mypy checks here that HttpDccSide implements the DccSide Protocol."""
    return side
