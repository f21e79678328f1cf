"""Run the scenarios against a faulty variant of the reference world, one process each.

A process per variant (``python -m pytest steps/test_scenarios.py ...``, forked from a server
with the libraries imported: ``tests.mutants.forked``) keeps pytest-bdd's module-level step
registry and every model's state apart between variants. Each variant is a
test of its own, so pytest-xdist spreads the table over the cores; the scenarios that failed
under a fault are then run once more against the faultless reference (the baseline they must
pass in).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.mutants.forked import run_pytest
from tests.mutants.table import QUICK, Mutant

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = "steps/test_scenarios.py"
TIMEOUT_S = 600


@dataclass
class Run:
    """What one pytest run of the scenarios gave: verdict per scenario, and reasons of failures."""

    args: tuple[str, ...]
    returncode: int
    verdicts: dict[str, str] = field(default_factory=dict)  # nodeid -> verdict
    reasons: dict[str, str] = field(default_factory=dict)  # nodeid -> failure message
    requirements: dict[str, list[str]] = field(default_factory=dict)  # nodeid -> requirement IDs
    faults: dict[str, list[str]] = field(default_factory=dict)  # layer -> faults the report records
    output: str = ""
    elapsed_s: float = 0.0  # wall time of the subprocess(es)

    def with_verdict(self, *wanted: str) -> list[str]:
        return sorted(n for n, v in self.verdicts.items() if v in wanted)


def pytest_args(*, rules: str = "wg-2016", requirements: Sequence[str] = (),
                markers: str | None = QUICK, keyword: str | None = None, seed: int = 0,
                faults: Iterable[tuple[str, str]] = (), maxfail: int | None = None,
                pics: str | None = None, targets: Sequence[str] = (SCENARIOS,)) -> list[str]:
    # hypothesis' and xdist's pytest plugins are not used by the scenarios and cost about a
    # second of start-up per subprocess (about 40 s of CPU over the table)
    args = [*targets, "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist", "-q",
            "--hanota-rules", rules, "--hanota-seed", str(seed)]
    if maxfail:
        args += ["--maxfail", str(maxfail)]
    if pics:
        args += ["--hanota-pics", pics]
    if requirements:
        args += ["--hanota-requirements", ",".join(requirements)]
    if markers:
        args += ["-m", markers]
    if keyword:
        args += ["-k", keyword]
    for layer, fault in faults:
        args += [f"--hanota-{layer}-fault", fault]
    return args


def run_scenarios(args: Sequence[str], *, timeout_s: int = TIMEOUT_S) -> Run:
    """``python -m pytest ARGS`` at the project root, in a process of its own forked from a
    server with the libraries imported (``tests.mutants.forked``); results.json read back."""
    with tempfile.TemporaryDirectory(prefix="hanota-mutant-") as tmp:
        output = Path(tmp) / "output.txt"
        started = time.monotonic()
        code = run_pytest([*args, "--hanota-report-dir", tmp], cwd=ROOT, output=output, timeout_s=timeout_s)
        text = output.read_text(encoding="utf-8", errors="replace") if output.exists() else ""
        run = Run(tuple(args), code, output=text[-6000:], elapsed_s=time.monotonic() - started)
        results = Path(tmp) / "results.json"
        if results.exists():
            data: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
            run.faults = dict(data.get("faults", {}))
            for scenario in data.get("scenarios", []):
                run.verdicts[scenario["nodeid"]] = scenario["verdict"]
                run.requirements[scenario["nodeid"]] = list(scenario.get("requirements", []))
                if scenario.get("reason"):
                    run.reasons[scenario["nodeid"]] = scenario["reason"]
        return run


def run_mutant(mutant: Mutant) -> Run:
    # One failing scenario proves the variant caught: stop there (the run stays short).
    return run_scenarios(pytest_args(rules=mutant.rules, requirements=mutant.requirements,
                                     markers=mutant.markers, keyword=mutant.keyword,
                                     faults=[(mutant.layer, mutant.fault)], maxfail=1, pics=mutant.pics))


def run_reference(mutant: Mutant, nodeids: Sequence[str]) -> Run:
    """The scenarios ``nodeids`` against the faultless reference world, under the mutant's rule
    set: the baseline a caught variant's failing scenarios must pass in."""
    return run_scenarios(pytest_args(rules=mutant.rules, markers=None, targets=nodeids, pics=mutant.pics))


def selected(mutant: Mutant, run: Run) -> list[str]:
    """The scenarios of ``run`` that verify one of the mutant's requirements."""
    return sorted(n for n, reqs in run.requirements.items() if set(reqs) & set(mutant.requirements))


def caught_by(mutant: Mutant, run: Run, baseline: Run) -> list[str]:
    """Scenarios of the mutant's requirements that fail under the fault, pass without it, and say
    what was expected (the Then-steps' messages start from the expectation)."""
    out = []
    for nodeid in run.with_verdict("fail"):
        reqs = set(run.requirements.get(nodeid, []))
        if reqs & set(mutant.requirements) and baseline.verdicts.get(nodeid) == "pass" \
                and "expected" in run.reasons.get(nodeid, ""):
            out.append(nodeid)
    return out


def short(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


#: The mutation table's heading (Markdown); each test of tests/mutants gives one row.
TABLE_HEADER = ("| variant | rules | requirements | verdict | scenarios that failed | s |\n"
                "|---|---|---|---|---|---|")


def table_row(mutant: Mutant, run: Run, caught: Sequence[str], baseline: Run | None) -> str:
    """The variant's row of the mutation table: requirements -> scenarios that failed."""
    other = [n for n in run.with_verdict("fail", "error") if n not in caught]
    names = ", ".join(short(n) for n in caught) or "-"
    if other:
        names += f" (also failed or errored: {', '.join(short(n) for n in other)})"
    seconds = run.elapsed_s + (baseline.elapsed_s if baseline is not None else 0.0)
    return (f"| {mutant.name} | {mutant.rules} | {', '.join(mutant.requirements)} | "
            f"{'caught' if caught else 'SURVIVED'} | {names} | {seconds:.1f} |")
