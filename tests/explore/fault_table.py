"""Explore against each named fault of the reference device: found or not within a fixed budget,
the shrunk length, and whether a fixed scenario catches the fault too (the mutation table).

``python -m tests.explore.fault_table`` prints the table (Markdown) and the median shrunk length;
``test_faults.py`` asserts the same rows in the slow tier.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass

from hanota.conformance.explore.machine import explore, replay_actions
from hanota.conformance.models.faults.device_faults import FAULTS

from .helpers import reference

#: The fixed budget: examples of 30 hub actions, seed 0.
BUDGET = 500

#: Faults whose deviation explore never exercises, by construction, and why: not run (skipped
#: with the reason). A fixed scenario catches each (the mutation table).
UNREACHABLE: dict[str, str] = {
    **dict.fromkeys(("notify-ignores-manufacturer", "notify-ignores-image-type", "notify-no-wildcard",
                     "notify-same-version", "notify-only-newer", "ignore-query-jitter",
                     "no-broadcast-notify"),
                    "explore's hub notifies by unicast only, and a device examines the fields and the "
                    "jitter of broadcast notifies alone (SECMP7-NTFY)"),
    **dict.fromkeys(("jitter-on-unicast", "filter-unicast-notify"),
                    "no invariant of explore says a notify must be answered: a unicast notify left "
                    "unanswered breaks none"),
    "slow-periodic-query": "explore declares no query interval, so the device never queries on its own",
    "hardware-range-exclusive": "explore's images carry a hardware range only to exclude the device "
                                "(wrong-hardware), never one that ends at its version",
    "refuse-without-hardware-range": "no invariant of explore says a valid image must be installed: "
                                     "refusing one breaks none",
    **dict.fromkeys(("specific-query-other-address", "specific-query-firmware-type",
                     "specific-query-reserved-stack", "download-without-specific-file", "run-specific-file"),
                    "explore's device declares no device_file_query, so it never sends Query Device "
                    "Specific File (SECMP7-XFER-003's scenarios catch these)"),
    # client attributes and the Upgrade End Response (SECMP7-STAT): explore judges that
    # ImageUpgradeStatus moves legally, not each attribute's value against what its hub served
    **dict.fromkeys(("no-download-complete-status", "downloaded-version-unset", "file-offset-behind",
                     "status-normal-while-downloading", "upgrade-server-id-unset"),
                    "no invariant of explore compares an attribute read back with what its hub served "
                    "(SECMP7-STAT-001/002's scenarios catch these)"),
    "no-asking-again-while-waiting": "no invariant of explore says a device told to wait asks again "
                                     "(a liveness property; SECMP7-STAT-005 catches it)",
    # Image Page Request and device-specific image types (SECMP7-XFER)
    **dict.fromkeys(("page-request-per-block", "page-skips-missing-blocks"),
                    "explore's device does not declare image_page_requests, so it asks by blocks "
                    "only (SECMP7-XFER-001's scenarios catch these)"),
    # faults explore cannot reach by construction (its hub never makes the move, or no invariant
    # of explore judges the property): not run, so the slow tier does not spend a budget on each
    "ignore-fragment-count": "explore offers no fragmented images (docs/fragments.md), so a forged "
                             "fragment count never reaches the device",
    **dict.fromkeys(("impatient", "block-period-as-timeout"),
                    "explore's hub answers every request at once, never late within the device's "
                    "response timeout; SECMP7-HUB-003 catches it"),
    # resilience, notify and frame faults whose property no invariant of explore judges
    # resilience faults (SECMP7-RES): what they break is a liveness property, a declared figure or
    # a PICS declaration, none of which explore's invariants judge; their scenarios catch them
    "lose-download-on-power-cycle": "explore allows a download to survive a power cycle or not; it "
                                    "does not read the PICS resume_after_power_cycle declaration",
    "retry-forever": "explore has no invariant on how long a device may ask a silent hub (the PICS "
                     "timing.retry_give_up_ms)",
    "ignore-notify-after-abort": "a device may leave an Image Notify unanswered (query jitter), so "
                                 "explore has no invariant that a notify is followed by a query",
    "stuck-after-refusal": "a device may leave an Image Notify unanswered (query jitter), so explore "
                           "has no invariant that a notify is followed by a query",
    "corrupt-tail-on-power-cycle": "the image it completes after a power cycle fails verification and "
                                   "it says so (INVALID_IMAGE, truthful); no invariant of explore says "
                                   "a download taken up after a power cycle must succeed",
    "notify-type-0-only": "no invariant of explore requires an answer to an Image Notify (it judges "
                          "what the device does, not that it queries); SECMP7-OTA-001 catches it "
                          "under the played hub's default payload type 3",
}

#: Faults explore cannot find, and why (each an xfail(strict=True) in the slow tier).
KNOWN_MISSES: dict[str, str] = {
    "switch-version-keeping-data": "no counterexample within the budget: it needs a newer image "
                                   "announced mid-download and served at the old offset, which "
                                   "SECMP7-RES-007's scenario sets up",
}


@dataclass(frozen=True)
class Row:
    fault: str
    found: bool
    invariant: str
    shrunk: int
    frames: int  # frames in the shrunk transcript, both ways
    after: int | None
    reproduced: bool
    clean_on_reference: bool
    seconds: float


def scenario_catches(fault: str) -> bool:
    """A fixed scenario catches the fault: it has a row in the mutation table and is no known
    survivor (tests/mutants asserts the catch)."""
    from tests.mutants.table import KNOWN_SURVIVORS, MUTANTS

    return any(m.layer == "device" and m.fault == fault for m in MUTANTS) and \
        f"device:{fault}" not in KNOWN_SURVIVORS


def run_row(fault: str, budget: int = BUDGET, seed: int = 0, *, shrink: bool = True) -> Row:
    start = time.perf_counter()
    result = explore(reference(fault), seed_value=seed, examples=budget, shrink=shrink)
    clean = True
    if result.actions:
        clean = replay_actions(reference(), result.actions)[0] is None
    v = result.violation
    frames = sum(e.who != "note" for e in result.session.transcript) if result.session else 0
    return Row(fault, v is not None, v.invariant if v else "", len(result.actions), frames,
               result.found_after, result.reproduced, clean, time.perf_counter() - start)


def main() -> int:
    rows = [run_row(f) for f in FAULTS if f not in UNREACHABLE]
    print(f"| fault | found (budget {BUDGET} examples, seed 0) | invariant | shrunk length (hub actions) | "
          "frames in the transcript | found in example | a fixed scenario catches it |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| `{r.fault}` | {'yes' if r.found else 'no'} | {r.invariant or '—'} | "
              f"{r.shrunk if r.found else '—'} | {r.frames if r.found else '—'} | {r.after or '—'} | "
              f"{'yes' if scenario_catches(r.fault) else 'no'} |")
    found = [r for r in rows if r.found]
    median = statistics.median(r.shrunk for r in found) if found else "—"
    median_frames = statistics.median(r.frames for r in found) if found else "—"
    print(f"\nfound {len(found)} of {len(rows)} ({100 * len(found) / len(rows):.0f} %); median shrunk "
          f"length {median} hub actions ({median_frames} frames); every counterexample "
          f"reproduced: {all(r.reproduced for r in found)}; none fails the reference device: "
          f"{all(r.clean_on_reference for r in found)}")
    print(f"not exercised by explore (not run): {', '.join(sorted(UNREACHABLE))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
