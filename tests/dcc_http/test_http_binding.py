"""The DCC-side HTTP binding over loopback: every endpoint, bad bodies, and the same results as
in process for full upgrade scenarios on a dual-fuel, two-Supplier premises."""

from __future__ import annotations

import base64
import json
import select
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from hanota.conformance.dcc_http import delivery_to_json, openapi_text
from hanota.conformance.dcc_http.client import AlertReceiver, DccHttpError, HttpDccSide
from hanota.conformance.dcc_http.server import DccService, WorldConfig, serve
from hanota.conformance.dcc_side import ReferenceDccSide
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.premises import World
from hanota.conformance.models.service_request import Acknowledged, Rejected, WarningResponse
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.fragments import parse_fragment

ROOT = Path(__file__).resolve().parents[2]
DOC: dict[str, Any] = yaml.safe_load(openapi_text())
_REGISTRY: Registry[Any] = Registry().with_resource("urn:dcc", DRAFT202012.create_resource(DOC))
SMALL_LIMIT = 4096  # an image size limit small enough to make fragments quickly


def conforms(schema: str, data: Any) -> None:
    """``data`` is valid against the OpenAPI component ``schema``."""
    Draft202012Validator({"$ref": f"urn:dcc#/components/schemas/{schema}"},
                         registry=_REGISTRY).validate(data)


@pytest.fixture
def service() -> DccService:
    return DccService(WorldConfig())


@pytest.fixture
def url(service: DccService) -> Iterator[str]:
    with serve(service) as server:
        yield f"http://127.0.0.1:{server.port}"


def call(url: str, method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url + path, data, {"Content-Type": "application/json"}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read()
    return status, (json.loads(text) if text else None)


def image_world(rules: str = "wg-2016", max_image_bytes: int = 768_000) -> World:
    """The in-process twin of the served world (same seed: same EUI-64s and test key)."""
    world = World(VirtualClock(), rules=rules, max_image_bytes=max_image_bytes)  # type: ignore[arg-type]
    world.add_premises()
    return world


def sr_body(world: World, **over: Any) -> dict[str, Any]:
    ppmid = world.first.ppmid
    image = world.make_image(ppmid, payload_size=1500)
    body = {"requester": "Supplier B", "requester_role": "gas-supplier", "variant": "send-ppmid-ihd-firmware",
            "FirmwareImage": base64.b64encode(image).decode(), "FirmwareVersion": "01000001",
            "DeviceIDList": [f"{ppmid.eui64:016X}"], "label": "new"}
    body.update(over)
    return body


# --------------------------------------------------------------------------- every endpoint
def test_every_endpoint_over_loopback(url: str) -> None:
    twin = image_world()
    status, info = call(url, "GET", "/info")
    assert status == 200 and info["rules"] == "wg-2016" and info["virtual_time"] is True
    conforms("Info", info)
    status, info = call(url, "POST", "/reset", {"seed": 0, "service_level_ms": 300_000})
    assert status == 200
    conforms("Info", info)
    status, made = call(url, "POST", "/premises", {})
    assert status == 201 and [d["kind"] for d in made["devices"]] == ["ihd", "ppmid"]
    conforms("Premises", made)
    status, listed = call(url, "GET", "/premises")
    assert status == 200 and listed["premises"] == [made]
    ppmid = made["devices"][1]["eui64"]

    status, sent = call(url, "POST", "/service-requests", sr_body(twin))
    assert status == 200 and sent["response"]["status"] == "acknowledged"
    conforms("Submitted", sent)
    status, recorded = call(url, "GET", "/service-requests?supplier=Supplier%20B")
    assert status == 200 and [r["request_id"] for r in recorded["requests"]] == ["sr-000001"]
    conforms("RecordedRequest", recorded["requests"][0])
    status, suppliers = call(url, "GET", "/suppliers")
    assert suppliers == {"suppliers": ["Supplier A", "Supplier B"]}

    status, cb = call(url, "PUT", "/suppliers/Supplier%20A/callback", {"url": "http://127.0.0.1:9/none"})
    assert status == 200
    conforms("CallbackState", cb)
    status, hubs = call(url, "GET", "/hub-deliveries")
    assert status == 200 and len(hubs["deliveries"]) == 1 and hubs["deliveries"][0]["stored_by_hub"]
    conforms("HubDelivery", hubs["deliveries"][0])

    status, now = call(url, "POST", "/time/advance", {"ms": 1000})
    assert (status, now) == (200, {"now_ms": 1000, "virtual": True})
    status, now = call(url, "POST", "/time/step", {"deadline_ms": 500})
    assert (status, now) == (200, {"now_ms": 1000, "virtual": True})  # the deadline has passed
    status, pending = call(url, "GET", "/transfers/pending")
    assert status == 200 and pending["pending"] in (True, False)
    status, now = call(url, "POST", "/time/run-until-idle", {})
    assert status == 200 and now["now_ms"] > 1000
    conforms("Time", now)
    status, same = call(url, "GET", "/time")
    assert same == now

    status, alerts = call(url, "GET", "/suppliers/Supplier%20B/alerts")
    assert status == 200 and [a["kind"] for a in alerts["alerts"]] == ["(a)", "(c)"]
    for alert in alerts["alerts"]:
        conforms("Alert", alert)
    status, cb = call(url, "GET", "/suppliers/Supplier%20A/callback")
    assert status == 200 and cb["delivered"] == 0 and len(cb["failures"]) == 2  # nobody listens on :9
    assert call(url, "DELETE", "/suppliers/Supplier%20A/callback")[0] == 204
    assert call(url, "GET", "/suppliers/Supplier%20A/callback")[0] == 404

    status, record = call(url, "GET", f"/devices/{ppmid}/inventory")
    assert status == 200 and record["firmware_version"] == "01000001"
    assert [h["source"] for h in record["history"]] == ["commissioned", "confirmed-by-device"]
    conforms("InventoryRecord", record)
    assert call(url, "POST", f"/devices/{ppmid}/fail-next-activation")[0] == 204

    status, err = call(url, "POST", "/hub-deliveries/discard",
                       {"request_ids": ["sr-999999"], "reason": "the device did not retrieve it in time"})
    assert status == 409 and "no hub holds" in err["error"]
    conforms("Error", err)


def test_discard_on_hub_over_http(url: str) -> None:
    twin = image_world()
    client = HttpDccSide(url)
    client.add_premises()
    ppmid = twin.first.ppmid
    sent = client.submit("Supplier B", [ppmid.eui64], twin.make_image(ppmid), label="new",
                         file_version=0x01000001)
    client.discard_on_hub([sent.request_id], "an electricity meter image took priority")
    client.run_until_idle()
    assert {a.kind for a in client.alerts_for("Supplier B")} == {"(a)", "(c)"}  # wg-2016: no (b)
    assert client.inventory_version(ppmid.eui64) == 0x01000000  # never activated


@pytest.mark.parametrize(("path", "method", "body", "field"), [
    ("/service-requests", "POST", {"FirmwareVersion": "0100001"}, "FirmwareVersion"),
    ("/service-requests", "POST", {"FirmwareVersion": 16777217}, "FirmwareVersion"),
    ("/service-requests", "POST", {"FirmwareImage": "not base64!"}, "FirmwareImage"),
    ("/service-requests", "POST", {"DeviceIDList": []}, "DeviceIDList"),
    ("/service-requests", "POST", {"DeviceIDList": ["000D6F0000010020", "xyz"]}, "DeviceIDList[1]"),
    ("/service-requests", "POST", {"requester": ""}, "requester"),
    ("/service-requests", "POST", {"requester_role": "meter-operator"}, "requester_role"),
    ("/service-requests", "POST", {"variant": "sr-99"}, "variant"),
    ("/service-requests", "POST", {"request_id": 7}, "request_id"),
    ("/service-requests", "POST", {"fragments": ["AAAA", "!!"]}, "fragments[1]"),
    ("/service-requests", "POST", {"fragments": "AAAA"}, "fragments"),
    ("/premises", "POST", {"devices": ["ihd", "esme"]}, "devices[1]"),
    ("/premises", "POST", {"gas_supplier": 3}, "gas_supplier"),
    ("/premises", "POST", {"supports_fragmentation": "yes"}, "supports_fragmentation"),
    ("/premises", "POST", {"hub_faults": ["made-up"]}, "hub_faults[0]"),
    ("/premises", "POST", {"device_faults": [3]}, "device_faults[0]"),
    ("/reset", "POST", {"rules": "2016"}, "rules"),
    ("/reset", "POST", {"dcc_faults": ["made-up"]}, "dcc_faults[0]"),
    ("/reset", "POST", {"alert_window_ms": 10, "service_level_ms": 5}, "alert_window_ms"),
    ("/time/advance", "POST", {"ms": -1}, "ms"),
    ("/time/advance", "POST", {}, "ms"),
    ("/time/step", "POST", {"deadline_ms": "soon"}, "deadline_ms"),
    ("/suppliers/Supplier%20A/callback", "PUT", {"url": "file:///etc/passwd"}, "url"),
    ("/hub-deliveries/discard", "POST", {"request_ids": ["x"], "reason": "bored"}, "reason"),
])
def test_bad_bodies_are_400_naming_the_field(url: str, path: str, method: str, body: dict[str, Any],
                                             field: str) -> None:
    if path == "/service-requests":
        base = sr_body(image_world())
        if field == "fragments[1]":
            base["FirmwareImage"] = ""
        body = {**base, **body}
    status, err = call(url, method, path, body)
    assert status == 400, err
    assert err["field"] == field and err["error"].startswith(f"{field}: ")
    conforms("Error", err)


@pytest.mark.parametrize(("raw", "field"), [(b"{not json", "body"), (b"[1, 2]", "body")])
def test_non_json_bodies_are_400(url: str, raw: bytes, field: str) -> None:
    status, err = call(url, "POST", "/premises", raw=raw)
    assert status == 400 and err["field"] == field


def test_body_over_the_cap_is_413() -> None:
    with serve(DccService(), max_body_bytes=1024) as server:
        status, err = call(f"http://127.0.0.1:{server.port}", "POST", "/premises", raw=b" " * 2048)
    assert status == 413 and err["field"] == "body"


def test_unknown_paths_devices_and_methods(url: str) -> None:
    assert call(url, "GET", "/nowhere")[0] == 404
    assert call(url, "GET", "/devices/000D6F00000100FF/inventory")[0] == 404
    status, err = call(url, "GET", "/devices/zz/inventory")
    assert status == 400 and err["field"] == "device"
    assert call(url, "DELETE", "/time")[0] == 405


def test_client_errors_carry_status_and_field(url: str) -> None:
    client = HttpDccSide(url)
    with pytest.raises(DccHttpError) as caught:
        client.advance(-5)
    assert caught.value.status == 400 and caught.value.field == "ms"
    assert client.inventory_version(0x1234) is None
    with pytest.raises(DccHttpError, match="unreachable"):
        HttpDccSide("http://127.0.0.1:9").now_ms()


# --------------------------------------------------------------- same results as in process
def _scenario(side: Any, world_for_images: World, run: Any, rules: str) -> dict[str, Any]:
    """A full upgrade on a dual-fuel premises with two Suppliers: each Supplier asks for one
    device, one request names an unknown device too, one image is above the limit; then time
    passes until every alert (a)/(c) is in and the inventory is read."""
    first = world_for_images.first
    ppmid, ihd = first.ppmid, first.ihd
    big = world_for_images.make_image(ppmid, payload_size=SMALL_LIMIT + 500, file_version=0x01000002)
    small = world_for_images.make_image(ihd, payload_size=800)
    side.submit("Supplier B", [ppmid.eui64, 0x000D6F00DEADBEEF], big, label="big", file_version=0x01000002)
    side.submit("Supplier A", [ihd.eui64], small, label="small", file_version=0x01000001)
    side.submit("Supplier C", [ppmid.eui64], big, label="stranger", file_version=0x01000002)
    pending = [side.transfer_pending()]
    first_a = side.wait_until(lambda: any(a.kind == "(a)" for a in side.alerts_for("Supplier A")), 3_600_000)
    waited = (first_a, side.now_ms(), side.transfer_pending())
    never = (side.wait_until(lambda: False, side.now_ms() + 5_000), side.now_ms())
    run()
    return {
        "requests": [(r.request_id, r.supplier, r.label, r.devices, r.file_version, r.image_bytes,
                      r.submitted_ms, r.response, r.fragments) for r in side.requests()],
        "suppliers": side.suppliers(),
        "alerts": {s: side.alerts_for(s) for s in side.suppliers()},
        "deliveries": [delivery_to_json(d) for d in side.hub_deliveries()],
        "inventory": [side.inventory_version(d) for d in (ppmid.eui64, ihd.eui64, 0x000D6F00DEADBEEF)],
        "now": side.now_ms(),
        "waits": (pending, waited, never, side.transfer_pending()),
        "evidence": side.evidence(),
    }


@pytest.mark.parametrize("rules", ["wg-2016", "as-implemented"])
def test_http_gives_the_same_results_as_in_process(rules: str) -> None:
    world = image_world(rules, SMALL_LIMIT)
    in_process = ReferenceDccSide(world, rules=rules)
    expected = _scenario(in_process, world, world.run_until_idle, rules)

    service = DccService(WorldConfig(rules=rules, max_image_bytes=SMALL_LIMIT), premises=1)
    with serve(service) as server:
        client = HttpDccSide(f"http://127.0.0.1:{server.port}")
        got = _scenario(client, image_world(rules, SMALL_LIMIT), client.run_until_idle, rules)

    assert got == expected
    responses = [r[7] for r in got["requests"]]
    if rules == "wg-2016":
        # the whole image above the limit, which the DCC cuts into fragments (with a warning for
        # the unknown device); A acknowledged; C supplies no meter there
        assert isinstance(responses[0], WarningResponse) and got["requests"][0][8] == 0
        big = [d for d in got["deliveries"] if d["request_id"] == got["requests"][0][0]]
        assert big and all(d["payload"] is not None and parse_fragment(
            base64.b64decode(d["payload"]), max_bytes=SMALL_LIMIT) for d in big), big
        assert isinstance(responses[1], Acknowledged)
        assert isinstance(responses[2], Rejected)
        # each Supplier of the premises is told of both devices, individually
        seen = {s: sorted((a.kind, a.device) for a in got["alerts"][s]) for s in ("Supplier A", "Supplier B")}
        assert seen["Supplier A"] == seen["Supplier B"] and ("(c)", ppmid_of(rules)) in seen["Supplier A"]
        assert all(a.recipients == (a.supplier,) for alerts in got["alerts"].values() for a in alerts)
        assert got["inventory"][1] == 0x01000001 and got["inventory"][2] is None
    else:
        assert all(isinstance(r, Rejected) for r in responses[1:])  # variant / IHD out of scope


def ppmid_of(rules: str) -> int:
    return int(image_world(rules).first.ppmid.eui64)


def test_alerts_pushed_to_callbacks_equal_the_polled_ones() -> None:
    service = DccService(WorldConfig(), premises=1)
    twin = image_world()
    with serve(service) as server, AlertReceiver() as a, AlertReceiver() as b:
        client = HttpDccSide(f"http://127.0.0.1:{server.port}")
        client.set_callback("Supplier A", a.url)
        client.set_callback("Supplier B", b.url)
        ppmid = twin.first.ppmid
        client.submit("Supplier A", [ppmid.eui64], twin.make_image(ppmid), label="new",
                      file_version=0x01000001)
        client.run_until_idle()
        assert a.alerts == client.alerts_for("Supplier A") and len(a.alerts) == 2
        assert b.alerts == client.alerts_for("Supplier B") and len(b.alerts) == 2
        assert not a.errors and not b.errors


def test_wait_for_on_virtual_and_wall_time(url: str) -> None:
    client = HttpDccSide(url)
    assert client.wait_for(lambda: client.now_ms() >= 2_500, 10_000, step_ms=1_000)
    assert client.now_ms() == 3_000
    assert not client.wait_for(lambda: False, 1_500, step_ms=1_000) and client.now_ms() == 4_500
    client.info()["virtual_time"] = False  # as a wall-clock DCC test system says it
    with pytest.raises(HarnessUsageError, match="wall time"):
        client.run_until_idle()
    assert not client.wait_for(lambda: False, 20, step_ms=10)  # polls, 20 ms of wall time
    assert client.now_ms() == 4_500  # the served clock did not move


def test_client_rejects_a_non_http_url() -> None:
    with pytest.raises(Exception, match="http://HOST:PORT"):
        HttpDccSide("tcp://127.0.0.1:1")


# ------------------------------------------------------------------------------- the command
def test_serve_dcc_subprocess_prints_address_and_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "hanota", "serve-dcc", "--listen", "127.0.0.1:0",
                             "--seed", "3"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "serve-dcc printed no address"
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:") and not line.endswith(":0")
        client = HttpDccSide(line.removeprefix("listening on "))
        assert client.info()["seed"] == 3
        assert [p["premises_id"] for p in client.premises()] == ["premises-1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert proc.returncode == 0


@pytest.mark.parametrize("argv", [[], ["--listen", "nowhere"], ["--listen", "127.0.0.1:0", "--rules", "x"],
                                  ["--listen", "127.0.0.1:0", "--dcc-fault", "made-up"]])
def test_serve_dcc_usage_errors_exit_2(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "hanota", "serve-dcc", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr


def test_client_has_every_public_method_of_the_in_process_side() -> None:
    import inspect

    public = {n for n in dir(ReferenceDccSide)
              if not n.startswith("_") and callable(getattr(ReferenceDccSide, n))}
    public -= ReferenceDccSide.SERVING_HOOKS
    for name in public:
        mine, theirs = getattr(HttpDccSide, name, None), getattr(ReferenceDccSide, name)
        assert mine is not None, f"HttpDccSide lacks {name}"
        assert list(inspect.signature(mine).parameters) == list(inspect.signature(theirs).parameters), name


# ------------------------------------------------------------------------------ hostile bodies
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                  max_size=4),
                     max_leaves=12)
_SR_FIELDS = ["requester", "requester_role", "variant", "FirmwareImage", "FirmwareVersion", "DeviceIDList",
              "request_id", "fragments", "label", "rules", "seed", "dcc_faults", "max_image_bytes",
              "alert_window_ms", "ms", "deadline_ms", "request_ids", "reason", "devices", "gas_supplier",
              "electricity_supplier", "supports_fragmentation", "device_faults", "hub_faults"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/service-requests", "/premises", "/reset", "/time/advance", "/time/step",
                             "/hub-deliveries/discard"]),
       replaced=st.dictionaries(st.sampled_from(_SR_FIELDS), _JSON, max_size=4))
def test_any_json_body_gets_an_answer_never_a_crash(path: str, replaced: dict[str, Any]) -> None:
    """Whatever the field values, the server answers 2xx or a 4xx naming a field; never 500."""
    from werkzeug.test import Client

    from hanota.conformance.dcc_http.server import make_app

    service = DccService(WorldConfig(), premises=1)
    client = Client(make_app(service))
    body = {**(sr_body(_TWIN) if path == "/service-requests" else {}), **replaced}
    answer = client.post(path, json=body)
    assert answer.status_code in (200, 201, 204, 400, 409), answer.get_data(as_text=True)
    if answer.status_code == 400:
        assert answer.get_json()["field"]


_TWIN = image_world()


@pytest.mark.parametrize("answer", [b"[1, 2]", b"42", b"\"now\"", b"not json"])
def test_client_refuses_an_answer_that_is_not_a_json_object(answer: bytes) -> None:
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(DccHttpError, match=r"GET /time: the answer is not (a )?JSON"):
            HttpDccSide(f"http://127.0.0.1:{server.server_address[1]}").now_ms()
    finally:
        server.shutdown()
        server.server_close()
