"""Verdicts as data: per scenario and per requirement.

A requirement's verdict is derived from its scenarios' verdicts: any error → error, any
fail → fail, any pass (and the rest not applicable) → pass, all not applicable → not
applicable, no executed scenario → not tested. Nothing is ever *passed* by default.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RequirementVerdict", "ScenarioResult", "Verdict", "requirement_verdicts", "write_results"]


class Verdict(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a secret
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"
    NOT_TESTED = "not-tested"
    ERROR = "error"


@dataclass
class ScenarioResult:
    nodeid: str
    feature: str
    scenario: str
    requirements: list[str]
    verdict: Verdict
    reason: str = ""
    duration_s: float = 0.0
    steps: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RequirementVerdict:
    requirement: str
    verdict: Verdict
    scenarios: list[str]


_ORDER = [Verdict.ERROR, Verdict.FAIL, Verdict.PASS, Verdict.NOT_APPLICABLE]


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    seen = set(verdicts)
    for v in _ORDER:
        if v in seen:
            return v
    return Verdict.NOT_TESTED


def requirement_verdicts(
    requirement_ids: Iterable[str], results: Iterable[ScenarioResult], *,
    not_applicable: Iterable[str] = (),
) -> list[RequirementVerdict]:
    """One verdict per catalogue requirement, in catalogue order. Those in ``not_applicable``
    (not tested under the run's rule set: minutes-only, informative) are not applicable
    whatever a scenario that also names a requirement that applies gave."""
    left_out = set(not_applicable)
    by_req: dict[str, list[ScenarioResult]] = {}
    for r in results:
        for req in r.requirements:
            by_req.setdefault(req, []).append(r)
    out = []
    for req in requirement_ids:
        rs = by_req.get(req, [])
        verdict = Verdict.NOT_APPLICABLE if req in left_out else combine(r.verdict for r in rs)
        out.append(RequirementVerdict(req, verdict, [r.nodeid for r in rs]))
    return out


def counts(verdicts: Iterable[Verdict]) -> Mapping[str, int]:
    tally = {v.value: 0 for v in Verdict}
    for v in verdicts:
        tally[v.value] += 1
    return tally


def write_results(path: Path, payload: dict[str, Any], results: list[ScenarioResult],
                  requirements: list[RequirementVerdict]) -> None:
    data = dict(payload)
    data["scenarios"] = [asdict(r) for r in results]
    data["requirements"] = [asdict(r) for r in requirements]
    data["scenario_counts"] = counts(r.verdict for r in results)
    data["requirement_counts"] = counts(r.verdict for r in requirements)
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
