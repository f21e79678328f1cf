"""pytest plugin of a hanota run: requirement tags, PICS gating, verdicts.

It is not a ``pytest11`` entry point, so it does nothing in a pytest session that did not ask for
it: ``hanota run`` loads it with ``-p hanota.conformance.plugin`` (and in a checkout the root
``conftest.py`` does, so ``pytest steps/test_scenarios.py`` runs the scenarios); it loads the step
definitions (``STEP_MODULES``) itself.

- ``pytest_bdd_apply_tag`` turns Gherkin tags into registered markers, so ``--strict-markers``
  stays on and a mistyped tag is an error: ``@SECMP7-IMG-001`` → ``requirement("SECMP7-IMG-001")``,
  ``@pics-fragmentation`` → ``pics("fragmentation")``, ``@rules-wg-2016`` → ``rules("wg-2016")``,
  ``@side-device`` → ``side("device")``.
- A scenario whose PICS item the device does not declare, or whose rule set is not the run's,
  is skipped with a reason starting ``not applicable:``; the report counts it as such.
- A device-side scenario is not applicable to a device whose kind the run's rule set does not
  cover (the catalogue's ``scope``: under ``as-implemented`` an IHD, which the final SEC dropped).
- A scenario the device under test cannot take part in (an optional control it lacks, a wait
  longer than a wall-time device may be kept waiting: ``DutNotApplicableError``) is skipped the
  same way, with the adapter's reason.
- Every scenario's verdict (pass / fail / not-applicable / error) is recorded with its
  requirements, steps and evidence, written to ``results.json`` in ``--hanota-report-dir``,
  and summarised per requirement at the end of the run. The result travels on the test report
  (``report.hanota_result``), so under pytest-xdist the workers' results reach the controller.
- ``--hanota-dut tcp://H:P1,tcp://H:P2`` gives each xdist worker its own device: worker ``gwN``
  takes the N-th URL (``dut_for_worker``).
- ``--hanota-dcc http://HOST:PORT`` runs the ``@side-dcc`` scenarios against that DCC test system
  (``conformance.dcc_http.client.HttpDccSide``); a test-support operation it lacks (404/501)
  makes the scenario not applicable. Without ``--hanota-dut``, the ``@side-device`` scenarios
  are then not applicable (no device under test); with it, both sides run, each against its own
  system. ``--hanota-dut`` alone leaves the DCC-side scenarios on the reference DCC in process.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.parser import Feature, Scenario, Step

from hanota.protocol.errors import DeviceViolationError, HarnessUsageError

from .adapters.base import DutDisconnectedError, DutNotApplicableError
from .adapters.tcp import parse_dut_specs
from .pics import DccPixit, Pics, PicsError, load_dcc_pixit, load_pics, reference_dcc_pixit, reference_pics
from .verdicts import ScenarioResult, Verdict, requirement_verdicts, write_results

REQ_TAG = re.compile(r"^SECMP7-[A-Z]+-\d{3}$")
RULE_SETS = ("wg-2016", "as-implemented")
SIDES = ("device", "dcc")
NOT_APPLICABLE = "not applicable: "

_results_key = pytest.StashKey[list[ScenarioResult]]()
#: Why the device's kind is outside the run's rule set (None: inside), from the catalogue.
_out_of_scope_key = pytest.StashKey[str | None]()
#: Requirement ID -> why it does not apply under the run's rule set (minutes-only, informative).
_not_applying_key = pytest.StashKey[dict[str, str]]()
_scenario_key = pytest.StashKey[dict[str, Any]]()
#: Why the run stopped before its end (the device under test is gone), if it did.
_stopped_key = pytest.StashKey[str]()
#: Where the ``harness`` fixture leaves itself, so its evidence reaches the scenario's result.
harness_key = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hanota", "hanota conformance suite")
    group.addoption("--hanota-dut", default="reference",
                    help="device under test: 'reference' (in-process) or tcp://HOST:PORT (DUT bridge); "
                    "several tcp:// URLs, comma-separated, give one device per xdist worker")
    group.addoption("--hanota-dcc", default=None, metavar="URL",
                    help="DCC under test: http://HOST:PORT of a DCC test system implementing the HTTP "
                    "binding (docs/dcc-adapter.md); default: the reference DCC in process")
    group.addoption("--hanota-duis-pixit", default=None, metavar="FILE",
                    help="with --hanota-dcc duis+http(s)://...: the DCC PIXIT (identities, keys, "
                    "certificates, schema, control channel; docs/dcc-duis.md)")
    group.addoption("--hanota-duis-listen", default=None, metavar="HOST:PORT",
                    help="the suite's DUIS response address (default 127.0.0.1 on a free port)")
    group.addoption("--hanota-duis-schema", default=None, metavar="FILE",
                    help="the DUIS schema to validate against (overrides the PIXIT's)")
    group.addoption("--hanota-pics", default=None, help="PICS file (TOML) of the device under test")
    group.addoption("--hanota-dcc-pixit", default=None, metavar="FILE",
                    help="PIXIT file (TOML) of the DCC under test: the alert figures it declares; "
                    "default: the reference DCC's declaration, none for --hanota-dcc")
    group.addoption("--hanota-rules", default="wg-2016", choices=RULE_SETS,
                    help="rule set: the 2016 working-group minutes or the SEC as implemented")
    group.addoption("--hanota-seed", type=int, default=0, help="seed of the reference world")
    group.addoption("--hanota-report-dir", default=None, help="where results.json is written")
    group.addoption("--hanota-xfails", default=None,
                    help="file of scenario names expected to fail on this device (strict xfail)")
    group.addoption("--hanota-preflight-done", action="store_true",
                    help="(hanota run) the pre-flight checks were made before pytest started")
    group.addoption("--hanota-requirements", default=None,
                    help="requirement IDs or prefixes, comma-separated (SECMP7-IMG): only their scenarios")
    # For the suite's own mutation tests: make the reference world break a rule on purpose.
    group.addoption("--hanota-device-fault", action="append", default=[],
                    help="(suite self-test) a named fault of the reference device; repeatable")
    group.addoption("--hanota-dcc-fault", action="append", default=[],
                    help="(suite self-test) a named fault of the reference DCC; repeatable")
    group.addoption("--hanota-hub-fault", action="append", default=[],
                    help="(suite self-test) a named fault of the reference Communications Hub; repeatable")


#: The step definitions the scenarios bind to (pytest-bdd finds steps among registered plugins).
STEP_MODULES = ("hanota.steps.common", "hanota.steps.device_steps", "hanota.steps.dcc_steps",
                "hanota.steps.resilience_steps", "hanota.steps.lifecycle_steps",
                "hanota.steps.notify_steps")


def pytest_configure(config: pytest.Config) -> None:
    for module in STEP_MODULES:
        config.pluginmanager.import_plugin(module)
    for line in (
        "requirement(id): the catalogue requirement a scenario verifies",
        "pics(item): a PICS item the scenario needs the device to declare",
        "rules(name): the rule set (wg-2016 or as-implemented) the scenario's verdict depends on",
        "side(name): the system under test the scenario checks (device or dcc)",
        "tentative: the requirement is an open question left to consultation",
        "load: load scenarios, not in the default quick run",
    ):
        config.addinivalue_line("markers", line)
    config.stash[_results_key] = []
    pics_path = config.getoption("--hanota-pics")
    try:
        config.hanota_pics = load_pics(pics_path) if pics_path else reference_pics()  # type: ignore[attr-defined]
    except PicsError as err:
        raise pytest.UsageError(str(err)) from None
    dcc_pixit = config.getoption("--hanota-dcc-pixit")
    try:
        config.hanota_dcc_pixit = (  # type: ignore[attr-defined]
            load_dcc_pixit(dcc_pixit) if dcc_pixit
            else DccPixit() if config.getoption("--hanota-dcc") else reference_dcc_pixit())
    except PicsError as err:
        raise pytest.UsageError(str(err)) from None
    config.hanota_xfails = _load_xfails(config.getoption("--hanota-xfails"))  # type: ignore[attr-defined]
    dcc = config.getoption("--hanota-dcc")
    if dcc is not None and not re.fullmatch(r"(duis\+)?https?://[^/\s]+(/\S*)?", dcc):
        raise pytest.UsageError(f"--hanota-dcc: a DCC test system URL is http://HOST:PORT[/PREFIX] or "
                                f"duis+http(s)://HOST:PORT/PATH, got {dcc!r}")
    try:
        specs = parse_dut_specs(config.getoption("--hanota-dut"))
    except HarnessUsageError as err:
        raise pytest.UsageError(f"--hanota-dut: {err}") from None
    workers = getattr(config.option, "numprocesses", None)
    if isinstance(workers, int) and workers > 0 and specs != ["reference"] and workers > len(specs):
        raise pytest.UsageError(f"--hanota-dut names {len(specs)} device(s) for {workers} xdist "
                                "workers: each worker needs its own device")
    config.hanota_preflight = []  # type: ignore[attr-defined]
    if not config.option.collectonly:
        try:
            _preflight(config, specs, dcc)
        except HarnessUsageError as err:
            raise pytest.UsageError(str(err)) from None
    _scope_of_run(config)  # after the pre-flight: without a PICS, the kind is the device's
    config.pluginmanager.register(_ResultCollector(config), "hanota-results")


def _preflight(config: pytest.Config, specs: list[str], dcc: str | None) -> None:
    """Before any scenario (``conformance.preflight``): the images, the device and its identity,
    the DCC. A worker checks only its own device. After ``hanota run``'s own pre-flight
    (``--hanota-preflight-done``) only a run without a PICS reads the device's identity again."""
    from .preflight import run_checks

    worker = hasattr(config, "workerinput")
    declared = config.getoption("--hanota-pics") is not None
    urls = [] if specs == ["reference"] else [dut_for_worker(config)] if worker else specs
    done = config.getoption("--hanota-preflight-done")
    if done:
        if declared:
            return
        urls, dcc = urls[:1], None
    lines, pics = run_checks(config.hanota_pics, urls, None if worker else dcc,  # type: ignore[attr-defined]
                             declared=declared, images=not (worker or done))
    config.hanota_pics = pics  # type: ignore[attr-defined]
    if not done:  # hanota run has shown them already
        config.hanota_preflight = lines  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"hanota pre-flight: {line}" for line in getattr(config, "hanota_preflight", [])]


def system_under_test(config: pytest.Config) -> str:
    """'device', 'dcc', 'device and dcc' or 'reference' (the suite checking its own models)."""
    device = config.getoption("--hanota-dut") != "reference"
    dcc = config.getoption("--hanota-dcc") is not None
    return {(True, False): "device", (False, True): "dcc", (True, True): "device and dcc"}.get(
        (device, dcc), "reference")


def _scope_of_run(config: pytest.Config) -> None:
    """What the run's rule set leaves out, from the catalogue: the device's kind (``scope``), and
    requirements whose level under it is not tested (minutes-only, informative)."""
    from .catalogue import load_catalogue

    try:
        catalogue = load_catalogue(features_dir=None)
    except HarnessUsageError as err:
        raise pytest.UsageError(str(err)) from None
    rules = config.getoption("--hanota-rules")
    kind = config.hanota_pics.kind  # type: ignore[attr-defined]
    reason = catalogue.out_of_scope(rules, kind)
    if reason is not None:
        article = "an" if kind[0] in "aeiou" else "a"
        reason = f"the device under test is {article} {kind.upper()} (PICS): {reason}"
    config.stash[_out_of_scope_key] = reason
    config.stash[_not_applying_key] = {r.id: r.why_not(rules) for r in catalogue if not r.applies(rules)}


def dut_for_worker(config: pytest.Config) -> str:
    """The device this process drives: ``reference``, or the tcp:// URL of this xdist worker
    (``gwN`` takes the N-th of ``--hanota-dut``; a serial run the first)."""
    specs = parse_dut_specs(config.getoption("--hanota-dut"))
    if specs == ["reference"]:
        return "reference"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    if index >= len(specs):
        raise HarnessUsageError(f"xdist worker {worker} has no device: --hanota-dut names "
                                f"{len(specs)}; give one tcp:// URL per worker")
    return specs[index]


class _ResultCollector:
    """Collects each scenario's result from the test reports (in this process, or from the
    xdist workers on the controller)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "hanota_result", None)
        if not data:
            return
        results = self.config.stash[_results_key]
        if data.get("replace_last"):
            for result in reversed(results):
                if result.nodeid == report.nodeid:
                    result.verdict, result.reason = Verdict.ERROR, str(data["reason"])
                    return
            return
        fields = dict(data)
        fields["verdict"] = Verdict(fields["verdict"])
        results.append(ScenarioResult(**fields))
        if fields["verdict"] in (Verdict.FAIL, Verdict.ERROR) and self.config.option.tbstyle == "no":
            self._one_line(f"{fields['verdict'].value.upper()} {fields['scenario']}: "
                           f"{_first_line(str(fields['reason']))}")

    def _one_line(self, text: str) -> None:
        """A failing scenario in one line (``hanota run`` without ``--debug``: no tracebacks)."""
        reporter = self.config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"hanota: {text}")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _load_xfails(path: str | None) -> dict[str, str]:
    if not path:
        return {}
    out: dict[str, str] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise pytest.UsageError(f"--hanota-xfails: cannot read {path}: {err.strerror}") from None
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, why = line.partition("#")
            out[name.strip()] = why.strip() or "expected to fail on this device"
    return out


@pytest.hookimpl(tryfirst=True)  # before pytest-bdd's default, which would trip --strict-markers
def pytest_bdd_apply_tag(tag: str, function: Callable[..., object]) -> bool | None:
    if REQ_TAG.match(tag):
        mark = pytest.mark.requirement(tag)
    elif tag.startswith("pics-"):
        mark = pytest.mark.pics(tag.removeprefix("pics-"))
    elif tag.startswith("rules-") and tag.removeprefix("rules-") in RULE_SETS:
        mark = pytest.mark.rules(tag.removeprefix("rules-"))
    elif tag.startswith("side-") and tag.removeprefix("side-") in SIDES:
        mark = pytest.mark.side(tag.removeprefix("side-"))
    elif tag in ("tentative", "slow", "load"):
        mark = getattr(pytest.mark, tag)
    else:
        return None  # pytest-bdd's default: an unregistered marker, refused by --strict-markers
    mark(function)
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.getoption("--hanota-requirements")
    if wanted:
        prefixes = tuple(w.strip() for w in wanted.split(",") if w.strip())
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            reqs = [str(m.args[0]) for m in item.iter_markers("requirement")]
            (keep if any(r.startswith(prefixes) for r in reqs) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    xfails = config.hanota_xfails  # type: ignore[attr-defined]
    for item in items:
        for name, why in xfails.items():
            if name == item.name or name in item.nodeid:
                item.add_marker(pytest.mark.xfail(reason=why, strict=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except DutNotApplicableError as err:  # the device cannot do what the scenario needs
        if item.stash.get(_scenario_key, None) is None:
            raise  # not a scenario: a unit test of the suite itself
        pytest.skip(f"{NOT_APPLICABLE}{err}")


#: Why a device-side scenario is not applicable in a run against a DCC test system only.
DCC_ONLY_REASON = "this run targets a DCC; device-side scenarios need a device under test"
#: ... and a DCC-side one in a run against a device only.
DEVICE_ONLY_REASON = ("this run certifies a device; DCC-side scenarios check the DCC, here the built-in "
                      "reference DCC, which is not the system under test")


def pytest_runtest_setup(item: pytest.Item) -> None:
    sides = {str(m.args[0]) for m in item.iter_markers("side")}
    config = item.config
    if (config.getoption("--hanota-dcc") and "device" in sides and "dcc" not in sides
            and config.getoption("--hanota-dut") == "reference"):
        pytest.skip(f"{NOT_APPLICABLE}{DCC_ONLY_REASON}")
    if system_under_test(config) == "device" and "dcc" in sides and "device" not in sides:
        pytest.skip(f"{NOT_APPLICABLE}{DEVICE_ONLY_REASON}")
    requirements = [str(m.args[0]) for m in item.iter_markers("requirement")]
    not_applying = config.stash.get(_not_applying_key, {})
    if requirements and all(r in not_applying for r in requirements):
        pytest.skip(NOT_APPLICABLE + "; ".join(dict.fromkeys(not_applying[r] for r in requirements)))
    out_of_scope = config.stash.get(_out_of_scope_key, None)
    if out_of_scope and "device" in sides and "dcc" not in sides:
        pytest.skip(f"{NOT_APPLICABLE}{out_of_scope}")
    pics: Pics = item.config.hanota_pics  # type: ignore[attr-defined]
    # Every missing item is named, not just the first (a scenario may need two, e.g. resume and
    # resume_after_power_cycle); the PICS file spells items with "_".
    missing = [f"PICS item '{key}'" for key in dict.fromkeys(
        str(m.args[0]).replace("-", "_") for m in item.iter_markers("pics"))
        if not pics.supports(key)]
    if missing:
        pytest.skip(f"{NOT_APPLICABLE}the device does not declare {' nor '.join(missing)} ({pics.source})")
    rules = item.config.getoption("--hanota-rules")
    wanted = {str(m.args[0]) for m in item.iter_markers("rules")}
    if wanted and rules not in wanted:
        pytest.skip(f"{NOT_APPLICABLE}scenario belongs to rule set {sorted(wanted)}; this run uses '{rules}'")


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Feature, scenario: Scenario) -> None:
    request.node.stash[_scenario_key] = {"feature": feature.name, "scenario": scenario.name, "steps": []}


def pytest_bdd_after_step(request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step,
                          step_func: Callable[..., object], step_func_args: dict[str, object]) -> None:
    info = request.node.stash.get(_scenario_key, None)
    # Each Then step also holds every frame the device sent so far to what it must carry
    # (harness/frame_audit.py): a wrong field fails the scenario where the frame was sent.
    harness = request.node.stash.get(harness_key, None)
    problem = harness.check_frames() if step.type == "then" and hasattr(harness, "check_frames") else None
    if info is not None:
        info["steps"].append({"keyword": step.keyword, "text": step.name,
                              "status": "passed" if problem is None else "failed",
                              **({"error": problem} if problem is not None else {})})
    if problem is not None:
        raise AssertionError(problem)


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step,
                          step_func: Callable[..., object], step_func_args: dict[str, object],
                          exception: BaseException) -> None:
    info = request.node.stash.get(_scenario_key, None)
    if info is not None:
        info["steps"].append({"keyword": step.keyword, "text": step.name, "status": "failed",
                              "error": str(exception)})


def _verdict(report: pytest.TestReport,
             call_excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[Verdict, str]:
    if report.skipped:
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if hasattr(report, "wasxfail"):
            return Verdict.FAIL, f"expected failure (xfail): {report.wasxfail}"
        if not reason.startswith(NOT_APPLICABLE):
            # A skip that is not a declared not-applicable is not a pass either.
            return Verdict.NOT_TESTED, reason
        return Verdict.NOT_APPLICABLE, reason.removeprefix(NOT_APPLICABLE)
    if report.failed:
        text = call_excinfo.exconly() if call_excinfo is not None else str(report.longrepr)
        if report.when == "call" and call_excinfo is not None and call_excinfo.errisinstance(
            (AssertionError, DeviceViolationError)
        ):
            return Verdict.FAIL, text
        return Verdict.ERROR, text
    return Verdict.PASS, ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    info = item.stash.get(_scenario_key, None)
    requirements = [str(m.args[0]) for m in item.iter_markers("requirement")]
    if info is None and not requirements:
        return  # not a scenario (a unit test of the suite itself)
    is_final = report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)) \
        or (report.when == "teardown" and report.failed)
    if not is_final:
        return
    verdict, reason = _verdict(report, call.excinfo)
    error = call.excinfo.value if call.excinfo is not None else None
    gone = _gone(error) if error is not None else None
    if gone is not None:  # not merely hung up: the run stops cleanly, this scenario in error
        item.session.shouldstop = f"{gone} ({_first_line(str(error))}); the run stops"
        item.config.stash[_stopped_key] = str(item.session.shouldstop)
    if verdict in (Verdict.FAIL, Verdict.ERROR) and requirements and item.config.option.tbstyle != "no":
        # pytest prints sections under the failure: the reader sees which requirement was not met.
        report.sections.append(("hanota", f"{verdict.value} of requirement(s) "
                                f"{', '.join(sorted(set(requirements)))}"))
    # The result rides on the report (plain data, so xdist can carry it to the controller);
    # _ResultCollector.pytest_runtest_logreport records it.
    if report.when == "teardown":
        report.hanota_result = {"replace_last": True, "reason": reason}  # type: ignore[attr-defined]
        return
    evidence: list[dict[str, Any]] = []
    harness = item.stash.get(harness_key, None)
    if harness is not None and hasattr(harness, "evidence"):
        try:
            evidence = harness.evidence()
        except (HarnessUsageError, OSError) as err:  # a DCC test system gone: say so, report on
            evidence = [{"kind": "dcc", "text": f"evidence could not be collected: {_first_line(str(err))}"}]
    info = info or _scenario_title(item) or {"feature": item.parent.name if item.parent else "",
                                             "scenario": item.name, "steps": []}
    result = ScenarioResult(
        nodeid=item.nodeid, feature=info["feature"], scenario=info["scenario"],
        requirements=sorted(set(requirements)), verdict=verdict, reason=reason,
        duration_s=round(report.duration, 4), steps=info["steps"], evidence=evidence,
    )
    data = dataclasses.asdict(result)
    data["verdict"] = str(result.verdict)
    report.hanota_result = data  # type: ignore[attr-defined]


def _gone(err: BaseException) -> str | None:
    """'the device under test is gone' when the bridge refuses connections, and likewise the DCC
    test system when it cannot be reached; None for any other error."""
    if isinstance(err, DutDisconnectedError) and str(err).startswith("cannot connect"):
        return "the device under test is gone"
    from .dcc_http.client import DccHttpError

    if isinstance(err, DccHttpError) and "DCC test system unreachable" in str(err):
        return "the DCC test system is gone"
    return None


def _scenario_title(item: pytest.Item) -> dict[str, Any] | None:
    """The feature and scenario title of a scenario that never started (not applicable at
    setup), from pytest-bdd's template with the example's values: reports list it by its title."""
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry
    except ImportError:  # pragma: no cover - another pytest-bdd layout: the test name stands
        return None
    function = getattr(item, "obj", None)
    template = scenario_wrapper_template_registry.get(function) if callable(function) else None
    if template is None:
        return None
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec is not None else {}
    return {"feature": template.feature.name, "scenario": template.render(example).name, "steps": []}


def _catalogue_ids(results: list[ScenarioResult]) -> list[str]:
    """Every catalogue requirement (so unexercised ones show as not tested), then any extra tags."""
    from .catalogue import load_catalogue

    ids = [r.id for r in load_catalogue(features_dir=None)]
    extra = sorted({req for r in results for req in r.requirements} - set(ids))
    return ids + extra


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller has every result and writes results.json
    results = config.stash.get(_results_key, [])
    if not results:
        return
    reqs = requirement_verdicts(_catalogue_ids(results), results,
                                not_applicable=set(config.stash.get(_not_applying_key, {}).keys()))
    tr = terminalreporter
    tr.section("hanota verdicts per requirement")
    for rv in reqs:
        tr.write_line(f"{rv.verdict.value.upper():15} {rv.requirement}  ({len(rv.scenarios)} scenario(s))")
    tally: dict[str, int] = {}
    for rv in reqs:
        tally[rv.verdict.value] = tally.get(rv.verdict.value, 0) + 1
    tr.write_line("requirements: " + ", ".join(f"{n} {k}" for k, n in sorted(tally.items())))
    report_dir = config.getoption("--hanota-report-dir")
    if report_dir:
        out = Path(report_dir)
        out.mkdir(parents=True, exist_ok=True)
        pics: Pics = config.hanota_pics  # type: ignore[attr-defined]
        write_results(out / "results.json", {
            "suite_version": _suite_version(),
            "suite_commit": _suite_commit(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "dut": config.getoption("--hanota-dut"),
            "system_under_test": system_under_test(config),
            "dcc": config.getoption("--hanota-dcc") or "reference",
            # A run of the reference world with faults switched on is a mutation test, not a
            # certification of the reference: the report says so.
            "faults": {layer: sorted(config.getoption(f"--hanota-{layer}-fault"))
                       for layer in ("device", "hub", "dcc")
                       if config.getoption(f"--hanota-{layer}-fault")},
            "rules": config.getoption("--hanota-rules"),
            "seed": config.getoption("--hanota-seed"),
            # Ctrl-C: the scenarios finished before it are reported, and the report says so.
            "interrupted": exitstatus == pytest.ExitCode.INTERRUPTED and _stopped_key not in config.stash,
            "stopped": config.stash.get(_stopped_key, None),
            "pics": pics.summary(),
            "dcc_pixit": {"source": config.hanota_dcc_pixit.source,  # type: ignore[attr-defined]
                          **config.hanota_dcc_pixit.durations},  # type: ignore[attr-defined]
        }, results, reqs)
        tr.write_line(f"results: {out / 'results.json'}")


def _suite_commit() -> str | None:
    from .report import suite_commit

    return suite_commit()


def _suite_version() -> str:
    from . import __version__
    return __version__
