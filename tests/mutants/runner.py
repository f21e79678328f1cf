"""Run the scenarios against a faulty variant of the reference world, one subprocess each.

A subprocess per variant (``python -m pytest steps/test_scenarios.py ...``) keeps pytest-bdd's
module-level step registry and every model's state apart between variants; variants run in
parallel, two at a time by default (the CI machine has two cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
                pics: str | None = None) -> list[str]:
    # hypothesis' and xdist's pytest plugins are not used by the scenarios and cost about a
    # second of start-up per subprocess (about 40 s of CPU over the table)
    args = [SCENARIOS, "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist", "-q",
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
    """``python -m pytest ARGS`` in a subprocess at the project root; results.json read back."""
    with tempfile.TemporaryDirectory(prefix="hanota-mutant-") as tmp:
        cmd = [sys.executable, "-m", "pytest", *args, "--hanota-report-dir", tmp]
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
        started = time.monotonic()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s,
                              env=env, check=False)
        run = Run(tuple(args), done.returncode, output=(done.stdout + done.stderr)[-6000:],
                  elapsed_s=time.monotonic() - started)
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
                                     faults=[(mutant.layer, mutant.fault)], maxfail=1))


def merge(runs: Sequence[Run]) -> Run:
    """One Run from several runs of parts of one selection (a baseline split over workers)."""
    out = Run(tuple(a for r in runs for a in r.args), max(r.returncode for r in runs))
    for r in runs:
        out.verdicts.update(r.verdicts)
        out.reasons.update(r.reasons)
        out.requirements.update(r.requirements)
        out.output += r.output
        out.elapsed_s += r.elapsed_s
    return out


#: A baseline over more requirements than this is split into parts run side by side.
BASELINE_CHUNK = 8


def baseline_key(mutant: Mutant) -> tuple[Any, ...]:
    return (mutant.rules, mutant.markers, mutant.keyword)


def run_all(mutants: Sequence[Mutant],
            workers: int = 2) -> tuple[dict[Mutant, Run], dict[tuple[Any, ...], Run]]:
    """Every mutant, and one faultless baseline per rule set and marker selection (over every
    requirement of its mutants), in parallel."""
    wanted: dict[tuple[Any, ...], set[str]] = {}
    for m in mutants:
        wanted.setdefault(baseline_key(m), set()).update(m.requirements)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        base_f = {}
        for key, reqs in wanted.items():
            ordered = sorted(reqs)
            parts = [ordered[i:i + BASELINE_CHUNK] for i in range(0, len(ordered), BASELINE_CHUNK)]
            base_f[key] = [pool.submit(run_scenarios, pytest_args(
                rules=key[0], requirements=part, markers=key[1], keyword=key[2])) for part in parts]
        mut_f = {m: pool.submit(run_mutant, m) for m in mutants}
        return ({m: f.result() for m, f in mut_f.items()},
                {k: merge([f.result() for f in fs]) for k, fs in base_f.items()})


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


def format_table(mutants: Sequence[Mutant], runs: dict[Mutant, Run],
                 baselines: dict[tuple[Any, ...], Run]) -> str:
    """The mutation table as Markdown: variant -> requirements -> scenarios that failed."""
    lines = ["| variant | rules | requirements | verdict | scenarios that failed | s |",
             "|---|---|---|---|---|---|"]
    for m in mutants:
        run = runs[m]
        base = baselines[baseline_key(m)]
        caught = caught_by(m, run, base)
        other = [n for n in run.with_verdict("fail", "error") if n not in caught]
        verdict = "caught" if caught else "SURVIVED"
        names = ", ".join(short(n) for n in caught) or "-"
        if other:
            names += f" (also failed or errored: {', '.join(short(n) for n in other)})"
        lines.append(f"| {m.name} | {m.rules} | {', '.join(m.requirements)} | {verdict} | {names} "
                     f"| {run.elapsed_s:.1f} |")
    for key, base in baselines.items():
        lines.append(f"| baseline | {key[0]} | -m {key[1]!r} -k {key[2]!r} | "
                     f"{len(base.with_verdict('pass'))} pass | - | {base.elapsed_s:.1f} |")
    return "\n".join(lines)
