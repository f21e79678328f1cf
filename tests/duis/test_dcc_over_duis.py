"""The DCC-side scenarios over DUIS (issue 17, "What must be shown"), each run a real subprocess:

- against ``hanota serve-dcc --binding duis`` they give the same verdicts as against the
  reference DCC in process, under both rule sets (SR 11.4 field by field and in other DCC user
  roles, devices added in a given state and cut off their HAN through the control channel,
  SR 11.1 and SR 11.3 for an HCALCS, the hub's CCS08 judged from the alerts the DCC passed on,
  its CS08 from SR 11.2's GBCSPayload and its 0x8F8B from the PPMIDAlert the DCC passed on),
  except, under wg-2016, the fragments of an image above the size limit, which DUIS cannot carry
  (@slow scenarios, not in this selection);
- a DCC that groups alerts, writes the requested version into the inventory, never sends alert
  (c), sends it after its declared service level, files every refused device in
  InvalidDeviceIDList, takes SR 11.4 from any role, passes every SR 11.3 outcome on as success,
  drops N60, loses the CCS08 code, takes a failed CS08 read for a read or reports every
  activation as a success fails the scenarios of the requirement it breaks, over DUIS too (alert
  (c)'s absence and lateness judged from what reached the suite's response address), and so do
  the hubs behind it that answer CS08 from a stale version or report every activation a success.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.test_dcc_over_http import DCC_SIDE, FAULTY
from tests.test_suite_over_tcp import run_suite, serving, verdicts

from .conftest import SCHEMA, need_vectors

#: The HTTP test's faulty DCCs, and two whose catching rests on what the response address saw:
#: an alert (c) that never arrives, one that arrives after the declared service level.
FAULTS = {**FAULTY, "no-alert-c": "SECMP7-ALERT-002", "alert-c-too-late": "SECMP7-ALERT-007",
          # SR 11.4 field by field, devices added in a given state, User IDs in other roles:
          "warn-all-invalid": "SECMP7-SEC-005", "accept-any-role": "SECMP7-SEC-005",
          # SR 11.1 and SR 11.3, the outcome judged from the GBCS alert the DUIS message carries:
          "activation-outcome-as-success": "SECMP7-HCA-001",
          # the hub's CCS08 as the DCC passes it on (DUIS CommsHubAlert), not on the WAN:
          "no-n60": "SECMP7-SEC-001", "ccs08-code-lost": "SECMP7-SEC-002",
          # CS08 as SR 11.2 and alert (c) show it, 0x8F8B as the PPMIDAlert the DCC passes on:
          "cs08-failure-as-success": "SECMP7-SEC-003", "8f8b-result-ignored": "SECMP7-SEC-004"}
#: The faults whose requirement is the SEC as implemented's (run under that rule set).
AS_IMPLEMENTED = {"warn-all-invalid", "accept-any-role", "activation-outcome-as-success", "no-n60",
                  "ccs08-code-lost", "cs08-failure-as-success", "8f8b-result-ignored"}


def _keys(tmp: Path) -> Path:
    from hanota.conformance.duis.config import write_test_config

    return write_test_config(tmp / "keys", schema=SCHEMA)


def _declared(tmp: Path) -> Path:
    """The reference DCC's declared figures (its DCC PIXIT, conformance.pics.REFERENCE_DCC_PIXIT)."""
    path = tmp / "dcc-pixit.toml"
    path.write_text('[alerts]\nservice_level = "24 hours"\nstagger_interval = "1 second"\n'
                    'version_confirmation_delay = "30 minutes"\n', encoding="utf-8")
    return path


def _suite_pixit(server_pixit: Path, url: str) -> Path:
    """The suite's copy of the DCC PIXIT, naming the served system's control channel."""
    base = url.removeprefix("duis+").rsplit("/duis", 1)[0]
    text = server_pixit.read_text(encoding="utf-8").replace("[dcc]\n", f'[dcc]\ncontrol = "{base}/control"\n')
    path = server_pixit.with_name(f"suite-{base.rsplit(':', 1)[1]}.toml")
    path.write_text(text, encoding="utf-8")
    return path


def _over_duis(tmp: Path, name: str, *options: str, rules: str = "wg-2016",
               only: str | None = None, suite: tuple[str, ...] = ()) -> dict[str, Any]:
    pixit = _keys(tmp)
    with serving("-m", "hanota", "serve-dcc", "--listen", "127.0.0.1:0", "--binding", "duis",
                 "--duis-pixit", str(pixit), "--service-level-ms", str(24 * 3_600_000), *options,
                 tmp=tmp, scheme="duis+http") as url:
        select = [f"--hanota-requirements={only}"] if only else []
        return run_suite(tmp, name, *DCC_SIDE, *select, f"--hanota-rules={rules}",
                         f"--hanota-dcc={url}", f"--hanota-duis-pixit={_suite_pixit(pixit, url)}",
                         f"--hanota-dcc-pixit={_declared(tmp)}", *suite)


@pytest.mark.slow
@pytest.mark.parametrize("rules", ["wg-2016", "as-implemented"])
def test_dcc_side_same_verdicts_over_duis_as_in_process(tmp_path: Path, rules: str) -> None:
    need_vectors()
    with ThreadPoolExecutor(max_workers=2) as pool:
        over_duis = pool.submit(_over_duis, tmp_path, "duis", rules=rules)
        in_process = pool.submit(run_suite, tmp_path, "ref", *DCC_SIDE, f"--hanota-rules={rules}")
        ref, duis = in_process.result(), over_duis.result()
    want, seen = verdicts(ref), verdicts(duis)
    assert len(want) >= 25, ref["_output"]
    # No exception: the GBCS the DCC exchanges with its hubs is judged from what DUIS shows of it.
    differ = {n: (want.get(n), seen.get(n)) for n in set(want) | set(seen) if want.get(n) != seen.get(n)}
    assert not differ, f"verdicts differ under {rules} (in process, DUIS): {differ}\n{duis['_output']}"
    print(f"\nin process {ref['_wall_s']:.1f} s, over DUIS {duis['_wall_s']:.1f} s")


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "requirement"), FAULTS.items())
def test_a_faulty_dcc_over_duis_fails_the_scenarios_of_the_requirement_it_breaks(
        tmp_path: Path, fault: str, requirement: str) -> None:
    need_vectors()
    rules = "as-implemented" if fault in AS_IMPLEMENTED else "wg-2016"
    data = _over_duis(tmp_path, fault, "--dcc-fault", fault, rules=rules, only=requirement)
    failed = {req for r in data["scenarios"] if r["verdict"] == "fail" for req in r["requirements"]}
    assert requirement in failed, (f"serve-dcc --binding duis --dcc-fault {fault}: no {requirement} "
                                   f"scenario failed; failed: {sorted(failed)}\n{data['_output']}")


#: Faulty hubs the DCC test system simulates (built through its control channel with the
#: premises): what the DCC passes on over DUIS must show their faults too.
HUB_FAULTS = {"cs08-answers-stale": "SECMP7-SEC-003", "8f8b-always-activated": "SECMP7-SEC-004"}


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "requirement"), HUB_FAULTS.items())
def test_a_faulty_hub_behind_the_dcc_fails_its_requirement_over_duis(tmp_path: Path, fault: str,
                                                                     requirement: str) -> None:
    need_vectors()
    data = _over_duis(tmp_path, fault, rules="as-implemented", only=requirement,
                      suite=(f"--hanota-hub-fault={fault}",))
    failed = {req for r in data["scenarios"] if r["verdict"] == "fail" for req in r["requirements"]}
    assert requirement in failed, (f"--hanota-hub-fault {fault} over DUIS: no {requirement} scenario "
                                   f"failed; failed: {sorted(failed)}\n{data['_output']}")
