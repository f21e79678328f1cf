"""``hanota run``: run the conformance suite and write the report directory.

The suite is a pytest run over ``features/`` (bound by ``steps/test_scenarios.py``) with the
hanota plugin; JUnit XML, Allure results and ``results.json`` always land in the report
directory. Exit 0 only when every scenario that ran passed or was not applicable.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import pytest

import hanota

NAME = "run"
HELP = "run the conformance suite against a device and write the report"

#: The installed ``hanota`` package (in a checkout: its ``hanota/`` folder, which links to the
#: top-level ones): the scenarios and the run's own pytest configuration are found from here, so a
#: run works from any directory after ``pip install``.
ROOT = Path(hanota.__file__).parent
SCENARIOS = ROOT / "steps" / "test_scenarios.py"
PYTEST_INI = ROOT / "pytest.ini"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dut", default="reference",
                        help="device under test: 'reference' (built-in, default) or tcp://HOST:PORT; "
                        "with -n N, N comma-separated tcp:// URLs, one device per worker")
    parser.add_argument("--dcc", default=None, metavar="URL",
                        help="DCC under test: duis+http(s)://HOST:PORT/PATH of a DCC system speaking DUIS "
                        "(docs/dcc-duis.md), or http://HOST:PORT of one implementing the HTTP "
                        "binding (docs/dcc-adapter.md), e.g. 'hanota serve-dcc'; the DCC-side scenarios run "
                        "against it, and without --dut the device-side ones are not applicable")
    parser.add_argument("--duis-pixit", default=None, metavar="FILE",
                        help="with --dcc duis+http(s)://HOST:PORT/PATH: the DUIS identities, keys, "
                        "certificates, schema and control channel of the run (docs/dcc-duis.md)")
    parser.add_argument("--duis-listen", default=None, metavar="HOST:PORT",
                        help="the suite's DUIS response address (default: loopback, a free port)")
    parser.add_argument("--duis-schema", default=None, metavar="FILE",
                        help="the DUIS schema responses and alerts are validated against")
    parser.add_argument("--pics", default=None, help="the device's PICS file (TOML); see docs/pics.md")
    parser.add_argument("--dcc-pixit", default=None, metavar="FILE",
                        help="the DCC's PIXIT file (TOML): the alert figures it declares (docs/pics.md); "
                        "default: the reference DCC's own declaration, none with --dcc")
    parser.add_argument("--report-dir", default=None,
                        help="where the report is written (default: reports/<timestamp>/)")
    parser.add_argument("--rules", default="wg-2016", choices=("wg-2016", "as-implemented"),
                        help="rule set: the 2016 working-group minutes (default) or the SEC as implemented")
    parser.add_argument("--seed", type=int, default=0, help="seed of the reference world (default 0)")
    parser.add_argument("--requirements", default=None,
                        help="only the scenarios of these requirement IDs or prefixes, comma-separated "
                        "(e.g. SECMP7-IMG,SECMP7-ALERT-002)")
    parser.add_argument("--signing-key", default=None, metavar="PEM",
                        help="Ed25519 private key (PEM) that signs the report's manifest; default: the "
                        "installation key (~/.config/hanota/signing-key.pem, created on first use)")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the Python tracebacks of failing scenarios (as 'hanota --debug run')")
    parser.add_argument("--force", action="store_true",
                        help="replace a --report-dir that holds files other than a previous hanota report")
    parser.add_argument("--xfails", default=None, help="file of scenarios expected to fail on this device")
    parser.epilog = "Other arguments (-k EXPR, -m MARKEXPR, -x, -q, -n auto, ...) are passed to pytest."
    parser.set_defaults(_accepts_extra=True)


def default_report_dir() -> Path:
    """``reports/<UTC timestamp>/`` under the current directory (never inside the installation)."""
    return Path.cwd() / "reports" / time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def pytest_args(args: argparse.Namespace, report_dir: Path) -> list[str]:
    out = [
        str(SCENARIOS),
        "-c", str(PYTEST_INI),
        f"--rootdir={ROOT}",
        "-p", "hanota.conformance.plugin",
        f"--hanota-dut={args.dut}",
        f"--hanota-rules={args.rules}",
        f"--hanota-seed={args.seed}",
        f"--hanota-report-dir={report_dir}",
        f"--junitxml={report_dir / 'junit.xml'}",
        f"--alluredir={report_dir / 'allure-results'}",
        "-o", "junit_family=xunit2",
        "-p", "no:cacheprovider",
        "--hanota-preflight-done",
    ]
    if args.dcc:
        out.append(f"--hanota-dcc={args.dcc}")
    for name in ("duis_pixit", "duis_listen", "duis_schema"):
        if getattr(args, name, None):
            out.append(f"--hanota-{name.replace('_', '-')}={getattr(args, name)}")
    if args.pics:
        out.append(f"--hanota-pics={args.pics}")
    if args.dcc_pixit:
        out.append(f"--hanota-dcc-pixit={args.dcc_pixit}")
    if args.xfails:
        out.append(f"--hanota-xfails={args.xfails}")
    if not getattr(args, "debug", False) and not any(a.startswith("--tb") for a in args.extra):
        out += ["--tb=no", "-rN"]  # one line per failing scenario (the plugin writes it)
    if args.requirements:
        out.append(f"--hanota-requirements={args.requirements}")
    return out + list(args.extra)


#: Files a hanota report directory holds; a directory with one of them is a previous report.
REPORT_MARKERS = ("results.json", "manifest.json", "junit.xml", "allure-results", "report.html")


def prepare_report_dir(report_dir: Path, *, force: bool, dry_run: bool = False) -> str | None:
    """Make ``report_dir`` hold this run only: a previous report in it is removed entirely (its
    files must not be signed as this run's); other files are replaced only with ``force``.
    Returns a one-line problem, or None; ``dry_run`` only checks."""
    if report_dir.exists() and not report_dir.is_dir():
        return f"{report_dir} is a file, not a directory"
    if report_dir.is_dir() and any(report_dir.iterdir()):
        previous = any((report_dir / name).exists() for name in REPORT_MARKERS)
        if not previous and not force:
            return (f"{report_dir} holds files that are not a hanota report; choose an empty directory, "
                    "or add --force to replace them")
        if dry_run:
            return None
        try:
            for entry in report_dir.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        except OSError as err:
            return f"cannot clear {report_dir}: {err.strerror or err}"
        print(f"hanota run: {report_dir}: the previous report there is replaced by this run's",
              file=sys.stderr)
    if dry_run:
        return None
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"cannot create {report_dir}: {err.strerror or err}"
    return None


def _stopped(report_dir: Path) -> str | None:
    """Why the run stopped before its end (results.json ``stopped``), if it did."""
    import json

    try:
        data = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("stopped") if isinstance(data, dict) else None


def _preflight(args: argparse.Namespace) -> list[str]:
    from hanota.conformance.adapters import parse_dut_specs
    from hanota.conformance.pics import load_pics, reference_pics
    from hanota.conformance.preflight import run_checks

    pics = load_pics(args.pics) if args.pics else reference_pics()
    specs = parse_dut_specs(args.dut)
    lines, _ = run_checks(pics, [] if specs == ["reference"] else specs, args.dcc, declared=bool(args.pics))
    return lines


def run(args: argparse.Namespace) -> int:
    if not SCENARIOS.is_file():
        print(f"hanota run: the scenarios are not found at {SCENARIOS}; the installation is incomplete "
              "(reinstall han-ota-conformance)", file=sys.stderr)
        return 2
    from hanota.conformance.adapters import parse_dut_specs
    from hanota.protocol.errors import HarnessUsageError

    try:
        parse_dut_specs(args.dut)
    except HarnessUsageError as err:
        print(f"hanota run: --dut: {err}", file=sys.stderr)
        return 2
    if args.dcc is not None:
        from urllib.parse import urlsplit

        parsed = urlsplit(args.dcc.removeprefix("duis+"))
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            print(f"hanota run: --dcc: a DCC test system URL is duis+http(s)://HOST:PORT/PATH or "
                  f"http://HOST:PORT[/PREFIX], got {args.dcc!r}", file=sys.stderr)
            return 2
    from hanota.conformance.report import ManifestError, ReportError, finish_report
    from hanota.conformance.report.manifest import load_private_key

    if args.signing_key:
        try:  # a bad key must not waste a whole run
            load_private_key(args.signing_key)
        except (ReportError, ManifestError) as err:
            print(f"hanota run: --signing-key: {err}", file=sys.stderr)
            return 2
    report_dir = Path(args.report_dir) if args.report_dir else default_report_dir()
    problem = prepare_report_dir(report_dir, force=args.force, dry_run=True)
    if problem:
        print(f"hanota run: --report-dir: {problem}", file=sys.stderr)
        return 2
    try:  # before any scenario: the images, the device, its identity, the DCC (one line if not)
        lines = _preflight(args)
    except HarnessUsageError as err:
        print(f"hanota run: {err}", file=sys.stderr)
        return 2
    for line in lines:
        print(f"hanota run: pre-flight: {line}", file=sys.stderr)
    problem = prepare_report_dir(report_dir, force=args.force)
    if problem:
        print(f"hanota run: --report-dir: {problem}", file=sys.stderr)
        return 2
    code = pytest.main(pytest_args(args, report_dir))
    if (report_dir / "results.json").is_file():
        try:
            finish_report(report_dir, signing_key_path=args.signing_key)
        except (ReportError, ManifestError) as err:
            print(f"hanota run: the report could not be finished: {err}", file=sys.stderr)
            return 2
        print(f"hanota run: report written to {report_dir / 'report.html'}", file=sys.stderr)
    else:
        print(f"hanota run: no results were recorded; see the output above ({report_dir})", file=sys.stderr)
    if code == pytest.ExitCode.INTERRUPTED and _stopped(report_dir):
        print(f"hanota run: {_stopped(report_dir)}", file=sys.stderr)
        return 1
    if code == pytest.ExitCode.INTERRUPTED:
        held = ("the report holds the scenarios finished before and says so"
                if (report_dir / "results.json").is_file() else "no scenario had finished")
        print(f"hanota run: interrupted; {held}", file=sys.stderr)
        return 130
    if code == pytest.ExitCode.OK:
        return 0
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("hanota run: no scenario was selected, so nothing was verified", file=sys.stderr)
        return 1
    if code == pytest.ExitCode.USAGE_ERROR:
        return 2
    return 1
