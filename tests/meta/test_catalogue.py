"""Lint of the requirement catalogue and the feature files' tags (STYLE item 14).

The first group runs over the real ``conformance/requirements.yaml`` and ``features/``; it is
the coverage check of issue 5. The rest pin the loader's and the linter's messages on small
catalogues and features written to ``tmp_path``.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser

from hanota.conformance.catalogue import (
    FEATURES_DIR,
    Catalogue,
    CatalogueError,
    Tag,
    TagKind,
    check_coverage,
    check_levels,
    load_catalogue,
    parse_tag,
    scenario_index,
)

# ----------------------------------------------------------------- the real catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_catalogue_loads_and_is_substantial(catalogue: Catalogue) -> None:
    assert len(catalogue) >= 40
    assert {"IMG", "FRAG", "SUP", "ALERT", "HHT", "INV", "AUTH", "OTA", "ACT", "REF", "INFO"} <= set(
        catalogue.families
    )
    for level in ("mandatory", "optional", "informative", "open-question"):
        assert catalogue.by_level(level), level


def test_features_and_catalogue_agree(catalogue: Catalogue) -> None:
    problems = check_coverage(catalogue, scenario_index(FEATURES_DIR))
    assert not problems, "\n".join(problems)


def test_every_mandatory_requirement_has_a_scenario(catalogue: Catalogue) -> None:
    bare = [r.id for r in catalogue.by_level("mandatory") if not r.scenarios]
    assert not bare


def test_requirements_sourced_from_the_minutes_quote_them(catalogue: Catalogue) -> None:
    unquoted = [r.id for r in catalogue if r.source.startswith("minutes") and not r.quote]
    assert not unquoted


def test_each_family_feature_file_exists_and_holds_its_scenarios(catalogue: Catalogue) -> None:
    for family in catalogue.families.values():
        if family.feature is None:
            assert all(r.level == "informative" for r in catalogue.by_family(family.code))
            continue
        assert (FEATURES_DIR / family.feature).is_file(), family.feature
        for req in catalogue.by_family(family.code):
            # A requirement's scenarios live in its family's file (others may tag it too).
            if req.scenarios:
                assert family.feature in {s.feature for s in req.scenarios}, req.id


def test_index_sees_what_pytest_bdd_binds() -> None:
    index = scenario_index(FEATURES_DIR)
    for path in sorted(FEATURES_DIR.glob("*.feature")):
        feature = FeatureParser(str(FEATURES_DIR), path.name).parse()
        ours = {s.ref.scenario: s.tags for s in index.scenarios if s.ref.feature == path.name}
        assert set(ours) == set(feature.scenarios), path.name
        for name, template in feature.scenarios.items():
            rule_tags = template.rule.tags if template.rule else set()
            assert ours[name] == template.tags | feature.tags | rule_tags, name


def test_as_implemented_differences_are_recorded(catalogue: Catalogue) -> None:
    notes = {r.id: r.as_implemented for r in catalogue if r.as_implemented}
    text = " ".join(n.note for n in notes.values())
    for fact in ("SR 11.4", "Image Discarded", "0x8F8B"):
        assert fact in text, fact
    assert "IHD" in catalogue["SECMP7-INFO-004"].statement
    assert catalogue["SECMP7-ALERT-003"].rules == ("wg-2016",)
    assert catalogue["SECMP7-ALERT-004"].rules == ("as-implemented",)


SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed"


def test_every_level_is_justified_by_its_quote_or_marked_as_an_interpretation(catalogue: Catalogue) -> None:
    problems = check_levels(catalogue)
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not SEED.is_dir(), reason="the working-group minutes are not beside the checkout")
def test_quotes_are_the_minutes_own_words(catalogue: Catalogue) -> None:
    minutes = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(SEED.glob("*.txt")))
    wrong = []
    for req in catalogue:
        for piece in req.quote.split("[...]"):
            piece = " ".join(piece.split()).strip(' "')
            if piece and piece not in minutes:
                wrong.append(f"{req.id}: {piece[:80]!r}")
    assert not wrong, "quotes that are not verbatim in the minutes:\n" + "\n".join(wrong)


def test_requirements_whose_only_source_is_the_minutes_say_so(catalogue: Catalogue) -> None:
    # the 750 kB limit, the HHT ban, consumer refusal, the removal of alert (b) (domain.md §2b)
    for rid in ("SECMP7-IMG-001", "SECMP7-IMG-002", "SECMP7-HHT-001", "SECMP7-HHT-002",
                "SECMP7-REF-001", "SECMP7-ALERT-003"):
        req = catalogue[rid]
        assert req.provenance == "minutes-only", rid
        assert req.level_under("as-implemented") in (None, "minutes-only"), rid
        assert not req.applies("as-implemented"), rid
    assert catalogue["SECMP7-IMG-002"].level_text() == "wg-2016: mandatory; as-implemented: minutes-only"
    assert "minutes-only" in catalogue["SECMP7-HHT-001"].why_not("as-implemented")
    assert catalogue["SECMP7-ALERT-004"].level_under("wg-2016") is None


def test_relevelled_requirements(catalogue: Catalogue) -> None:
    assert catalogue["SECMP7-ALERT-003"].level == "informative"  # (b) not required, not forbidden
    for rid in ("SECMP7-ALERT-006", "SECMP7-ALERT-007"):  # suggested / proposed, no figures
        assert catalogue[rid].level == "proposed", rid
    assert "image_capacity_bytes" in catalogue["SECMP7-IMG-003"].statement
    for rid in ("SECMP7-ALERT-009", "SECMP7-ALERT-010"):
        assert catalogue[rid].level == "open-question" and catalogue[rid].quote, rid
    for rid in ("SECMP7-INFO-005", "SECMP7-INFO-006", "SECMP7-INFO-007"):
        assert catalogue[rid].level == "informative" and catalogue[rid].quote, rid


def test_unjustified_level_is_named(tmp_path: Path) -> None:
    cat = load_catalogue(_write(tmp_path, _GOOD), features_dir=None)
    (problem,) = check_levels(cat)
    assert problem.startswith("SECMP7-IMG-001: level mandatory is not justified: its quote has none of "
                              "shall, must, will"), problem
    cat = load_catalogue(_write(tmp_path, _GOOD.replace("quote: q", "quote: The limit shall hold.")),
                         features_dir=None)
    assert check_levels(cat) == []
    cat = load_catalogue(_write(tmp_path, _GOOD.replace("level: mandatory", "level: mandatory\n"
                                                        "    interpretation: read from the limit")),
                         features_dir=None)
    assert check_levels(cat) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("level: mandatory", "level: mandatory\n    levels: {as-implemented: minutes-only}",
         "level minutes-only needs provenance minutes-only"),
        ("level: mandatory", "level: mandatory\n    levels: {wg-2017: optional}", "levels must map"),
        ("level: mandatory", "level: mandatory\n    provenance: folklore", "unknown provenance"),
    ],
)
def test_level_field_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = _problems(tmp_path, _GOOD.replace(old, new))
    assert any(expected in p for p in problems), problems


def test_the_final_scope_drops_ihds(catalogue: Catalogue) -> None:
    assert catalogue.out_of_scope("wg-2016", "ihd") is None
    assert catalogue.out_of_scope("as-implemented", "ppmid") is None
    reason = catalogue.out_of_scope("as-implemented", "ihd")
    assert reason is not None and "IHDs were dropped from the final scope" in reason


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("scope: []\n", "scope: must map each rule set"),
        ("scope:\n  wg-2017: {devices: [ihd], reason: r, source: s}\n",
         "scope: wg-2017: unknown rule set (did you mean 'wg-2016'?)"),
        ("scope:\n  wg-2016: {devices: [ihd]}\n", "must have exactly 'devices', 'reason' and 'source'"),
        ("scope:\n  wg-2016: {devices: [hcalcs], reason: r, source: s}\n",
         "devices must be a non-empty list drawn from ihd, ppmid"),
    ],
)
def test_scope_errors(tmp_path: Path, scope: str, expected: str) -> None:
    problems = _problems(tmp_path, _GOOD, head=_HEAD.replace("requirements:", scope + "requirements:"))
    assert any(expected in p for p in problems), problems


def test_size_limit_choice_is_recorded(catalogue: Catalogue) -> None:
    assert catalogue.pixit["max_image_bytes"]["default"] == 750 * 1024


# ----------------------------------------------------------------- lookups and tags


def test_lookup_by_id_with_or_without_at(catalogue: Catalogue) -> None:
    req = catalogue["@SECMP7-IMG-001"]
    assert req is catalogue["SECMP7-IMG-001"]
    assert "SECMP7-IMG-001" in catalogue and "@SECMP7-IMG-001" in catalogue
    assert req.family == "IMG" and req.number == 1 and req.tag == "@SECMP7-IMG-001"
    assert catalogue.get("SECMP7-IMG-999") is None


def test_unknown_id_suggests_the_nearest(catalogue: Catalogue) -> None:
    with pytest.raises(KeyError, match="did you mean 'SECMP7-IMG-001'"):
        catalogue["SECMP7-IMG-01"]


def test_requirement_is_frozen(catalogue: Catalogue) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalogue["SECMP7-IMG-001"].level = "optional"  # type: ignore[misc]


def test_filters(catalogue: Catalogue) -> None:
    assert all(r.family == "OTA" for r in catalogue.by_family("OTA"))
    assert catalogue["SECMP7-ALERT-003"] not in catalogue.for_rules("as-implemented")
    with pytest.raises(ValueError, match="unknown level"):
        catalogue.by_level("must")
    with pytest.raises(ValueError, match="unknown rule set"):
        catalogue.for_rules("2016")


@pytest.mark.parametrize(
    ("tag", "parsed"),
    [
        ("@SECMP7-IMG-001", Tag(TagKind.REQUIREMENT, "SECMP7-IMG-001")),
        ("SECMP7-ALERT-012", Tag(TagKind.REQUIREMENT, "SECMP7-ALERT-012")),
        ("pics-consumer-refusal", Tag(TagKind.PICS, "consumer-refusal")),
        ("rules-wg-2016", Tag(TagKind.RULES, "wg-2016")),
        ("rules-as-implemented", Tag(TagKind.RULES, "as-implemented")),
        ("side-dcc", Tag(TagKind.SIDE, "dcc")),
        ("tentative", Tag(TagKind.FLAG, "tentative")),
        ("slow", Tag(TagKind.FLAG, "slow")),
        ("load", Tag(TagKind.FLAG, "load")),
        ("SECMP7-IMG-1", None),
        ("secmp7-img-001", None),
        ("side-both", None),
        ("rules-2016", None),
        ("pics-", None),
        ("Tentative", None),
    ],
)
def test_parse_tag(tag: str, parsed: Tag | None) -> None:
    assert parse_tag(tag) == parsed


# ----------------------------------------------------------------- loader errors

_HEAD = """\
schema: 1
families:
  IMG: {title: Image size limit, feature: image_size_limit.feature}
pics_items:
  fragmentation: reassembles fragments
requirements:
"""

_GOOD = """\
  - id: SECMP7-IMG-001
    title: t
    statement: s
    quote: q
    source: minutes
    level: mandatory
    rules: [wg-2016, as-implemented]
    side: device
    pics: []
"""


def _write(tmp_path: Path, body: str, head: str = _HEAD) -> Path:
    path = tmp_path / "requirements.yaml"
    path.write_text(head + body, encoding="utf-8")
    return path


def _problems(tmp_path: Path, body: str, head: str = _HEAD) -> list[str]:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, body, head), features_dir=None)
    assert str(info.value).startswith(str(tmp_path))
    return info.value.problems


def test_minimal_catalogue_loads(tmp_path: Path) -> None:
    cat = load_catalogue(_write(tmp_path, _GOOD), features_dir=None)
    assert cat.ids == ("SECMP7-IMG-001",)
    assert cat["SECMP7-IMG-001"].scenarios == ()


def test_duplicate_id(tmp_path: Path) -> None:
    assert _problems(tmp_path, _GOOD + _GOOD) == ["requirement #2: duplicate id SECMP7-IMG-001 (first at #1)"]


def test_unknown_level_lists_the_levels(tmp_path: Path) -> None:
    (p,) = _problems(tmp_path, _GOOD.replace("mandatory", "mandatry"))
    assert p == (
        "requirement #1 (SECMP7-IMG-001): unknown level 'mandatry'; "
        "expected one of mandatory, optional, proposed, informative, open-question, minutes-only"
    )


def test_missing_fields(tmp_path: Path) -> None:
    body = "".join(line + "\n" for line in _GOOD.splitlines() if "quote" not in line and "side" not in line)
    assert _problems(tmp_path, body) == ["requirement #1 (SECMP7-IMG-001): missing field(s) quote, side"]


def test_misspelt_field_is_named_with_a_suggestion(tmp_path: Path) -> None:
    (p, _) = _problems(tmp_path, _GOOD.replace("statement:", "statment:"))
    assert p == "requirement #1 (SECMP7-IMG-001): unknown field 'statment' (did you mean 'statement'?)"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("SECMP7-IMG-001", "IMG-1", "id must look like SECMP7-<FAMILY>-NNN"),
        ("SECMP7-IMG-001", "SECMP7-SIZE-001", "family 'SIZE' is not declared"),
        ("side: device", "side: hub", "unknown side 'hub'"),
        ("rules: [wg-2016, as-implemented]", "rules: [wg-2017]", "rules must be a non-empty list"),
        ("pics: []", "pics: [fragmentaton]", "'fragmentaton' is not declared under pics_items (did you mean"),
        ("statement: s", "statement: ''", "statement must be a non-empty string"),
        ("quote: q", "quote: [q]", "quote must be a string"),
        ("pics: []", "pics: []\n    as_implemented: {note: n}", "as_implemented must have exactly"),
        ("pics: []", "pics: []\n    see_also: [SECMP7-IMG-009]", "see_also names unknown requirement"),
    ],
)
def test_field_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = _problems(tmp_path, _GOOD.replace(old, new))
    assert any(expected in p for p in problems), problems


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    body = _GOOD.replace("mandatory", "must") + _GOOD.replace("SECMP7-IMG-001", "SECMP7-IMG-002").replace(
        "side: device", "side: hub"
    )
    assert len(_problems(tmp_path, body)) == 2


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    (p,) = _problems(tmp_path, "  - id: [unclosed\n")
    # libyaml says "did not find expected", PyYAML's own parser "expected"
    assert p.startswith("line 8, column 1: not valid YAML: "), p
    assert p.endswith("expected ',' or ']'"), p


def test_top_level_shape(tmp_path: Path) -> None:
    assert _problems(tmp_path, "", head="- just a list\n") == [
        "the file must be a mapping with a 'requirements' list"
    ]
    problems = _problems(tmp_path, "", head=_HEAD.replace("requirements:", "requirement: []\nrequirements:"))
    assert "unknown top-level key 'requirement' (did you mean 'requirements'?)" in problems
    assert "requirements: must be a non-empty list" in problems


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read the file"):
        load_catalogue(tmp_path / "nope.yaml", features_dir=None)


# ----------------------------------------------------------------- coverage lint

_LINT_CATALOGUE = _HEAD.replace(
    "  fragmentation: reassembles fragments\n",
    "  fragmentation: reassembles fragments\n  resume: resumes downloads\n",
) + "".join(
    _GOOD.replace("SECMP7-IMG-001", rid)
    .replace("level: mandatory", f"level: {level}")
    .replace("side: device", f"side: {side}")
    .replace("pics: []", f"pics: [{pics}]")
    .replace("[wg-2016, as-implemented]", f"[{rules}]")
    for rid, level, side, pics, rules in [
        ("SECMP7-IMG-001", "mandatory", "device", "", "wg-2016, as-implemented"),
        ("SECMP7-IMG-002", "mandatory", "dcc", "", "wg-2016"),
        ("SECMP7-IMG-003", "optional", "device", "fragmentation", "wg-2016, as-implemented"),
        ("SECMP7-IMG-004", "open-question", "device", "", "wg-2016"),
        ("SECMP7-IMG-005", "informative", "both", "", "wg-2016"),
        ("SECMP7-IMG-006", "mandatory", "both", "", "wg-2016, as-implemented"),
    ]
)

_CLEAN_FEATURE = """\
Feature: Lint fixture
  Rule: SECMP7-IMG-001
    @SECMP7-IMG-001 @side-device
    Scenario: one
      Given the device runs image "original"

    @SECMP7-IMG-002 @side-dcc @rules-wg-2016
    Scenario: two
      Given the device runs image "original"

    @SECMP7-IMG-006 @side-dcc
    Scenario: three
      Given the device runs image "original"

    @SECMP7-IMG-006 @side-device
    Scenario: four
      Given the device runs image "original"
"""


def _lint(tmp_path: Path, extra: str = "", base: str = _CLEAN_FEATURE) -> list[str]:
    cat_path = tmp_path / "requirements.yaml"
    cat_path.write_text(_LINT_CATALOGUE, encoding="utf-8")
    features = tmp_path / "features"
    features.mkdir(exist_ok=True)
    (features / "lint.feature").write_text(
        base + textwrap.indent(textwrap.dedent(extra), "    "), encoding="utf-8"
    )
    cat = load_catalogue(cat_path, features_dir=features)
    return check_coverage(cat, scenario_index(features))


def _one(problems: list[str], fragment: str) -> str:
    hits = [p for p in problems if fragment in p]
    assert len(hits) == 1, problems
    return hits[0]


def test_clean_fixture_has_no_problems(tmp_path: Path) -> None:
    assert _lint(tmp_path) == []


def test_mandatory_requirement_without_scenario(tmp_path: Path) -> None:
    problems = _lint(
        tmp_path, base=_CLEAN_FEATURE.replace("@SECMP7-IMG-001 @side-device", "@SECMP7-IMG-006 @side-device")
    )
    assert _one(problems, "IMG-001") == (
        "mandatory requirement SECMP7-IMG-001 (t) has no scenario: tag one with @SECMP7-IMG-001"
    )


def test_mandatory_both_sides_needs_a_scenario_per_side(tmp_path: Path) -> None:
    problems = _lint(
        tmp_path, base=_CLEAN_FEATURE.replace("@SECMP7-IMG-006 @side-dcc", "@SECMP7-IMG-001 @side-device")
    )
    assert "checked on the dcc side but has no @side-dcc scenario" in _one(problems, "IMG-006")


def test_mandatory_requirement_needs_a_scenario_under_each_rule_set(tmp_path: Path) -> None:
    problems = _lint(
        tmp_path,
        base=_CLEAN_FEATURE.replace(
            "@SECMP7-IMG-001 @side-device", "@SECMP7-IMG-001 @side-device @rules-wg-2016"
        ),
    )
    assert "no scenario that runs under rules as-implemented" in _one(problems, "IMG-001")


def test_unknown_requirement_tag_is_named_with_suggestion(tmp_path: Path) -> None:
    problems = _lint(
        tmp_path,
        """
        @SECMP7-IMG-099 @side-device
        Scenario: five
          Given the device runs image "original"
    """,
    )
    hit = _one(problems, "IMG-099")
    assert hit.startswith("unknown requirement tag @SECMP7-IMG-099") and hit.endswith(
        "in lint.feature 'five'"
    )


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("@SECMP7-IMG-01", "unknown requirement tag @SECMP7-IMG-01 (did you mean 'SECMP7-IMG-001'?)"),
        ("@REQ-SIZE-001", "unknown requirement tag @REQ-SIZE-001"),
        (
            "@pics-fragmentaton",
            "@pics-fragmentaton is not a declared PICS item (did you mean 'pics-fragmentation'?)",
        ),
        ("@side-both", "tag @side-both is not in the vocabulary"),
        ("@tenative", "tag @tenative is not in the vocabulary (did you mean 'tentative'?)"),
        ("@rules-wg2016", "tag @rules-wg2016 is not in the vocabulary (did you mean 'rules-wg-2016'?)"),
    ],
)
def test_tag_typos(tmp_path: Path, tag: str, expected: str) -> None:
    problems = _lint(
        tmp_path,
        f"""
        @SECMP7-IMG-001 @side-device {tag}
        Scenario: five
          Given the device runs image "original"
    """,
    )
    assert expected in _one(problems, tag.lstrip("@"))


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("@SECMP7-IMG-001", "needs exactly one of @side-device / @side-dcc, has 0"),
        ("@SECMP7-IMG-001 @side-device @side-dcc", "needs exactly one of @side-device / @side-dcc, has 2"),
        ("@side-device", "names no requirement"),
        ("@SECMP7-IMG-002 @side-device", "@side-device but SECMP7-IMG-002 is checked on the dcc side"),
        ("@SECMP7-IMG-003 @side-device", "SECMP7-IMG-003 needs @pics-fragmentation"),
        (
            "@SECMP7-IMG-004 @side-device",
            "SECMP7-IMG-004 is an open question, so the scenario must be @tentative",
        ),
        ("@SECMP7-IMG-005 @side-device", "verifies informative requirement SECMP7-IMG-005"),
        (
            "@SECMP7-IMG-002 @side-dcc @rules-as-implemented",
            "@rules-as-implemented but SECMP7-IMG-002 applies only under wg-2016",
        ),
    ],
)
def test_scenario_consistency(tmp_path: Path, tags: str, expected: str) -> None:
    problems = _lint(
        tmp_path,
        f"""
        {tags}
        Scenario: five
          Given the device runs image "original"
    """,
    )
    hit = _one(problems, expected)
    assert hit.startswith("lint.feature:"), hit
    assert "'five'" in hit


def test_open_question_tentative_and_optional_pics_pass(tmp_path: Path) -> None:
    assert (
        _lint(
            tmp_path,
            """
        @SECMP7-IMG-004 @side-device @tentative
        Scenario: five
          Given the device runs image "original"

        @SECMP7-IMG-003 @side-device @pics-fragmentation @slow @load
        Scenario: six
          Given the device runs image "original"
    """,
        )
        == []
    )


def test_tags_on_examples_are_refused(tmp_path: Path) -> None:
    problems = _lint(
        tmp_path,
        """
        @SECMP7-IMG-001 @side-device
        Scenario Outline: five <n>
          Given the device runs image "<n>"

          @slow
          Examples:
            | n |
            | a |
    """,
    )
    assert "tags on Examples are not allowed (@slow)" in _one(problems, "Examples")


def test_duplicate_scenario_titles(tmp_path: Path) -> None:
    problems = _lint(
        tmp_path,
        """
        @SECMP7-IMG-001 @side-device
        Scenario: one
          Given the device runs image "original"
    """,
    )
    assert "duplicate scenario title (first at line 4)" in _one(problems, "duplicate")


def test_feature_and_rule_tags_are_inherited(tmp_path: Path) -> None:
    base = "@tentative\n" + _CLEAN_FEATURE.replace(
        "  Rule: SECMP7-IMG-001\n", "  @side-device\n  Rule: SECMP7-IMG-001\n"
    )
    base = base.replace("@SECMP7-IMG-001 @side-device\n", "@SECMP7-IMG-001\n")
    features = tmp_path / "features"
    features.mkdir()
    (features / "x.feature").write_text(base, encoding="utf-8")
    index = scenario_index(features)
    one = next(s for s in index.scenarios if s.ref.scenario == "one")
    assert {"tentative", "side-device", "SECMP7-IMG-001"} <= one.tags
    assert index["SECMP7-IMG-001"] == [("x.feature", "one")]


def test_unparsable_feature_is_a_problem(tmp_path: Path) -> None:
    broken = "Feature: broken\n  Scenario: s\n    Given x\n      | a |\n      | b | c |\n"
    problems = _lint(tmp_path, base=broken)
    assert _one(problems, "Gherkin does not parse") == (
        "lint.feature:5: Gherkin does not parse: Unknown parsing error: Parser errors: "
        "(5:7): inconsistent cell count within the table"
    )


def test_plain_mapping_index_checks_presence_only(tmp_path: Path) -> None:
    cat_path = tmp_path / "requirements.yaml"
    cat_path.write_text(_LINT_CATALOGUE, encoding="utf-8")
    cat = load_catalogue(cat_path, features_dir=None)
    problems = check_coverage(
        cat, {"SECMP7-IMG-001": [("f.feature", "s")], "SECMP7-IMG-777": [("f.feature", "t")]}
    )
    assert any(p.startswith("unknown requirement tag @SECMP7-IMG-777") for p in problems)
    assert sum("has no scenario" in p for p in problems) == 2  # IMG-002 and IMG-006


# ----------------------------------------------------------------- step phrasings


def _readme_phrasings() -> list[re.Pattern[str]]:
    text = (FEATURES_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("## Every distinct step phrasing", 1)[1]
    out = []
    for line in section.splitlines():
        m = re.match(r"^\d+\. `([^`]+)`", line)
        if m:
            parts = re.split(r"\{[^}]+\}", m.group(1))
            out.append(re.compile("^" + "(.+?)".join(re.escape(p) for p in parts) + "$"))
    return out


def test_every_step_uses_a_listed_phrasing() -> None:
    phrasings = _readme_phrasings()
    # a small vocabulary (features/README.md): a new phrasing only where none says it (100 since
    # issue 16 added five families of client behaviour)
    assert 30 <= len(phrasings) <= 100
    unlisted = []
    for path in sorted(FEATURES_DIR.glob("*.feature")):
        feature = FeatureParser(str(FEATURES_DIR), path.name).parse()
        steps = list(feature.background.steps) if feature.background else []
        for template in feature.scenarios.values():
            steps += template._steps
        unlisted += [
            f"{path.name}:{s.line_number}: {s.name}"
            for s in steps
            if not any(p.match(s.name) for p in phrasings)
        ]
    assert not unlisted, "\n".join(unlisted)
