"""DUIS: what signing and schema validation cost, and one SR 11.4 for 50,000 devices.

* ``duis_sr114_sign_s``, ``duis_sr114_validate_s``, ``duis_sr114_verify_s``: an SR 11.4 carrying
  a 768,000-byte image (about 1 MB of XML): built and signed (signxml), validated against the
  DUIS 5.4 schema (xmlschema), its signature verified and the verified bytes read strictly;
* ``duis_sr114_floor_s``: one SHA-256 of the image plus one ECDSA P-256 verify of that digest;
* ``duis_sr114_vs_floor``: (sign + validate + verify) / floor (the issue's target: <= 5);
* ``duis_fleet_devices``: one SR 11.4 whose DeviceIDList holds that many PPMIDs, one premises
  each (default 50,000, the schema's limit; ``HANOTA_DUIS_DEVICES`` sets it), processed by the
  reference DCC behind its DUIS face: the request parsed, validated and verified, the image
  distributed to every hub (scripted hubs: the HAN download is not the point), and every alert
  signed by the DCC and received by the suite's side, which verifies each signature and reads
  each message; N60/N61 are also validated against the schema;
* ``duis_fleet_n60_n61``: N60/N61 alerts received, ``duis_fleet_late``: those delivered after
  the declared service level (from the hub's transfer time the alert carries),
  ``duis_fleet_not_individual``: devices without exactly one N60/N61 addressed to the Supplier;
* ``duis_fleet_ms_per_device``: wall time of the whole run per device.

The DCC's declarations (service level 24 h, alerts staggered 0.5 s apart, a 60 s window) are
its own configuration; the suite only judges against them.

Run: ``python bench/run.py duis`` (needs ../shared/vectors/duis for the schema).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from _timing import best_of
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

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
    emit("duis_sr114_xml_bytes", len(data))
    emit("duis_sr114_sign_s", sign_s)
    emit("duis_sr114_validate_s", validate_s)
    emit("duis_sr114_verify_s", verify_s)
    emit("duis_sr114_floor_s", floor_s)
    emit("duis_sr114_vs_floor", (sign_s + validate_s + verify_s) / floor_s)
    emit("duis_sr114_sign_verify_vs_floor", (sign_s + verify_s) / floor_s)


def _fleet(emit, config, schema, n: int) -> None:
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
        doc = d.read_document(message, certificates=config.dcc_certificates)
        body = doc.message.body
        if isinstance(body, d.DccAlertMessage) and isinstance(body.alert, d.CommsHubAlert):
            schema.validate(d.parse(message))
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
    emit("duis_fleet_devices", n)
    emit("duis_fleet_request_xml_bytes", len(data))
    emit("duis_fleet_request_s", request_s)
    emit("duis_fleet_n60_n61", sum(len(v) for v in got.values()))
    emit("duis_fleet_other_alerts", other[0])
    emit("duis_fleet_late", late)
    emit("duis_fleet_not_individual", not_individual)
    emit("duis_fleet_virtual_h", world.clock.now_ms / 3_600_000)
    emit("duis_fleet_s", total_s)
    emit("duis_fleet_ms_per_device", 1000 * total_s / n)


def main(emit) -> None:  # type: ignore[no-untyped-def]
    if not SCHEMA.is_file():
        emit("duis_skipped", f"no DUIS schema at {SCHEMA}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(write_test_config(tmp, schema=SCHEMA))
        schema = d.load_schema(SCHEMA)
        _one_request(emit, config, schema)
        _fleet(emit, config, schema, int(os.environ.get("HANOTA_DUIS_DEVICES", "50000")))
