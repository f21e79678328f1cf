"""Pinned digests of whole runs through the reference models: every HAN frame with its time,
every dropped frame, every alert with its times, every refusal and the final virtual time.

The models are tuned for speed (lazy timers, polling only what has work); these digests were
taken before any of that and must never move. A change here is a behaviour change: same seed,
same frames, same alerts, same times — byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any

from conformance.models.clock import VirtualClock
from conformance.models.premises import World, build_premises
from conformance.models.service_request import RequestVariant


def fingerprint(world: World) -> str:
    h = hashlib.sha256()
    for premises in world.premises:
        net = premises.network
        h.update(net.log_bytes())
        h.update(repr([(t, f.to_bytes()) for t, f in net.dropped]).encode())
        hub: Any = premises.hub
        h.update(repr(getattr(hub, "violations", None)).encode())
        h.update(repr(getattr(hub, "activated", None)).encode())
        for device in premises.devices.values():
            h.update(repr(getattr(device, "violations", None)).encode())
            h.update(repr(getattr(device, "activations", None)).encode())
    h.update(repr(world.dcc.delivered).encode())
    h.update(repr(world.dcc.distribution_errors).encode())
    h.update(str(world.clock.now_ms).encode())
    return h.hexdigest()


def small_upgrade() -> World:
    """Both devices of one premises, with pacing and a link cut mid-download (timers, retries,
    stall notifies, resume)."""
    world = build_premises(VirtualClock(), seed=5,
                           device_options={"response_timeout_ms": 1_000, "max_retries": 1,
                                           "minimum_block_period_ms": 20})
    world.hub.wait_for_data_s = 2
    world.hub.minimum_block_period_ms = 20
    world.hub.stall_timeout_ms = 30_000
    ihd = world.request([world.ihd], world.make_image(world.ihd, payload_size=1500),
                        variant=RequestVariant.SEND_PPMID_IHD_FIRMWARE)
    ppmid = world.request([world.ppmid], world.make_image(world.ppmid, payload_size=2500))
    world.submit(ihd)
    world.submit(ppmid)
    world.run_for(2_900)
    world.network.link_down(world.ihd.eui64)
    world.run_for(5_000)
    world.network.link_up(world.ihd.eui64)
    world.run_until_idle()
    return world


def plain_upgrade() -> World:
    world = build_premises(VirtualClock(), seed=7, rules="as-implemented")
    world.submit(world.request([world.ppmid], world.make_image(world.ppmid, payload_size=3000)))
    world.run_until_idle()
    return world


def multi_premises_real_hubs() -> World:
    """Several premises with real hubs and devices, two Suppliers each, requests interleaved
    (one queued behind another on the same hub)."""
    world = build_premises(VirtualClock(), seed=3)
    for i in range(4):
        world.add_premises(electricity_supplier=f"Supplier {'ABC'[i % 3]}",
                           gas_supplier=f"Supplier {'BCA'[i % 3]}")
    for p in world.premises:
        world.submit(world.request([p.ppmid], world.make_image(p.ppmid, payload_size=700)))
    for p in world.premises[::2]:
        world.submit(world.request([p.ihd], world.make_image(p.ihd, payload_size=500),
                                   variant=RequestVariant.SEND_PPMID_IHD_FIRMWARE))
    world.run_until_idle()
    return world


def dcc_load(n: int = 60) -> World:
    """The load benchmark's shape: scripted hubs, N premises x 2 Suppliers of six."""
    world = World(VirtualClock(), seed=0, scripted_hubs=True)
    suppliers = [f"Supplier {c}" for c in "ABCDEF"]
    for i in range(n):
        world.add_premises(electricity_supplier=suppliers[i % 6], gas_supplier=suppliers[(i + 1) % 6],
                           devices=("ppmid",))
    image = world.make_image(world.premises[0].ppmid, payload_size=1024)
    for p in world.premises:
        world.submit(world.request([p.ppmid], image))
    world.premises[3].hub.outcomes[world.premises[3].ppmid.eui64] = 3
    world.run_until_idle()
    return world


def full_upgrade() -> World:
    """The models benchmark: a whole 750 kB image to the PPMID in 64-byte blocks."""
    from protocol.limits import DEFAULT_MAX_IMAGE_BYTES

    world = build_premises(VirtualClock(), seed=0)
    image = world.make_image(world.ppmid, payload_size=DEFAULT_MAX_IMAGE_BYTES - 56 - 66)
    world.submit(world.request([world.ppmid], image))
    world.run_until_idle()
    return world


def test_full_750_kb_upgrade_is_pinned():
    assert fingerprint(full_upgrade()) == \
        "af7970c0fec2007282dfac52aca06484942fc797ce645566206da527ce36501a"


def test_small_upgrade_with_interruption_is_pinned():
    assert fingerprint(small_upgrade()) == \
        "c49dde0c861bfa65e13ee6f80324def87cf4b79301efbd1b1c11bee078bedc8f"


def test_plain_upgrade_is_pinned():
    assert fingerprint(plain_upgrade()) == \
        "3226a5121449e85049d7642bc56514e6ff43784f8b8377cfeb84fb30dbc77f2d"


def test_multi_premises_with_real_hubs_is_pinned():
    assert fingerprint(multi_premises_real_hubs()) == \
        "531055ec0759c5284e20ba24d4a8e569b661a90ebfaeff67a453ab1478b8ca3c"


def test_dcc_load_with_scripted_hubs_is_pinned():
    assert fingerprint(dcc_load()) == \
        "9b7f3deef2f1c0f8c7c7c41f54395972df83124ebb1c6a6b5810f30367955d1b"
