"""The requirement catalogue's data model: levels, rule sets, sides, and the Requirement, Family,
Scope and Catalogue types that :mod:`conformance.catalogue` loads from ``requirements.yaml``
(and re-exports)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

__all__ = [
    "FLAG_TAGS",
    "LEVELS",
    "MODALS",
    "PROVENANCES",
    "RULE_SETS",
    "SIDES",
    "TESTED_LEVELS",
    "AsImplemented",
    "Catalogue",
    "Family",
    "Requirement",
    "ScenarioRef",
    "Scope",
]

LEVELS = ("mandatory", "optional", "proposed", "informative", "open-question", "minutes-only")
#: Levels whose scenarios run; under any other level of the run's rule set (minutes-only,
#: informative, or not in the rule set), a scenario naming only such requirements is not
#: applicable, and so are their requirement verdicts (see Requirement.applies).
TESTED_LEVELS = ("mandatory", "optional", "proposed", "open-question")
#: Where a requirement comes from (docs/requirements.md, "Provenance").
PROVENANCES = ("minutes", "minutes-only", "sec", "standard", "reference-profile")
#: The words of a quote that justify each level (the catalogue lint): a requirement whose quote
#: has none of its level's words must say why in ``interpretation``.
MODALS: dict[str, tuple[str, ...]] = {
    "mandatory": ("shall", "must", "will", "not allowed"),
    "optional": ("may",),
    "proposed": ("should", "proposed", "suggested"),
    "open-question": ("questioned", "asked", "whether"),
}
RULE_SETS = ("wg-2016", "as-implemented")
SIDES = ("device", "dcc", "both")
FLAG_TAGS = ("tentative", "slow", "load")


@dataclass(frozen=True)
class AsImplemented:
    """How the final SECMP0007 (SEC text, DCC systems) differs, and where that is recorded."""

    note: str
    source: str


@dataclass(frozen=True)
class Scope:
    """The device kinds one rule set covers, and the source that says so.

    A device-side scenario is *not applicable* to a device whose kind its run's rule set does not
    cover, with ``reason`` (the final SEC dropped IHDs: every device-side scenario then is).
    """

    rules: str
    devices: tuple[str, ...]
    reason: str
    source: str

    def excludes(self, kind: str) -> bool:
        return kind not in self.devices


class ScenarioRef(NamedTuple):
    """One scenario: the feature file's name (``image_size_limit.feature``) and its title."""

    feature: str
    scenario: str


@dataclass(frozen=True)
class Requirement:
    """One catalogue entry. ``scenarios`` is derived from feature tags, never written by hand."""

    id: str
    family: str
    number: int
    title: str
    statement: str
    quote: str
    source: str
    level: str
    rules: tuple[str, ...]
    side: str
    pics: tuple[str, ...]
    as_implemented: AsImplemented | None = None
    see_also: tuple[str, ...] = ()
    scenarios: tuple[ScenarioRef, ...] = ()
    #: where it comes from: one of PROVENANCES
    provenance: str = "minutes"
    #: the level under a rule set where it differs from ``level`` (e.g. minutes-only)
    levels: Mapping[str, str] = field(default_factory=dict)
    #: why the level is read into a source that has no modal verb of its strength ("" if none)
    interpretation: str = ""

    @property
    def tag(self) -> str:
        return f"@{self.id}"

    def level_under(self, rule_set: str) -> str | None:
        """The level under ``rule_set``; None when the requirement is not in that rule set."""
        if rule_set not in self.rules:
            return None
        return self.levels.get(rule_set, self.level)

    def applies(self, rule_set: str) -> bool:
        """True when its scenarios run, and their verdicts count, under ``rule_set``."""
        return self.level_under(rule_set) in TESTED_LEVELS

    def why_not(self, rule_set: str) -> str:
        """Why it does not apply under ``rule_set`` (for a not-applicable verdict)."""
        level = self.level_under(rule_set)
        if level is None:
            return f"{self.id} is not in the {rule_set} rule set"
        note = f": {self.as_implemented.note}" if self.as_implemented and level == "minutes-only" else ""
        return f"{self.id} is {level} under the {rule_set} rules{note}"

    def level_text(self) -> str:
        """Its level under each rule set, e.g. ``wg-2016: mandatory; as-implemented: minutes-only``."""
        return "; ".join(f"{r}: {self.level_under(r)}" for r in RULE_SETS if r in self.rules)

    @property
    def needs_scenario(self) -> bool:
        return self.level == "mandatory"


@dataclass(frozen=True)
class Family:
    code: str
    title: str
    feature: str | None


@dataclass(frozen=True)
class Catalogue:
    """The loaded catalogue, in file order. Look up with ``catalogue["SECMP7-IMG-001"]``."""

    requirements: tuple[Requirement, ...]
    families: Mapping[str, Family]
    pics_items: Mapping[str, str]
    pixit: Mapping[str, Mapping[str, Any]]
    path: str = ""
    scope: Mapping[str, Scope] = field(default_factory=dict)
    _by_id: Mapping[str, Requirement] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {r.id: r for r in self.requirements})

    def __getitem__(self, req_id: str) -> Requirement:
        try:
            return self._by_id[req_id.lstrip("@")]
        except KeyError:
            raise KeyError(f"no requirement {req_id!r} in the catalogue{self._suggest(req_id)}") from None

    def __contains__(self, req_id: object) -> bool:
        return isinstance(req_id, str) and req_id.lstrip("@") in self._by_id

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def get(self, req_id: str) -> Requirement | None:
        return self._by_id.get(req_id.lstrip("@"))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def by_family(self, family: str) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.family == family)

    def by_level(self, level: str) -> tuple[Requirement, ...]:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        return tuple(r for r in self.requirements if r.level == level)

    def for_rules(self, rule_set: str) -> tuple[Requirement, ...]:
        """The requirements that apply when a run selects ``rule_set``."""
        if rule_set not in RULE_SETS:
            raise ValueError(f"unknown rule set {rule_set!r}; expected one of {', '.join(RULE_SETS)}")
        return tuple(r for r in self.requirements if rule_set in r.rules)

    def with_scenarios(self, index: Mapping[str, list[ScenarioRef]]) -> Catalogue:
        """A copy whose requirements list the scenarios ``index`` maps to them."""
        reqs = tuple(replace(r, scenarios=tuple(index.get(r.id, ()))) for r in self.requirements)
        return Catalogue(reqs, self.families, self.pics_items, self.pixit, self.path, self.scope)

    def out_of_scope(self, rule_set: str, kind: str) -> str | None:
        """Why a device of ``kind`` is outside the scope of ``rule_set``, or None if inside."""
        scope = self.scope.get(rule_set)
        if scope is None or not scope.excludes(kind):
            return None
        return f"{scope.reason} ({scope.source})"

    def _suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name.lstrip("@"), list(self._by_id), n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""
