"""Tests of the DUT bridge: codec, TCP adapter over loopback, misbehaving bridges.

``download`` here is the one scenario the bridge tests share: the reference hub delivers a small
signed image to a device reached through any DUT adapter, and the HAN log is the evidence.
"""

from __future__ import annotations

import random
from typing import Any

from hanota.conformance.adapters.base import DutAdapter, DutLink
from hanota.conformance.adapters.reference import DEFAULT_HUB_EUI64, ReferenceDeviceConfig
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.comms_hub import CommsHub
from hanota.conformance.models.han import HanNetwork
from hanota.conformance.models.premises import deterministic_key, sign_deterministically
from hanota.protocol.ota_image import build_gbcs_image

CONFIG = ReferenceDeviceConfig()


def make_image(size: int = 1_000, *, config: ReferenceDeviceConfig = CONFIG,
               version_step: int = 1) -> bytes:
    payload = random.Random(size).randbytes(size)
    key = deterministic_key(config.seed)
    image = build_gbcs_image(manufacturer_code=config.manufacturer_code, image_type=config.image_type,
                             file_version=config.file_version + version_step,
                             manufacturer_image=payload, private_key=key)
    return sign_deterministically(image, key)  # same bytes every run (RFC 6979)


def download(dut: DutAdapter, image: bytes, *, max_virtual_ms: int = 3_600_000,
             quiet_ms: int | None = None, **hub_options: Any) -> tuple[HanNetwork, CommsHub]:
    """The reference hub, paired with the DUT, stores ``image`` for it; run until idle."""
    clock = VirtualClock()
    network = HanNetwork(clock)
    hub = CommsHub(clock, eui64=dut.identity.paired_hub or DEFAULT_HUB_EUI64,
                   rng=random.Random(1), **hub_options)
    network.attach(hub)
    link = DutLink(dut, quiet_ms=quiet_ms)
    network.attach(link)
    hub.pair(link.eui64, dut.identity.kind)
    assert hub.store_image("request-1", [link.eui64], image)
    link.run_until_idle(network, max_virtual_ms=max_virtual_ms)
    return network, hub
