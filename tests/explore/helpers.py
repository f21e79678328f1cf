"""Building an exploration run against the reference device (in process or over the bridge)."""

from __future__ import annotations

from hanota.conformance.adapters import ReferenceAdapter, ReferenceDeviceConfig
from hanota.conformance.commands.explore import EXPLORE_REFERENCE_LIMIT
from hanota.conformance.explore.images import Catalogue
from hanota.conformance.explore.machine import ExploreConfig
from hanota.conformance.models.premises import deterministic_key

LIMIT = EXPLORE_REFERENCE_LIMIT


def reference_config(*faults: str) -> ReferenceDeviceConfig:
    return ReferenceDeviceConfig(public_key=deterministic_key(0).public_key(), faults=frozenset(faults),
                                 options={"max_image_bytes": LIMIT})


def explore_config(dut: object, *, resume: bool = True) -> ExploreConfig:
    ident = dut.identity  # type: ignore[attr-defined]
    return ExploreConfig(dut, Catalogue(ident, capacity=LIMIT, device_specific_files=True),  # type: ignore[arg-type]
                         capacity=LIMIT, resume=resume, can_power_cycle=ident.can_power_cycle,
                         can_reset=ident.can_reset)


def reference(*faults: str) -> ExploreConfig:
    return explore_config(ReferenceAdapter(reference_config(*faults)))
