"""DUIS: what signing and schema validation cost, and one SR 11.4 for 50,000 devices.

* ``duis_sr114_sign_s``, ``duis_sr114_validate_s``, ``duis_sr114_verify_s``: an SR 11.4 carrying
  a 768,000-byte image (about 1 MB of XML): built and signed (signxml), validated against the
  DUIS 5.4 schema (lxml's XMLSchema, libxml2), its signature verified and the verified bytes read strictly;
* ``duis_sr114_floor_s``: one SHA-256 of the image plus one ECDSA P-256 verify of that digest;
* ``duis_sr114_vs_floor``: (sign + validate + verify) / floor (the issue's target: <= 5);
* ``duis_sr114_least_vs_floor``: what no implementation over these libraries avoids, against
  the same floor: one base64 encoding and one decoding of the image, one exclusive c14n and one
  SHA-256 of the document on each side, one libxml2 validation of the parsed tree (the
  ``duis_sr114_*_vs_floor`` parts below it);
* for each size in ``HANOTA_DUIS_DEVICES`` (default ``2000,10000,50000``; 50,000 is the schema's
  limit): one SR 11.4 whose DeviceIDList holds that many PPMIDs, one premises each, processed by
  the reference DCC behind its DUIS face: the request parsed, validated and verified, the image
  distributed to every hub (scripted hubs: the HAN download is not the point), and every alert
  signed by the DCC and received by the suite's side, which verifies each signature, validates
  each message against the schema and reads it;
  ``duis_fleet_<n>_ms_per_device`` (wall time of the whole run per device) and
  ``duis_fleet_<n>_request_ms_per_device`` (the request alone), ``duis_fleet_<n>_n60_n61``,
  ``duis_fleet_<n>_late`` (N60/N61 delivered after the declared service level, from the hub's
  transfer time the alert carries), ``duis_fleet_<n>_not_individual`` (devices without exactly
  one N60/N61 addressed to the Supplier);
* ``duis_fleet_growth``: ms per device at the largest size / at the smallest (1: linear).

The DCC's declarations (service level 24 h, alerts staggered 0.5 s apart, a 60 s window) are
its own configuration; the suite only judges against them.

Run: ``python bench/run.py duis`` (needs ../shared/vectors/duis for the schema).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
from pathlib import Path

from _timing import best_of
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from lxml import etree

from hanota.conformance.dcc_http.server import WorldConfig
from hanota.conformance.dcc_side import ReferenceDccSide
from hanota.conformance.duis.config import load_config, write_test_config
from hanota.conformance.duis.server import DuisDccService
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.premises import World
from hanota.protocol import duis as d

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "vectors" / "duis" / "schema" / "DUIS Schema V5.4.xsd"
SERVICE_LEVEL_MS = 24 * 3_600_000
STAGGER_MS = 500
WINDOW_MS = 60_000


def _sr114(config, image: bytes, devices: tuple[int, ...], counter: int = 1) -> d.Request:
    user = config.suppliers[0]
    rid = d.RequestId(user.eui64, config.dcc_eui64, counter)
    body = d.UpdatePPMIDFirmware(image, 0x01000001, devices)
    return d.Request(d.RequestHeader(rid, 8, "11.4", "11.4"), body)


def _one_request(emit, config, schema) -> None:
    image = os.urandom(768_000)
    user = config.suppliers[0]
    request = _sr114(config, image, (0x000D6F0000010020,))
    data = d.sign_request(request, user.signer())
    root = d.parse(data)
    sign_s = best_of(lambda: d.sign_request(request, user.signer()), 3)
    validate_s = best_of(lambda: schema.validate(d.parse(data)), 3)
    verify_s = best_of(lambda: d.read_request(d.verify(data, [user.certificate], root=root).root), 3)
    key = user.key
    digest = hashlib.sha256(image).digest()
    signature = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    public = user.certificate.public_key()

    def floor() -> None:
        public.verify(signature, hashlib.sha256(image).digest(), ec.ECDSA(utils.Prehashed(hashes.SHA256())))

    floor_s = best_of(floor, 7)
    encoded = base64.b64encode(image)
    parts = {
        "b64encode": best_of(lambda: base64.b64encode(image), 7),
        "b64decode": best_of(lambda: base64.b64decode(encoded, validate=True), 7),
        "c14n": best_of(lambda: etree.tostring(root, method="c14n", exclusive=True), 7),
        "sha256_doc": best_of(lambda: hashlib.sha256(data).digest(), 7),
        "schema_only": best_of(lambda: schema.validate(root), 3),
    }
    least = (parts["b64encode"] + parts["b64decode"] + 2 * parts["c14n"] + 2 * parts["sha256_doc"]
             + parts["schema_only"])
    emit("duis_sr114_xml_bytes", len(data))
    emit("duis_sr114_sign_s", sign_s)
    emit("duis_sr114_validate_s", validate_s)
    emit("duis_sr114_verify_s", verify_s)
    emit("duis_sr114_floor_s", floor_s)
    emit("duis_sr114_vs_floor", (sign_s + validate_s + verify_s) / floor_s)
    emit("duis_sr114_sign_verify_vs_floor", (sign_s + verify_s) / floor_s)
    emit("duis_sr114_least_vs_floor", least / floor_s)
    for name, seconds in parts.items():
        emit(f"duis_sr114_{name}_vs_floor", seconds / floor_s)


def _fleet(emit, config, schema, n: int) -> float:
    """Emit the figures for ``n`` devices; return the wall time per device in ms."""
    wc = WorldConfig(rules="as-implemented", service_level_ms=SERVICE_LEVEL_MS, alert_window_ms=WINDOW_MS,
                     alert_stagger_interval_ms=STAGGER_MS)
    service = DuisDccService(wc, config, schema)
    # Scripted hubs: the HAN download is not what is measured.
    world = World(VirtualClock(), rules="as-implemented", seed=0, scripted_hubs=True,
                  service_level_ms=SERVICE_LEVEL_MS, alert_window_ms=WINDOW_MS,
                  alert_stagger_interval_ms=STAGGER_MS)
    service.world, service.side = world, ReferenceDccSide(world, rules="as-implemented")
    world.dcc.subscribe(service._push_alert)
    for _ in range(n):
        world.add_premises(electricity_supplier=config.suppliers[0].name, gas_supplier=None,
                           devices=("ppmid",))
    devices = tuple(p.ppmid.eui64 for p in world.premises)
    image = world.make_image(world.premises[0].ppmid, payload_size=1024)
    version = int.from_bytes(image[14:18], "little")
    request = d.Request(_sr114(config, image, devices).header,
                        d.UpdatePPMIDFirmware(image, version, devices))
    data = d.sign_request(request, config.suppliers[0].signer())
    got: dict[int, list[tuple[int, int, str]]] = {}
    other = [0]

    def receive(message: bytes) -> None:  # the suite's response address, in process
        doc = d.read_document(message, schema=schema, certificates=config.dcc_certificates)
        body = doc.message.body
        if isinstance(body, d.DccAlertMessage) and isinstance(body.alert, d.CommsHubAlert):
            t = body.alert.transfer
            raised = round((body.alert.timestamp - config.clock_epoch).total_seconds() * 1000)
            target = doc.message.header.response_id.target
            got.setdefault(t.other_device_id, []).append((raised, int(world.clock.now_ms), f"{target:x}"))
        else:
            other[0] += 1

    service.transport = receive
    start = time.perf_counter()
    status, answer, _ = service.handle(data)
    request_s = time.perf_counter() - start
    assert status == 200, answer
    world.run_until_idle(max_virtual_ms=7 * 86_400_000)
    total_s = time.perf_counter() - start
    supplier = f"{config.suppliers[0].eui64:x}"
    late = sum(1 for msgs in got.values() for raised, delivered, _ in msgs
               if delivered - raised > SERVICE_LEVEL_MS)
    not_individual = sum(1 for dev in devices if [m[2] for m in got.get(dev, [])] != [supplier])
    per_device_ms = 1000 * total_s / n
    p = f"duis_fleet_{n}"
    emit(f"{p}_request_xml_bytes", len(data))
    emit(f"{p}_request_ms_per_device", 1000 * request_s / n)
    emit(f"{p}_n60_n61", sum(len(v) for v in got.values()))
    emit(f"{p}_other_alerts", other[0])
    emit(f"{p}_late", late)
    emit(f"{p}_not_individual", not_individual)
    emit(f"{p}_virtual_h", world.clock.now_ms / 3_600_000)
    emit(f"{p}_s", total_s)
    emit(f"{p}_ms_per_device", per_device_ms)
    return per_device_ms


def _sizes() -> list[int]:
    text = os.environ.get("HANOTA_DUIS_DEVICES", "2000,10000,50000")
    return [int(part) for part in text.split(",") if part.strip()]


def main(emit) -> None:  # type: ignore[no-untyped-def]
    if not SCHEMA.is_file():
        emit("duis_skipped", f"no DUIS schema at {SCHEMA}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(write_test_config(tmp, schema=SCHEMA))
        schema = d.load_schema(SCHEMA)
        _one_request(emit, config, schema)
        per_device = [_fleet(emit, config, schema, n) for n in _sizes()]
        if len(per_device) > 1:
            emit("duis_fleet_growth", per_device[-1] / per_device[0])
