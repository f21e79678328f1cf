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

from hanota.conformance.models.faults.dcc_faults import FAULTS as DCC_FAULTS
from hanota.conformance.models.faults.device_faults import FAULTS as DEVICE_FAULTS
from hanota.conformance.models.faults.hub_faults import FAULTS as HUB_FAULTS

__all__ = ["DROPPED", "KNOWN_SURVIVORS", "MUTANTS", "NOT_MUTATED", "Mutant", "all_fault_names"]

#: Markers excluded by default: the size-limit downloads; a smaller scenario catches the same fault.
QUICK = "not slow"


_FAULTS_OF = {"device": DEVICE_FAULTS, "hub": HUB_FAULTS, "dcc": DCC_FAULTS}


@dataclass(frozen=True)
class Mutant:
    """One faulty variant of the reference world and what must catch it."""

    layer: str  # "device", "hub" or "dcc": which --hanota-<layer>-fault option
    fault: str
    requirements: tuple[str, ...]  # what the fault breaks; their scenarios are run
    rules: str = "wg-2016"
    markers: str = QUICK  # pytest -m expression selecting the scenarios to run
    keyword: str | None = None  # optional pytest -k expression, to pick an Examples row
    pics: str | None = None  # a PICS file (from the project root) the row and its baseline run with

    def __post_init__(self) -> None:  # every row names a real fault of its layer's enum
        if self.fault not in _FAULTS_OF.get(self.layer, {}):
            raise ValueError(f"mutation table row {self.layer}:{self.fault}: no such {self.layer} fault")

    @property
    def name(self) -> str:
        return f"{self.layer}:{self.fault}"


MUTANTS: tuple[Mutant, ...] = (
    # -- the device under test (DeviceFault, conformance/models/faults/device_faults.py) ----------------
    Mutant("device", "accept-oversize-image", ("SECMP7-IMG-004",)),
    Mutant("device", "accept-from-any-server", ("SECMP7-AUTH-006", "SECMP7-HHT-001", "SECMP7-HHT-002")),
    # HHT-002's own check: the version the device reports against the inventory's record
    Mutant("device", "accept-from-any-server", ("SECMP7-HHT-002",)),
    Mutant("device", "skip-signature-check", ("SECMP7-AUTH-001", "SECMP7-AUTH-002", "SECMP7-AUTH-007")),
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
    Mutant("device", "accept-misplaced-block", ("SECMP7-OTA-002",)),
    Mutant("device", "accept-oversize-block", ("SECMP7-OTA-002",)),
    # the size-limit download itself is the only scenario at exactly the limit (slow)
    Mutant("device", "refuse-at-limit", ("SECMP7-IMG-003",), markers="slow",
           keyword="not byte"),
    Mutant("device", "install-empty-image", ("SECMP7-IMG-005",)),
    Mutant("device", "bad-query-next-image", ("SECMP7-OTA-001",)),
    Mutant("device", "ignore-abort", ("SECMP7-OTA-007",)),
    Mutant("device", "no-malformed-response", ("SECMP7-OTA-008",)),
    Mutant("device", "refuse-trailing-octets", ("SECMP7-OTA-009",)),
    Mutant("device", "ignore-unsigned-tail", ("SECMP7-AUTH-007",)),
    Mutant("device", "ignore-file-destination", ("SECMP7-AUTH-008",)),
    Mutant("device", "ignore-fragment-count", ("SECMP7-FRAG-003",)),
    # checks bound to what the device sent (issue 13): the frame a Default Response answers, the
    # image an Upgrade End Request names, a contrary status, the status while an image waits, and
    # a download by Image Page Requests
    Mutant("device", "unbound-default-response", ("SECMP7-OTA-008",)),
    Mutant("device", "upgrade-end-names-running-image", ("SECMP7-OTA-006",)),
    Mutant("device", "contrary-upgrade-end", ("SECMP7-OTA-006",)),
    Mutant("device", "status-normal-while-pending", ("SECMP7-ACT-002", "SECMP7-ACT-003")),
    Mutant("device", "status-normal-while-pending", ("SECMP7-ACT-003",)),
    Mutant("device", "page-request-to-other-node", ("SECMP7-HHT-001", "SECMP7-AUTH-006")),
    # resilience of the download (issue 16): power cycles, a hub restart, a silent hub, storage
    Mutant("device", "run-partial-image-after-power-cycle", ("SECMP7-RES-001",)),
    Mutant("device", "lose-download-on-power-cycle", ("SECMP7-RES-002",)),
    Mutant("device", "activate-on-power-up", ("SECMP7-RES-003",)),
    Mutant("device", "ignore-notify-after-abort", ("SECMP7-RES-004",)),
    Mutant("device", "ignore-abort", ("SECMP7-RES-004",)),
    Mutant("device", "retry-forever", ("SECMP7-RES-005",)),
    Mutant("device", "stuck-after-refusal", ("SECMP7-RES-006",)),
    Mutant("device", "switch-version-keeping-data", ("SECMP7-RES-007",)),
    Mutant("device", "corrupt-tail-on-power-cycle", ("SECMP7-RES-001",)),
    # what a GB hub may legally do (issue 16): the played hub's default notify and activation,
    # blocks shorter than asked and of varying sizes, answers at the edge of the response timeout
    Mutant("device", "notify-type-0-only", ("SECMP7-OTA-001",)),
    Mutant("device", "assume-full-blocks", ("SECMP7-HUB-001",)),
    Mutant("device", "fixed-block-size", ("SECMP7-HUB-002",)),
    Mutant("device", "impatient", ("SECMP7-HUB-003",)),
    Mutant("device", "block-period-as-timeout", ("SECMP7-HUB-003",)),
    Mutant("device", "stuck-waiting", ("SECMP7-HUB-004",)),
    Mutant("device", "activate-immediately", ("SECMP7-HUB-004",)),
    # every field of every frame the device sends, and its answers to frames it does not take
    # (issue 16, features/zcl_frames.feature)
    Mutant("device", "upgrade-end-wildcard-image-type", ("SECMP7-ZCL-001",)),
    Mutant("device", "block-request-hub-address", ("SECMP7-ZCL-002",)),
    Mutant("device", "stale-block-period-field", ("SECMP7-ZCL-002",)),
    Mutant("device", "home-automation-profile", ("SECMP7-ZCL-003",)),
    Mutant("device", "bad-query-next-image", ("SECMP7-ZCL-003",)),
    Mutant("device", "wrong-server-endpoint", ("SECMP7-ZCL-003",)),
    Mutant("device", "status-as-uint8", ("SECMP7-ZCL-004",)),
    Mutant("device", "refusal-with-own-tsn", ("SECMP7-ZCL-005",)),
    Mutant("device", "pads-short-frames", ("SECMP7-ZCL-006",)),
    Mutant("device", "manufacturer-specific-as-standard", ("SECMP7-ZCL-007",)),
    Mutant("device", "unknown-command-malformed", ("SECMP7-ZCL-008",)),
    # a second answer to the same frame that contradicts the first (issue 16 item 5)
    Mutant("device", "contrary-query", ("SECMP7-OTA-001",)),
    Mutant("device", "contrary-refusal", ("SECMP7-ZCL-005",)),
    Mutant("device", "contrary-read-answer", ("SECMP7-ZCL-004",)),
    # the client attributes at each stage of an upgrade, and the Upgrade End Response (issue 16)
    Mutant("device", "status-normal-while-downloading", ("SECMP7-STAT-001",)),
    Mutant("device", "no-download-complete-status", ("SECMP7-STAT-001",)),
    Mutant("device", "status-normal-while-pending", ("SECMP7-STAT-001",)),
    Mutant("device", "file-offset-behind", ("SECMP7-STAT-002",)),
    Mutant("device", "downloaded-version-unset", ("SECMP7-STAT-002",)),
    Mutant("device", "upgrade-server-id-unset", ("SECMP7-STAT-002",)),
    Mutant("device", "past-upgrade-time-wraps", ("SECMP7-STAT-003",)),
    Mutant("device", "refuse-wildcard-end-response", ("SECMP7-STAT-004",)),
    Mutant("device", "page-request-per-block", ("SECMP7-XFER-001",)),
    Mutant("device", "page-skips-missing-blocks", ("SECMP7-XFER-001",)),
    # Image Notify, query jitter, periodic query and the hardware range (issue 16)
    Mutant("device", "notify-ignores-manufacturer", ("SECMP7-NTFY-001",), keyword="ignores"),
    Mutant("device", "notify-ignores-image-type", ("SECMP7-NTFY-001",), keyword="ignores"),
    Mutant("device", "notify-no-wildcard", ("SECMP7-NTFY-001", "SECMP7-NTFY-002"), keyword="wildcard"),
    Mutant("device", "notify-same-version", ("SECMP7-NTFY-002",), keyword="running"),
    Mutant("device", "notify-only-newer", ("SECMP7-NTFY-002",), keyword="older"),
    Mutant("device", "ignore-query-jitter", ("SECMP7-NTFY-003",), keyword="50"),
    Mutant("device", "no-broadcast-notify", ("SECMP7-NTFY-001",), keyword="nothing"),
    Mutant("device", "jitter-on-unicast", ("SECMP7-NTFY-004",), keyword="10"),
    Mutant("device", "slow-periodic-query", ("SECMP7-NTFY-005",), pics="tests/mutants/periodic_query.toml"),
    Mutant("device", "hardware-range-exclusive", ("SECMP7-NTFY-006",), keyword="starts"),
    Mutant("device", "hardware-range-widened", ("SECMP7-NTFY-006",), keyword="above"),
    Mutant("device", "refuse-without-hardware-range", ("SECMP7-NTFY-006",), keyword="declares"),
    Mutant("device", "no-asking-again-while-waiting", ("SECMP7-STAT-005",)),
    Mutant("device", "reserved-type-as-firmware", ("SECMP7-XFER-002",)),
    Mutant("device", "specific-query-other-address", ("SECMP7-XFER-003",)),
    Mutant("device", "specific-query-firmware-type", ("SECMP7-XFER-003",)),
    Mutant("device", "specific-query-reserved-stack", ("SECMP7-XFER-003",)),
    Mutant("device", "download-without-specific-file", ("SECMP7-XFER-003",)),
    Mutant("device", "run-specific-file", ("SECMP7-XFER-003",)),
    Mutant("device", "filter-unicast-notify", ("SECMP7-NTFY-004",), keyword="payload_type_3"),
    # -- the Communications Hub (HubFault, conformance/models/faults/hub_faults.py) --------------------
    Mutant("hub", "send-misplaced-block", ("SECMP7-SUP-001",)),
    Mutant("hub", "send-oversize-block", ("SECMP7-SUP-001",)),
    Mutant("hub", "no-readback", ("SECMP7-ALERT-002", "SECMP7-INV-002")),
    # -- the DCC (DccFault, conformance/models/faults/dcc_faults.py) ----------------------------------
    Mutant("dcc", "group-alerts", ("SECMP7-ALERT-005",)),
    Mutant("dcc", "inventory-from-request", ("SECMP7-INV-002",)),
    Mutant("dcc", "no-alert-a", ("SECMP7-ALERT-001",)),
    Mutant("dcc", "no-alert-c", ("SECMP7-ALERT-002",)),
    Mutant("dcc", "allow-override", ("SECMP7-SUP-003",)),
    Mutant("dcc", "accept-oversize", ("SECMP7-IMG-002",)),
    # the DCC takes the whole image instead of cutting it into fragments (one row, slow)
    Mutant("dcc", "accept-oversize", ("SECMP7-FRAG-001",), markers="slow", keyword="not times"),
    # the DCC itself cuts an image above the limit into fragments (the Supplier sends it whole)
    Mutant("dcc", "no-fragmentation", ("SECMP7-FRAG-001",), markers="slow", keyword="not times"),
    Mutant("dcc", "no-stagger", ("SECMP7-ALERT-006",), markers="load", keyword="not 100"),
    Mutant("dcc", "accept-non-supplier", ("SECMP7-SUP-002",)),
    Mutant("dcc", "alert-c-too-late", ("SECMP7-ALERT-007",)),
    Mutant("dcc", "reject-at-limit", ("SECMP7-IMG-001",)),
    Mutant("dcc", "accept-empty-image", ("SECMP7-IMG-005",)),
    Mutant("dcc", "lock-out-second-supplier", ("SECMP7-SUP-004",)),
    # the as-implemented rule set has requirements of its own
    Mutant("dcc", "no-alert-c", ("SECMP7-ALERT-002",), rules="as-implemented"),
    Mutant("dcc", "group-alerts", ("SECMP7-ALERT-005",), rules="as-implemented"),
    Mutant("dcc", "drop-image-discarded", ("SECMP7-ALERT-004",), rules="as-implemented"),
    # alert (a) as implemented is the SR 11.4 answer and N60 per device (issue 13)
    Mutant("dcc", "no-n60", ("SECMP7-ALERT-001",), rules="as-implemented"),
    # the SEC as implemented, at the byte level (GBCS between hub and DCC)
    Mutant("dcc", "no-n60", ("SECMP7-SEC-001",), rules="as-implemented"),
    Mutant("dcc", "ccs08-code-lost", ("SECMP7-SEC-002",), rules="as-implemented"),
    Mutant("dcc", "cs08-failure-as-success", ("SECMP7-SEC-003",), rules="as-implemented"),
    Mutant("dcc", "8f8b-result-ignored", ("SECMP7-SEC-004",), rules="as-implemented"),
    Mutant("hub", "discard-as-transfer-failure", ("SECMP7-SEC-002",), rules="as-implemented"),
    Mutant("hub", "cs08-answers-stale", ("SECMP7-SEC-003",), rules="as-implemented"),
    Mutant("hub", "8f8b-always-activated", ("SECMP7-SEC-004",), rules="as-implemented"),
    Mutant("dcc", "warn-all-invalid", ("SECMP7-SEC-005",), rules="as-implemented"),
    Mutant("dcc", "accept-any-role", ("SECMP7-SEC-005",), rules="as-implemented"),
    Mutant("dcc", "act-on-duplicates", ("SECMP7-SEC-005",), rules="as-implemented"),
    Mutant("dcc", "activation-outcome-as-success", ("SECMP7-HCA-001",), rules="as-implemented"),
    Mutant("hub", "skip-hash-check", ("SECMP7-HCA-001",), rules="as-implemented"),
)

#: Faults no scenario can catch yet, and why (each is an xfail(strict=True) in the tests). Empty:
#: a survivor is a defect of the suite, fixed by a scenario or by a fault that really breaks its rule.
KNOWN_SURVIVORS: dict[str, str] = {}

#: Faults dropped from the models because no requirement of the catalogue covers what they break
#: (docs/mutation-testing.md). They come back with a requirement that covers them.
DROPPED: dict[str, str] = {
    "hub:serve-untargeted": "the catalogue has no requirement that a hub serves only the devices a "
                            "request names; every device on a hub shares its premises' Suppliers, "
                            "so SECMP7-SUP-002/003 are not broken",
    "hub:serve-unpaired": "SECMP7-AUTH-006 binds the device (take firmware only from the paired "
                          "hub); no requirement binds the hub to refuse unpaired devices",
    "hub:skip-hardware-check": "SECMP7-AUTH-004 binds the device (never install outside its "
                               "hardware range); the hub's pre-check and its CCS08 code 2 are the "
                               "same with or without the fault",
    "hub:activate-on-end-request": "SECMP7-ACT-001/003 judge the device against the upgrade time "
                                   "the hub gives; no requirement says when the hub activates",
    "dcc:send-alert-b": "the working group removed the duty to send alert (b), not the practice: a "
                        "DCC that still reports a discard breaks no rule (SECMP7-ALERT-003 is "
                        "informative)",
    "dcc:skip-signature-check": "SECMP7-AUTH-002 is a device-side requirement; the catalogue has "
                                "no DCC-side signature requirement, and the device refuses the "
                                "image either way",
}

#: Mandatory requirements no single named fault breaks on its own, and why (the coverage check).
NOT_MUTATED: dict[str, str] = {}


def all_fault_names() -> dict[str, set[str]]:
    """Every named fault of the reference models, by layer."""
    return {"device": set(DEVICE_FAULTS), "hub": set(HUB_FAULTS), "dcc": set(DCC_FAULTS)}
