"""The DCC side over the HTTP binding (issue 8, "What must be shown"), each run a real subprocess:

- the ``@side-dcc`` scenarios give the same verdicts against ``hanota serve-dcc`` over loopback
  HTTP (``--hanota-dcc``) as against the reference DCC in process, under both rule sets (the
  @slow fragmentation downloads and the @load family are left out, as in the quick run);
- a DCC test system that groups alerts or writes the requested version into the inventory
  fails the scenarios of the requirement it breaks;
- in a run against a DCC only, the device-side scenarios are not applicable, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.test_suite_over_tcp import run_suite, serving, verdicts

DCC_SIDE = ["-p", "tests.harness.side_filter", "--hanota-only-side", "dcc", "-m", "not load and not slow",
            "-p", "no:hypothesispytest", "-p", "no:xdist"]
#: serve-dcc fault -> the requirement whose scenarios must fail against it.
FAULTY = {"group-alerts": "SECMP7-ALERT-005", "inventory-from-request": "SECMP7-INV-002"}


def serve_dcc(tmp: Path, *options: str) -> AbstractContextManager[str]:
    """``hanota serve-dcc`` on a free loopback port for the ``with`` block; yields its URL."""
    return serving("-m", "hanota", "serve-dcc", "--listen", "127.0.0.1:0", *options, tmp=tmp,
                   scheme="http")


def _failed_requirements(data: dict[str, Any]) -> set[str]:
    return {req for r in data["scenarios"] if r["verdict"] == "fail" for req in r["requirements"]}


def _declared(tmp: Path) -> Path:
    """The served reference DCC declares its own figures, as in process (docs/pics.md, DCC PIXIT)."""
    path = tmp / "dcc-pixit.toml"
    path.write_text('[alerts]\nservice_level = "24 hours"\nstagger_interval = "1 second"\n'
                    'version_confirmation_delay = "30 minutes"\n', encoding="utf-8")
    return path


def _over_http(tmp: Path, name: str, *options: str, rules: str = "wg-2016",
               only: str | None = None) -> dict[str, Any]:
    select = [f"--hanota-requirements={only}"] if only else []
    with serve_dcc(tmp, *options) as url:
        return run_suite(tmp, name, *DCC_SIDE, *select, f"--hanota-rules={rules}", f"--hanota-dcc={url}",
                         f"--hanota-dcc-pixit={_declared(tmp)}")


@pytest.mark.slow
@pytest.mark.parametrize("rules", ["wg-2016", "as-implemented"])
def test_dcc_side_same_verdicts_over_http_as_in_process(tmp_path: Path, rules: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        over_http = pool.submit(_over_http, tmp_path, "http", rules=rules)
        in_process = pool.submit(run_suite, tmp_path, "ref", *DCC_SIDE, f"--hanota-rules={rules}")
        ref, http = in_process.result(), over_http.result()
    want, seen = verdicts(ref), verdicts(http)
    assert len(want) >= 25, f"too few DCC-side scenarios ran ({rules}):\n{ref['_output']}"
    differ = {n: (want.get(n), seen.get(n)) for n in set(want) | set(seen) if want.get(n) != seen.get(n)}
    assert not differ, f"verdicts differ under {rules} (in process, HTTP): {differ}\n{http['_output']}"
    assert set(want.values()) <= {"pass", "not-applicable"}, want
    print(f"\nin process {ref['_wall_s']:.1f} s, over HTTP {http['_wall_s']:.1f} s")


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "requirement"), FAULTY.items())
def test_a_faulty_dcc_over_http_fails_the_scenarios_of_the_requirement_it_breaks(
        tmp_path: Path, fault: str, requirement: str) -> None:
    data = _over_http(tmp_path, fault, "--dcc-fault", fault, only=requirement)
    failed = _failed_requirements(data)
    assert requirement in failed, (f"serve-dcc --dcc-fault {fault}: no {requirement} scenario failed; "
                                   f"failed: {sorted(failed)}\n{data['_output']}")
    reasons = [r["reason"] for r in data["scenarios"]
               if r["verdict"] == "fail" and requirement in r["requirements"]]
    assert all(reason.startswith("AssertionError: expected") for reason in reasons), reasons


@pytest.mark.slow
def test_device_side_scenarios_are_not_applicable_in_a_run_against_a_dcc_only(tmp_path: Path) -> None:
    with serve_dcc(tmp_path) as url:
        data = run_suite(tmp_path, "dcc-only", f"--hanota-dcc={url}", "-p", "no:hypothesispytest",
                         "-k", "image_notify_with_a_query_next or rejects_a_service_request_whose_image")
    got = {r["scenario"]: r for r in data["scenarios"]}
    assert len(got) == 2, data["_output"]
    for name, r in got.items():
        if "DCC rejects" in name:  # @side-dcc: runs against the DCC test system
            assert r["verdict"] == "pass", r
        else:  # @side-device
            assert r["verdict"] == "not-applicable", r
            assert r["reason"] == "this run targets a DCC; device-side scenarios need a device under test"


@contextmanager
def _dcc_without(path_part: str) -> Iterator[str]:
    """The reference DCC served in this process, answering 501 to any path containing ``path_part``
    (a DCC test system without that test-support operation)."""
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    from hanota.conformance.dcc_http.server import DccService, QuietHandler, make_app

    inner = make_app(DccService())

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if path_part in environ.get("PATH_INFO", ""):
            return Response('{"error": "not implemented"}', status=501,
                            mimetype="application/json")(environ, start_response)
        return inner(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_missing_test_support_operation_is_not_offered_and_a_core_one_is_an_error() -> None:
    from hanota.conformance.adapters.base import DutNotApplicableError
    from hanota.conformance.dcc_http.client import DccHttpError, DccNotOfferedError, HttpDccSide

    with _dcc_without("/time") as url:
        client = HttpDccSide(url)
        offered = "does not offer the test-support operation POST /time/advance"
        with pytest.raises(DccNotOfferedError, match=offered) as caught:
            client.advance(10)
        assert isinstance(caught.value, DutNotApplicableError) and caught.value.status == 501
        with pytest.raises(DccHttpError) as core:
            client.now_ms()  # GET /time is a core operation: an error, not "not offered"
        assert not isinstance(core.value, DccNotOfferedError)


@pytest.mark.slow
def test_a_scenario_needing_an_operation_the_dcc_lacks_is_not_applicable(tmp_path: Path) -> None:
    with _dcc_without("fail-next-activation") as url:
        data = run_suite(tmp_path, "lacking", f"--hanota-dcc={url}", "-p", "no:hypothesispytest",
                         "-k", "inventory_keeps_the_old_version or inventory_does_not_change")
    got = {r["scenario"]: r for r in data["scenarios"]}
    assert len(got) == 2, data["_output"]
    lacking = got["The inventory keeps the old version when activation failed"]
    assert lacking["verdict"] == "not-applicable", lacking
    assert "fail-next-activation" in lacking["reason"] and "501" in lacking["reason"], lacking["reason"]
    assert got["The inventory does not change before the version is confirmed"]["verdict"] == "pass"
