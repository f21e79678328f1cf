"""Golden transcripts of whole runs through the reference models: every HAN frame with its
time, decoded; every dropped frame, every alert with its times, every refusal and the final
virtual time. The transcripts are text in ``golden/``, so a change shows as a readable diff.

The models are tuned for speed (lazy timers, polling only what has work); these transcripts
must not move with such tuning. A change here is a behaviour change: same seed, same frames,
same alerts, same times. When a behaviour change is intended, regenerate them with
``HANOTA_UPDATE_GOLDEN=1 pytest tests/models/test_determinism_pins.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.han import HanFrame
from hanota.conformance.models.premises import World, build_premises
from hanota.conformance.models.service_request import RequestVariant
from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import ProtocolError

GOLDEN = Path(__file__).parent / "golden"
#: A run with more frames than this keeps its first and last frames in full, and the digest of
#: every line between (the whole 750 kB download is about 12,000 frames).
KEEP_FRAMES = 40


def _value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bytes):
        if len(value) <= 16:
            return value.hex()
        return f"<{len(value)} bytes sha256:{hashlib.sha256(value).hexdigest()[:16]}>"
    if isinstance(value, int) and not isinstance(value, bool) and value > 9:
        return f"0x{value:x}"
    return str(value)


def frame_line(time_ms: int, frame: HanFrame) -> str:
    where = (f"{time_ms:>10} {frame.src:016x}:{frame.src_endpoint}>{frame.dst:016x}:{frame.dst_endpoint} "
             f"p{frame.profile_id:04x} c{frame.cluster_id:04x}")
    try:
        header, command = oc.decode_command(frame.payload)
    except ProtocolError:
        return f"{where} raw {frame.payload.hex()}"
    fields = " ".join(f"{f.name}={_value(getattr(command, f.name))}" for f in dataclasses.fields(command))
    return f"{where} tsn={header.tsn} {type(command).__name__} {fields}"


def transcript(world: World) -> list[str]:
    lines: list[str] = []
    for index, premises in enumerate(world.premises):
        net = premises.network
        frames = [frame_line(t, f) for t, f in net.log]
        lines.append(f"# premises {index}: {len(frames)} frames")
        if len(frames) > 2 * KEEP_FRAMES:
            middle = frames[KEEP_FRAMES:-KEEP_FRAMES]
            digest = hashlib.sha256("\n".join(middle).encode()).hexdigest()
            elided = f"... {len(middle)} frames, sha256 {digest}"
            frames = [*frames[:KEEP_FRAMES], elided, *frames[-KEEP_FRAMES:]]
        lines += frames
        lines += [f"dropped {frame_line(t, f)}" for t, f in net.dropped]
        hub: Any = premises.hub
        lines.append(f"hub violations {getattr(hub, 'violations', None)!r}")
        lines.append(f"hub activated {getattr(hub, 'activated', None)!r}")
        for eui64, device in premises.devices.items():
            lines.append(f"device {eui64!r} violations {getattr(device, 'violations', None)!r}")
            lines.append(f"device {eui64!r} activations {getattr(device, 'activations', None)!r}")
    lines += [f"delivered {alert!r}" for alert in world.dcc.delivered]
    lines.append(f"distribution errors {world.dcc.distribution_errors!r}")
    lines.append(f"final time {world.clock.now_ms} ms")
    return lines


def check_golden(name: str, world: World) -> None:
    got = transcript(world)
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("HANOTA_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(got) + "\n")
    want = path.read_text().splitlines()
    if got != want:
        diff = list(difflib.unified_diff(want, got, str(path), "this run", lineterm="", n=1))
        pytest.fail("the run differs from its golden transcript:\n" + "\n".join(diff[:60]))


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
    from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES

    world = build_premises(VirtualClock(), seed=0)
    image = world.make_image(world.ppmid, payload_size=DEFAULT_MAX_IMAGE_BYTES - 56 - 66)
    world.submit(world.request([world.ppmid], image))
    world.run_until_idle()
    return world


def test_full_750_kb_upgrade_is_pinned():
    check_golden("full_upgrade", full_upgrade())


def test_small_upgrade_with_interruption_is_pinned():
    check_golden("small_upgrade", small_upgrade())


def test_plain_upgrade_is_pinned():
    check_golden("plain_upgrade", plain_upgrade())


def test_multi_premises_with_real_hubs_is_pinned():
    check_golden("multi_premises_real_hubs", multi_premises_real_hubs())


def test_dcc_load_with_scripted_hubs_is_pinned():
    check_golden("dcc_load", dcc_load())
