"""The reference DCC under load: N premises x 2 Suppliers, one Service Request per premises.

Each premises has an electricity meter of one Supplier and a gas meter of another and one
PPMID; its electricity Supplier asks the DCC to update the PPMID. Hubs are the HAN-less
``ScriptedHub`` (the download is not the point here), so what is measured is the DCC's own
work: validation, distribution, alerts (a) and (c) to each Supplier concerned, inventory.

* ``dcc_load_premises``, ``dcc_load_alerts``: the load and the alerts it produced;
* ``dcc_load_s``: wall time from the first request to the last alert delivered;
* ``dcc_load_alerts_per_s``: alerts delivered per wall-clock second;
* ``dcc_load_settle_virtual_s``: virtual time from the first request to the last alert;
* ``dcc_load_peak_alerts_per_virtual_s``: the most alerts one Supplier received in a virtual second;
* ``dcc_load_p99_delivery_ms``: 99th percentile of (delivered - raised), the stagger's cost
  (with 1 s between a Supplier's alerts, 6 Suppliers sharing 40,000 alerts queue for ~1.9 h);
* ``dcc_load_alerts_beyond_service_level``: alerts delivered later than the 24 h service level;
* ``dcc_load_vs_verify_floor``: dcc_load_s / the time to verify the image's signature once per
  request (the floor: the DCC must check every image it accepts).

Run: ``python bench/run.py dcc_load`` (``HANOTA_LOAD_PREMISES`` sets N; default 10,000, the
issue's figure). ``World.step`` pumps only the HANs with frames to move and ``Dcc.poll`` visits
only the hubs with events queued, so the time grows with N, not N squared: 10,000 premises take
about 5 s here (1,000: 0.3 s; 2,000: 0.8 s), against 8 s and 39 s for 1,000 and 2,000 when
every premises was visited on every step.
"""

from __future__ import annotations

import os
import time
from collections import Counter

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.premises import World
from hanota.conformance.models.service_request import Acknowledged
from hanota.protocol.ota_image import parse_image
from hanota.protocol.signatures import verify_image

SUPPLIERS = [f"Supplier {chr(ord('A') + i)}" for i in range(6)]


#: The catalogue's PIXIT defaults (conformance/requirements.yaml): 24 h service level, 1 s stagger.
SERVICE_LEVEL_MS = 24 * 3_600_000
STAGGER_MS = 1_000


def _world(n: int) -> World:
    world = World(VirtualClock(), seed=0, scripted_hubs=True, service_level_ms=SERVICE_LEVEL_MS,
                  alert_stagger_interval_ms=STAGGER_MS)
    for i in range(n):
        elec = SUPPLIERS[i % len(SUPPLIERS)]
        gas = SUPPLIERS[(i + 1) % len(SUPPLIERS)]
        world.add_premises(electricity_supplier=elec, gas_supplier=gas, devices=("ppmid",))
    return world


def main(emit) -> None:  # type: ignore[no-untyped-def]
    n = int(os.environ.get("HANOTA_LOAD_PREMISES", "10000"))
    world = _world(n)
    devices = [p.ppmid for p in world.premises]
    image = world.make_image(devices[0], payload_size=1024)
    requests = [world.request([d], image) for d in devices]

    parsed = parse_image(image)
    start = time.perf_counter()
    for _ in range(n):
        verify_image(parsed, world.public_key)
    floor = time.perf_counter() - start

    start_virtual = world.clock.now_ms
    start = time.perf_counter()
    for request in requests:
        response = world.submit(request)
        assert isinstance(response, Acknowledged), response
    world.run_until_idle()
    elapsed = time.perf_counter() - start

    alerts = [a for s in SUPPLIERS for a in world.dcc.alerts_for(s)]
    assert alerts, "no alert was delivered"
    last = max(a.delivered_ms for a in alerts)
    per_second = Counter((a.supplier, a.delivered_ms // 1000) for a in alerts)
    delays = sorted(a.delivered_ms - a.time_ms for a in alerts)
    p99 = delays[min(len(delays) - 1, (99 * len(delays)) // 100)]
    emit("dcc_load_premises", n)
    emit("dcc_load_alerts", len(alerts))
    emit("dcc_load_s", elapsed)
    emit("dcc_load_alerts_per_s", len(alerts) / elapsed)
    emit("dcc_load_settle_virtual_s", (last - start_virtual) / 1000)
    emit("dcc_load_peak_alerts_per_virtual_s", max(per_second.values()))
    emit("dcc_load_p99_delivery_ms", p99)
    emit("dcc_load_alerts_beyond_service_level", sum(d > SERVICE_LEVEL_MS for d in delays))
    emit("dcc_load_verify_floor_s", floor)
    emit("dcc_load_vs_verify_floor", elapsed / floor)
