"""``python -m fuzz [TARGET ...] [--seconds N] [--jobs J] [-- LIBFUZZER_FLAGS]``: run the fuzz targets.

Runs each target (default: all four) under atheris for ``--seconds``, at most ``--jobs`` at once,
each in its own process. New inputs go to a scratch corpus (``--work``, default
``/tmp/hanota-fuzz/<target>``); the committed seeds in ``fuzz/corpus/<target>`` are only read.
Any crashing, hanging or memory-hungry input is copied to ``fuzz/crashes/<target>-<sha1>.bin``.
Prints one line per target: executions, coverage (libFuzzer's ``cov``/``ft``), crashes. Exit 1
if any target crashed.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = ("image", "frame", "reassembler", "bridge")


@dataclass
class Outcome:
    target: str
    seconds: float
    executions: int
    cov: int
    ft: int
    corpus: int
    crashes: list[Path]
    returncode: int
    log: Path


def _command(target: str, work: Path, seconds: int, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", f"fuzz.fuzz_{target}", str(work / "corpus"), str(HERE / "corpus" / target),
            f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
            f"-artifact_prefix={work / 'artifacts'}/", *extra]


def _stats(log: str) -> tuple[int, int, int, int]:
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    last = re.findall(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", log)
    executions = int(runs.group(1)) if runs else (int(last[-1][0]) if last else 0)
    cov, ft, corpus = (int(x) for x in last[-1][1:]) if last else (0, 0, 0)
    return executions, cov, ft, corpus


def _keep_crashes(target: str, artifacts: Path) -> list[Path]:
    kept = []
    crashes = HERE / "crashes"
    for found in sorted(artifacts.glob("*")):
        data = found.read_bytes()
        dest = crashes / f"{target}-{hashlib.sha1(data).hexdigest()}.bin"  # noqa: S324 - a name, not security
        crashes.mkdir(exist_ok=True)
        dest.write_bytes(data)
        kept.append(dest)
    return kept


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", choices=(*TARGETS, []), metavar="TARGET",
                        help=f"any of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--seconds", type=int, default=60, help="time per target (default 60)")
    parser.add_argument("--jobs", type=int, default=2, help="targets at once (default 2)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hanota-fuzz",
                        help="scratch directory for new corpus entries, artifacts and logs")
    args = parser.parse_args(argv)
    pending = list(args.targets or TARGETS)
    running: list[tuple[str, subprocess.Popen[bytes], Path, float]] = []
    outcomes: list[Outcome] = []
    while pending or running:
        while pending and len(running) < args.jobs:
            target = pending.pop(0)
            work = args.work / target
            shutil.rmtree(work / "artifacts", ignore_errors=True)
            (work / "corpus").mkdir(parents=True, exist_ok=True)
            (work / "artifacts").mkdir(parents=True, exist_ok=True)
            log = work / "fuzz.log"
            cmd = _command(target, work, args.seconds, extra)
            print(f"{target}: {' '.join(cmd)}", flush=True)
            with log.open("wb") as out:
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                        cwd=HERE.parent)
            running.append((target, proc, work, time.monotonic()))
        time.sleep(1)
        for item in list(running):
            target, proc, work, started = item
            if proc.poll() is None:
                continue
            running.remove(item)
            log = work / "fuzz.log"
            executions, cov, ft, corpus = _stats(log.read_text(errors="replace"))
            outcomes.append(Outcome(target, time.monotonic() - started, executions, cov, ft, corpus,
                                    _keep_crashes(target, work / "artifacts"), proc.returncode, log))
    for o in sorted(outcomes, key=lambda o: TARGETS.index(o.target)):
        print(f"{o.target}: {o.seconds:.0f} s, {o.executions} executions, cov {o.cov}, ft {o.ft}, "
              f"corpus {o.corpus}, crashes {len(o.crashes)}, exit {o.returncode}, log {o.log}")
        for path in o.crashes:
            print(f"  kept {path.relative_to(HERE.parent)}")
    return 1 if any(o.crashes or o.returncode for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
