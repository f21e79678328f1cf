"""The requirement catalogue: load ``requirements.yaml``, index the features' tags, lint both.

The catalogue is the tag vocabulary (test262's ``features.txt``): a scenario may carry only
requirement IDs listed there, ``@pics-<item>`` for a declared PICS item, a rule set, a side,
and the flags ``@tentative``, ``@slow`` and ``@load``. Scenarios are never listed in the YAML:
:func:`scenario_index` reads them from the feature files with pytest-bdd's own Gherkin parser,
so the index sees exactly the scenarios and inherited (feature, rule) tags that pytest-bdd
binds. :func:`check_coverage` returns every problem as one line; ``tests/meta`` fails on any.
The types it loads into are in :mod:`conformance.catalogue_model`, importable from here too.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pytest_bdd.exceptions import GherkinParseError
from pytest_bdd.gherkin_parser import Scenario, get_gherkin_document

from hanota.conformance.catalogue_model import (
    FLAG_TAGS,
    LEVELS,
    MODALS,
    PROVENANCES,
    RULE_SETS,
    SIDES,
    TESTED_LEVELS,
    AsImplemented,
    Catalogue,
    Family,
    Requirement,
    ScenarioRef,
    Scope,
)
from hanota.protocol.errors import HarnessUsageError

__all__ = [
    "CATALOGUE_PATH",
    "FEATURES_DIR",
    "FLAG_TAGS",
    "LEVELS",
    "RULE_SETS",
    "SIDES",
    "TAG_PATTERN",
    "TESTED_LEVELS",
    "AsImplemented",
    "Catalogue",
    "CatalogueError",
    "Family",
    "Requirement",
    "ScenarioIndex",
    "Scope",
    "ScenarioInfo",
    "ScenarioRef",
    "Tag",
    "TagKind",
    "check_coverage",
    "check_levels",
    "load_catalogue",
    "parse_tag",
    "scenario_index",
]

CATALOGUE_PATH = Path(__file__).with_name("requirements.yaml")
#: Where the features live in a source checkout; absent from an installed wheel.
FEATURES_DIR = Path(__file__).resolve().parent.parent / "features"


#: A requirement ID, without the ``@`` (pytest-bdd strips it): SECMP7-<FAMILY>-NNN.
TAG_PATTERN = re.compile(r"^SECMP7-(?P<family>[A-Z]+)-(?P<number>[0-9]{3})$")
# Anything that looks like an attempt at a requirement tag, to name it as a typo.
_REQUIREMENT_LIKE = re.compile(r"^(?:SECMP|REQ)", re.IGNORECASE)
_PICS_ITEM = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_REQUIRED_KEYS = ("id", "title", "statement", "quote", "source", "level", "rules", "side", "pics")
_OPTIONAL_KEYS = ("as_implemented", "see_also", "provenance", "levels", "interpretation")
_TOP_KEYS = ("schema", "families", "pics_items", "pixit", "scope", "requirements")
#: The device kinds a PICS may declare (conformance/pics.py DEVICE_KINDS).
DEVICE_KINDS = ("ihd", "ppmid")


class CatalogueError(HarnessUsageError):
    """The catalogue file is malformed; ``problems`` lists every fault found, one line each."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.path}: {len(problems)} problem(s) in the requirement catalogue:\n{lines}")


# ------------------------------------------------------------------------- loading

#: libyaml's safe loader when PyYAML has it: the catalogue loads in a tenth of the time, which
#: every scenario run pays at start-up.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalogue(
    path: Path | str | None = None, *, features_dir: Path | str | None = FEATURES_DIR
) -> Catalogue:
    """Load and validate the catalogue; attach scenarios from ``features_dir`` if it exists.

    Raises :class:`CatalogueError` listing every problem (not just the first). Pass
    ``features_dir=None`` to skip the features (requirements then have no scenarios).
    """
    path = Path(path) if path is not None else CATALOGUE_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(path, [f"cannot read the file: {exc.strerror or exc}"]) from exc
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader, libyaml's when built)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise CatalogueError(path, [f"{where}not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    catalogue = _build(data, path)
    if features_dir is not None and Path(features_dir).is_dir():
        catalogue = catalogue.with_scenarios(scenario_index(features_dir))
    return catalogue


def _build(data: object, path: Path) -> Catalogue:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise CatalogueError(path, ["the file must be a mapping with a 'requirements' list"])
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(f"unknown top-level key {key!r}{_close(str(key), _TOP_KEYS)}")
    families = _families(data.get("families"), problems)
    pics_items = _str_mapping(data.get("pics_items", {}), "pics_items", problems)
    for item in pics_items:
        if not _PICS_ITEM.match(item):
            problems.append(f"pics_items: {item!r} is not lower-case words joined by '-'")
    pixit = data.get("pixit", {})
    if not isinstance(pixit, dict):
        problems.append("pixit: must be a mapping of parameter name to {default, meaning}")
        pixit = {}
    scope = _scope(data.get("scope", {}), problems)
    raw = data.get("requirements")
    if not isinstance(raw, list) or not raw:
        problems.append("requirements: must be a non-empty list")
        raw = []
    reqs: list[Requirement] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw, start=1):
        req = _requirement(i, entry, families, pics_items, problems)
        if req is None:
            continue
        if req.id in seen:
            problems.append(f"requirement #{i}: duplicate id {req.id} (first at #{seen[req.id]})")
            continue
        seen[req.id] = i
        reqs.append(req)
    for req in reqs:
        for other in req.see_also:
            if other not in seen:
                problems.append(f"{req.id}: see_also names unknown requirement {other!r}")
    if problems:
        raise CatalogueError(path, problems)
    return Catalogue(tuple(reqs), families, pics_items, pixit, str(path), scope)


def _scope(raw: object, problems: list[str]) -> dict[str, Scope]:
    if not isinstance(raw, dict):
        problems.append("scope: must map each rule set to {devices, reason, source}")
        return {}
    out: dict[str, Scope] = {}
    for rules, spec in raw.items():
        where = f"scope: {rules}"
        if rules not in RULE_SETS:
            problems.append(f"{where}: unknown rule set{_close(str(rules), RULE_SETS)}")
            continue
        if not isinstance(spec, dict) or set(spec) != {"devices", "reason", "source"}:
            problems.append(f"{where}: must have exactly 'devices', 'reason' and 'source'")
            continue
        devices = spec["devices"]
        if not isinstance(devices, list) or not devices or any(d not in DEVICE_KINDS for d in devices):
            problems.append(f"{where}: devices must be a non-empty list drawn from {', '.join(DEVICE_KINDS)}")
            continue
        if not all(isinstance(spec[k], str) and spec[k].strip() for k in ("reason", "source")):
            problems.append(f"{where}: reason and source must be non-empty strings")
            continue
        out[rules] = Scope(rules, tuple(devices), " ".join(spec["reason"].split()),
                           " ".join(spec["source"].split()))
    return out


def _families(raw: object, problems: list[str]) -> dict[str, Family]:
    if not isinstance(raw, dict) or not raw:
        problems.append("families: must map each family code to {title, feature}")
        return {}
    out: dict[str, Family] = {}
    for code, spec in raw.items():
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]+", code):
            problems.append(f"families: code {code!r} must be upper-case letters")
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("title"), str):
            problems.append(f"families: {code} needs a 'title'")
            continue
        feature = spec.get("feature")
        if feature is not None and not (isinstance(feature, str) and feature.endswith(".feature")):
            problems.append(f"families: {code} feature must be a '.feature' file name or null")
            feature = None
        out[code] = Family(code, spec["title"], feature)
    return out


def _str_mapping(raw: object, what: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                            for k, v in raw.items()):
        problems.append(f"{what}: must map names to one-line descriptions")
        return {}
    return dict(raw)


def _requirement(
    i: int, entry: object, families: Mapping[str, Family], pics_items: Mapping[str, str], problems: list[str]
) -> Requirement | None:
    if not isinstance(entry, dict):
        problems.append(f"requirement #{i}: must be a mapping, got {type(entry).__name__}")
        return None
    rid = entry.get("id")
    label = f"requirement #{i} ({rid})" if isinstance(rid, str) else f"requirement #{i}"
    before = len(problems)
    known = _REQUIRED_KEYS + _OPTIONAL_KEYS
    for key in entry:
        if key not in known:
            problems.append(f"{label}: unknown field {key!r}{_close(str(key), known)}")
    missing = [k for k in _REQUIRED_KEYS if k not in entry]
    if missing:
        problems.append(f"{label}: missing field(s) {', '.join(missing)}")
        return None
    m = TAG_PATTERN.match(rid) if isinstance(rid, str) else None
    if m is None:
        problems.append(f"{label}: id must look like SECMP7-<FAMILY>-NNN, e.g. SECMP7-IMG-001")
    elif m["family"] not in families:
        problems.append(f"{label}: family {m['family']!r} is not declared under 'families'")
    for key in ("title", "statement", "source"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            problems.append(f"{label}: {key} must be a non-empty string")
    if not isinstance(entry["quote"], str):
        problems.append(f"{label}: quote must be a string (\"\" where the minutes have no words for it)")
    level = entry["level"]
    if level not in LEVELS:
        problems.append(f"{label}: unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    rules = entry["rules"]
    if not isinstance(rules, list) or not rules or any(r not in RULE_SETS for r in rules):
        problems.append(f"{label}: rules must be a non-empty list drawn from "
                        f"{', '.join(RULE_SETS)}; got {rules!r}")
        rules = []
    if entry["side"] not in SIDES:
        problems.append(f"{label}: unknown side {entry['side']!r}; expected one of {', '.join(SIDES)}")
    pics = entry["pics"]
    if not isinstance(pics, list):
        problems.append(f"{label}: pics must be a list of PICS items (may be empty)")
        pics = []
    for item in pics:
        if item not in pics_items:
            problems.append(f"{label}: PICS item {item!r} is not declared under pics_items"
                            f"{_close(str(item), list(pics_items))}")
    provenance = entry.get("provenance", "minutes" if str(entry["source"]).startswith("minutes")
                           else "standard")
    if provenance not in PROVENANCES:
        problems.append(f"{label}: unknown provenance {provenance!r}; expected one of "
                        f"{', '.join(PROVENANCES)}")
    levels = entry.get("levels", {})
    if not isinstance(levels, dict) or any(k not in rules or v not in LEVELS for k, v in levels.items()):
        problems.append(f"{label}: levels must map rule sets it belongs to ({', '.join(rules)}) to levels "
                        f"({', '.join(LEVELS)}); got {levels!r}")
        levels = {}
    if "minutes-only" in (level, *levels.values()) and provenance != "minutes-only":
        problems.append(f"{label}: level minutes-only needs provenance minutes-only")
    if level == "minutes-only":
        problems.append(f"{label}: minutes-only is a level under a rule set (levels:), not the main level")
    interpretation = entry.get("interpretation", "")
    if not isinstance(interpretation, str):
        problems.append(f"{label}: interpretation must be a string (the reason)")
        interpretation = ""
    as_impl = _as_implemented(label, entry.get("as_implemented"), problems)
    see_also = entry.get("see_also", [])
    if not isinstance(see_also, list) or not all(isinstance(s, str) for s in see_also):
        problems.append(f"{label}: see_also must be a list of requirement IDs")
        see_also = []
    if len(problems) > before or m is None or not isinstance(rid, str):
        return None
    return Requirement(
        id=rid, family=m["family"], number=int(m["number"]), title=entry["title"].strip(),
        statement=" ".join(entry["statement"].split()), quote=" ".join(entry["quote"].split()),
        source=" ".join(entry["source"].split()), level=level, rules=tuple(rules), side=entry["side"],
        pics=tuple(pics), as_implemented=as_impl, see_also=tuple(see_also), provenance=provenance,
        levels=dict(levels), interpretation=" ".join(interpretation.split()),
    )


def _as_implemented(label: str, raw: object, problems: list[str]) -> AsImplemented | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"note", "source"} or not all(
        isinstance(v, str) and v.strip() for v in raw.values()
    ):
        problems.append(f"{label}: as_implemented must have exactly a 'note' and a 'source' "
                        "(non-empty strings)")
        return None
    return AsImplemented(" ".join(raw["note"].split()), " ".join(raw["source"].split()))


def _close(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ------------------------------------------------------------------------- levels


def check_levels(catalogue: Catalogue) -> list[str]:
    """Every requirement whose level its source does not carry, one line each.

    A level is justified by a quoted sentence with a word of its strength (:data:`MODALS`:
    shall / must / will for mandatory, may for optional, should / proposed / suggested for
    proposed), or the entry says in ``interpretation`` why the level is read into its source.
    Informative entries need neither; minutes-only needs the as_implemented note that says the
    SEC as implemented has no such rule.
    """
    problems: list[str] = []
    for req in catalogue:
        for level in dict.fromkeys((req.level, *req.levels.values())):
            if level == "informative":
                continue
            if level == "minutes-only":
                if req.as_implemented is None:
                    problems.append(f"{req.id}: level minutes-only needs an as_implemented note saying "
                                    "the SEC as implemented has no such rule")
                continue
            words = MODALS.get(level, ())
            if req.interpretation or _has_word(req.quote, words):
                continue
            said = f"its quote has none of {', '.join(words)}" if req.quote else "it has no quote"
            problems.append(f"{req.id}: level {level} is not justified: {said}; quote a sentence "
                            "that says it, lower the level, or give the reason in 'interpretation'")
    return problems


def _has_word(text: str, words: Iterable[str]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE) for w in words)


# ------------------------------------------------------------------------- tags


class TagKind(enum.StrEnum):
    REQUIREMENT = "requirement"
    PICS = "pics"
    RULES = "rules"
    SIDE = "side"
    FLAG = "flag"


class Tag(NamedTuple):
    kind: TagKind
    value: str


def parse_tag(tag: str) -> Tag | None:
    """Classify one tag (with or without ``@``) by form; None if outside the vocabulary.

    Forms only: whether a requirement ID or PICS item exists is the catalogue's to say
    (:func:`check_coverage`). The pytest plugin maps these to ``mark.requirement(id)``,
    ``mark.pics(item)`` and so on, keeping ``--strict-markers`` on.
    """
    name = tag.lstrip("@")
    if TAG_PATTERN.match(name):
        return Tag(TagKind.REQUIREMENT, name)
    prefix, _, rest = name.partition("-")
    if prefix == "pics" and _PICS_ITEM.match(rest):
        return Tag(TagKind.PICS, rest)
    if prefix == "rules" and rest in RULE_SETS:
        return Tag(TagKind.RULES, rest)
    if prefix == "side" and rest in ("device", "dcc"):
        return Tag(TagKind.SIDE, rest)
    if name in FLAG_TAGS:
        return Tag(TagKind.FLAG, name)
    return None


def _vocabulary(catalogue: Catalogue) -> list[str]:
    return (
        [r.id for r in catalogue]
        + [f"pics-{p}" for p in catalogue.pics_items]
        + [f"rules-{r}" for r in RULE_SETS]
        + ["side-device", "side-dcc"]
        + list(FLAG_TAGS)
    )


# ------------------------------------------------------------------------- features


@dataclass(frozen=True)
class ScenarioInfo:
    """A scenario as pytest-bdd will bind it, with its effective (feature+rule+own) tags."""

    ref: ScenarioRef
    line: int
    tags: frozenset[str]
    rule: str
    outline: bool
    examples_tags: frozenset[str] = frozenset()

    @property
    def where(self) -> str:
        return f"{self.ref.feature}:{self.line} '{self.ref.scenario}'"


class ScenarioIndex(dict[str, list[ScenarioRef]]):
    """``{requirement tag: [(feature, scenario), ...]}`` plus every scenario and parse problems.

    Keys are every requirement-like tag found (typos included, so they can be reported).
    """

    def __init__(self) -> None:
        super().__init__()
        self.scenarios: list[ScenarioInfo] = []
        self.problems: list[str] = []


def scenario_index(features_dir: Path | str = FEATURES_DIR) -> ScenarioIndex:
    """Parse every ``*.feature`` under ``features_dir`` and index scenarios by requirement tag."""
    index = ScenarioIndex()
    for path in sorted(Path(features_dir).glob("*.feature")):
        _index_feature(path, index)
    return index


def _tag_names(tags: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(t.name).lstrip("@") for t in tags)


def _index_feature(path: Path, index: ScenarioIndex) -> None:
    try:
        doc = get_gherkin_document(str(path))
    except GherkinParseError as exc:
        message = " ".join(exc.message.split())
        index.problems.append(f"{path.name}:{exc.line}: Gherkin does not parse: {message}")
        return
    feature = doc.feature
    if feature is None:
        index.problems.append(f"{path.name}: no Feature")
        return
    feature_tags = _tag_names(feature.tags)
    seen: dict[str, int] = {}

    def add(scenario: Scenario, rule_name: str, rule_tags: frozenset[str]) -> None:
        info = ScenarioInfo(
            ref=ScenarioRef(path.name, scenario.name),
            line=scenario.location.line,
            tags=feature_tags | rule_tags | _tag_names(scenario.tags),
            rule=rule_name,
            outline=bool(scenario.examples),
            examples_tags=frozenset().union(*(_tag_names(e.tags) for e in scenario.examples)),
        )
        if scenario.name in seen:
            # pytest-bdd keys scenarios by name: the later one would silently replace the first.
            first = seen[scenario.name]
            index.problems.append(f"{info.where}: duplicate scenario title (first at line {first})")
        seen.setdefault(scenario.name, info.line)
        index.scenarios.append(info)
        for tag in sorted(info.tags):
            if TAG_PATTERN.match(tag) or _REQUIREMENT_LIKE.match(tag):
                index.setdefault(tag, []).append(info.ref)

    for child in feature.children:
        if child.scenario is not None:
            add(child.scenario, "", frozenset())
        elif child.rule is not None:
            rule_tags = _tag_names(child.rule.tags)
            for rchild in child.rule.children:
                if rchild.scenario is not None:
                    add(rchild.scenario, child.rule.name, rule_tags)


# ------------------------------------------------------------------------- lint


def check_coverage(catalogue: Catalogue, index: Mapping[str, list[ScenarioRef]]) -> list[str]:
    """Every problem between catalogue and features, one line each; empty when all is well.

    Checks: mandatory requirements have a scenario (on each side and under each rule set they
    apply to); tags are in the vocabulary and name known requirements and PICS items; each
    scenario names a requirement and exactly one side consistent with it, carries the PICS
    items its requirements need, is ``@tentative`` when they are open questions, and names a
    rule set only one its requirements apply to; informative requirements have no scenario.
    """
    problems: list[str] = []
    scenarios: list[ScenarioInfo] = []
    if isinstance(index, ScenarioIndex):
        problems.extend(index.problems)
        scenarios = index.scenarios
    vocabulary = _vocabulary(catalogue)

    for tag in index:
        if tag not in catalogue:
            refs = ", ".join(f"{f} '{s}'" for f, s in index[tag])
            problems.append(f"unknown requirement tag @{tag}{_close(tag, catalogue.ids)} in {refs}")

    for sc in scenarios:
        problems.extend(_check_scenario(sc, catalogue, vocabulary))

    for req in catalogue:
        problems.extend(_check_requirement(req, index.get(req.id, []), scenarios))
    return problems


def _check_scenario(sc: ScenarioInfo, catalogue: Catalogue, vocabulary: list[str]) -> list[str]:
    out: list[str] = []
    if sc.examples_tags:
        # pytest-bdd turns Examples tags straight into marks, bypassing pytest_bdd_apply_tag.
        out.append(f"{sc.where}: tags on Examples are not allowed (@{', @'.join(sorted(sc.examples_tags))}); "
                   "tag the scenario or split it")
    reqs: list[Requirement] = []
    sides: set[str] = set()
    rules: set[str] = set()
    pics: set[str] = set()
    for tag in sorted(sc.tags):
        parsed = parse_tag(tag)
        if parsed is None:
            if not (TAG_PATTERN.match(tag) or _REQUIREMENT_LIKE.match(tag)):
                out.append(f"{sc.where}: tag @{tag} is not in the vocabulary{_close(tag, vocabulary)}")
            continue  # requirement-like typos are reported once, from the index
        if parsed.kind is TagKind.REQUIREMENT:
            req = catalogue.get(parsed.value)
            if req is not None:
                reqs.append(req)
        elif parsed.kind is TagKind.PICS:
            if parsed.value not in catalogue.pics_items:
                out.append(f"{sc.where}: @pics-{parsed.value} is not a declared PICS item"
                           f"{_close(tag, vocabulary)}")
            pics.add(parsed.value)
        elif parsed.kind is TagKind.SIDE:
            sides.add(parsed.value)
        elif parsed.kind is TagKind.RULES:
            rules.add(parsed.value)
    if not any(TAG_PATTERN.match(t) or _REQUIREMENT_LIKE.match(t) for t in sc.tags):
        out.append(f"{sc.where}: names no requirement (add a @SECMP7-... tag)")
    if len(sides) != 1:
        out.append(f"{sc.where}: needs exactly one of @side-device / @side-dcc, has {len(sides)}")
    for req in reqs:
        if req.level == "informative":
            out.append(f"{sc.where}: verifies informative requirement {req.id}, "
                       "which has no behaviour to test")
        if sides and req.side != "both" and req.side not in sides:
            out.append(f"{sc.where}: @side-{min(sides)} but {req.id} is checked on the {req.side} side")
        missing = [p for p in req.pics if p not in pics]
        if missing:
            out.append(f"{sc.where}: {req.id} needs @pics-{', @pics-'.join(missing)}")
        if req.level == "open-question" and "tentative" not in sc.tags:
            out.append(f"{sc.where}: {req.id} is an open question, so the scenario must be @tentative")
        for rule in rules:
            if rule not in req.rules:
                out.append(f"{sc.where}: @rules-{rule} but {req.id} applies only under "
                           f"{', '.join(req.rules)}")
    return out


def _check_requirement(req: Requirement, refs: list[ScenarioRef], scenarios: list[ScenarioInfo]) -> list[str]:
    if req.level != "mandatory":
        return []
    if not refs:
        return [f"mandatory requirement {req.id} ({req.title}) has no scenario: tag one with @{req.id}"]
    mine = [s for s in scenarios if req.id in s.tags]
    if not mine:  # a plain mapping was given: only presence can be checked
        return []
    out: list[str] = []
    wanted_sides = ("device", "dcc") if req.side == "both" else (req.side,)
    for side in wanted_sides:
        if not any(f"side-{side}" in s.tags for s in mine):
            out.append(f"mandatory requirement {req.id} is checked on the {side} side "
                       f"but has no @side-{side} scenario")
    for rule in req.rules:
        # A scenario without a rules tag runs under both rule sets.
        if not any(f"rules-{rule}" in s.tags or not (s.tags & {"rules-wg-2016", "rules-as-implemented"})
                   for s in mine):
            out.append(f"mandatory requirement {req.id} has no scenario that runs under rules {rule}")
    return out
