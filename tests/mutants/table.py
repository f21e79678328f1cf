"""The mutation table as data: every named fault of the reference device, hub and DCC, the
requirements it breaks, and the scenarios expected to catch it (docs/mutation-testing.md).

A *variant* is the reference world with one named fault switched on (``--hanota-device-fault``,
``--hanota-hub-fault`` or ``--hanota-dcc-fault``). It is *caught* when at least one scenario of
the requirements it breaks fails with a message naming the expectation; it *survives* otherwise.
A survivor is a defect of the suite, except where :data:`KNOWN_SURVIVORS` says why it cannot be
caught yet (each entry is an ``xfail(strict=True)``: the day it is caught, the test says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.models.comms_hub import HUB_FAULTS
from conformance.models.dcc import FAULTS as DCC_FAULTS
from conformance.models.device import FAULTS as DEVICE_FAULTS

__all__ = ["KNOWN_SURVIVORS", "MUTANTS", "NOT_MUTATED", "Mutant", "all_fault_names"]

#: Markers excluded by default: the size-limit downloads; a smaller scenario catches the same fault.
QUICK = "not slow"


@dataclass(frozen=True)
class Mutant:
    """One faulty variant of the reference world and what must catch it."""

    layer: str  # "device", "hub" or "dcc": which --hanota-<layer>-fault option
    fault: str
    requirements: tuple[str, ...]  # what the fault breaks; their scenarios are run
    rules: str = "wg-2016"
    markers: str = QUICK  # pytest -m expression selecting the scenarios to run
    keyword: str | None = None  # optional pytest -k expression, to pick an Examples row

    @property
    def name(self) -> str:
        return f"{self.layer}:{self.fault}"


MUTANTS: tuple[Mutant, ...] = (
    # -- the device under test (conformance/models/device.py FAULTS) ---------------------------------
    Mutant("device", "accept-oversize-image", ("SECMP7-IMG-004",)),
    Mutant("device", "accept-from-any-server", ("SECMP7-AUTH-006", "SECMP7-HHT-001", "SECMP7-HHT-002")),
    Mutant("device", "skip-signature-check", ("SECMP7-AUTH-001", "SECMP7-AUTH-002")),
    Mutant("device", "allow-downgrade", ("SECMP7-AUTH-005",)),
    Mutant("device", "report-old-version-after-activation",
           ("SECMP7-ACT-002", "SECMP7-ACT-004", "SECMP7-ALERT-002", "SECMP7-INV-001")),
    Mutant("device", "ignore-min-block-period", ("SECMP7-OTA-003",)),
    Mutant("device", "ignore-wait-for-data", ("SECMP7-OTA-004",)),
    Mutant("device", "no-resume", ("SECMP7-OTA-005",)),
    Mutant("device", "activate-immediately", ("SECMP7-ACT-001", "SECMP7-ACT-003")),
    Mutant("device", "wrong-upgrade-end-status", ("SECMP7-OTA-006",)),
    Mutant("device", "accept-wrong-manufacturer", ("SECMP7-AUTH-003",)),
    Mutant("device", "accept-wrong-hardware-version", ("SECMP7-AUTH-004",)),
    Mutant("device", "accept-misplaced-block", ("SECMP7-OTA-002", "SECMP7-OTA-008")),
    # -- the Communications Hub (conformance/models/comms_hub.py HUB_FAULTS) -------------------------
    Mutant("hub", "serve-untargeted", ("SECMP7-SUP-002", "SECMP7-SUP-003")),
    Mutant("hub", "serve-unpaired", ("SECMP7-AUTH-006",)),
    Mutant("hub", "skip-hardware-check", ("SECMP7-AUTH-004",)),
    Mutant("hub", "send-misplaced-block", ("SECMP7-SUP-001",)),
    Mutant("hub", "send-oversize-block", ("SECMP7-SUP-001",)),
    Mutant("hub", "activate-on-end-request", ("SECMP7-ACT-001", "SECMP7-ACT-003")),
    Mutant("hub", "no-readback", ("SECMP7-ALERT-002", "SECMP7-INV-002")),
    # -- the DCC (conformance/models/dcc.py FAULTS) ---------------------------------------------------
    Mutant("dcc", "group-alerts", ("SECMP7-ALERT-005",)),
    Mutant("dcc", "send-alert-b", ("SECMP7-ALERT-003",)),
    Mutant("dcc", "inventory-from-request", ("SECMP7-INV-002",)),
    Mutant("dcc", "no-alert-a", ("SECMP7-ALERT-001",)),
    Mutant("dcc", "no-alert-c", ("SECMP7-ALERT-002",)),
    Mutant("dcc", "allow-override", ("SECMP7-SUP-003",)),
    Mutant("dcc", "accept-oversize", ("SECMP7-IMG-002",)),
    # the Supplier's fragmented re-send never happens: the DCC takes the whole image (one row, slow)
    Mutant("dcc", "accept-oversize", ("SECMP7-FRAG-001",), markers="slow", keyword="not times"),
    Mutant("dcc", "skip-signature-check", ("SECMP7-AUTH-002",)),
    Mutant("dcc", "no-stagger", ("SECMP7-ALERT-006",), markers="load", keyword="not 100"),
    Mutant("dcc", "accept-non-supplier", ("SECMP7-SUP-002",)),
    Mutant("dcc", "alert-c-too-late", ("SECMP7-ALERT-007",)),
    # the as-implemented rule set has requirements of its own
    Mutant("dcc", "no-alert-c", ("SECMP7-ALERT-002",), rules="as-implemented"),
    Mutant("dcc", "group-alerts", ("SECMP7-ALERT-005",), rules="as-implemented"),
)

#: Faults no scenario can catch yet, and why (each is an xfail(strict=True) in the tests).
KNOWN_SURVIVORS: dict[str, str] = {
    # model faults that do not (yet) break what they name: fixes belong in the models
    "device:accept-oversize-image": "the device's fragment path (_take_fragment) enforces "
                                    "max_image_bytes again, so the fault never installs the image",
    # faults no feature exercises yet: each wants a scenario (features/ belong to their owner)
    "device:accept-misplaced-block": "no scenario has the hub answer with a block at another offset",
    "hub:serve-untargeted": "DCC-side premises pair one device; no scenario has a device the request "
                            "did not name",
    "hub:serve-unpaired": "no scenario has an unpaired device query the hub",
    "hub:skip-hardware-check": "the device refuses the image itself; no DCC-side scenario checks the "
                               "hub's CCS08 'Hardware Version Mismatch'",
    "hub:activate-on-end-request": "device-side scenarios play the hub; DCC-side ones cannot see "
                                   "when activation was commanded",
    "dcc:skip-signature-check": "no DCC-side scenario submits an image whose signature fails",
    # the reference DCC itself fails the scenario, so nothing can be caught on top of it
    "dcc:no-stagger": "the reference DCC staggers alerts at random within a window, not at least "
                      "the stagger interval apart: its own ALERT-006 scenarios fail",
}

#: Mandatory requirements no single named fault breaks on its own, and why (the coverage check).
NOT_MUTATED: dict[str, str] = {
    # No named fault yet breaks these; each wants a fault in a reference model (not in this file):
    "SECMP7-IMG-001": "no DCC fault refuses an image within the limit (an off-by-one "
                      "'reject-at-limit' DCC fault would)",
    "SECMP7-IMG-003": "no device fault refuses an image of exactly the size limit (an off-by-one "
                      "'refuse-at-limit' device fault would)",
    "SECMP7-IMG-005": "no device fault installs an empty image, and the reference DCC does not yet "
                      "refuse one (its DCC-side scenario fails against the reference)",
    "SECMP7-OTA-001": "no device fault misdescribes itself in Query Next Image Request",
    "SECMP7-OTA-007": "no device fault carries on after ABORT or NO_IMAGE_AVAILABLE",
    "SECMP7-SUP-004": "no DCC fault keeps a second Supplier out after a first one's upgrade",
    "SECMP7-ALERT-004": "no DCC fault withholds the as-implemented CCS08 'Image Discarded' (N61)",
    # Their only faults are KNOWN_SURVIVORS for now (see the reasons there):
    "SECMP7-IMG-004": "device:accept-oversize-image survives (model)",
    "SECMP7-OTA-002": "device:accept-misplaced-block survives (no scenario)",
    "SECMP7-OTA-008": "device:accept-misplaced-block survives (no scenario)",
    "SECMP7-ALERT-006": "dcc:no-stagger survives (the reference DCC fails the scenario itself)",
}


def all_fault_names() -> dict[str, set[str]]:
    """Every named fault of the reference models, by layer."""
    return {"device": set(DEVICE_FAULTS), "hub": set(HUB_FAULTS), "dcc": set(DCC_FAULTS)}
